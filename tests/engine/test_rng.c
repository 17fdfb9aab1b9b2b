/* Philox4x32-10 known-answer vectors (Random123 kat_vectors) and the draws built on it. */
#include <math.h>
#include <stdlib.h>

#include "aktest.h"
#include "core/rng.h"

START_TEST(philox_known_answers) {
    static const struct { uint32_t ctr[4], key[2], out[4]; } kat[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff},
         {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
         {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };
    for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
        uint32_t out[4];
        ak_philox4x32_10(kat[i].ctr, kat[i].key, out);
        for (int j = 0; j < 4; j++)
            ck_assert_msg(out[j] == kat[i].out[j], "vector %zu lane %d: got %08x want %08x", i, j, out[j],
                          kat[i].out[j]);
    }
}
END_TEST

START_TEST(fill_is_index_addressable) {
    /* Element i must not depend on where a fill starts: [0,100) == [0,37) ++ [37,100). */
    ak_rng r = {123, ak_rng_stream(AK_STREAM_TEST, 1, 2, 3)};
    float a[100], b[100];
    ak_rng_fill_uniform(r, 0, a, 100);
    ak_rng_fill_uniform(r, 0, b, 37);
    ak_rng_fill_uniform(r, 37, b + 37, 63);
    ak_assert_bitwise("uniform split", a, b, 100);
    ck_assert(ak_rng_uniform1(r, 41) == a[41]);
}
END_TEST

/* The block runs (sixteen Philox blocks at once where the CPU has AVX-512) equal the one-element
 * definition: every start alignment, lengths around the 64-element groups, a block counter that
 * carries into its high 32 bits inside a group, seeds and streams with both halves set; the parallel
 * fills split into chunks give the same elements. */
START_TEST(block_runs_equal_single_elements) {
    static const uint64_t offsets[] = {0, 1, 2, 3, 5, 63, 64, 130, ((uint64_t)1 << 34) - 37};
    static const int64_t lens[] = {0, 1, 3, 4, 63, 64, 65, 127, 200, 1000};
    const ak_rng rngs[2] = {{123, ak_rng_stream(AK_STREAM_TEST, 1, 2, 3)},
                            {0xFEDCBA9876543210ull, 0x0123456789ABCDEFull}};
    static uint32_t out[1000];
    for (int g = 0; g < 2; g++)
        for (size_t o = 0; o < sizeof offsets / sizeof offsets[0]; o++)
            for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
                memset(out, 0, sizeof out);
                ak_rng_u32_run(rngs[g], offsets[o], out, lens[l]);
                for (int64_t i = 0; i < lens[l]; i++)
                    ck_assert_msg(out[i] == ak_rng_u32(rngs[g], offsets[o] + (uint64_t)i),
                                  "rng %d offset %llu length %lld: element %lld", g, (unsigned long long)offsets[o],
                                  (long long)lens[l], (long long)i);
                for (int64_t i = lens[l]; i < 1000; i++)
                    ck_assert_msg(out[i] == 0, "wrote past the end at %lld", (long long)i);
            }
    enum { BIG = 70000 }; /* over the threading threshold: several chunks on several threads */
    static uint32_t u[BIG];
    static float f[BIG], bern[BIG];
    ak_rng_fill_u32(rngs[1], 3, u, BIG);
    ak_rng_fill_uniform(rngs[1], 3, f, BIG);
    ak_rng_fill_bernoulli(rngs[1], 3, bern, BIG, 0.3f);
    for (int64_t i = 0; i < BIG; i++) {
        ck_assert_msg(u[i] == ak_rng_u32(rngs[1], 3 + (uint64_t)i), "fill_u32 element %lld", (long long)i);
        const float want = ak_rng_uniform1(rngs[1], 3 + (uint64_t)i);
        ck_assert_msg(f[i] == want, "fill_uniform element %lld", (long long)i);
        ck_assert_msg(bern[i] == (want < 0.3f ? 1.0f : 0.0f), "fill_bernoulli element %lld", (long long)i);
    }
}
END_TEST

START_TEST(streams_and_seeds_differ) {
    ak_rng a = {1, ak_rng_stream(AK_STREAM_AVATAR, 0, 0, 0)};
    ak_rng b = {1, ak_rng_stream(AK_STREAM_AVATAR, 0, 0, 1)};
    ak_rng c = {2, ak_rng_stream(AK_STREAM_AVATAR, 0, 0, 0)};
    int same_ab = 0, same_ac = 0;
    for (int i = 0; i < 64; i++) {
        same_ab += ak_rng_u32(a, i) == ak_rng_u32(b, i);
        same_ac += ak_rng_u32(a, i) == ak_rng_u32(c, i);
    }
    ck_assert_int_le(same_ab, 1);
    ck_assert_int_le(same_ac, 1);
    ck_assert(ak_rng_stream(1, 2, 3, 0) != ak_rng_stream(1, 3, 2, 0));
}
END_TEST

START_TEST(distribution_moments) {
    enum { N = 200000 };
    float *u = malloc(N * sizeof *u), *z = malloc(N * sizeof *z), *bern = malloc(N * sizeof *bern);
    ak_rng r = {7, ak_rng_stream(AK_STREAM_TEST, 9, 0, 0)};
    ak_rng_fill_uniform(r, 0, u, N);
    ak_rng_fill_normal(r, 0, z, N, 1.0f, 2.0f);
    ak_rng_fill_bernoulli(r, 0, bern, N, 0.1f);
    double su = 0, sz = 0, szz = 0, sb = 0;
    float umin = 1, umax = 0;
    for (int i = 0; i < N; i++) {
        su += u[i];
        sz += z[i];
        szz += (double)z[i] * z[i];
        sb += bern[i];
        umin = fminf(umin, u[i]);
        umax = fmaxf(umax, u[i]);
    }
    double mz = sz / N, vz = szz / N - mz * mz;
    /* 5-sigma bounds for N = 2e5. */
    ck_assert_double_eq_tol(su / N, 0.5, 5 * 0.2887 / sqrt(N));
    ck_assert(umin >= 0.0f && umax < 1.0f);
    ck_assert_double_eq_tol(mz, 1.0, 5 * 2.0 / sqrt(N));
    ck_assert_double_eq_tol(vz, 4.0, 5 * 4.0 * sqrt(2.0 / N));
    ck_assert_double_eq_tol(sb / N, 0.1, 5 * 0.3 / sqrt(N));
    free(u);
    free(z);
    free(bern);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("philox");
    tcase_add_test(tc, philox_known_answers);
    tcase_add_test(tc, fill_is_index_addressable);
    tcase_add_test(tc, block_runs_equal_single_elements);
    tcase_add_test(tc, streams_and_seeds_differ);
    tcase_add_test(tc, distribution_moments);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
