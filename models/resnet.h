/* ResNet-18/34/50/101 backbones (torchvision layout, "pytorch" style: the stride sits in the 3x3
 * conv), with mmdet's "caffe" style (caffe_style: a Bottleneck's stride sits in its first 1x1 conv
 * instead, as in the caffe / detectron checkpoints mmdet's FCOS configs load; BasicBlocks have no
 * such choice), the mmseg "V1c" deep stem, the dilated D8 variant, frozen stages, BN in eval mode,
 * and a width multiplier for small CPU presets.
 *
 * Parameter names (prefix given by the caller, usually "backbone"): torchvision / mmdet keys:
 *   <p>.conv1, <p>.bn1                              plain stem (7x7/2 conv, BN, ReLU, 3x3/2 max-pool)
 *   <p>.stem.{0,1,3,4,6,7}                          V1c deep stem: three 3x3 convs (s2, 1, 1) + BNs
 *   <p>.layer{1..4}.{b}.conv{1,2[,3]} / .bn{1,2[,3]} / .downsample.{0,1}
 * Blocks: BasicBlock (expansion 1; mmseg semantics under dilation: conv1 carries stride and
 * dilation, conv2 is a plain 3x3) and Bottleneck (expansion 4; conv2 carries stride and dilation).
 * D8: stages 3 and 4 use stride 1 and dilation 2 and 4; the first block of a dilated stage uses half
 * the dilation (torchvision's replace_stride_with_dilation == mmseg's contract_dilation).
 *
 * Shapes: x (N,3,H,W) -> c2 (N,w1,H/4,W/4), c3 (N,w2,H/8), c4 (N,w3,H/16 | H/8 for D8),
 * c5 (N,w4,H/32 | H/8 for D8), w_i = round(64*width_mult) * 2^(i-1) * expansion.
 * Taps recorded: "<p>.c2" .. "<p>.c5".
 */
#ifndef AK_MODELS_RESNET_H
#define AK_MODELS_RESNET_H

#include <stdbool.h>

#include "models/layers.h"
#include "models/taps.h"

typedef struct ak_resnet_cfg {
    int depth;          /* 18, 34, 50, 101 */
    float width_mult;   /* 1.0 for the real networks; e.g. 0.25 for CPU presets */
    bool deep_stem;     /* mmseg ResNetV1c stem */
    bool dilated;       /* D8: output stride 8 */
    int frozen_stages;  /* -1: none; 0: stem; k: stem and layer1..k (params frozen, BN eval) */
    bool norm_eval;     /* every BN uses running statistics (and is not updated) */
    bool caffe_style;   /* mmdet style='caffe': Bottleneck stride on conv1 (1x1), not conv2 (3x3) */
} ak_resnet_cfg;

typedef struct ak_resnet_block {
    ak_conv_layer conv[3];
    ak_bn_layer bn[3];
    int n_conv;           /* 2 (basic) or 3 (bottleneck) */
    bool has_downsample;
    ak_conv_layer down_conv;
    ak_bn_layer down_bn;
} ak_resnet_block;

typedef struct ak_resnet {
    ak_resnet_cfg cfg;
    char prefix[64];
    ak_conv_layer stem_conv[3];
    ak_bn_layer stem_bn[3];
    int n_stem;                 /* 1 (plain) or 3 (deep) */
    ak_resnet_block *blocks[4]; /* per stage, malloc'd */
    int n_blocks[4];
    int out_channels[4];        /* channels of c2..c5 */
} ak_resnet;

/* Registers every tensor in ps under `prefix` and initialises them (kaiming normal fan-out convs,
 * BN weight 1 bias 0) from `seed`. Unsupported depth -> AK_EINVAL. Free with ak_resnet_free. */
int ak_resnet_init(ak_resnet *net, ak_params *ps, const char *prefix, const ak_resnet_cfg *cfg, uint64_t seed,
                   ak_error *err);
void ak_resnet_free(ak_resnet *net);
/* Applies frozen_stages to ps (requires_grad off for frozen tensors). Called by init; exposed for
 * loading weights after init. */
void ak_resnet_apply_frozen(const ak_resnet *net, ak_params *ps);

/* Forward. `train` selects batch statistics for BNs that are neither frozen nor norm_eval.
 * out[0..3] receive c2..c5 (may be NULL); taps may be NULL. Returns 0 or ctx->err.code. */
int ak_resnet_forward(ak_ctx *ctx, const ak_resnet *net, ak_tensor *x, bool train, ak_tensor *out[4],
                      ak_taps *taps);

#endif
