/* Pointwise activations: relu, sigmoid (more are added here as models need them).
 *
 * Shapes: any; out has the input's shape. Gradient contract (every op file): backward adds into the
 * inputs' grads (+=), never overwrites. Errors: NULL input -> NULL (error already set).
 */
#ifndef AK_OPS_ACTIVATION_H
#define AK_OPS_ACTIVATION_H

#include "core/ctx.h"

ak_tensor *ak_relu(ak_ctx *ctx, ak_tensor *x);
ak_tensor *ak_sigmoid(ak_ctx *ctx, ak_tensor *x);

#endif
