/* Reductions with autograd: sum and mean over a set of axes or over all elements, max along one axis.
 *
 * Axes may be negative (-1 = last) and must be distinct. keepdim keeps the reduced axes as size 1;
 * otherwise they are removed (reducing every axis without keepdim gives a 0-dim scalar, numel 1).
 * ak_sum_all / ak_mean_all return a 0-dim scalar (feed it to ak_backward).
 *
 * Results are bitwise identical for any thread count (fixed block partition, ordered combination;
 * see core/cpu/reduce.h) and accumulate in double. Mean divides by the number of summed elements
 * (the mean of nothing is NaN, as in PyTorch).
 * max returns the largest value along `axis`; its gradient goes to the first position attaining it
 * (NaN counts as the largest and is propagated).
 *
 * Gradient contract: backward adds into the input's grad (+=). Ownership: outputs in the ctx arena.
 * Errors: NULL input -> NULL. Axis out of range, repeated axis or n_axes outside 1..ndim ->
 * AK_EINVAL naming the op, the axis and the input shape, e.g. "sum: axis 4 out of range for shape
 * (2,3)". max over an axis of size 0 -> AK_ESHAPE.
 */
#ifndef AK_OPS_REDUCE_H
#define AK_OPS_REDUCE_H

#include <stdbool.h>

#include "core/ctx.h"

ak_tensor *ak_sum(ak_ctx *ctx, ak_tensor *x, const int *axes, int n_axes, bool keepdim);
ak_tensor *ak_mean(ak_ctx *ctx, ak_tensor *x, const int *axes, int n_axes, bool keepdim);
ak_tensor *ak_sum_all(ak_ctx *ctx, ak_tensor *x);
ak_tensor *ak_mean_all(ak_ctx *ctx, ak_tensor *x);
ak_tensor *ak_max(ak_ctx *ctx, ak_tensor *x, int axis, bool keepdim);

#endif
