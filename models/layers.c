/* See layers.h. */
#include "models/layers.h"

#include <stdarg.h>
#include <stdio.h>

char *ak_name(char *buf, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, AK_NAME_LEN, fmt, ap);
    va_end(ap);
    return buf;
}

int ak_conv_layer_init(ak_conv_layer *l, ak_params *ps, const char *name, int cin, int cout, int k, int stride,
                       int padding, int dilation, int groups, bool bias, ak_error *err) {
    char buf[AK_NAME_LEN];
    if (groups < 1 || cin % groups || cout % groups)
        return ak_error_set(err, AK_EINVAL, "%s: %d input / %d output channels not divisible by %d groups", name,
                            cin, cout, groups);
    int64_t wshape[4] = {cout, cin / groups, k, k}, bshape[1] = {cout};
    l->weight = ak_params_add(ps, ak_name(buf, "%s.weight", name), 4, wshape, err);
    if (!l->weight)
        return err->code;
    l->bias = NULL;
    if (bias && !(l->bias = ak_params_add(ps, ak_name(buf, "%s.bias", name), 1, bshape, err)))
        return err->code;
    l->p = ak_conv2d_sq(stride, padding, dilation, groups);
    return AK_OK;
}

ak_tensor *ak_conv_layer_fwd(ak_ctx *ctx, const ak_conv_layer *l, ak_tensor *x) {
    return ak_conv2d(ctx, x, l->weight, l->bias, &l->p);
}

int ak_bn_layer_init(ak_bn_layer *l, ak_params *ps, const char *name, int channels, ak_error *err) {
    char buf[AK_NAME_LEN];
    int64_t shape[1] = {channels};
    if (!(l->weight = ak_params_add(ps, ak_name(buf, "%s.weight", name), 1, shape, err)) ||
        !(l->bias = ak_params_add(ps, ak_name(buf, "%s.bias", name), 1, shape, err)) ||
        !(l->running_mean = ak_params_add_buffer(ps, ak_name(buf, "%s.running_mean", name), 1, shape, err)) ||
        !(l->running_var = ak_params_add_buffer(ps, ak_name(buf, "%s.running_var", name), 1, shape, err)) ||
        !ak_params_add_buffer(ps, ak_name(buf, "%s.num_batches_tracked", name), 0, shape, err))
        return err->code;
    for (int c = 0; c < channels; c++) {
        l->weight->data[c] = 1.0f;
        l->running_var->data[c] = 1.0f;
    }
    l->eps = 1e-5f;
    l->momentum = 0.1f;
    return AK_OK;
}

ak_tensor *ak_bn_layer_fwd(ak_ctx *ctx, const ak_bn_layer *l, ak_tensor *x, ak_bn_mode mode) {
    return ak_batch_norm(ctx, x, l->weight, l->bias, l->running_mean, l->running_var, mode, l->momentum, l->eps);
}

ak_tensor *ak_bn_layer_fwd_relu(ak_ctx *ctx, const ak_bn_layer *l, ak_tensor *x, ak_bn_mode mode) {
    return ak_batch_norm_relu(ctx, x, l->weight, l->bias, l->running_mean, l->running_var, mode, l->momentum, l->eps);
}

ak_tensor *ak_bn_layer_fwd_add_relu(ak_ctx *ctx, const ak_bn_layer *l, ak_tensor *x, ak_tensor *residual,
                                    ak_bn_mode mode) {
    return ak_batch_norm_add_relu(ctx, x, l->weight, l->bias, l->running_mean, l->running_var, mode, l->momentum,
                                  l->eps, residual);
}

int ak_gn_layer_init(ak_gn_layer *l, ak_params *ps, const char *name, int groups, int channels, ak_error *err) {
    char buf[AK_NAME_LEN];
    int64_t shape[1] = {channels};
    if (groups < 1 || channels % groups)
        return ak_error_set(err, AK_EINVAL, "%s: %d channels not divisible by %d groups", name, channels, groups);
    if (!(l->weight = ak_params_add(ps, ak_name(buf, "%s.weight", name), 1, shape, err)) ||
        !(l->bias = ak_params_add(ps, ak_name(buf, "%s.bias", name), 1, shape, err)))
        return err->code;
    for (int c = 0; c < channels; c++)
        l->weight->data[c] = 1.0f;
    l->groups = groups;
    l->eps = 1e-5f;
    return AK_OK;
}

ak_tensor *ak_gn_layer_fwd(ak_ctx *ctx, const ak_gn_layer *l, ak_tensor *x) {
    return ak_group_norm(ctx, x, l->groups, l->weight, l->bias, l->eps);
}
