/* CPU matrix products; see matmul.h. */
#include "core/cpu/matmul.h"

#include <cblas.h>

void ak_cpu_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                 const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    if (m == 0 || n == 0)
        return;
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n,
                (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

void ak_cpu_add_row_bias(float *y, const float *bias, int64_t rows, int64_t n) {
#pragma omp parallel for schedule(static) if (rows * n > 32768)
    for (int64_t r = 0; r < rows; r++) {
        float *row = y + r * n;
        for (int64_t j = 0; j < n; j++)
            row[j] += bias[j];
    }
}

/* Columns are processed in fixed blocks; a block's sums run over the rows in order. */
#define SUM_BLOCK 64

void ak_cpu_sum_rows(float *out, const float *x, int64_t rows, int64_t n) {
    const int64_t nblocks = (n + SUM_BLOCK - 1) / SUM_BLOCK;
#pragma omp parallel for schedule(static) if (rows * n > 32768)
    for (int64_t blk = 0; blk < nblocks; blk++) {
        const int64_t j0 = blk * SUM_BLOCK, j1 = j0 + SUM_BLOCK < n ? j0 + SUM_BLOCK : n;
        double acc[SUM_BLOCK] = {0};
        for (int64_t r = 0; r < rows; r++) {
            const float *row = x + r * n;
            for (int64_t j = j0; j < j1; j++)
                acc[j - j0] += row[j];
        }
        for (int64_t j = j0; j < j1; j++)
            out[j] += (float)acc[j - j0];
    }
}
