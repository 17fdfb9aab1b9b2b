/* Layers with parameters: a convolution (+ optional bias), batch norm, group norm. Each registers its
 * tensors in an ak_params registry under torchvision / mmdet key names ("<prefix>.weight", ...), so
 * checkpoints and imported weights match by name. A layer struct only points at registry tensors; the
 * registry owns them.
 *
 * Shapes: conv weight (O, C/groups, k, k), bias (O); norm weight / bias / running stats (C), plus a
 * 0-d "num_batches_tracked" buffer for batch norm (torchvision state dicts carry it).
 * Errors: registration failures (duplicate names, out of memory) return the ak status with `err` set.
 */
#ifndef AK_MODELS_LAYERS_H
#define AK_MODELS_LAYERS_H

#include <stdbool.h>

#include "core/ops/conv2d.h"
#include "core/ops/norm.h"
#include "core/params.h"

typedef struct ak_conv_layer {
    ak_tensor *weight, *bias; /* bias NULL when absent */
    ak_conv2d_params p;
} ak_conv_layer;

/* Square kernel k, stride, padding, dilation, groups. Weights are zero until an init scheme runs. */
int ak_conv_layer_init(ak_conv_layer *l, ak_params *ps, const char *name, int cin, int cout, int k, int stride,
                       int padding, int dilation, int groups, bool bias, ak_error *err);
ak_tensor *ak_conv_layer_fwd(ak_ctx *ctx, const ak_conv_layer *l, ak_tensor *x);

typedef struct ak_bn_layer {
    ak_tensor *weight, *bias, *running_mean, *running_var;
    float eps, momentum;
} ak_bn_layer;

/* weight 1, bias 0, running mean 0, running var 1 (PyTorch's reset), eps 1e-5, momentum 0.1. */
int ak_bn_layer_init(ak_bn_layer *l, ak_params *ps, const char *name, int channels, ak_error *err);
ak_tensor *ak_bn_layer_fwd(ak_ctx *ctx, const ak_bn_layer *l, ak_tensor *x, ak_bn_mode mode);
/* relu(batch norm) fused (ak_batch_norm_relu): the conv -> BN -> ReLU of every ResNet / ConvModule. */
ak_tensor *ak_bn_layer_fwd_relu(ak_ctx *ctx, const ak_bn_layer *l, ak_tensor *x, ak_bn_mode mode);
/* relu(batch norm + residual) fused (ak_batch_norm_add_relu): the tail of every ResNet block. */
ak_tensor *ak_bn_layer_fwd_add_relu(ak_ctx *ctx, const ak_bn_layer *l, ak_tensor *x, ak_tensor *residual,
                                    ak_bn_mode mode);

typedef struct ak_gn_layer {
    ak_tensor *weight, *bias;
    int groups;
    float eps;
} ak_gn_layer;

int ak_gn_layer_init(ak_gn_layer *l, ak_params *ps, const char *name, int groups, int channels, ak_error *err);
ak_tensor *ak_gn_layer_fwd(ak_ctx *ctx, const ak_gn_layer *l, ak_tensor *x);

/* snprintf into a name buffer: ak_name(buf, "%s.layer%d", prefix, i). Returns buf. */
char *ak_name(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define AK_NAME_LEN AK_PARAM_NAME_LEN

#endif
