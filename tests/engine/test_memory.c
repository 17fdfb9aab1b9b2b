/* The memory mechanisms that keep a step's peak near PyTorch's (core/arena.h mark / rewind / keep,
 * the gradient pool and per-node scratch release of core/ctx.h, ak_relu_inplace, ak_batch_norm_relu):
 * addresses and byte counts that follow from the rules, values and gradients unchanged. */
#include <stdint.h>
#include <string.h>

#include "aktest.h"
#include "core/ops/activation.h"
#include "core/ops/elementwise.h"
#include "core/ops/norm.h"
#include "core/params.h"

#define MIB ((size_t)1 << 20)

static void fill_pattern(uint8_t *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 31u + seed);
}

static int has_pattern(const uint8_t *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)(i * 31u + seed))
            return 0;
    return 1;
}

START_TEST(rewind_reuses_the_same_addresses) {
    ak_arena a;
    ck_assert_int_eq(ak_arena_init(&a, MIB, 0), AK_OK);
    void *first = ak_arena_alloc(&a, 1000); /* 1024 bytes with alignment */
    ak_arena_pos pos = ak_arena_mark(&a);
    ck_assert_uint_eq(pos.used, 1024);
    void *b = ak_arena_alloc(&a, 5000);
    ck_assert_ptr_eq(b, (uint8_t *)first + 1024);
    ak_arena_alloc(&a, 7000);
    ck_assert_uint_eq(a.used, 1024 + 5056 + 7040);
    ak_arena_rewind(&a, pos);
    ck_assert_uint_eq(a.used, 1024);
    ck_assert_ptr_eq(ak_arena_alloc(&a, 64), b); /* the same memory again */
    ck_assert_uint_eq(a.peak, 1024 + 5056 + 7040);
    ck_assert_int_eq(a.grows, 0);
    ak_arena_free(&a);
}
END_TEST

START_TEST(rewind_frees_chunks_added_since_the_mark) {
    ak_arena a;
    ck_assert_int_eq(ak_arena_init(&a, MIB, 0), AK_OK);
    ak_arena_alloc(&a, MIB / 2);
    ak_arena_pos pos = ak_arena_mark(&a);
    ak_arena_alloc(&a, MIB);     /* does not fit: a new chunk of 1 MiB */
    ak_arena_alloc(&a, 3 * MIB); /* another one of 3 MiB */
    ck_assert_uint_eq(a.capacity, 5 * MIB);
    ck_assert_int_eq(a.grows, 2);
    ak_arena_rewind(&a, pos);
    ck_assert_uint_eq(a.capacity, MIB);
    ck_assert_uint_eq(a.used, MIB / 2);
    ck_assert_uint_eq(a.peak, MIB / 2 + 4 * MIB);
    ak_arena_free(&a);
}
END_TEST

/* A step whose workspace outgrows the chunk and is rewound (an op's scratch) leaves one chunk
 * smaller than the peak; the reset must still grow it to the peak, or every later step would malloc
 * (and page-fault) that workspace again. */
START_TEST(reset_grows_to_the_peak_after_rewound_chunks) {
    ak_arena a;
    ck_assert_int_eq(ak_arena_init(&a, MIB, 0), AK_OK);
    for (int step = 0; step < 3; step++) {
        ak_arena_alloc(&a, MIB / 2);
        ak_arena_pos pos = ak_arena_mark(&a);
        ak_arena_alloc(&a, 2 * MIB); /* step 0: does not fit, a new chunk; later steps: fits */
        ak_arena_rewind(&a, pos);
        ck_assert_uint_eq(a.peak, MIB / 2 + 2 * MIB);
        ck_assert_int_eq(a.grows, step == 0 ? 1 : 2); /* the new chunk of step 0 only */
        ak_arena_reset(&a);
        ck_assert_uint_eq(a.capacity, MIB / 2 + 2 * MIB);
        ck_assert_int_eq(a.grows, 2); /* the merge at the first reset, never again */
    }
    ak_arena_free(&a);
}
END_TEST

