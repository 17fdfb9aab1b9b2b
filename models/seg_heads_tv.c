/* torchvision 0.14's segmentation heads (DeepLabHead with ASPP, FCNHead) behind the segmentation
 * head interface; see the AK_SEG_TORCHVISION part of seg_heads.h. Written from
 * torchvision/models/segmentation/{deeplabv3,fcn}.py: the layer order, the nn.Sequential indices that
 * make the state-dict keys, and where the (element-wise) dropout sits. */
#include <stdio.h>

#include "core/ops/dropout.h"
#include "core/ops/pool.h"
#include "core/ops/resize.h"
#include "core/ops/shape.h"
#include "models/init.h"
#include "models/seg_heads_internal.h"

/* torchvision leaves these convs at PyTorch's default init (the ConvModule init is mmcv's). */
static int tv_conv_bn(ak_conv_module *m, ak_params *ps, const char *conv_name, const char *bn_name, int cin,
                      int cout, int k, int dilation, uint64_t seed, ak_error *err) {
    int pad = k == 1 ? 0 : dilation;
    AK_TRY(ak_conv_module_init_names(m, ps, conv_name, bn_name, cin, cout, k, pad, dilation, seed, err));
    ak_init_torch_default_conv(m->conv.weight, NULL, seed);
    return AK_OK;
}

int ak__seg_head_tv_init(ak_seg_head *h, ak_params *ps, uint64_t seed, ak_error *err) {
    const ak_seg_head_cfg *cfg = &h->cfg;
    const char *p = h->prefix;
    char cn[AK_NAME_LEN], bn[AK_NAME_LEN];
    int cin = cfg->in_channels, c = cfg->channels, n = cfg->n_branches;
    switch (cfg->kind) {
    case AK_HEAD_ASPP:
        for (int i = 0; i < n; i++) {
            int d = cfg->branches[i];
            AK_TRY(tv_conv_bn(&h->branch[i], ps, ak_name(cn, "%s.0.convs.%d.0", p, i),
                              ak_name(bn, "%s.0.convs.%d.1", p, i), cin, c, d == 1 ? 1 : 3, d, seed, err));
        }
        /* ASPPPooling = Sequential(AdaptiveAvgPool2d, Conv2d, BatchNorm2d, ReLU): indices 1 and 2 */
        AK_TRY(tv_conv_bn(&h->image_pool, ps, ak_name(cn, "%s.0.convs.%d.1", p, n),
                          ak_name(bn, "%s.0.convs.%d.2", p, n), cin, c, 1, 1, seed, err));
        AK_TRY(tv_conv_bn(&h->bottleneck, ps, ak_name(cn, "%s.0.project.0", p), ak_name(bn, "%s.0.project.1", p),
                          (n + 1) * c, c, 1, 1, seed, err));
        AK_TRY(tv_conv_bn(&h->tv_conv, ps, ak_name(cn, "%s.1", p), ak_name(bn, "%s.2", p), c, c, 3, 1, seed, err));
        break;
    case AK_HEAD_FCN:
        if (n != 1)
            return ak_error_set(err, AK_EINVAL, "%s: torchvision's FCNHead has one conv, not %d", p, n);
        AK_TRY(tv_conv_bn(&h->branch[0], ps, ak_name(cn, "%s.0", p), ak_name(bn, "%s.1", p), cin, c, 3, 1, seed, err));
        break;
    default:
        return ak_error_set(err, AK_EINVAL,
                            "%s: torchvision style has DeepLabHead (ASPP) and FCNHead, not head kind %d", p,
                            (int)cfg->kind);
    }
    AK_TRY(ak_conv_layer_init(&h->conv_seg, ps, ak_name(cn, "%s.4", p), c, cfg->num_classes, 1, 1, 0, 1, 1, true,
                              err));
    ak_init_torch_default_conv(h->conv_seg.weight, h->conv_seg.bias, seed);
    return AK_OK;
}

ak_tensor *ak__seg_head_tv_features(ak_ctx *ctx, const ak_seg_head *h, ak_tensor *x, bool train, ak_rng rng) {
    const ak_seg_head_cfg *c = &h->cfg;
    if (c->kind == AK_HEAD_FCN)
        return ak_conv_module_fwd(ctx, &h->branch[0], x, train);
    ak_tensor *parts[AK_SEG_MAX_BRANCHES + 1];
    int n = 0;
    for (int i = 0; i < c->n_branches; i++)
        parts[n++] = ak_conv_module_fwd(ctx, &h->branch[i], x, train);
    ak_tensor *pool = ak_conv_module_fwd(ctx, &h->image_pool, ak_global_avg_pool2d(ctx, x), train);
    parts[n++] = ak_resize(ctx, pool, x->shape[2], x->shape[3], AK_RESIZE_BILINEAR, false);
    for (int i = 0; i < n; i++)
        if (!parts[i])
            return NULL;
    ak_tensor *y = ak_conv_module_fwd(ctx, &h->bottleneck, ak_concat(ctx, parts, n, 1), train);
    if (train && c->dropout > 0)
        y = ak_dropout(ctx, y, c->dropout, rng);
    return ak_conv_module_fwd(ctx, &h->tv_conv, y, train);
}
