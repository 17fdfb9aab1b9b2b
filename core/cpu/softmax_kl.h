/* CPU kernels of the row-wise softmax KL divergence (core/ops/softmax_kl.h): CWD's spatial
 * distribution distillation over (N*C) rows of H*W logits.
 *
 * Rows are independent: row r of s and t holds len floats at r*len. Per row, with a = x / tau and
 * p = softmax(a): lse = log sum exp(a), KL_r = sum_i p_t,i (log p_t,i - log p_s,i).
 * Determinism: each row is reduced serially in a fixed order (double accumulators) and rows are
 * combined in row order by the caller, so results do not depend on the thread count.
 */
#ifndef AK_CPU_SOFTMAX_KL_H
#define AK_CPU_SOFTMAX_KL_H

#include <stdint.h>

/* Per-row statistics saved for backward: lse of a_s and a_t, and KL_r (all double). */
typedef struct ak_kl_row {
    double lse_s, lse_t, kl;
} ak_kl_row;

/* Fills rows[0..n_rows) and returns sum_r KL_r (in row order). */
double ak_cpu_softmax_kl_fwd(ak_kl_row *rows, const float *s, const float *t, int64_t n_rows, int64_t len,
                             float inv_tau);
/* ds += coef * (p_s - p_t); dt += coef * p_t * ((log p_t - log p_s) - KL_r). Either may be NULL.
 * coef = d(out)/d(sum_r KL_r) / tau (the caller folds the scaling in). */
void ak_cpu_softmax_kl_bwd(float *ds, float *dt, const ak_kl_row *rows, const float *s, const float *t,
                           int64_t n_rows, int64_t len, float inv_tau, double coef);

#endif
