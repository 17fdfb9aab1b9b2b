/* ctest-labels: parity
 * RetinaNet-R50-FPN against torchvision 0.14 (tools/fixtures/models_retinanet.py) with formula
 * weights: anchors (exact), assignment (exact), raw head outputs, both losses, every trainable
 * parameter's gradient, and post-processed detections (on the reference's head outputs, and end to
 * end on ours). Plus the mmdet normalisation on hand-checkable inputs and the error paths. */
#include <omp.h>

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

/* mmdet RetinaNet loss (tools/fixtures/models_detparts.py, written from the mmdet definitions):
 * valid flags from each image's pad shape, a crowd box as ignore region (ignore_iof_thr 0.5),
 * MaxIoUAssigner, sums over the batch / sum_i max(npos_i, 1); values and input gradients. */
START_TEST(retinanet_mmdet_loss_matches_definition) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "models/detparts.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_retina_head h;
    memset(&h, 0, sizeof h);
    h.cfg = ak_retina_cfg_default(AK_DET_MMDET, 3);
    h.cfg.assign.ignore_iof_thr = 0.5f;
    h.A = 9;
    ak_dense_out o;
    memset(&o, 0, sizeof o);
    o.lv = det_levels_from(ak_fixture_tensor(&ctx, &fx, "mmr.feat"), 9);
    int64_t M = o.lv.start[o.lv.n];
    ak_tensor *anchors = ak_fixture_tensor(&ctx, &fx, "mmr.anchors");
    float *mine = malloc((size_t)M * 4 * sizeof *mine);
    ck_assert_int_eq(ak_det_anchors(&h.cfg.anchors, &o.lv, 64, 96, mine, &ctx.err), AK_OK);
    ak_assert_bitwise("mmdet anchors", mine, anchors->data, 4 * M);
    free(mine);
    o.cls = ak_fixture_tensor(&ctx, &fx, "mmr.cls");
    o.reg = ak_fixture_tensor(&ctx, &fx, "mmr.reg");
    o.cls->requires_grad = o.reg->requires_grad = true;
    ak_det_target tg[2];
    ak_det_image imgs[2];
    int32_t labels[2][8];
    uint8_t crowd[2][8];
    for (int i = 0; i < 2; i++) {
        char name[32];
        snprintf(name, sizeof name, "mmr.gt%d", i);
        ak_tensor *b = ak_fixture_tensor(&ctx, &fx, name);
        snprintf(name, sizeof name, "mmr.labels%d", i);
        ak_tensor *l = ak_fixture_tensor(&ctx, &fx, name);
        snprintf(name, sizeof name, "mmr.crowd%d", i);
        ak_tensor *c = ak_fixture_tensor(&ctx, &fx, name);
        snprintf(name, sizeof name, "mmr.pad%d", i);
        ak_tensor *p = ak_fixture_tensor(&ctx, &fx, name);
        for (int64_t k = 0; k < l->numel; k++)
            labels[i][k] = (int32_t)l->data[k], crowd[i][k] = (uint8_t)c->data[k];
        ak_det_target t = {b->data, labels[i], crowd[i], l->numel};
        tg[i] = t;
        ak_det_image im = {(int)p->data[0], (int)p->data[1], (int)p->data[0], (int)p->data[1], 1.0f, 1.0f};
        imgs[i] = im;
    }
    ak_det_losses L;
    int32_t *matched = malloc((size_t)(2 * M) * sizeof *matched);
    ck_assert_msg(ak_retina_loss(&ctx, &h, &o, anchors->data, imgs, tg, &L, matched) == AK_OK, "%s", ctx.err.msg);
    for (int i = 0; i < 2; i++) {
        char name[32];
        snprintf(name, sizeof name, "mmr.assigned%d", i);
        ak_tensor *w = ak_fixture_tensor(&ctx, &fx, name);
        for (int64_t a = 0; a < M; a++)
            ck_assert_msg(matched[i * M + a] == (int32_t)w->data[a], "image %d anchor %lld: %d, want %d", i,
                          (long long)a, matched[i * M + a], (int)w->data[a]);
    }
    free(matched);
    float want_c = (float)ak_fixture_scalar(&fx, "mmr.loss_cls"), want_b = (float)ak_fixture_scalar(&fx, "mmr.loss_box");
    ak_assert_close("mmdet loss_cls", L.cls->data, &want_c, 1, 1e-5, 0);
    ak_assert_close("mmdet loss_bbox", L.box->data, &want_b, 1, 1e-5, 0);
    ck_assert_msg(ak_backward(&ctx, L.total) == AK_OK, "%s", ctx.err.msg);
    ak_tensor *gc = ak_fixture_tensor(&ctx, &fx, "mmr.grad_cls"), *gr = ak_fixture_tensor(&ctx, &fx, "mmr.grad_reg");
    ak_assert_close("grad cls", o.cls->grad, gc->data, gc->numel, 1e-5, 1e-8);
    ak_assert_close("grad reg", o.reg->grad, gr->data, gr->numel, 1e-5, 1e-8);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

