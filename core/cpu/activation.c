/* CPU pointwise activations; see activation.h. Element-wise, so any thread split is bitwise stable.
 * relu's loops are written as selects under `omp simd`: at -O2 for generic x86-64, GCC otherwise
 * emits a scalar compare-and-branch per element, which mispredicts on the random signs of
 * activations (the residual relu of a ResNet step ran several times slower than a streaming pass).
 * The select gives the same bits as the branch: x > 0 ? x : +0 (NaN -> +0, -0 -> +0). */
#include "core/cpu/activation.h"

#include <math.h>

#include "core/cpu/vmath.h"

#define AK_PAR_MIN 32768 /* below this, threading costs more than it saves */

void ak_cpu_relu_fwd(float *y, const float *x, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > AK_PAR_MIN)
    for (int64_t i = 0; i < n; i++) /* y == x (in place) is allowed: each element is read before written */
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void ak_cpu_relu_bwd(float *dx, const float *dy, const float *y, int64_t n, bool store) {
    if (store) { /* fresh dx (ak_grad_of_fresh): the bits of += into zeros */
#pragma omp parallel for simd schedule(static) if (n > AK_PAR_MIN)
        for (int64_t i = 0; i < n; i++) {
            dx[i] = ak_relu_keep(dy[i] + 0.0f, y[i]);
        }
        return;
    }
#pragma omp parallel for simd schedule(static) if (n > AK_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        const float g = dy[i]; /* loaded unconditionally, so the select vectorises */
        dx[i] += y[i] > 0.0f ? g : 0.0f;
    }
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
