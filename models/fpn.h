/* Feature pyramid network (mmdet FPN; torchvision FeaturePyramidNetwork + LastLevelP6P7 as a
 * configuration of it).
 *
 * Inputs c[0..n_in) are the backbone stages C2..C5 (c[i] has in_channels[i] channels). Levels
 * start_level .. n_in-1 get a lateral 1x1 conv (bias) and an output 3x3 conv (bias):
 *   lat_i = lateral_i(c_i); top-down from the last: lat_i += nearest-resize(lat_{i+1}, size of lat_i)
 *   (F.interpolate(size=...), as both references); P_i = fpn_conv_i(lat_i).
 * Extra levels up to num_outs:
 *   AK_FPN_EXTRA_ON_INPUT  : first extra = 3x3/2 conv on C_last (mmdet 'on_input'; torchvision
 *                            LastLevelP6P7(2048, 256));
 *   AK_FPN_EXTRA_ON_LATERAL: on the last lateral (mmdet 'on_lateral');
 *   AK_FPN_EXTRA_ON_OUTPUT : on P_last (mmdet 'on_output'; torchvision LastLevelP6P7(256, 256), its
 *                            RetinaNet v1 and FCOS);
 *   AK_FPN_EXTRA_MAXPOOL   : max_pool2d(kernel 1, stride 2) of the previous output (Faster R-CNN);
 *   further extra convs (3x3/2) take the previous output, through a ReLU when relu_before_extra
 *   (mmdet relu_before_extra_convs; torchvision LastLevelP6P7 always applies it before P7).
 *   The mmdet RetinaNet preset uses on_input WITHOUT the ReLU (its config leaves
 *   relu_before_extra_convs False); mmdet FCOS uses on_output with it.
 * Parameter names (mmdet): <p>.lateral_convs.<i>.conv.{weight,bias}, <p>.fpn_convs.<i>.conv.*, the
 * extra convs continuing the fpn_convs numbering (models/det_keys.h maps torchvision's names).
 * Init: mmdet Xavier uniform or torchvision kaiming_uniform(a=1); biases 0.
 * Shapes: out[i] (N, out_channels, H_i, W_i), i < num_outs; taps "<p>.p<k>" with k = start_level + 2 + i
 * (P3..P7 for RetinaNet / FCOS). Gradient contract: the ops' (params accumulate with +=).
 * Errors: bad configuration -> AK_EINVAL naming the field; forward shape mismatches come from the
 * ops (AK_ESHAPE).
 */
#ifndef AK_MODELS_FPN_H
#define AK_MODELS_FPN_H

#include <stdbool.h>

#include "models/det_common.h"
#include "models/layers.h"
#include "models/taps.h"

#define AK_FPN_MAX_IN 4
#define AK_FPN_MAX_OUT 6

typedef enum ak_fpn_extra {
    AK_FPN_EXTRA_ON_INPUT = 0,
    AK_FPN_EXTRA_ON_LATERAL = 1,
    AK_FPN_EXTRA_ON_OUTPUT = 2,
    AK_FPN_EXTRA_MAXPOOL = 3,
} ak_fpn_extra;

typedef enum ak_fpn_init_scheme { AK_FPN_INIT_XAVIER = 0, AK_FPN_INIT_KAIMING_A1 = 1 } ak_fpn_init_scheme;

typedef struct ak_fpn_cfg {
    int n_in;
    int in_channels[AK_FPN_MAX_IN];
    int start_level;
    int out_channels;
    int num_outs;
    ak_fpn_extra extra;
    bool relu_before_extra;
    ak_fpn_init_scheme init;
} ak_fpn_cfg;

typedef struct ak_fpn {
    ak_fpn_cfg cfg;
    char prefix[64];
    int n_used;                          /* n_in - start_level lateral levels */
    ak_conv_layer lateral[AK_FPN_MAX_IN];
    ak_conv_layer fpn[AK_FPN_MAX_OUT];   /* n_used outputs + extra convs */
    int n_extra_convs;
} ak_fpn;

/* RetinaNet / FCOS necks (P3-P7, 256 channels) over ResNet stages with the given C2..C5 channels:
 * mmdet RetinaNet: on_input, no ReLU, Xavier; mmdet FCOS: on_output + ReLU, Xavier;
 * torchvision (both): on_output + ReLU (LastLevelP6P7(256, 256)), kaiming_uniform(a=1). */
ak_fpn_cfg ak_fpn_cfg_retinanet(const int in_channels[4], int out_channels, ak_det_style style);
ak_fpn_cfg ak_fpn_cfg_fcos(const int in_channels[4], int out_channels, ak_det_style style);

int ak_fpn_init(ak_fpn *f, ak_params *ps, const char *prefix, const ak_fpn_cfg *cfg, uint64_t seed, ak_error *err);
/* c: n_in inputs; out: num_outs outputs. Returns 0 or ctx->err.code. */
int ak_fpn_forward(ak_ctx *ctx, const ak_fpn *f, ak_tensor *const *c, ak_tensor **out, ak_taps *taps);

#endif
