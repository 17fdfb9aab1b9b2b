/* conv2d: forward and backward (dx, dw, db) against PyTorch fixtures over eleven configurations
 * (stride 2, padding, dilation 2, groups 2, 1x1, the 7x7/2 stem, non-square, multi-block), through
 * the op (the implicit-GEMM kernels on AVX-512 CPUs) and through the OpenBLAS path with tiny
 * tiles; finite differences; the gradient contract; determinism (run to run, and 1 vs 2 threads for
 * everything we sum ourselves); the error messages. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aktest.h"
#include "core/cpu/conv2d.h"
#include "core/cpu/conv2d_igemm.h"
#include "core/cpu/conv2d_im2col.h"
#include "core/ops/conv2d.h"

/* float32 tolerances: sums of at most a few hundred products of values in [-1, 1]. */
#define RTOL 1e-4
#define ATOL 2e-5

typedef struct cfg {
    ak_conv2d_params p;
    int has_bias;
} cfg;

static cfg read_cfg(const ak_safetensors *fx, int k) {
    char key[64];
    snprintf(key, sizeof key, "cfg%d.params", k);
    int64_t v[8];
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_safetensors_read_i64(fx, key, v, 8, &err) == AK_OK, "%s", err.msg);
    cfg c = {{{(int)v[0], (int)v[1]}, {(int)v[2], (int)v[3]}, {(int)v[4], (int)v[5]}, (int)v[6]}, (int)v[7]};
    return c;
}

static ak_tensor *fx_get(ak_ctx *ctx, const ak_safetensors *fx, int k, const char *name) {
    char key[64];
    snprintf(key, sizeof key, "cfg%d.%s", k, name);
    return ak_fixture_tensor(ctx, fx, key);
}

static void check(int k, const char *what, const float *got, const ak_tensor *want) {
    char label[64];
    snprintf(label, sizeof label, "cfg%d %s", k, what);
    ak_assert_close(label, got, want->data, want->numel, RTOL, ATOL);
}

