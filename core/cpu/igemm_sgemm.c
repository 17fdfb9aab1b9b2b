/* Plain GEMM on the AVX-512 kernel; see igemm_sgemm.h. Same blocking as the convolution
 * (conv2d_igemm.c) with the B tile copied from row-major rows instead of gathered from an image. */
#include "core/cpu/igemm_sgemm.h"

#include <omp.h>

#include "core/cpu/igemm_kernel.h"

int64_t ak_cpu_igemm_packed_a_floats(int64_t m, int64_t k) { return (m + MR - 1) / MR * MR * k; }
int64_t ak_cpu_igemm_sgemm_packed_ws_floats(int nthreads) { return (int64_t)(nthreads > 0 ? nthreads : 1) * KC * NC; }

int64_t ak_cpu_igemm_sgemm_ws_floats(int64_t m, int64_t k, int nthreads) {
    return ak_cpu_igemm_packed_a_floats(m, k) + ak_cpu_igemm_sgemm_packed_ws_floats(nthreads);
}

#ifdef AK_IGEMM_X86

/* Blocks b, b+1 (when they exist) of packed op(A): ap[(b*k + kk)*MR + r] = op(A)[b*MR + r][kk]. */
AK_AVX512 static void pack_a_pair(float *ap, bool ta, const float *a, int64_t lda, int64_t m, int64_t k, int64_t b) {
    const int64_t m0 = b * MR, rows = m - m0 < 2 * MR ? m - m0 : 2 * MR;
    float *dst = ap + b * MR * k;
    if (ta)
        pack_kmajor_blocks(dst, a, lda, m0, rows, k);
    else
        pack_rows_kmajor_blocks(dst, a, lda, m0, rows, k);
}

/* C rows [m_lo, m_hi) (multiples of MR but the end) x columns [p0, p1); bp: KC * NC floats. */
AK_AVX512 static void gemm_task(int64_t m_lo, int64_t m_hi, int64_t k, const float *ap, const float *b, int64_t ldb,
                                float *c, int64_t ldc, bool accumulate, int64_t p0, int64_t p1, float *bp) {
    const int64_t n = p1 - p0, ldt = (n + 15) / 16 * 16;
    int32_t off[KC];
    const int64_t kb = kblock(k);
    for (int64_t k0 = 0; k0 < k; k0 += kb) {
        const int64_t kc = k - k0 < kb ? k - k0 : kb;
        for (int64_t kk = 0; kk < kc; kk++) {
            copy_run(bp + kk * ldt, b + (k0 + kk) * ldb + p0, n, 1);
            zero_run(bp + kk * ldt + n, ldt - n);
            off[kk] = (int32_t)((k0 + kk) * MR);
        }
        const int init = block_init(k0 == 0, accumulate, 0);
        /* row blocks outer: each C row is then written in one sweep over the panels */
        for (int64_t mb = m_lo; mb < m_hi; mb += MR) {
            const int rows = (int)(m_hi - mb < MR ? m_hi - mb : MR);
            const ak_arows av = arows_strided(ap + mb * k, 1, rows, off);
            for (int64_t pa = p0, pw = 0; pa < p1; pa += pw) {
                pw = panel_cols(p1 - pa);
                kern_8xn(pw, kc, &av, bp + (pa - p0), ldt, c + mb * ldc + pa, ldc, rows, init, NULL);
            }
        }
    }
}

void ak_cpu_igemm_pack_a(float *ap, bool ta, int64_t m, int64_t k, const float *a, int64_t lda, int nthreads) {
    const int64_t nmb = (m + MR - 1) / MR;
#pragma omp parallel for schedule(static) num_threads(nthreads > 0 ? nthreads : 1) if (nmb > 2 && m * k > 65536)
    for (int64_t b = 0; b < nmb; b += 2)
        pack_a_pair(ap, ta, a, lda, m, k, b);
}

