/* Softmax / log-softmax (core/ops/softmax.h) over every axis: PyTorch fixtures
 * (tools/fixtures/engine_softmax.py), numerical stability at large offsets, finite differences,
 * thread-count independence and the axis error. */
#include <math.h>

#include "core/ops/elementwise.h"
#include "core/ops/softmax.h"
#include "opstest.h"

START_TEST(softmax_matches_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/softmax.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const char *ops[2] = {"softmax", "log_softmax"};
    char what[64];
    for (int o = 0; o < 2; o++) {
        int k = 0;
        for (; fx_has(&fx, "%s.%d.x", ops[o], k); k++) {
            ak_tensor *x = fxt(&ctx, &fx, "%s.%d.x", ops[o], k);
            x->requires_grad = true;
            int axis = (int)fx_num(&fx, "%s.%d.axis", ops[o], k);
            ak_tensor *y = o ? ak_log_softmax(&ctx, x, axis) : ak_softmax(&ctx, x, axis);
            ck_assert_msg(y != NULL, "%s", ctx.err.msg);
            snprintf(what, sizeof what, "%s case %d y", ops[o], k);
            ak_assert_close(what, y->data, fxt(&ctx, &fx, "%s.%d.y", ops[o], k)->data, y->numel, 2e-6, 1e-7);
            ck_assert_int_eq(ak_backward_from(&ctx, y, fxt(&ctx, &fx, "%s.%d.dy", ops[o], k)->data), AK_OK);
            snprintf(what, sizeof what, "%s case %d dx", ops[o], k);
            /* dx = y * (dy - sum(dy * y)) cancels: the error scales with |dy| ~ 1, not with dx */
            assert_grad(what, x, fxt(&ctx, &fx, "%s.%d.dx", ops[o], k), 1e-5, 5e-7);
            ak_ctx_reset(&ctx);
        }
        ck_assert_int_ge(k, 7);
    }
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(stable_for_huge_logits) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    float v[6] = {1e4f, 1e4f + 1, 1e4f - 2, -1e30f, -INFINITY, 0};
    int64_t s[2] = {2, 3};
    ak_tensor *x = ak_tensor_from(&ctx, 2, s, v);
    ak_tensor *p = ak_softmax(&ctx, x, 1), *lp = ak_log_softmax(&ctx, x, 1);
    ck_assert_ptr_nonnull(p);
    /* row 0: softmax of (0, 1, -2) */
    double z = exp(0.0) + exp(1.0) + exp(-2.0);
    ck_assert_float_eq_tol(p->data[1], (float)(exp(1.0) / z), 1e-7);
    ck_assert_float_eq_tol(lp->data[2], (float)(-2.0 - log(z)), 1e-6);
    /* row 1: everything on the last element */
    ck_assert_float_eq(p->data[3], 0.0f);
    ck_assert_float_eq(p->data[4], 0.0f);
    ck_assert_float_eq(p->data[5], 1.0f);
    ck_assert(isinf(lp->data[4]) && lp->data[4] < 0);
    ck_assert_float_eq(lp->data[5], 0.0f);
    ak_ctx_free(&ctx);
}
END_TEST

static ak_tensor *both(ak_ctx *ctx, ak_tensor **in, void *user) {
    int axis = *(const int *)user;
    return ak_mul(ctx, ak_softmax(ctx, in[0], axis), ak_log_softmax(ctx, in[0], axis));
}

START_TEST(finite_differences) {
    float x[120];
    ak_test_fill_uniform(x, 120, 61, -3, 3);
    for (int axis = -1; axis < 4; axis++) {
        ak_gradcheck_input in = {"x", 4, {2, 3, 4, 5}, x, 1};
        ak_gradcheck("softmax * log_softmax", both, &axis, &in, 1, NULL);
    }
}
END_TEST

START_TEST(thread_independent) {
    const int64_t s[4] = {2, 19, 64, 64}, n = 2 * 19 * 64 * 64;
    float *x = malloc(n * sizeof *x), *dy = malloc(n * sizeof *dy), *r[2][4];
    ak_test_fill_uniform(x, n, 71, -5, 5);
    ak_test_fill_uniform(dy, n, 72, -1, 1);
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        for (int axis = 1; axis <= 3; axis += 2) { /* strided and contiguous layouts */
            ak_ctx ctx;
            ak_ctx_init(&ctx, 0, 0);
            ak_tensor *X = ak_tensor_from(&ctx, 4, s, x);
            X->requires_grad = true;
            ak_tensor *y = ak_log_softmax(&ctx, ak_softmax(&ctx, X, axis), axis);
            ck_assert_int_eq(ak_backward_from(&ctx, y, dy), AK_OK);
            r[t][axis - 1] = dup_floats(y->data, n);
            r[t][axis] = dup_floats(X->grad, n);
            ak_ctx_free(&ctx);
        }
    }
    omp_set_num_threads(2);
    for (int i = 0; i < 4; i++) {
        ak_assert_bitwise("softmax 1 vs 2 threads", r[0][i], r[1][i], n);
        free(r[0][i]);
        free(r[1][i]);
    }
    free(x);
    free(dy);
}
END_TEST

START_TEST(axis_error_names_op_and_shape) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t s[3] = {2, 3, 4};
    ak_tensor *x = ak_tensor_zeros(&ctx, "x", 3, s);
    ck_assert_ptr_null(ak_softmax(&ctx, x, 3));
    assert_error(&ctx, AK_EINVAL, "softmax: axis 3 out of range for shape (2,3,4)", NULL);
    ck_assert_ptr_null(ak_log_softmax(&ctx, x, -4));
    assert_error(&ctx, AK_EINVAL, "log_softmax", "axis -4", NULL);
    ak_ctx_free(&ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("softmax");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, softmax_matches_torch);
    tcase_add_test(tc, stable_for_huge_logits);
    tcase_add_test(tc, finite_differences);
    tcase_add_test(tc, thread_independent);
    tcase_add_test(tc, axis_error_names_op_and_shape);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