START_TEST(conv2d_matches_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/conv2d.safetensors");
    int n_cfg = (int)ak_fixture_scalar(&fx, "n_cfg");
    ck_assert_int_ge(n_cfg, 11);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    for (int k = 0; k < n_cfg; k++) {
        cfg c = read_cfg(&fx, k);
        ak_tensor *x = fx_get(&ctx, &fx, k, "x"), *w = fx_get(&ctx, &fx, k, "w");
        ak_tensor *b = c.has_bias ? fx_get(&ctx, &fx, k, "b") : NULL;
        x->requires_grad = w->requires_grad = true;
        if (b)
            b->requires_grad = true;
        ak_tensor *y = ak_conv2d(&ctx, x, w, b, &c.p);
        ck_assert_msg(y != NULL, "cfg%d: %s", k, ctx.err.msg);
        ak_tensor *want_y = fx_get(&ctx, &fx, k, "y");
        ck_assert_msg(ak_same_shape(y, want_y), "cfg%d: output shape", k);
        check(k, "y", y->data, want_y);
        ak_tensor *dy = fx_get(&ctx, &fx, k, "dy");
        ck_assert_int_eq(ak_backward_from(&ctx, y, dy->data), AK_OK);
        check(k, "dx", x->grad, fx_get(&ctx, &fx, k, "dx"));
        check(k, "dw", w->grad, fx_get(&ctx, &fx, k, "dw"));
        if (b)
            check(k, "db", b->grad, fx_get(&ctx, &fx, k, "db"));
        ak_ctx_reset(&ctx);
    }
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

static int64_t ws_floats(const ak_conv2d_geom *g) {
    int64_t f = ak_cpu_conv2d_fwd_ws_floats(g), b = ak_cpu_conv2d_bwd_ws_floats(g);
    return (f > b ? f : b) + 1;
}

/* Both implementations, and the OpenBLAS one with tile budgets from one output row per tile
 * upwards, must give the (torch) values: exercises the tile boundaries that the small fixtures
 * never reach by default, and the im2col path on machines where the op picks the implicit GEMM. */
START_TEST(conv2d_tiled_kernels_match_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/conv2d.safetensors");
    int n_cfg = (int)ak_fixture_scalar(&fx, "n_cfg");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const int64_t budgets[4] = {1, 100, 700, 0};
    const int impls[4] = {AK_CONV2D_IMPL_BLAS, AK_CONV2D_IMPL_BLAS, AK_CONV2D_IMPL_BLAS, AK_CONV2D_IMPL_AUTO};
    for (int k = 0; k < n_cfg; k++) {
        cfg c = read_cfg(&fx, k);
        ak_tensor *x = fx_get(&ctx, &fx, k, "x"), *w = fx_get(&ctx, &fx, k, "w");
        ak_tensor *b = c.has_bias ? fx_get(&ctx, &fx, k, "b") : NULL;
        ak_tensor *want_y = fx_get(&ctx, &fx, k, "y"), *dy = fx_get(&ctx, &fx, k, "dy");
        ak_tensor *want_dx = fx_get(&ctx, &fx, k, "dx"), *want_dw = fx_get(&ctx, &fx, k, "dw");
        for (int bi = 0; bi < 4; bi++) {
            ak_conv2d_geom g = {x->shape[0], x->shape[1], x->shape[2], x->shape[3], w->shape[0], w->shape[2],
                                w->shape[3], 0, 0, c.p.stride[0], c.p.stride[1], c.p.padding[0], c.p.padding[1],
                                c.p.dilation[0], c.p.dilation[1], c.p.groups, budgets[bi], impls[bi]};
            ck_assert(ak_cpu_conv2d_out_size(&g));
            float *ws = malloc((size_t)ws_floats(&g) * sizeof(float));
            float *y = malloc((size_t)want_y->numel * sizeof(float));
            float *dx = calloc((size_t)x->numel, sizeof(float)), *dw = calloc((size_t)w->numel, sizeof(float));
            ak_cpu_conv2d_fwd(y, x->data, w->data, b ? b->data : NULL, &g, ws);
            check(k, "tiled y", y, want_y);
            ak_cpu_conv2d_bwd(dx, dw, dy->data, x->data, w->data, &g, ws);
            check(k, "tiled dx", dx, want_dx);
            check(k, "tiled dw", dw, want_dw);
            free(ws), free(y), free(dx), free(dw);
        }
        ak_ctx_reset(&ctx);
    }
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

typedef struct gc_user {
    ak_conv2d_params p;
    int has_bias;
} gc_user;

static ak_tensor *conv_fn(ak_ctx *ctx, ak_tensor **in, void *user) {
    gc_user *u = user;
    return ak_conv2d(ctx, in[0], in[1], u->has_bias ? in[2] : NULL, &u->p);
}

START_TEST(conv2d_finite_differences) {
    /* stride 2, padding 1, bias */
    float x[2 * 2 * 5 * 6], w[3 * 2 * 3 * 3], b[3];
    ak_test_fill_uniform(x, 120, 11, -1, 1);
    ak_test_fill_uniform(w, 54, 12, -1, 1);
    ak_test_fill_uniform(b, 3, 13, -1, 1);
    gc_user u = {ak_conv2d_sq(2, 1, 1, 1), 1};
    ak_gradcheck_input in[3] = {{"x", 4, {2, 2, 5, 6}, x, 1}, {"w", 4, {3, 2, 3, 3}, w, 1}, {"b", 1, {3}, b, 1}};
    ak_gradcheck("conv2d stride 2 pad 1", conv_fn, &u, in, 3, NULL);

    /* groups 2, dilation 2, non-square stride and padding, no bias */
    float x2[1 * 4 * 7 * 6], w2[4 * 2 * 2 * 3];
    ak_test_fill_uniform(x2, 168, 14, -1, 1);
    ak_test_fill_uniform(w2, 48, 15, -1, 1);
    gc_user u2 = {{{1, 2}, {2, 1}, {2, 2}, 2}, 0};
    ak_gradcheck_input in2[2] = {{"x", 4, {1, 4, 7, 6}, x2, 1}, {"w", 4, {4, 2, 2, 3}, w2, 1}};
    ak_gradcheck("conv2d groups 2 dilation 2", conv_fn, &u2, in2, 2, NULL);
}
END_TEST

/* Parameter grads accumulate (+=), frozen weights and non-trainable inputs get no gradient. */
START_TEST(conv2d_gradient_contract) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const int64_t xs[4] = {1, 2, 4, 4}, wsz[4] = {3, 2, 3, 3};
    float xv[32], wv[54];
    ak_test_fill_uniform(xv, 32, 21, -1, 1);
    ak_test_fill_uniform(wv, 54, 22, -1, 1);
    ak_tensor *x = ak_tensor_from(&ctx, 4, xs, xv), *w = ak_tensor_from(&ctx, 4, wsz, wv);
    w->requires_grad = true;
    ak_conv2d_params p = ak_conv2d_sq(1, 1, 1, 1);
    ak_tensor *y = ak_conv2d(&ctx, x, w, NULL, &p);
    ck_assert_ptr_nonnull(y);
    float dy[48];
    ak_test_fill_uniform(dy, 48, 23, -1, 1);
    ck_assert_int_eq(ak_backward_from(&ctx, y, dy), AK_OK);
    ck_assert_ptr_null(x->grad); /* x does not require a gradient: untouched */
    float once[54];
    memcpy(once, w->grad, sizeof once);
    /* a weight whose grad already holds values gets the contribution added */
    ak_ctx_reset(&ctx);
    x = ak_tensor_from(&ctx, 4, xs, xv), w = ak_tensor_from(&ctx, 4, wsz, wv);
    w->requires_grad = true;
    float *g0 = ak_grad_of(&ctx, w);
    for (int i = 0; i < 54; i++)
        g0[i] = 0.5f;
    y = ak_conv2d(&ctx, x, w, NULL, &p);
    ck_assert_int_eq(ak_backward_from(&ctx, y, dy), AK_OK);
    for (int i = 0; i < 54; i++)
        ck_assert_float_eq_tol(w->grad[i], 0.5f + once[i], 1e-5f * (1.0f + fabsf(once[i])));
    /* frozen weight (teacher): x gets a gradient, the weight none */
    ak_ctx_reset(&ctx);
    x = ak_tensor_from(&ctx, 4, xs, xv), w = ak_tensor_from(&ctx, 4, wsz, wv);
    x->requires_grad = true;
    y = ak_conv2d(&ctx, x, w, NULL, &p);
    ck_assert_int_eq(ak_backward_from(&ctx, y, dy), AK_OK);
    ck_assert_ptr_nonnull(x->grad);
    ck_assert_ptr_null(w->grad);
    ak_ctx_free(&ctx);
}
END_TEST

/* Run twice with the same thread count: bitwise identical. Our own reductions (col2im, bias) are
 * also bitwise identical with 1 and 2 threads. */
START_TEST(conv2d_deterministic) {
    ak_conv2d_geom g = {2, 6, 19, 17, 8, 3, 3, 0, 0, 2, 1, 1, 1, 1, 1, 1, 0, AK_CONV2D_IMPL_AUTO};
    ck_assert(ak_cpu_conv2d_out_size(&g));
    int64_t nx = g.n * g.c * g.h * g.w, nw = g.o * g.c * g.kh * g.kw, ny = g.n * g.o * g.ho * g.wo;
    float *x = malloc(nx * sizeof(float)), *w = malloc(nw * sizeof(float)), *dy = malloc(ny * sizeof(float));
    ak_test_fill_uniform(x, nx, 31, -1, 1);
    ak_test_fill_uniform(w, nw, 32, -1, 1);
    ak_test_fill_uniform(dy, ny, 33, -1, 1);
    float *ws = malloc(ws_floats(&g) * sizeof(float));
    float *res[2][4];
    for (int run = 0; run < 2; run++) {
        float *y = malloc(ny * sizeof(float)), *dx = calloc(nx, sizeof(float)), *dw = calloc(nw, sizeof(float));
        float *db = calloc(g.o, sizeof(float));
        ak_cpu_conv2d_fwd(y, x, w, NULL, &g, ws);
        ak_cpu_conv2d_bwd(dx, dw, dy, x, w, &g, ws);
        ak_cpu_conv2d_bwd_bias(db, dy, &g);
        res[run][0] = y, res[run][1] = dx, res[run][2] = dw, res[run][3] = db;
    }
    ak_assert_bitwise("y run to run", res[0][0], res[1][0], ny);
    ak_assert_bitwise("dx run to run", res[0][1], res[1][1], nx);
    ak_assert_bitwise("dw run to run", res[0][2], res[1][2], nw);
    ak_assert_bitwise("db run to run", res[0][3], res[1][3], g.o);
    /* col2im and the bias reduction with 1 vs 2 threads */
    int64_t ncol = g.c * g.kh * g.kw * g.ho * g.wo;
    float *col = malloc(ncol * sizeof(float));
    ak_test_fill_uniform(col, ncol, 34, -1, 1);
    float *acc[2], *dbt[2];
    int threads0 = omp_get_max_threads();
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        acc[t] = calloc(g.c * g.h * g.w, sizeof(float));
        dbt[t] = calloc(g.o, sizeof(float));
        ak_cpu_col2im_rows(acc[t], col, &g, 0, g.ho);
        ak_cpu_conv2d_bwd_bias(dbt[t], dy, &g);
    }
    omp_set_num_threads(threads0);
    ak_assert_bitwise("col2im 1 vs 2 threads", acc[0], acc[1], g.c * g.h * g.w);
    ak_assert_bitwise("bias grad 1 vs 2 threads", dbt[0], dbt[1], g.o);
    for (int run = 0; run < 2; run++)
        for (int i = 0; i < 4; i++)
            free(res[run][i]);
    free(acc[0]), free(acc[1]), free(dbt[0]), free(dbt[1]), free(col);
    free(x), free(w), free(dy), free(ws);
}
END_TEST

