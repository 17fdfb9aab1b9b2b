/* matmul and linear: forward and backward against PyTorch fixtures (transposes, batched and shared
 * operands), finite differences, frozen inputs, the deterministic bias reduction and the error
 * messages. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aktest.h"
#include "core/cpu/matmul.h"
#include "core/ops/matmul.h"

#define RTOL 1e-5
#define ATOL 1e-5

static ak_tensor *get(ak_ctx *ctx, const ak_safetensors *fx, const char *prefix, int k, const char *name) {
    char key[64];
    snprintf(key, sizeof key, "%s%d.%s", prefix, k, name);
    return ak_fixture_tensor(ctx, fx, key);
}

static void check(const char *prefix, int k, const char *what, const float *got, const ak_tensor *want) {
    char label[64];
    snprintf(label, sizeof label, "%s%d %s", prefix, k, what);
    ck_assert_msg(got != NULL, "%s: no gradient", label);
    ak_assert_close(label, got, want->data, want->numel, RTOL, ATOL);
}

START_TEST(matmul_matches_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/matmul.safetensors");
    int n = (int)ak_fixture_scalar(&fx, "n_mm");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    for (int k = 0; k < n; k++) {
        char key[32];
        snprintf(key, sizeof key, "mm%d.flags", k);
        int64_t flags[2];
        ak_error err;
        ak_error_clear(&err);
        ck_assert_int_eq(ak_safetensors_read_i64(&fx, key, flags, 2, &err), AK_OK);
        ak_tensor *a = get(&ctx, &fx, "mm", k, "a"), *b = get(&ctx, &fx, "mm", k, "b");
        a->requires_grad = b->requires_grad = true;
        ak_tensor *c = ak_matmul_t(&ctx, a, b, flags[0] != 0, flags[1] != 0);
        ck_assert_msg(c != NULL, "mm%d: %s", k, ctx.err.msg);
        ak_tensor *want = get(&ctx, &fx, "mm", k, "c");
        ck_assert_msg(ak_same_shape(c, want), "mm%d: output shape", k);
        check("mm", k, "c", c->data, want);
        ck_assert_int_eq(ak_backward_from(&ctx, c, get(&ctx, &fx, "mm", k, "dc")->data), AK_OK);
        check("mm", k, "da", a->grad, get(&ctx, &fx, "mm", k, "da"));
        check("mm", k, "db", b->grad, get(&ctx, &fx, "mm", k, "db"));
        ak_ctx_reset(&ctx);
    }
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(linear_matches_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/matmul.safetensors");
    int n = (int)ak_fixture_scalar(&fx, "n_lin");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    for (int k = 0; k < n; k++) {
        char key[32];
        snprintf(key, sizeof key, "lin%d.has_bias", k);
        int has_bias = (int)ak_fixture_scalar(&fx, key);
        ak_tensor *x = get(&ctx, &fx, "lin", k, "x"), *w = get(&ctx, &fx, "lin", k, "w");
        ak_tensor *b = has_bias ? get(&ctx, &fx, "lin", k, "b") : NULL;
        x->requires_grad = w->requires_grad = true;
        if (b)
            b->requires_grad = true;
        ak_tensor *y = ak_linear(&ctx, x, w, b);
        ck_assert_msg(y != NULL, "lin%d: %s", k, ctx.err.msg);
        ak_tensor *want = get(&ctx, &fx, "lin", k, "y");
        ck_assert_msg(ak_same_shape(y, want), "lin%d: output shape", k);
        check("lin", k, "y", y->data, want);
        ck_assert_int_eq(ak_backward_from(&ctx, y, get(&ctx, &fx, "lin", k, "dy")->data), AK_OK);
        check("lin", k, "dx", x->grad, get(&ctx, &fx, "lin", k, "dx"));
        check("lin", k, "dw", w->grad, get(&ctx, &fx, "lin", k, "dw"));
        if (b)
            check("lin", k, "db", b->grad, get(&ctx, &fx, "lin", k, "db"));
        ak_ctx_reset(&ctx);
    }
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

typedef struct mm_user {
    bool ta, tb;
} mm_user;

static ak_tensor *mm_fn(ak_ctx *ctx, ak_tensor **in, void *user) {
    mm_user *u = user;
    return ak_matmul_t(ctx, in[0], in[1], u->ta, u->tb);
}

static ak_tensor *linear_fn(ak_ctx *ctx, ak_tensor **in, void *user) {
    (void)user;
    return ak_linear(ctx, in[0], in[1], in[2]);
}

START_TEST(matmul_finite_differences) {
    float a[2 * 4 * 3], b[2 * 5 * 4], bs[3 * 5];
    ak_test_fill_uniform(a, 24, 41, -1, 1);
    ak_test_fill_uniform(b, 40, 42, -1, 1);
    ak_test_fill_uniform(bs, 15, 43, -1, 1);
    mm_user u = {true, true}; /* (2,4,3)^T @ (2,5,4)^T -> (2,3,5) */
    ak_gradcheck_input in[2] = {{"a", 3, {2, 4, 3}, a, 1}, {"b", 3, {2, 5, 4}, b, 1}};
    ak_gradcheck("matmul ta tb batched", mm_fn, &u, in, 2, NULL);
    float b4[4 * 5];
    ak_test_fill_uniform(b4, 20, 47, -1, 1);
    mm_user u2 = {true, false}; /* (2,4,3)^T @ shared (4,5): not foldable, per-batch loop */
    ak_gradcheck_input in2[2] = {{"a", 3, {2, 4, 3}, a, 1}, {"b", 2, {4, 5}, b4, 1}};
    ak_gradcheck("matmul ta shared b", mm_fn, &u2, in2, 2, NULL);
    mm_user u3 = {false, false}; /* (2,4,3) @ shared (3,5): folded */
    ak_gradcheck_input in3[2] = {{"a", 3, {2, 4, 3}, a, 1}, {"b", 2, {3, 5}, bs, 1}};
    ak_gradcheck("matmul shared b", mm_fn, &u3, in3, 2, NULL);

    float x[3 * 6], w[4 * 6], bias[4];
    ak_test_fill_uniform(x, 18, 44, -1, 1);
    ak_test_fill_uniform(w, 24, 45, -1, 1);
    ak_test_fill_uniform(bias, 4, 46, -1, 1);
    ak_gradcheck_input inl[3] = {{"x", 2, {3, 6}, x, 1}, {"w", 2, {4, 6}, w, 1}, {"b", 1, {4}, bias, 1}};
    ak_gradcheck("linear", linear_fn, NULL, inl, 3, NULL);
}
END_TEST

