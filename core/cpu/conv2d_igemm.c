/* Implicit-GEMM convolution on AVX-512; see conv2d_igemm.h.
 *
 * Blocking (per task = one image, NC output columns):
 *   for each group, for each KC block of the reduction dimension:
 *     pack the KC x NC block of im2col(x) into 48-column panels (kc x 48, contiguous)
 *     for each 8-row block of W (packed once per call, k-major), for each panel (KC x 48):
 *       C (8 x 48, 24 zmm accumulators) = init + sum_k A[:, k] B[k, :]
 * (KC = 384 measured best among 128..768: fewer reloads of C outweigh the panels spilling to L2;
 * row blocks outer so that each output row is swept once per K block, which matters when C is
 * large and read back, as in the data gradient of pointwise convolutions.)
 * The C block is initialised from zero, the bias, or y itself (later K blocks and accumulate mode),
 * so the FMA sequence of an output element does not depend on KC, NC or the thread count.
 * The build is generic x86-64 (-O2, no -march): these functions carry a target attribute and are
 * only called after ak_cpu_conv2d_igemm_supported() said yes.
 */
#include "core/cpu/conv2d_igemm.h"

#include <omp.h>

#include "core/cpu/conv2d_pack.h"
#include "core/cpu/igemm_kernel.h"

bool ak_cpu_conv2d_igemm_supported(void) {
#ifdef AK_IGEMM_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
#else
    return false;
#endif
}

/* W packed in blocks of MR rows, k-major, zero rows padding the last block of each group. */
static int64_t packed_a_floats(const ak_conv2d_geom *g) {
    const int64_t og = g->o / g->groups, kg = g->c / g->groups * g->kh * g->kw;
    return g->groups * ((og + MR - 1) / MR) * MR * kg;
}

/* Block (gi, m0) of packed A: ap[k*MR + r] = A[gi*og + m0 + r][k], 0 for rows beyond the group.
 * src == NULL: A = w, the weight of g. Otherwise g is the data-gradient geometry of the forward
 * convolution src and A is src's weight flipped in space and transposed in channels:
 * A[gi*Cg + c][(o*kh + i)*kw + j] = w[gi*Og + o][c][kh-1-i][kw-1-j] (Cg, Og: src's). */
static void pack_a(float *ap, const float *w, const ak_conv2d_geom *g, const ak_conv2d_geom *src, int64_t gi,
                   int64_t m0) {
    const int64_t og = g->o / g->groups, kg = g->c / g->groups * g->kh * g->kw;
    const int64_t rows = og - m0 < MR ? og - m0 : MR;
    if (!src) {
        const float *wb = w + (gi * og + m0) * kg;
        for (int64_t k = 0; k < kg; k++)
            for (int64_t r = 0; r < MR; r++)
                ap[k * MR + r] = r < rows ? wb[r * kg + k] : 0.0f;
        return;
    }
    const int64_t khw = g->kh * g->kw, ocnt = g->c / g->groups, cg_src = og; /* og here = src's Cg */
    for (int64_t o = 0; o < ocnt; o++) {
        const float *wo = w + ((gi * ocnt + o) * cg_src + m0) * khw;
        for (int64_t q = 0; q < khw; q++, ap += MR)
            for (int64_t r = 0; r < MR; r++)
                ap[r] = r < rows ? wo[r * khw + (khw - 1 - q)] : 0.0f;
    }
}

int64_t ak_cpu_conv2d_igemm_ws_floats(const ak_conv2d_geom *g, int nthreads) {
    return packed_a_floats(g) + (int64_t)(nthreads > 0 ? nthreads : 1) * KC * NC;
}

#ifdef AK_IGEMM_X86

/* dst (kc x NR): rows k0..k0+kc of group-local im2col (channels from c0), output columns
 * pa..pa+NR (zero at and beyond pend). Pointwise convolutions copy input rows directly. */
AK_AVX512 static void pack_panel(float *dst, const float *x, const ak_conv2d_geom *g, int64_t c0, int64_t k0,
                                 int64_t kc, int64_t pa, int64_t pend) {
    const int64_t n = pend - pa < NR ? pend - pa : NR, khw = g->kh * g->kw, kw = g->kw;
    if (ak_cpu_conv2d_is_pointwise(g)) {
        const int64_t P = g->h * g->w;
        for (int64_t kk = 0; kk < kc; kk++, dst += NR) {
            if (n < NR)
                for (int64_t t = 0; t < NR; t += 16)
                    _mm512_storeu_ps(dst + t, _mm512_setzero_ps());
            copy_run(dst, x + (c0 + k0 + kk) * P + pa, n, 1);
        }
        return;
    }
    ak_conv2d_seg segs[NR];
    const int ns = ak_cpu_conv2d_segments(g, pa, n, segs);
    int64_t lo[AK_MAX_KW], hi[AK_MAX_KW];
    valid_cols_all(g, lo, hi);
    int64_t c = c0 + k0 / khw, i = (k0 % khw) / kw, j = k0 % kw;
    for (int64_t kk = 0; kk < kc; kk++, dst += NR) {
        int64_t l, h;
        if (j < AK_MAX_KW)
            l = lo[j], h = hi[j];
        else
            ak_cpu_conv2d_valid_cols(j * g->dw - g->pw, g->sw, g->w, g->wo, &l, &h);
        fill_row_v(dst, NR, x, g, c, i, j * g->dw - g->pw, l, h, segs, ns, n);
        if (++j == kw) {
            j = 0;
            if (++i == g->kh)
                i = 0, c++;
        }
    }
}

