/* CWD (baselines/cwd.c) against PyTorch (tools/fixtures/distill_losses.py) at tau 4 (the [MGD]
 * segmentation logit setting) and tau 1, finite differences, a hand-computed value, and errors. */
#include "baselines/methods.h"
#include "distill_test.h"

START_TEST(cwd_matches_torch) {
    ak_error err = {0};
    ak_distill_loss *l = ak_cwd_loss_create("decode.logits", 3.0f, 4.0f, &err);
    check_fixture_case("distill/losses.safetensors", "cwd", l, 1e-5);
    ck_assert_str_eq(l->term_names[0], "cwd");
    ak_distill_loss_destroy(l);
    l = ak_cwd_loss_create("neck.p3", 10.0f, 1.0f, &err);
    check_fixture_case("distill/losses.safetensors", "cwd1", l, 1e-5);
    ak_distill_loss_destroy(l);
}
END_TEST

/* One (n, c) row of two positions: P_T = softmax(0, ln 3) = (1/4, 3/4), P_S = (1/2, 1/2):
 * KL = 1/4 ln(1/2) + 3/4 ln(3/2); tau 1, weight 2, N*C = 1. */
START_TEST(hand_computed) {
    ak_error err = {0};
    ak_distill_loss *l = ak_cwd_loss_create("x", 2.0f, 1.0f, &err);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t shape[4] = {1, 1, 1, 2};
    float sv[2] = {5.0f, 5.0f}, tv[2] = {0.0f, (float)log(3.0)};
    ak_rng rng = {0, 0};
    ak_tensor *out = run_loss(&ctx, l, ak_tensor_from(&ctx, 4, shape, sv), ak_tensor_from(&ctx, 4, shape, tv), NULL, 0, rng);
    ck_assert_ptr_nonnull(out);
    double want = 2.0 * (0.25 * log(0.5) + 0.75 * log(1.5));
    ck_assert_double_eq_tol(out->data[0], want, 1e-6);
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(l);
}
END_TEST

START_TEST(finite_differences) {
    ak_error err = {0};
    ak_distill_loss *l = ak_cwd_loss_create("neck.p3", 5.0f, 2.0f, &err);
    float s[2 * 3 * 4 * 5], t[2 * 3 * 4 * 5];
    ak_test_fill_uniform(s, 120, 31, -2, 2);
    ak_test_fill_uniform(t, 120, 32, -2, 2);
    fd_loss u = {.loss = l};
    ak_gradcheck_input in[2] = {{"s", 4, {2, 3, 4, 5}, s, 1}, {"t", 4, {2, 3, 4, 5}, t, 0}};
    ak_gradcheck("cwd", fd_loss_fn, &u, in, 2, NULL);
    ak_distill_loss_destroy(l);
}
END_TEST

START_TEST(errors) {
    ak_error err = {0};
    ck_assert_ptr_null(ak_cwd_loss_create("neck.p3", 1.0f, 0.0f, &err));
    ck_assert_int_eq(err.code, AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "tau"));
    ck_assert_ptr_nonnull(strstr(err.msg, "neck.p3"));
    ak_distill_loss *l = ak_cwd_loss_create("neck.p4", 1.0f, 1.0f, &err);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t a[4] = {2, 4, 3, 3}, b[4] = {2, 4, 3, 4};
    ak_rng rng = {0, 0};
    ck_assert_ptr_null(run_loss(&ctx, l, ak_tensor_zeros(&ctx, "s", 4, a), ak_tensor_zeros(&ctx, "t", 4, b), NULL, 0, rng));
    assert_error(&ctx, AK_ESHAPE, "cwd", "neck.p4", "(2,4,3,3)", "(2,4,3,4)", NULL);
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(l);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("cwd");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, cwd_matches_torch);
    tcase_add_test(tc, hand_computed);
    tcase_add_test(tc, finite_differences);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
