/* CPU segment kernels shared by batch and group norm (and layer norm's statistics); see norm.h.
 *
 * Reductions: one thread per segment, 8 double lanes in a fixed order, so the sums are the same for
 * every thread count. Element-wise passes split segments into CHUNK-sized units for load balance.
 */
#include "core/cpu/norm.h"

#include <stdbool.h>
#include <stddef.h>

#include "core/cpu/vmath.h"

#define PAR_MIN 32768 /* below this many elements, threading costs more than it saves */
#define CHUNK 16384   /* elements per work unit in element-wise passes */

/* The 8 double lanes of a segment's sums live in four 2-wide vectors (GCC / Clang vector extension)
 * so that they stay in registers: written as a double[8] array, GCC at -O2 kept them in memory and
 * the reductions ran at half the speed of a streaming pass. Lane j still sums elements i + j in
 * order and the lanes combine as ((0+1) + (2+3)) + ((4+5) + (6+7)): the same bits as plain C. */
typedef double v2d __attribute__((vector_size(16)));

static inline v2d ld2(const float *q) { return (v2d){q[0], q[1]}; }

static inline double hsum8(v2d a0, v2d a1, v2d a2, v2d a3) {
    return ((a0[0] + a0[1]) + (a1[0] + a1[1])) + ((a2[0] + a2[1]) + (a3[0] + a3[1]));
}

void ak_cpu_seg_moments(double *s1, double *s2, const float *x, int64_t P, int64_t S, const float *k) {
#pragma omp parallel for schedule(static) if (P * S > PAR_MIN)
    for (int64_t p = 0; p < P; p++) {
        const float *xs = x + p * S;
        const double kk = k[p];
        const v2d K = {kk, kk};
        v2d a0 = {0, 0}, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int64_t i = 0;
        for (; i + 8 <= S; i += 8) {
            const v2d v0 = ld2(xs + i) - K, v1 = ld2(xs + i + 2) - K, v2 = ld2(xs + i + 4) - K,
                      v3 = ld2(xs + i + 6) - K;
            a0 += v0, a1 += v1, a2 += v2, a3 += v3;
            b0 += v0 * v0, b1 += v1 * v1, b2 += v2 * v2, b3 += v3 * v3;
        }
        double t1 = 0, t2 = 0;
        for (; i < S; i++) {
            double v = (double)xs[i] - kk;
            t1 += v;
            t2 += v * v;
        }
        s1[p] = hsum8(a0, a1, a2, a3) + t1;
        s2[p] = hsum8(b0, b1, b2, b3) + t2;
    }
}

#define MBLK 512 /* seg_dot with a relu mask: masked dy goes through an L1-sized buffer (multiple of 8) */

void ak_cpu_seg_dot(double *sdy, double *sdyx, const float *dy, const float *x, int64_t P, int64_t S,
                    const float *m, const float *mask_y, float *acc, bool acc_store) {
#pragma omp parallel for schedule(static) if (P * S > PAR_MIN)
    for (int64_t p = 0; p < P; p++) {
        const float *xs = x + p * S, *gs = dy + p * S, *ys = mask_y ? mask_y + p * S : NULL;
        float *as = acc ? acc + p * S : NULL;
        const double mm = m[p];
        const v2d M = {mm, mm};
        v2d a0 = {0, 0}, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        float buf[MBLK];
        const int64_t S8 = S / 8 * 8;
        /* blocks of MBLK elements: lane j still sums elements i + j in order, as in one loop */
        for (int64_t i0 = 0; i0 < S8; i0 += MBLK) {
            const int64_t n = S8 - i0 < MBLK ? S8 - i0 : MBLK;
            const float *g = gs + i0, *xb = xs + i0;
            if (ys) { /* relu's backward: y > 0 ? dy : 0, a select (see activation.c) */
                const float *yb = ys + i0;
#pragma omp simd
                for (int64_t i = 0; i < n; i++) {
                    const float v = g[i];
                    buf[i] = yb[i] > 0.0f ? v : 0.0f;
                }
                g = buf;
                if (as && acc_store) { /* a fresh gradient: the bits of += into zeros */
#pragma omp simd
                    for (int64_t i = 0; i < n; i++)
                        as[i0 + i] = buf[i] + 0.0f;
                } else if (as) {
#pragma omp simd
                    for (int64_t i = 0; i < n; i++)
                        as[i0 + i] += buf[i];
                }
            }
            for (int64_t i = 0; i < n; i += 8) {
                const v2d g0 = ld2(g + i), g1 = ld2(g + i + 2), g2 = ld2(g + i + 4), g3 = ld2(g + i + 6);
                a0 += g0, a1 += g1, a2 += g2, a3 += g3;
                b0 += g0 * (ld2(xb + i) - M), b1 += g1 * (ld2(xb + i + 2) - M);
                b2 += g2 * (ld2(xb + i + 4) - M), b3 += g3 * (ld2(xb + i + 6) - M);
            }
        }
        double t1 = 0, t2 = 0;
        for (int64_t i = S8; i < S; i++) {
            const float gm = ys && !(ys[i] > 0.0f) ? 0.0f : gs[i];
            if (as)
                as[i] = acc_store ? gm + 0.0f : as[i] + gm;
            double g = gm;
            t1 += g;
            t2 += g * ((double)xs[i] - mm);
        }
        sdy[p] = hsum8(a0, a1, a2, a3) + t1;
        sdyx[p] = hsum8(b0, b1, b2, b3) + t2;
    }
}

