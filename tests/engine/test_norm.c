/* Normalisation ops (core/ops/norm.h): batch norm (train with running-stat update / eval / frozen),
 * group norm and layer norm against PyTorch fixtures (tools/fixtures/engine_norm.py), finite
 * differences, accuracy with a large mean, bitwise equality for 1 and 2 threads, error messages. */
#include <math.h>

#include "core/ops/norm.h"
#include "core/ops/shape.h"
#include "core/params.h"
#include "opstest.h"

/* Optional fixture tensor with requires_grad set (NULL when the case has none). */
static ak_tensor *opt_param(ak_ctx *ctx, const ak_safetensors *fx, const char *pfx, int k, const char *name) {
    if (!fx_has(fx, "%s.%d.%s", pfx, k, name))
        return NULL;
    ak_tensor *t = fxt(ctx, fx, "%s.%d.%s", pfx, k, name);
    t->requires_grad = true;
    return t;
}

static void check_outputs(ak_ctx *ctx, const ak_safetensors *fx, const char *pfx, int k, ak_tensor *y, ak_tensor *x,
                          ak_tensor *w, ak_tensor *b) {
    char what[64];
    ck_assert_msg(y != NULL, "%s.%d: %s", pfx, k, ctx->err.msg);
    snprintf(what, sizeof what, "%s case %d y", pfx, k);
    ak_assert_close(what, y->data, fxt(ctx, fx, "%s.%d.y", pfx, k)->data, y->numel, 1e-5, 2e-6);
    ck_assert_int_eq(ak_backward_from(ctx, y, fxt(ctx, fx, "%s.%d.dy", pfx, k)->data), AK_OK);
    snprintf(what, sizeof what, "%s case %d dx", pfx, k);
    assert_grad(what, x, fxt(ctx, fx, "%s.%d.dx", pfx, k), 1e-4, 2e-6);
    if (w) {
        snprintf(what, sizeof what, "%s case %d dw", pfx, k);
        assert_grad(what, w, fxt(ctx, fx, "%s.%d.dw", pfx, k), 1e-5, 2e-6);
        snprintf(what, sizeof what, "%s case %d db", pfx, k);
        assert_grad(what, b, fxt(ctx, fx, "%s.%d.db", pfx, k), 1e-5, 2e-6);
    }
}

