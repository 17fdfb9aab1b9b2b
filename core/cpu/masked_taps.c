/* CPU kernels of the masked per-tap convolution; see masked_taps.h. */
#include "core/cpu/masked_taps.h"

/* The output rows / columns a tap offset d (= t - pad) touches: [lo, hi) so that y + d is inside
 * [0, n). */
static inline void valid(int64_t n, int64_t d, int64_t *lo, int64_t *hi) {
    *lo = d < 0 ? -d : 0;
    *hi = d > 0 ? n - d : n;
    if (*hi < *lo)
        *hi = *lo;
}

void ak_cpu_masked_taps_fwd(float *out, const float *p, const float *m, const float *bias, int64_t K, int64_t N,
                            int64_t O, int64_t H, int64_t W, int kh, int kw) {
    const int64_t HW = H * W, T = (int64_t)kh * kw, planes = K * N * O;
    const int ph = (kh - 1) / 2, pw = (kw - 1) / 2;
#pragma omp parallel for schedule(static) if (planes * HW * T > (1 << 16))
    for (int64_t pl = 0; pl < planes; pl++) {
        const int64_t k = pl / (N * O), n = (pl / O) % N, o = pl % O;
        float *y = out + pl * HW; /* (k*N + n, o) plane: pl = (k*N + n)*O + o */
        const float b = bias ? bias[o] : 0.0f;
        for (int64_t i = 0; i < HW; i++)
            y[i] = b;
        const float *mk = m + (k * N + n) * HW;
        for (int64_t t = 0; t < T; t++) {
            const int64_t dy = t / kw - ph, dx = t % kw - pw;
            const float *pt = p + (n * T * O + t * O + o) * HW;
            int64_t y0, y1, x0, x1;
            valid(H, dy, &y0, &y1);
            valid(W, dx, &x0, &x1);
            for (int64_t r = y0; r < y1; r++) {
                const int64_t src = (r + dy) * W + dx;
                float *yr = y + r * W;
                const float *pr = pt + src, *mr = mk + src;
                for (int64_t c = x0; c < x1; c++)
                    yr[c] += mr[c] * pr[c];
            }
        }
    }
}

void ak_cpu_masked_taps_bwd_p(float *dp, const float *dout, const float *m, int64_t K, int64_t N, int64_t O, int64_t H,
                              int64_t W, int kh, int kw) {
    const int64_t HW = H * W, T = (int64_t)kh * kw, planes = N * T * O;
    const int ph = (kh - 1) / 2, pw = (kw - 1) / 2;
#pragma omp parallel for schedule(static) if (planes * HW * K > (1 << 16))
    for (int64_t pl = 0; pl < planes; pl++) {
        const int64_t n = pl / (T * O), t = (pl / O) % T, o = pl % O;
        const int64_t dy = t / kw - ph, dx = t % kw - pw;
        float *g = dp + pl * HW; /* (n, t*O + o) plane */
        /* dp at input position (r + dy, c + dx) from output position (r, c) */
        int64_t y0, y1, x0, x1;
        valid(H, dy, &y0, &y1);
        valid(W, dx, &x0, &x1);
        for (int64_t k = 0; k < K; k++) {
            const float *mk = m + (k * N + n) * HW, *d = dout + ((k * N + n) * O + o) * HW;
            for (int64_t r = y0; r < y1; r++) {
                const int64_t dst = (r + dy) * W + dx;
                float *gr = g + dst;
                const float *mr = mk + dst, *dr = d + r * W;
                for (int64_t c = x0; c < x1; c++)
                    gr[c] += mr[c] * dr[c];
            }
        }
    }
}

void ak_cpu_masked_taps_bwd_bias(float *dbias, const float *dout, int64_t KN, int64_t O, int64_t HW) {
#pragma omp parallel for schedule(static) if (KN * O * HW > (1 << 16))
    for (int64_t o = 0; o < O; o++) {
        double s = 0.0;
        for (int64_t b = 0; b < KN; b++) {
            const float *d = dout + (b * O + o) * HW;
            for (int64_t i = 0; i < HW; i++)
                s += d[i];
        }
        dbias[o] += (float)s;
    }
}
