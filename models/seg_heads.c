/* PSP / ASPP / FCN decode heads (mmseg; the torchvision style in seg_heads_tv.c); see seg_heads.h. */
#include "models/seg_heads.h"

#include <stdio.h>
#include <string.h>

#include "core/ops/dropout.h"
#include "core/ops/pool.h"
#include "core/ops/resize.h"
#include "core/ops/shape.h"
#include "models/init.h"
#include "models/seg_heads_internal.h"

ak_seg_head_cfg ak_seg_head_defaults(ak_seg_head_kind kind, int in_channels, int channels, int num_classes) {
    ak_seg_head_cfg c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.in_channels = in_channels;
    c.channels = channels;
    c.num_classes = num_classes;
    c.dropout = 0.1f;
    static const int bins[4] = {1, 2, 3, 6}, dil[4] = {1, 12, 24, 36};
    if (kind == AK_HEAD_PSP || kind == AK_HEAD_ASPP) {
        c.n_branches = 4;
        memcpy(c.branches, kind == AK_HEAD_PSP ? bins : dil, sizeof bins);
    } else {
        c.n_branches = 1;
    }
    return c;
}

ak_seg_head_cfg ak_seg_head_defaults_tv(ak_seg_head_kind kind, int in_channels, int num_classes) {
    ak_seg_head_cfg c = ak_seg_head_defaults(kind, in_channels, kind == AK_HEAD_FCN ? in_channels / 4 : 256,
                                             num_classes);
    c.style = AK_SEG_TORCHVISION;
    c.dropout = kind == AK_HEAD_ASPP ? 0.5f : 0.1f;
    return c;
}

int ak_seg_head_init(ak_seg_head *h, ak_params *ps, const char *prefix, const ak_seg_head_cfg *cfg, uint64_t seed,
                     ak_error *err) {
    memset(h, 0, sizeof *h);
    h->cfg = *cfg;
    snprintf(h->prefix, sizeof h->prefix, "%s", prefix);
    if (cfg->n_branches < 1 || cfg->n_branches > AK_SEG_MAX_BRANCHES)
        return ak_error_set(err, AK_EINVAL, "%s: %d branches (1..%d)", prefix, cfg->n_branches, AK_SEG_MAX_BRANCHES);
    if (cfg->in_channels < 1 || cfg->channels < 1 || cfg->num_classes < 1)
        return ak_error_set(err, AK_EINVAL, "%s: channels and classes must be positive", prefix);
    if (cfg->style != AK_SEG_MMSEG && cfg->style != AK_SEG_TORCHVISION)
        return ak_error_set(err, AK_EINVAL, "%s: head style %d is neither mmseg (0) nor torchvision (1)", prefix,
                            (int)cfg->style);
    if (cfg->style == AK_SEG_TORCHVISION)
        return ak__seg_head_tv_init(h, ps, seed, err);
    char name[AK_NAME_LEN];
    int cin = cfg->in_channels, c = cfg->channels;
    switch (cfg->kind) {
    case AK_HEAD_PSP:
        for (int i = 0; i < cfg->n_branches; i++)
            AK_TRY(ak_conv_module_init(&h->branch[i], ps, ak_name(name, "%s.psp_modules.%d.1", prefix, i), cin, c, 1,
                                       0, 1, seed, err));
        AK_TRY(ak_conv_module_init(&h->bottleneck, ps, ak_name(name, "%s.bottleneck", prefix),
                                   cin + cfg->n_branches * c, c, 3, 1, 1, seed, err));
        break;
    case AK_HEAD_ASPP:
        AK_TRY(ak_conv_module_init(&h->image_pool, ps, ak_name(name, "%s.image_pool.1", prefix), cin, c, 1, 0, 1,
                                   seed, err));
        for (int i = 0; i < cfg->n_branches; i++) {
            int d = cfg->branches[i];
            AK_TRY(ak_conv_module_init(&h->branch[i], ps, ak_name(name, "%s.aspp_modules.%d", prefix, i), cin, c,
                                       d == 1 ? 1 : 3, d == 1 ? 0 : d, d, seed, err));
        }
        AK_TRY(ak_conv_module_init(&h->bottleneck, ps, ak_name(name, "%s.bottleneck", prefix),
                                   (cfg->n_branches + 1) * c, c, 3, 1, 1, seed, err));
        break;
    case AK_HEAD_FCN:
        for (int i = 0; i < cfg->n_branches; i++)
            AK_TRY(ak_conv_module_init(&h->branch[i], ps, ak_name(name, "%s.convs.%d", prefix, i), i ? c : cin, c, 3,
                                       1, 1, seed, err));
        break;
    default:
        return ak_error_set(err, AK_EINVAL, "%s: unknown head kind %d", prefix, (int)cfg->kind);
    }
    /* mmseg BaseDecodeHead.init_weights: conv_seg ~ N(0, 0.01), bias 0. */
    AK_TRY(ak_conv_layer_init(&h->conv_seg, ps, ak_name(name, "%s.conv_seg", prefix), c, cfg->num_classes, 1, 1, 0, 1,
                              1, true, err));
    ak_init_normal(h->conv_seg.weight, 0.0f, 0.01f, seed);
    return AK_OK;
}