/* The implicit-GEMM path (forward, weight gradient, and the data gradient of stride-1
 * convolutions) is bitwise identical with 1 and 2 threads: every output element has one fixed
 * FMA sequence. */
static void check_thread_independence(ak_conv2d_geom g, const char *what) {
    ck_assert(ak_cpu_conv2d_out_size(&g));
    int64_t nx = g.n * g.c * g.h * g.w, nw = g.o * (g.c / g.groups) * g.kh * g.kw, ny = g.n * g.o * g.ho * g.wo;
    float *x = malloc(nx * sizeof(float)), *w = malloc(nw * sizeof(float)), *b = malloc(g.o * sizeof(float));
    float *dy = malloc(ny * sizeof(float));
    ak_test_fill_uniform(x, nx, 35, -1, 1);
    ak_test_fill_uniform(w, nw, 36, -1, 1);
    ak_test_fill_uniform(b, g.o, 37, -1, 1);
    ak_test_fill_uniform(dy, ny, 38, -1, 1);
    float *y[2], *dx[2], *dw[2];
    int t0 = omp_get_max_threads();
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        float *ws = malloc(ws_floats(&g) * sizeof(float));
        y[t] = malloc(ny * sizeof(float));
        dx[t] = calloc(nx, sizeof(float));
        dw[t] = calloc(nw, sizeof(float));
        ak_cpu_conv2d_fwd(y[t], x, w, b, &g, ws);
        ak_cpu_conv2d_bwd(dx[t], dw[t], dy, x, w, &g, ws);
        free(ws);
    }
    omp_set_num_threads(t0);
    char label[96];
    snprintf(label, sizeof label, "%s: forward 1 vs 2 threads", what);
    ak_assert_bitwise(label, y[0], y[1], ny);
    snprintf(label, sizeof label, "%s: data gradient 1 vs 2 threads", what);
    ak_assert_bitwise(label, dx[0], dx[1], nx);
    snprintf(label, sizeof label, "%s: weight gradient 1 vs 2 threads", what);
    ak_assert_bitwise(label, dw[0], dw[1], nw);
    free(y[0]), free(y[1]), free(dx[0]), free(dx[1]), free(dw[0]), free(dw[1]), free(x), free(w), free(b), free(dy);
}

