/* CPU matrix products for core/ops/matmul: a row-major sgemm wrapper and the deterministic
 * reductions the linear layer needs.
 *
 * All matrices are row-major float32. ak_cpu_gemm computes C = alpha * op(A) * op(B) + beta * C with
 * op(A) (m x k), op(B) (k x n), C (m x n); lda / ldb / ldc are the row strides of the stored
 * matrices (A is stored k x m when ta). It calls OpenBLAS, so it must not be called from inside an
 * OpenMP parallel region; its rounding may depend on the OpenBLAS thread count.
 */
#ifndef AK_CPU_MATMUL_H
#define AK_CPU_MATMUL_H

#include <stdbool.h>
#include <stdint.h>

void ak_cpu_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                 const float *b, int64_t ldb, float beta, float *c, int64_t ldc);
/* y (rows, n) += bias (n) on every row. */
void ak_cpu_add_row_bias(float *y, const float *bias, int64_t rows, int64_t n);
/* out (n) += sum over rows of x (rows, n); each column summed in row order in double, so the result
 * does not depend on the thread count. */
void ak_cpu_sum_rows(float *out, const float *x, int64_t rows, int64_t n);

#endif