START_TEST(keep_moves_the_survivor_down) {
    ak_arena a;
    ck_assert_int_eq(ak_arena_init(&a, MIB, 0), AK_OK);
    ak_arena_alloc(&a, 4096);
    ak_arena_pos pos = ak_arena_mark(&a);
    uint8_t *start = ak_arena_alloc(&a, 10000);
    uint8_t *p = ak_arena_alloc(&a, 3000);
    fill_pattern(p, 3000, 1);
    ak_arena_alloc(&a, 20000);
    uint8_t *q = ak_arena_rewind_keep(&a, pos, p, 3000);
    ck_assert_ptr_eq(q, start);
    ck_assert(has_pattern(q, 3000, 1));
    ck_assert_uint_eq(a.used, 4096 + 3008);
    /* memory from before the mark cannot be kept */
    ck_assert_ptr_null(ak_arena_rewind_keep(&a, pos, (uint8_t *)start - 4096, 64));
    ak_arena_free(&a);
}
END_TEST

START_TEST(keep_across_a_new_chunk) {
    /* (a) the survivor sits in a chunk added since the mark and pos's chunk has room: it moves there */
    ak_arena a;
    ck_assert_int_eq(ak_arena_init(&a, MIB, 0), AK_OK);
    ak_arena_alloc(&a, MIB / 2);
    ak_arena_pos pos = ak_arena_mark(&a);
    ak_arena_alloc(&a, MIB / 2 + 4096); /* new chunk */
    uint8_t *p = ak_arena_alloc(&a, 100000);
    fill_pattern(p, 100000, 2);
    uint8_t *q = ak_arena_rewind_keep(&a, pos, p, 100000);
    ck_assert(has_pattern(q, 100000, 2));
    ck_assert_uint_eq(a.capacity, MIB);
    ck_assert_uint_eq(a.used, MIB / 2 + 100032);
    ck_assert_ptr_eq(ak_arena_alloc(&a, 64), q + 100032); /* allocation continues after it */
    ak_arena_free(&a);

    /* (b) pos's chunk has no room: the survivor's own chunk is kept, the others written since go */
    ck_assert_int_eq(ak_arena_init(&a, MIB, 0), AK_OK);
    ak_arena_alloc(&a, MIB - 4096);
    pos = ak_arena_mark(&a);
    ak_arena_alloc(&a, 2 * MIB); /* chunk of 2 MiB */
    ak_arena_alloc(&a, 3 * MIB); /* chunk of 3 MiB (capacity grows geometrically) */
    p = ak_arena_alloc(&a, 200000);
    fill_pattern(p, 200000, 3);
    size_t cap_before = a.capacity;
    q = ak_arena_rewind_keep(&a, pos, p, 200000);
    ck_assert(has_pattern(q, 200000, 3));
    ck_assert_uint_lt(a.capacity, cap_before);
    ck_assert_uint_eq(a.used, MIB - 4096 + 200000); /* 200000 = 3125 * 64 */
    ak_arena_reset(&a); /* the chunks merge as before */
    ck_assert_ptr_nonnull(ak_arena_alloc(&a, 64));
    ak_arena_free(&a);
}
END_TEST

START_TEST(ctx_keep_only_without_a_tape) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, MIB, 0);
    int64_t shape[1] = {1000};
    ak_tensor *x = ak_tensor_new(&ctx, "x", 1, shape);
    ak_test_fill_uniform(x->data, 1000, 5, -1, 1);
    ak_arena_pos pos = ak_arena_mark(&ctx.arena);
    ak_tensor *y = ak_relu(&ctx, ak_relu(&ctx, x));
    float want[1000];
    memcpy(want, y->data, sizeof want);
    ck_assert_ptr_eq(ak_ctx_keep(&ctx, pos, y), y); /* recording on: untouched */
    bool rec = ak_ctx_set_record(&ctx, false);
    size_t before = ctx.arena.used;
    ak_tensor *k = ak_ctx_keep(&ctx, pos, y);
    ck_assert_ptr_ne(k, y);
    ck_assert_ptr_eq(k->data, (float *)((uint8_t *)x->data + 4032)); /* right after x (4000 -> 4032 bytes) */
    ak_assert_bitwise("kept", k->data, want, 1000);
    ck_assert_int_eq(k->numel, 1000);
    ck_assert_uint_eq(ctx.arena.used, pos.used + 4032 + (sizeof(ak_tensor) + 63) / 64 * 64); /* data, struct */
    ck_assert_uint_lt(ctx.arena.used, before);
    ak_ctx_set_record(&ctx, rec);
    ak_ctx_free(&ctx);
}
END_TEST

