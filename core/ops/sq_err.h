/* Weighted squared error between two feature maps, fused, with autograd: the core of FitNet/MSE,
 * MGD, FGD's focal and global terms and MasKD (METHODS.md §2.1-2.5), without materialising the
 * (N, C, H, W) difference, its square or the broadcast weight products.
 *
 * ak_weighted_sq_err(s, t, o, w, wc): s, t of equal shape (N, C, *), P = prod(*) (1 for 2-D);
 *   out[k] = sum_{n,c,p} w[k,n,p] * wc[n,c] * (s[n,c,p] - t[n,c,p] + o[n,c])^2,  out of shape (K)
 * Optional operands (NULL = absent):
 *   o  : per-(n,c) offset, N*C elements in (N,C) order (e.g. shape (N,C,1,1)): FGD's global-relation
 *        term adds the student / teacher GcBlock outputs, o = add_S - add_T;
 *   w  : K spatial weight maps, K*N*P elements in (K,N,P) order (any shape with that element count,
 *        e.g. (K,N,H,W)); absent means K = 1 and w = 1: FGD's foreground / background maps (K = 2),
 *        MasKD's per-token masks (K tokens);
 *   wc : per-(n,c) weights, N*C elements in (N,C) order: FGD's channel attention.
 * Plain sum of squares: ak_weighted_sq_err(s, t, NULL, NULL, NULL) (shape (1)).
 * Gradients (+=, each only where the operand requires one): s, t (negated), o, w and wc; so the
 * weights may come from trainable modules (MasKD tokens while they learn).
 * Saved state: q[n,p] = sum_c wc (s - t + o)^2 in double (N*P values) when w needs a gradient,
 * otherwise nothing beyond the operand pointers.
 * Determinism: fixed-order reductions (core/cpu/sq_err.h): bitwise identical for any thread count.
 * Errors: NULL operand that is not optional -> NULL; s and t shapes differ, ndim < 2, or an operand
 * with the wrong element count -> AK_ESHAPE naming "weighted_sq_err", the operand and the shapes;
 * non-CPU -> AK_EUNSUP.
 */
#ifndef AK_OPS_SQ_ERR_H
#define AK_OPS_SQ_ERR_H

#include "core/ctx.h"

ak_tensor *ak_weighted_sq_err(ak_ctx *ctx, ak_tensor *s, ak_tensor *t, ak_tensor *o, ak_tensor *w, ak_tensor *wc);

#endif
