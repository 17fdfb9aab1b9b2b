/* CPU kernels of the regression losses: L1 and smooth L1. See core/cpu/loss.h for the conventions.
 * The gradient rules at the kinks are PyTorch's (sign(0) = 0 for L1; smooth L1's -1 / +1 / d/beta
 * branches with <= and >=). */
#include "core/cpu/loss.h"

#include <math.h>

double ak_cpu_l1_fwd(float *out, const float *p, const float *t, const float *w, int64_t w_inner, int64_t n) {
    double part[AK_LOSS_CHUNKS];
#pragma omp parallel for schedule(static) if (n > AK_LOSS_PAR_MIN)
    for (int k = 0; k < AK_LOSS_CHUNKS; k++) {
        int64_t b = ak_loss_chunk(n, k), e = ak_loss_chunk(n, k + 1);
        ak_wcur wc = ak_wcur_at(w, w_inner, b);
        double s = 0.0;
        for (int64_t i = b; i < e; i++) {
            float l = fabsf(p[i] - t[i]) * ak_wcur_next(&wc);
            if (out)
                out[i] = l;
            s += l;
        }
        part[k] = s;
    }
    return ak_cpu_loss_combine(part);
}

void ak_cpu_l1_bwd(float *dp, float *dt, const float *p, const float *t, const float *w, int64_t w_inner,
                   int64_t n, const float *dy, float coef) {
#pragma omp parallel for schedule(static) if (n > AK_LOSS_PAR_MIN)
    for (int k = 0; k < AK_LOSS_CHUNKS; k++) {
        int64_t b = ak_loss_chunk(n, k), e = ak_loss_chunk(n, k + 1);
        ak_wcur wc = ak_wcur_at(w, w_inner, b);
        for (int64_t i = b; i < e; i++) {
            float g = (dy ? dy[i] : coef) * ak_wcur_next(&wc);
            float d = p[i] - t[i];
            float sg = d > 0.0f ? g : (d < 0.0f ? -g : 0.0f);
            if (dp)
                dp[i] += sg;
            if (dt)
                dt[i] -= sg;
        }
    }
}

double ak_cpu_smooth_l1_fwd(float *out, const float *p, const float *t, const float *w, int64_t w_inner,
                            int64_t n, float beta) {
    double part[AK_LOSS_CHUNKS];
#pragma omp parallel for schedule(static) if (n > AK_LOSS_PAR_MIN)
    for (int k = 0; k < AK_LOSS_CHUNKS; k++) {
        int64_t b = ak_loss_chunk(n, k), e = ak_loss_chunk(n, k + 1);
        ak_wcur wc = ak_wcur_at(w, w_inner, b);
        double s = 0.0;
        for (int64_t i = b; i < e; i++) {
            float d = fabsf(p[i] - t[i]);
            float l = (d < beta ? 0.5f * d * d / beta : d - 0.5f * beta) * ak_wcur_next(&wc);
            if (out)
                out[i] = l;
            s += l;
        }
        part[k] = s;
    }
    return ak_cpu_loss_combine(part);
}

void ak_cpu_smooth_l1_bwd(float *dp, float *dt, const float *p, const float *t, const float *w, int64_t w_inner,
                          int64_t n, float beta, const float *dy, float coef) {
#pragma omp parallel for schedule(static) if (n > AK_LOSS_PAR_MIN)
    for (int k = 0; k < AK_LOSS_CHUNKS; k++) {
        int64_t b = ak_loss_chunk(n, k), e = ak_loss_chunk(n, k + 1);
        ak_wcur wc = ak_wcur_at(w, w_inner, b);
        for (int64_t i = b; i < e; i++) {
            float g = (dy ? dy[i] : coef) * ak_wcur_next(&wc);
            float d = p[i] - t[i];
            float v = d <= -beta ? -g : (d >= beta ? g : g * d / beta);
            if (dp)
                dp[i] += v;
            if (dt)
                dt[i] -= v;
        }
    }
}
