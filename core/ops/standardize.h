/* Per-channel standardisation over ghost batches, with autograd: PKD's feature normalisation
 * (METHODS.md §2.6: mean and UNBIASED standard deviation over (n, h, w), eps added to the std, not
 * to the variance, so it is not a batch norm), computed per ghost batch of G images (§5.6).
 *
 * ak_channel_standardize(x, ghost, unbiased, eps): x (N, C, *). For each ghost batch (consecutive
 * groups of `ghost` images in batch order, the last one smaller when ghost does not divide N;
 * ghost <= 0 or >= N: the whole batch) and channel c, over the M = images * prod(*) values:
 *   y = (x - mean) / (std + eps),  std = sqrt(sum (x - mean)^2 / (M - 1))  (/ M when !unbiased).
 * PyTorch: (f - f.mean()) / (f.std() + eps) per channel of f = x.permute(1,0,2,3).reshape(C, -1).
 * Gradient (+=): through mean and std (standardize.h in core/cpu has the formula); where std == 0
 * only the centring term remains (PyTorch would give NaN there).
 * Saved state: mean and std per (group, channel) (floats, arena).
 * Determinism: serial reductions per (group, channel): bitwise identical for any thread count.
 * Errors: NULL input -> NULL; ndim < 2 -> AK_ESHAPE; a group with M < 2 when unbiased (the std of
 * one value is undefined) -> AK_ESHAPE naming the op, the shape and the ghost size; eps < 0 or not
 * finite -> AK_EINVAL; non-CPU -> AK_EUNSUP.
 */
#ifndef AK_OPS_STANDARDIZE_H
#define AK_OPS_STANDARDIZE_H

#include <stdbool.h>

#include "core/ctx.h"

ak_tensor *ak_channel_standardize(ak_ctx *ctx, ak_tensor *x, int ghost, bool unbiased, float eps);

#endif
