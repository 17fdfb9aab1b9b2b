/* Avatar generation (METHODS.md Part 0): K perturbed copies A_k = P(T) of a frozen teacher feature T,
 * drawn afresh every iteration, for every distilled tap.
 *
 * Perturbations P (ak_perturb, store/akd_config.h), p = akd.rate:
 *   AK_PERTURB_DROPOUT         element-wise inverted dropout: ak_dropout (core/ops/dropout.h, THE MASK
 *                              RULE: element i dropped iff ak_rng_uniform1(rng, i) < p), survivors
 *                              times 1/(1-p) (float). Requires 0 <= p < 1.
 *   AK_PERTURB_CHANNEL_DROPOUT the same with one draw per (n, c) plane: ak_channel_dropout (plane
 *                              n*C + c dropped iff ak_rng_uniform1(rng, n*C + c) < p). 0 <= p < 1.
 *   AK_PERTURB_GAUSSIAN        A = T + s_c * eps with s_c = (float)p * std_c(T) (float product),
 *                              std_c the BIASED standard deviation over (n, *) of the whole batch
 *                              (double accumulation, rounded to float), eps element i = element i
 *                              of ak_rng_fill_normal(rng, 0, ..., 0, 1) (Philox block i, Box-Muller).
 *                              Requires p >= 0 and finite.
 * p == 0 gives A == T bitwise for every perturbation.
 *
 * Keys: avatar k (0-based, k < K) of tap `tap` (0-based index in the distiller's tap list) at
 * training iteration `iteration` uses rng = ak_avatar_rng(seed, iteration, tap, k) =
 *   {seed, ak_rng_stream5(AK_STREAM_AVATAR, iteration, tap, k, 0)},
 * so avatars are a pure function of (seed, iteration, tap, k): identical on every run, for any
 * thread count, and K avatars (and the taps) never share a mask. With K = 1 and K = 4 the first
 * avatar is the same.
 *
 * Shapes: T (N, C, *) with ndim >= 2; each avatar has T's shape. Avatars are teacher-side tensors:
 * they are produced with tape recording off and never require a gradient (whatever T says).
 * Ownership: avatars live in the ctx arena. Determinism: element-wise, and std_c reduces each
 * channel serially in a fixed order: bitwise identical for 1 or 2 threads.
 * Errors (ctx->err, NULL / negative status): NULL input -> NULL without a new error; T with fewer
 * than 2 dims -> AK_ESHAPE naming the shape; unknown perturbation, p out of range (names "akd.rate",
 * the value and the perturbation), K < 1 ("akd.num_avatars") -> AK_EINVAL; non-CPU -> AK_EUNSUP.
 */
#ifndef AK_AKD_AVATARS_H
#define AK_AKD_AVATARS_H

#include <stdint.h>

#include "core/ctx.h"
#include "core/rng.h"

/* The RNG of avatar k of tap `tap` at `iteration` (see above). */
ak_rng ak_avatar_rng(uint64_t seed, int64_t iteration, int tap, int k);

/* Check perturbation and rate; AK_OK or AK_EINVAL with a message naming akd.perturb / akd.rate. */
int ak_avatar_check(int perturb, float rate, ak_error *err);

/* std_out[c] = biased std over (n, *) of t (N, C, *), accumulated in double, as float. */
int ak_avatar_channel_std(ak_ctx *ctx, const ak_tensor *t, float *std_out);

/* One avatar of `teacher` with `rng`. channel_std: for gaussian, the C values of
 * ak_avatar_channel_std (computed here when NULL); ignored otherwise. */
ak_tensor *ak_avatar(ak_ctx *ctx, ak_tensor *teacher, int perturb, float rate, ak_rng rng, const float *channel_std);

/* Avatars k = 0..K-1 of one tap at one iteration into out[0..K). Returns AK_OK or the error. */
int ak_avatars_make(ak_ctx *ctx, ak_tensor *teacher, int perturb, float rate, uint64_t seed, int64_t iteration,
                    int tap, int K, ak_tensor **out);

#endif