static ak_tensor *pyramid(ak_ctx *ctx, const ak_seg_head *h, ak_tensor *x, bool train) {
    const ak_seg_head_cfg *c = &h->cfg;
    ak_tensor *parts[AK_SEG_MAX_BRANCHES + 1];
    int n = 0;
    int64_t H = x->shape[2], W = x->shape[3];
    if (c->kind == AK_HEAD_PSP) {
        parts[n++] = x;
        for (int i = 0; i < c->n_branches; i++) {
            ak_tensor *p = ak_adaptive_avg_pool2d(ctx, x, c->branches[i], c->branches[i]);
            p = ak_conv_module_fwd(ctx, &h->branch[i], p, train);
            parts[n++] = ak_resize(ctx, p, H, W, AK_RESIZE_BILINEAR, false);
        }
    } else {
        ak_tensor *p = ak_conv_module_fwd(ctx, &h->image_pool, ak_global_avg_pool2d(ctx, x), train);
        parts[n++] = ak_resize(ctx, p, H, W, AK_RESIZE_BILINEAR, false);
        for (int i = 0; i < c->n_branches; i++)
            parts[n++] = ak_conv_module_fwd(ctx, &h->branch[i], x, train);
    }
    for (int i = 0; i < n; i++)
        if (!parts[i])
            return NULL;
    return ak_conv_module_fwd(ctx, &h->bottleneck, ak_concat(ctx, parts, n, 1), train);
}

ak_tensor *ak_seg_head_forward(ak_ctx *ctx, const ak_seg_head *h, ak_tensor *x, bool train, ak_rng dropout_rng,
                               ak_taps *taps) {
    if (!x || !ak_ok(ctx))
        return NULL;
    if (x->ndim != 4 || x->shape[1] != h->cfg.in_channels) {
        char s[64];
        return ak_fail(ctx, AK_ESHAPE, "%s: input %s, expected (N,%d,H,W)", h->prefix, ak_shape_str(x, s, sizeof s),
                       h->cfg.in_channels);
    }
    ak_tensor *feat;
    if (h->cfg.style == AK_SEG_TORCHVISION) {
        feat = ak__seg_head_tv_features(ctx, h, x, train, dropout_rng);
    } else if (h->cfg.kind == AK_HEAD_FCN) {
        feat = x;
        for (int i = 0; i < h->cfg.n_branches; i++)
            feat = ak_conv_module_fwd(ctx, &h->branch[i], feat, train);
    } else {
        feat = pyramid(ctx, h, x, train);
    }
    if (!feat)
        return NULL;
    char name[AK_TAP_NAME_LEN];
    snprintf(name, sizeof name, "%s.feat", h->tap[0] ? h->tap : h->prefix);
    ak_taps_put(taps, name, feat);
    /* mmseg: Dropout2d before conv_seg; torchvision's FCNHead: element-wise Dropout there; its
     * DeepLabHead dropped inside the ASPP projection already. */
    ak_tensor *d = feat;
    if (train && h->cfg.dropout > 0 && h->cfg.style == AK_SEG_MMSEG)
        d = ak_channel_dropout(ctx, feat, h->cfg.dropout, dropout_rng);
    else if (train && h->cfg.dropout > 0 && h->cfg.kind == AK_HEAD_FCN)
        d = ak_dropout(ctx, feat, h->cfg.dropout, dropout_rng);
    ak_tensor *logits = ak_conv_layer_fwd(ctx, &h->conv_seg, d);
    snprintf(name, sizeof name, "%s.logits", h->tap[0] ? h->tap : h->prefix);
    ak_taps_put(taps, name, logits);
    return logits;
}
