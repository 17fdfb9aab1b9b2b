/* DIST (baselines/dist.c) against PyTorch (tools/fixtures/distill_losses.py): softmax on (N, K)
 * logits and sigmoid on (N, K, H, W) maps, the weighted inter / intra terms, finite differences,
 * perfect agreement giving 0, errors. */
#include "baselines/methods.h"
#include "distill_test.h"

static void terms_match(const char *name, ak_distill_loss *l) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "distill/losses.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ck_assert_int_eq(l->n_terms, 2);
    ck_assert_str_eq(l->term_names[0], "inter");
    ck_assert_str_eq(l->term_names[1], "intra");
    ak_assert_close("dist inter", &l->term_values[0], fxt(&ctx, &fx, "%s.inter", name)->data, 1, 1e-4, 1e-7);
    ak_assert_close("dist intra", &l->term_values[1], fxt(&ctx, &fx, "%s.intra", name)->data, 1, 1e-4, 1e-7);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}

START_TEST(dist_matches_torch) {
    ak_error err = {0};
    ak_dist_opts o = {1.5f, 1.0f, 2.0f, false};
    ak_distill_loss *l = ak_dist_loss_create("head.cls", &o, &err);
    check_fixture_case("distill/losses.safetensors", "dist", l, 1e-4);
    terms_match("dist", l);
    ak_distill_loss_destroy(l);
    o = (ak_dist_opts){1.0f, 0.5f, 1.0f, true};
    l = ak_dist_loss_create("head.cls.p3", &o, &err);
    check_fixture_case("distill/losses.safetensors", "dist_map", l, 1e-4);
    terms_match("dist_map", l);
    ak_distill_loss_destroy(l);
}
END_TEST

START_TEST(identical_scores_give_zero) {
    ak_error err = {0};
    ak_dist_opts o = {1.0f, 1.0f, 1.0f, false};
    ak_distill_loss *l = ak_dist_loss_create("x", &o, &err);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t shape[2] = {5, 4};
    float v[20];
    ak_test_fill_uniform(v, 20, 51, -2, 2);
    ak_rng rng = {0, 0};
    ak_tensor *out = run_loss(&ctx, l, ak_tensor_from(&ctx, 2, shape, v), ak_tensor_from(&ctx, 2, shape, v), NULL, 0, rng);
    ck_assert_ptr_nonnull(out);
    ck_assert_double_eq_tol(out->data[0], 0.0, 1e-6);
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(l);
}
END_TEST

START_TEST(finite_differences) {
    ak_error err = {0};
    ak_dist_opts o = {1.0f, 1.0f, 2.0f, false};
    ak_distill_loss *l = ak_dist_loss_create("x", &o, &err);
    float s[2 * 5 * 3 * 2], t[2 * 5 * 3 * 2];
    ak_test_fill_uniform(s, 60, 52, -2, 2);
    ak_test_fill_uniform(t, 60, 53, -2, 2);
    fd_loss u = {.loss = l};
    ak_gradcheck_input in[2] = {{"s", 4, {2, 5, 3, 2}, s, 1}, {"t", 4, {2, 5, 3, 2}, t, 0}};
    ak_gradcheck_opts op = {.eps = 1e-2, .atol = 1e-4};
    ak_gradcheck("dist", fd_loss_fn, &u, in, 2, &op);
    ak_distill_loss_destroy(l);
}
END_TEST

START_TEST(errors) {
    ak_error err = {0};
    ak_dist_opts o = {1.0f, 1.0f, 1.0f, false};
    ak_distill_loss *l = ak_dist_loss_create("head.cls", &o, &err);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t a[3] = {2, 4, 3};
    ak_rng rng = {0, 0};
    ck_assert_ptr_null(run_loss(&ctx, l, ak_tensor_zeros(&ctx, "s", 3, a), ak_tensor_zeros(&ctx, "t", 3, a), NULL, 0, rng));
    assert_error(&ctx, AK_ESHAPE, "dist", "head.cls", "(2,4,3)", NULL);
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(l);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("dist");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, dist_matches_torch);
    tcase_add_test(tc, identical_scores_give_zero);
    tcase_add_test(tc, finite_differences);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
