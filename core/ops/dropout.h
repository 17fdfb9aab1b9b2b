/* Inverted dropout with counter-based masks, with autograd.
 *
 * THE MASK RULE (other code, e.g. AKD's avatars, reproduces masks from it; do not change it):
 *   ak_dropout:         element i (row-major index into x) is DROPPED iff ak_rng_uniform1(rng, i) < p;
 *   ak_channel_dropout: plane (n, c) of x (N, C, *) is DROPPED iff ak_rng_uniform1(rng, n*C + c) < p.
 * Kept values are multiplied by scale = 1.0f / (1.0f - p) computed in float (as PyTorch does);
 * dropped values are exactly 0 (also where x is inf or NaN; PyTorch would give NaN there). So the mask
 * is a pure function of (rng.seed, rng.stream, index): any thread count, device or call order gives
 * the same mask, and the keep probability is 1 - p (up to the 2^-24 resolution of the uniforms).
 * p == 0 keeps everything (y == x), p == 1 drops everything (y == 0, gradient 0).
 * The caller chooses the stream, e.g. ak_rng_stream(AK_STREAM_DROPOUT, iteration, call, 0), or
 * AK_STREAM_AVATAR for avatars. The op is always "on": train / eval is the caller's decision.
 *
 * Shapes: out has x's shape; ak_channel_dropout needs ndim >= 2 (dims 0 and 1 are N and C).
 * Gradient contract: backward adds dy * (kept ? scale : 0) into x's grad. The keep mask (1 byte per
 * element) is stored in the arena only when the op is recorded.
 * Errors: NULL input -> NULL; p outside [0, 1] or NaN -> AK_EINVAL naming the op and p;
 * ak_channel_dropout on fewer than 2 dims -> AK_ESHAPE naming the shape.
 */
#ifndef AK_OPS_DROPOUT_H
#define AK_OPS_DROPOUT_H

#include "core/ctx.h"
#include "core/rng.h"

ak_tensor *ak_dropout(ak_ctx *ctx, ak_tensor *x, float p, ak_rng rng);
ak_tensor *ak_channel_dropout(ak_ctx *ctx, ak_tensor *x, float p, ak_rng rng);

#endif
