/* The tape, the arena and error propagation, exercised through the activation ops; the activations
 * against PyTorch fixtures and finite differences. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "aktest.h"
#include "core/ops/activation.h"
#include "core/params.h"

START_TEST(activations_match_torch) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/activation.safetensors");
    const char *names[] = {"relu", "sigmoid"};
    for (int k = 0; k < 2; k++) {
        ak_tensor *x = ak_fixture_tensor(&ctx, &fx, "x"), *dy = ak_fixture_tensor(&ctx, &fx, "dy");
        x->requires_grad = true;
        ak_tensor *y = k == 0 ? ak_relu(&ctx, x) : ak_sigmoid(&ctx, x);
        ck_assert_msg(y != NULL, "%s", ctx.err.msg);
        char key[64];
        snprintf(key, sizeof key, "%s.y", names[k]);
        ak_tensor *want_y = ak_fixture_tensor(&ctx, &fx, key);
        ak_assert_close(key, y->data, want_y->data, y->numel, 1e-6, 1e-7);
        ck_assert_int_eq(ak_backward_from(&ctx, y, dy->data), AK_OK);
        snprintf(key, sizeof key, "%s.dx", names[k]);
        ak_tensor *want_dx = ak_fixture_tensor(&ctx, &fx, key);
        ak_assert_close(key, x->grad, want_dx->data, x->numel, 1e-6, 1e-7);
        ak_ctx_reset(&ctx);
    }
    ak_safetensors_close(&fx);
    ak_ctx_free(&ctx);
}
END_TEST

static ak_tensor *relu_sigmoid(ak_ctx *ctx, ak_tensor **in, void *user) {
    (void)user;
    return ak_sigmoid(ctx, ak_relu(ctx, in[0]));
}

START_TEST(activations_finite_differences) {
    float x[60];
    ak_test_fill_uniform(x, 60, 3, -2, 2);
    for (int i = 0; i < 60; i++)
        if (fabsf(x[i]) < 0.05f)
            x[i] = 0.1f; /* keep away from relu's kink */
    ak_gradcheck_input in = {"x", 2, {6, 10}, x, 1};
    ak_gradcheck("sigmoid(relu(x))", relu_sigmoid, NULL, &in, 1, NULL);
}
END_TEST

START_TEST(gradients_accumulate_through_reuse) {
    /* y = relu(x) used twice: d(sum(y) + sum(sigmoid(y)))/dx = 1 + s(y)(1-s(y)) where x > 0. */
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    float xv[4] = {-1, 0.5f, 2, -3};
    int64_t shape[1] = {4};
    ak_tensor *x = ak_tensor_from(&ctx, 1, shape, xv);
    x->requires_grad = true;
    ak_tensor *y = ak_relu(&ctx, x);
    ak_tensor *s = ak_sigmoid(&ctx, y);
    float ones[4] = {1, 1, 1, 1};
    ck_assert_int_eq(ak_backward_from(&ctx, s, ones), AK_OK);
    /* Seed y directly as well (as if summed): its grad already holds the sigmoid term. */
    for (int i = 0; i < 4; i++) {
        float sy = 1.0f / (1.0f + expf(-y->data[i]));
        float want = xv[i] > 0 ? sy * (1 - sy) : 0.0f;
        ck_assert_float_eq_tol(x->grad[i], want, 1e-7);
    }
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(recording_off_leaves_no_tape) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t shape[1] = {3};
    float v[3] = {1, 2, 3};
    ak_tensor *x = ak_tensor_from(&ctx, 1, shape, v);
    x->requires_grad = true;
    bool old = ak_ctx_set_record(&ctx, false);
    ak_tensor *y = ak_relu(&ctx, x);
    ak_ctx_set_record(&ctx, old);
    ck_assert_ptr_nonnull(y);
    ck_assert_int_eq(ctx.tape.n, 0);
    ck_assert(!y->requires_grad);
    /* backward from an unrecorded tensor is a clear error, not a crash */
    float one[3] = {1, 1, 1};
    ck_assert_int_eq(ak_backward_from(&ctx, y, one), AK_ESTATE);
    ck_assert_msg(strstr(ctx.err.msg, "does not depend") != NULL, "%s", ctx.err.msg);
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(arena_limit_is_an_error_naming_the_op) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 4096);
    int64_t shape[2] = {64, 64}; /* 16 KiB > limit */
    ak_tensor *t = ak_tensor_new(&ctx, "conv2d", 2, shape);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(ctx.err.code, AK_ENOMEM);
    ck_assert_msg(strstr(ctx.err.msg, "conv2d") != NULL, "%s", ctx.err.msg);
    /* later ops see the sticky error and do nothing */
    ck_assert_ptr_null(ak_relu(&ctx, t));
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(arena_reaches_steady_state) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t shape[1] = {300000};
    long grows_after_first = 0;
    for (int it = 0; it < 5; it++) {
        for (int k = 0; k < 6; k++)
            ck_assert_ptr_nonnull(ak_tensor_new(&ctx, "t", 1, shape));
        ak_ctx_reset(&ctx);
        if (it == 1)
            grows_after_first = ctx.arena.grows;
    }
    ck_assert_int_eq(ctx.arena.grows, grows_after_first); /* no malloc once steady */
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(params_registry) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    int64_t shape[2] = {3, 4};
    ak_tensor *w = ak_params_add(&ps, "head.conv.weight", 2, shape, &err);
    ck_assert_ptr_nonnull(w);
    ck_assert_ptr_nonnull(w->grad);
    ck_assert_ptr_null(ak_params_add(&ps, "head.conv.weight", 2, shape, &err));
    ck_assert_int_eq(err.code, AK_EINVAL);
    ck_assert_ptr_nonnull(ak_params_add_buffer(&ps, "bn.running_mean", 1, shape, &err));
    ck_assert_int_eq(ak_params_count(&ps), 12);
    ck_assert_int_eq(ak_params_set_trainable(&ps, "head.", false), 1);
    ck_assert_int_eq(ak_params_count(&ps), 0);
    ak_params_free(&ps);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("autograd");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, activations_match_torch);
    tcase_add_test(tc, activations_finite_differences);
    tcase_add_test(tc, gradients_accumulate_through_reuse);
    tcase_add_test(tc, recording_off_leaves_no_tape);
    tcase_add_test(tc, arena_limit_is_an_error_naming_the_op);
    tcase_add_test(tc, arena_reaches_steady_state);
    tcase_add_test(tc, params_registry);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
