/* FGD (baselines/fgd.c, fgd_mask.c) against PyTorch (tools/fixtures/distill_fgd.py): the masks
 * bitwise (edge-touching and overlapping boxes, an image without boxes, per-image sizes), the
 * attention maps, the loss and its four terms, the gradients of the student and of all 16 GcBlock
 * parameters; finite differences; the reference initialisation; errors naming the tap. */
#include "baselines/fgd.h"
#include "baselines/methods.h"
#include "distill_test.h"

typedef struct gt_fixture {
    ak_gt_boxes gt;
    int count[3], hw[6];
    const float *boxes[3];
} gt_fixture;

static void load_gt(ak_ctx *ctx, const ak_safetensors *fx, gt_fixture *g) {
    int64_t hw[6];
    fx_ints(fx, hw, 6, "fgd.img_hw");
    for (int i = 0; i < 3; i++) {
        ak_tensor *b = fxt(ctx, fx, "fgd.boxes.%d", i);
        g->count[i] = (int)(b->numel / 4);
        g->boxes[i] = b->data;
        g->hw[2 * i] = (int)hw[2 * i];
        g->hw[2 * i + 1] = (int)hw[2 * i + 1];
    }
    g->gt = (ak_gt_boxes){3, g->count, g->boxes, 0, 0, g->hw};
}

static ak_distill_loss *make(ak_params *ps, int channels, ak_error *err) {
    ak_fgd_opts o = {2.0f, 0.5f, 1e-3f, 5e-4f, 1e-3f, 5e-3f, channels, false, 3};
    return ak_fgd_loss_create("neck.p3", &o, ps, err);
}

START_TEST(masks_match_reference_bitwise) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "distill/fgd.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    gt_fixture g;
    load_gt(&ctx, &fx, &g);
    float fg[3 * 6 * 5], bg[3 * 6 * 5];
    ak_error err = {0};
    ck_assert_int_eq(ak_fgd_masks(&g.gt, 3, 6, 5, fg, bg, &err), AK_OK);
    ak_assert_bitwise("fgd foreground mask", fg, fxt(&ctx, &fx, "fgd.fg")->data, 90);
    ak_assert_bitwise("fgd background mask", bg, fxt(&ctx, &fx, "fgd.bg")->data, 90);
    /* the image without boxes: background 1/(H*W) everywhere */
    ck_assert_float_eq(bg[30], 1.0f / 30.0f);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(attention_matches_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "distill/fgd.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_tensor *sa, *ca;
    ck_assert_int_eq(ak_fgd_attention(&ctx, fxt(&ctx, &fx, "fgd.s"), 0.5f, &sa, &ca), AK_OK);
    ak_assert_close("fgd spatial attention", sa->data, fxt(&ctx, &fx, "fgd.sa_s")->data, sa->numel, 1e-5, 1e-7);
    ak_assert_close("fgd channel attention", ca->data, fxt(&ctx, &fx, "fgd.ca_s")->data, ca->numel, 1e-5, 1e-7);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(loss_matches_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "distill/fgd.safetensors");
    ak_params ps;
    ak_params_init(&ps);
    ak_error err = {0};
    ak_distill_loss *l = make(&ps, 8, &err);
    ck_assert_msg(l != NULL, "%s", err.msg);
    ck_assert_int_eq(ak_distill_loss_n_params(l), 16);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    load_loss_params(&ctx, &fx, "fgd", l);
    gt_fixture g;
    load_gt(&ctx, &fx, &g);
    ak_tensor *s = fxt(&ctx, &fx, "fgd.s");
    s->requires_grad = true;
    ak_rng rng = {0, 0};
    ak_tensor *out = run_loss(&ctx, l, s, fxt(&ctx, &fx, "fgd.t"), &g.gt, 0, rng);
    ck_assert_msg(out != NULL, "%s", ctx.err.msg);
    ak_assert_close("fgd loss", out->data, fxt(&ctx, &fx, "fgd.out")->data, 1, 1e-5, 0);
    const char *terms[4] = {"fg", "bg", "at", "rela"};
    ck_assert_int_eq(l->n_terms, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_str_eq(l->term_names[i], terms[i]);
        ak_assert_close(terms[i], &l->term_values[i], fxt(&ctx, &fx, "fgd.%s_term", terms[i])->data, 1, 1e-5, 1e-10);
    }
    ck_assert_int_eq(ak_backward(&ctx, out), AK_OK);
    assert_grad("fgd ds", s, fxt(&ctx, &fx, "fgd.ds"), 1e-4, 1e-8);
    /* conv_mask biases have an exactly-zero gradient (softmax shift invariance): float rounding */
    check_loss_param_grads(&ctx, &fx, "fgd", l, 1e-4, 1e-7);
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(l);
    ak_params_free(&ps);
    ak_safetensors_close(&fx);
}
END_TEST

/* Each part on its own, so that one term's float rounding does not drown another's small
 * gradient: the relation term (lambda 1) with each GcBlock branch, then fg + bg + attention. */
