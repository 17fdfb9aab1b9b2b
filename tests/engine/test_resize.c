/* Resize: bilinear (align_corners true / false) and nearest, by size and by scale factor, against
 * PyTorch fixtures; hand-computed coordinates; finite differences; thread-count independence of
 * the backward; error messages. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aktest.h"
#include "core/cpu/resize.h"
#include "core/ops/resize.h"

#define RTOL 1e-5
#define ATOL 1e-6

static ak_tensor *get(ak_ctx *ctx, const ak_safetensors *fx, int k, const char *name) {
    char key[64];
    snprintf(key, sizeof key, "r%d.%s", k, name);
    return ak_fixture_tensor(ctx, fx, key);
}

START_TEST(resize_matches_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/resize.safetensors");
    int n = (int)ak_fixture_scalar(&fx, "n_cases");
    ck_assert_int_ge(n, 15);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    for (int k = 0; k < n; k++) {
        char key[64];
        int64_t cfg[5];
        ak_error err;
        ak_error_clear(&err);
        snprintf(key, sizeof key, "r%d.cfg", k);
        ck_assert_int_eq(ak_safetensors_read_i64(&fx, key, cfg, 5, &err), AK_OK);
        /* the scale factors exactly as Python's doubles (a float32 copy would move 1/scale) */
        snprintf(key, sizeof key, "r%d.scale", k);
        const ak_st_entry *e = ak_safetensors_find(&fx, key);
        ck_assert_msg(e && e->dtype == AK_ST_F64 && e->numel == 2, "fixture %s", key);
        double scale[2];
        memcpy(scale, e->data, sizeof scale);
        ak_resize_mode mode = cfg[0] ? AK_RESIZE_NEAREST : AK_RESIZE_BILINEAR;
        ak_tensor *x = get(&ctx, &fx, k, "x");
        x->requires_grad = true;
        ak_tensor *y = cfg[2] ? ak_resize_scale(&ctx, x, scale[0], scale[1], mode, cfg[1] != 0)
                              : ak_resize(&ctx, x, cfg[3], cfg[4], mode, cfg[1] != 0);
        ck_assert_msg(y != NULL, "r%d: %s", k, ctx.err.msg);
        ak_tensor *want = get(&ctx, &fx, k, "y");
        ck_assert_msg(ak_same_shape(y, want), "r%d: output (%lld,%lld), torch (%lld,%lld)", k, (long long)y->shape[2],
                      (long long)y->shape[3], (long long)want->shape[2], (long long)want->shape[3]);
        snprintf(key, sizeof key, "r%d y", k);
        ak_assert_close(key, y->data, want->data, y->numel, RTOL, ATOL);
        ck_assert_int_eq(ak_backward_from(&ctx, y, get(&ctx, &fx, k, "dy")->data), AK_OK);
        snprintf(key, sizeof key, "r%d dx", k);
        ak_assert_close(key, x->grad, get(&ctx, &fx, k, "dx")->data, x->numel, RTOL, ATOL);
        ak_ctx_reset(&ctx);
    }
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

/* 1-D by hand: 2 -> 4 columns. align_corners=false: src = (dst+0.5)/2 - 0.5 = -0.25 (clamped to 0),
 * 0.25, 0.75, 1.25 -> [a, 0.75a+0.25b, 0.25a+0.75b, b]; align_corners=true: src = dst/3. */
START_TEST(bilinear_by_hand) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const int64_t shape[4] = {1, 1, 1, 2};
    float v[2] = {1.0f, 5.0f};
    ak_tensor *x = ak_tensor_from(&ctx, 4, shape, v);
    ak_tensor *y = ak_resize(&ctx, x, 1, 4, AK_RESIZE_BILINEAR, false);
    ck_assert_ptr_nonnull(y);
    const float want[4] = {1.0f, 2.0f, 4.0f, 5.0f};
    ak_assert_close("bilinear align_corners=false", y->data, want, 4, 1e-6, 1e-6);
    y = ak_resize(&ctx, x, 1, 4, AK_RESIZE_BILINEAR, true);
    const float want_ac[4] = {1.0f, 1.0f + 4.0f / 3.0f, 1.0f + 8.0f / 3.0f, 5.0f};
    ak_assert_close("bilinear align_corners=true", y->data, want_ac, 4, 1e-6, 1e-6);
    ak_ctx_free(&ctx);
}
END_TEST

typedef struct rs_user {
    ak_resize_mode mode;
    bool align_corners, by_scale;
    int64_t oh, ow;
    double sh, sw;
} rs_user;

static ak_tensor *rs_fn(ak_ctx *ctx, ak_tensor **in, void *user) {
    rs_user *u = user;
    if (u->by_scale)
        return ak_resize_scale(ctx, in[0], u->sh, u->sw, u->mode, u->align_corners);
    return ak_resize(ctx, in[0], u->oh, u->ow, u->mode, u->align_corners);
}

