/* Weight gradient of a convolution on the AVX-512 kernel; see conv2d_igemm.h.
 *
 *   dW_g (Og x Kg) += sum over images n of dY_g[n] (Og x P) * col_n^T (P x Kg)
 * is a GEMM whose reduction runs over the output positions. Both operands are stored with the
 * reduction dimension contiguous (dY rows, rows of the implicit im2col matrix), so each chunk of
 * RC positions is transposed into the kernel's packed layouts with 16x16 AVX-512 transposes:
 *   A = dY rows   -> 8-row blocks, k-major     (a[p*8 + r])
 *   B = im2col    -> 48-column panels          (b[p*48 + j]), rows filled from x as in the forward
 * and the 8 x 48 kernel accumulates straight into dW (C loaded, FMAs over the chunk, stored).
 *
 * A task owns a block of dW (all rows of a group up to MB, NB columns) and walks the images and
 * chunks in order, so each dW element is one fixed FMA chain: the result is bitwise identical for
 * any thread count and task order.
 */
#include "core/cpu/conv2d_igemm.h"

#include <omp.h>
#include <string.h>

#include "core/cpu/igemm_kernel.h"

#define RC 256  /* output positions per chunk (the kernel's reduction block), multiple of 16 */
#define MB 256  /* dW rows per task at most (multiple of 16) */

typedef struct wplan {
    int64_t nb, mb;   /* columns (multiple of NR) and rows (multiple of 16) per task */
    int64_t nkb, nmb; /* task blocks per group */
} wplan;

static int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

static wplan make_plan(const ak_conv2d_geom *g, int nthreads) {
    const int64_t og = g->o / g->groups, kg = g->c / g->groups * g->kh * g->kw;
    wplan pl;
    pl.mb = round_up(og < MB ? og : MB, 16);
    pl.nmb = (og + pl.mb - 1) / pl.mb;
    pl.nb = 4 * NR;
    /* more, smaller tasks when the reduction dimension is short (the stem) */
    while (pl.nb > NR && g->groups * pl.nmb * ((kg + pl.nb - 1) / pl.nb) < 2 * (int64_t)nthreads)
        pl.nb -= NR;
    pl.nkb = (kg + pl.nb - 1) / pl.nb;
    return pl;
}

/* Per thread: im2col rows (nb x RC), B panels (nb x RC), A blocks (mb x RC). */
static int64_t per_thread_floats(const wplan *pl) { return (2 * pl->nb + pl->mb) * RC; }

int64_t ak_cpu_conv2d_igemm_wgrad_ws_floats(const ak_conv2d_geom *g, int nthreads) {
    const wplan pl = make_plan(g, nthreads);
    return (int64_t)(nthreads > 0 ? nthreads : 1) * per_thread_floats(&pl);
}

#ifdef AK_IGEMM_X86

/* 16x16 transpose: out[j][i] = in_i[j] for the 16 input rows in_i (NULL: a row of zeros), reading
 * the first `cols` columns (the rest as zeros), writing 16 rows of 16 (row stride ldd). */
