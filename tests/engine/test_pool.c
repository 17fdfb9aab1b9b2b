/* Pooling: max (ties, dilation, ceil_mode), average (count_include_pad both ways, ceil_mode),
 * adaptive (non-divisible bins) and global average pooling against PyTorch fixtures; finite
 * differences; thread-count independence; error messages. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aktest.h"
#include "core/cpu/pool.h"
#include "core/ops/pool.h"

#define RTOL 1e-5
#define ATOL 1e-6

static ak_tensor *get(ak_ctx *ctx, const ak_safetensors *fx, const char *prefix, int k, const char *name) {
    char key[64];
    if (k >= 0)
        snprintf(key, sizeof key, "%s%d.%s", prefix, k, name);
    else
        snprintf(key, sizeof key, "%s.%s", prefix, name);
    return ak_fixture_tensor(ctx, fx, key);
}

static void read_ints(const ak_safetensors *fx, const char *prefix, int k, const char *name, int64_t *v, int n) {
    char key[64];
    snprintf(key, sizeof key, "%s%d.%s", prefix, k, name);
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_safetensors_read_i64(fx, key, v, n, &err) == AK_OK, "%s", err.msg);
}

typedef ak_tensor *(*pool_fn)(ak_ctx *ctx, ak_tensor *x, const void *arg);

/* Forward, shape, values, backward against the fixture entries prefix<k>.{x,y,dy,dx}. */
static void run_case(ak_ctx *ctx, const ak_safetensors *fx, const char *prefix, int k, pool_fn fn, const void *arg) {
    ak_tensor *x = get(ctx, fx, prefix, k, "x");
    x->requires_grad = true;
    ak_tensor *y = fn(ctx, x, arg);
    ck_assert_msg(y != NULL, "%s%d: %s", prefix, k, ctx->err.msg);
    ak_tensor *want = get(ctx, fx, prefix, k, "y");
    char label[64];
    snprintf(label, sizeof label, "%s%d y", prefix, k);
    ck_assert_msg(ak_same_shape(y, want), "%s: output shape (%lld,%lld) vs (%lld,%lld)", label, (long long)y->shape[2],
                  (long long)y->shape[3], (long long)want->shape[2], (long long)want->shape[3]);
    ak_assert_close(label, y->data, want->data, y->numel, RTOL, ATOL);
    ck_assert_int_eq(ak_backward_from(ctx, y, get(ctx, fx, prefix, k, "dy")->data), AK_OK);
    snprintf(label, sizeof label, "%s%d dx", prefix, k);
    ak_tensor *want_dx = get(ctx, fx, prefix, k, "dx");
    ak_assert_close(label, x->grad, want_dx->data, x->numel, RTOL, ATOL);
    ak_ctx_reset(ctx);
}

static ak_tensor *max_fn(ak_ctx *ctx, ak_tensor *x, const void *arg) { return ak_max_pool2d(ctx, x, arg); }
static ak_tensor *avg_fn(ak_ctx *ctx, ak_tensor *x, const void *arg) { return ak_avg_pool2d(ctx, x, arg); }
static ak_tensor *ada_fn(ak_ctx *ctx, ak_tensor *x, const void *arg) {
    const int *o = arg;
    return ak_adaptive_avg_pool2d(ctx, x, o[0], o[1]);
}
static ak_tensor *gap_fn(ak_ctx *ctx, ak_tensor *x, const void *arg) {
    (void)arg;
    return ak_global_avg_pool2d(ctx, x);
}

