/* Pointwise activations: relu, sigmoid (more are added here as models need them).
 *
 * Shapes: any; out has the input's shape. Gradient contract (every op file): backward adds into the
 * inputs' grads (+=), never overwrites. Errors: NULL input -> NULL (error already set).
 */
#ifndef AK_OPS_ACTIVATION_H
#define AK_OPS_ACTIVATION_H

#include "core/ctx.h"

ak_tensor *ak_relu(ak_ctx *ctx, ak_tensor *x);
/* relu in place (PyTorch's ReLU(inplace=True)): the returned tensor shares x's data, and x's values
 * become relu(x). Same values and gradients as ak_relu, one activation less in memory. Only for an x
 * that nothing reads afterwards, in the forward or at backward: e.g. the output of batch norm, add or
 * conv2d (their backward reads their inputs, not their outputs) consumed by this relu alone; never a
 * parameter (AK_EINVAL) or a tensor the caller keeps. */
ak_tensor *ak_relu_inplace(ak_ctx *ctx, ak_tensor *x);
ak_tensor *ak_sigmoid(ak_ctx *ctx, ak_tensor *x);

#endif