AK_AVX512 static void transpose16(const float *const *in, int64_t cols, float *out, int64_t ldd) {
    const __mmask16 m = lane_mask(cols);
    /* written out so that the 32 values stay in registers (a loop over arrays spills) */
    __m512 r0 = in[0] ? _mm512_maskz_loadu_ps(m, in[0]) : _mm512_setzero_ps();
    __m512 r1 = in[1] ? _mm512_maskz_loadu_ps(m, in[1]) : _mm512_setzero_ps();
    __m512 r2 = in[2] ? _mm512_maskz_loadu_ps(m, in[2]) : _mm512_setzero_ps();
    __m512 r3 = in[3] ? _mm512_maskz_loadu_ps(m, in[3]) : _mm512_setzero_ps();
    __m512 r4 = in[4] ? _mm512_maskz_loadu_ps(m, in[4]) : _mm512_setzero_ps();
    __m512 r5 = in[5] ? _mm512_maskz_loadu_ps(m, in[5]) : _mm512_setzero_ps();
    __m512 r6 = in[6] ? _mm512_maskz_loadu_ps(m, in[6]) : _mm512_setzero_ps();
    __m512 r7 = in[7] ? _mm512_maskz_loadu_ps(m, in[7]) : _mm512_setzero_ps();
    __m512 r8 = in[8] ? _mm512_maskz_loadu_ps(m, in[8]) : _mm512_setzero_ps();
    __m512 r9 = in[9] ? _mm512_maskz_loadu_ps(m, in[9]) : _mm512_setzero_ps();
    __m512 r10 = in[10] ? _mm512_maskz_loadu_ps(m, in[10]) : _mm512_setzero_ps();
    __m512 r11 = in[11] ? _mm512_maskz_loadu_ps(m, in[11]) : _mm512_setzero_ps();
    __m512 r12 = in[12] ? _mm512_maskz_loadu_ps(m, in[12]) : _mm512_setzero_ps();
    __m512 r13 = in[13] ? _mm512_maskz_loadu_ps(m, in[13]) : _mm512_setzero_ps();
    __m512 r14 = in[14] ? _mm512_maskz_loadu_ps(m, in[14]) : _mm512_setzero_ps();
    __m512 r15 = in[15] ? _mm512_maskz_loadu_ps(m, in[15]) : _mm512_setzero_ps();
    __m512 t0 = _mm512_unpacklo_ps(r0, r1), t1 = _mm512_unpackhi_ps(r0, r1);
    __m512 t2 = _mm512_unpacklo_ps(r2, r3), t3 = _mm512_unpackhi_ps(r2, r3);
    __m512 t4 = _mm512_unpacklo_ps(r4, r5), t5 = _mm512_unpackhi_ps(r4, r5);
    __m512 t6 = _mm512_unpacklo_ps(r6, r7), t7 = _mm512_unpackhi_ps(r6, r7);
    __m512 t8 = _mm512_unpacklo_ps(r8, r9), t9 = _mm512_unpackhi_ps(r8, r9);
    __m512 t10 = _mm512_unpacklo_ps(r10, r11), t11 = _mm512_unpackhi_ps(r10, r11);
    __m512 t12 = _mm512_unpacklo_ps(r12, r13), t13 = _mm512_unpackhi_ps(r12, r13);
    __m512 t14 = _mm512_unpacklo_ps(r14, r15), t15 = _mm512_unpackhi_ps(r14, r15);
    r0 = _mm512_shuffle_ps(t0, t2, 0x44), r1 = _mm512_shuffle_ps(t0, t2, 0xEE);
    r2 = _mm512_shuffle_ps(t1, t3, 0x44), r3 = _mm512_shuffle_ps(t1, t3, 0xEE);
    r4 = _mm512_shuffle_ps(t4, t6, 0x44), r5 = _mm512_shuffle_ps(t4, t6, 0xEE);
    r6 = _mm512_shuffle_ps(t5, t7, 0x44), r7 = _mm512_shuffle_ps(t5, t7, 0xEE);
    r8 = _mm512_shuffle_ps(t8, t10, 0x44), r9 = _mm512_shuffle_ps(t8, t10, 0xEE);
    r10 = _mm512_shuffle_ps(t9, t11, 0x44), r11 = _mm512_shuffle_ps(t9, t11, 0xEE);
    r12 = _mm512_shuffle_ps(t12, t14, 0x44), r13 = _mm512_shuffle_ps(t12, t14, 0xEE);
    r14 = _mm512_shuffle_ps(t13, t15, 0x44), r15 = _mm512_shuffle_ps(t13, t15, 0xEE);
    t0 = _mm512_shuffle_f32x4(r0, r4, 0x88), t4 = _mm512_shuffle_f32x4(r0, r4, 0xDD);
    t8 = _mm512_shuffle_f32x4(r8, r12, 0x88), t12 = _mm512_shuffle_f32x4(r8, r12, 0xDD);
    t1 = _mm512_shuffle_f32x4(r1, r5, 0x88), t5 = _mm512_shuffle_f32x4(r1, r5, 0xDD);
    t9 = _mm512_shuffle_f32x4(r9, r13, 0x88), t13 = _mm512_shuffle_f32x4(r9, r13, 0xDD);
    t2 = _mm512_shuffle_f32x4(r2, r6, 0x88), t6 = _mm512_shuffle_f32x4(r2, r6, 0xDD);
    t10 = _mm512_shuffle_f32x4(r10, r14, 0x88), t14 = _mm512_shuffle_f32x4(r10, r14, 0xDD);
    t3 = _mm512_shuffle_f32x4(r3, r7, 0x88), t7 = _mm512_shuffle_f32x4(r3, r7, 0xDD);
    t11 = _mm512_shuffle_f32x4(r11, r15, 0x88), t15 = _mm512_shuffle_f32x4(r11, r15, 0xDD);
    r0 = _mm512_shuffle_f32x4(t0, t8, 0x88), r8 = _mm512_shuffle_f32x4(t0, t8, 0xDD);
    r4 = _mm512_shuffle_f32x4(t4, t12, 0x88), r12 = _mm512_shuffle_f32x4(t4, t12, 0xDD);
    r1 = _mm512_shuffle_f32x4(t1, t9, 0x88), r9 = _mm512_shuffle_f32x4(t1, t9, 0xDD);
    r5 = _mm512_shuffle_f32x4(t5, t13, 0x88), r13 = _mm512_shuffle_f32x4(t5, t13, 0xDD);
    r2 = _mm512_shuffle_f32x4(t2, t10, 0x88), r10 = _mm512_shuffle_f32x4(t2, t10, 0xDD);
    r6 = _mm512_shuffle_f32x4(t6, t14, 0x88), r14 = _mm512_shuffle_f32x4(t6, t14, 0xDD);
    r3 = _mm512_shuffle_f32x4(t3, t11, 0x88), r11 = _mm512_shuffle_f32x4(t3, t11, 0xDD);
    r7 = _mm512_shuffle_f32x4(t7, t15, 0x88), r15 = _mm512_shuffle_f32x4(t7, t15, 0xDD);
    _mm512_storeu_ps(out + 0 * ldd, r0);
    _mm512_storeu_ps(out + 1 * ldd, r1);
    _mm512_storeu_ps(out + 2 * ldd, r2);
    _mm512_storeu_ps(out + 3 * ldd, r3);
    _mm512_storeu_ps(out + 4 * ldd, r4);
    _mm512_storeu_ps(out + 5 * ldd, r5);
    _mm512_storeu_ps(out + 6 * ldd, r6);
    _mm512_storeu_ps(out + 7 * ldd, r7);
    _mm512_storeu_ps(out + 8 * ldd, r8);
    _mm512_storeu_ps(out + 9 * ldd, r9);
    _mm512_storeu_ps(out + 10 * ldd, r10);
    _mm512_storeu_ps(out + 11 * ldd, r11);
    _mm512_storeu_ps(out + 12 * ldd, r12);
    _mm512_storeu_ps(out + 13 * ldd, r13);
    _mm512_storeu_ps(out + 14 * ldd, r14);
    _mm512_storeu_ps(out + 15 * ldd, r15);
}