START_TEST(max_pool_matches_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/pool.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int n = (int)ak_fixture_scalar(&fx, "n_max");
    for (int k = 0; k < n; k++) {
        int64_t v[9];
        read_ints(&fx, "max", k, "params", v, 9);
        ak_pool2d_params p = {{(int)v[0], (int)v[1]}, {(int)v[2], (int)v[3]}, {(int)v[4], (int)v[5]},
                              {(int)v[6], (int)v[7]}, v[8] != 0, false};
        run_case(&ctx, &fx, "max", k, max_fn, &p);
    }
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(avg_pool_matches_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/pool.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int n = (int)ak_fixture_scalar(&fx, "n_avg");
    for (int k = 0; k < n; k++) {
        int64_t v[8];
        read_ints(&fx, "avg", k, "params", v, 8);
        ak_pool2d_params p = {{(int)v[0], (int)v[1]}, {(int)v[2], (int)v[3]}, {(int)v[4], (int)v[5]}, {0, 0},
                              v[6] != 0, v[7] == 0};
        run_case(&ctx, &fx, "avg", k, avg_fn, &p);
    }
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(adaptive_and_global_pool_match_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/pool.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int n = (int)ak_fixture_scalar(&fx, "n_ada");
    ck_assert_int_ge(n, 4);
    for (int k = 0; k < n; k++) {
        int64_t v[2];
        read_ints(&fx, "ada", k, "out", v, 2);
        int o[2] = {(int)v[0], (int)v[1]};
        run_case(&ctx, &fx, "ada", k, ada_fn, o);
    }
    run_case(&ctx, &fx, "gap", -1, gap_fn, NULL);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

/* Hand-computed: PSPNet bin 3 over 7 columns uses [0,3), [2,5), [4,7) (overlapping bins). */
START_TEST(adaptive_bins_by_hand) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const int64_t shape[4] = {1, 1, 1, 7};
    float v[7] = {1, 2, 3, 4, 5, 6, 7};
    ak_tensor *x = ak_tensor_from(&ctx, 4, shape, v);
    ak_tensor *y = ak_adaptive_avg_pool2d(&ctx, x, 1, 3);
    ck_assert_ptr_nonnull(y);
    ck_assert_float_eq_tol(y->data[0], 2.0f, 1e-6f);
    ck_assert_float_eq_tol(y->data[1], 4.0f, 1e-6f);
    ck_assert_float_eq_tol(y->data[2], 6.0f, 1e-6f);
    ak_ctx_free(&ctx);
}
END_TEST

static ak_tensor *gc_max(ak_ctx *ctx, ak_tensor **in, void *user) { return ak_max_pool2d(ctx, in[0], user); }
static ak_tensor *gc_avg(ak_ctx *ctx, ak_tensor **in, void *user) { return ak_avg_pool2d(ctx, in[0], user); }
static ak_tensor *gc_ada(ak_ctx *ctx, ak_tensor **in, void *user) {
    (void)user;
    return ak_adaptive_avg_pool2d(ctx, in[0], 3, 2);
}
static ak_tensor *gc_gap(ak_ctx *ctx, ak_tensor **in, void *user) {
    (void)user;
    return ak_global_avg_pool2d(ctx, in[0]);
}

START_TEST(pool_finite_differences) {
    float x[2 * 2 * 7 * 6];
    /* distinct values (a shuffled ramp) so that no max window has a near-tie for the +-h probes */
    for (int i = 0; i < 168; i++)
        x[i] = (float)((i * 37) % 168) / 40.0f - 2.0f;
    ak_gradcheck_input in = {"x", 4, {2, 2, 7, 6}, x, 1};
    ak_pool2d_params pm = {{3, 3}, {2, 2}, {1, 1}, {0, 0}, true, false};
    ak_gradcheck("max_pool2d k3 s2 p1 ceil", gc_max, &pm, &in, 1, NULL);
    ak_pool2d_params pa = {{3, 2}, {2, 1}, {1, 1}, {0, 0}, true, true};
    ak_gradcheck("avg_pool2d exclude_pad ceil", gc_avg, &pa, &in, 1, NULL);
    ak_gradcheck("adaptive_avg_pool2d 3x2", gc_ada, NULL, &in, 1, NULL);
    ak_gradcheck("global_avg_pool2d", gc_gap, NULL, &in, 1, NULL);
}
END_TEST

START_TEST(pool_backward_thread_count_independent) {
    ak_pool2d_geom g = {6, 33, 29, 0, 0, 3, 3, 2, 2, 1, 1, 1, 1, true};
    g.ho = (33 + 2 - 3) / 2 + 1, g.wo = (29 + 2 - 3) / 2 + 1;
    int64_t nx = g.planes * g.h * g.w, ny = g.planes * g.ho * g.wo;
    float *x = malloc(nx * sizeof(float)), *dy = malloc(ny * sizeof(float)), *y = malloc(ny * sizeof(float));
    int32_t *idx = malloc(ny * sizeof(int32_t));
    ak_test_fill_uniform(x, nx, 61, -1, 1);
    ak_test_fill_uniform(dy, ny, 62, -1, 1);
    float *dmax[2], *davg[2];
    int t0 = omp_get_max_threads();
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        dmax[t] = calloc(nx, sizeof(float));
        davg[t] = calloc(nx, sizeof(float));
        ak_cpu_maxpool2d_fwd(y, idx, x, &g);
        ak_cpu_maxpool2d_bwd(dmax[t], dy, idx, &g);
        ak_cpu_avgpool2d_bwd(davg[t], dy, &g);
    }
    omp_set_num_threads(t0);
    ak_assert_bitwise("max_pool2d backward 1 vs 2 threads", dmax[0], dmax[1], nx);
    ak_assert_bitwise("avg_pool2d backward 1 vs 2 threads", davg[0], davg[1], nx);
    free(dmax[0]), free(dmax[1]), free(davg[0]), free(davg[1]), free(x), free(dy), free(y), free(idx);
}
END_TEST

START_TEST(pool_errors_name_op_and_shape) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const int64_t s3[3] = {3, 8, 8}, s4[4] = {1, 3, 4, 5};
    ak_tensor *x3 = ak_tensor_zeros(&ctx, "x", 3, s3), *x = ak_tensor_zeros(&ctx, "x", 4, s4);
    ak_pool2d_params p = {{3, 3}, {2, 2}, {1, 1}, {0, 0}, false, false};
    ck_assert_ptr_null(ak_max_pool2d(&ctx, x3, &p));
    ck_assert_int_eq(ctx.err.code, AK_ESHAPE);
    ck_assert_msg(strstr(ctx.err.msg, "max_pool2d") && strstr(ctx.err.msg, "(3,8,8)"), "%s", ctx.err.msg);

    ak_ctx_clear_error(&ctx);
    ak_pool2d_params bad_pad = {{3, 3}, {1, 1}, {2, 2}, {0, 0}, false, false};
    ck_assert_ptr_null(ak_avg_pool2d(&ctx, x, &bad_pad));
    ck_assert_int_eq(ctx.err.code, AK_EINVAL);
    ck_assert_msg(strstr(ctx.err.msg, "avg_pool2d") && strstr(ctx.err.msg, "padding (2,2)"), "%s", ctx.err.msg);

    ak_ctx_clear_error(&ctx);
    ak_pool2d_params big = {{7, 7}, {1, 1}, {0, 0}, {0, 0}, false, false};
    ck_assert_ptr_null(ak_max_pool2d(&ctx, x, &big));
    ck_assert_int_eq(ctx.err.code, AK_EINVAL);
    ck_assert_msg(strstr(ctx.err.msg, "max_pool2d") && strstr(ctx.err.msg, "(1,3,4,5)"), "%s", ctx.err.msg);

    ak_ctx_clear_error(&ctx);
    ak_pool2d_params dil = {{2, 2}, {0, 0}, {0, 0}, {2, 2}, false, false};
    ck_assert_ptr_null(ak_avg_pool2d(&ctx, x, &dil));
    ck_assert_int_eq(ctx.err.code, AK_EINVAL);
    ck_assert_msg(strstr(ctx.err.msg, "avg_pool2d") && strstr(ctx.err.msg, "dilation"), "%s", ctx.err.msg);

    ak_ctx_clear_error(&ctx);
    ck_assert_ptr_null(ak_adaptive_avg_pool2d(&ctx, x, 0, 3));
    ck_assert_int_eq(ctx.err.code, AK_EINVAL);
    ck_assert_msg(strstr(ctx.err.msg, "adaptive_avg_pool2d") && strstr(ctx.err.msg, "(0,3)"), "%s", ctx.err.msg);

    ak_ctx_clear_error(&ctx);
    ck_assert_ptr_null(ak_global_avg_pool2d(&ctx, x3));
    ck_assert_int_eq(ctx.err.code, AK_ESHAPE);
    ck_assert_msg(strstr(ctx.err.msg, "global_avg_pool2d") && strstr(ctx.err.msg, "(3,8,8)"), "%s", ctx.err.msg);
    ak_ctx_free(&ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, max_pool_matches_torch);
    tcase_add_test(tc, avg_pool_matches_torch);
    tcase_add_test(tc, adaptive_and_global_pool_match_torch);
    tcase_add_test(tc, adaptive_bins_by_hand);
    tcase_add_test(tc, pool_finite_differences);
    tcase_add_test(tc, pool_backward_thread_count_independent);
    tcase_add_test(tc, pool_errors_name_op_and_shape);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