/* One task: output columns [p0, p1) of one image, all groups and output channels; ap is W packed
 * by pack_a. */
AK_AVX512 static void run_task(float *y, const float *x, const float *ap, const float *bias, const ak_conv2d_geom *g,
                               int64_t p0, int64_t p1, bool accumulate, float *bp) {
    const int64_t G = g->groups, cg = g->c / G, og = g->o / G, kg = cg * g->kh * g->kw, P = g->ho * g->wo;
    const int64_t npan = (p1 - p0 + NR - 1) / NR, nmb = (og + MR - 1) / MR;
    for (int64_t gi = 0; gi < G; gi++) {
        const float *apg = ap + gi * nmb * MR * kg, *bg = bias ? bias + gi * og : NULL;
        float *yg = y + gi * og * P;
        for (int64_t k0 = 0; k0 < kg; k0 += KC) {
            const int64_t kc = kg - k0 < KC ? kg - k0 : KC;
            for (int64_t np = 0; np < npan; np++)
                pack_panel(bp + np * kc * NR, x, g, gi * cg, k0, kc, p0 + np * NR, p1);
            int init = (k0 > 0 || accumulate) ? INIT_LOAD : INIT_ZERO;
            if (k0 == 0 && bg)
                init = accumulate ? INIT_LOAD_BIAS : INIT_BIAS;
            for (int64_t m = 0; m < og; m += MR) {
                const int rows = (int)(og - m < MR ? og - m : MR);
                for (int64_t np = 0; np < npan; np++) {
                    const int64_t pa = p0 + np * NR;
                    kern_8xn(p1 - pa, kc, apg + (m * kg + k0 * MR), bp + np * kc * NR, yg + m * P + pa, P, rows,
                             init, bg ? bg + m : NULL);
                }
            }
        }
    }
}

static void igemm_run(float *y, const float *x, const float *w, const float *b, const ak_conv2d_geom *g,
                      const ak_conv2d_geom *src, bool accumulate, float *ws, int nthreads) {
    const int64_t P = g->ho * g->wo, per_img = (P + NC - 1) / NC, ntasks = g->n * per_img;
    const int64_t in_sz = g->c * g->h * g->w, out_sz = g->o * P;
    const int64_t og = g->o / g->groups, kg = g->c / g->groups * g->kh * g->kw, nmb = (og + MR - 1) / MR;
    if (nthreads < 1)
        nthreads = 1;
    float *ap = ws, *bps = ws + packed_a_floats(g);
#pragma omp parallel num_threads(nthreads) if (ntasks > 1)
    {
#pragma omp for schedule(static)
        for (int64_t t = 0; t < g->groups * nmb; t++)
            pack_a(ap + t * MR * kg, w, g, src, t / nmb, t % nmb * MR);
        float *bp = bps + (int64_t)omp_get_thread_num() * KC * NC;
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntasks; t++) {
            const int64_t n = t / per_img, p0 = (t % per_img) * NC, p1 = p0 + NC < P ? p0 + NC : P;
            run_task(y + n * out_sz, x + n * in_sz, ap, b, g, p0, p1, accumulate, bp);
        }
    }
}

void ak_cpu_conv2d_igemm_fwd(float *y, const float *x, const float *w, const float *b, const ak_conv2d_geom *g,
                             bool accumulate, float *ws, int nthreads) {
    igemm_run(y, x, w, b, g, NULL, accumulate, ws, nthreads);
}

void ak_cpu_conv2d_igemm_fwd_flipped(float *y, const float *x, const float *w_src, const ak_conv2d_geom *g,
                                     const ak_conv2d_geom *src, float *ws, int nthreads) {
    igemm_run(y, x, w_src, NULL, g, src, true, ws, nthreads);
}

#else /* no x86-64 GCC/Clang: never called (ak_cpu_conv2d_igemm_supported() is false) */

void ak_cpu_conv2d_igemm_fwd(float *y, const float *x, const float *w, const float *b, const ak_conv2d_geom *g,
                             bool accumulate, float *ws, int nthreads) {
    (void)y, (void)x, (void)w, (void)b, (void)g, (void)accumulate, (void)ws, (void)nthreads;
    (void)pack_a;
}
void ak_cpu_conv2d_igemm_fwd_flipped(float *y, const float *x, const float *w_src, const ak_conv2d_geom *g,
                                     const ak_conv2d_geom *src, float *ws, int nthreads) {
    (void)y, (void)x, (void)w_src, (void)g, (void)src, (void)ws, (void)nthreads;
}

#endif