START_TEST(linear_frozen_weight_and_accumulation) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const int64_t xs[2] = {3, 4}, wsz[2] = {2, 4}, bsz[1] = {2};
    float xv[12], wv[8], bv[2] = {0.5f, -0.5f};
    ak_test_fill_uniform(xv, 12, 51, -1, 1);
    ak_test_fill_uniform(wv, 8, 52, -1, 1);
    ak_tensor *x = ak_tensor_from(&ctx, 2, xs, xv), *w = ak_tensor_from(&ctx, 2, wsz, wv);
    ak_tensor *b = ak_tensor_from(&ctx, 1, bsz, bv);
    b->requires_grad = true;
    float *g0 = ak_grad_of(&ctx, b);
    g0[0] = 1.0f, g0[1] = 2.0f;
    ak_tensor *y = ak_linear(&ctx, x, w, b);
    float dy[6] = {1, 2, 3, 4, 5, 6};
    ck_assert_int_eq(ak_backward_from(&ctx, y, dy), AK_OK);
    ck_assert_ptr_null(x->grad);
    ck_assert_ptr_null(w->grad);
    ck_assert_float_eq(b->grad[0], 1.0f + 1 + 3 + 5); /* hand-computed column sums, added */
    ck_assert_float_eq(b->grad[1], 2.0f + 2 + 4 + 6);
    /* forward values by hand: y[r][o] = sum_i x[r][i] w[o][i] + b[o] */
    for (int r = 0; r < 3; r++)
        for (int o = 0; o < 2; o++) {
            double s = bv[o];
            for (int i = 0; i < 4; i++)
                s += (double)xv[r * 4 + i] * wv[o * 4 + i];
            ck_assert_float_eq_tol(y->data[r * 2 + o], (float)s, 1e-6f);
        }
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(sum_rows_thread_count_independent) {
    const int64_t rows = 300, n = 257;
    float *x = malloc(rows * n * sizeof(float));
    ak_test_fill_uniform(x, rows * n, 53, -1, 1);
    float *s[2];
    int t0 = omp_get_max_threads();
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        s[t] = calloc(n, sizeof(float));
        ak_cpu_sum_rows(s[t], x, rows, n);
    }
    omp_set_num_threads(t0);
    ak_assert_bitwise("sum_rows 1 vs 2 threads", s[0], s[1], n);
    double want = 0;
    for (int64_t r = 0; r < rows; r++)
        want += x[r * n + 7];
    ck_assert_float_eq_tol(s[0][7], (float)want, 1e-5f);
    free(s[0]), free(s[1]), free(x);
}
END_TEST

