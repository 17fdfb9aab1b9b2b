/* CPU pointwise activations; see activation.h. Element-wise, so any thread split is bitwise stable. */
#include "core/cpu/activation.h"

#include <math.h>

#define AK_PAR_MIN 32768 /* below this, threading costs more than it saves */

void ak_cpu_relu_fwd(float *y, const float *x, int64_t n) {
#pragma omp parallel for schedule(static) if (n > AK_PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void ak_cpu_relu_bwd(float *dx, const float *dy, const float *y, int64_t n) {
#pragma omp parallel for schedule(static) if (n > AK_PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        dx[i] += y[i] > 0.0f ? dy[i] : 0.0f;
}

void ak_cpu_sigmoid_fwd(float *y, const float *x, int64_t n) {
#pragma omp parallel for schedule(static) if (n > AK_PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        y[i] = 1.0f / (1.0f + expf(-x[i]));
}

void ak_cpu_sigmoid_bwd(float *dx, const float *dy, const float *y, int64_t n) {
#pragma omp parallel for schedule(static) if (n > AK_PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        dx[i] += dy[i] * y[i] * (1.0f - y[i]);
}
