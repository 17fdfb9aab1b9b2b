/* Normalisation layers with autograd: batch norm (train / eval / frozen), group norm, layer norm.
 *
 * All take x of shape (N, C, *) (batch / group norm) or (..., normalised dims) (layer norm) and return
 * a tensor of x's shape. weight (gamma) and bias (beta) are optional (NULL = affine-free; either may
 * be given alone). Variances are biased (divide by the count) for normalisation, as in PyTorch.
 * Statistics accumulate in double in a fixed order: bitwise identical for any thread count.
 *
 * ak_batch_norm, per channel c over (n, *):
 *   AK_BN_TRAIN : batch statistics; y = (x - mean_c) / sqrt(var_c + eps) * gamma_c + beta_c, and the
 *                 gradient flows through mean_c and var_c. When running_mean / running_var are given
 *                 (both or neither; ak_params buffers of shape (C) owned by the caller) they are
 *                 updated in place exactly as PyTorch does (float arithmetic):
 *                   running_mean = momentum * mean + (1 - momentum) * running_mean
 *                   running_var  = momentum * var * n/(n-1) + (1 - momentum) * running_var  (unbiased)
 *                 with n = N * prod(*). The update happens in the forward call, recording on or off.
 *                 n must be > 1 (AK_ESHAPE otherwise, as PyTorch refuses it too). PyTorch's
 *                 num_batches_tracked is not kept: momentum = None (cumulative average) is not offered.
 *   AK_BN_EVAL  : running statistics; y = (x - rm_c) / sqrt(rv_c + eps) * gamma_c + beta_c; gamma and
 *                 beta get gradients when they require them.
 *   AK_BN_FROZEN: as EVAL, but gamma and beta are constants: never recorded as inputs, never given a
 *                 gradient, whatever their requires_grad says (mmdet's frozen / norm_eval stages).
 *   AKD's "uncertainty" BN is AK_BN_TRAIN with weight = bias = NULL and running stats NULL or given.
 *   momentum in [0, 1] (PyTorch default 0.1), eps >= 0 (default 1e-5).
 * ak_group_norm: `groups` divides C; statistics per (n, group) over (C/groups, *); gamma / beta per
 *   channel, shape (C). eps default 1e-5 (FCOS heads: 32 groups).
 * ak_layer_norm: statistics over the trailing `norm_dims` dims of x (1 <= norm_dims <= x->ndim);
 *   gamma / beta have exactly those trailing dims as their shape (element-wise affine), e.g.
 *   PyTorch's LayerNorm([C,1,1]) on (N,C,1,1) is norm_dims = 3 with gamma of shape (C,1,1).
 *
 * Gradient contract: backward adds (+=) into the grads of x, weight and bias, for those that require
 * a gradient. Ownership: outputs and saved statistics in the ctx arena.
 * Errors (NULL input -> NULL; messages name the op and the shapes): x with < 2 dims, a parameter or
 * running stat whose shape is not (C) (the trailing dims for layer norm), groups not dividing C,
 * training with a single value per channel -> AK_ESHAPE; eval / frozen without running stats, only
 * one of the running stats, bad mode, momentum, eps or norm_dims -> AK_EINVAL.
 */
#ifndef AK_OPS_NORM_H
#define AK_OPS_NORM_H

#include "core/ctx.h"

typedef enum ak_bn_mode {
    AK_BN_TRAIN = 0,
    AK_BN_EVAL = 1,
    AK_BN_FROZEN = 2,
} ak_bn_mode;

ak_tensor *ak_batch_norm(ak_ctx *ctx, ak_tensor *x, ak_tensor *weight, ak_tensor *bias, ak_tensor *running_mean,
                         ak_tensor *running_var, ak_bn_mode mode, float momentum, float eps);
/* relu(ak_batch_norm(...)) as one op: bitwise the same values and gradients, one pass and one
 * activation (and its gradient) less; the backward applies relu's mask where its passes read the
 * output gradient. */
ak_tensor *ak_batch_norm_relu(ak_ctx *ctx, ak_tensor *x, ak_tensor *weight, ak_tensor *bias,
                              ak_tensor *running_mean, ak_tensor *running_var, ak_bn_mode mode, float momentum,
                              float eps);
/* relu(ak_batch_norm(...) + residual) as one op (a ResNet block's tail: BN, the shortcut add, ReLU):
 * bitwise the same values and gradients as ak_relu(ak_add(ak_batch_norm(...), residual)), one pass
 * instead of three and one activation less; backward adds the masked output gradient into residual's
 * gradient (when residual requires one) in its statistics pass. residual: exactly x's shape
 * (no broadcasting; AK_ESHAPE naming both shapes otherwise), read only in the forward. NULL residual
 * with no earlier error: AK_EINVAL. */
ak_tensor *ak_batch_norm_add_relu(ak_ctx *ctx, ak_tensor *x, ak_tensor *weight, ak_tensor *bias,
                                  ak_tensor *running_mean, ak_tensor *running_var, ak_bn_mode mode, float momentum,
                                  float eps, ak_tensor *residual);
/* Training-mode batch norm with statistics per "ghost batch": consecutive groups of `ghost` samples
 * in batch order (the last group is smaller when ghost does not divide N; ghost == 0 or >= N is the
 * whole batch, i.e. ak_batch_norm in AK_BN_TRAIN). Equivalent to calling ak_batch_norm on each group
 * and concatenating, including the running-stat updates, applied once per group in order (AKD's
 * per-GPU statistics over 2 images, METHODS.md Part 0). Every group needs > 1 value per channel. */
ak_tensor *ak_batch_norm_ghost(ak_ctx *ctx, ak_tensor *x, int ghost, ak_tensor *weight, ak_tensor *bias,
                               ak_tensor *running_mean, ak_tensor *running_var, float momentum, float eps);
ak_tensor *ak_group_norm(ak_ctx *ctx, ak_tensor *x, int groups, ak_tensor *weight, ak_tensor *bias, float eps);
ak_tensor *ak_layer_norm(ak_ctx *ctx, ak_tensor *x, int norm_dims, ak_tensor *weight, ak_tensor *bias, float eps);

/* For the norm implementations: fail unless t is NULL or has exactly shape (C). `what` names it. */
int ak_norm_check_vec(ak_ctx *ctx, const char *op, const char *what, const ak_tensor *t, int64_t C,
                      const ak_tensor *x);

#endif
