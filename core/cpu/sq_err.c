/* CPU weighted squared error; see sq_err.h. Forward streams each (n, c) row once, in blocks of
 * positions so the double accumulators of a block stay in cache. */
#include "core/cpu/sq_err.h"

#include <stdlib.h>

#define PB 512      /* positions per forward work unit */
#define RB 4096     /* (n,p) entries per reduction block */
#define PAR_MIN 32768

void ak_cpu_sq_err_q(double *q, const float *s, const float *t, const float *o, const float *wc, int64_t N,
                     int64_t C, int64_t P) {
    int64_t nb = (P + PB - 1) / PB;
#pragma omp parallel for schedule(static) if (N * C * P > PAR_MIN)
    for (int64_t u = 0; u < N * nb; u++) {
        int64_t n = u / nb, p0 = (u % nb) * PB, len = P - p0 < PB ? P - p0 : PB;
        double *acc = q + n * P + p0;
        for (int64_t i = 0; i < len; i++)
            acc[i] = 0.0;
        for (int64_t c = 0; c < C; c++) {
            const float *sr = s + (n * C + c) * P + p0, *tr = t + (n * C + c) * P + p0;
            const float oc = o ? o[n * C + c] : 0.0f;
            const double wcc = wc ? (double)wc[n * C + c] : 1.0;
            for (int64_t i = 0; i < len; i++) {
                float d = sr[i] - tr[i] + oc;
                acc[i] += wcc * (double)(d * d);
            }
        }
    }
}

void ak_cpu_sq_err_reduce(double *out, const double *q, const float *w, int64_t K, int64_t NP) {
    int64_t nb = (NP + RB - 1) / RB;
    double *part = malloc((size_t)(K * nb > 0 ? K * nb : 1) * sizeof *part);
    if (!part) { /* tiny allocation; fall back to a serial sum rather than fail */
        for (int64_t k = 0; k < K; k++) {
            double acc = 0.0;
            for (int64_t i = 0; i < NP; i++)
                acc += (w ? (double)w[k * NP + i] : 1.0) * q[i];
            out[k] = acc;
        }
        return;
    }
#pragma omp parallel for schedule(static) if (K * NP > PAR_MIN)
    for (int64_t u = 0; u < K * nb; u++) {
        int64_t k = u / nb, i0 = (u % nb) * RB, i1 = i0 + RB < NP ? i0 + RB : NP;
        double acc = 0.0;
        if (w) {
            const float *wk = w + k * NP;
            for (int64_t i = i0; i < i1; i++)
                acc += (double)wk[i] * q[i];
        } else {
            for (int64_t i = i0; i < i1; i++)
                acc += q[i];
        }
        part[u] = acc;
    }
    for (int64_t k = 0; k < K; k++) {
        double acc = 0.0;
        for (int64_t b = 0; b < nb; b++)
            acc += part[k * nb + b];
        out[k] = acc;
    }
    free(part);
}

void ak_cpu_sq_err_upstream(float *g, const float *dy, const float *w, int64_t K, int64_t NP) {
#pragma omp parallel for schedule(static) if (K * NP > PAR_MIN)
    for (int64_t i = 0; i < NP; i++) {
        if (!w) {
            g[i] = dy[0];
            continue;
        }
        float acc = 0.0f;
        for (int64_t k = 0; k < K; k++)
            acc += dy[k] * w[k * NP + i];
        g[i] = acc;
    }
}

void ak_cpu_sq_err_bwd(float *ds, float *dt, float *dof, float *dwc, const float *s, const float *t, const float *o,
                       const float *wc, const float *g, int64_t N, int64_t C, int64_t P) {
#pragma omp parallel for schedule(static) if (N * C * P > PAR_MIN)
    for (int64_t r = 0; r < N * C; r++) {
        int64_t n = r / C;
        const float *sr = s + r * P, *tr = t + r * P, *gr = g + n * P;
        const float oc = o ? o[r] : 0.0f, wcc = wc ? wc[r] : 1.0f;
        float *dsr = ds ? ds + r * P : NULL, *dtr = dt ? dt + r * P : NULL;
        double acc_o = 0.0, acc_w = 0.0;
        for (int64_t p = 0; p < P; p++) {
            float d = sr[p] - tr[p] + oc;
            float v = 2.0f * gr[p] * wcc * d;
            if (dsr)
                dsr[p] += v;
            if (dtr)
                dtr[p] -= v;
            acc_o += (double)v;
            acc_w += (double)gr[p] * (double)(d * d);
        }
        if (dof)
            dof[r] += (float)acc_o;
        if (dwc)
            dwc[r] += (float)acc_w;
    }
}

void ak_cpu_sq_err_bwd_w(float *dw, const float *dy, const double *q, int64_t K, int64_t NP) {
#pragma omp parallel for schedule(static) if (K * NP > PAR_MIN)
    for (int64_t u = 0; u < K * NP; u++)
        dw[u] += (float)((double)dy[u / NP] * q[u % NP]);
}
