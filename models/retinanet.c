/* RetinaNet head: configuration, parameters and forward; see retinanet.h (loss and inference in
 * retina_loss.c). */
#include "models/retinanet.h"

#include <stdio.h>
#include <string.h>

#include "core/ops/activation.h"
#include "models/det_init.h"
#include "models/init.h"

ak_retina_cfg ak_retina_cfg_default(ak_det_style style, int num_classes) {
    ak_retina_cfg c;
    memset(&c, 0, sizeof c);
    c.style = style;
    c.in_channels = c.feat_channels = 256;
    c.stacked_convs = 4;
    c.num_classes = num_classes;
    c.prior_prob = 0.01f;
    c.init_std = 0.01f;
    c.first_level = 3;
    c.anchors = ak_anchor_cfg_retinanet(style);
    c.assign = ak_iou_assign_cfg_retinanet(style);
    c.coder = ak_delta_coder_default(style);
    c.focal_alpha = 0.25f;
    c.focal_gamma = 2.0f;
    c.cls_weight = c.box_weight = 1.0f;
    ak_det_test_cfg t = {style, 0.05f, 1000, 0.5f, style == AK_DET_MMDET ? 100 : 300,
                         style == AK_DET_MMDET ? AK_BNMS_MMCV : AK_BNMS_TORCHVISION};
    c.test = t;
    return c;
}

static int head_conv(ak_conv_layer *l, ak_params *ps, const char *name, int cin, int cout, float std, uint64_t seed,
                     ak_error *err) {
    AK_TRY(ak_conv_layer_init(l, ps, name, cin, cout, 3, 1, 1, 1, 1, true, err));
    ak_init_normal(l->weight, 0.0f, std, seed);
    return AK_OK;
}

int ak_retina_head_init(ak_retina_head *h, ak_params *ps, const char *prefix, const ak_retina_cfg *cfg, uint64_t seed,
                        ak_error *err) {
    memset(h, 0, sizeof *h);
    h->cfg = *cfg;
    snprintf(h->prefix, sizeof h->prefix, "%s", prefix);
    if (cfg->stacked_convs < 0 || cfg->stacked_convs > AK_HEAD_MAX_CONVS)
        return ak_error_set(err, AK_EINVAL, "%s: stacked_convs %d not in 0..%d", prefix, cfg->stacked_convs,
                            AK_HEAD_MAX_CONVS);
    if (cfg->num_classes < 1 || cfg->in_channels < 1 || cfg->feat_channels < 1)
        return ak_error_set(err, AK_EINVAL, "%s: num_classes %d, in_channels %d, feat_channels %d must be >= 1",
                            prefix, cfg->num_classes, cfg->in_channels, cfg->feat_channels);
    h->A = ak_anchor_count(&cfg->anchors);
    char name[AK_NAME_LEN];
    for (int i = 0; i < cfg->stacked_convs; i++) {
        int cin = i == 0 ? cfg->in_channels : cfg->feat_channels;
        AK_TRY(head_conv(&h->cls_convs[i], ps, ak_name(name, "%s.cls_convs.%d.conv", prefix, i), cin,
                         cfg->feat_channels, cfg->init_std, seed, err));
        AK_TRY(head_conv(&h->reg_convs[i], ps, ak_name(name, "%s.reg_convs.%d.conv", prefix, i), cin,
                         cfg->feat_channels, cfg->init_std, seed, err));
    }
    int cin = cfg->stacked_convs ? cfg->feat_channels : cfg->in_channels;
    AK_TRY(head_conv(&h->cls_out, ps, ak_name(name, "%s.retina_cls", prefix), cin, h->A * cfg->num_classes,
                     cfg->init_std, seed, err));
    ak_init_constant(h->cls_out.bias, ak_prior_prob_bias(cfg->prior_prob));
    AK_TRY(head_conv(&h->reg_out, ps, ak_name(name, "%s.retina_reg", prefix), cin, h->A * 4, cfg->init_std, seed,
                     err));
    return AK_OK;
}

static ak_tensor *tower(ak_ctx *ctx, const ak_conv_layer *convs, int n, ak_tensor *x) {
    for (int i = 0; i < n; i++)
        x = ak_relu_inplace(ctx, ak_conv_layer_fwd(ctx, &convs[i], x)); /* conv's backward reads its input */
    return x;
}

int ak_retina_head_forward(ak_ctx *ctx, const ak_retina_head *h, ak_tensor *const *feats, int n, ak_dense_out *out,
                           ak_taps *taps) {
    memset(out, 0, sizeof *out);
    AK_TRY(ak_det_levels_init(&out->lv, feats, n, h->A, &ctx->err));
    ak_tensor *cls[AK_DET_MAX_LEVELS], *reg[AK_DET_MAX_LEVELS];
    for (int l = 0; l < n; l++) {
        cls[l] = ak_conv_layer_fwd(ctx, &h->cls_out, tower(ctx, h->cls_convs, h->cfg.stacked_convs, feats[l]));
        reg[l] = ak_conv_layer_fwd(ctx, &h->reg_out, tower(ctx, h->reg_convs, h->cfg.stacked_convs, feats[l]));
        if (!ak_ok(ctx))
            return ctx->err.code;
        char name[AK_TAP_NAME_LEN];
        snprintf(name, sizeof name, "head.cls.p%d", h->cfg.first_level + l);
        int rc = ak_taps_put(taps, name, cls[l]);
        snprintf(name, sizeof name, "head.reg.p%d", h->cfg.first_level + l);
        if (rc != AK_OK || ak_taps_put(taps, name, reg[l]) != AK_OK)
            return ak_error_set(&ctx->err, AK_ENOMEM, "%s: too many taps (%d)", h->prefix, AK_MAX_TAPS);
    }
    out->cls = ak_det_flatten(ctx, cls, n, h->A, h->cfg.num_classes);
    out->reg = ak_det_flatten(ctx, reg, n, h->A, 4);
    return ctx->err.code;
}

float *ak_retina_anchors(ak_ctx *ctx, const ak_retina_head *h, const ak_dense_out *o, int in_h, int in_w) {
    int64_t M = o->lv.start[o->lv.n];
    float *a = ak_scratch(ctx, "retinanet anchors", (size_t)(M > 0 ? M : 1) * 4 * sizeof *a);
    if (!a || ak_det_anchors(&h->cfg.anchors, &o->lv, in_h, in_w, a, &ctx->err) != AK_OK)
        return NULL;
    return a;
}
