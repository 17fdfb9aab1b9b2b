/* ctest-labels: parity
 * FCOS-R50-FPN against torchvision 0.14 (tools/fixtures/models_fcos.py) with formula weights: anchors
 * (exact), assignment (exact), raw head outputs, the three losses, every trainable parameter's
 * gradient, and post-processed detections (on the reference's head outputs and end to end). */
#include "det_test_util.h"
#include "models/detector.h"

START_TEST(fcos_matches_torchvision) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "models/fcos.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int K = (int)ak_fixture_scalar(&fx, "meta.num_classes"), H = (int)ak_fixture_scalar(&fx, "meta.h"),
        W = (int)ak_fixture_scalar(&fx, "meta.w");
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    ak_detector det;
    ak_detector_cfg cfg = ak_detector_cfg_preset(AK_HEAD_FCOS, AK_DET_TORCHVISION, 50, K);
    ck_assert_msg(ak_detector_init(&det, &ps, &cfg, 1, &err) == AK_OK, "%s", err.msg);
    det_formula_weights(&ps, AK_HEAD_FCOS, NULL, 0);
    ck_assert_int_eq(det_trainable_count(&ps), (int)ak_fixture_scalar(&fx, "trainable_count"));

    int64_t xs[4] = {2, 3, H, W};
    ak_tensor *x = det_formula_input(&ctx, "input.image", 4, xs);
    det_fx_target tg[2];
    det_load_target(&ctx, &fx, 0, &tg[0]);
    det_load_target(&ctx, &fx, 1, &tg[1]);
    ak_det_target targets[2] = {tg[0].t, tg[1].t};

    ak_dense_out o;
    ck_assert_msg(ak_detector_forward(&ctx, &det, x, true, &o, NULL) == AK_OK, "%s", ctx.err.msg);
    int64_t M = o.lv.start[o.lv.n];
    ak_tensor *want_cls = ak_fixture_tensor(&ctx, &fx, "cls_logits");
    ak_tensor *want_reg = ak_fixture_tensor(&ctx, &fx, "bbox_regression");
    ak_tensor *want_ctr = ak_fixture_tensor(&ctx, &fx, "bbox_ctrness");
    ck_assert_int_eq(o.cls->numel, want_cls->numel);
    ak_assert_close("cls_logits", o.cls->data, want_cls->data, o.cls->numel, 1e-4, 1e-4);
    ak_assert_close("bbox_regression", o.reg->data, want_reg->data, o.reg->numel, 1e-4, 1e-4);
    ak_assert_close("bbox_ctrness", o.ctr->data, want_ctr->data, o.ctr->numel, 1e-4, 1e-4);

    float *anchors = ak_detector_priors(&ctx, &det, &o, H, W);
    ck_assert_msg(anchors != NULL, "%s", ctx.err.msg);
    ak_tensor *want_a = ak_fixture_tensor(&ctx, &fx, "anchors");
    ck_assert_int_eq(want_a->numel, 4 * M);
    ak_assert_bitwise("anchors", anchors, want_a->data, 4 * M);

    ak_det_losses L;
    int32_t *matched = malloc((size_t)(2 * M) * sizeof *matched);
    ck_assert_msg(ak_fcos_loss(&ctx, &det.fcos, &o, anchors, targets, &L, matched) == AK_OK, "%s", ctx.err.msg);
    for (int i = 0; i < 2; i++) {
        char name[32];
        snprintf(name, sizeof name, "matched%d", i);
        ak_tensor *wm = ak_fixture_tensor(&ctx, &fx, name);
        for (int64_t a = 0; a < M; a++)
            ck_assert_msg(matched[i * M + a] == (int32_t)wm->data[a], "image %d prior %lld: matched %d, want %d", i,
                          (long long)a, matched[i * M + a], (int)wm->data[a]);
    }
    free(matched);
    const char *names[3] = {"loss.classification", "loss.bbox_regression", "loss.bbox_ctrness"};
    ak_tensor *got[3] = {L.cls, L.box, L.ctr};
    for (int k = 0; k < 3; k++) {
        float want = (float)ak_fixture_scalar(&fx, names[k]);
        ak_assert_close(names[k], got[k]->data, &want, 1, 1e-4, 0);
    }

    ck_assert_msg(ak_backward(&ctx, L.total) == AK_OK, "%s", ctx.err.msg);
    int checked = 0;
    for (int i = 0; i < ps.n; i++) {
        if (!ps.items[i].trainable)
            continue;
        char tv[AK_PARAM_NAME_LEN], name[AK_PARAM_NAME_LEN + 8];
        ck_assert_int_eq(ak_det_key_to_torchvision(AK_HEAD_FCOS, 3, ps.items[i].name, tv, sizeof tv), AK_OK);
        snprintf(name, sizeof name, "grad.%s", tv);
        ak_assert_digest(name, &fx, name, ps.items[i].t, ps.items[i].t->grad, 2e-3);
        checked++;
    }
    ck_assert_int_eq(checked, (int)ak_fixture_scalar(&fx, "trainable_count"));

    ak_det_image imgs[2];
    int oh = (int)ak_fixture_scalar(&fx, "meta.orig_h"), ow = (int)ak_fixture_scalar(&fx, "meta.orig_w");
    for (int i = 0; i < 2; i++) {
        ak_det_image im = {H, W, 0, 0, (float)W / (float)ow, (float)H / (float)oh};
        imgs[i] = im;
    }
    ak_dense_out ref = o;
    ref.cls = want_cls, ref.reg = want_reg, ref.ctr = want_ctr;
    ak_det_result res[2];
    ck_assert_msg(ak_fcos_predict(&det.fcos, &ref, want_a->data, imgs, res, &ctx.err) == AK_OK, "%s", ctx.err.msg);
    for (int i = 0; i < 2; i++) {
        det_check_result(&ctx, &fx, i, &res[i], 1e-6);
        ak_det_result_free(&res[i]);
    }
    ck_assert_msg(ak_fcos_predict(&det.fcos, &o, anchors, imgs, res, &ctx.err) == AK_OK, "%s", ctx.err.msg);
    for (int i = 0; i < 2; i++) {
        det_check_result(&ctx, &fx, i, &res[i], 1e-4);
        ak_det_result_free(&res[i]);
    }
    ak_detector_free(&det);
    ak_params_free(&ps);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

