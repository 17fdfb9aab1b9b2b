/* The data loader: worker threads (pthreads) decode and augment samples ahead of the consumer into a
 * bounded ring of batches; the consumer takes batches in order.
 *
 * Determinism: epoch e visits the samples in a permutation drawn from
 * ak_rng_stream(AK_STREAM_DATA_ORDER, e) (or in order without shuffle); sample `index` is
 * transformed with its stream ak_rng_stream(AK_STREAM_AUGMENT, e, index); batches are collated in
 * position order. So batches and their contents depend only on (seed, epoch), never on the number of
 * workers or their timing (0 workers = everything in the calling thread, the reference).
 * Bad samples: with AK_BAD_SAMPLE_ERROR the first failing sample of a batch (lowest position) stops
 * the epoch and ak_loader_next returns its error (the message names the file). With
 * AK_BAD_SAMPLE_SKIP it is replaced by the next dataset index that loads ((index + k) mod n, k <=
 * max_substitutes, a pure function of the data), counted in the batch and in ak_loader_stats.
 * Threads: idle workers block on condition variables (no spinning); workers exit when the epoch's
 * samples are all claimed; ak_loader_stop / close wake and join them.
 * Output: uint8 images (sample.h's ak_batch); the consumer's ak_batch_input (batch_input.h) flips,
 * normalises and pads them into the float32 network input, so the workers only decode and
 * transform (the float32 writes cost a third of the decode time when the workers did them).
 * Memory: bounded by the queue size. With B = batch_size, Q = queue_batches (2 when 0) and, over
 * the batches seen, P = the largest batch image size (ak_batch h x w), L = the largest label map
 * (lab_h x lab_w) and I = the largest decoded or resized image (pixels), ak_loader_bytes stays at
 * most
 *     (Q + 1) x B x (3 P + L)          batch slots (uint8 RGB + label map; in the copying mode each
 *                                      sample's own image and label map add as much again)
 *   + max(workers, 1) x (I x (3 + 3 + 1 + 1) + 3 P)   per-worker scratch (decoded image, resize
 *                                      target, label map and its resize target, HSV scratch)
 *   + the samples' box arrays,
 * and it does not grow once the largest samples have been seen.
 * Direct mode: when the source can plan every sample's padded size (source.h), a batch is sized
 * when its first sample is claimed and each worker writes its sample's image straight into its slot
 * (no per-sample image, no collation copy); otherwise samples are collated by copying. Both give
 * identical batches.
 * The consumer side (start / next / stop / close) must be called from one thread.
 */
#ifndef AK_LOADER_H
#define AK_LOADER_H

#include <stdint.h>

#include "core/error.h"
#include "datasets/bad_sample.h"
#include "datasets/sample.h"
#include "datasets/source.h"

typedef struct ak_loader_cfg {
    ak_source src;
    int batch_size;
    int shuffle;          /* permute every epoch */
    int drop_last;        /* drop the last incomplete batch */
    uint64_t seed;
    int workers;          /* threads; 0 = load in the calling thread */
    int queue_batches;    /* batches prepared ahead (>= 1; default 2 when 0) */
    ak_bad_sample_policy on_bad_sample;
    int max_substitutes;  /* skip mode: indices tried after a failure (default 16 when 0) */
} ak_loader_cfg;

typedef struct ak_loader_stats {
    int64_t batches, samples;
    int64_t substituted;  /* bad samples replaced (skip mode) */
    int64_t bad_pixels;   /* label values outside the table mapped to 255 (skip mode) */
    char first_warning[512];
} ak_loader_stats;

typedef struct ak_loader ak_loader;

int ak_loader_open(ak_loader **out, const ak_loader_cfg *cfg, ak_error *err);
/* Batches per epoch. */
int64_t ak_loader_batches(const ak_loader *ld);
/* The dataset index at position `pos` of epoch `epoch` (the permutation used by the loader). */
int64_t ak_loader_order(const ak_loader *ld, int64_t epoch, int64_t pos);
/* Begin epoch `epoch` (stops an unfinished one first) and start the workers. */
int ak_loader_start(ak_loader *ld, int64_t epoch, ak_error *err);
/* Next batch of the epoch: returns 1 and sets *batch (valid until the next call of next / stop /
 * close), 0 at the end of the epoch, or a negative ak_code with err filled. */
int ak_loader_next(ak_loader *ld, const ak_batch **batch, ak_error *err);
/* Abandon the epoch: wake and join the workers. */
void ak_loader_stop(ak_loader *ld);
void ak_loader_close(ak_loader *ld);
ak_loader_stats ak_loader_get_stats(const ak_loader *ld);
/* Bytes held in sample, batch and scratch buffers (grows to the largest samples seen, then stays
 * within the bound stated at the top of this file). Call between epochs. */
int64_t ak_loader_bytes(const ak_loader *ld);

#endif