START_TEST(matmul_errors_name_op_and_shapes) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const int64_t sa[3] = {2, 3, 4}, sb[2] = {5, 6}, sc[3] = {3, 4, 6};
    ak_tensor *a = ak_tensor_zeros(&ctx, "a", 3, sa), *b = ak_tensor_zeros(&ctx, "b", 2, sb);
    ck_assert_ptr_null(ak_matmul(&ctx, a, b));
    ck_assert_int_eq(ctx.err.code, AK_ESHAPE);
    ck_assert_msg(strstr(ctx.err.msg, "matmul") && strstr(ctx.err.msg, "(2,3,4)") && strstr(ctx.err.msg, "(5,6)"),
                  "%s", ctx.err.msg);
    ak_ctx_clear_error(&ctx);
    ak_tensor *c = ak_tensor_zeros(&ctx, "c", 3, sc); /* batch 3 vs 2 */
    ck_assert_ptr_null(ak_matmul(&ctx, a, c));
    ck_assert_int_eq(ctx.err.code, AK_ESHAPE);
    ck_assert_msg(strstr(ctx.err.msg, "batch") && strstr(ctx.err.msg, "(2,3,4)") && strstr(ctx.err.msg, "(3,4,6)"),
                  "%s", ctx.err.msg);
    ak_ctx_clear_error(&ctx);
    const int64_t xs[2] = {3, 7}, ws[2] = {4, 8}, bsz[1] = {3};
    ak_tensor *x = ak_tensor_zeros(&ctx, "x", 2, xs), *w = ak_tensor_zeros(&ctx, "w", 2, ws);
    ck_assert_ptr_null(ak_linear(&ctx, x, w, NULL));
    ck_assert_int_eq(ctx.err.code, AK_ESHAPE);
    ck_assert_msg(strstr(ctx.err.msg, "linear") && strstr(ctx.err.msg, "(3,7)") && strstr(ctx.err.msg, "(4,8)"),
                  "%s", ctx.err.msg);
    ak_ctx_clear_error(&ctx);
    const int64_t xs2[2] = {3, 8};
    ak_tensor *x2 = ak_tensor_zeros(&ctx, "x", 2, xs2), *bb = ak_tensor_zeros(&ctx, "b", 1, bsz);
    ck_assert_ptr_null(ak_linear(&ctx, x2, w, bb));
    ck_assert_int_eq(ctx.err.code, AK_ESHAPE);
    ck_assert_msg(strstr(ctx.err.msg, "linear") && strstr(ctx.err.msg, "(3)") && strstr(ctx.err.msg, "(4,8)"), "%s",
                  ctx.err.msg);
    ak_ctx_free(&ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("matmul");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, matmul_matches_torch);
    tcase_add_test(tc, linear_matches_torch);
    tcase_add_test(tc, matmul_finite_differences);
    tcase_add_test(tc, linear_frozen_weight_and_accumulation);
    tcase_add_test(tc, sum_rows_thread_count_independent);
    tcase_add_test(tc, matmul_errors_name_op_and_shapes);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
