/* MGD's random mask and an entry point that takes the mask explicitly (METHODS.md §2.3).
 *
 * THE MASK RULE (reference: `mat = rand(N,1,H,W); M = where(mat > 1 - lambda, 0, 1)`):
 *   spatial (mode 0): M (N,1,H,W), element i = n*H*W + h*W + w is 0 iff ak_rng_uniform1(rng, i) > 1 - lambda;
 *   channel (mode 1, [RZR] MGDConnector mask_on_channel): M (N,C,1,1), element i = n*C + c, same test.
 * So the fraction lambda of positions (channels) is dropped, 1 everywhere else; the draw is a pure
 * function of the rng (the distiller keys it by seed, iteration, tap, avatar: distiller.h).
 * With a spatial mask the generator's first convolution runs at the kept pixels only
 * (core/ops/masked_conv.h: ~35 % of a convolution at lambda 0.65), equal to conv2d(S * M) up to float
 * rounding. The loss implements ak_distill_loss_ops.forward_multi (one generator pass for K masked
 * inputs, each with its own mask; with spatial masks the first conv of all K is one masked
 * convolution of the shared student map over the pixels any mask keeps: see mgd.c); the AKD wrapper
 * uses it for K > 1 avatars. Equal to K forward calls up to float rounding.
 */
#ifndef AK_BASELINES_MGD_H
#define AK_BASELINES_MGD_H

#include "baselines/distill_loss.h"

#define AK_MGD_MAX_MULTI 64 /* evaluations per forward_multi call (the AKD wrapper's K) */

/* The mask for maps of shape (N, C, H, W) as an arena tensor (no gradient). */
ak_tensor *ak_mgd_mask(ak_ctx *ctx, ak_rng rng, const int64_t shape[4], float lambda, int mode);

/* The MGD loss (weighted) with a given mask of the loss's mode ((N,1,H,W) spatial or (N,C,1,1) channel
 * for student maps (N,C,H,W); another shape is AK_ESHAPE naming the tap and both shapes), for tests
 * and tools that reproduce a draw; forward() is this with ak_mgd_mask(in->rng). */
ak_tensor *ak_mgd_forward_masked(ak_ctx *ctx, ak_distill_loss *l, ak_tensor *student, ak_tensor *teacher,
                                 ak_tensor *mask);

#endif
