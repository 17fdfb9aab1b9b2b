/* FCOS head: configuration, parameters and forward; see fcos.h (assignment in fcos_targets.c, loss
 * and inference in fcos_loss.c). */
#include "models/fcos.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/ops/activation.h"
#include "core/ops/elementwise.h"
#include "models/det_init.h"
#include "models/init.h"

ak_fcos_cfg ak_fcos_cfg_default(ak_det_style style, int num_classes) {
    ak_fcos_cfg c;
    memset(&c, 0, sizeof c);
    bool mm = style == AK_DET_MMDET;
    c.style = style;
    c.in_channels = c.feat_channels = 256;
    c.stacked_convs = 4;
    c.num_classes = num_classes;
    c.gn_groups = 32;
    c.conv_bias = true;
    c.centerness_on_reg = true;
    c.use_scale = mm;
    c.bbox = mm ? AK_FCOS_BBOX_RELU_NORM : AK_FCOS_BBOX_RELU_TV;
    c.n_levels = 5;
    static const float rr[5][2] = {{-1, 64}, {64, 128}, {128, 256}, {256, 512}, {512, 1e8f}};
    for (int l = 0; l < 5; l++) {
        c.strides[l] = 8 << l;
        c.regress_ranges[l][0] = rr[l][0], c.regress_ranges[l][1] = rr[l][1];
    }
    c.center_sampling = true;
    c.center_radius = 1.5f;
    c.prior_prob = 0.01f;
    c.init_std = 0.01f;
    c.first_level = 3;
    c.anchors = ak_anchor_cfg_fcos_torchvision();
    c.box_loss = AK_FCOS_LOSS_GIOU;
    c.focal_alpha = 0.25f;
    c.focal_gamma = 2.0f;
    c.cls_weight = c.box_weight = c.ctr_weight = 1.0f;
    ak_det_test_cfg t = {style, mm ? 0.05f : 0.2f, 1000, 0.6f, 100, mm ? AK_BNMS_MMCV : AK_BNMS_TORCHVISION};
    c.test = t;
    return c;
}

static int conv3(ak_conv_layer *l, ak_params *ps, const char *name, int cin, int cout, bool bias, float std,
                 uint64_t seed, ak_error *err) {
    AK_TRY(ak_conv_layer_init(l, ps, name, cin, cout, 3, 1, 1, 1, 1, bias, err));
    ak_init_normal(l->weight, 0.0f, std, seed);
    return AK_OK;
}

int ak_fcos_head_init(ak_fcos_head *h, ak_params *ps, const char *prefix, const ak_fcos_cfg *cfg, uint64_t seed,
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
    if (cfg->n_levels < 1 || cfg->n_levels > AK_DET_MAX_LEVELS)
        return ak_error_set(err, AK_EINVAL, "%s: n_levels %d not in 1..%d", prefix, cfg->n_levels, AK_DET_MAX_LEVELS);
    if ((unsigned)cfg->bbox > AK_FCOS_BBOX_RELU_TV)
        return ak_error_set(err, AK_EINVAL, "%s: unknown bbox mode %d", prefix, (int)cfg->bbox);
    char name[AK_NAME_LEN];
    for (int i = 0; i < cfg->stacked_convs; i++) {
        int cin = i == 0 ? cfg->in_channels : cfg->feat_channels;
        AK_TRY(conv3(&h->cls_convs[i], ps, ak_name(name, "%s.cls_convs.%d.conv", prefix, i), cin, cfg->feat_channels,
                     cfg->conv_bias, cfg->init_std, seed, err));
        AK_TRY(ak_gn_layer_init(&h->cls_gn[i], ps, ak_name(name, "%s.cls_convs.%d.gn", prefix, i), cfg->gn_groups,
                                cfg->feat_channels, err));
        AK_TRY(conv3(&h->reg_convs[i], ps, ak_name(name, "%s.reg_convs.%d.conv", prefix, i), cin, cfg->feat_channels,
                     cfg->conv_bias, cfg->init_std, seed, err));
        AK_TRY(ak_gn_layer_init(&h->reg_gn[i], ps, ak_name(name, "%s.reg_convs.%d.gn", prefix, i), cfg->gn_groups,
                                cfg->feat_channels, err));
    }
    int cin = cfg->stacked_convs ? cfg->feat_channels : cfg->in_channels;
    AK_TRY(conv3(&h->conv_cls, ps, ak_name(name, "%s.conv_cls", prefix), cin, cfg->num_classes, true, cfg->init_std,
                 seed, err));
    ak_init_constant(h->conv_cls.bias, ak_prior_prob_bias(cfg->prior_prob));
    AK_TRY(conv3(&h->conv_reg, ps, ak_name(name, "%s.conv_reg", prefix), cin, 4, true, cfg->init_std, seed, err));
    AK_TRY(conv3(&h->conv_ctr, ps, ak_name(name, "%s.conv_centerness", prefix), cin, 1, true, cfg->init_std, seed,
                 err));
    if (cfg->use_scale)
        for (int l = 0; l < cfg->n_levels; l++) {
            if (!(h->scales[l] = ak_params_add(ps, ak_name(name, "%s.scales.%d.scale", prefix, l), 0, NULL, err)))
                return err->code;
            h->scales[l]->data[0] = 1.0f;
        }
    return AK_OK;
}