/* y = relu^8(x + 0) with x a leaf: the gradient of each intermediate is freed once its producer ran,
 * so at most two 1 MiB activation gradients are alive at a time (plus the leaf's), not nine. */
START_TEST(gradients_are_released_during_backward) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    enum { N = 262144 };
    int64_t shape[1] = {N};
    static float xv[N];
    ak_test_fill_uniform(xv, N, 7, -1, 1);
    for (int step = 0; step < 2; step++) {
        ak_tensor *x = ak_tensor_from(&ctx, 1, shape, xv);
        x->requires_grad = true;
        ak_tensor *h[9];
        h[0] = ak_add(&ctx, x, x);
        for (int i = 1; i < 9; i++)
            h[i] = ak_relu(&ctx, h[i - 1]);
        static float dy[N];
        for (int i = 0; i < N; i++)
            dy[i] = 1.0f;
        ck_assert_int_eq(ak_backward_from(&ctx, h[8], dy), AK_OK);
        for (int i = 0; i < 9; i++)
            ck_assert_ptr_null(h[i]->grad); /* released */
        for (int i = 0; i < N; i++) /* d(2x)/dx where x > 0 */
            ck_assert_float_eq(x->grad[i], xv[i] > 0 ? 2.0f : 0.0f);
        ck_assert_uint_le(ctx.grads.peak, 3 * (size_t)N * sizeof(float));
        ck_assert_uint_eq(ctx.grads.live, (size_t)N * sizeof(float)); /* the leaf's */
        size_t held = ctx.grads.held;
        ak_ctx_reset(&ctx);
        if (step == 1)
            ck_assert_uint_eq(ctx.grads.held, held); /* steady state: the blocks are reused */
    }
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(relu_inplace_matches_relu) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t shape[2] = {7, 33};
    float xv[231], dy[231];
    ak_test_fill_uniform(xv, 231, 11, -1, 1);
    ak_test_fill_uniform(dy, 231, 12, -1, 1);
    float y_ref[231], dx_ref[231];
    for (int way = 0; way < 2; way++) {
        ak_tensor *x = ak_tensor_from(&ctx, 2, shape, xv);
        x->requires_grad = true;
        ak_tensor *h = ak_mul_scalar(&ctx, x, 1.0f); /* an activation to overwrite */
        ak_tensor *y = way ? ak_relu_inplace(&ctx, h) : ak_relu(&ctx, h);
        ck_assert_msg(y != NULL, "%s", ctx.err.msg);
        if (way) {
            ck_assert_ptr_eq(y->data, h->data);
            ak_assert_bitwise("relu_inplace y", y->data, y_ref, 231);
        } else {
            memcpy(y_ref, y->data, sizeof y_ref);
        }
        ck_assert_int_eq(ak_backward_from(&ctx, y, dy), AK_OK);
        if (way)
            ak_assert_bitwise("relu_inplace dx", x->grad, dx_ref, 231);
        else
            memcpy(dx_ref, x->grad, sizeof dx_ref);
        ak_ctx_reset(&ctx);
    }
    for (int i = 0; i < 231; i++)
        ck_assert_float_eq(dx_ref[i], xv[i] > 0 ? dy[i] : 0.0f);

    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    int64_t ws[1] = {4};
    ak_tensor *w = ak_params_add(&ps, "head.scale", 1, ws, &err);
    ck_assert_ptr_null(ak_relu_inplace(&ctx, w));
    ck_assert_int_eq(ctx.err.code, AK_EINVAL);
    ck_assert_msg(strstr(ctx.err.msg, "head.scale") && strstr(ctx.err.msg, "relu_inplace"), "%s", ctx.err.msg);
    ak_params_free(&ps);
    ak_ctx_free(&ctx);
}
END_TEST