START_TEST(conv2d_implicit_gemm_thread_count_independent) {
    if (!ak_cpu_conv2d_igemm_supported())
        return; /* nothing to check on CPUs without AVX-512: the OpenBLAS path is used */
    ak_conv2d_geom s1 = {2, 12, 23, 29, 20, 3, 3, 0, 0, 1, 1, 1, 1, 1, 1, 2, 0, AK_CONV2D_IMPL_AUTO};
    check_thread_independence(s1, "3x3 stride 1, groups 2");
    ak_conv2d_geom stem = {2, 3, 37, 41, 16, 7, 7, 0, 0, 2, 2, 3, 3, 1, 1, 1, 0, AK_CONV2D_IMPL_AUTO};
    check_thread_independence(stem, "7x7 stride 2");
    /* small dW, long reduction: the weight gradient is split into segments across images */
    ak_conv2d_geom split = {2, 3, 48, 48, 8, 3, 3, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, AK_CONV2D_IMPL_AUTO};
    check_thread_independence(split, "reduction split");
    ak_conv2d_geom kblocks = {2, 48, 9, 10, 24, 3, 3, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, AK_CONV2D_IMPL_AUTO};
    check_thread_independence(kblocks, "two K blocks");
}
END_TEST

static void compare_with_blas(ak_conv2d_geom g, const char *what) {
    ck_assert(ak_cpu_conv2d_out_size(&g));
    ak_conv2d_geom gb = g;
    gb.impl = AK_CONV2D_IMPL_BLAS;
    int64_t nx = g.n * g.c * g.h * g.w, nw = g.o * (g.c / g.groups) * g.kh * g.kw, ny = g.n * g.o * g.ho * g.wo;
    float *x = malloc(nx * sizeof(float)), *w = malloc(nw * sizeof(float)), *b = malloc(g.o * sizeof(float));
    float *dy = malloc(ny * sizeof(float));
    ak_test_fill_uniform(x, nx, 91, -1, 1);
    ak_test_fill_uniform(w, nw, 92, -1, 1);
    ak_test_fill_uniform(b, g.o, 93, -1, 1);
    ak_test_fill_uniform(dy, ny, 94, -1, 1);
    float *res[2][3];
    const ak_conv2d_geom *gs[2] = {&g, &gb};
    for (int v = 0; v < 2; v++) {
        float *ws = malloc(ws_floats(gs[v]) * sizeof(float));
        res[v][0] = malloc(ny * sizeof(float));
        res[v][1] = calloc(nx, sizeof(float));
        res[v][2] = calloc(nw, sizeof(float));
        ak_cpu_conv2d_fwd(res[v][0], x, w, b, gs[v], ws);
        ak_cpu_conv2d_bwd(res[v][1], res[v][2], dy, x, w, gs[v], ws);
        free(ws);
    }
    const char *parts[3] = {"y", "dx", "dw"};
    const int64_t sizes[3] = {ny, nx, nw};
    for (int q = 0; q < 3; q++) {
        char label[96];
        snprintf(label, sizeof label, "%s: implicit GEMM %s vs OpenBLAS", what, parts[q]);
        /* sums of up to a few thousand products of values in [-1, 1] */
        ak_assert_close(label, res[0][q], res[1][q], sizes[q], 1e-4, 2e-4);
    }
    for (int v = 0; v < 2; v++)
        free(res[v][0]), free(res[v][1]), free(res[v][2]);
    free(x), free(w), free(b), free(dy);
}

