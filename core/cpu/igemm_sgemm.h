/* Row-major single-precision GEMM on our AVX-512 kernel (core/cpu/igemm_kernel.h), used where the
 * convolution needs a plain product (the data gradient of strided convolutions, before col2im).
 *
 *   C (m x n, row stride ldc) (=|+=) op(A) (m x k) * B (k x n, row stride ldb)
 * op(A) = A (stored m x k, row stride lda) or, with ta, A^T (A stored k x m, row stride lda).
 * op(A) is packed into k-major blocks of 8 rows (igemm_kernel.h, pack_kmajor_blocks for A^T).
 * Parallel over 384-column blocks of C (and row groups when there are few columns); each element
 * is one FMA chain over k in ascending order,
 * so the result is bitwise identical for any thread count. Only valid when
 * ak_cpu_conv2d_igemm_supported(); call it outside any OpenMP parallel region.
 * Workspace: ak_cpu_igemm_sgemm_ws_floats(m, k, nthreads) floats.
 */
#ifndef AK_CPU_IGEMM_SGEMM_H
#define AK_CPU_IGEMM_SGEMM_H

#include <stdbool.h>
#include <stdint.h>

int64_t ak_cpu_igemm_sgemm_ws_floats(int64_t m, int64_t k, int nthreads);
void ak_cpu_igemm_sgemm(bool ta, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                        int64_t ldb, float *c, int64_t ldc, bool accumulate, float *ws, int nthreads);

/* The same in two steps, for an A reused over many products: pack op(A) once into
 * ak_cpu_igemm_packed_a_floats(m, k) floats, then multiply with a workspace of
 * ak_cpu_igemm_sgemm_packed_ws_floats(nthreads) floats per call. */
int64_t ak_cpu_igemm_packed_a_floats(int64_t m, int64_t k);
void ak_cpu_igemm_pack_a(float *ap, bool ta, int64_t m, int64_t k, const float *a, int64_t lda, int nthreads);
int64_t ak_cpu_igemm_sgemm_packed_ws_floats(int nthreads);
/* Rows [m_lo, m_hi) of that product (m_lo a multiple of 8) on the calling thread, for callers that
 * share the rows out themselves; bp: ak_cpu_igemm_sgemm_packed_ws_floats(1) floats. Each element
 * is the same FMA chain as in ak_cpu_igemm_sgemm_packed. */
void ak_cpu_igemm_sgemm_packed_rows(int64_t m_lo, int64_t m_hi, int64_t n, int64_t k, const float *ap,
                                    const float *b, int64_t ldb, float *c, int64_t ldc, bool accumulate, float *bp);
void ak_cpu_igemm_sgemm_packed(int64_t m, int64_t n, int64_t k, const float *ap, const float *b, int64_t ldb, float *c,
                               int64_t ldc, bool accumulate, float *ws, int nthreads);

#endif
