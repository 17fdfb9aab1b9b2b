/* ResNet backbones; see resnet.h. */
#include "models/resnet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops/pool.h"
#include "models/init.h"

static int blocks_per_stage(int depth, int n[4], bool *bottleneck) {
    static const int d18[4] = {2, 2, 2, 2}, d34[4] = {3, 4, 6, 3}, d101[4] = {3, 4, 23, 3};
    const int *src = depth == 18 ? d18 : depth == 34 || depth == 50 ? d34 : depth == 101 ? d101 : NULL;
    if (!src)
        return 0;
    memcpy(n, src, 4 * sizeof *n);
    *bottleneck = depth >= 50;
    return 1;
}

/* Conv + BN pair, initialised the torchvision way. */
static int conv_bn(ak_conv_layer *c, ak_bn_layer *bn, ak_params *ps, const char *conv_name, const char *bn_name,
                   int cin, int cout, int k, int stride, int pad, int dil, uint64_t seed, ak_error *err) {
    AK_TRY(ak_conv_layer_init(c, ps, conv_name, cin, cout, k, stride, pad, dil, 1, false, err));
    ak_init_kaiming_normal_fan_out(c->weight, seed);
    return ak_bn_layer_init(bn, ps, bn_name, cout, err);
}

static int block_init(ak_resnet_block *b, ak_params *ps, const char *name, bool bottleneck, bool caffe, int cin,
                      int planes, int stride, int dilation, uint64_t seed, ak_error *err) {
    char cn[AK_NAME_LEN], bn[AK_NAME_LEN];
    int expansion = bottleneck ? 4 : 1, cout = planes * expansion;
    memset(b, 0, sizeof *b);
    if (bottleneck) {
        /* mmdet Bottleneck: style 'pytorch' strides the 3x3 conv2, style 'caffe' the 1x1 conv1. */
        int s1 = caffe ? stride : 1, s2 = caffe ? 1 : stride;
        b->n_conv = 3;
        AK_TRY(conv_bn(&b->conv[0], &b->bn[0], ps, ak_name(cn, "%s.conv1", name), ak_name(bn, "%s.bn1", name), cin,
                       planes, 1, s1, 0, 1, seed, err));
        AK_TRY(conv_bn(&b->conv[1], &b->bn[1], ps, ak_name(cn, "%s.conv2", name), ak_name(bn, "%s.bn2", name),
                       planes, planes, 3, s2, dilation, dilation, seed, err));
        AK_TRY(conv_bn(&b->conv[2], &b->bn[2], ps, ak_name(cn, "%s.conv3", name), ak_name(bn, "%s.bn3", name),
                       planes, cout, 1, 1, 0, 1, seed, err));
    } else {
        b->n_conv = 2;
        AK_TRY(conv_bn(&b->conv[0], &b->bn[0], ps, ak_name(cn, "%s.conv1", name), ak_name(bn, "%s.bn1", name), cin,
                       planes, 3, stride, dilation, dilation, seed, err));
        AK_TRY(conv_bn(&b->conv[1], &b->bn[1], ps, ak_name(cn, "%s.conv2", name), ak_name(bn, "%s.bn2", name),
                       planes, planes, 3, 1, 1, 1, seed, err));
    }
    if (stride != 1 || cin != cout) {
        b->has_downsample = true;
        AK_TRY(conv_bn(&b->down_conv, &b->down_bn, ps, ak_name(cn, "%s.downsample.0", name),
                       ak_name(bn, "%s.downsample.1", name), cin, cout, 1, stride, 0, 1, seed, err));
    }
    return AK_OK;
}

int ak_resnet_init(ak_resnet *net, ak_params *ps, const char *prefix, const ak_resnet_cfg *cfg, uint64_t seed,
                   ak_error *err) {
    memset(net, 0, sizeof *net);
    net->cfg = *cfg;
    snprintf(net->prefix, sizeof net->prefix, "%s", prefix);
    bool bottleneck;
    if (!blocks_per_stage(cfg->depth, net->n_blocks, &bottleneck))
        return ak_error_set(err, AK_EINVAL, "resnet: depth %d is not one of 18, 34, 50, 101", cfg->depth);
    if (!(cfg->width_mult > 0.0f))
        return ak_error_set(err, AK_EINVAL, "resnet: width_mult %g must be > 0", (double)cfg->width_mult);
    int base = (int)lroundf(64.0f * cfg->width_mult);
    if (base < 4)
        base = 4;
    char cn[AK_NAME_LEN], bn[AK_NAME_LEN];
    if (cfg->deep_stem) {
        net->n_stem = 3;
        int half = base / 2;
        const int cins[3] = {3, half, half}, couts[3] = {half, half, base}, strides[3] = {2, 1, 1};
        for (int i = 0; i < 3; i++)
            AK_TRY(conv_bn(&net->stem_conv[i], &net->stem_bn[i], ps, ak_name(cn, "%s.stem.%d", prefix, 3 * i),
                           ak_name(bn, "%s.stem.%d", prefix, 3 * i + 1), cins[i], couts[i], 3, strides[i], 1, 1, seed,
                           err));
    } else {
        net->n_stem = 1;
        AK_TRY(conv_bn(&net->stem_conv[0], &net->stem_bn[0], ps, ak_name(cn, "%s.conv1", prefix),
                       ak_name(bn, "%s.bn1", prefix), 3, base, 7, 2, 3, 1, seed, err));
    }
    const int strides[4] = {1, 2, cfg->dilated ? 1 : 2, cfg->dilated ? 1 : 2};
    const int dilations[4] = {1, 1, cfg->dilated ? 2 : 1, cfg->dilated ? 4 : 1};
    int cin = base, expansion = bottleneck ? 4 : 1;
    for (int s = 0; s < 4; s++) {
        int planes = base << s;
        net->blocks[s] = calloc((size_t)net->n_blocks[s], sizeof(ak_resnet_block));
        if (!net->blocks[s])
            return ak_error_set(err, AK_ENOMEM, "resnet: out of memory");
        for (int b = 0; b < net->n_blocks[s]; b++) {
            char name[AK_NAME_LEN];
            ak_name(name, "%s.layer%d.%d", prefix, s + 1, b);
            /* The first block of a dilated stage keeps half the dilation (contract_dilation). */
            int dil = b == 0 && dilations[s] > 1 ? dilations[s] / 2 : dilations[s];
            AK_TRY(block_init(&net->blocks[s][b], ps, name, bottleneck, cfg->caffe_style, cin, planes,
                              b == 0 ? strides[s] : 1, dil, seed, err));
            cin = planes * expansion;
        }
        net->out_channels[s] = cin;
    }
    ak_resnet_apply_frozen(net, ps);
    return AK_OK;
}