/* ak_batch_norm_relu against relu(ak_batch_norm) in every mode: the same values and gradients of x,
 * weight and bias (bitwise), from one op instead of two. */
START_TEST(batch_norm_relu_matches_the_pair) {
    const ak_bn_mode modes[3] = {AK_BN_TRAIN, AK_BN_EVAL, AK_BN_FROZEN};
    enum { N = 2, C = 3, S = 40, NX = N * C * S };
    int64_t xs[4] = {N, C, 5, 8}, cs[1] = {C};
    float xv[NX], dy[NX];
    ak_test_fill_uniform(xv, NX, 21, -2, 2);
    ak_test_fill_uniform(dy, NX, 22, -1, 1);
    for (int m = 0; m < 3; m++) {
        float y[2][NX], dx[2][NX], dw[2][C], db[2][C], rm[2][C];
        for (int way = 0; way < 2; way++) {
            ak_ctx ctx;
            ak_ctx_init(&ctx, 0, 0);
            ak_params ps;
            ak_params_init(&ps);
            ak_error err;
            ak_error_clear(&err);
            ak_tensor *w = ak_params_add(&ps, "bn.weight", 1, cs, &err);
            ak_tensor *b = ak_params_add(&ps, "bn.bias", 1, cs, &err);
            ak_tensor *mean = ak_params_add_buffer(&ps, "bn.running_mean", 1, cs, &err);
            ak_tensor *var = ak_params_add_buffer(&ps, "bn.running_var", 1, cs, &err);
            ak_test_fill_uniform(w->data, C, 23, 0.5f, 1.5f);
            ak_test_fill_uniform(b->data, C, 24, -0.5f, 0.5f);
            ak_test_fill_uniform(mean->data, C, 25, -0.2f, 0.2f);
            ak_test_fill_uniform(var->data, C, 26, 0.5f, 1.5f);
            ak_tensor *x = ak_tensor_from(&ctx, 4, xs, xv);
            x->requires_grad = true;
            ak_tensor *h = way ? ak_batch_norm_relu(&ctx, x, w, b, mean, var, modes[m], 0.1f, 1e-5f)
                               : ak_relu(&ctx, ak_batch_norm(&ctx, x, w, b, mean, var, modes[m], 0.1f, 1e-5f));
            ck_assert_msg(h != NULL, "%s", ctx.err.msg);
            ck_assert_int_eq(ctx.tape.n, way ? 1 : 2);
            ck_assert_int_eq(ak_backward_from(&ctx, h, dy), AK_OK);
            memcpy(y[way], h->data, sizeof y[way]);
            memcpy(dx[way], x->grad, sizeof dx[way]);
            memcpy(dw[way], w->grad, sizeof dw[way]);
            memcpy(db[way], b->grad, sizeof db[way]);
            memcpy(rm[way], mean->data, sizeof rm[way]);
            ak_params_free(&ps);
            ak_ctx_free(&ctx);
        }
        ak_assert_bitwise("y", y[1], y[0], NX);
        ak_assert_bitwise("dx", dx[1], dx[0], NX);
        ak_assert_bitwise("dweight", dw[1], dw[0], C);
        ak_assert_bitwise("dbias", db[1], db[0], C);
        ak_assert_bitwise("running_mean", rm[1], rm[0], C);
        int zeros = 0;
        for (int i = 0; i < NX; i++)
            zeros += y[1][i] == 0.0f;
        ck_assert(zeros > NX / 8 && zeros < NX - NX / 8); /* the relu does cut */
    }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("memory");
    TCase *tc = tcase_create("memory");
    tcase_add_test(tc, rewind_reuses_the_same_addresses);
    tcase_add_test(tc, rewind_frees_chunks_added_since_the_mark);
    tcase_add_test(tc, reset_grows_to_the_peak_after_rewound_chunks);
    tcase_add_test(tc, keep_moves_the_survivor_down);
    tcase_add_test(tc, keep_across_a_new_chunk);
    tcase_add_test(tc, ctx_keep_only_without_a_tape);
    tcase_add_test(tc, gradients_are_released_during_backward);
    tcase_add_test(tc, relu_inplace_matches_relu);
    tcase_add_test(tc, batch_norm_relu_matches_the_pair);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
