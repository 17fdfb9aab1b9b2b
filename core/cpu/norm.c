/* CPU segment kernels shared by batch and group norm (and layer norm's statistics); see norm.h.
 *
 * Reductions: one thread per segment, 8 double lanes in a fixed order, so the sums are the same for
 * every thread count. Element-wise passes split segments into CHUNK-sized units for load balance.
 */
#include "core/cpu/norm.h"

#include <stdbool.h>

#define PAR_MIN 32768 /* below this many elements, threading costs more than it saves */
#define CHUNK 16384   /* elements per work unit in element-wise passes */

static double hsum8(const double *a) { return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7])); }

void ak_cpu_seg_moments(double *s1, double *s2, const float *x, int64_t P, int64_t S, const float *k) {
#pragma omp parallel for schedule(static) if (P * S > PAR_MIN)
    for (int64_t p = 0; p < P; p++) {
        const float *xs = x + p * S;
        const double kk = k[p];
        double a1[8] = {0, 0, 0, 0, 0, 0, 0, 0}, a2[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t i = 0;
        for (; i + 8 <= S; i += 8)
            for (int j = 0; j < 8; j++) {
                double v = (double)xs[i + j] - kk;
                a1[j] += v;
                a2[j] += v * v;
            }
        double t1 = 0, t2 = 0;
        for (; i < S; i++) {
            double v = (double)xs[i] - kk;
            t1 += v;
            t2 += v * v;
        }
        s1[p] = hsum8(a1) + t1;
        s2[p] = hsum8(a2) + t2;
    }
}

void ak_cpu_seg_dot(double *sdy, double *sdyx, const float *dy, const float *x, int64_t P, int64_t S,
                    const float *m) {
#pragma omp parallel for schedule(static) if (P * S > PAR_MIN)
    for (int64_t p = 0; p < P; p++) {
        const float *xs = x + p * S, *gs = dy + p * S;
        const double mm = m[p];
        double a1[8] = {0, 0, 0, 0, 0, 0, 0, 0}, a2[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t i = 0;
        for (; i + 8 <= S; i += 8)
            for (int j = 0; j < 8; j++) {
                double g = gs[i + j];
                a1[j] += g;
                a2[j] += g * ((double)xs[i + j] - mm);
            }
        double t1 = 0, t2 = 0;
        for (; i < S; i++) {
            double g = gs[i];
            t1 += g;
            t2 += g * ((double)xs[i] - mm);
        }
        sdy[p] = hsum8(a1) + t1;
        sdyx[p] = hsum8(a2) + t2;
    }
}

/* y = (x - m) * a + b per segment, then max(., 0) when relu: one body so that the fused BN+ReLU
 * rounds exactly as BN followed by ReLU; relu is a constant at both call sites, so each compiles to
 * its own branch-free loop. */
static inline void seg_affine(float *y, const float *x, int64_t P, int64_t S, const float *m, const float *a,
                              const float *b, bool relu) {
    const int64_t nch = (S + CHUNK - 1) / CHUNK, units = P * nch;
#pragma omp parallel for schedule(static) if (P * S > PAR_MIN)
    for (int64_t u = 0; u < units; u++) {
        int64_t p = u / nch, j0 = (u % nch) * CHUNK, n = S - j0 < CHUNK ? S - j0 : CHUNK;
        const float *xs = x + p * S + j0;
        float *ys = y + p * S + j0;
        const float mm = m[p], aa = a[p], bb = b ? b[p] : 0.0f;
#pragma omp simd
        for (int64_t i = 0; i < n; i++) {
            const float v = (xs[i] - mm) * aa + bb;
            ys[i] = relu && !(v > 0.0f) ? 0.0f : v;
        }
    }
}

void ak_cpu_seg_affine(float *y, const float *x, int64_t P, int64_t S, const float *m, const float *a,
                       const float *b) {
    seg_affine(y, x, P, S, m, a, b, false);
}

void ak_cpu_seg_affine_relu(float *y, const float *x, int64_t P, int64_t S, const float *m, const float *a,
                            const float *b) {
    seg_affine(y, x, P, S, m, a, b, true);
}

void ak_cpu_relu_mask(float *g, const float *y, int64_t n) {
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        g[i] = y[i] > 0.0f ? g[i] : 0.0f;
}

void ak_cpu_seg_bwd(float *dx, const float *dy, const float *x, int64_t P, int64_t S, const float *a,
                    const float *b, const float *m, const float *c) {
    const int64_t nch = (S + CHUNK - 1) / CHUNK, units = P * nch;
#pragma omp parallel for schedule(static) if (P * S > PAR_MIN)
    for (int64_t u = 0; u < units; u++) {
        int64_t p = u / nch, j0 = (u % nch) * CHUNK, n = S - j0 < CHUNK ? S - j0 : CHUNK;
        float *d = dx + p * S + j0;
        const float *g = dy + p * S + j0;
        const float aa = a[p], cc = c ? c[p] : 0.0f;
        if (b) {
            const float *xs = x + p * S + j0;
            const float bb = b[p], mm = m[p];
#pragma omp simd
            for (int64_t i = 0; i < n; i++)
                d[i] += aa * g[i] + bb * (xs[i] - mm) + cc;
        } else {
#pragma omp simd
            for (int64_t i = 0; i < n; i++)
                d[i] += aa * g[i] + cc;
        }
    }
}
