/* Element-wise arithmetic with autograd: add / sub / mul / div with broadcasting, scalar add / mul,
 * and the unary maps exp, log, abs, sqrt, pow (scalar exponent), clamp, neg.
 *
 * Broadcasting follows numpy / PyTorch: shapes are aligned at the trailing dimension, missing
 * leading dims count as 1, and each pair of sizes must be equal or contain a 1; the output takes the
 * larger size. E.g. (2,3,4,5) + (1,3,1,1) -> (2,3,4,5); (3,1,5) * (4,5) -> (3,4,5). Backward sums the
 * gradient over the broadcast dims in a fixed order (bitwise identical for any thread count).
 *
 * Shapes: unary ops return the input's shape. Ownership: outputs live in the ctx arena.
 * Gradient contract (every op file): backward adds into the inputs' grads (+=), only for inputs
 * with requires_grad. Derivatives follow PyTorch: abs'(0) = 0; clamp passes the gradient where
 * lo <= x <= hi (inclusive); pow' = p*x^(p-1), 0 when p == 0.
 * Errors: NULL input or an earlier error -> NULL. Shapes that do not broadcast -> AK_ESHAPE, the
 * message naming the op and both shapes, e.g. "mul: shapes (2,3) and (4,3) do not broadcast".
 * clamp with lo > hi -> AK_EINVAL. Non-CPU tensors -> AK_EUNSUP.
 */
#ifndef AK_OPS_ELEMENTWISE_H
#define AK_OPS_ELEMENTWISE_H

#include "core/ctx.h"

ak_tensor *ak_add(ak_ctx *ctx, ak_tensor *a, ak_tensor *b);
ak_tensor *ak_sub(ak_ctx *ctx, ak_tensor *a, ak_tensor *b);
ak_tensor *ak_mul(ak_ctx *ctx, ak_tensor *a, ak_tensor *b);
ak_tensor *ak_div(ak_ctx *ctx, ak_tensor *a, ak_tensor *b);

ak_tensor *ak_add_scalar(ak_ctx *ctx, ak_tensor *x, float s); /* x + s */
ak_tensor *ak_mul_scalar(ak_ctx *ctx, ak_tensor *x, float s); /* x * s */

ak_tensor *ak_exp(ak_ctx *ctx, ak_tensor *x);
ak_tensor *ak_log(ak_ctx *ctx, ak_tensor *x);
ak_tensor *ak_abs(ak_ctx *ctx, ak_tensor *x);
ak_tensor *ak_sqrt(ak_ctx *ctx, ak_tensor *x);
ak_tensor *ak_pow(ak_ctx *ctx, ak_tensor *x, float p);
/* min(max(x, lo), hi); pass -INFINITY / INFINITY for a one-sided clamp. */
ak_tensor *ak_clamp(ak_ctx *ctx, ak_tensor *x, float lo, float hi);
ak_tensor *ak_neg(ak_ctx *ctx, ak_tensor *x);

/* Broadcast shape of a and b into out (ndim = max of both) and each operand's shape left-padded
 * with 1s to that ndim. Returns AK_OK or AK_ESHAPE with the message described above (`op` names the
 * caller). Shared with other ops that broadcast. */
int ak_broadcast_shapes(ak_ctx *ctx, const char *op, const ak_tensor *a, const ak_tensor *b, int *ndim,
                        int64_t *a_shape, int64_t *b_shape, int64_t *out_shape);

#endif