/* Inputs the loss refuses, with the image / box named. */
START_TEST(retinanet_loss_errors_name_the_box) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_retina_head h;
    memset(&h, 0, sizeof h);
    h.cfg = ak_retina_cfg_default(AK_DET_MMDET, 3);
    h.A = 9;
    ak_tensor *f[1];
    int64_t fs[4] = {1, 1, 2, 2};
    f[0] = ak_tensor_zeros(&ctx, "f", 4, fs);
    ak_dense_out o;
    memset(&o, 0, sizeof o);
    ck_assert_int_eq(ak_det_levels_init(&o.lv, f, 1, 9, &ctx.err), AK_OK);
    int64_t cs[3] = {1, 36, 3}, rs[3] = {1, 36, 4};
    o.cls = ak_tensor_zeros(&ctx, "cls", 3, cs);
    o.reg = ak_tensor_zeros(&ctx, "reg", 3, rs);
    float anchors[36 * 4];
    for (int a = 0; a < 36; a++)
        anchors[4 * a] = anchors[4 * a + 1] = 0, anchors[4 * a + 2] = anchors[4 * a + 3] = 8;
    const float bad[4] = {5, 5, 5, 9};
    const int32_t lab[1] = {0};
    ak_det_target t = {bad, lab, NULL, 1};
    ak_det_losses L;
    ck_assert_int_eq(ak_retina_loss(&ctx, &h, &o, anchors, NULL, &t, &L, NULL), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(ctx.err.msg, "targets[0].boxes[0]"));
    ak_ctx_clear_error(&ctx);
    const float good[4] = {1, 1, 6, 6};
    const int32_t lab3[1] = {3};
    ak_det_target t3 = {good, lab3, NULL, 1};
    ck_assert_int_eq(ak_retina_loss(&ctx, &h, &o, anchors, NULL, &t3, &L, NULL), AK_ERANGE);
    ck_assert_ptr_nonnull(strstr(ctx.err.msg, "targets[0].labels[0] = 3"));
    ak_ctx_free(&ctx);
}
END_TEST

/* The mmdet preset end to end on a narrow ResNet-18: taps, finite losses, gradients only where
 * trainable, bitwise-identical losses for 1 and 2 threads, detections inside the original image and
 * their COCO records. */
