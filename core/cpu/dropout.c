/* CPU inverted dropout; see dropout.h. Each work unit draws its elements' numbers with one
 * ak_rng_u32_run (whole Philox blocks, sixteen at a time with AVX-512): element i of the mask is
 * element i of the stream, the same values as ak_rng_uniform1 (tests/engine/test_dropout.c checks
 * every element against it).
 */
#include "core/cpu/dropout.h"

#define PAR_MIN 32768 /* below this many elements, threading costs more than it saves */
#define CHUNK 4096    /* elements per work unit (a multiple of 64: whole groups of sixteen Philox blocks) */

float ak_cpu_dropout_scale(float p) { return p < 1.0f ? 1.0f / (1.0f - p) : 0.0f; }

/* The same mapping as ak_rng_uniform1: 24 high bits scaled to [0, 1). */
static inline float unit(uint32_t v) { return (float)(v >> 8) * (1.0f / 16777216.0f); }

void ak_cpu_dropout_fwd(float *y, uint8_t *keep, const float *x, int64_t n, float p, ak_rng rng) {
    const float scale = ak_cpu_dropout_scale(p);
    const int64_t units = (n + CHUNK - 1) / CHUNK;
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
    for (int64_t u = 0; u < units; u++) {
        const int64_t i0 = u * CHUNK, i1 = i0 + CHUNK < n ? i0 + CHUNK : n;
        uint32_t r[CHUNK];
        ak_rng_u32_run(rng, (uint64_t)i0, r, i1 - i0);
        for (int64_t i = i0; i < i1; i++) {
            const int k = !(unit(r[i - i0]) < p);
            y[i] = k ? x[i] * scale : 0.0f;
            if (keep)
                keep[i] = (uint8_t)k;
        }
    }
}

void ak_cpu_dropout_bwd(float *dx, const float *dy, const uint8_t *keep, int64_t n, float scale) {
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        dx[i] += keep[i] ? dy[i] * scale : 0.0f;
}

void ak_cpu_channel_dropout_fwd(float *y, float *mult, const float *x, int64_t planes, int64_t plane_size, float p,
                                ak_rng rng) {
    const float scale = ak_cpu_dropout_scale(p);
#pragma omp parallel for schedule(static) if (planes * plane_size > PAR_MIN)
    for (int64_t k = 0; k < planes; k++) {
        const float mk = ak_rng_uniform1(rng, (uint64_t)k) < p ? 0.0f : scale;
        if (mult)
            mult[k] = mk;
        const float *xs = x + k * plane_size;
        float *ys = y + k * plane_size;
        if (mk == 0.0f) { /* not x*0: keep the output exactly 0 even where x is inf or NaN */
            for (int64_t j = 0; j < plane_size; j++)
                ys[j] = 0.0f;
        } else {
#pragma omp simd
            for (int64_t j = 0; j < plane_size; j++)
                ys[j] = xs[j] * mk;
        }
    }
}

void ak_cpu_channel_dropout_bwd(float *dx, const float *dy, const float *mult, int64_t planes, int64_t plane_size) {
#pragma omp parallel for schedule(static) if (planes * plane_size > PAR_MIN)
    for (int64_t k = 0; k < planes; k++) {
        const float mk = mult[k];
        float *d = dx + k * plane_size;
        const float *g = dy + k * plane_size;
#pragma omp simd
        for (int64_t j = 0; j < plane_size; j++)
            d[j] += g[j] * mk;
    }
}