/* A blocks for rows [0, rows) of dY (row stride P, chunk start included in dy): ap holds
 * ceil(rows/8) blocks of RC x 8 (k-major); rows beyond `rows` and positions beyond kc are zero. */
AK_AVX512 static void pack_dy(float *ap, const float *dy, int64_t P, int64_t rows, int64_t kc) {
    for (int64_t m0 = 0; m0 < rows; m0 += 16) {
        const float *in[16];
        float blk[16 * 16];
        float *b0 = ap + m0 * RC, *b1 = b0 + 8 * RC;
        for (int64_t pb = 0; pb < kc; pb += 16) {
            for (int i = 0; i < 16; i++)
                in[i] = m0 + i < rows ? dy + (m0 + i) * P + pb : NULL;
            transpose16(in, kc - pb, blk, 16);
            for (int j = 0; j < 16; j++) {
                _mm256_storeu_ps(b0 + (pb + j) * 8, _mm256_loadu_ps(blk + j * 16));
                if (m0 + 8 < rows)
                    _mm256_storeu_ps(b1 + (pb + j) * 8, _mm256_loadu_ps(blk + j * 16 + 8));
            }
        }
    }
}

/* One task: dW rows [o0, o0+on) x columns [k0, k0+kn) of group gi. */
AK_AVX512 static void run_wtask(float *dw, const float *dy, const float *x, const ak_conv2d_geom *g, int64_t gi,
                                int64_t k0, int64_t kn, int64_t o0, int64_t on, float *buf, const wplan *pl) {
    const int64_t cg = g->c / g->groups, og = g->o / g->groups, kg = cg * g->kh * g->kw, khw = g->kh * g->kw;
    const int64_t P = g->ho * g->wo, in_sz = g->c * g->h * g->w, out_sz = g->o * P;
    const int64_t npan = (kn + NR - 1) / NR;
    float *rows = buf, *bp = rows + pl->nb * RC, *ap = bp + pl->nb * RC;
    ak_conv2d_seg segs[RC];
    int64_t lo[AK_MAX_KW], hi[AK_MAX_KW];
    valid_cols_all(g, lo, hi);
    for (int64_t n = 0; n < g->n; n++) {
        const float *xn = x + n * in_sz, *dyn = dy + n * out_sz + (gi * og + o0) * P;
        for (int64_t pa = 0; pa < P; pa += RC) {
            const int64_t kc = P - pa < RC ? P - pa : RC;
            /* B: im2col rows k0..k0+kn over positions pa..pa+kc (zero beyond), transposed into panels */
            const int ns = ak_cpu_conv2d_segments(g, pa, kc, segs);
            int64_t c = gi * cg + k0 / khw, i = (k0 % khw) / g->kw, j = k0 % g->kw;
            for (int64_t kk = 0; kk < npan * NR; kk++) {
                float *d = rows + kk * RC;
                if (kk >= kn) {
                    memset(d, 0, RC * sizeof *d);
                    continue;
                }
                int64_t l, h;
                if (j < AK_MAX_KW)
                    l = lo[j], h = hi[j];
                else
                    ak_cpu_conv2d_valid_cols(j * g->dw - g->pw, g->sw, g->w, g->wo, &l, &h);
                fill_row_v(d, RC, xn, g, c, i, j * g->dw - g->pw, l, h, segs, ns, kc);
                if (++j == g->kw) {
                    j = 0;
                    if (++i == g->kh)
                        i = 0, c++;
                }
            }
            for (int64_t np = 0; np < npan; np++)
                for (int64_t c16 = 0; c16 < NR; c16 += 16)
                    for (int64_t pb = 0; pb < kc; pb += 16) {
                        const float *in[16];
                        for (int r = 0; r < 16; r++)
                            in[r] = rows + (np * NR + c16 + r) * RC + pb;
                        transpose16(in, 16, bp + np * RC * NR + pb * NR + c16, NR);
                    }
            /* A: this task's dY rows over the chunk */
            pack_dy(ap, dyn + pa, P, on, kc);
            for (int64_t np = 0; np < npan; np++) {
                const int64_t valid = kn - np * NR;
                const __mmask16 m0 = lane_mask(valid), m1 = lane_mask(valid - 16), m2 = lane_mask(valid - 32);
                for (int64_t m = 0; m < on; m += MR) {
                    const int nrows = (int)(on - m < MR ? on - m : MR);
                    kern_8x48(kc, ap + m * RC, bp + np * RC * NR, dw + (gi * og + o0 + m) * kg + k0 + np * NR, kg,
                              nrows, m0, m1, m2, INIT_LOAD, NULL);
                }
            }
        }
    }
}