static double preset_step(int threads, ak_det_result *res, ak_taps *taps_out) {
    omp_set_num_threads(threads);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    ak_detector det;
    ak_detector_cfg cfg = ak_detector_cfg_preset(AK_HEAD_RETINANET, AK_DET_MMDET, 18, 3);
    cfg.backbone.width_mult = 0.25f;
    cfg.neck.out_channels = 32;
    cfg.retina.feat_channels = 32;
    cfg.retina.stacked_convs = 2;
    cfg.retina.test.score_thr = 0.005f; /* freshly initialised: scores near the 0.01 prior */
    ck_assert_msg(ak_detector_init(&det, &ps, &cfg, 5, &err) == AK_OK, "%s", err.msg);
    int64_t xs[4] = {2, 3, 64, 96};
    ak_tensor *x = ak_tensor_new(&ctx, "x", 4, xs);
    ak_test_fill_uniform(x->data, x->numel, 3, -1, 1);
    const float boxes[8] = {4, 6, 40, 50, 30, 10, 90, 60};
    const int32_t labels[2] = {0, 2};
    ak_det_target tg[2] = {{boxes, labels, NULL, 2}, {boxes + 4, labels + 1, NULL, 1}};
    ak_det_image imgs[2] = {{64, 96, 64, 96, 0.5f, 0.5f}, {64, 80, 64, 96, 0.5f, 0.5f}};
    ak_taps taps;
    ak_taps_clear(&taps);
    ak_det_losses L;
    ck_assert_msg(ak_detector_loss(&ctx, &det, x, imgs, tg, &L, &taps, NULL) == AK_OK, "%s", ctx.err.msg);
    ck_assert(isfinite(L.total->data[0]) && L.cls->data[0] > 0 && L.box->data[0] > 0 && L.num_pos > 0);
    double total = L.total->data[0];
    ck_assert_msg(ak_backward(&ctx, L.total) == AK_OK, "%s", ctx.err.msg);
    for (int i = 0; i < ps.n; i++) {
        const ak_param *p = &ps.items[i];
        if (!p->trainable)
            continue;
        double s = 0;
        for (int64_t k = 0; k < p->t->numel; k++)
            s += fabs(p->t->grad[k]);
        if (strstr(p->name, "bbox_head.retina_cls.weight"))
            ck_assert_msg(s > 0, "%s has no gradient", p->name);
    }
    ck_assert(!ak_params_find(&ps, "backbone.conv1.weight")->trainable);
    ck_assert(!ak_params_find(&ps, "backbone.layer1.0.conv1.weight")->trainable); /* frozen_stages 1 */
    ck_assert(ak_params_find(&ps, "backbone.layer2.0.conv1.weight")->trainable);
    if (taps_out)
        *taps_out = taps;
    if (res) {
        ck_assert_msg(ak_detector_predict(&ctx, &det, x, imgs, res, NULL) == AK_OK, "%s", ctx.err.msg);
    }
    ak_detector_free(&det);
    ak_params_free(&ps);
    ak_ctx_free(&ctx);
    return total;
}

START_TEST(detector_mmdet_preset_end_to_end) {
    ak_det_result res[2];
    ak_taps taps;
    double a = preset_step(1, res, &taps);
    double b = preset_step(2, NULL, NULL);
    ck_assert_msg(memcmp(&a, &b, sizeof a) == 0, "loss differs between 1 and 2 threads: %.17g vs %.17g", a, b);
    const char *names[] = {"backbone.c5", "neck.p3", "neck.p7", "head.cls.p3", "head.reg.p7"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        ck_assert_msg(ak_taps_get(&taps, names[k]) != NULL, "tap %s missing", names[k]);
    for (int i = 0; i < 2; i++) {
        ck_assert(res[i].n > 0 && res[i].n <= 100);
        for (int64_t k = 0; k < res[i].n; k++) {
            const float *bx = res[i].boxes + 4 * k;
            ck_assert(bx[0] >= 0 && bx[2] <= (i ? 160.0f : 192.0f) + 1e-3f && bx[3] <= 128.0f + 1e-3f);
            ck_assert(res[i].scores[k] > 0.005f && (k == 0 || res[i].scores[k] <= res[i].scores[k - 1]));
        }
    }
    int64_t ids[2] = {7, 9}, cats[3] = {1, 5, 90};
    ak_coco_dets dets;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_detector_coco(res, 2, ids, cats, &dets, &err), AK_OK);
    ck_assert_int_eq(dets.n, res[0].n + res[1].n);
    const ak_coco_det *d = &dets.dets[res[0].n];
    ck_assert(d->image_id == 9 && d->category_id == cats[res[1].labels[0]]);
    ck_assert(d->bbox[0] == res[1].boxes[0] && d->bbox[2] == (double)(res[1].boxes[2] - res[1].boxes[0]));
    ck_assert(d->score == res[1].scores[0]);
    ak_coco_dets_free(&dets);
    ak_det_result_free(&res[0]);
    ak_det_result_free(&res[1]);
}
END_TEST

