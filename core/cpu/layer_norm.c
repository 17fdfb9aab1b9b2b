/* CPU layer-norm kernels with a per-column affine; declared in norm.h. Rows are independent (one
 * thread each); the parameter gradients sum over rows column-block by column-block in row order, in
 * double, so every result is the same for any thread count. */
#include "core/cpu/norm.h"

#define PAR_MIN 32768 /* below this many elements, threading costs more than it saves */
#define COLS 256      /* columns per unit of the parameter-gradient pass */

void ak_cpu_ln_fwd(float *y, const float *x, int64_t R, int64_t D, const float *mean, const float *rstd,
                   const float *g, const float *beta) {
#pragma omp parallel for schedule(static) if (R * D > PAR_MIN)
    for (int64_t r = 0; r < R; r++) {
        const float *xr = x + r * D;
        float *yr = y + r * D;
        const float m = mean[r], s = rstd[r];
        if (g && beta) {
#pragma omp simd
            for (int64_t j = 0; j < D; j++)
                yr[j] = (xr[j] - m) * s * g[j] + beta[j];
        } else if (g) {
#pragma omp simd
            for (int64_t j = 0; j < D; j++)
                yr[j] = (xr[j] - m) * s * g[j];
        } else {
#pragma omp simd
            for (int64_t j = 0; j < D; j++)
                yr[j] = (xr[j] - m) * s + (beta ? beta[j] : 0.0f);
        }
    }
}

void ak_cpu_ln_bwd_x(float *dx, const float *dy, const float *x, int64_t R, int64_t D, const float *mean,
                     const float *rstd, const float *g) {
#pragma omp parallel for schedule(static) if (R * D > PAR_MIN)
    for (int64_t r = 0; r < R; r++) {
        const float *xr = x + r * D, *gr = dy + r * D;
        float *dr = dx + r * D;
        const double m = mean[r];
        double a1[8] = {0, 0, 0, 0, 0, 0, 0, 0}, a2[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        double t1 = 0, t2 = 0;
        int64_t j = 0;
        for (; j + 8 <= D; j += 8)
            for (int l = 0; l < 8; l++) {
                double h = (double)gr[j + l] * (g ? (double)g[j + l] : 1.0);
                a1[l] += h;
                a2[l] += h * ((double)xr[j + l] - m);
            }
        for (; j < D; j++) {
            double h = (double)gr[j] * (g ? (double)g[j] : 1.0);
            t1 += h;
            t2 += h * ((double)xr[j] - m);
        }
        const double s1 = ((a1[0] + a1[1]) + (a1[2] + a1[3])) + ((a1[4] + a1[5]) + (a1[6] + a1[7])) + t1;
        const double s2 = ((a2[0] + a2[1]) + (a2[2] + a2[3])) + ((a2[4] + a2[5]) + (a2[6] + a2[7])) + t2;
        const double is = rstd[r];
        const float k1 = (float)is, c0 = (float)(-is * s1 / (double)D);
        const float k2 = (float)(-is * is * is * s2 / (double)D), mf = mean[r];
        if (g) {
#pragma omp simd
            for (int64_t i = 0; i < D; i++)
                dr[i] += k1 * (gr[i] * g[i]) + c0 + k2 * (xr[i] - mf);
        } else {
#pragma omp simd
            for (int64_t i = 0; i < D; i++)
                dr[i] += k1 * gr[i] + c0 + k2 * (xr[i] - mf);
        }
    }
}

void ak_cpu_ln_bwd_params(float *dg, float *db, const float *dy, const float *x, int64_t R, int64_t D,
                          const float *mean, const float *rstd) {
    const int64_t units = (D + COLS - 1) / COLS;
#pragma omp parallel for schedule(static) if (R * D > PAR_MIN)
    for (int64_t u = 0; u < units; u++) {
        const int64_t j0 = u * COLS, n = D - j0 < COLS ? D - j0 : COLS;
        double ag[COLS], ab[COLS];
        for (int64_t j = 0; j < n; j++)
            ag[j] = ab[j] = 0;
        for (int64_t r = 0; r < R; r++) {
            const float *xr = x + r * D + j0, *gr = dy + r * D + j0;
            const double m = mean[r], s = rstd[r];
#pragma omp simd
            for (int64_t j = 0; j < n; j++) {
                ag[j] += (double)gr[j] * (((double)xr[j] - m) * s);
                ab[j] += gr[j];
            }
        }
        for (int64_t j = 0; j < n; j++) {
            if (dg)
                dg[j0 + j] += (float)ag[j];
            if (db)
                db[j0 + j] += (float)ab[j];
        }
    }
}