void ak_cpu_igemm_sgemm_packed(int64_t m, int64_t n, int64_t k, const float *ap, const float *b, int64_t ldb, float *c,
                               int64_t ldc, bool accumulate, float *ws, int nthreads) {
    if (m <= 0 || n <= 0)
        return;
    if (nthreads < 1)
        nthreads = 1;
    /* column blocks, and row groups (>= 64 rows each) when there are too few columns to share */
    const int64_t ncol = (n + NC - 1) / NC, nmb = (m + MR - 1) / MR;
    int64_t nrow = (2 * nthreads + ncol - 1) / ncol;
    if (nrow > nmb / 8)
        nrow = nmb / 8 > 1 ? nmb / 8 : 1;
    const int64_t mbs_per_group = (nmb + nrow - 1) / nrow, ntasks = ncol * nrow;
#pragma omp parallel num_threads(nthreads) if (ntasks > 1)
    {
        float *bp = ws + (int64_t)omp_get_thread_num() * KC * NC;
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntasks; t++) {
            const int64_t p0 = t / nrow * NC, p1 = p0 + NC < n ? p0 + NC : n;
            const int64_t m_lo = t % nrow * mbs_per_group * MR;
            const int64_t m_hi = m_lo + mbs_per_group * MR < m ? m_lo + mbs_per_group * MR : m;
            if (m_lo < m_hi)
                gemm_task(m_lo, m_hi, k, ap, b, ldb, c, ldc, accumulate, p0, p1, bp);
        }
    }
}

void ak_cpu_igemm_sgemm_packed_rows(int64_t m_lo, int64_t m_hi, int64_t n, int64_t k, const float *ap,
                                    const float *b, int64_t ldb, float *c, int64_t ldc, bool accumulate, float *bp) {
    for (int64_t p0 = 0; p0 < n && m_lo < m_hi; p0 += NC)
        gemm_task(m_lo, m_hi, k, ap, b, ldb, c, ldc, accumulate, p0, p0 + NC < n ? p0 + NC : n, bp);
}

void ak_cpu_igemm_sgemm(bool ta, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                        int64_t ldb, float *c, int64_t ldc, bool accumulate, float *ws, int nthreads) {
    if (m <= 0 || n <= 0)
        return;
    ak_cpu_igemm_pack_a(ws, ta, m, k, a, lda, nthreads);
    ak_cpu_igemm_sgemm_packed(m, n, k, ws, b, ldb, c, ldc, accumulate, ws + ak_cpu_igemm_packed_a_floats(m, k),
                              nthreads);
}

#else /* no x86-64 GCC/Clang: never called (ak_cpu_conv2d_igemm_supported() is false) */

void ak_cpu_igemm_pack_a(float *ap, bool ta, int64_t m, int64_t k, const float *a, int64_t lda, int nthreads) {
    (void)ap, (void)ta, (void)m, (void)k, (void)a, (void)lda, (void)nthreads;
}
void ak_cpu_igemm_sgemm_packed(int64_t m, int64_t n, int64_t k, const float *ap, const float *b, int64_t ldb, float *c,
                               int64_t ldc, bool accumulate, float *ws, int nthreads) {
    (void)m, (void)n, (void)k, (void)ap, (void)b, (void)ldb, (void)c, (void)ldc, (void)accumulate, (void)ws;
    (void)nthreads;
}
void ak_cpu_igemm_sgemm_packed_rows(int64_t m_lo, int64_t m_hi, int64_t n, int64_t k, const float *ap,
                                    const float *b, int64_t ldb, float *c, int64_t ldc, bool accumulate, float *bp) {
    (void)m_lo, (void)m_hi, (void)n, (void)k, (void)ap, (void)b, (void)ldb, (void)c, (void)ldc, (void)accumulate;
    (void)bp;
}
void ak_cpu_igemm_sgemm(bool ta, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                        int64_t ldb, float *c, int64_t ldc, bool accumulate, float *ws, int nthreads) {
    (void)ta, (void)m, (void)n, (void)k, (void)a, (void)lda, (void)b, (void)ldb, (void)c, (void)ldc;
    (void)accumulate, (void)ws, (void)nthreads;
}

#endif
