/* The network's input step: a loader batch of uint8 images (sample.h) becomes the float32
 * (n, 3, h, w) input tensor. Per sample, in one pass: the horizontal flip (`flipped`), mmcv's
 * Normalize with the sample's mean / std (float32 arithmetic as documented at
 * ak_normalize_pad_chw), and zero padding to the batch's (h, w) — mmdet pads the normalised image
 * with 0, and so does mmseg (pad_val = 0; its label maps are padded with 255 by the loader).
 *
 * The loader hands over uint8 so that its workers never write float32 images: those are 4x the
 * bytes, and writing them through memory cost a third of the decode time (bench/perf/loader.c). The
 * values are the ones the float pipeline produced (tests/datasets/test_ds_batch_input.c compares
 * against batches recorded from it). Cost: ~0.55 ms per 640x480 image on this machine, against
 * ~0.28 ms for the float32 copy (ak_tensor_from) it replaces. One thread: the pass is bound by
 * memory bandwidth, and a second OpenMP thread measured no faster while it added wake-up latency
 * when the loader's workers share the cores.
 */
#ifndef AK_BATCH_INPUT_H
#define AK_BATCH_INPUT_H

#include "core/ctx.h"
#include "datasets/sample.h"

/* dst (3, h, w) with h >= s->img_h, w >= s->img_w: the sample's image flipped / normalised, zeros
 * around. */
void ak_sample_normalize(const ak_sample *s, float *dst, int h, int w);

/* dst (b->n, 3, b->h, b->w): every sample of the batch (b->pixels and the samples' metadata). */
void ak_batch_normalize(const ak_batch *b, float *dst);

/* The batch as a new arena tensor (n, 3, h, w) on the host, not recorded on the tape (an input needs
 * no gradient). NULL with ctx->err set when the arena is full or ctx already failed. Valid until
 * ak_ctx_reset. */
ak_tensor *ak_batch_input(ak_ctx *ctx, const ak_batch *b);

#endif