static ak_tensor *tower(ak_ctx *ctx, const ak_conv_layer *convs, const ak_gn_layer *gns, int n, ak_tensor *x) {
    for (int i = 0; i < n; i++)
        x = ak_relu(ctx, ak_gn_layer_fwd(ctx, &gns[i], ak_conv_layer_fwd(ctx, &convs[i], x)));
    return x;
}

int ak_fcos_head_forward(ak_ctx *ctx, const ak_fcos_head *h, ak_tensor *const *feats, int n, ak_dense_out *out,
                         ak_taps *taps) {
    const ak_fcos_cfg *cfg = &h->cfg;
    memset(out, 0, sizeof *out);
    if (n != cfg->n_levels)
        return ak_error_set(&ctx->err, AK_EINVAL, "%s: %d feature levels, configured for %d", h->prefix, n,
                            cfg->n_levels);
    AK_TRY(ak_det_levels_init(&out->lv, feats, n, 1, &ctx->err));
    ak_tensor *cls[AK_DET_MAX_LEVELS], *reg[AK_DET_MAX_LEVELS], *ctr[AK_DET_MAX_LEVELS];
    for (int l = 0; l < n; l++) {
        ak_tensor *cf = tower(ctx, h->cls_convs, h->cls_gn, cfg->stacked_convs, feats[l]);
        ak_tensor *rf = tower(ctx, h->reg_convs, h->reg_gn, cfg->stacked_convs, feats[l]);
        cls[l] = ak_conv_layer_fwd(ctx, &h->conv_cls, cf);
        ak_tensor *raw = ak_conv_layer_fwd(ctx, &h->conv_reg, rf);
        ctr[l] = ak_conv_layer_fwd(ctx, &h->conv_ctr, cfg->centerness_on_reg ? rf : cf);
        ak_tensor *r = h->scales[l] ? ak_mul(ctx, raw, h->scales[l]) : raw;
        reg[l] = cfg->bbox == AK_FCOS_BBOX_EXP         ? ak_exp(ctx, r)
                 : cfg->bbox == AK_FCOS_BBOX_RELU_NORM ? ak_clamp(ctx, r, 0.0f, INFINITY)
                                                       : ak_relu(ctx, r);
        if (!ak_ok(ctx))
            return ctx->err.code;
        const char *kinds[3] = {"cls", "reg", "ctr"};
        ak_tensor *maps[3] = {cls[l], raw, ctr[l]};
        for (int k = 0; k < 3; k++) {
            char name[AK_TAP_NAME_LEN];
            snprintf(name, sizeof name, "head.%s.p%d", kinds[k], cfg->first_level + l);
            if (ak_taps_put(taps, name, maps[k]) != AK_OK)
                return ak_error_set(&ctx->err, AK_ENOMEM, "%s: too many taps (%d)", h->prefix, AK_MAX_TAPS);
        }
    }
    out->cls = ak_det_flatten(ctx, cls, n, 1, cfg->num_classes);
    out->reg = ak_det_flatten(ctx, reg, n, 1, 4);
    out->ctr = ak_det_flatten(ctx, ctr, n, 1, 1);
    return ctx->err.code;
}

float *ak_fcos_priors(ak_ctx *ctx, const ak_fcos_head *h, const ak_dense_out *o, int in_h, int in_w) {
    int64_t M = o->lv.start[o->lv.n];
    bool tv = h->cfg.style == AK_DET_TORCHVISION;
    float *p = ak_scratch(ctx, "fcos priors", (size_t)(M > 0 ? M : 1) * (tv ? 4 : 2) * sizeof *p);
    if (!p)
        return NULL;
    if (tv) {
        if (ak_det_anchors(&h->cfg.anchors, &o->lv, in_h, in_w, p, &ctx->err) != AK_OK)
            return NULL;
    } else
        ak_det_points(&o->lv, h->cfg.strides, 0.5f, p);
    return p;
}
