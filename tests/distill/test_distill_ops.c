/* The fused distillation ops against PyTorch (tools/fixtures/distill_ops.py): softmax_kl (CWD),
 * weighted_sq_err (MSE / MGD / FGD / MasKD), channel_standardize (PKD); finite differences,
 * thread-count independence and the shape / argument errors. */
#include <math.h>

#include "../engine/opstest.h"
#include "core/ops/softmax_kl.h"
#include "core/ops/sq_err.h"
#include "core/ops/standardize.h"

START_TEST(softmax_kl_matches_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "distill/ops.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int k = 0;
    for (; fx_has(&fx, "kl.%d.s", k); k++) {
        ak_tensor *s = fxt(&ctx, &fx, "kl.%d.s", k), *t = fxt(&ctx, &fx, "kl.%d.t", k);
        s->requires_grad = t->requires_grad = true;
        ak_tensor *o = ak_softmax_kl(&ctx, s, t, (float)fx_num(&fx, "kl.%d.tau", k));
        ck_assert_msg(o != NULL, "%s", ctx.err.msg);
        ck_assert_int_eq(o->numel, 1);
        ak_assert_close("softmax_kl value", o->data, fxt(&ctx, &fx, "kl.%d.out", k)->data, 1, 1e-5, 1e-7);
        float dy = (float)fx_num(&fx, "kl.%d.dy", k);
        ck_assert_int_eq(ak_backward_from(&ctx, o, &dy), AK_OK);
        assert_grad("softmax_kl ds", s, fxt(&ctx, &fx, "kl.%d.ds", k), 1e-4, 1e-7);
        assert_grad("softmax_kl dt", t, fxt(&ctx, &fx, "kl.%d.dt", k), 1e-4, 1e-7);
        ak_ctx_reset(&ctx);
    }
    ck_assert_int_eq(k, 4);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(sq_err_matches_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "distill/ops.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const char *names[5] = {"s", "t", "o", "w", "wc"};
    int k = 0;
    for (; fx_has(&fx, "sq.%d.s", k); k++) {
        ak_tensor *in[5] = {0};
        for (int i = 0; i < 5; i++)
            if (fx_has(&fx, "sq.%d.%s", k, names[i])) {
                in[i] = fxt(&ctx, &fx, "sq.%d.%s", k, names[i]);
                in[i]->requires_grad = true;
            }
        ak_tensor *o = ak_weighted_sq_err(&ctx, in[0], in[1], in[2], in[3], in[4]);
        ck_assert_msg(o != NULL, "%s", ctx.err.msg);
        ak_tensor *want = fxt(&ctx, &fx, "sq.%d.out", k);
        ck_assert_int_eq(o->numel, want->numel);
        ak_assert_close("weighted_sq_err value", o->data, want->data, o->numel, 1e-5, 1e-6);
        ck_assert_int_eq(ak_backward_from(&ctx, o, fxt(&ctx, &fx, "sq.%d.dy", k)->data), AK_OK);
        for (int i = 0; i < 5; i++)
            if (in[i]) {
                char what[64];
                snprintf(what, sizeof what, "weighted_sq_err case %d d%s", k, names[i]);
                assert_grad(what, in[i], fxt(&ctx, &fx, "sq.%d.d%s", k, names[i]), 1e-5, 1e-6);
            }
        ak_ctx_reset(&ctx);
    }
    ck_assert_int_eq(k, 5);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(standardize_matches_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "distill/ops.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int k = 0;
    for (; fx_has(&fx, "std.%d.x", k); k++) {
        ak_tensor *x = fxt(&ctx, &fx, "std.%d.x", k);
        x->requires_grad = true;
        ak_tensor *y = ak_channel_standardize(&ctx, x, (int)fx_num(&fx, "std.%d.ghost", k),
                                              fx_num(&fx, "std.%d.unbiased", k) != 0, (float)fx_num(&fx, "std.%d.eps", k));
        ck_assert_msg(y != NULL, "%s", ctx.err.msg);
        ak_assert_close("standardize y", y->data, fxt(&ctx, &fx, "std.%d.y", k)->data, y->numel, 1e-5, 1e-6);
        ck_assert_int_eq(ak_backward_from(&ctx, y, fxt(&ctx, &fx, "std.%d.dy", k)->data), AK_OK);
        assert_grad("standardize dx", x, fxt(&ctx, &fx, "std.%d.dx", k), 1e-4, 1e-5);
        ak_ctx_reset(&ctx);
    }
    ck_assert_int_eq(k, 4);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

static ak_tensor *kl_fn(ak_ctx *ctx, ak_tensor **in, void *user) {
    return ak_softmax_kl(ctx, in[0], in[1], *(const float *)user);
}

static ak_tensor *sq_fn(ak_ctx *ctx, ak_tensor **in, void *user) {
    (void)user;
    return ak_weighted_sq_err(ctx, in[0], in[1], in[2], in[3], in[4]);
}

static ak_tensor *std_fn(ak_ctx *ctx, ak_tensor **in, void *user) {
    return ak_channel_standardize(ctx, in[0], *(const int *)user, true, 1e-6f);
}

START_TEST(finite_differences) {
    float s[2 * 3 * 4 * 5], t[2 * 3 * 4 * 5], o[6], w[2 * 2 * 20], wc[6];
    ak_test_fill_uniform(s, 120, 1, -2, 2);
    ak_test_fill_uniform(t, 120, 2, -2, 2);
    ak_test_fill_uniform(o, 6, 3, -1, 1);
    ak_test_fill_uniform(w, 80, 4, 0, 2);
    ak_test_fill_uniform(wc, 6, 5, 0, 2);
    for (float tau = 0.5f; tau < 5.0f; tau *= 4.0f) {
        ak_gradcheck_input kin[2] = {{"s", 4, {2, 3, 4, 5}, s, 1}, {"t", 4, {2, 3, 4, 5}, t, 1}};
        ak_gradcheck("softmax_kl", kl_fn, &tau, kin, 2, NULL);
    }
    ak_gradcheck_input sin[5] = {{"s", 4, {2, 3, 4, 5}, s, 1}, {"t", 4, {2, 3, 4, 5}, t, 1},
                                 {"o", 4, {2, 3, 1, 1}, o, 1}, {"w", 3, {2, 2, 20}, w, 1}, {"wc", 2, {2, 3}, wc, 1}};
    /* quadratic in every operand: a larger step is exact and keeps float rounding of the ~100-sized
     * outputs out of the difference quotient */
    ak_gradcheck_opts big = {.eps = 2e-2};
    ak_gradcheck("weighted_sq_err", sq_fn, NULL, sin, 5, &big);
    int ghost = 1;
    ak_gradcheck_input xin[1] = {{"x", 4, {2, 3, 4, 5}, s, 1}};
    ak_gradcheck("channel_standardize", std_fn, &ghost, xin, 1, NULL);
}
END_TEST

START_TEST(thread_independent) {
    const int64_t shape[4] = {2, 32, 48, 40}, n = 2 * 32 * 48 * 40, K = 3;
    float *s = malloc(n * sizeof *s), *t = malloc(n * sizeof *t), *w = malloc(K * 2 * 48 * 40 * sizeof *w);
    ak_test_fill_uniform(s, n, 11, -3, 3);
    ak_test_fill_uniform(t, n, 12, -3, 3);
    ak_test_fill_uniform(w, K * 2 * 48 * 40, 13, 0, 1);
    float *r[2][6];
    for (int th = 0; th < 2; th++) {
        omp_set_num_threads(th + 1);
        ak_ctx ctx;
        ak_ctx_init(&ctx, 0, 0);
        ak_tensor *S = ak_tensor_from(&ctx, 4, shape, s), *T = ak_tensor_from(&ctx, 4, shape, t);
        int64_t ws[3] = {K, 2, 48 * 40};
        ak_tensor *W = ak_tensor_from(&ctx, 3, ws, w);
        S->requires_grad = T->requires_grad = W->requires_grad = true;
        ak_tensor *kl = ak_softmax_kl(&ctx, S, T, 2.0f);
        ak_tensor *sq = ak_weighted_sq_err(&ctx, S, T, NULL, W, NULL);
        ak_tensor *st = ak_channel_standardize(&ctx, S, 1, true, 1e-6f);
        float one = 1.0f, dy[3] = {0.3f, -1.0f, 2.0f};
        ck_assert_int_eq(ak_backward_from(&ctx, kl, &one), AK_OK);
        ck_assert_int_eq(ak_backward_from(&ctx, sq, dy), AK_OK);
        ck_assert_int_eq(ak_backward_from(&ctx, st, t), AK_OK);
        r[th][0] = dup_floats(kl->data, 1);
        r[th][1] = dup_floats(sq->data, K);
        r[th][2] = dup_floats(st->data, n);
        r[th][3] = dup_floats(S->grad, n);
        r[th][4] = dup_floats(T->grad, n);
        r[th][5] = dup_floats(W->grad, K * 2 * 48 * 40);
        ak_ctx_free(&ctx);
    }
    omp_set_num_threads(2);
    const int64_t len[6] = {1, K, n, n, n, K * 2 * 48 * 40};
    for (int i = 0; i < 6; i++) {
        ak_assert_bitwise("distill ops 1 vs 2 threads", r[0][i], r[1][i], len[i]);
        free(r[0][i]);
        free(r[1][i]);
    }
    free(s);
    free(t);
    free(w);
}
END_TEST

START_TEST(errors_name_op_and_shapes) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t a[4] = {2, 3, 4, 5}, b[4] = {2, 3, 4, 4}, c[2] = {2, 4};
    ak_tensor *x = ak_tensor_zeros(&ctx, "x", 4, a), *y = ak_tensor_zeros(&ctx, "y", 4, b);
    ak_tensor *z = ak_tensor_zeros(&ctx, "z", 2, c);
    ck_assert_ptr_null(ak_softmax_kl(&ctx, x, y, 1.0f));
    assert_error(&ctx, AK_ESHAPE, "softmax_kl", "(2,3,4,5)", "(2,3,4,4)", NULL);
    ck_assert_ptr_null(ak_softmax_kl(&ctx, x, x, 0.0f));
    assert_error(&ctx, AK_EINVAL, "softmax_kl", "temperature", NULL);
    ck_assert_ptr_null(ak_weighted_sq_err(&ctx, x, y, NULL, NULL, NULL));
    assert_error(&ctx, AK_ESHAPE, "weighted_sq_err", "(2,3,4,5)", "(2,3,4,4)", NULL);
    ck_assert_ptr_null(ak_weighted_sq_err(&ctx, x, x, z, NULL, NULL));
    assert_error(&ctx, AK_ESHAPE, "weighted_sq_err", "offset", "(2,4)", NULL);
    ck_assert_ptr_null(ak_weighted_sq_err(&ctx, x, x, NULL, z, NULL));
    assert_error(&ctx, AK_ESHAPE, "weighted_sq_err", "spatial weights", NULL);
    ck_assert_ptr_null(ak_weighted_sq_err(&ctx, x, x, NULL, NULL, z));
    assert_error(&ctx, AK_ESHAPE, "weighted_sq_err", "channel weights", NULL);
    int64_t one[4] = {3, 2, 1, 1};
    ak_tensor *u = ak_tensor_zeros(&ctx, "u", 4, one);
    ck_assert_ptr_null(ak_channel_standardize(&ctx, u, 2, true, 1e-6f));
    assert_error(&ctx, AK_ESHAPE, "channel_standardize", "(3,2,1,1)", "ghost batch 2", NULL);
    ck_assert_ptr_nonnull(ak_channel_standardize(&ctx, u, 0, true, 1e-6f));
    ak_ctx_free(&ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("distill_ops");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, softmax_kl_matches_torch);
    tcase_add_test(tc, sq_err_matches_torch);
    tcase_add_test(tc, standardize_matches_torch);
    tcase_add_test(tc, finite_differences);
    tcase_add_test(tc, thread_independent);
    tcase_add_test(tc, errors_name_op_and_shapes);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
