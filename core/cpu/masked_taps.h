/* CPU kernels of core/ops/masked_taps.h. Layouts and formulas there; T = kh*kw taps, padding
 * (kh-1)/2, (kw-1)/2. Parallel over output planes, each computed by one thread in a fixed order
 * (bitwise identical for any thread count). Backward kernels add (+=). */
#ifndef AK_CPU_MASKED_TAPS_H
#define AK_CPU_MASKED_TAPS_H

#include <stdint.h>

/* out (K*N, O, H, W) = bias + sum_t shifted m * p; bias may be NULL. */
void ak_cpu_masked_taps_fwd(float *out, const float *p, const float *m, const float *bias, int64_t K, int64_t N,
                            int64_t O, int64_t H, int64_t W, int kh, int kw);
/* dp (N, T*O, H, W) += sum_k shifted m * dout. */
void ak_cpu_masked_taps_bwd_p(float *dp, const float *dout, const float *m, int64_t K, int64_t N, int64_t O, int64_t H,
                              int64_t W, int kh, int kw);
/* dbias (O) += sum over (k, n, y, x) of dout (double per o, in that order). */
void ak_cpu_masked_taps_bwd_bias(float *dbias, const float *dout, int64_t KN, int64_t O, int64_t HW);

#endif
