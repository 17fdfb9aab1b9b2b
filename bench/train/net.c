/* See net.h. */
#include "bench/train/net.h"

#include <math.h>
#include <string.h>

#include "models/weights.h"

static int depth_of(int backbone) {
    switch (backbone) {
    case AK_BACKBONE_RESNET18: return 18;
    case AK_BACKBONE_RESNET34: return 34;
    case AK_BACKBONE_RESNET50: return 50;
    case AK_BACKBONE_RESNET101: return 101;
    default: return 0;
    }
}

int ak_net_seg_cfg(const ak_model_config *mc, int num_classes, ak_segmentor_cfg *out, ak_error *err) {
    ak_seg_head_kind kind;
    if (mc->arch == AK_ARCH_PSPNET)
        kind = AK_HEAD_PSP;
    else if (mc->arch == AK_ARCH_DEEPLABV3)
        kind = AK_HEAD_ASPP;
    else if (mc->arch == AK_ARCH_FCN)
        kind = AK_HEAD_FCN;
    else
        return ak_error_set(err, AK_EINVAL, "model.arch: %d is not a segmentation architecture", mc->arch);
    int depth = depth_of(mc->backbone);
    if (!depth)
        return ak_error_set(err, AK_EINVAL, "model.backbone: unknown backbone %d", mc->backbone);
    float width = (float)mc->width;
    *out = ak_segmentor_defaults(kind, depth, width, num_classes);
    out->backbone.deep_stem = mc->deep_stem;
    out->backbone.dilated = mc->dilated;
    out->backbone.frozen_stages = mc->frozen_stages;
    out->backbone.norm_eval = mc->norm_eval;
    out->backbone.caffe_style = mc->style == AK_STYLE_CAFFE;
    if (mc->head_channels > 0)
        out->decode.channels = (int)lroundf((float)mc->head_channels * width);
    if (out->decode.channels < 8)
        out->decode.channels = 8;
    out->has_aux = mc->aux_head;
    out->aux_weight = (float)mc->aux_weight;
    /* The decode head reads c5, the auxiliary head c4; their widths follow the backbone. */
    int base = (int)lroundf(64.0f * width), expansion = depth >= 50 ? 4 : 1;
    if (base < 4)
        base = 4;
    out->decode.in_channels = base * 8 * expansion;
    out->aux.in_channels = base * 4 * expansion;
    return AK_OK;
}

int ak_net_det_cfg(const ak_model_config *mc, int num_classes, ak_detector_cfg *out, ak_error *err) {
    ak_det_head_kind kind;
    if (mc->arch == AK_ARCH_RETINANET)
        kind = AK_HEAD_RETINANET;
    else if (mc->arch == AK_ARCH_FCOS)
        kind = AK_HEAD_FCOS;
    else
        return ak_error_set(err, AK_EINVAL, "model.arch: %d is not a detection architecture", mc->arch);
    int depth = depth_of(mc->backbone);
    if (!depth)
        return ak_error_set(err, AK_EINVAL, "model.backbone: unknown backbone %d", mc->backbone);
    *out = ak_detector_cfg_preset(kind, AK_DET_MMDET, depth, num_classes);
    out->backbone.width_mult = (float)mc->width;
    out->backbone.deep_stem = mc->deep_stem;
    out->backbone.dilated = mc->dilated;
    out->backbone.frozen_stages = mc->frozen_stages;
    out->backbone.norm_eval = mc->norm_eval;
    out->backbone.caffe_style = mc->style == AK_STYLE_CAFFE;
    int neck = (int)lroundf((float)(mc->neck_channels > 0 ? mc->neck_channels : 256) * (float)mc->width);
    if (neck < 8)
        neck = 8;
    out->neck.out_channels = neck;
    out->retina.in_channels = out->retina.feat_channels = neck;
    out->fcos.in_channels = out->fcos.feat_channels = neck;
    out->retina.stacked_convs = out->fcos.stacked_convs = mc->head_convs;
    /* GroupNorm(32) needs channels divisible by the groups: keep 32 groups when possible. */
    while (out->fcos.gn_groups > 1 && neck % out->fcos.gn_groups)
        out->fcos.gn_groups /= 2;
    return AK_OK;
}

void ak_net_det_apply_eval(const ak_run_config *cfg, ak_detector_cfg *dc) {
    ak_det_test_cfg *tc[2] = {&dc->retina.test, &dc->fcos.test};
    for (int i = 0; i < 2; i++) {
        if (cfg->eval.score_thr > 0)
            tc[i]->score_thr = (float)cfg->eval.score_thr;
        if (cfg->eval.nms_iou > 0)
            tc[i]->nms_iou = (float)cfg->eval.nms_iou;
        if (cfg->eval.nms_pre > 0)
            tc[i]->nms_pre = cfg->eval.nms_pre;
        if (cfg->eval.max_dets > 0)
            tc[i]->max_per_img = cfg->eval.max_dets;
    }
}

static int load_pretrained(ak_net *n, const ak_model_config *mc, ak_error *err) {
    if (!mc->pretrained[0])
        return AK_OK;
    static const char *const ignore[] = {"fc."}; /* the ImageNet classifier */
    ak_weights_opts o = {"backbone.", (ak_key_style)mc->key_style, ignore, 1};
    int rc = ak_load_weights(&n->ps, mc->pretrained, &o, NULL, err);
    if (rc)
        ak_error_prefix(err, "model.*.pretrained");
    return rc;
}

int ak_net_load_weights(ak_net *n, const ak_model_config *mc, const char *path, char sha256[AK_SHA256_HEX_LEN],
                        ak_error *err) {
    ak_weights_opts o = {"", (ak_key_style)mc->key_style, NULL, 0};
    ak_weights_info info;
    AK_TRY(ak_load_weights(&n->ps, path, &o, &info, err));
    if (sha256)
        memcpy(sha256, info.sha256, AK_SHA256_HEX_LEN);
    return AK_OK;
}

int ak_net_build(ak_net *n, const ak_model_config *mc, const ak_run_config *cfg, uint64_t seed, ak_error *err) {
    memset(n, 0, sizeof *n);
    n->task = cfg->task;
    ak_params_init(&n->ps);
    if (cfg->task == AK_TASK_DET) {
        ak_detector_cfg dc;
        AK_TRY(ak_net_det_cfg(mc, cfg->model.num_classes, &dc, err));
        ak_net_det_apply_eval(cfg, &dc);
        AK_TRY(ak_detector_init(&n->det, &n->ps, &dc, seed, err));
        return load_pretrained(n, mc, err);
    }
    ak_segmentor_cfg sc;
    AK_TRY(ak_net_seg_cfg(mc, cfg->model.num_classes, &sc, err));
    AK_TRY(ak_segmentor_init(&n->seg, &n->ps, &sc, seed, err));
    return load_pretrained(n, mc, err);
}

void ak_net_free(ak_net *n) {
    if (n->task == AK_TASK_SEG)
        ak_segmentor_free(&n->seg);
    else
        ak_detector_free(&n->det);
    ak_params_free(&n->ps);
}