/* y = (x - m) * a + b per segment, then + r (when r is given), then max(., 0) when relu: one body so
 * that the fused ops round exactly as BN, add and ReLU applied one after the other (each step rounds
 * to float as the separate op's output did). relu is a constant at every call site; r's presence
 * picks one of two loops, so each stays a branch-free stream. */
static inline void seg_affine(float *y, const float *x, const float *r, int64_t P, int64_t S, const float *m,
                              const float *a, const float *b, bool relu) {
    const int64_t nch = (S + CHUNK - 1) / CHUNK, units = P * nch;
#pragma omp parallel for schedule(static) if (P * S > PAR_MIN)
    for (int64_t u = 0; u < units; u++) {
        int64_t p = u / nch, j0 = (u % nch) * CHUNK, n = S - j0 < CHUNK ? S - j0 : CHUNK;
        const float *xs = x + p * S + j0;
        float *ys = y + p * S + j0;
        const float mm = m[p], aa = a[p], bb = b ? b[p] : 0.0f;
        if (r) {
            const float *rs = r + p * S + j0;
#pragma omp simd
            for (int64_t i = 0; i < n; i++) {
                const float v = (xs[i] - mm) * aa + bb, t = v + rs[i];
                ys[i] = relu && !(t > 0.0f) ? 0.0f : t;
            }
        } else {
#pragma omp simd
            for (int64_t i = 0; i < n; i++) {
                const float v = (xs[i] - mm) * aa + bb;
                ys[i] = relu && !(v > 0.0f) ? 0.0f : v;
            }
        }
    }
}

void ak_cpu_seg_affine(float *y, const float *x, int64_t P, int64_t S, const float *m, const float *a,
                       const float *b) {
    seg_affine(y, x, NULL, P, S, m, a, b, false);
}

void ak_cpu_seg_affine_relu(float *y, const float *x, int64_t P, int64_t S, const float *m, const float *a,
                            const float *b) {
    seg_affine(y, x, NULL, P, S, m, a, b, true);
}

void ak_cpu_seg_affine_add_relu(float *y, const float *x, const float *r, int64_t P, int64_t S, const float *m,
                                const float *a, const float *b) {
    seg_affine(y, x, r, P, S, m, a, b, true);
}

void ak_cpu_relu_mask(float *g, const float *y, float *acc, bool store, int64_t n) {
    if (store) { /* acc is a fresh gradient: the bits of += into zeros */
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++) {
            const float v = g[i];
            g[i] = y[i] > 0.0f ? v : 0.0f;
            acc[i] = ak_relu_keep(v + 0.0f, y[i]);
        }
    } else {
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN) /* a select, not a branch (activation.c) */
        for (int64_t i = 0; i < n; i++) {
            const float v = g[i], w = y[i] > 0.0f ? v : 0.0f;
            g[i] = w;
            acc[i] += w;
        }
    }
}

/* store: dx is an uninitialised fresh gradient (ak_grad_of_fresh): write v + 0.0f, the bits that
 * adding v into zeros gives. mask_y: dy is read as y > 0 ? dy : 0 (relu's backward). Four loops,
 * chosen per work unit, so that each is a branch-free stream. */
static inline float relu_sel(float y, float g) { return y > 0.0f ? g : 0.0f; } /* both loaded: a select */

#define SEG_BWD_LOOP(G)                                                                                \
    do {                                                                                               \
        if (b && store) {                                                                              \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) d[i] = (aa * (G) + bb * (xs[i] - mm) + cc) + 0.0f; \
        } else if (b) {                                                                                \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) d[i] += aa * (G) + bb * (xs[i] - mm) + cc;         \
        } else if (store) {                                                                            \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) d[i] = (aa * (G) + cc) + 0.0f;         \
        } else {                                                                                       \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) d[i] += aa * (G) + cc;                 \
        }                                                                                              \
    } while (0)

void ak_cpu_seg_bwd(float *dx, const float *dy, const float *x, int64_t P, int64_t S, const float *a,
                    const float *b, const float *m, const float *c, const float *mask_y, bool store) {
    const int64_t nch = (S + CHUNK - 1) / CHUNK, units = P * nch;
#pragma omp parallel for schedule(static) if (P * S > PAR_MIN)
    for (int64_t u = 0; u < units; u++) {
        int64_t p = u / nch, j0 = (u % nch) * CHUNK, n = S - j0 < CHUNK ? S - j0 : CHUNK;
        float *d = dx + p * S + j0;
        const float *g = dy + p * S + j0;
        const float aa = a[p], cc = c ? c[p] : 0.0f, bb = b ? b[p] : 0.0f, mm = b ? m[p] : 0.0f;
        const float *xs = b ? x + p * S + j0 : NULL;
        if (mask_y) {
            const float *ys = mask_y + p * S + j0;
            SEG_BWD_LOOP(relu_sel(ys[i], g[i]));
        } else {
            SEG_BWD_LOOP(g[i]);
        }
    }
}