/* Implicit GEMM against the OpenBLAS path on blockings the small fixtures do not reach: output
 * channels split across weight-gradient tasks (more rows than one task holds), a weight gradient
 * whose reduction is split into segments that straddle the two images, reductions spanning
 * several kernel blocks. */
START_TEST(conv2d_implicit_gemm_matches_blas_on_large_blocks) {
    if (!ak_cpu_conv2d_igemm_supported())
        return;
    ak_conv2d_geom wide = {2, 8, 7, 7, 352, 3, 3, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, AK_CONV2D_IMPL_AUTO};
    compare_with_blas(wide, "352 output channels");
    ak_conv2d_geom split = {2, 3, 48, 48, 8, 3, 3, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, AK_CONV2D_IMPL_AUTO};
    compare_with_blas(split, "reduction split");
    ak_conv2d_geom stem = {2, 3, 70, 66, 16, 7, 7, 0, 0, 2, 2, 3, 3, 1, 1, 1, 0, AK_CONV2D_IMPL_AUTO};
    compare_with_blas(stem, "7x7/2 stem, split");
    /* reductions longer than one kernel block (384): forward K = 48*9, strided data gradient K = 400 */
    ak_conv2d_geom kblocks = {2, 48, 9, 10, 24, 3, 3, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, AK_CONV2D_IMPL_AUTO};
    compare_with_blas(kblocks, "two K blocks");
    ak_conv2d_geom strided = {1, 8, 9, 9, 400, 3, 3, 0, 0, 2, 2, 1, 1, 1, 1, 1, 0, AK_CONV2D_IMPL_AUTO};
    compare_with_blas(strided, "strided, 400 output channels");
}
END_TEST