/* Configuration and input errors of the head, levels, post-processing, detector and key mapping. */
START_TEST(config_errors_name_the_field) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    ak_retina_head h;
    ak_retina_cfg rc = ak_retina_cfg_default(AK_DET_MMDET, 3);
    rc.stacked_convs = 99;
    ck_assert_int_eq(ak_retina_head_init(&h, &ps, "bbox_head", &rc, 1, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "stacked_convs 99"));
    ak_error_clear(&err);
    rc = ak_retina_cfg_default(AK_DET_MMDET, 0);
    ck_assert_int_eq(ak_retina_head_init(&h, &ps, "bbox_head", &rc, 1, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "num_classes 0"));
    ak_error_clear(&err);
    ak_detector det;
    ak_detector_cfg dc = ak_detector_cfg_preset(AK_HEAD_RETINANET, AK_DET_MMDET, 18, 3);
    dc.kind = (ak_det_head_kind)7;
    ck_assert_int_eq(ak_detector_init(&det, &ps, &dc, 1, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "head kind 7"));
    ak_params_free(&ps);

    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_det_levels lv;
    ck_assert_int_eq(ak_det_levels_init(&lv, NULL, 0, 9, &ctx.err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(ctx.err.msg, "0 levels"));
    ak_ctx_clear_error(&ctx);
    int64_t ms[4] = {1, 10, 2, 2};
    ak_tensor *m = ak_tensor_zeros(&ctx, "m", 4, ms);
    ck_assert_ptr_null(ak_det_flatten(&ctx, &m, 1, 9, 3));
    ck_assert_int_eq(ctx.err.code, AK_ESHAPE);
    ck_assert_ptr_nonnull(strstr(ctx.err.msg, "level 0 map has 10 channels"));
    ak_ctx_clear_error(&ctx);
    ck_assert_int_eq(ak_det_levels_init(&lv, &m, 1, 1, &ctx.err), AK_OK);
    ak_det_test_cfg tc = rc.test;
    ak_det_image im = {2, 2, 0, 0, 1.0f, 1.0f};
    float cls[4] = {0}, reg[16] = {0}, pri[16] = {0};
    ak_det_result r;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_det_postprocess(&tc, AK_SCORE_SQRT_CTR, AK_DECODE_LINEAR, NULL, &lv, NULL, 1, cls, reg, NULL, pri,
                                        &im, &r, &err),
                     AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "needs centerness"));
    ak_error_clear(&err);
    ck_assert_int_eq(ak_det_postprocess(&tc, AK_SCORE_SIGMOID, AK_DECODE_DELTA, NULL, &lv, NULL, 1, cls, reg, NULL, pri,
                                        &im, &r, &err),
                     AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "box coder"));
    ak_error_clear(&err);
    im.scale_w = 0.0f;
    ck_assert_int_eq(ak_det_postprocess(&tc, AK_SCORE_SIGMOID, AK_DECODE_LINEAR, NULL, &lv, NULL, 1, cls, reg, NULL, pri,
                                        &im, &r, &err),
                     AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "scale factor"));
    ak_ctx_free(&ctx);

    char out[128];
    ck_assert_int_eq(ak_det_key_to_torchvision(AK_HEAD_FCOS, 3, "bbox_head.scales.0.scale", out, sizeof out), AK_EINVAL);
    ck_assert_int_eq(ak_det_key_to_torchvision(AK_HEAD_RETINANET, 3, "bbox_head.cls_convs.1.gn.weight", out, sizeof out),
                     AK_EINVAL);
    ck_assert_int_eq(ak_det_key_to_torchvision(AK_HEAD_FCOS, 3, "bbox_head.reg_convs.2.gn.bias", out, sizeof out), AK_OK);
    ck_assert_str_eq(out, "head.regression_head.conv.7.bias");
    ck_assert_int_eq(ak_det_key_to_torchvision(AK_HEAD_RETINANET, 3, "neck.fpn_convs.4.conv.weight", out, sizeof out),
                     AK_OK);
    ck_assert_str_eq(out, "backbone.fpn.extra_blocks.p7.weight");
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("retinanet");
    TCase *tc = tcase_create("parity");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, retinanet_matches_torchvision);
    tcase_add_test(tc, retinanet_mmdet_loss_matches_definition);
    tcase_add_test(tc, retinanet_loss_errors_name_the_box);
    tcase_add_test(tc, detector_mmdet_preset_end_to_end);
    tcase_add_test(tc, config_errors_name_the_field);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
