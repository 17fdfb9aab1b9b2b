/* core/ops/masked_conv.h: the K masked convolutions computed at the masks' support equal K calls of
 * conv2d (itself checked against PyTorch) on the masked inputs - outputs, and the gradients of the
 * input, the weights and the bias - for 3x3 and 5x3 kernels, K = 1 and 3, binary and real-valued
 * masks, an image whose pixels are all masked out, and masks that keep nothing at all; finite
 * differences of the op; bitwise identical for 1 and 2 threads; shape errors name the op and the
 * shapes. */
#include <math.h>
#include <omp.h>

#include "aktest.h"
#include "core/ops/conv2d.h"
#include "core/ops/elementwise.h"
#include "core/ops/masked_conv.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"

enum { N = 2, C = 5, O = 4, H = 7, W = 6, KMAX = 3 };

typedef struct result {
    float out[KMAX * N * O * H * W];
    float dx[N * C * H * W], dw[O * C * 5 * 5], db[O];
} result;

enum mask_kind { MASK_BINARY, MASK_REAL, MASK_IMAGE_OFF, MASK_NONE };

static void fill_masks(float *m, int K, enum mask_kind kind) {
    const int64_t n = (int64_t)K * N * H * W;
    ak_test_fill_uniform(m, n, 4, 0.0f, 1.0f);
    for (int64_t i = 0; i < n; i++) {
        const int64_t img = i / (H * W) % N;
        if (kind == MASK_NONE || (kind == MASK_IMAGE_OFF && img == 1))
            m[i] = 0.0f;
        else if (kind != MASK_REAL)
            m[i] = m[i] > 0.65f ? 0.0f : 1.0f; /* MGD's mask at lambda 0.65 */
    }
}

/* Values and gradients of J = sum(out * r) with out from the masked op (fused = 1, with the product
 * chunk budget `chunk` floats, 0 = default) or from K conv2d calls on x * m_k, concatenated (fused = 0). */
static void run_chunked(int fused, int K, int kh, int kw, enum mask_kind kind, int64_t chunk, result *res) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const int64_t xs[4] = {N, C, H, W}, ws[4] = {O, C, kh, kw}, bs[1] = {O}, ms[4] = {K, N, H, W};
    ak_tensor *x = ak_tensor_new(&ctx, "x", 4, xs), *w = ak_tensor_new(&ctx, "w", 4, ws);
    ak_tensor *b = ak_tensor_new(&ctx, "b", 1, bs), *m = ak_tensor_new(&ctx, "m", 4, ms);
    ak_test_fill_uniform(x->data, x->numel, 1, -1.0f, 1.0f);
    ak_test_fill_uniform(w->data, w->numel, 2, -0.5f, 0.5f);
    ak_test_fill_uniform(b->data, b->numel, 3, -0.3f, 0.3f);
    fill_masks(m->data, K, kind);
    x->requires_grad = w->requires_grad = b->requires_grad = true;
    ak_tensor *out;
    if (fused) {
        out = ak_masked_conv2d_chunked(&ctx, x, m, w, b, chunk);
    } else {
        ak_tensor *parts[KMAX];
        const int64_t m1[4] = {N, 1, H, W};
        ak_conv2d_params p = {{1, 1}, {(kh - 1) / 2, (kw - 1) / 2}, {1, 1}, 1};
        for (int k = 0; k < K; k++) {
            ak_tensor *mk = ak_reshape(&ctx, ak_slice(&ctx, m, 0, k, k + 1, 1), 4, m1);
            parts[k] = ak_conv2d(&ctx, ak_mul(&ctx, x, mk), w, b, &p);
        }
        out = K == 1 ? parts[0] : ak_concat(&ctx, parts, K, 0);
    }
    ck_assert_msg(out != NULL, "%s", ctx.err.msg);
    ck_assert_int_eq(out->numel, K * N * O * H * W);
    ak_tensor *r = ak_tensor_like(&ctx, "r", out);
    ak_test_fill_uniform(r->data, r->numel, 5, -1.0f, 1.0f);
    ck_assert_int_eq(ak_backward(&ctx, ak_sum_all(&ctx, ak_mul(&ctx, out, r))), AK_OK);
    memcpy(res->out, out->data, (size_t)out->numel * sizeof(float));
    memcpy(res->dx, ak_grad_of(&ctx, x), sizeof res->dx);
    memcpy(res->dw, ak_grad_of(&ctx, w), (size_t)w->numel * sizeof(float));
    memcpy(res->db, ak_grad_of(&ctx, b), sizeof res->db);
    ak_ctx_free(&ctx);
}

