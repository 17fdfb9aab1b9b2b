/* CPU row-wise softmax KL; see softmax_kl.h. Two passes per row forward (max, then the exp sums),
 * one backward (exp recomputed from the saved log-sum-exps, so no (rows, len) buffer is kept). */
#include "core/cpu/softmax_kl.h"

#include <math.h>

#include "core/cpu/vmath.h"

#define PAR_MIN_ROWS 8

static float row_max_scaled(const float *x, int64_t len, float inv_tau) {
    float m = x[0] * inv_tau;
    for (int64_t i = 1; i < len; i++) {
        float a = x[i] * inv_tau;
        m = a > m ? a : m;
    }
    return m;
}

/* KL_r = sum_i e_t,i (a_t,i - a_s,i) / Z_t + lse_s - lse_t with e_t = exp(a_t - m_t), Z_t = sum e_t. */
static void row_fwd(ak_kl_row *row, const float *s, const float *t, int64_t len, float inv_tau) {
    float ms = row_max_scaled(s, len, inv_tau), mt = row_max_scaled(t, len, inv_tau);
    double zs = 0.0, zt = 0.0, cross = 0.0;
    for (int64_t i = 0; i < len; i++) {
        float as = s[i] * inv_tau, at = t[i] * inv_tau;
        float es = ak_vexpf(as - ms), et = ak_vexpf(at - mt);
        zs += (double)es;
        zt += (double)et;
        cross += (double)et * ((double)at - (double)as);
    }
    row->lse_s = (double)ms + log(zs);
    row->lse_t = (double)mt + log(zt);
    row->kl = cross / zt + row->lse_s - row->lse_t;
}

double ak_cpu_softmax_kl_fwd(ak_kl_row *rows, const float *s, const float *t, int64_t n_rows, int64_t len,
                             float inv_tau) {
#pragma omp parallel for schedule(static) if (n_rows >= PAR_MIN_ROWS && n_rows * len > 16384)
    for (int64_t r = 0; r < n_rows; r++)
        row_fwd(&rows[r], s + r * len, t + r * len, len, inv_tau);
    double sum = 0.0;
    for (int64_t r = 0; r < n_rows; r++)
        sum += rows[r].kl;
    return sum;
}

void ak_cpu_softmax_kl_bwd(float *ds, float *dt, const ak_kl_row *rows, const float *s, const float *t,
                           int64_t n_rows, int64_t len, float inv_tau, double coef) {
#pragma omp parallel for schedule(static) if (n_rows >= PAR_MIN_ROWS && n_rows * len > 16384)
    for (int64_t r = 0; r < n_rows; r++) {
        const float *sr = s + r * len, *tr = t + r * len;
        const float ls = (float)rows[r].lse_s, lt = (float)rows[r].lse_t, kl = (float)rows[r].kl;
        const float c = (float)coef;
        if (ds) {
            float *d = ds + r * len;
#pragma omp simd
            for (int64_t i = 0; i < len; i++)
                d[i] += c * (ak_vexpf(sr[i] * inv_tau - ls) - ak_vexpf(tr[i] * inv_tau - lt));
        }
        if (dt) {
            float *d = dt + r * len;
#pragma omp simd
            for (int64_t i = 0; i < len; i++) {
                float lpt = tr[i] * inv_tau - lt, lps = sr[i] * inv_tau - ls;
                d[i] += c * ak_vexpf(lpt) * ((lpt - lps) - kl);
            }
        }
    }
}
