/* CPU softmax / log-softmax along the middle axis of an (outer, len, inner) view.
 *
 * Numerically stable: the axis maximum is subtracted before exp. Sums accumulate in double; each
 * output element is computed by one thread in a fixed order, so results do not depend on the thread
 * count. Backward kernels add into dx (+=):
 *   softmax:     dx += y * (dy - sum_a(dy * y))
 *   log_softmax: dx += dy - exp(y) * sum_a(dy)
 */
#ifndef AK_CPU_SOFTMAX_H
#define AK_CPU_SOFTMAX_H

#include <stdint.h>

void ak_cpu_softmax_fwd(float *y, const float *x, int64_t outer, int64_t len, int64_t inner, int log_softmax);
void ak_cpu_softmax_bwd(float *dx, const float *dy, const float *y, int64_t outer, int64_t len, int64_t inner,
                        int log_softmax);

#endif
