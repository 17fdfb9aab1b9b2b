/* The "same" convolution of K spatially masked copies of one input, computed at the masks' support
 * only: the first generator convolution of MGD (baselines/mgd.c), whose random spatial mask zeroes a
 * fraction lambda of the pixels (0.65 for detection), for one or K avatars at once.
 *
 *   out[k*N + n] = conv2d(x[n] * m[k, n], w, bias, stride 1, padding ((kh-1)/2, (kw-1)/2))
 *
 * for k = 0..K-1 (the K copies batch-major, as a concat along the batch axis would give), with a
 * spatial mask m[k, n, y, x] shared by the channels. A masked-out pixel contributes nothing, so the
 * convolution factors through the per-tap products of the input at the J pixels where some mask is
 * non-zero: one matrix product (J x C) (C x kh*kw*O) instead of K convolutions, then each output
 * sums its taps' products weighted by the mask (core/cpu/masked_conv.h). For K = 1 and lambda =
 * 0.65 that is ~35 % of a convolution's arithmetic, forward and backward; for K masks, the fraction
 * of pixels that any of them keeps. Values equal K conv2d calls on x * m_k up to float rounding (the
 * sum over channels and taps is split in two); masks may be real-valued.
 *
 * Shapes: x (N, C, H, W); m (K, N, H, W), K >= 1; w (O, C, kh, kw) with kh, kw odd; bias (O) or NULL;
 * out (K*N, O, H, W).
 * Autograd: gradients for x, w and bias (+=, only those that require one); m is a constant (never
 * differentiated). The backward rebuilds the support and the gathered input from x, m and w (all
 * must stay unchanged until it runs, as for every op on the tape); workspaces come from the arena and
 * are released when the call returns.
 * Memory: the products are formed in chunks of at most 8 Mi floats (32 MiB; a single output row's
 * source pixels may exceed it), so wide layers and many masks need no more workspace than that on top
 * of a few input- and output-sized buffers. The forward is the same whatever the chunking; the weight
 * gradient sums its chunks in order.
 * Determinism: bitwise identical for any thread count (core/cpu/masked_conv.h).
 * Errors (ctx->err, NULL): NULL input -> NULL; shapes that do not fit (m not (K, N, H, W), w's input
 * channels not C, bias not (O)) -> AK_ESHAPE naming "masked_conv2d" and the shapes; even or empty
 * kernels, or more than 2^31 - 1 pixels -> AK_EINVAL; non-CPU tensors -> AK_EUNSUP; arena full ->
 * AK_ENOMEM.
 */
#ifndef AK_OPS_MASKED_CONV_H
#define AK_OPS_MASKED_CONV_H

#include "core/ctx.h"

ak_tensor *ak_masked_conv2d(ak_ctx *ctx, ak_tensor *x, ak_tensor *m, ak_tensor *w, ak_tensor *bias);
/* The same with another product chunk budget in floats (0: the default); for tests of the chunked
 * paths on small maps. */
ak_tensor *ak_masked_conv2d_chunked(ak_ctx *ctx, ak_tensor *x, ak_tensor *m, ak_tensor *w, ak_tensor *bias,
                                    int64_t chunk_floats);

#endif
