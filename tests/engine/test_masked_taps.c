/* core/ops/masked_taps.h: the K masked convolutions assembled from per-tap products equal K calls of
 * conv2d (itself checked against PyTorch) on the masked inputs - outputs, and the gradients of the
 * input, the weights and the bias through the 1x1 product convolution - for 3x3 and 5x3 kernels,
 * binary and real-valued masks; finite differences of the op itself; bitwise identical for 1 and 2
 * threads; shape errors name the op and the shapes. */
#include <math.h>
#include <omp.h>

#include "aktest.h"
#include "core/ops/conv2d.h"
#include "core/ops/elementwise.h"
#include "core/ops/masked_taps.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"

enum { N = 2, C = 5, O = 4, H = 7, W = 6, K = 3 };

typedef struct result {
    float out[K * N * O * H * W];
    float dx[N * C * H * W], dw[O * C * 5 * 5], db[O];
} result;

/* Values and gradients of J = sum(out * r) with out from the taps op (taps = 1) or from K conv2d
 * calls on x * m_k, concatenated (taps = 0). */
static void run(int taps, int kh, int kw, int binary, result *res) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const int64_t xs[4] = {N, C, H, W}, ws[4] = {O, C, kh, kw}, bs[1] = {O}, ms[4] = {K, N, H, W};
    ak_tensor *x = ak_tensor_new(&ctx, "x", 4, xs), *w = ak_tensor_new(&ctx, "w", 4, ws);
    ak_tensor *b = ak_tensor_new(&ctx, "b", 1, bs), *m = ak_tensor_new(&ctx, "m", 4, ms);
    ak_test_fill_uniform(x->data, x->numel, 1, -1.0f, 1.0f);
    ak_test_fill_uniform(w->data, w->numel, 2, -0.5f, 0.5f);
    ak_test_fill_uniform(b->data, b->numel, 3, -0.3f, 0.3f);
    ak_test_fill_uniform(m->data, m->numel, 4, 0.0f, 1.0f);
    if (binary)
        for (int64_t i = 0; i < m->numel; i++)
            m->data[i] = m->data[i] > 0.65f ? 0.0f : 1.0f;
    x->requires_grad = w->requires_grad = b->requires_grad = true;
    ak_tensor *out;
    if (taps) {
        static const int perm[4] = {2, 3, 0, 1};
        const int64_t st[4] = {(int64_t)kh * kw * O, C, 1, 1};
        ak_tensor *wsk = ak_reshape(&ctx, ak_permute(&ctx, w, perm), 4, st);
        ak_conv2d_params one = ak_conv2d_sq(1, 0, 1, 1);
        out = ak_masked_taps(&ctx, ak_conv2d(&ctx, x, wsk, NULL, &one), m, b, kh, kw);
    } else {
        ak_tensor *parts[K];
        const int64_t m1[4] = {N, 1, H, W};
        ak_conv2d_params p = {{1, 1}, {(kh - 1) / 2, (kw - 1) / 2}, {1, 1}, 1};
        for (int k = 0; k < K; k++) {
            ak_tensor *mk = ak_reshape(&ctx, ak_slice(&ctx, m, 0, k, k + 1, 1), 4, m1);
            parts[k] = ak_conv2d(&ctx, ak_mul(&ctx, x, mk), w, b, &p);
        }
        out = ak_concat(&ctx, parts, K, 0);
    }
    ck_assert_msg(out != NULL, "%s", ctx.err.msg);
    ck_assert_int_eq(out->numel, K * N * O * H * W);
    ak_tensor *r = ak_tensor_like(&ctx, "r", out);
    ak_test_fill_uniform(r->data, r->numel, 5, -1.0f, 1.0f);
    ck_assert_int_eq(ak_backward(&ctx, ak_sum_all(&ctx, ak_mul(&ctx, out, r))), AK_OK);
    memcpy(res->out, out->data, sizeof res->out);
    memcpy(res->dx, ak_grad_of(&ctx, x), sizeof res->dx);
    memcpy(res->dw, ak_grad_of(&ctx, w), (size_t)w->numel * sizeof(float));
    memcpy(res->db, ak_grad_of(&ctx, b), sizeof res->db);
    ak_ctx_free(&ctx);
}

