/* 2-D convolution (PyTorch's torch.nn.functional.conv2d): shape checks, dispatch and autograd.
 *
 * Shapes: x (N, C, H, W); w (O, C/groups, kh, kw); b (O) or NULL; out (N, O, Ho, Wo) with
 *   Ho = floor((H + 2*pad_h - dil_h*(kh-1) - 1) / stride_h) + 1   (same for W).
 * Parameters: zero-initialised fields take their defaults (stride 1, padding 0, dilation 1,
 * groups 1), so `(ak_conv2d_params){.stride = {2, 2}, .padding = {1, 1}}` reads like PyTorch; a
 * NULL params pointer means all defaults.
 * Autograd: records one node; backward adds into the grads of the inputs that require one
 * (dx, dw, db). Saved state: pointers to x and w (valid until ak_ctx_reset) and the geometry; the
 * im2col workspace comes from the arena, is bounded per call (see core/cpu/conv2d.h) and is released
 * when the call returns (forward) or the node's backward has run.
 * Errors (ctx->err, NULL returned): AK_ESHAPE naming "conv2d" and both shapes when x, w, b do
 * not fit together; AK_EINVAL for non-positive stride / dilation, negative padding, groups not
 * dividing the channels, or an empty output; AK_EUNSUP for non-CPU tensors; AK_ENOMEM when the
 * arena is full.
 */
#ifndef AK_OPS_CONV2D_H
#define AK_OPS_CONV2D_H

#include "core/ctx.h"

typedef struct ak_conv2d_params {
    int stride[2];   /* (h, w); 0 means 1 */
    int padding[2];  /* (h, w) zero padding on both sides */
    int dilation[2]; /* (h, w); 0 means 1 */
    int groups;      /* 0 means 1 */
} ak_conv2d_params;

/* Square shorthand: ak_conv2d_sq(stride, padding, dilation, groups). */
static inline ak_conv2d_params ak_conv2d_sq(int stride, int padding, int dilation, int groups) {
    ak_conv2d_params p = {{stride, stride}, {padding, padding}, {dilation, dilation}, groups};
    return p;
}

ak_tensor *ak_conv2d(ak_ctx *ctx, ak_tensor *x, ak_tensor *w, ak_tensor *b, const ak_conv2d_params *p);

#endif
