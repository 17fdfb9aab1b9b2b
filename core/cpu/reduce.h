/* CPU reduction kernels: sums over any set of dimensions, and max along one axis.
 *
 * Determinism: every kernel here partitions its work into fixed blocks that depend only on the
 * shapes (never on the thread count) and combines block results in a fixed order, so results are
 * bitwise identical for any number of OpenMP threads. Accuracy: sums accumulate in double.
 *
 * Shapes: `in_shape` and `out_shape` have the same `ndim` (<= AK_MAX_DIMS); every out_shape[d] is
 * either in_shape[d] (kept) or 1 (summed over). y holds prod(out_shape) floats in row-major order.
 */
#ifndef AK_CPU_REDUCE_H
#define AK_CPU_REDUCE_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of workspace ak_cpu_reduce_sum needs for these shapes (may be 0). */
size_t ak_cpu_reduce_sum_workspace(int ndim, const int64_t *in_shape, const int64_t *out_shape);

/* y = alpha * sum (accumulate == 0) or y += alpha * sum (accumulate != 0), where the sum runs over
 * the dims with out_shape[d] == 1. x: prod(in_shape) floats. work: the bytes asked for above
 * (8-byte aligned). An empty input sums to 0. */
void ak_cpu_reduce_sum(float *y, const float *x, int ndim, const int64_t *in_shape, const int64_t *out_shape,
                       double alpha, int accumulate, void *work);

/* Sum of n floats in double with a fixed 8-lane order (helper for other kernels; single-threaded). */
double ak_cpu_sum_block(const float *x, int64_t n);

/* Max along the middle axis of a (outer, len, inner) view: y[o*inner+i] = max_a x[(o*len+a)*inner+i],
 * idx[...] = the first a that attains it (NaN wins: it is propagated, as in PyTorch). len >= 1. */
void ak_cpu_max_axis(float *y, int64_t *idx, const float *x, int64_t outer, int64_t len, int64_t inner);
/* Backward of the above: dx[(o*len+idx)*inner+i] += dy[o*inner+i]. */
void ak_cpu_max_axis_bwd(float *dx, const float *dy, const int64_t *idx, int64_t outer, int64_t len,
                         int64_t inner);

#endif