void ak_resnet_free(ak_resnet *net) {
    for (int s = 0; s < 4; s++)
        free(net->blocks[s]);
    memset(net, 0, sizeof *net);
}

void ak_resnet_apply_frozen(const ak_resnet *net, ak_params *ps) {
    char name[AK_NAME_LEN];
    if (net->cfg.frozen_stages < 0)
        return;
    if (net->cfg.deep_stem)
        ak_params_set_trainable(ps, ak_name(name, "%s.stem.", net->prefix), false);
    else {
        ak_params_set_trainable(ps, ak_name(name, "%s.conv1.", net->prefix), false);
        ak_params_set_trainable(ps, ak_name(name, "%s.bn1.", net->prefix), false);
    }
    for (int s = 1; s <= net->cfg.frozen_stages && s <= 4; s++)
        ak_params_set_trainable(ps, ak_name(name, "%s.layer%d.", net->prefix, s), false);
}

/* stage 0 = stem, 1..4 = layer1..4 */
static ak_bn_mode bn_mode(const ak_resnet *net, int stage, bool train) {
    if (stage <= net->cfg.frozen_stages)
        return AK_BN_FROZEN;
    return train && !net->cfg.norm_eval ? AK_BN_TRAIN : AK_BN_EVAL;
}

/* relu(bn_last(conv_last(...)) + identity): the last BN, the shortcut add and the ReLU are one fused
 * op (same bits as the three), so the shortcut is computed before it. */
static ak_tensor *block_fwd(ak_ctx *ctx, const ak_resnet_block *b, ak_tensor *x, ak_bn_mode mode) {
    ak_tensor *out = x;
    const int last = b->n_conv - 1;
    for (int i = 0; i < last; i++)
        out = ak_bn_layer_fwd_relu(ctx, &b->bn[i], ak_conv_layer_fwd(ctx, &b->conv[i], out), mode);
    ak_tensor *c = ak_conv_layer_fwd(ctx, &b->conv[last], out);
    ak_tensor *identity = b->has_downsample
                              ? ak_bn_layer_fwd(ctx, &b->down_bn, ak_conv_layer_fwd(ctx, &b->down_conv, x), mode)
                              : x;
    return ak_bn_layer_fwd_add_relu(ctx, &b->bn[last], c, identity, mode);
}

int ak_resnet_forward(ak_ctx *ctx, const ak_resnet *net, ak_tensor *x, bool train, ak_tensor *out[4],
                      ak_taps *taps) {
    ak_bn_mode mode = bn_mode(net, 0, train);
    /* Without a tape (inference, frozen teachers) only each block's output outlives the block. */
    ak_arena_pos pos = ak_arena_mark(&ctx->arena);
    for (int i = 0; i < net->n_stem; i++)
        x = ak_bn_layer_fwd_relu(ctx, &net->stem_bn[i], ak_conv_layer_fwd(ctx, &net->stem_conv[i], x), mode);
    ak_pool2d_params mp = {{3, 3}, {2, 2}, {1, 1}, {1, 1}, false, false};
    x = ak_ctx_keep(ctx, pos, ak_max_pool2d(ctx, x, &mp));
    for (int s = 0; s < 4; s++) {
        mode = bn_mode(net, s + 1, train);
        for (int b = 0; b < net->n_blocks[s]; b++) {
            pos = ak_arena_mark(&ctx->arena);
            x = ak_ctx_keep(ctx, pos, block_fwd(ctx, &net->blocks[s][b], x, mode));
        }
        if (!x)
            break;
        if (out)
            out[s] = x;
        char name[AK_TAP_NAME_LEN];
        snprintf(name, sizeof name, "%s.c%d", net->prefix, s + 2);
        if (ak_taps_put(taps, name, x) != AK_OK)
            return ak_error_set(&ctx->err, AK_ENOMEM, "resnet: too many taps");
    }
    return ctx->err.code;
}
