/* Avatar generation (akd/avatars.h): avatars bit-identical to the Python Philox reference
 * (tools/fixtures/akd_wrapper.py), the empirical drop rates match p, the gaussian noise has the
 * documented per-channel scale, K avatars (and taps, iterations) are distinct, the same seed gives the
 * same avatars on every run and for 1 or 2 threads, p = 0 is the identity, avatars carry no gradient,
 * and the error cases. */
#include <math.h>

#include "akd/avatars.h"
#include "akd_test.h"
#include "store/akd_config.h"

static const char *const perturbs[3] = {"dropout", "channel_dropout", "gaussian"};

START_TEST(avatars_match_python_philox) {
    ak_safetensors st;
    ak_fixture_open(&st, "akd/wrapper.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_tensor *T = ak_fixture_tensor(&ctx, &st, "T");
    const uint64_t seed = fx_u64(&st, "seed");
    const int64_t it = (int64_t)fx_num(&st, "iteration");
    const int tap = (int)fx_num(&st, "tap"), K = (int)fx_num(&st, "K");
    for (int p = 0; p < 3; p++) {
        const float rate = (float)fx_num(&st, "rate.%s", perturbs[p]);
        ak_tensor *av[8];
        ck_assert_int_eq(ak_avatars_make(&ctx, T, p, rate, seed, it, tap, K, av), AK_OK);
        for (int k = 0; k < K; k++) {
            ak_tensor *want = fxt(&ctx, &st, "avatar.%s.%d", perturbs[p], k);
            char what[64];
            snprintf(what, sizeof what, "%s avatar %d", perturbs[p], k);
            /* the masks and the normal draws are the same bits; Box-Muller's log / cos in numpy vs libm
             * may differ in the last double ulp, which almost never survives the rounding to float */
            if (p < 2)
                ak_assert_bitwise(what, av[k]->data, want->data, T->numel);
            else
                ak_assert_close(what, av[k]->data, want->data, T->numel, 1e-6, 1e-7);
            /* the same avatar made alone from its rng */
            ak_tensor *one = ak_avatar(&ctx, T, p, rate, ak_avatar_rng(seed, it, tap, k), NULL);
            ak_assert_bitwise("ak_avatar == ak_avatars_make", one->data, av[k]->data, T->numel);
        }
    }
    ak_ctx_free(&ctx);
    ak_safetensors_close(&st);
}
END_TEST

START_TEST(drop_rates_match_p) {
    const int64_t shape[4] = {4, 64, 32, 32}, n = 4 * 64 * 32 * 32;
    float *x = malloc(n * sizeof *x);
    ak_test_fill_uniform(x, n, 401, 0.5f, 2.0f); /* no zeros: a zero in the avatar means dropped */
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_tensor *T = ak_tensor_from(&ctx, 4, shape, x);
    const float ps[4] = {0.05f, 0.1f, 0.3f, 0.5f};
    for (int i = 0; i < 4; i++) {
        const float p = ps[i], scale = 1.0f / (1.0f - p);
        for (int ch = 0; ch < 2; ch++) {
            ak_tensor *a = ak_avatar(&ctx, T, ch ? AK_PERTURB_CHANNEL_DROPOUT : AK_PERTURB_DROPOUT, p,
                                     ak_avatar_rng(5, 100, 1, i), NULL);
            ck_assert_ptr_nonnull(a);
            int64_t dropped = 0, planes_dropped = 0;
            for (int64_t j = 0; j < n; j++) {
                if (a->data[j] == 0.0f)
                    dropped++;
                else if (a->data[j] != x[j] * scale)
                    ck_abort_msg("p=%g element %lld: %.9g is neither 0 nor x/(1-p) = %.9g", (double)p, (long long)j,
                                 a->data[j], x[j] * scale);
            }
            const double units = ch ? 4.0 * 64 : (double)n;
            if (ch) { /* whole planes */
                for (int64_t pl = 0; pl < 4 * 64; pl++) {
                    int64_t z = 0;
                    for (int64_t j = 0; j < 1024; j++)
                        z += a->data[pl * 1024 + j] == 0.0f;
                    ck_assert_msg(z == 0 || z == 1024, "plane %lld partly dropped (%lld zeros)", (long long)pl,
                                  (long long)z);
                    planes_dropped += z == 1024;
                }
            }
            const double rate = ch ? planes_dropped / units : dropped / units;
            const double sigma = sqrt(p * (1 - p) / units);
            ck_assert_msg(fabs(rate - p) < 5 * sigma, "%s drop rate %.5f for p = %.2f (5 sigma = %.5f)",
                          ch ? "channel" : "element", rate, (double)p, 5 * sigma);
        }
    }
    ak_ctx_free(&ctx);
    free(x);
}
END_TEST

START_TEST(gaussian_scale_per_channel) {
    const int64_t shape[4] = {2, 3, 64, 64}, n = 2 * 3 * 64 * 64, P = 4096;
    float *x = malloc(n * sizeof *x);
    ak_test_fill_uniform(x, n, 402, -1, 1);
    for (int64_t i = 0; i < n; i++) /* channel c scaled by (c + 1): different std per channel */
        x[i] *= (float)((i / P) % 3 + 1);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_tensor *T = ak_tensor_from(&ctx, 4, shape, x);
    float std[3];
    ck_assert_int_eq(ak_avatar_channel_std(&ctx, T, std), AK_OK);
    const float p = 0.2f;
    ak_tensor *a = ak_avatar(&ctx, T, AK_PERTURB_GAUSSIAN, p, ak_avatar_rng(3, 1, 0, 0), NULL);
    for (int c = 0; c < 3; c++) {
        double s = 0, q = 0, m = 0, v = 0;
        for (int nn = 0; nn < 2; nn++)
            for (int64_t j = 0; j < P; j++)
                m += x[(nn * 3 + c) * P + j];
        m /= 2.0 * P;
        for (int nn = 0; nn < 2; nn++)
            for (int64_t j = 0; j < P; j++) {
                const int64_t i = (nn * 3 + c) * P + j;
                v += (x[i] - m) * (x[i] - m);
                const double z = (a->data[i] - x[i]) / ((double)p * std[c]);
                s += z;
                q += z * z;
            }
        const double want_std = sqrt(v / (2.0 * P));
        ck_assert_msg(fabs(std[c] - want_std) < 1e-6 * want_std, "std_c %d: %g vs %g", c, (double)std[c], want_std);
        ck_assert_msg(fabs(std[c] - (c + 1) * 0.57735) < 0.02 * (c + 1), "std_c %d = %g, expected ~ %g", c,
                      (double)std[c], (c + 1) * 0.57735);
        const double mean = s / (2.0 * P), var = q / (2.0 * P) - mean * mean;
        ck_assert_msg(fabs(mean) < 5.0 / sqrt(2.0 * P), "channel %d: noise mean %g", c, mean);
        ck_assert_msg(fabs(var - 1.0) < 0.06, "channel %d: noise variance %g, expected 1", c, var);
    }
    ak_ctx_free(&ctx);
    free(x);
}
END_TEST

START_TEST(avatars_are_distinct_and_keyed) {
    const int64_t shape[4] = {2, 8, 8, 8}, n = 1024;
    float x[1024];
    ak_test_fill_uniform(x, n, 403, 0.5f, 1.5f);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_tensor *T = ak_tensor_from(&ctx, 4, shape, x);
    for (int p = 0; p < 3; p++) {
        ak_tensor *av[8], *other[4];
        ck_assert_int_eq(ak_avatars_make(&ctx, T, p, 0.3f, 77, 10, 2, 8, av), AK_OK);
        for (int i = 0; i < 8; i++)
            for (int j = i + 1; j < 8; j++)
                ck_assert_msg(memcmp(av[i]->data, av[j]->data, n * sizeof(float)) != 0, "%s avatars %d and %d equal",
                              perturbs[p], i, j);
        /* another iteration, tap or seed: other avatars; K = 4 shares its first avatars with K = 8 */
        ck_assert_int_eq(ak_avatars_make(&ctx, T, p, 0.3f, 77, 11, 2, 1, &other[0]), AK_OK);
        ck_assert_int_eq(ak_avatars_make(&ctx, T, p, 0.3f, 77, 10, 3, 1, &other[1]), AK_OK);
        ck_assert_int_eq(ak_avatars_make(&ctx, T, p, 0.3f, 78, 10, 2, 1, &other[2]), AK_OK);
        for (int i = 0; i < 3; i++)
            ck_assert_msg(memcmp(av[0]->data, other[i]->data, n * sizeof(float)) != 0, "%s: key %d ignored",
                          perturbs[p], i);
        ak_tensor *four[4];
        ck_assert_int_eq(ak_avatars_make(&ctx, T, p, 0.3f, 77, 10, 2, 4, four), AK_OK);
        for (int k = 0; k < 4; k++)
            ak_assert_bitwise("K=4 prefix of K=8", four[k]->data, av[k]->data, n);
    }
    ak_ctx_free(&ctx);
}
END_TEST

/* Two runs (fresh contexts) and 1 vs 2 threads: identical bits, for maps large enough to thread. */
START_TEST(same_seed_same_avatars_any_thread_count) {
    const int64_t shape[4] = {4, 32, 40, 40}, n = 4 * 32 * 40 * 40;
    float *x = malloc(n * sizeof *x), *res[3][3][2];
    ak_test_fill_uniform(x, n, 404, -2, 2);
    for (int run = 0; run < 3; run++) { /* run 0: 1 thread, runs 1 and 2: 2 threads */
        omp_set_num_threads(run == 0 ? 1 : 2);
        ak_ctx ctx;
        ak_ctx_init(&ctx, 0, 0);
        ak_tensor *T = ak_tensor_from(&ctx, 4, shape, x);
        for (int p = 0; p < 3; p++) {
            ak_tensor *av[2];
            ck_assert_int_eq(ak_avatars_make(&ctx, T, p, 0.25f, 1234, 56, 1, 2, av), AK_OK);
            res[run][p][0] = dup_floats(av[0]->data, n);
            res[run][p][1] = dup_floats(av[1]->data, n);
        }
        ak_ctx_free(&ctx);
    }
    omp_set_num_threads(2);
    for (int p = 0; p < 3; p++)
        for (int k = 0; k < 2; k++) {
            char what[64];
            snprintf(what, sizeof what, "%s avatar %d, 1 vs 2 threads", perturbs[p], k);
            ak_assert_bitwise(what, res[0][p][k], res[1][p][k], n);
            snprintf(what, sizeof what, "%s avatar %d, run 1 vs run 2", perturbs[p], k);
            ak_assert_bitwise(what, res[1][p][k], res[2][p][k], n);
            for (int run = 0; run < 3; run++)
                free(res[run][p][k]);
        }
    free(x);
}
END_TEST

START_TEST(p_zero_identity_and_no_gradient) {
    const int64_t shape[4] = {2, 3, 4, 5}, n = 120;
    float x[120];
    ak_test_fill_uniform(x, n, 405, -2, 2);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_tensor *T = ak_tensor_from(&ctx, 4, shape, x);
    T->requires_grad = true; /* even so: avatars are teacher-side constants */
    for (int p = 0; p < 3; p++) {
        const int64_t nodes = ctx.tape.n;
        ak_tensor *a = ak_avatar(&ctx, T, p, 0.0f, ak_avatar_rng(1, 2, 3, 4), NULL);
        ak_assert_bitwise("p = 0 avatar == teacher", a->data, x, n);
        ak_tensor *b = ak_avatar(&ctx, T, p, 0.5f, ak_avatar_rng(1, 2, 3, 4), NULL);
        ck_assert(!a->requires_grad && !b->requires_grad);
        ck_assert_int_eq(ctx.tape.n, nodes);
    }
    ck_assert(ctx.record);
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(errors) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const int64_t s1[1] = {5}, s4[4] = {1, 2, 2, 2};
    ak_tensor *v = ak_tensor_zeros(&ctx, "v", 1, s1), *T = ak_tensor_zeros(&ctx, "T", 4, s4), *out[2];
    ck_assert_ptr_null(ak_avatar(&ctx, v, AK_PERTURB_DROPOUT, 0.1f, ak_avatar_rng(0, 0, 0, 0), NULL));
    assert_error(&ctx, AK_ESHAPE, "akd avatars", "(5)", NULL);
    ck_assert_ptr_null(ak_avatar(&ctx, T, AK_PERTURB_DROPOUT, 1.0f, ak_avatar_rng(0, 0, 0, 0), NULL));
    assert_error(&ctx, AK_EINVAL, "akd.rate = 1", "dropout", "[0, 1)", NULL);
    ck_assert_ptr_null(ak_avatar(&ctx, T, AK_PERTURB_GAUSSIAN, INFINITY, ak_avatar_rng(0, 0, 0, 0), NULL));
    assert_error(&ctx, AK_EINVAL, "akd.rate = inf", "gaussian", NULL);
    ck_assert_ptr_null(ak_avatar(&ctx, T, -1, 0.1f, ak_avatar_rng(0, 0, 0, 0), NULL));
    assert_error(&ctx, AK_EINVAL, "akd.perturb = -1", NULL);
    ck_assert_int_eq(ak_avatars_make(&ctx, T, AK_PERTURB_DROPOUT, 0.1f, 0, 0, 3, 0, out), AK_EINVAL);
    assert_error(&ctx, AK_EINVAL, "akd.num_avatars = 0", NULL);
    ck_assert_int_eq(ak_avatars_make(&ctx, NULL, AK_PERTURB_DROPOUT, 0.1f, 0, 0, 3, 1, out), AK_EINVAL);
    assert_error(&ctx, AK_EINVAL, "no teacher feature for tap 3", NULL);
    /* NULL input to ak_avatar: NULL without a new error */
    ck_assert_ptr_null(ak_avatar(&ctx, NULL, AK_PERTURB_DROPOUT, 0.1f, ak_avatar_rng(0, 0, 0, 0), NULL));
    ck_assert_int_eq(ctx.err.code, AK_OK);
    ak_ctx_free(&ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("akd_avatars");
    TCase *tc = tcase_create("avatars");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, avatars_match_python_philox);
    tcase_add_test(tc, drop_rates_match_p);
    tcase_add_test(tc, gaussian_scale_per_channel);
    tcase_add_test(tc, avatars_are_distinct_and_keyed);
    tcase_add_test(tc, same_seed_same_avatars_any_thread_count);
    tcase_add_test(tc, p_zero_identity_and_no_gradient);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
