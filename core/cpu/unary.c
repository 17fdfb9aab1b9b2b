/* CPU unary element-wise kernels and their backward rules; declared in elementwise.h.
 *
 * One loop per op (the switch is outside the loop) so each loop vectorises or at least runs without
 * per-element dispatch; exp uses the vectorised ak_vexpf (vmath.h, within 2 ulp of exp). Backward
 * rules follow PyTorch's autograd formulas:
 *   exp: dy*y   log: dy/x   abs: dy*sign(x) (0 at 0)   sqrt: dy/(2y)
 *   pow: dy*p*x^(p-1) (0 when p == 0)   clamp: dy where lo <= x <= hi, else 0   neg: -dy.
 * pow special-cases the exponents PyTorch special-cases (2, 3, 0.5, -0.5, -1, -2, 1, 0), so that
 * results match it to the last bit or so.
 */
#include <math.h>

#include "core/cpu/elementwise.h"
#include "core/cpu/vmath.h"

#define PAR_MIN 32768 /* below this many elements, threading costs more than it saves */

/* y = x^p for the exponents with exact fast paths; powf otherwise. */
static void pow_fwd(float *y, const float *x, int64_t n, float p) {
    if (p == 2.0f) {
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i] * x[i];
    } else if (p == 3.0f) {
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i] * x[i] * x[i];
    } else if (p == 1.0f) {
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i];
    } else if (p == 0.0f) {
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            y[i] = 1.0f;
    } else if (p == 0.5f) {
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            y[i] = sqrtf(x[i]);
    } else if (p == -0.5f) {
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            y[i] = 1.0f / sqrtf(x[i]);
    } else if (p == -1.0f) {
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            y[i] = 1.0f / x[i];
    } else if (p == -2.0f) {
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            y[i] = 1.0f / (x[i] * x[i]);
    } else {
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            y[i] = powf(x[i], p);
    }
}

/* dx += dy * p * x^(p-1). */
static void pow_bwd(float *dx, const float *dy, const float *x, int64_t n, float p) {
    if (p == 0.0f)
        return;
    if (p == 1.0f) {
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            dx[i] += dy[i];
    } else if (p == 2.0f) {
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            dx[i] += dy[i] * (2.0f * x[i]);
    } else if (p == 3.0f) {
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            dx[i] += dy[i] * (3.0f * (x[i] * x[i]));
    } else if (p == 0.5f) { /* x^-0.5 */
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            dx[i] += dy[i] * (0.5f * (1.0f / sqrtf(x[i])));
    } else if (p == -1.0f) { /* x^-2 */
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            dx[i] += dy[i] * (-1.0f * (1.0f / (x[i] * x[i])));
    } else {
        const float q = p - 1.0f;
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            dx[i] += dy[i] * (p * powf(x[i], q));
    }
}

void ak_cpu_unary_fwd(ak_unary_op op, float *y, const float *x, int64_t n, float p0, float p1) {
    switch (op) {
    case AK_UN_EXP:
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            y[i] = ak_vexpf(x[i]);
        break;
    case AK_UN_LOG:
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            y[i] = logf(x[i]);
        break;
    case AK_UN_ABS:
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            y[i] = fabsf(x[i]);
        break;
    case AK_UN_SQRT:
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            y[i] = sqrtf(x[i]);
        break;
    case AK_UN_POW:
        pow_fwd(y, x, n, p0);
        break;
    case AK_UN_CLAMP:
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++) {
            float v = x[i];
            y[i] = v < p0 ? p0 : (v > p1 ? p1 : v);
        }
        break;
    case AK_UN_NEG:
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            y[i] = -x[i];
        break;
    case AK_UN_ADD_SCALAR:
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i] + p0;
        break;
    case AK_UN_MUL_SCALAR:
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i] * p0;
        break;
    }
}

void ak_cpu_unary_bwd(ak_unary_op op, float *dx, const float *dy, const float *x, const float *y, int64_t n,
                      float p0, float p1) {
    switch (op) {
    case AK_UN_EXP:
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            dx[i] += dy[i] * y[i];
        break;
    case AK_UN_LOG:
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            dx[i] += dy[i] / x[i];
        break;
    case AK_UN_ABS:
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++) {
            float v = x[i];
            dx[i] += v > 0.0f ? dy[i] : (v < 0.0f ? -dy[i] : 0.0f);
        }
        break;
    case AK_UN_SQRT:
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            dx[i] += dy[i] / (2.0f * y[i]);
        break;
    case AK_UN_POW:
        pow_bwd(dx, dy, x, n, p0);
        break;
    case AK_UN_CLAMP:
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++) {
            float v = x[i];
            dx[i] += (v >= p0 && v <= p1) ? dy[i] : 0.0f;
        }
        break;
    case AK_UN_NEG:
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            dx[i] -= dy[i];
        break;
    case AK_UN_ADD_SCALAR:
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            dx[i] += dy[i];
        break;
    case AK_UN_MUL_SCALAR:
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
        for (int64_t i = 0; i < n; i++)
            dx[i] += dy[i] * p0;
        break;
    }
}
