/* FCOS-R50-FPN against torchvision 0.14 (tools/fixtures/models_fcos.py) with formula weights: anchors
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

static Suite *suite(void) {
    Suite *s = suite_create("fcos");
    TCase *tc = tcase_create("parity");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, fcos_matches_torchvision);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
