/* Pooling over NCHW tensors with PyTorch semantics: max pool (kernel, stride, padding, dilation,
 * ceil_mode; ties go to the first maximum in raster order, as torch on CPU), average pool
 * (count_include_pad, ceil_mode), adaptive average pool (torch's floor/ceil bins, any output size
 * incl. non-divisible ones, e.g. PSPNet's bins 1, 2, 3, 6) and global average pool.
 *
 * Shapes: x (N, C, H, W) -> (N, C, Ho, Wo) with, per axis,
 *   Ho = floor_or_ceil((H + 2p - d(k-1) - 1) / s) + 1, and in ceil mode the last window must start
 *   inside the image or the left padding (else Ho - 1), as torch.
 * Parameters: zero fields take defaults: stride = kernel, dilation 1 (max pool only; average pool
 * rejects dilation != 1), padding 0; `exclude_pad` is PyTorch's count_include_pad=False (zero keeps
 * torch's default True). Padding must be at most half the kernel (torch's rule).
 * Autograd: one node; backward adds into x's grad. Max pool saves the argmax indices (int32 per
 * output, arena); the others save only the geometry.
 * Errors: AK_ESHAPE naming the op and the shape for non-4-D input; AK_EINVAL for bad kernel /
 * stride / padding / dilation or an empty output (message names the op, the shape and the values);
 * AK_EUNSUP for non-CPU tensors; AK_ENOMEM when the arena is full.
 */
#ifndef AK_OPS_POOL_H
#define AK_OPS_POOL_H

#include <stdbool.h>

#include "core/ctx.h"

typedef struct ak_pool2d_params {
    int kernel[2];   /* (h, w), required */
    int stride[2];   /* 0: the kernel size */
    int padding[2];  /* implicit -inf (max) / zero (avg) padding */
    int dilation[2]; /* 0: 1; max pool only */
    bool ceil_mode;
    bool exclude_pad; /* avg pool: divide by the count of in-image elements only */
} ak_pool2d_params;

ak_tensor *ak_max_pool2d(ak_ctx *ctx, ak_tensor *x, const ak_pool2d_params *p);
ak_tensor *ak_avg_pool2d(ak_ctx *ctx, ak_tensor *x, const ak_pool2d_params *p);
/* out (N, C, out_h, out_w); out_h, out_w >= 1. */
ak_tensor *ak_adaptive_avg_pool2d(ak_ctx *ctx, ak_tensor *x, int out_h, int out_w);
/* out (N, C, 1, 1): the mean over H and W (accumulated in double). */
ak_tensor *ak_global_avg_pool2d(ak_ctx *ctx, ak_tensor *x);

#endif
