/* Layout ops with autograd: reshape, permute, concat, slice, copy, detach.
 *
 * Tensors are always contiguous (tensor.h), so permute, concat and slice copy. reshape and detach do
 * not copy: the output header shares the input's data (valid as long as the input's data is).
 *   ak_reshape  : new shape with the same number of elements; at most one dim may be -1 (inferred).
 *                 Shares data; the output gets its own grad buffer, which backward adds into x's.
 *   ak_permute  : out.shape[d] = x.shape[perm[d]]; perm has x->ndim entries, a permutation of
 *                 0..ndim-1 (negative entries count from the end).
 *   ak_concat   : n >= 1 tensors, equal ndim and equal sizes except along `axis` (may be negative).
 *   ak_slice    : elements start, start+step, ... < stop along `axis`; start / stop may be negative
 *                 (counted from the end, as in Python); stop == AK_END means the end of the axis;
 *                 step >= 1. Unlike Python, indices outside the axis are an error, not clamped.
 *                 An empty result (start == stop) is allowed.
 *   ak_copy     : a new tensor with the same values; gradients flow through.
 *   ak_detach   : same data, no graph: requires_grad is false and nothing is recorded.
 * Gradient contract: backward adds into the inputs' grads (+=), only for inputs with requires_grad.
 * Errors (NULL input or earlier error -> NULL; messages name the op and the shapes involved):
 *   reshape: element count mismatch, more than one -1, or a dim < -1 -> AK_ESHAPE;
 *   permute: not a permutation -> AK_EINVAL;
 *   concat: n < 1, NULL entries, ndim or size mismatch -> AK_ESHAPE (names the input index);
 *   slice / concat / permute: axis out of range -> AK_EINVAL; slice indices out of range or
 *   step < 1 -> AK_EINVAL.
 */
#ifndef AK_OPS_SHAPE_H
#define AK_OPS_SHAPE_H

#include <stdint.h>

#include "core/ctx.h"

#define AK_END INT64_MAX /* ak_slice: stop at the end of the axis */

ak_tensor *ak_reshape(ak_ctx *ctx, ak_tensor *x, int ndim, const int64_t *shape);
ak_tensor *ak_permute(ak_ctx *ctx, ak_tensor *x, const int *perm);
ak_tensor *ak_concat(ak_ctx *ctx, ak_tensor *const *xs, int n, int axis);
ak_tensor *ak_slice(ak_ctx *ctx, ak_tensor *x, int axis, int64_t start, int64_t stop, int64_t step);
ak_tensor *ak_copy(ak_ctx *ctx, ak_tensor *x);
ak_tensor *ak_detach(ak_ctx *ctx, ak_tensor *x);

#endif
