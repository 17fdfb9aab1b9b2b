/* A stride-1 "same" convolution of K spatially masked copies of one input, assembled from the
 * input's per-tap products: the cheap half of MGD's generator for K avatars (baselines/mgd.c).
 *
 * conv2d(x * m_k, w, bias) for k = 0..K-1 costs K convolutions. With a spatial mask m_k (one value
 * per (n, y, x), shared by the channels) it factors through the per-tap products of x alone:
 *   p[n, t*O + o, y, x] = sum_c w[o, c, ty, tx] * x[n, c, y, x]        (t = ty*kw + tx; ONE 1x1 conv
 *                                                                       of x with the taps' weights
 *                                                                       stacked: (kh*kw*O, C, 1, 1))
 *   out[k*N + n, o, y, x] = bias[o] + sum_t m[k, n, y', x'] * p[n, t*O + o, y', x'],
 *                           y' = y + ty - ph, x' = x + tx - pw (terms outside the map are 0),
 * ph = (kh - 1) / 2, pw = (kw - 1) / 2. So ak_masked_taps(conv1x1(x, w_stacked), m, bias) equals
 * conv2d(x * m_k, w, bias, padding (ph, pw)) for every k up to float rounding (the sum over c and t
 * is split in two), for one convolution's arithmetic plus O(K * kh * kw) per output element.
 *
 * Shapes: p (N, T*O, H, W) with T = kh*kw, kh and kw odd; m (K, N, H, W); bias (O) or NULL;
 * out (K*N, O, H, W) (the K copies batch-major, as a concat along the batch axis would give).
 * Autograd: gradients for p and bias (+=, only where required); m is a constant (its gradient is
 * never computed, even if it requires one). Backward: dp[n, t*O+o, y', x'] = sum_k m[k,n,y',x'] *
 * dout[k*N+n, o, y'-ty+ph, x'-tx+pw]; dbias[o] = sum over (k, n, y, x) of dout (double).
 * Determinism: every output element (forward: a (k, n, o) plane; backward: an (n, t, o) plane of dp,
 * one o of dbias) is computed by one thread in a fixed order: bitwise identical for any thread count.
 * Errors (ctx->err, NULL): NULL input -> NULL; shape mismatches (p's channels not a multiple of T,
 * m not (K, N, H, W), bias not (O)) or even / non-positive kernel sizes -> AK_ESHAPE / AK_EINVAL
 * naming "masked_taps" and the shapes; non-CPU -> AK_EUNSUP.
 */
#ifndef AK_OPS_MASKED_TAPS_H
#define AK_OPS_MASKED_TAPS_H

#include "core/ctx.h"

ak_tensor *ak_masked_taps(ak_ctx *ctx, ak_tensor *p, ak_tensor *m, ak_tensor *bias, int kh, int kw);

#endif
