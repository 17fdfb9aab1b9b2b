/* MGD (baselines/mgd.c) against PyTorch (tools/fixtures/distill_mgd.py) with the fixture's masks
 * (spatial and channel): value, student and generator gradients; the documented mask rule and its
 * masked fraction; forward() == the masked entry with ak_mgd_mask; finite differences through the
 * student and the generator; frozen generators; option errors. */
#include "baselines/methods.h"
#include "baselines/mgd.h"
#include "distill_test.h"

static ak_distill_loss *make(ak_params *ps, int mask, float lambda, bool frozen, ak_error *err) {
    ak_mgd_opts o = {1.5f, 2e-3f, lambda, mask, 6, frozen, 7};
    return ak_mgd_loss_create("neck.p3", &o, ps, err);
}

START_TEST(mgd_matches_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "distill/mgd.safetensors");
    const char *cases[2] = {"spatial", "channel"};
    for (int c = 0; c < 2; c++) {
        ak_params ps;
        ak_params_init(&ps);
        ak_error err = {0};
        ak_distill_loss *l = make(&ps, c, 0.65f, false, &err);
        ck_assert_msg(l != NULL, "%s", err.msg);
        ck_assert_int_eq(ak_distill_loss_n_params(l), 4);
        ck_assert_ptr_nonnull(ak_params_find(&ps, "distill.neck.p3.generation.2.weight"));
        ak_ctx ctx;
        ak_ctx_init(&ctx, 0, 0);
        load_loss_params(&ctx, &fx, cases[c], l);
        ak_tensor *s = fxt(&ctx, &fx, "%s.s", cases[c]);
        s->requires_grad = true;
        ak_tensor *out = ak_mgd_forward_masked(&ctx, l, s, fxt(&ctx, &fx, "%s.t", cases[c]),
                                               fxt(&ctx, &fx, "%s.mask", cases[c]));
        ck_assert_msg(out != NULL, "%s", ctx.err.msg);
        ak_assert_close("mgd value", out->data, fxt(&ctx, &fx, "%s.out", cases[c])->data, 1, 1e-5, 0);
        ck_assert_int_eq(ak_backward(&ctx, out), AK_OK);
        assert_grad("mgd ds", s, fxt(&ctx, &fx, "%s.ds", cases[c]), 1e-4, 1e-9);
        check_loss_param_grads(&ctx, &fx, cases[c], l, 1e-4, 1e-9);
        ak_ctx_free(&ctx);
        ak_distill_loss_destroy(l);
        ak_params_free(&ps);
    }
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(mask_rule) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_rng rng = {99, ak_rng_stream5(AK_STREAM_LOSS_MASK, 3, 1, 0, 0)};
    int64_t shape[4] = {2, 16, 40, 50};
    for (int mode = 0; mode < 2; mode++) {
        ak_tensor *m = ak_mgd_mask(&ctx, rng, shape, 0.65f, mode);
        ck_assert_ptr_nonnull(m);
        ck_assert_int_eq(m->shape[1], mode ? 16 : 1);
        ck_assert_int_eq(m->shape[2], mode ? 1 : 40);
        int64_t zeros = 0;
        for (int64_t i = 0; i < m->numel; i++) {
            float want = ak_rng_uniform1(rng, (uint64_t)i) > 1.0f - 0.65f ? 0.0f : 1.0f;
            ck_assert_msg(m->data[i] == want, "mask element %lld", (long long)i);
            zeros += m->data[i] == 0.0f;
        }
        if (mode == 0) /* 4000 draws: the masked fraction is lambda within 4 sigma */
            ck_assert_double_eq_tol((double)zeros / (double)m->numel, 0.65, 4 * sqrt(0.65 * 0.35 / 4000));
    }
    /* lambda 0 keeps everything, 1 drops everything */
    ak_tensor *all = ak_mgd_mask(&ctx, rng, shape, 0.0f, 0), *none = ak_mgd_mask(&ctx, rng, shape, 1.0f, 0);
    for (int64_t i = 0; i < all->numel; i++) {
        ck_assert(all->data[i] == 1.0f);
        ck_assert(none->data[i] == 0.0f);
    }
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(forward_draws_the_documented_mask) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err = {0};
    ak_distill_loss *l = make(&ps, 0, 0.65f, false, &err);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t shape[4] = {2, 6, 5, 4};
    float s[240], t[240];
    ak_test_fill_uniform(s, 240, 61, -1, 1);
    ak_test_fill_uniform(t, 240, 62, -1, 1);
    ak_tensor *S = ak_tensor_from(&ctx, 4, shape, s), *T = ak_tensor_from(&ctx, 4, shape, t);
    ak_rng rng = {5, ak_rng_stream5(AK_STREAM_LOSS_MASK, 11, 0, 0, 0)};
    ak_tensor *a = run_loss(&ctx, l, S, T, NULL, 11, rng);
    ak_tensor *b = ak_mgd_forward_masked(&ctx, l, S, T, ak_mgd_mask(&ctx, rng, shape, 0.65f, 0));
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ak_assert_bitwise("forward vs masked entry", a->data, b->data, 1);
    ak_rng other = {5, ak_rng_stream5(AK_STREAM_LOSS_MASK, 12, 0, 0, 0)};
    ak_tensor *c = run_loss(&ctx, l, S, T, NULL, 12, other);
    ck_assert_msg(c->data[0] != a->data[0], "another iteration's mask gives another loss");
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(l);
    ak_params_free(&ps);
}
END_TEST

