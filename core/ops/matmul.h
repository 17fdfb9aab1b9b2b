/* Matrix products: batched matmul with optional transposes, and the linear layer.
 *
 * ak_matmul_t(a, b, ta, tb): op(a) @ op(b) over the last two dimensions, op = transpose when the
 *   flag is set. a (..., M, K) [stored (..., K, M) when ta], b (..., K, N) [stored (..., N, K) when
 *   tb] -> out (..., M, N). Batch dimensions (everything before the last two, up to 3) must be equal,
 *   or one operand is 2-D and is shared by every batch element (no other broadcasting).
 * ak_matmul(a, b) = ak_matmul_t(a, b, false, false).
 * ak_linear(x, w, b): x (..., in) @ w^T + b with PyTorch's layout w (out, in), b (out) or NULL ->
 *   (..., out); x may be 1-D.
 * Autograd: one node each; backward adds (+=) into the grads of the inputs that require one. A
 * shared operand's gradient sums the batch in a fixed order. Saved state: the input pointers.
 * Errors: AK_ESHAPE naming the op and both shapes (inner dimensions, batch dimensions, weight /
 * bias sizes); AK_EUNSUP for non-CPU tensors; AK_ENOMEM when the arena is full.
 */
#ifndef AK_OPS_MATMUL_H
#define AK_OPS_MATMUL_H

#include <stdbool.h>

#include "core/ctx.h"

ak_tensor *ak_matmul(ak_ctx *ctx, ak_tensor *a, ak_tensor *b);
ak_tensor *ak_matmul_t(ak_ctx *ctx, ak_tensor *a, ak_tensor *b, bool ta, bool tb);
ak_tensor *ak_linear(ak_ctx *ctx, ak_tensor *x, ak_tensor *w, ak_tensor *b);

#endif
