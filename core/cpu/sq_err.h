/* CPU kernels of the weighted squared error (core/ops/sq_err.h):
 *   q[n,p]   = sum_c wc[n,c] * (s[n,c,p] - t[n,c,p] + o[n,c])^2      (double; wc, o optional)
 *   out[k]   = sum_{n,p} w[k,n,p] * q[n,p]                           (w optional: K = 1, w = 1)
 * and its backward. Determinism: q is summed over c serially per (n, p); out combines fixed blocks
 * of (n,p) in order; backward reductions (over p for do / dwc) run serially per (n, c) row. So
 * every result is bitwise identical for any thread count.
 */
#ifndef AK_CPU_SQ_ERR_H
#define AK_CPU_SQ_ERR_H

#include <stdint.h>

void ak_cpu_sq_err_q(double *q, const float *s, const float *t, const float *o, const float *wc, int64_t N,
                     int64_t C, int64_t P);
/* out: K doubles. w: K*NP floats or NULL (then K must be 1). */
void ak_cpu_sq_err_reduce(double *out, const double *q, const float *w, int64_t K, int64_t NP);
/* g[n,p] = sum_k dy[k] * w[k,n,p] (dy[0] when w is NULL). */
void ak_cpu_sq_err_upstream(float *g, const float *dy, const float *w, int64_t K, int64_t NP);
/* Adds into every non-NULL gradient: ds += 2 g wc d, dt -= 2 g wc d, do[n,c] += sum_p 2 g wc d,
 * dwc[n,c] += sum_p g d^2 (d = s - t + o). */
void ak_cpu_sq_err_bwd(float *ds, float *dt, float *dof, float *dwc, const float *s, const float *t, const float *o,
                       const float *wc, const float *g, int64_t N, int64_t C, int64_t P);
/* dw[k,n,p] += dy[k] * q[n,p]. */
void ak_cpu_sq_err_bwd_w(float *dw, const float *dy, const double *q, int64_t K, int64_t NP);

#endif
