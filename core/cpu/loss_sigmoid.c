/* CPU kernels of the sigmoid-based classification losses: BCE with logits and sigmoid focal loss.
 * See core/cpu/loss.h for the conventions. Element-wise in float; sums in fixed-order double. */
#include "core/cpu/loss.h"

#include <math.h>

double ak_cpu_loss_combine(const double *part) {
    double s = 0.0;
    for (int k = 0; k < AK_LOSS_CHUNKS; k++)
        s += part[k];
    return s;
}

/* sigmoid(x) and 1 - sigmoid(x), each without cancellation, plus log(1 + exp(-|x|)). */
static inline void sigmoid_pair(float x, float *p, float *q, float *softplus_neg_abs) {
    float e = expf(-fabsf(x));
    float inv = 1.0f / (1.0f + e);
    *p = x >= 0.0f ? inv : e * inv;
    *q = x >= 0.0f ? e * inv : inv;
    *softplus_neg_abs = log1pf(e);
}

/* Stable BCE with logits: max(x,0) - x t + log(1 + exp(-|x|)). */
static inline float bce_value(float x, float t, float lse) { return fmaxf(x, 0.0f) - x * t + lse; }

double ak_cpu_bce_fwd(float *out, const float *x, const float *t, const float *w, int64_t w_inner, int64_t n) {
    double part[AK_LOSS_CHUNKS];
#pragma omp parallel for schedule(static) if (n > AK_LOSS_PAR_MIN)
    for (int k = 0; k < AK_LOSS_CHUNKS; k++) {
        int64_t b = ak_loss_chunk(n, k), e = ak_loss_chunk(n, k + 1);
        ak_wcur wc = ak_wcur_at(w, w_inner, b);
        double s = 0.0;
        for (int64_t i = b; i < e; i++) {
            float l = bce_value(x[i], t[i], log1pf(expf(-fabsf(x[i])))) * ak_wcur_next(&wc);
            if (out)
                out[i] = l;
            s += l;
        }
        part[k] = s;
    }
    return ak_cpu_loss_combine(part);
}

void ak_cpu_bce_bwd(float *dx, float *dt, const float *x, const float *t, const float *w, int64_t w_inner,
                    int64_t n, const float *dy, float coef) {
#pragma omp parallel for schedule(static) if (n > AK_LOSS_PAR_MIN)
    for (int k = 0; k < AK_LOSS_CHUNKS; k++) {
        int64_t b = ak_loss_chunk(n, k), e = ak_loss_chunk(n, k + 1);
        ak_wcur wc = ak_wcur_at(w, w_inner, b);
        for (int64_t i = b; i < e; i++) {
            float g = (dy ? dy[i] : coef) * ak_wcur_next(&wc);
            float p, q, sp;
            sigmoid_pair(x[i], &p, &q, &sp);
            /* d/dx = sigmoid(x) - t, written as p (1-t) - q t so that it stays exact near 0 / 1 */
            if (dx)
                dx[i] += g * (p * (1.0f - t[i]) - q * t[i]);
            if (dt)
                dt[i] -= g * x[i];
        }
    }
}

/* Focal modulating power m^g with the common integer cases exact and cheap. */
static inline float focal_pow(float m, float g) {
    if (g == 2.0f)
        return m * m;
    if (g == 1.0f)
        return m;
    if (g == 0.0f)
        return 1.0f;
    return m > 0.0f ? powf(m, g) : 0.0f;
}

double ak_cpu_focal_fwd(float *out, const float *x, const float *t, const float *w, int64_t w_inner, int64_t n,
                        float alpha, float gamma) {
    double part[AK_LOSS_CHUNKS];
#pragma omp parallel for schedule(static) if (n > AK_LOSS_PAR_MIN / 4)
    for (int k = 0; k < AK_LOSS_CHUNKS; k++) {
        int64_t b = ak_loss_chunk(n, k), e = ak_loss_chunk(n, k + 1);
        ak_wcur wc = ak_wcur_at(w, w_inner, b);
        double s = 0.0;
        for (int64_t i = b; i < e; i++) {
            float p, q, sp, ti = t[i];
            sigmoid_pair(x[i], &p, &q, &sp);
            float m = q * ti + p * (1.0f - ti); /* 1 - p_t */
            float at = alpha >= 0.0f ? alpha * ti + (1.0f - alpha) * (1.0f - ti) : 1.0f;
            float l = at * bce_value(x[i], ti, sp) * focal_pow(m, gamma) * ak_wcur_next(&wc);
            if (out)
                out[i] = l;
            s += l;
        }
        part[k] = s;
    }
    return ak_cpu_loss_combine(part);
}

/* d l / dx = a_t [ (p - t) m^g + ce g m^(g-1) (1 - 2t) p q ], with m = 1 - p_t and dm/dx = (1-2t) p q. */
void ak_cpu_focal_bwd(float *dx, const float *x, const float *t, const float *w, int64_t w_inner, int64_t n,
                      float alpha, float gamma, const float *dy, float coef) {
#pragma omp parallel for schedule(static) if (n > AK_LOSS_PAR_MIN / 4)
    for (int k = 0; k < AK_LOSS_CHUNKS; k++) {
        int64_t b = ak_loss_chunk(n, k), e = ak_loss_chunk(n, k + 1);
        ak_wcur wc = ak_wcur_at(w, w_inner, b);
        for (int64_t i = b; i < e; i++) {
            float g = (dy ? dy[i] : coef) * ak_wcur_next(&wc);
            float p, q, sp, ti = t[i];
            sigmoid_pair(x[i], &p, &q, &sp);
            float m = q * ti + p * (1.0f - ti);
            float at = alpha >= 0.0f ? alpha * ti + (1.0f - alpha) * (1.0f - ti) : 1.0f;
            float ce = bce_value(x[i], ti, sp);
            float dce = p * (1.0f - ti) - q * ti;
            float dmod = gamma == 0.0f ? 0.0f : gamma * focal_pow(m, gamma - 1.0f) * (1.0f - 2.0f * ti) * p * q;
            dx[i] += g * at * (dce * focal_pow(m, gamma) + ce * dmod);
        }
    }
}