static void run(int fused, int K, int kh, int kw, enum mask_kind kind, result *res) {
    run_chunked(fused, K, kh, kw, kind, 0, res);
}

static void compare(int K, int kh, int kw, enum mask_kind kind) {
    static result a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    run(1, K, kh, kw, kind, &a);
    run(0, K, kh, kw, kind, &b);
    ak_assert_close("output", a.out, b.out, K * N * O * H * W, 1e-5, 1e-6);
    ak_assert_close("input gradient", a.dx, b.dx, N * C * H * W, 1e-5, 1e-6);
    ak_assert_close("weight gradient", a.dw, b.dw, O * C * kh * kw, 1e-5, 1e-6);
    ak_assert_close("bias gradient", a.db, b.db, O, 1e-5, 1e-6);
}

START_TEST(equals_k_convolutions) {
    static const int kernels[2][2] = {{3, 3}, {5, 3}};
    for (int kc = 0; kc < 2; kc++)
        for (int kind = MASK_BINARY; kind <= MASK_REAL; kind++)
            for (int K = 1; K <= KMAX; K += 2)
                compare(K, kernels[kc][0], kernels[kc][1], (enum mask_kind)kind);
}
END_TEST

/* One image masked out entirely (its outputs are the bias, its input gets no gradient), and masks
 * that keep nothing (an empty support: the products are skipped). */
START_TEST(empty_support) {
    compare(2, 3, 3, MASK_IMAGE_OFF);
    compare(1, 3, 3, MASK_NONE);
    static result a;
    run(1, 1, 3, 3, MASK_NONE, &a);
    float bias[O];
    ak_test_fill_uniform(bias, O, 3, -0.3f, 0.3f); /* as run() draws it */
    for (int i = 0; i < N * O * H * W; i++)
        ck_assert_msg(a.out[i] == bias[i / (H * W) % O], "out[%d] = %g, expected the bias", i, (double)a.out[i]);
    for (int i = 0; i < N * C * H * W; i++)
        ck_assert_msg(a.dx[i] == 0.0f, "dx[%d] = %g with every pixel masked out", i, (double)a.dx[i]);
    for (int i = 0; i < O * C * 9; i++)
        ck_assert_msg(a.dw[i] == 0.0f, "dw[%d] = %g with every pixel masked out", i, (double)a.dw[i]);
}
END_TEST

/* Chunked products (budgets from a few rows down to less than one row's source pixels): the forward
 * and the input and bias gradients are bitwise those of one chunk (the same GEMM rows and sums), the
 * weight gradient sums its chunks in order (float rounding). */
START_TEST(chunks_give_the_same_results) {
    static result whole, part;
    const int64_t TO = 9 * O, budgets[3] = {TO * 40, TO * 12, TO * 3};
    for (int i = 0; i < 3; i++)
        for (int K = 1; K <= KMAX; K += 2) {
            run_chunked(1, K, 3, 3, MASK_BINARY, 0, &whole);
            run_chunked(1, K, 3, 3, MASK_BINARY, budgets[i], &part);
            ak_assert_bitwise("output", whole.out, part.out, K * N * O * H * W);
            ak_assert_bitwise("input gradient", whole.dx, part.dx, N * C * H * W);
            ak_assert_bitwise("bias gradient", whole.db, part.db, O);
            ak_assert_close("weight gradient", whole.dw, part.dw, O * C * 9, 1e-5, 1e-6);
        }
}
END_TEST

START_TEST(thread_count_independent) {
    static result a, b;
    const int saved = omp_get_max_threads();
    for (int chunked = 0; chunked < 2; chunked++) {
        omp_set_num_threads(1);
        run_chunked(1, KMAX, 3, 3, MASK_BINARY, chunked ? 9 * O * 12 : 0, &a);
        omp_set_num_threads(2);
        run_chunked(1, KMAX, 3, 3, MASK_BINARY, chunked ? 9 * O * 12 : 0, &b);
        omp_set_num_threads(saved);
        ak_assert_bitwise("output", a.out, b.out, KMAX * N * O * H * W);
        ak_assert_bitwise("input gradient", a.dx, b.dx, N * C * H * W);
        ak_assert_bitwise("weight gradient", a.dw, b.dw, O * C * 9);
        ak_assert_bitwise("bias gradient", a.db, b.db, O);
    }
}
END_TEST

