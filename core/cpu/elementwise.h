/* CPU kernels for element-wise arithmetic: binary ops with numpy / PyTorch broadcasting, and unary
 * maps (exp, log, abs, sqrt, pow, clamp, neg, scalar add / mul) with their backward rules.
 *
 * Element-wise work has no reduction order, so any thread split gives bitwise identical results.
 * Gradient contract: backward kernels add into dx (+=).
 */
#ifndef AK_CPU_ELEMENTWISE_H
#define AK_CPU_ELEMENTWISE_H

#include <stdint.h>

typedef enum ak_bin_op {
    AK_BIN_ADD, /* a + b */
    AK_BIN_SUB, /* a - b */
    AK_BIN_MUL, /* a * b */
    AK_BIN_DIV, /* a / b */
    AK_BIN_B,   /* b alone (a unused, may be NULL): broadcast copy / broadcast accumulate */
} ak_bin_op;

/* For every index i of out_shape (ndim dims): y[i] = alpha * op(a[ia], b[ib]), or y[i] += ... when
 * accumulate != 0. a_shape / b_shape have ndim dims, each equal to out_shape[d] or 1 (broadcast:
 * the operand's index along d is then 0). y may be the very same buffer as a or b when that operand
 * has the out shape (read and write of one element happen in the same step). */
void ak_cpu_binary(float *y, const float *a, const int64_t *a_shape, const float *b, const int64_t *b_shape,
                   int ndim, const int64_t *out_shape, ak_bin_op op, float alpha, int accumulate);

typedef enum ak_unary_op {
    AK_UN_EXP,
    AK_UN_LOG,
    AK_UN_ABS,
    AK_UN_SQRT,
    AK_UN_POW,        /* x ^ p0 (scalar exponent) */
    AK_UN_CLAMP,      /* min(max(x, p0), p1); NaN stays NaN */
    AK_UN_NEG,
    AK_UN_ADD_SCALAR, /* x + p0 */
    AK_UN_MUL_SCALAR, /* x * p0 */
} ak_unary_op;

/* y = f(x) for n elements; p0, p1 are the op's scalars (see ak_unary_op). */
void ak_cpu_unary_fwd(ak_unary_op op, float *y, const float *x, int64_t n, float p0, float p1);
/* dx += dy * f'(x); uses x or the forward output y (whichever the rule needs; both n floats). */
void ak_cpu_unary_bwd(ak_unary_op op, float *dx, const float *dy, const float *x, const float *y, int64_t n,
                      float p0, float p1);

/* y += alpha * x over n elements. */
void ak_cpu_axpy(float *y, float alpha, const float *x, int64_t n);

#endif
