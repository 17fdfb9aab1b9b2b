/* FitNet / MSE and the head-level L1 / SmoothL1 terms (baselines/mse.c, head_kd.c) against PyTorch
 * (tools/fixtures/distill_losses.py): value, student gradient, finite differences, term logging and
 * the shape errors naming the method and tap. */
#include "baselines/methods.h"
#include "distill_test.h"

static void check_case(const char *name, ak_distill_loss *l) {
    check_fixture_case("distill/losses.safetensors", name, l, 1e-5);
    ck_assert_int_eq(l->n_terms, 1);
    ck_assert_str_eq(l->term_names[0], l->ops->method);
}

START_TEST(mse_matches_torch) {
    ak_error err = {0};
    ak_distill_loss *l = ak_mse_loss_create("neck.p3", 1.5f, &err);
    ck_assert_ptr_nonnull(l);
    ck_assert_str_eq(l->ops->method, "mse");
    check_case("mse", l);
    ak_distill_loss_destroy(l);
}
END_TEST

START_TEST(head_terms_match_torch) {
    ak_error err = {0};
    ak_distill_loss *l1 = ak_head_kd_loss_create("head.reg.p3", AK_HEAD_KD_L1, 0.2f, 0.0f, &err);
    ak_distill_loss *sl1 = ak_head_kd_loss_create("head.reg.p3", AK_HEAD_KD_SMOOTH_L1, 0.1f, 0.11f, &err);
    ck_assert_ptr_nonnull(l1);
    ck_assert_ptr_nonnull(sl1);
    check_case("l1", l1);
    check_case("smooth_l1", sl1);
    ak_distill_loss_destroy(l1);
    ak_distill_loss_destroy(sl1);
    ck_assert_ptr_null(ak_head_kd_loss_create("head.reg.p3", AK_HEAD_KD_SMOOTH_L1, 1.0f, -1.0f, &err));
    ck_assert_int_eq(err.code, AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "beta"));
}
END_TEST

START_TEST(finite_differences) {
    ak_error err = {0};
    ak_distill_loss *l = ak_mse_loss_create("neck.p4", 2.0f, &err);
    float s[2 * 3 * 4 * 5], t[2 * 3 * 4 * 5];
    ak_test_fill_uniform(s, 120, 21, -2, 2);
    ak_test_fill_uniform(t, 120, 22, -2, 2);
    fd_loss u = {.loss = l};
    ak_gradcheck_input in[2] = {{"s", 4, {2, 3, 4, 5}, s, 1}, {"t", 4, {2, 3, 4, 5}, t, 0}};
    ak_gradcheck("mse", fd_loss_fn, &u, in, 2, NULL);
    ak_distill_loss_destroy(l);
    l = ak_head_kd_loss_create("head.reg.p3", AK_HEAD_KD_SMOOTH_L1, 1.0f, 0.5f, &err);
    u.loss = l;
    ak_gradcheck("smooth_l1", fd_loss_fn, &u, in, 2, NULL);
    ak_distill_loss_destroy(l);
}
END_TEST

START_TEST(shape_errors_name_method_and_tap) {
    ak_error err = {0};
    ak_distill_loss *l = ak_mse_loss_create("neck.p5", 1.0f, &err);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t a[4] = {2, 4, 3, 3}, b[4] = {2, 8, 3, 3};
    ak_rng rng = {0, 0};
    ck_assert_ptr_null(run_loss(&ctx, l, ak_tensor_zeros(&ctx, "s", 4, a), ak_tensor_zeros(&ctx, "t", 4, b), NULL, 0, rng));
    assert_error(&ctx, AK_ESHAPE, "mse", "neck.p5", "(2,4,3,3)", "(2,8,3,3)", NULL);
    ak_distill_loss_destroy(l);
    l = ak_head_kd_loss_create("head.cls.p3", AK_HEAD_KD_L1, 1.0f, 0.0f, &err);
    ck_assert_ptr_null(run_loss(&ctx, l, ak_tensor_zeros(&ctx, "s", 4, a), ak_tensor_zeros(&ctx, "t", 4, b), NULL, 0, rng));
    assert_error(&ctx, AK_ESHAPE, "l1", "head.cls.p3", NULL);
    ak_distill_loss_destroy(l);
    ak_ctx_free(&ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("mse");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, mse_matches_torch);
    tcase_add_test(tc, head_terms_match_torch);
    tcase_add_test(tc, finite_differences);
    tcase_add_test(tc, shape_errors_name_method_and_tap);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