START_TEST(equals_k_convolutions) {
    static const int kernels[2][2] = {{3, 3}, {5, 3}};
    for (int kc = 0; kc < 2; kc++)
        for (int binary = 0; binary < 2; binary++) {
            const int kh = kernels[kc][0], kw = kernels[kc][1];
            static result a, b;
            run(1, kh, kw, binary, &a);
            run(0, kh, kw, binary, &b);
            ak_assert_close("output", a.out, b.out, K * N * O * H * W, 1e-5, 1e-6);
            ak_assert_close("input gradient", a.dx, b.dx, N * C * H * W, 1e-5, 1e-6);
            ak_assert_close("weight gradient", a.dw, b.dw, O * C * kh * kw, 1e-5, 1e-6);
            ak_assert_close("bias gradient", a.db, b.db, O, 1e-5, 1e-6);
        }
}
END_TEST

START_TEST(thread_count_independent) {
    static result a, b;
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    run(1, 3, 3, 1, &a);
    omp_set_num_threads(2);
    run(1, 3, 3, 1, &b);
    omp_set_num_threads(saved);
    ak_assert_bitwise("output", a.out, b.out, K * N * O * H * W);
    ak_assert_bitwise("input gradient", a.dx, b.dx, N * C * H * W);
    ak_assert_bitwise("weight gradient", a.dw, b.dw, O * C * 9);
    ak_assert_bitwise("bias gradient", a.db, b.db, O);
}
END_TEST

/* Finite differences of the op alone (products and bias), masks fixed. */
static float g_masks[K * N * H * W];

static ak_tensor *taps_fn(ak_ctx *ctx, ak_tensor **in, void *user) {
    (void)user;
    const int64_t ms[4] = {K, N, H, W};
    ak_tensor *m = ak_tensor_from(ctx, 4, ms, g_masks);
    return ak_masked_taps(ctx, in[0], m, in[1], 3, 3);
}

START_TEST(finite_differences) {
    static float p[N * 9 * O * H * W], b[O];
    ak_test_fill_uniform(p, N * 9 * O * H * W, 7, -1.0f, 1.0f);
    ak_test_fill_uniform(b, O, 8, -1.0f, 1.0f);
    ak_test_fill_uniform(g_masks, K * N * H * W, 9, -0.5f, 1.5f);
    ak_gradcheck_input in[2] = {{"p", 4, {N, 9 * O, H, W}, p, 1}, {"bias", 1, {O}, b, 1}};
    ak_gradcheck("masked_taps", taps_fn, NULL, in, 2, NULL);
}
END_TEST

START_TEST(errors_name_the_shapes) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const int64_t ps[4] = {N, 9 * O, H, W}, bad_p[4] = {N, 9 * O + 1, H, W}, ms[4] = {K, N, H, W},
                  bad_m[4] = {K, N, H + 1, W}, bs[1] = {O + 1};
    ak_tensor *p = ak_tensor_zeros(&ctx, "p", 4, ps), *m = ak_tensor_zeros(&ctx, "m", 4, ms);
    ck_assert_ptr_null(ak_masked_taps(&ctx, ak_tensor_zeros(&ctx, "p", 4, bad_p), m, NULL, 3, 3));
    ck_assert_int_eq(ctx.err.code, AK_ESHAPE);
    ck_assert_msg(strstr(ctx.err.msg, "masked_taps") && strstr(ctx.err.msg, "(2,37,7,6)"), "%s", ctx.err.msg);
    ak_ctx_clear_error(&ctx);
    ck_assert_ptr_null(ak_masked_taps(&ctx, p, ak_tensor_zeros(&ctx, "m", 4, bad_m), NULL, 3, 3));
    ck_assert_msg(ctx.err.code == AK_ESHAPE && strstr(ctx.err.msg, "(3,2,8,6)"), "%s", ctx.err.msg);
    ak_ctx_clear_error(&ctx);
    ck_assert_ptr_null(ak_masked_taps(&ctx, p, m, ak_tensor_zeros(&ctx, "b", 1, bs), 3, 3));
    ck_assert_msg(ctx.err.code == AK_ESHAPE && strstr(ctx.err.msg, "bias (5)"), "%s", ctx.err.msg);
    ak_ctx_clear_error(&ctx);
    ck_assert_ptr_null(ak_masked_taps(&ctx, p, m, NULL, 2, 3));
    ck_assert_msg(ctx.err.code == AK_EINVAL && strstr(ctx.err.msg, "2x3"), "%s", ctx.err.msg);
    ak_ctx_free(&ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("engine_masked_taps");
    TCase *tc = tcase_create("masked_taps");
    tcase_add_test(tc, equals_k_convolutions);
    tcase_add_test(tc, thread_count_independent);
    tcase_add_test(tc, finite_differences);
    tcase_add_test(tc, errors_name_the_shapes);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