void ak_cpu_conv2d_igemm_wgrad(float *dw, const float *dy, const float *x, const ak_conv2d_geom *g, float *ws,
                               int nthreads) {
    if (nthreads < 1)
        nthreads = 1;
    const wplan pl = make_plan(g, nthreads);
    const int64_t og = g->o / g->groups, kg = g->c / g->groups * g->kh * g->kw;
    const int64_t ntasks = g->groups * pl.nkb * pl.nmb, per_thread = per_thread_floats(&pl);
#pragma omp parallel num_threads(nthreads) if (ntasks > 1)
    {
        float *buf = ws + (int64_t)omp_get_thread_num() * per_thread;
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntasks; t++) {
            const int64_t gi = t / (pl.nkb * pl.nmb), kb = (t / pl.nmb) % pl.nkb, mb = t % pl.nmb;
            const int64_t k0 = kb * pl.nb, o0 = mb * pl.mb;
            const int64_t kn = kg - k0 < pl.nb ? kg - k0 : pl.nb, on = og - o0 < pl.mb ? og - o0 : pl.mb;
            run_wtask(dw, dy, x, g, gi, k0, kn, o0, on, buf, &pl);
        }
    }
}

#else /* no x86-64 GCC/Clang: never called (ak_cpu_conv2d_igemm_supported() is false) */

void ak_cpu_conv2d_igemm_wgrad(float *dw, const float *dy, const float *x, const ak_conv2d_geom *g, float *ws,
                               int nthreads) {
    (void)dw, (void)dy, (void)x, (void)g, (void)ws, (void)nthreads;
}

#endif
