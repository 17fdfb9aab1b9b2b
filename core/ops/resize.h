/* Spatial resize as torch.nn.functional.interpolate, modes 'bilinear' (align_corners true or false)
 * and 'nearest' (the legacy rule), forward and backward.
 *
 * Shapes: x (N, C, H, W) -> (N, C, out_h, out_w).
 * ak_resize: interpolate(x, size=(out_h, out_w)); coordinates use in/out.
 * ak_resize_scale: interpolate(x, scale_factor=(sh, sw)) with recompute_scale_factor None/False
 *   (torch's default): out = floor(in * s), and, unlike a size request, the coordinates use 1/s
 *   (so a 0.6 scale of 7 rows reads different source rows than size 4). With align_corners the
 *   scale only sets the size. (recompute_scale_factor=True is ak_resize with the floor size.)
 * Autograd: one node; backward adds into x's grad (torch's accumulation order per plane).
 * Errors: AK_ESHAPE naming the op and the shape for non-4-D input; AK_EINVAL for non-positive
 * sizes / scales, an empty output, or align_corners with 'nearest' (torch refuses it too);
 * AK_EUNSUP for non-CPU tensors; AK_ENOMEM when the arena is full.
 */
#ifndef AK_OPS_RESIZE_H
#define AK_OPS_RESIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ctx.h"

typedef enum ak_resize_mode { AK_RESIZE_BILINEAR = 0, AK_RESIZE_NEAREST = 1 } ak_resize_mode;

ak_tensor *ak_resize(ak_ctx *ctx, ak_tensor *x, int64_t out_h, int64_t out_w, ak_resize_mode mode,
                     bool align_corners);
ak_tensor *ak_resize_scale(ak_ctx *ctx, ak_tensor *x, double scale_h, double scale_w, ak_resize_mode mode,
                           bool align_corners);

#endif
