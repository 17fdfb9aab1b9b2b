/* RetinaNet-R50-FPN against torchvision 0.14 (tools/fixtures/models_retinanet.py) with formula
 * weights: anchors (exact), assignment (exact), raw head outputs, both losses, every trainable
 * parameter's gradient, and post-processed detections (on the reference's head outputs, and end to
 * end on ours). Plus the mmdet normalisation on hand-checkable inputs and the error paths. */
#include "det_test_util.h"
#include "models/detector.h"

static const det_scale SCALES[] = {
    {"backbone.fpn.inner_blocks.0.0.weight", 1.0f / 8},  {"backbone.fpn.inner_blocks.1.0.weight", 1.0f / 32},
    {"backbone.fpn.inner_blocks.2.0.weight", 1.0f / 64}, {"head.regression_head.bbox_reg.weight", 1.0f / 8},
    {"head.classification_head.cls_logits.weight", 1.0f / 4},
};

typedef struct tv_model {
    ak_params ps;
    ak_detector det;
} tv_model;

static void build_tv(tv_model *m, int K) {
    ak_params_init(&m->ps);
    ak_error err;
    ak_error_clear(&err);
    ak_detector_cfg cfg = ak_detector_cfg_preset(AK_HEAD_RETINANET, AK_DET_TORCHVISION, 50, K);
    cfg.retina.test.max_per_img = 100;
    ck_assert_msg(ak_detector_init(&m->det, &m->ps, &cfg, 1, &err) == AK_OK, "%s", err.msg);
    det_formula_weights(&m->ps, AK_HEAD_RETINANET, SCALES, (int)(sizeof SCALES / sizeof SCALES[0]));
}

static void free_tv(tv_model *m) {
    ak_detector_free(&m->det);
    ak_params_free(&m->ps);
}

START_TEST(retinanet_matches_torchvision) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "models/retinanet.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int K = (int)ak_fixture_scalar(&fx, "meta.num_classes"), H = (int)ak_fixture_scalar(&fx, "meta.h"),
        W = (int)ak_fixture_scalar(&fx, "meta.w");
    tv_model m;
    build_tv(&m, K);
    ck_assert_int_eq(det_trainable_count(&m.ps), (int)ak_fixture_scalar(&fx, "trainable_count"));

    int64_t xs[4] = {2, 3, H, W};
    ak_tensor *x = det_formula_input(&ctx, "input.image", 4, xs);
    det_fx_target tg[2];
    det_load_target(&ctx, &fx, 0, &tg[0]);
    det_load_target(&ctx, &fx, 1, &tg[1]);
    ak_det_target targets[2] = {tg[0].t, tg[1].t};

    ak_dense_out o;
    ck_assert_msg(ak_detector_forward(&ctx, &m.det, x, true, &o, NULL) == AK_OK, "%s", ctx.err.msg);
    int64_t M = o.lv.start[o.lv.n];
    ak_tensor *want_cls = ak_fixture_tensor(&ctx, &fx, "cls_logits");
    ak_tensor *want_reg = ak_fixture_tensor(&ctx, &fx, "bbox_regression");
    ck_assert_int_eq(o.cls->numel, want_cls->numel);
    ak_assert_close("cls_logits", o.cls->data, want_cls->data, o.cls->numel, 1e-4, 1e-4);
    ak_assert_close("bbox_regression", o.reg->data, want_reg->data, o.reg->numel, 1e-4, 1e-4);

    float *anchors = ak_detector_priors(&ctx, &m.det, &o, H, W);
    ck_assert_msg(anchors != NULL, "%s", ctx.err.msg);
    ak_tensor *want_a = ak_fixture_tensor(&ctx, &fx, "anchors");
    ck_assert_int_eq(want_a->numel, 4 * M);
    ak_assert_bitwise("anchors", anchors, want_a->data, 4 * M);

    ak_det_losses L;
    int32_t *matched = malloc((size_t)(2 * M) * sizeof *matched);
    ck_assert_msg(ak_retina_loss(&ctx, &m.det.retina, &o, anchors, NULL, targets, &L, matched) == AK_OK, "%s",
                  ctx.err.msg);
    for (int i = 0; i < 2; i++) {
        char name[32];
        snprintf(name, sizeof name, "matched%d", i);
        ak_tensor *wm = ak_fixture_tensor(&ctx, &fx, name);
        for (int64_t a = 0; a < M; a++)
            ck_assert_msg(matched[i * M + a] == (int32_t)wm->data[a], "image %d anchor %lld: matched %d, want %d", i,
                          (long long)a, matched[i * M + a], (int)wm->data[a]);
    }
    free(matched);
    float want_lc = (float)ak_fixture_scalar(&fx, "loss.classification");
    float want_lb = (float)ak_fixture_scalar(&fx, "loss.bbox_regression");
    ak_assert_close("loss.classification", L.cls->data, &want_lc, 1, 1e-4, 0);
    ak_assert_close("loss.bbox_regression", L.box->data, &want_lb, 1, 1e-4, 0);

    ck_assert_msg(ak_backward(&ctx, L.total) == AK_OK, "%s", ctx.err.msg);
    int checked = 0;
    for (int i = 0; i < m.ps.n; i++) {
        if (!m.ps.items[i].trainable)
            continue;
        char tv[AK_PARAM_NAME_LEN], name[AK_PARAM_NAME_LEN + 8];
        ck_assert_int_eq(ak_det_key_to_torchvision(AK_HEAD_RETINANET, 3, m.ps.items[i].name, tv, sizeof tv), AK_OK);
        snprintf(name, sizeof name, "grad.%s", tv);
        ak_assert_digest(name, &fx, name, m.ps.items[i].t, m.ps.items[i].t->grad, 2e-3);
        checked++;
    }
    ck_assert_int_eq(checked, (int)ak_fixture_scalar(&fx, "trainable_count"));

    /* post-processing on the reference's head outputs: exact semantics */
    ak_det_image imgs[2];
    int oh = (int)ak_fixture_scalar(&fx, "meta.orig_h"), ow = (int)ak_fixture_scalar(&fx, "meta.orig_w");
    for (int i = 0; i < 2; i++) {
        ak_det_image im = {H, W, 0, 0, (float)W / (float)ow, (float)H / (float)oh};
        imgs[i] = im;
    }
    ak_dense_out ref = o;
    ref.cls = want_cls;
    ref.reg = want_reg;
    ak_det_result res[2];
    ck_assert_msg(ak_retina_predict(&m.det.retina, &ref, want_a->data, imgs, res, &ctx.err) == AK_OK, "%s",
                  ctx.err.msg);
    for (int i = 0; i < 2; i++) {
        det_check_result(&ctx, &fx, i, &res[i], 1e-6);
        ak_det_result_free(&res[i]);
    }
    /* end to end on our own outputs */
    ck_assert_msg(ak_retina_predict(&m.det.retina, &o, anchors, imgs, res, &ctx.err) == AK_OK, "%s", ctx.err.msg);
    for (int i = 0; i < 2; i++) {
        det_check_result(&ctx, &fx, i, &res[i], 1e-4);
        ak_det_result_free(&res[i]);
    }
    free_tv(&m);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("retinanet");
    TCase *tc = tcase_create("parity");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, retinanet_matches_torchvision);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
