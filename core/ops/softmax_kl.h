/* Row-wise softmax KL divergence with temperature, fused (CWD, METHODS.md §2.2): one op instead of
 * two softmaxes, two log-softmaxes and a product over the full (N, C, H, W) maps.
 *
 * ak_softmax_kl(s, t, tau): s, t of equal shape (R0, R1, *) with ndim >= 2. Rows are (r0, r1) pairs,
 * R = R0*R1 of them, each of L = prod(*) logits (L = 1 when ndim == 2). With a = x / tau and
 * p = softmax over the row,
 *   out = tau^2 / R * sum_rows sum_i p_t,i * (log p_t,i - log p_s,i)          (a 0-dim scalar)
 * i.e. CWD's tau^2/(N*C) * sum_{n,c} KL(P_T || P_S) for (N,C,H,W) maps.
 * Gradients: d/ds = tau/R * (p_s - p_t); d/dt = tau/R * p_t * ((log p_t - log p_s) - KL_row), each
 * only for an input that requires a gradient (the teacher usually does not). Backward adds (+=).
 * Saved state: three doubles per row (log-sum-exps and the row's KL); the maps are re-read.
 * Determinism: rows are reduced independently and summed in row order: bitwise identical for any
 * thread count. exp is ak_vexpf (vmath.h); sums in double.
 * Errors: NULL input -> NULL; shapes differ or ndim < 2 -> AK_ESHAPE naming "softmax_kl" and both
 * shapes; tau not finite and > 0 -> AK_EINVAL; non-CPU -> AK_EUNSUP.
 */
#ifndef AK_OPS_SOFTMAX_KL_H
#define AK_OPS_SOFTMAX_KL_H

#include "core/ctx.h"

ak_tensor *ak_softmax_kl(ak_ctx *ctx, ak_tensor *s, ak_tensor *t, float tau);

#endif