/* mmdet FCOS (norm_on_bbox, center sampling 1.5, centerness-weighted GIoU; tools/fixtures/
 * models_detparts.py, written from the mmdet definitions): point priors, targets, the three losses,
 * input gradients, and the test-time post-processing (rescale before NMS, s(cls) * s(ctr) scores). */
START_TEST(fcos_mmdet_matches_definition) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "models/detparts.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_fcos_head h;
    memset(&h, 0, sizeof h);
    h.cfg = ak_fcos_cfg_default(AK_DET_MMDET, 3);
    ak_dense_out o;
    memset(&o, 0, sizeof o);
    o.lv = det_levels_from(ak_fixture_tensor(&ctx, &fx, "mmf.feat"), 1);
    int64_t M = o.lv.start[o.lv.n];
    ak_tensor *points = ak_fixture_tensor(&ctx, &fx, "mmf.points");
    float *mine = malloc((size_t)M * 2 * sizeof *mine);
    ak_det_points(&o.lv, h.cfg.strides, 0.5f, mine);
    ak_assert_bitwise("mmdet points", mine, points->data, 2 * M);
    free(mine);
    o.cls = ak_fixture_tensor(&ctx, &fx, "mmf.cls");
    o.reg = ak_fixture_tensor(&ctx, &fx, "mmf.reg");
    o.ctr = ak_fixture_tensor(&ctx, &fx, "mmf.ctr");
    o.cls->requires_grad = o.reg->requires_grad = o.ctr->requires_grad = true;
    det_fx_target tg[2];
    for (int i = 0; i < 2; i++) {
        char name[32];
        snprintf(name, sizeof name, "mmf.gt%d", i);
        ak_tensor *b = ak_fixture_tensor(&ctx, &fx, name);
        snprintf(name, sizeof name, "mmf.labels%d", i);
        ak_tensor *l = ak_fixture_tensor(&ctx, &fx, name);
        memcpy(tg[i].boxes, b->data, (size_t)b->numel * sizeof(float));
        for (int64_t k = 0; k < l->numel; k++)
            tg[i].labels[k] = (int32_t)l->data[k];
        ak_det_target t = {tg[i].boxes, tg[i].labels, NULL, l->numel};
        tg[i].t = t;
    }
    ak_det_target targets[2] = {tg[0].t, tg[1].t};
    ak_det_losses L;
    int32_t *matched = malloc((size_t)(2 * M) * sizeof *matched);
    ck_assert_msg(ak_fcos_loss(&ctx, &h, &o, points->data, targets, &L, matched) == AK_OK, "%s", ctx.err.msg);
    for (int i = 0; i < 2; i++) {
        char name[32];
        snprintf(name, sizeof name, "mmf.matched%d", i);
        ak_tensor *w = ak_fixture_tensor(&ctx, &fx, name);
        for (int64_t a = 0; a < M; a++)
            ck_assert_msg(matched[i * M + a] == (int32_t)w->data[a], "image %d point %lld: %d, want %d", i,
                          (long long)a, matched[i * M + a], (int)w->data[a]);
    }
    free(matched);
    const char *names[3] = {"mmf.loss_cls", "mmf.loss_box", "mmf.loss_ctr"};
    ak_tensor *got[3] = {L.cls, L.box, L.ctr};
    for (int k = 0; k < 3; k++) {
        float want = (float)ak_fixture_scalar(&fx, names[k]);
        ak_assert_close(names[k], got[k]->data, &want, 1, 1e-5, 0);
    }
    ck_assert_msg(ak_backward(&ctx, L.total) == AK_OK, "%s", ctx.err.msg);
    const char *gn[3] = {"mmf.grad_cls", "mmf.grad_reg", "mmf.grad_ctr"};
    ak_tensor *in[3] = {o.cls, o.reg, o.ctr};
    for (int k = 0; k < 3; k++) {
        ak_tensor *w = ak_fixture_tensor(&ctx, &fx, gn[k]);
        ak_assert_close(gn[k], in[k]->grad, w->data, w->numel, 1e-4, 1e-7);
    }
    /* post-processing of image 0 (64 x 96, scale factor 0.8): the batch of one */
    ak_dense_out one = o;
    int64_t cs[3] = {1, M, 3}, rs[3] = {1, M, 4}, zs[3] = {1, M, 1};
    one.cls = ak_tensor_from(&ctx, 3, cs, o.cls->data);
    one.reg = ak_tensor_from(&ctx, 3, rs, o.reg->data);
    one.ctr = ak_tensor_from(&ctx, 3, zs, o.ctr->data);
    ak_det_image im = {64, 96, 0, 0, 0.8f, 0.8f};
    ak_det_result res;
    ck_assert_msg(ak_fcos_predict(&h, &one, points->data, &im, &res, &ctx.err) == AK_OK, "%s", ctx.err.msg);
    ak_tensor *ws = ak_fixture_tensor(&ctx, &fx, "mmf.det.scores"), *wb = ak_fixture_tensor(&ctx, &fx, "mmf.det.boxes");
    ak_tensor *wl = ak_fixture_tensor(&ctx, &fx, "mmf.det.labels");
    ck_assert_int_eq(res.n, ws->numel);
    for (int64_t k = 0; k < res.n; k++)
        ck_assert_int_eq(res.labels[k], (int32_t)wl->data[k]);
    ak_assert_close("mmdet fcos scores", res.scores, ws->data, res.n, 1e-6, 1e-7);
    ak_assert_close("mmdet fcos boxes", res.boxes, wb->data, 4 * res.n, 1e-6, 1e-4);
    ak_det_result_free(&res);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(fcos_errors_name_the_field) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    ak_fcos_head h;
    ak_fcos_cfg c = ak_fcos_cfg_default(AK_DET_MMDET, 3);
    c.n_levels = 9;
    ck_assert_int_eq(ak_fcos_head_init(&h, &ps, "bbox_head", &c, 1, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "n_levels 9"));
    ak_error_clear(&err);
    c = ak_fcos_cfg_default(AK_DET_MMDET, 3);
    c.bbox = (ak_fcos_bbox)5;
    ck_assert_int_eq(ak_fcos_head_init(&h, &ps, "bbox_head", &c, 1, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "bbox mode 5"));
    ak_error_clear(&err);
    c = ak_fcos_cfg_default(AK_DET_MMDET, 3);
    c.in_channels = c.feat_channels = 32;
    c.stacked_convs = 1;
    ck_assert_int_eq(ak_fcos_head_init(&h, &ps, "bbox_head", &c, 1, &err), AK_OK);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t fs[4] = {1, 32, 2, 2};
    ak_tensor *f = ak_tensor_zeros(&ctx, "f", 4, fs);
    ak_dense_out o;
    ck_assert_int_eq(ak_fcos_head_forward(&ctx, &h, &f, 1, &o, NULL), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(ctx.err.msg, "1 feature levels, configured for 5"));
    ak_det_levels lv;
    ak_ctx_clear_error(&ctx);
    ck_assert_int_eq(ak_det_levels_init(&lv, &f, 1, 9, &ctx.err), AK_OK);
    int32_t out[36];
    ck_assert_int_eq(ak_fcos_match(&c, &lv, NULL, NULL, 0, out, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "9 priors per location"));
    /* scales: one learnable scalar per level, initialised to 1 */
    ak_param *sc = ak_params_find(&ps, "bbox_head.scales.4.scale");
    ck_assert(sc && sc->trainable && sc->t->numel == 1 && sc->t->data[0] == 1.0f);
    ak_ctx_free(&ctx);
    ak_params_free(&ps);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("fcos");
    TCase *tc = tcase_create("parity");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, fcos_matches_torchvision);
    tcase_add_test(tc, fcos_mmdet_matches_definition);
    tcase_add_test(tc, fcos_errors_name_the_field);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
