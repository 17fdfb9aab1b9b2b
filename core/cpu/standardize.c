/* CPU per-channel standardisation; see standardize.h. Parallel over (group, channel) pairs. */
#include "core/cpu/standardize.h"

#include <math.h>

#define PAR_MIN 32768

void ak_cpu_standardize_fwd(float *y, float *mean, float *std, const float *x, const int64_t *groups, int n_groups,
                            int64_t C, int64_t P, bool unbiased, float eps) {
    int64_t pairs = (int64_t)n_groups * C;
#pragma omp parallel for schedule(static) if (groups[n_groups] * C * P > PAR_MIN)
    for (int64_t j = 0; j < pairs; j++) {
        int64_t g = j / C, c = j % C, n0 = groups[g], n1 = groups[g + 1];
        int64_t M = (n1 - n0) * P;
        double sum = 0.0;
        for (int64_t n = n0; n < n1; n++) {
            const float *xr = x + (n * C + c) * P;
            for (int64_t p = 0; p < P; p++)
                sum += (double)xr[p];
        }
        double mu = sum / (double)M, ss = 0.0;
        for (int64_t n = n0; n < n1; n++) {
            const float *xr = x + (n * C + c) * P;
            for (int64_t p = 0; p < P; p++) {
                double u = (double)xr[p] - mu;
                ss += u * u;
            }
        }
        double sd = sqrt(ss / (double)(unbiased ? M - 1 : M));
        mean[j] = (float)mu;
        std[j] = (float)sd;
        const float m = (float)mu, inv = 1.0f / ((float)sd + eps);
        for (int64_t n = n0; n < n1; n++) {
            const float *xr = x + (n * C + c) * P;
            float *yr = y + (n * C + c) * P;
            for (int64_t p = 0; p < P; p++)
                yr[p] = (xr[p] - m) * inv;
        }
    }
}

void ak_cpu_standardize_bwd(float *dx, const float *dy, const float *x, const float *mean, const float *std,
                            const int64_t *groups, int n_groups, int64_t C, int64_t P, bool unbiased, float eps) {
    int64_t pairs = (int64_t)n_groups * C;
#pragma omp parallel for schedule(static) if (groups[n_groups] * C * P > PAR_MIN)
    for (int64_t j = 0; j < pairs; j++) {
        int64_t g = j / C, c = j % C, n0 = groups[g], n1 = groups[g + 1];
        int64_t M = (n1 - n0) * P;
        const float m = mean[j];
        double sg = 0.0, sgu = 0.0;
        for (int64_t n = n0; n < n1; n++) {
            const float *xr = x + (n * C + c) * P, *gr = dy + (n * C + c) * P;
            for (int64_t p = 0; p < P; p++) {
                sg += (double)gr[p];
                sgu += (double)gr[p] * (double)(xr[p] - m);
            }
        }
        double sd = (double)std[j], s = sd + (double)eps;
        float gbar = (float)(sg / (double)M), inv = (float)(1.0 / s);
        float k = sd > 0.0 ? (float)(sgu / (s * s * (double)(unbiased ? M - 1 : M) * sd)) : 0.0f;
        for (int64_t n = n0; n < n1; n++) {
            const float *xr = x + (n * C + c) * P, *gr = dy + (n * C + c) * P;
            float *dr = dx + (n * C + c) * P;
            for (int64_t p = 0; p < P; p++)
                dr[p] += (gr[p] - gbar) * inv - k * (xr[p] - m);
        }
    }
}