/* Finite differences of the op (input, weights, bias), masks fixed and real-valued. */
static float g_masks[2 * N * H * W];

static ak_tensor *op_fn(ak_ctx *ctx, ak_tensor **in, void *user) {
    (void)user;
    const int64_t ms[4] = {2, N, H, W};
    ak_tensor *m = ak_tensor_from(ctx, 4, ms, g_masks);
    return ak_masked_conv2d(ctx, in[0], m, in[1], in[2]);
}

START_TEST(finite_differences) {
    static float x[N * C * H * W], w[O * C * 9], b[O];
    ak_test_fill_uniform(x, N * C * H * W, 7, -1.0f, 1.0f);
    ak_test_fill_uniform(w, O * C * 9, 8, -0.5f, 0.5f);
    ak_test_fill_uniform(b, O, 9, -1.0f, 1.0f);
    ak_test_fill_uniform(g_masks, 2 * N * H * W, 10, -0.5f, 1.5f);
    for (int i = 0; i < 2 * N * H * W; i += 3)
        g_masks[i] = 0.0f; /* some pixels out of the support */
    ak_gradcheck_input in[3] = {
        {"x", 4, {N, C, H, W}, x, 1}, {"w", 4, {O, C, 3, 3}, w, 1}, {"bias", 1, {O}, b, 1}};
    ak_gradcheck("masked_conv2d", op_fn, NULL, in, 3, NULL);
}
END_TEST

START_TEST(errors_name_the_shapes) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const int64_t xs[4] = {N, C, H, W}, ws[4] = {O, C, 3, 3}, bad_w[4] = {O, C + 1, 3, 3}, even_w[4] = {O, C, 2, 3},
                  ms[4] = {KMAX, N, H, W}, bad_m[4] = {KMAX, N, H + 1, W}, bs[1] = {O + 1};
    ak_tensor *x = ak_tensor_zeros(&ctx, "x", 4, xs), *w = ak_tensor_zeros(&ctx, "w", 4, ws);
    ak_tensor *m = ak_tensor_zeros(&ctx, "m", 4, ms);
    ck_assert_ptr_null(ak_masked_conv2d(&ctx, x, m, ak_tensor_zeros(&ctx, "w", 4, bad_w), NULL));
    ck_assert_int_eq(ctx.err.code, AK_ESHAPE);
    ck_assert_msg(strstr(ctx.err.msg, "masked_conv2d") && strstr(ctx.err.msg, "(4,6,3,3)"), "%s", ctx.err.msg);
    ak_ctx_clear_error(&ctx);
    ck_assert_ptr_null(ak_masked_conv2d(&ctx, x, ak_tensor_zeros(&ctx, "m", 4, bad_m), w, NULL));
    ck_assert_msg(ctx.err.code == AK_ESHAPE && strstr(ctx.err.msg, "(3,2,8,6)"), "%s", ctx.err.msg);
    ak_ctx_clear_error(&ctx);
    ck_assert_ptr_null(ak_masked_conv2d(&ctx, x, m, w, ak_tensor_zeros(&ctx, "b", 1, bs)));
    ck_assert_msg(ctx.err.code == AK_ESHAPE && strstr(ctx.err.msg, "bias (5)"), "%s", ctx.err.msg);
    ak_ctx_clear_error(&ctx);
    ck_assert_ptr_null(ak_masked_conv2d(&ctx, x, m, ak_tensor_zeros(&ctx, "w", 4, even_w), NULL));
    ck_assert_msg(ctx.err.code == AK_EINVAL && strstr(ctx.err.msg, "2x3"), "%s", ctx.err.msg);
    ak_ctx_free(&ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("engine_masked_conv");
    TCase *tc = tcase_create("masked_conv");
    tcase_add_test(tc, equals_k_convolutions);
    tcase_add_test(tc, empty_support);
    tcase_add_test(tc, chunks_give_the_same_results);
    tcase_add_test(tc, thread_count_independent);
    tcase_add_test(tc, finite_differences);
    tcase_add_test(tc, errors_name_the_shapes);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
