/* CPU kernels for inverted dropout with counter-based (Philox) masks.
 *
 * The mask rule (the contract other code reproduces, see core/ops/dropout.h): element i is DROPPED
 * when ak_rng_uniform1(rng, i) < p, kept otherwise; kept elements are multiplied by
 * scale = 1.0f / (1.0f - p) (float arithmetic), dropped ones become 0. For p == 1 every element is
 * dropped. Every mask value is a pure function of (seed, stream, index), so the thread split never
 * matters.
 */
#ifndef AK_CPU_DROPOUT_H
#define AK_CPU_DROPOUT_H

#include <stdint.h>

#include "core/rng.h"

/* y = keep_i ? x * scale : 0 for i < n; keep (may be NULL) receives 1 / 0 per element. */
void ak_cpu_dropout_fwd(float *y, uint8_t *keep, const float *x, int64_t n, float p, ak_rng rng);
/* dx += keep_i ? dy * scale : 0. */
void ak_cpu_dropout_bwd(float *dx, const float *dy, const uint8_t *keep, int64_t n, float scale);

/* Channel variant on (planes, plane_size): plane k (= n*C + c) uses draw k. mult (planes floats,
 * may be NULL) receives scale or 0 per plane. */
void ak_cpu_channel_dropout_fwd(float *y, float *mult, const float *x, int64_t planes, int64_t plane_size, float p,
                                ak_rng rng);
/* dx += dy * mult[plane]. */
void ak_cpu_channel_dropout_bwd(float *dx, const float *dy, const float *mult, int64_t planes, int64_t plane_size);

/* The scale used for survivors: 1.0f / (1.0f - p), or 0 when p == 1. */
float ak_cpu_dropout_scale(float p);

#endif