START_TEST(conv2d_errors_name_op_and_shapes) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const int64_t xs[4] = {2, 3, 8, 8}, wbad[4] = {4, 5, 3, 3}, wok[4] = {4, 3, 3, 3}, bbad[1] = {5};
    ak_tensor *x = ak_tensor_zeros(&ctx, "x", 4, xs);
    ak_tensor *w = ak_tensor_zeros(&ctx, "w", 4, wbad);
    ck_assert_ptr_null(ak_conv2d(&ctx, x, w, NULL, NULL));
    ck_assert_int_eq(ctx.err.code, AK_ESHAPE);
    ck_assert_msg(strstr(ctx.err.msg, "conv2d") && strstr(ctx.err.msg, "(2,3,8,8)") && strstr(ctx.err.msg, "(4,5,3,3)"),
                  "%s", ctx.err.msg);

    ak_ctx_clear_error(&ctx);
    w = ak_tensor_zeros(&ctx, "w", 4, wok);
    ak_tensor *b = ak_tensor_zeros(&ctx, "b", 1, bbad);
    ck_assert_ptr_null(ak_conv2d(&ctx, x, w, b, NULL));
    ck_assert_int_eq(ctx.err.code, AK_ESHAPE);
    ck_assert_msg(strstr(ctx.err.msg, "conv2d") && strstr(ctx.err.msg, "(5)") && strstr(ctx.err.msg, "(4,3,3,3)"),
                  "%s", ctx.err.msg);

    ak_ctx_clear_error(&ctx);
    const int64_t x3[3] = {3, 8, 8};
    ck_assert_ptr_null(ak_conv2d(&ctx, ak_tensor_zeros(&ctx, "x", 3, x3), w, NULL, NULL));
    ck_assert_int_eq(ctx.err.code, AK_ESHAPE);
    ck_assert_msg(strstr(ctx.err.msg, "conv2d") && strstr(ctx.err.msg, "(3,8,8)") && strstr(ctx.err.msg, "(4,3,3,3)"),
                  "%s", ctx.err.msg);

    ak_ctx_clear_error(&ctx);
    ak_conv2d_params p = ak_conv2d_sq(1, 0, 1, 2); /* 2 groups do not divide 3 channels */
    ck_assert_ptr_null(ak_conv2d(&ctx, x, w, NULL, &p));
    ck_assert_int_eq(ctx.err.code, AK_EINVAL);
    ck_assert_msg(strstr(ctx.err.msg, "groups 2"), "%s", ctx.err.msg);

    ak_ctx_clear_error(&ctx);
    p = ak_conv2d_sq(-1, 0, 1, 1);
    ck_assert_ptr_null(ak_conv2d(&ctx, x, w, NULL, &p));
    ck_assert_int_eq(ctx.err.code, AK_EINVAL);
    ck_assert_msg(strstr(ctx.err.msg, "stride (-1,-1)"), "%s", ctx.err.msg);

    ak_ctx_clear_error(&ctx);
    p = ak_conv2d_sq(1, 0, 5, 1); /* dilated kernel 11 > 8 */
    ck_assert_ptr_null(ak_conv2d(&ctx, x, w, NULL, &p));
    ck_assert_int_eq(ctx.err.code, AK_EINVAL);
    ck_assert_msg(strstr(ctx.err.msg, "conv2d") && strstr(ctx.err.msg, "(2,3,8,8)"), "%s", ctx.err.msg);

    /* sticky: a later op with a NULL input does nothing */
    ck_assert_ptr_null(ak_conv2d(&ctx, NULL, w, NULL, NULL));
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(conv2d_arena_exhaustion_is_an_error) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 64 * 1024);
    const int64_t xs[4] = {1, 8, 32, 32}, wsz[4] = {8, 8, 3, 3};
    ak_tensor *x = ak_tensor_zeros(&ctx, "x", 4, xs), *w = ak_tensor_zeros(&ctx, "w", 4, wsz);
    ck_assert_ptr_nonnull(w);
    ck_assert_ptr_null(ak_conv2d(&ctx, x, w, NULL, NULL)); /* output (1,8,30,30) does not fit */
    ck_assert_int_eq(ctx.err.code, AK_ENOMEM);
    ck_assert_msg(strstr(ctx.err.msg, "conv2d"), "%s", ctx.err.msg);
    ak_ctx_free(&ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("conv2d");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, conv2d_matches_torch);
    tcase_add_test(tc, conv2d_tiled_kernels_match_torch);
    tcase_add_test(tc, conv2d_finite_differences);
    tcase_add_test(tc, conv2d_gradient_contract);
    tcase_add_test(tc, conv2d_deterministic);
    tcase_add_test(tc, conv2d_implicit_gemm_thread_count_independent);
    tcase_add_test(tc, conv2d_implicit_gemm_matches_blas_on_large_blocks);
    tcase_add_test(tc, conv2d_errors_name_op_and_shapes);
    tcase_add_test(tc, conv2d_arena_exhaustion_is_an_error);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
