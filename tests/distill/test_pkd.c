/* PKD (baselines/pkd.c) against PyTorch (tools/fixtures/distill_losses.py): ghost batches of 2, the
 * student resized up to the teacher, the teacher resized down to the student; finite differences;
 * the 1 - Pearson identity; errors. */
#include "baselines/methods.h"
#include "distill_test.h"

START_TEST(pkd_matches_torch) {
    ak_error err = {0};
    ak_pkd_opts o = {6.0f, true, 2};
    ak_distill_loss *l = ak_pkd_loss_create("neck.p3", &o, &err);
    check_fixture_case("distill/losses.safetensors", "pkd", l, 1e-5);
    ak_distill_loss_destroy(l);
    o = (ak_pkd_opts){10.0f, true, 0};
    l = ak_pkd_loss_create("neck.p3", &o, &err);
    check_fixture_case("distill/losses.safetensors", "pkd_up", l, 1e-5);
    ak_distill_loss_destroy(l);
    o.resize_stu = false;
    l = ak_pkd_loss_create("neck.p3", &o, &err);
    check_fixture_case("distill/losses.safetensors", "pkd_down", l, 1e-5);
    ak_distill_loss_destroy(l);
}
END_TEST

/* With the biased/unbiased factor spelled out: mean (S_hat - T_hat)^2 / 2 = (M-1)/M * (1 - r) up to
 * eps, r the Pearson correlation; a teacher that is an affine map of the student gives 0. */
START_TEST(affine_teacher_gives_zero) {
    ak_error err = {0};
    ak_pkd_opts o = {1.0f, true, 0};
    ak_distill_loss *l = ak_pkd_loss_create("x", &o, &err);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t shape[4] = {2, 3, 4, 4};
    float s[96], t[96];
    ak_test_fill_uniform(s, 96, 41, -1, 1);
    for (int i = 0; i < 96; i++)
        t[i] = 3.0f * s[i] + 7.0f;
    ak_rng rng = {0, 0};
    ak_tensor *out = run_loss(&ctx, l, ak_tensor_from(&ctx, 4, shape, s), ak_tensor_from(&ctx, 4, shape, t), NULL, 0, rng);
    ck_assert_ptr_nonnull(out);
    ck_assert_double_eq_tol(out->data[0], 0.0, 1e-9);
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(l);
}
END_TEST

START_TEST(finite_differences) {
    ak_error err = {0};
    ak_pkd_opts o = {2.0f, true, 1};
    ak_distill_loss *l = ak_pkd_loss_create("neck.p3", &o, &err);
    float s[2 * 3 * 4 * 5], t[2 * 3 * 4 * 5];
    ak_test_fill_uniform(s, 120, 33, -2, 2);
    ak_test_fill_uniform(t, 120, 34, -2, 2);
    fd_loss u = {.loss = l};
    ak_gradcheck_input in[2] = {{"s", 4, {2, 3, 4, 5}, s, 1}, {"t", 4, {2, 3, 4, 5}, t, 0}};
    ak_gradcheck("pkd", fd_loss_fn, &u, in, 2, NULL);
    float s2[2 * 3 * 2 * 3];
    ak_test_fill_uniform(s2, 36, 35, -2, 2);
    ak_gradcheck_input in2[2] = {{"s", 4, {2, 3, 2, 3}, s2, 1}, {"t", 4, {2, 3, 4, 5}, t, 0}};
    ak_gradcheck("pkd with resize", fd_loss_fn, &u, in2, 2, NULL);
    ak_distill_loss_destroy(l);
}
END_TEST

START_TEST(errors) {
    ak_error err = {0};
    ak_pkd_opts o = {1.0f, true, 0};
    ak_distill_loss *l = ak_pkd_loss_create("neck.p6", &o, &err);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t a[4] = {2, 4, 3, 3}, b[4] = {2, 5, 3, 3}, c[4] = {2, 4, 3, 5};
    ak_rng rng = {0, 0};
    ck_assert_ptr_null(run_loss(&ctx, l, ak_tensor_zeros(&ctx, "s", 4, a), ak_tensor_zeros(&ctx, "t", 4, b), NULL, 0, rng));
    assert_error(&ctx, AK_ESHAPE, "pkd", "neck.p6", "(2,4,3,3)", "(2,5,3,3)", NULL);
    /* equal heights, different widths: the reference compares heights only and then fails too */
    ck_assert_ptr_null(run_loss(&ctx, l, ak_tensor_zeros(&ctx, "s", 4, a), ak_tensor_zeros(&ctx, "t", 4, c), NULL, 0, rng));
    assert_error(&ctx, AK_ESHAPE, "pkd", "neck.p6", NULL);
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(l);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("pkd");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, pkd_matches_torch);
    tcase_add_test(tc, affine_teacher_gives_zero);
    tcase_add_test(tc, finite_differences);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