static ak_tensor *masked_fwd(ak_ctx *ctx, fd_loss *u, ak_tensor *s, ak_tensor *t) {
    return ak_mgd_forward_masked(ctx, u->loss, s, t, u->extra);
}

START_TEST(finite_differences) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err = {0};
    ak_mgd_opts o = {1.0f, 0.05f, 0.5f, 0, 3, false, 9};
    ak_distill_loss *l = ak_mgd_loss_create("neck.p3", &o, &ps, &err);
    ak_ctx mctx;
    ak_ctx_init(&mctx, 0, 0);
    int64_t shape[4] = {2, 3, 4, 3};
    ak_rng rng = {1, 2};
    fd_loss u = {.loss = l, .n_params = 4, .forward = masked_fwd, .extra = ak_mgd_mask(&mctx, rng, shape, 0.5f, 0)};
    ak_gradcheck_input in[6];
    float s[72], t[72];
    ak_test_fill_uniform(s, 72, 63, -1, 1);
    ak_test_fill_uniform(t, 72, 64, -1, 1);
    in[0] = (ak_gradcheck_input){"s", 4, {2, 3, 4, 3}, dup_floats(s, 72), 1};
    in[1] = (ak_gradcheck_input){"t", 4, {2, 3, 4, 3}, dup_floats(t, 72), 0};
    for (int i = 0; i < 4; i++) {
        u.params[i] = ak_distill_loss_param_name(l, i);
        in[2 + i] = fd_input_of(u.params[i], *ak_distill_loss_param_slot(l, u.params[i]), 1);
    }
    ak_gradcheck("mgd", fd_loss_fn, &u, in, 6, NULL);
    free_fd_inputs(in, 6);
    ak_ctx_free(&mctx);
    ak_distill_loss_destroy(l);
    ak_params_free(&ps);
}
END_TEST

START_TEST(frozen_generator_gets_no_gradient) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err = {0};
    ak_distill_loss *l = make(&ps, 0, 0.65f, true, &err);
    ck_assert(!ak_params_find(&ps, "distill.neck.p3.generation.0.weight")->trainable);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t shape[4] = {2, 6, 5, 4};
    float s[240];
    ak_test_fill_uniform(s, 240, 65, -1, 1);
    ak_tensor *S = ak_tensor_from(&ctx, 4, shape, s);
    S->requires_grad = true;
    ak_rng rng = {5, 6};
    ak_tensor *out = run_loss(&ctx, l, S, ak_tensor_zeros(&ctx, "t", 4, shape), NULL, 0, rng);
    ck_assert_int_eq(ak_backward(&ctx, out), AK_OK);
    ck_assert_ptr_nonnull(S->grad);
    for (int i = 0; i < ps.n; i++)
        for (int64_t k = 0; k < ps.items[i].t->numel; k++)
            ck_assert(ps.items[i].t->grad[k] == 0.0f);
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(l);
    ak_params_free(&ps);
}
END_TEST

START_TEST(errors) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err = {0};
    ck_assert_ptr_null(make(&ps, 0, 1.5f, false, &err));
    ck_assert_int_eq(err.code, AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "lambda"));
    ak_error_clear(&err);
    ak_distill_loss *l = make(&ps, 0, 0.5f, false, &err);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t shape[4] = {2, 4, 5, 4};
    ak_rng rng = {5, 6};
    ck_assert_ptr_null(run_loss(&ctx, l, ak_tensor_zeros(&ctx, "s", 4, shape), ak_tensor_zeros(&ctx, "t", 4, shape),
                                NULL, 0, rng));
    assert_error(&ctx, AK_ESHAPE, "mgd", "neck.p3", "4 channels", "6", NULL);
    /* an explicit mask of the other mode's shape is refused with both shapes */
    int64_t s6[4] = {2, 6, 5, 4}, channel_mask[4] = {2, 6, 1, 1};
    ck_assert_ptr_null(ak_mgd_forward_masked(&ctx, l, ak_tensor_zeros(&ctx, "s", 4, s6),
                                             ak_tensor_zeros(&ctx, "t", 4, s6),
                                             ak_tensor_zeros(&ctx, "m", 4, channel_mask)));
    assert_error(&ctx, AK_ESHAPE, "mgd", "neck.p3", "spatial mask (2,6,1,1)", "(2,6,5,4)", "(2,1,5,4)", NULL);
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(l);
    ak_params_free(&ps);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("mgd");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, mgd_matches_torch);
    tcase_add_test(tc, mask_rule);
    tcase_add_test(tc, forward_draws_the_documented_mask);
    tcase_add_test(tc, finite_differences);
    tcase_add_test(tc, frozen_generator_gets_no_gradient);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