START_TEST(finite_differences) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "distill/fgd.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    gt_fixture g;
    load_gt(&ctx, &fx, &g);
    for (int part = 0; part < 3; part++) {
        ak_params ps;
        ak_params_init(&ps);
        ak_error err = {0};
        ak_fgd_opts o = part < 2 ? (ak_fgd_opts){1.0f, 0.5f, 0, 0, 0, 1.0f, 8, false, 3}
                                 : (ak_fgd_opts){1.0f, 0.5f, 1.0f, 1.0f, 1.0f, 0, 8, false, 3};
        ak_distill_loss *l = ak_fgd_loss_create("neck.p3", &o, &ps, &err);
        load_loss_params(&ctx, &fx, "fgd", l);
        fd_loss u = {.loss = l, .gt = &g.gt, .n_params = part < 2 ? 8 : 0};
        ak_gradcheck_input in[10];
        in[0] = fd_input_of("s", fxt(&ctx, &fx, "fgd.s"), 1);
        in[1] = fd_input_of("t", fxt(&ctx, &fx, "fgd.t"), 0);
        if (part < 2) {
            /* the relation term is a sum of squares of (S - T + add_S - add_T): keep those small
             * (T near S, small last convs) so its float rounding stays far below the gradients */
            float noise[720];
            ak_test_fill_uniform(noise, 720, 77, -0.05f, 0.05f);
            for (int i = 0; i < 720; i++)
                in[1].data[i] = in[0].data[i] + noise[i];
            const char *last[4] = {"channel_add_conv_s.3.weight", "channel_add_conv_s.3.bias",
                                   "channel_add_conv_t.3.weight", "channel_add_conv_t.3.bias"};
            for (int k = 0; k < 4; k++) {
                ak_tensor *p = *ak_distill_loss_param_slot(l, last[k]);
                for (int64_t i = 0; i < p->numel; i++)
                    p->data[i] *= 0.05f;
            }
        }
        for (int i = 0; i < u.n_params; i++) {
            u.params[i] = ak_distill_loss_param_name(l, 8 * part + i);
            in[2 + i] = fd_input_of(u.params[i], *ak_distill_loss_param_slot(l, u.params[i]), 1);
        }
        ak_gradcheck_opts go = {.eps = 1e-2, .atol = 1e-4, .max_elems = 24};
        const char *what[3] = {"fgd relation, student branch", "fgd relation, teacher branch", "fgd fg/bg/attention"};
        ak_gradcheck(what[part], fd_loss_fn, &u, in, 2 + u.n_params, &go);
        free_fd_inputs(in, 2 + u.n_params);
        ak_distill_loss_destroy(l);
        ak_params_free(&ps);
    }
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(reference_initialisation) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err = {0};
    ak_distill_loss *l = make(&ps, 256, &err);
    ck_assert_ptr_nonnull(l);
    ak_tensor *mw = ak_params_find(&ps, "distill.neck.p3.conv_mask_s.weight")->t;
    double ss = 0;
    for (int i = 0; i < 256; i++)
        ss += (double)mw->data[i] * mw->data[i];
    /* Kaiming normal, fan_in 256: variance 2/256 (256 draws: within 25%) */
    ck_assert_double_eq_tol(ss / 256.0, 2.0 / 256.0, 0.25 * 2.0 / 256.0);
    const char *zero[4] = {"conv_mask_t.bias", "channel_add_conv_s.3.weight", "channel_add_conv_t.3.bias",
                           "channel_add_conv_s.1.bias"};
    for (int k = 0; k < 4; k++) {
        ak_tensor *t = *ak_distill_loss_param_slot(l, zero[k]);
        for (int64_t i = 0; i < t->numel; i++)
            ck_assert_msg(t->data[i] == 0.0f, "%s must start at 0", zero[k]);
    }
    ak_tensor *ln = *ak_distill_loss_param_slot(l, "channel_add_conv_t.1.weight");
    ck_assert_int_eq(ln->ndim, 3);
    ck_assert_int_eq(ln->shape[0], 128);
    ck_assert_float_eq(ln->data[5], 1.0f);
    ak_tensor *w0 = *ak_distill_loss_param_slot(l, "channel_add_conv_s.0.weight");
    float bound = 1.0f / 16.0f, mx = 0;
    for (int64_t i = 0; i < w0->numel; i++)
        mx = fabsf(w0->data[i]) > mx ? fabsf(w0->data[i]) : mx;
    ck_assert(mx <= bound && mx > 0.9f * bound); /* PyTorch default: U(-1/sqrt(fan_in), +) */
    ck_assert(ak_params_find(&ps, "distill.neck.p3.conv_mask_t.weight")->trainable);
    ak_distill_loss_destroy(l);
    ak_params_free(&ps);
}
END_TEST

START_TEST(errors_name_tap) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err = {0};
    ck_assert_ptr_null(make(&ps, 7, &err));
    ck_assert_int_eq(err.code, AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "even"));
    ak_error_clear(&err);
    ak_distill_loss *l = make(&ps, 8, &err);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t shape[4] = {3, 8, 6, 5};
    ak_rng rng = {0, 0};
    ak_tensor *s = ak_tensor_zeros(&ctx, "s", 4, shape), *t = ak_tensor_zeros(&ctx, "t", 4, shape);
    ck_assert_ptr_null(run_loss(&ctx, l, s, t, NULL, 0, rng));
    assert_error(&ctx, AK_EINVAL, "fgd", "neck.p3", "boxes", NULL);
    int count[2] = {0, 0};
    const float *boxes[2] = {NULL, NULL};
    ak_gt_boxes two = {2, count, boxes, 48, 40, NULL};
    ck_assert_ptr_null(run_loss(&ctx, l, s, t, &two, 0, rng));
    assert_error(&ctx, AK_EINVAL, "fgd", "neck.p3", "2 images", NULL);
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(l);
    ak_params_free(&ps);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("fgd");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, masks_match_reference_bitwise);
    tcase_add_test(tc, attention_matches_torch);
    tcase_add_test(tc, loss_matches_torch);
    tcase_add_test(tc, finite_differences);
    tcase_add_test(tc, reference_initialisation);
    tcase_add_test(tc, errors_name_tap);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
