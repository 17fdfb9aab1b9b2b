/* CPU kernels of the fused losses (core/ops/loss.h has the semantics).
 *
 * Conventions shared by every kernel here:
 *   - n elements (boxes: m boxes of 4 floats); w is NULL (weight 1) or weights indexed i / w_inner
 *     (w_inner = 1: one weight per element; K: one per row of (M,K)).
 *   - forward writes the weighted element loss into out when out != NULL (reduction NONE) and
 *     returns the weighted sum in double, accumulated over AK_LOSS_CHUNKS fixed blocks that depend
 *     only on n and combined in order: bitwise identical for any thread count.
 *   - backward ADDS into dx (and dt when non-NULL): the upstream gradient of element i is dy[i]
 *     when dy != NULL (NONE) and `coef` otherwise (d loss / d sum, already divided by the mean's
 *     denominator).
 */
#ifndef AK_CPU_LOSS_H
#define AK_CPU_LOSS_H

#include <stdint.h>

#define AK_LOSS_CHUNKS 64
#define AK_LOSS_PAR_MIN 16384 /* below this many elements, threads cost more than they save */

/* First element of fixed block k (0..AK_LOSS_CHUNKS) of n. */
static inline int64_t ak_loss_chunk(int64_t n, int k) { return n / AK_LOSS_CHUNKS * k + (n % AK_LOSS_CHUNKS) * k / AK_LOSS_CHUNKS; }

/* Walks the weights along the elements of a block: w[i / inner], or 1 without weights. */
typedef struct ak_wcur {
    const float *w;
    int64_t inner, idx, rem;
} ak_wcur;
static inline ak_wcur ak_wcur_at(const float *w, int64_t inner, int64_t i) {
    ak_wcur c = {w, inner, w ? i / inner : 0, w ? i % inner : 0};
    return c;
}
static inline float ak_wcur_next(ak_wcur *c) {
    if (!c->w)
        return 1.0f;
    float v = c->w[c->idx];
    if (++c->rem == c->inner) {
        c->rem = 0;
        c->idx++;
    }
    return v;
}

/* Sum of the AK_LOSS_CHUNKS partial sums in index order. */
double ak_cpu_loss_combine(const double *part);

/* ---- sigmoid family (loss_sigmoid.c): x logits, t targets, all n floats ---- */
double ak_cpu_bce_fwd(float *out, const float *x, const float *t, const float *w, int64_t w_inner, int64_t n);
void ak_cpu_bce_bwd(float *dx, float *dt, const float *x, const float *t, const float *w, int64_t w_inner,
                    int64_t n, const float *dy, float coef);
double ak_cpu_focal_fwd(float *out, const float *x, const float *t, const float *w, int64_t w_inner, int64_t n,
                        float alpha, float gamma);
void ak_cpu_focal_bwd(float *dx, const float *x, const float *t, const float *w, int64_t w_inner, int64_t n,
                      float alpha, float gamma, const float *dy, float coef);

/* ---- regression (loss_reg.c): p prediction, t target ---- */
double ak_cpu_l1_fwd(float *out, const float *p, const float *t, const float *w, int64_t w_inner, int64_t n);
void ak_cpu_l1_bwd(float *dp, float *dt, const float *p, const float *t, const float *w, int64_t w_inner,
                   int64_t n, const float *dy, float coef);
double ak_cpu_smooth_l1_fwd(float *out, const float *p, const float *t, const float *w, int64_t w_inner,
                            int64_t n, float beta);
void ak_cpu_smooth_l1_bwd(float *dp, float *dt, const float *p, const float *t, const float *w, int64_t w_inner,
                          int64_t n, float beta, const float *dy, float coef);

/* ---- boxes (loss_box.c): p, t (m,4) x1y1x2y2; w (m) or NULL; out (m); dp (m,4) ---- */
double ak_cpu_iou_loss_fwd(float *out, const float *p, const float *t, const float *w, int64_t m, int mode,
                           float eps);
void ak_cpu_iou_loss_bwd(float *dp, const float *p, const float *t, const float *w, int64_t m, int mode, float eps,
                         const float *dy, float coef);
double ak_cpu_giou_loss_fwd(float *out, const float *p, const float *t, const float *w, int64_t m, float eps);
void ak_cpu_giou_loss_bwd(float *dp, const float *p, const float *t, const float *w, int64_t m, float eps,
                          const float *dy, float coef);

/* ---- cross-entropy over dim 1 (loss_ce.c) ----
 * x (n,c,s) logits, y (n*s) labels already validated (in [0,c) or == ignore), cw (c) class weights
 * or NULL. Forward: lse (n*s) receives logsumexp over c (unset at ignored positions); out (n*s) or
 * NULL receives w[y] * (lse - x_y) (0 when ignored); sums[0] = sum of those, sums[1] = sum of w[y]
 * over non-ignored positions, both in fixed-order double. Backward: dx += g * w[y] * (softmax - onehot). */
void ak_cpu_ce_fwd(float *out, float *lse, double sums[2], const float *x, const int32_t *y, const float *cw,
                   int64_t n, int64_t c, int64_t s, int32_t ignore);
void ak_cpu_ce_bwd(float *dx, const float *x, const int32_t *y, const float *cw, const float *lse, int64_t n,
                   int64_t c, int64_t s, int32_t ignore, const float *dy, float coef);

#endif