START_TEST(batch_norm_matches_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/norm.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int k = 0;
    for (; fx_has(&fx, "bn.%d.x", k); k++) {
        ak_tensor *x = fxt(&ctx, &fx, "bn.%d.x", k);
        x->requires_grad = true;
        ak_tensor *w = opt_param(&ctx, &fx, "bn", k, "w"), *b = opt_param(&ctx, &fx, "bn", k, "b");
        ak_tensor *rm = fx_has(&fx, "bn.%d.rm", k) ? fxt(&ctx, &fx, "bn.%d.rm", k) : NULL;
        ak_tensor *rv = rm ? fxt(&ctx, &fx, "bn.%d.rv", k) : NULL;
        ak_bn_mode mode = fx_num(&fx, "bn.%d.mode", k) != 0 ? AK_BN_EVAL : AK_BN_TRAIN;
        ak_tensor *y = ak_batch_norm(&ctx, x, w, b, rm, rv, mode, (float)fx_num(&fx, "bn.%d.momentum", k),
                                     (float)fx_num(&fx, "bn.%d.eps", k));
        if (rm) { /* running statistics after the forward (unchanged in eval mode) */
            char what[64];
            snprintf(what, sizeof what, "bn case %d running_mean", k);
            ak_assert_close(what, rm->data, fxt(&ctx, &fx, "bn.%d.rm_after", k)->data, rm->numel, 1e-6, 1e-7);
            snprintf(what, sizeof what, "bn case %d running_var", k);
            ak_assert_close(what, rv->data, fxt(&ctx, &fx, "bn.%d.rv_after", k)->data, rv->numel, 1e-6, 1e-7);
        }
        check_outputs(&ctx, &fx, "bn", k, y, x, w, b);
        ak_ctx_reset(&ctx);
    }
    ck_assert_int_ge(k, 5);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(batch_norm_frozen_and_recording_off) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/norm.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    /* case 2 is eval mode with affine parameters: frozen must give the same y and dx, and leave the
     * (trainable!) parameters' gradients untouched */
    ak_tensor *x = fxt(&ctx, &fx, "bn.2.x");
    x->requires_grad = true;
    ak_tensor *fw = fxt(&ctx, &fx, "bn.2.w"), *fb = fxt(&ctx, &fx, "bn.2.b");
    int64_t C = fw->numel;
    ak_tensor *w = ak_params_add(&ps, "bn.weight", 1, &C, &err), *b = ak_params_add(&ps, "bn.bias", 1, &C, &err);
    ck_assert_ptr_nonnull(w);
    memcpy(w->data, fw->data, C * sizeof(float));
    memcpy(b->data, fb->data, C * sizeof(float));
    ak_tensor *rm = fxt(&ctx, &fx, "bn.2.rm"), *rv = fxt(&ctx, &fx, "bn.2.rv");
    ak_tensor *y = ak_batch_norm(&ctx, x, w, b, rm, rv, AK_BN_FROZEN, 0.1f, 1e-5f);
    ck_assert_ptr_nonnull(y);
    ak_assert_close("frozen y", y->data, fxt(&ctx, &fx, "bn.2.y")->data, y->numel, 1e-5, 2e-6);
    ck_assert_int_eq(ak_backward_from(&ctx, y, fxt(&ctx, &fx, "bn.2.dy")->data), AK_OK);
    assert_grad("frozen dx", x, fxt(&ctx, &fx, "bn.2.dx"), 1e-5, 2e-6);
    for (int64_t c = 0; c < C; c++)
        ck_assert_msg(w->grad[c] == 0.0f && b->grad[c] == 0.0f, "frozen BN touched the affine gradients");
    ak_ctx_reset(&ctx);

    /* training forward with recording off (teacher-style) still updates the running statistics */
    x = fxt(&ctx, &fx, "bn.0.x");
    rm = fxt(&ctx, &fx, "bn.0.rm");
    rv = fxt(&ctx, &fx, "bn.0.rv");
    bool old = ak_ctx_set_record(&ctx, false);
    y = ak_batch_norm(&ctx, x, fxt(&ctx, &fx, "bn.0.w"), fxt(&ctx, &fx, "bn.0.b"), rm, rv, AK_BN_TRAIN, 0.1f, 1e-5f);
    ak_ctx_set_record(&ctx, old);
    ck_assert_ptr_nonnull(y);
    ck_assert_int_eq(ctx.tape.n, 0);
    ak_assert_close("y, recording off", y->data, fxt(&ctx, &fx, "bn.0.y")->data, y->numel, 1e-5, 2e-6);
    ak_assert_close("running_mean, recording off", rm->data, fxt(&ctx, &fx, "bn.0.rm_after")->data, rm->numel, 1e-6, 1e-7);
    ak_assert_close("running_var, recording off", rv->data, fxt(&ctx, &fx, "bn.0.rv_after")->data, rv->numel, 1e-6, 1e-7);
    ak_params_free(&ps);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(group_and_layer_norm_match_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/norm.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int k = 0;
    for (; fx_has(&fx, "gn.%d.x", k); k++) {
        ak_tensor *x = fxt(&ctx, &fx, "gn.%d.x", k);
        x->requires_grad = true;
        ak_tensor *w = opt_param(&ctx, &fx, "gn", k, "w"), *b = opt_param(&ctx, &fx, "gn", k, "b");
        ak_tensor *y = ak_group_norm(&ctx, x, (int)fx_num(&fx, "gn.%d.groups", k), w, b, (float)fx_num(&fx, "gn.%d.eps", k));
        check_outputs(&ctx, &fx, "gn", k, y, x, w, b);
        ak_ctx_reset(&ctx);
    }
    ck_assert_int_ge(k, 4);
    for (k = 0; fx_has(&fx, "ln.%d.x", k); k++) {
        ak_tensor *x = fxt(&ctx, &fx, "ln.%d.x", k);
        x->requires_grad = true;
        ak_tensor *w = opt_param(&ctx, &fx, "ln", k, "w"), *b = opt_param(&ctx, &fx, "ln", k, "b");
        ak_tensor *y = ak_layer_norm(&ctx, x, (int)fx_num(&fx, "ln.%d.norm_dims", k), w, b,
                                     (float)fx_num(&fx, "ln.%d.eps", k));
        check_outputs(&ctx, &fx, "ln", k, y, x, w, b);
        ak_ctx_reset(&ctx);
    }
    ck_assert_int_ge(k, 3);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

/* Ghost batches: the same as batch norm on each group of samples, concatenated. */
START_TEST(ghost_batches_equal_per_group_batch_norm) {
    const int64_t s[4] = {5, 3, 2, 2}, n = 60, C = 3;
    float xv[60], dy[60], w[3] = {0.8f, 1.2f, 1.0f}, b[3] = {0.1f, -0.2f, 0.3f};
    ak_test_fill_uniform(xv, n, 121, -2, 2);
    ak_test_fill_uniform(dy, n, 122, -1, 1);
    float *res[2][6];
    for (int way = 0; way < 2; way++) {
        ak_ctx ctx;
        ak_ctx_init(&ctx, 0, 0);
        ak_tensor *x = ak_tensor_from(&ctx, 4, s, xv), *W = ak_tensor_from(&ctx, 1, &C, w),
                  *B = ak_tensor_from(&ctx, 1, &C, b);
        ak_tensor *rm = ak_tensor_zeros(&ctx, "rm", 1, &C), *rv = ak_tensor_zeros(&ctx, "rv", 1, &C);
        for (int c = 0; c < 3; c++)
            rv->data[c] = 1.0f;
        x->requires_grad = W->requires_grad = B->requires_grad = true;
        ak_tensor *y;
        if (way == 0) {
            y = ak_batch_norm_ghost(&ctx, x, 2, W, B, rm, rv, 0.1f, 1e-5f);
        } else { /* groups {0,1}, {2,3}, {4} */
            ak_tensor *parts[3];
            for (int g = 0; g < 3; g++)
                parts[g] = ak_batch_norm(&ctx, ak_slice(&ctx, x, 0, 2 * g, g == 2 ? 5 : 2 * g + 2, 1), W, B, rm, rv,
                                         AK_BN_TRAIN, 0.1f, 1e-5f);
            y = ak_concat(&ctx, parts, 3, 0);
        }
        ck_assert_msg(y != NULL, "%s", ctx.err.msg);
        ck_assert_int_eq(ak_backward_from(&ctx, y, dy), AK_OK);
        res[way][0] = dup_floats(y->data, n);
        res[way][1] = dup_floats(x->grad, n);
        res[way][2] = dup_floats(W->grad, C);
        res[way][3] = dup_floats(B->grad, C);
        res[way][4] = dup_floats(rm->data, C);
        res[way][5] = dup_floats(rv->data, C);
        ak_ctx_free(&ctx);
    }
    ak_assert_bitwise("ghost y", res[0][0], res[1][0], n);
    ak_assert_bitwise("ghost dx", res[0][1], res[1][1], n);
    ak_assert_close("ghost dw", res[0][2], res[1][2], C, 1e-6, 1e-7);
    ak_assert_close("ghost db", res[0][3], res[1][3], C, 1e-6, 1e-7);
    ak_assert_bitwise("ghost running_mean", res[0][4], res[1][4], C);
    ak_assert_bitwise("ghost running_var", res[0][5], res[1][5], C);
    for (int way = 0; way < 2; way++)
        for (int i = 0; i < 6; i++)
            free(res[way][i]);
}
END_TEST

/* ---- finite differences ---- */

typedef struct norm_case {
    int kind; /* 0 BN train affine, 1 BN train plain, 2 BN eval, 3 GN, 4 LN([C,1,1]), 5 LN(last dim),
               * 6 BN ghost batches of 2 */
} norm_case;

static ak_tensor *norm_fn(ak_ctx *ctx, ak_tensor **in, void *user) {
    const norm_case *c = user;
    switch (c->kind) {
    case 0: return ak_batch_norm(ctx, in[0], in[1], in[2], NULL, NULL, AK_BN_TRAIN, 0.1f, 1e-5f);
    case 1: return ak_batch_norm(ctx, in[0], NULL, NULL, NULL, NULL, AK_BN_TRAIN, 0.1f, 1e-5f);
    case 2: return ak_batch_norm(ctx, in[0], in[1], in[2], in[3], in[4], AK_BN_EVAL, 0.1f, 1e-5f);
    case 3: return ak_group_norm(ctx, in[0], 2, in[1], in[2], 1e-5f);
    case 6: return ak_batch_norm_ghost(ctx, in[0], 2, in[1], in[2], NULL, NULL, 0.1f, 1e-5f);
    default: return ak_layer_norm(ctx, in[0], c->kind == 4 ? 3 : 1, in[1], in[2], 1e-5f);
    }
}

START_TEST(finite_differences) {
    float x[72], w[6], b[6], rm[6], rv[6];
    ak_test_fill_uniform(x, 72, 91, -2, 2);
    ak_test_fill_uniform(w, 6, 92, 0.5f, 1.5f);
    ak_test_fill_uniform(b, 6, 93, -1, 1);
    ak_test_fill_uniform(rm, 6, 94, -0.5f, 0.5f);
    ak_test_fill_uniform(rv, 6, 95, 0.5f, 1.5f);
    static const char *names[] = {"BN train", "BN train affine-free", "BN eval", "GN", "LN([C,1,1])", "LN(last)",
                                  "BN ghost"};
    for (int kind = 0; kind < 7; kind++) {
        norm_case c = {kind};
        ak_gradcheck_input in[5] = {
            {"x", 4, {3, 6, 2, 2}, x, 1}, {"w", 1, {6}, w, 1}, {"b", 1, {6}, b, 1},
            {"rm", 1, {6}, rm, 0},        {"rv", 1, {6}, rv, 0},
        };
        if (kind == 4) { /* x (12,6,1,1), weight (6,1,1) */
            in[0] = (ak_gradcheck_input){"x", 4, {12, 6, 1, 1}, x, 1};
            in[1] = (ak_gradcheck_input){"w", 3, {6, 1, 1}, w, 1};
            in[2] = (ak_gradcheck_input){"b", 3, {6, 1, 1}, b, 1};
        } else if (kind == 5) { /* x (12,6), weight (6) */
            in[0] = (ak_gradcheck_input){"x", 2, {12, 6}, x, 1};
        }
        ak_gradcheck(names[kind], norm_fn, &c, in, kind == 2 ? 5 : (kind == 1 ? 1 : 3), NULL);
    }
}
END_TEST

START_TEST(batch_norm_accurate_with_large_mean) {
    /* x = 100 + U(-1, 1): one-pass statistics must not lose the variance to cancellation */
    const int64_t s[4] = {4, 8, 16, 16}, n = 4 * 8 * 256, S = 256;
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_tensor *x = ak_tensor_new(&ctx, "x", 4, s);
    ak_test_fill_uniform(x->data, n, 101, 99, 101);
    ak_tensor *y = ak_batch_norm(&ctx, x, NULL, NULL, NULL, NULL, AK_BN_TRAIN, 0.1f, 1e-5f);
    ck_assert_ptr_nonnull(y);
    for (int c = 0; c < 8; c++) {
        double m = 0, v = 0;
        for (int nn = 0; nn < 4; nn++)
            for (int i = 0; i < S; i++)
                m += x->data[(nn * 8 + c) * S + i];
        m /= 4 * S;
        for (int nn = 0; nn < 4; nn++)
            for (int i = 0; i < S; i++) {
                double d = x->data[(nn * 8 + c) * S + i] - m;
                v += d * d;
            }
        v /= 4 * S;
        for (int nn = 0; nn < 4; nn++)
            for (int i = 0; i < S; i++) {
                int64_t j = (nn * 8 + c) * S + i;
                double want = (x->data[j] - m) / sqrt(v + 1e-5);
                ck_assert_msg(fabs(y->data[j] - want) < 2e-5, "y[%lld] = %.7g, want %.7g", (long long)j, y->data[j], want);
            }
    }
    ak_ctx_free(&ctx);
}
END_TEST

/* ---- 1 vs 2 threads ---- */

START_TEST(statistics_thread_independent) {
    const int64_t s[4] = {2, 64, 48, 48}, n = 2 * 64 * 48 * 48, C = 64;
    float *x = malloc(n * sizeof *x), *dy = malloc(n * sizeof *dy), w[64], b[64];
    ak_test_fill_uniform(x, n, 111, -1, 3);
    ak_test_fill_uniform(dy, n, 112, -1, 1);
    ak_test_fill_uniform(w, 64, 113, 0.5f, 1.5f);
    ak_test_fill_uniform(b, 64, 114, -1, 1);
    enum { NRES = 12 };
    float *r[2][NRES];
    int64_t len[NRES];
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        ak_ctx ctx;
        ak_ctx_init(&ctx, 0, 0);
        int i = 0;
        for (int kind = 0; kind < 3; kind++) { /* BN train, GN(32), LN over (C,H,W) */
            ak_tensor *X = ak_tensor_from(&ctx, 4, s, x), *W = ak_tensor_from(&ctx, 1, &C, w),
                      *B = ak_tensor_from(&ctx, 1, &C, b);
            X->requires_grad = W->requires_grad = B->requires_grad = true;
            ak_tensor *rm = ak_tensor_zeros(&ctx, "rm", 1, &C), *rv = ak_tensor_zeros(&ctx, "rv", 1, &C);
            ak_tensor *y = kind == 0   ? ak_batch_norm(&ctx, X, W, B, rm, rv, AK_BN_TRAIN, 0.1f, 1e-5f)
                           : kind == 1 ? ak_group_norm(&ctx, X, 32, W, B, 1e-5f)
                                       : ak_layer_norm(&ctx, X, 3, NULL, NULL, 1e-5f);
            ck_assert_msg(y != NULL, "%s", ctx.err.msg);
            ck_assert_int_eq(ak_backward_from(&ctx, y, dy), AK_OK);
            len[i] = n, r[t][i++] = dup_floats(y->data, n);
            len[i] = n, r[t][i++] = dup_floats(X->grad, n);
            if (kind < 2) {
                len[i] = C, r[t][i++] = dup_floats(W->grad, C);
                len[i] = C, r[t][i++] = dup_floats(B->grad, C);
            }
            if (kind == 0) {
                len[i] = C, r[t][i++] = dup_floats(rm->data, C);
                len[i] = C, r[t][i++] = dup_floats(rv->data, C);
            }
            ak_ctx_reset(&ctx);
        }
        ck_assert_int_eq(i, NRES);
        ak_ctx_free(&ctx);
    }
    omp_set_num_threads(2);
    for (int i = 0; i < NRES; i++) {
        char what[64];
        snprintf(what, sizeof what, "norm result %d: 1 vs 2 threads", i);
        ak_assert_bitwise(what, r[0][i], r[1][i], len[i]);
        free(r[0][i]);
        free(r[1][i]);
    }
    free(x);
    free(dy);
}
END_TEST

START_TEST(errors_name_op_and_shapes) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t s[4] = {2, 3, 4, 5}, c4 = 4, c3 = 3, one[4] = {1, 3, 1, 1}, g[4] = {2, 8, 3, 3}, l[4] = {2, 6, 1, 1};
    ak_tensor *x = ak_tensor_zeros(&ctx, "x", 4, s), *v4 = ak_tensor_zeros(&ctx, "v4", 1, &c4),
              *v3 = ak_tensor_zeros(&ctx, "v3", 1, &c3);
    ck_assert_ptr_null(ak_batch_norm(&ctx, x, v4, NULL, NULL, NULL, AK_BN_TRAIN, 0.1f, 1e-5f));
    assert_error(&ctx, AK_ESHAPE, "batch_norm: weight has shape (4), expected (3) for input (2,3,4,5)", NULL);
    ck_assert_ptr_null(ak_batch_norm(&ctx, x, v3, v3, v3, v4, AK_BN_TRAIN, 0.1f, 1e-5f));
    assert_error(&ctx, AK_ESHAPE, "batch_norm: running_var has shape (4)", NULL);
    ck_assert_ptr_null(ak_batch_norm(&ctx, x, NULL, NULL, NULL, NULL, AK_BN_EVAL, 0.1f, 1e-5f));
    assert_error(&ctx, AK_EINVAL, "batch_norm", "eval mode needs running_mean", NULL);
    ck_assert_ptr_null(ak_batch_norm(&ctx, x, NULL, NULL, v3, NULL, AK_BN_TRAIN, 0.1f, 1e-5f));
    assert_error(&ctx, AK_EINVAL, "batch_norm", "together", NULL);
    ck_assert_ptr_null(ak_batch_norm(&ctx, ak_tensor_zeros(&ctx, "x1", 4, one), NULL, NULL, NULL, NULL, AK_BN_TRAIN,
                                     0.1f, 1e-5f));
    assert_error(&ctx, AK_ESHAPE, "batch_norm", "more than 1 value per channel", "(1,3,1,1)", NULL);
    ck_assert_ptr_null(ak_batch_norm(&ctx, v3, NULL, NULL, NULL, NULL, AK_BN_TRAIN, 0.1f, 1e-5f));
    assert_error(&ctx, AK_ESHAPE, "batch_norm", "(3)", NULL);
    ck_assert_ptr_null(ak_batch_norm(&ctx, x, NULL, NULL, NULL, NULL, AK_BN_TRAIN, 1.5f, 1e-5f));
    assert_error(&ctx, AK_EINVAL, "batch_norm", "momentum", NULL);
    int64_t s3[4] = {3, 2, 1, 1};
    ck_assert_ptr_null(ak_batch_norm_ghost(&ctx, ak_tensor_zeros(&ctx, "x3", 4, s3), 2, NULL, NULL, NULL, NULL, 0.1f,
                                           1e-5f));
    assert_error(&ctx, AK_ESHAPE, "batch_norm_ghost", "in every ghost batch", "(3,2,1,1)", NULL);
    ck_assert_ptr_null(ak_group_norm(&ctx, ak_tensor_zeros(&ctx, "g", 4, g), 5, NULL, NULL, 1e-5f));
    assert_error(&ctx, AK_ESHAPE, "group_norm: 5 groups do not divide the 8 channels of input (2,8,3,3)", NULL);
    ck_assert_ptr_null(ak_group_norm(&ctx, ak_tensor_zeros(&ctx, "g", 4, g), 4, v3, NULL, 1e-5f));
    assert_error(&ctx, AK_ESHAPE, "group_norm: weight has shape (3), expected (8)", NULL);
    ak_tensor *lx = ak_tensor_zeros(&ctx, "l", 4, l);
    int64_t c6 = 6;
    ck_assert_ptr_null(ak_layer_norm(&ctx, lx, 3, ak_tensor_zeros(&ctx, "w6", 1, &c6), NULL, 1e-5f));
    assert_error(&ctx, AK_ESHAPE, "layer_norm: weight has shape (6), expected the last 3 dims of input (2,6,1,1)", NULL);
    ck_assert_ptr_null(ak_layer_norm(&ctx, lx, 5, NULL, NULL, 1e-5f));
    assert_error(&ctx, AK_EINVAL, "layer_norm: norm_dims 5", "(2,6,1,1)", NULL);
    ak_ctx_free(&ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("norm");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, batch_norm_matches_torch);
    tcase_add_test(tc, batch_norm_frozen_and_recording_off);
    tcase_add_test(tc, ghost_batches_equal_per_group_batch_norm);
    tcase_add_test(tc, group_and_layer_norm_match_torch);
    tcase_add_test(tc, finite_differences);
    tcase_add_test(tc, batch_norm_accurate_with_large_mean);
    tcase_add_test(tc, statistics_thread_independent);
    tcase_add_test(tc, errors_name_op_and_shapes);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
