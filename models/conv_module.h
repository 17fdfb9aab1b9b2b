/* mmcv's ConvModule: conv (no bias) -> batch norm -> ReLU, registered as "<name>.conv.weight" and
 * "<name>.bn.*" (mmseg decode heads). The building block of the PSP, ASPP and FCN heads.
 * Shapes: x (N, cin, H, W) -> (N, cout, H', W'). Errors as models/layers.h.
 */
#ifndef AK_MODELS_CONV_MODULE_H
#define AK_MODELS_CONV_MODULE_H

#include "models/layers.h"

typedef struct ak_conv_module {
    ak_conv_layer conv;
    ak_bn_layer bn;
} ak_conv_module;

/* The conv is initialised as mmcv does for ConvModule with ReLU: kaiming normal, fan_out. */
int ak_conv_module_init(ak_conv_module *m, ak_params *ps, const char *name, int cin, int cout, int k, int padding,
                        int dilation, uint64_t seed, ak_error *err);
/* The same conv -> BN -> ReLU registered under explicit names ("<conv_name>.weight", "<bn_name>.*"),
 * for layouts that are not mmcv's (torchvision's nn.Sequential indices, e.g. "classifier.1" and
 * "classifier.2"); same initialisation. */
int ak_conv_module_init_names(ak_conv_module *m, ak_params *ps, const char *conv_name, const char *bn_name, int cin,
                              int cout, int k, int padding, int dilation, uint64_t seed, ak_error *err);
/* train: BN batch statistics (else running statistics). */
ak_tensor *ak_conv_module_fwd(ak_ctx *ctx, const ak_conv_module *m, ak_tensor *x, bool train);

#endif