START_TEST(resize_finite_differences) {
    float x[2 * 2 * 4 * 5];
    ak_test_fill_uniform(x, 80, 71, -1, 1);
    ak_gradcheck_input in = {"x", 4, {2, 2, 4, 5}, x, 1};
    rs_user a = {AK_RESIZE_BILINEAR, false, false, 7, 9, 0, 0};
    ak_gradcheck("bilinear up", rs_fn, &a, &in, 1, NULL);
    rs_user b = {AK_RESIZE_BILINEAR, true, false, 3, 2, 0, 0};
    ak_gradcheck("bilinear down align_corners", rs_fn, &b, &in, 1, NULL);
    rs_user c = {AK_RESIZE_BILINEAR, false, true, 0, 0, 1.6, 0.7};
    ak_gradcheck("bilinear scale", rs_fn, &c, &in, 1, NULL);
    rs_user d = {AK_RESIZE_NEAREST, false, false, 6, 3, 0, 0};
    ak_gradcheck("nearest", rs_fn, &d, &in, 1, NULL);
}
END_TEST

START_TEST(resize_backward_thread_count_independent) {
    ak_resize_geom g = {5, 17, 13, 70, 50, false, 0, 0};
    int64_t nx = g.planes * g.h * g.w, ny = g.planes * g.ho * g.wo;
    float *dy = malloc(ny * sizeof(float));
    ak_test_fill_uniform(dy, ny, 72, -1, 1);
    void *ws = malloc(ak_cpu_resize_ws_bytes(&g));
    float *dx[2][2];
    int t0 = omp_get_max_threads();
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        dx[t][0] = calloc(nx, sizeof(float));
        dx[t][1] = calloc(nx, sizeof(float));
        ak_cpu_bilinear_bwd(dx[t][0], dy, &g, ws);
        ak_cpu_nearest_bwd(dx[t][1], dy, &g, ws);
    }
    omp_set_num_threads(t0);
    ak_assert_bitwise("bilinear backward 1 vs 2 threads", dx[0][0], dx[1][0], nx);
    ak_assert_bitwise("nearest backward 1 vs 2 threads", dx[0][1], dx[1][1], nx);
    for (int t = 0; t < 2; t++)
        free(dx[t][0]), free(dx[t][1]);
    free(dy), free(ws);
}
END_TEST

START_TEST(resize_errors_name_op_and_shape) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const int64_t s3[3] = {3, 4, 4}, s4[4] = {1, 3, 4, 4};
    ak_tensor *x3 = ak_tensor_zeros(&ctx, "x", 3, s3), *x = ak_tensor_zeros(&ctx, "x", 4, s4);
    ck_assert_ptr_null(ak_resize(&ctx, x3, 8, 8, AK_RESIZE_BILINEAR, false));
    ck_assert_int_eq(ctx.err.code, AK_ESHAPE);
    ck_assert_msg(strstr(ctx.err.msg, "resize_bilinear") && strstr(ctx.err.msg, "(3,4,4)"), "%s", ctx.err.msg);
    ak_ctx_clear_error(&ctx);
    ck_assert_ptr_null(ak_resize(&ctx, x, 0, 8, AK_RESIZE_NEAREST, false));
    ck_assert_int_eq(ctx.err.code, AK_EINVAL);
    ck_assert_msg(strstr(ctx.err.msg, "resize_nearest") && strstr(ctx.err.msg, "(1,3,4,4)") && strstr(ctx.err.msg, "(0,8)"),
                  "%s", ctx.err.msg);
    ak_ctx_clear_error(&ctx);
    ck_assert_ptr_null(ak_resize(&ctx, x, 8, 8, AK_RESIZE_NEAREST, true));
    ck_assert_int_eq(ctx.err.code, AK_EINVAL);
    ck_assert_msg(strstr(ctx.err.msg, "align_corners"), "%s", ctx.err.msg);
    ak_ctx_clear_error(&ctx);
    ck_assert_ptr_null(ak_resize_scale(&ctx, x, -2.0, 2.0, AK_RESIZE_BILINEAR, false));
    ck_assert_int_eq(ctx.err.code, AK_EINVAL);
    ck_assert_msg(strstr(ctx.err.msg, "resize_bilinear") && strstr(ctx.err.msg, "(-2,2)"), "%s", ctx.err.msg);
    ak_ctx_clear_error(&ctx);
    ck_assert_ptr_null(ak_resize_scale(&ctx, x, 0.1, 1.0, AK_RESIZE_BILINEAR, false)); /* floor(0.4) = 0 rows */
    ck_assert_int_eq(ctx.err.code, AK_EINVAL);
    ck_assert_msg(strstr(ctx.err.msg, "(0,4)"), "%s", ctx.err.msg);
    ak_ctx_free(&ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("resize");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, resize_matches_torch);
    tcase_add_test(tc, bilinear_by_hand);
    tcase_add_test(tc, resize_finite_differences);
    tcase_add_test(tc, resize_backward_thread_count_independent);
    tcase_add_test(tc, resize_errors_name_op_and_shape);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
