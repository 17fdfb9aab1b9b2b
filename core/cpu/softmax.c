/* CPU softmax / log-softmax; see softmax.h.
 *
 * Two layouts: inner == 1 (the axis is contiguous: one row per outer index) and inner > 1 (the axis
 * is strided, e.g. softmax over C of NCHW): then IC neighbouring columns are processed together so
 * the inner loops run over contiguous memory and vectorise. exp is ak_vexpf (vmath.h).
 */
#include "core/cpu/softmax.h"

#include <math.h>

#include "core/cpu/reduce.h"
#include "core/cpu/vmath.h"

#define PAR_MIN 16384 /* below this many elements, threading costs more than it saves */
#define IC 128        /* columns per work unit when inner > 1 */

static double dot_block(const float *a, const float *b, int64_t n) {
    /* named accumulators stay in registers (see ak_cpu_sum_block) */
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += (double)a[i] * (double)b[i];
        s1 += (double)a[i + 1] * (double)b[i + 1];
        s2 += (double)a[i + 2] * (double)b[i + 2];
        s3 += (double)a[i + 3] * (double)b[i + 3];
    }
    double tail = 0;
    for (; i < n; i++)
        tail += (double)a[i] * (double)b[i];
    return ((s0 + s1) + (s2 + s3)) + tail;
}

static void row_fwd(float *y, const float *x, int64_t len, int log_softmax) {
    float m = x[0];
#pragma omp simd reduction(max : m)
    for (int64_t a = 0; a < len; a++)
        m = x[a] > m ? x[a] : m;
#pragma omp simd
    for (int64_t a = 0; a < len; a++)
        y[a] = ak_vexpf(x[a] - m);
    double s = ak_cpu_sum_block(y, len);
    if (log_softmax) {
        const float ls = (float)log(s);
#pragma omp simd
        for (int64_t a = 0; a < len; a++)
            y[a] = (x[a] - m) - ls;
    } else {
        const float inv = (float)(1.0 / s);
#pragma omp simd
        for (int64_t a = 0; a < len; a++)
            y[a] *= inv;
    }
}

static void cols_fwd(float *y, const float *x, int64_t len, int64_t inner, int64_t n, int log_softmax) {
    float m[IC], t[IC];
    double s[IC];
    for (int64_t j = 0; j < n; j++) {
        m[j] = x[j];
        s[j] = 0;
    }
    for (int64_t a = 1; a < len; a++) {
        const float *xa = x + a * inner;
#pragma omp simd
        for (int64_t j = 0; j < n; j++)
            m[j] = xa[j] > m[j] ? xa[j] : m[j];
    }
    for (int64_t a = 0; a < len; a++) {
        const float *xa = x + a * inner;
        float *ya = y + a * inner;
#pragma omp simd
        for (int64_t j = 0; j < n; j++) {
            float e = ak_vexpf(xa[j] - m[j]);
            ya[j] = e;
            s[j] += e;
        }
    }
    for (int64_t j = 0; j < n; j++)
        t[j] = log_softmax ? (float)log(s[j]) : (float)(1.0 / s[j]);
    for (int64_t a = 0; a < len; a++) {
        const float *xa = x + a * inner;
        float *ya = y + a * inner;
        if (log_softmax) {
#pragma omp simd
            for (int64_t j = 0; j < n; j++)
                ya[j] = (xa[j] - m[j]) - t[j];
        } else {
#pragma omp simd
            for (int64_t j = 0; j < n; j++)
                ya[j] *= t[j];
        }
    }
}

void ak_cpu_softmax_fwd(float *y, const float *x, int64_t outer, int64_t len, int64_t inner, int log_softmax) {
    const int64_t total = outer * len * inner;
    if (total == 0)
        return;
    if (inner == 1) {
#pragma omp parallel for schedule(static) if (total > PAR_MIN)
        for (int64_t o = 0; o < outer; o++)
            row_fwd(y + o * len, x + o * len, len, log_softmax);
        return;
    }
    const int64_t nch = (inner + IC - 1) / IC, units = outer * nch;
#pragma omp parallel for schedule(static) if (total > PAR_MIN)
    for (int64_t u = 0; u < units; u++) {
        int64_t o = u / nch, j0 = (u % nch) * IC, n = inner - j0 < IC ? inner - j0 : IC;
        int64_t off = o * len * inner + j0;
        cols_fwd(y + off, x + off, len, inner, n, log_softmax);
    }
}

static void row_bwd(float *dx, const float *dy, const float *y, int64_t len, int log_softmax) {
    if (log_softmax) {
        const float s = (float)ak_cpu_sum_block(dy, len);
#pragma omp simd
        for (int64_t a = 0; a < len; a++)
            dx[a] += dy[a] - ak_vexpf(y[a]) * s;
    } else {
        const float s = (float)dot_block(dy, y, len);
#pragma omp simd
        for (int64_t a = 0; a < len; a++)
            dx[a] += y[a] * (dy[a] - s);
    }
}

static void cols_bwd(float *dx, const float *dy, const float *y, int64_t len, int64_t inner, int64_t n,
                     int log_softmax) {
    double s[IC];
    float sf[IC];
    for (int64_t j = 0; j < n; j++)
        s[j] = 0;
    for (int64_t a = 0; a < len; a++) {
        const float *dya = dy + a * inner, *ya = y + a * inner;
        if (log_softmax) {
#pragma omp simd
            for (int64_t j = 0; j < n; j++)
                s[j] += dya[j];
        } else {
#pragma omp simd
            for (int64_t j = 0; j < n; j++)
                s[j] += (double)dya[j] * (double)ya[j];
        }
    }
    for (int64_t j = 0; j < n; j++)
        sf[j] = (float)s[j];
    for (int64_t a = 0; a < len; a++) {
        const float *dya = dy + a * inner, *ya = y + a * inner;
        float *dxa = dx + a * inner;
        if (log_softmax) {
#pragma omp simd
            for (int64_t j = 0; j < n; j++)
                dxa[j] += dya[j] - ak_vexpf(ya[j]) * sf[j];
        } else {
#pragma omp simd
            for (int64_t j = 0; j < n; j++)
                dxa[j] += ya[j] * (dya[j] - sf[j]);
        }
    }
}

void ak_cpu_softmax_bwd(float *dx, const float *dy, const float *y, int64_t outer, int64_t len, int64_t inner,
                        int log_softmax) {
    const int64_t total = outer * len * inner;
    if (total == 0)
        return;
    if (inner == 1) {
#pragma omp parallel for schedule(static) if (total > PAR_MIN)
        for (int64_t o = 0; o < outer; o++)
            row_bwd(dx + o * len, dy + o * len, y + o * len, len, log_softmax);
        return;
    }
    const int64_t nch = (inner + IC - 1) / IC, units = outer * nch;
#pragma omp parallel for schedule(static) if (total > PAR_MIN)
    for (int64_t u = 0; u < units; u++) {
        int64_t o = u / nch, j0 = (u % nch) * IC, n = inner - j0 < IC ? inner - j0 : IC;
        int64_t off = o * len * inner + j0;
        cols_bwd(dx + off, dy + off, y + off, len, inner, n, log_softmax);
    }
}
