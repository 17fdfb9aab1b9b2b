/* Implicit-GEMM convolution on AVX-512; see conv2d_igemm.h.
 *
 * Blocking (per task = one image, NC output columns):
 *   for each group, for each KC block of the reduction dimension:
 *     pack the KC x NC block of im2col(x) into 48-column panels (kc x 48, contiguous)
 *     for each panel (stays in L1: KC*48*4 = 24 KiB), for each 8-row block of W (packed once per call, k-major):
 *       C (8 x 48, registers: 24 zmm accumulators) = init + sum_k A[:, k] B[k, :]
 * The C block is initialised from zero, the bias, or y itself (later K blocks and accumulate mode),
 * so the FMA sequence of an output element does not depend on KC, NC or the thread count.
 * The build is generic x86-64 (-O2, no -march): these functions carry a target attribute and are
 * only called after ak_cpu_conv2d_igemm_supported() said yes.
 */
#include "core/cpu/conv2d_igemm.h"

#include "core/cpu/conv2d_pack.h"

#include <omp.h>
#include <string.h>

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

/* ap[k*MR + r] = w[r*kg + k] for r < rows (at most MR), 0 for the padding rows. */
static void pack_a(float *ap, const float *w, int64_t kg, int64_t rows) {
    if (rows > MR)
        rows = MR;
    for (int64_t k = 0; k < kg; k++)
        for (int64_t r = 0; r < MR; r++)
            ap[k * MR + r] = r < rows ? w[r * kg + k] : 0.0f;
}

int64_t ak_cpu_conv2d_igemm_ws_floats(const ak_conv2d_geom *g, int nthreads) {
    return packed_a_floats(g) + (int64_t)(nthreads > 0 ? nthreads : 1) * KC * NC;
}

#ifdef AK_IGEMM_X86

/* dst (kc x NR): rows k0..k0+kc of group-local im2col (channels from c0), output columns
 * pa..pa+NR (zero at and beyond pend). A row that is one run of valid input (the interior of
 * wide images) is a plain vector copy; otherwise the row is zeroed and the valid runs copied. */
AK_AVX512 static void pack_panel(float *dst, const float *x, const ak_conv2d_geom *g, int64_t c0, int64_t k0,
                                 int64_t kc, int64_t pa, int64_t pend) {
    ak_conv2d_seg segs[NR];
    const int64_t n = pend - pa < NR ? pend - pa : NR, khw = g->kh * g->kw, kw = g->kw, sw = g->sw;
    const int ns = ak_cpu_conv2d_segments(g, pa, n, segs);
    int64_t c = c0 + k0 / khw, i = (k0 % khw) / kw, j = k0 % kw, lo = 0, hi = 0, jlast = -1;
    for (int64_t kk = 0; kk < kc; kk++, dst += NR) {
        const int64_t off = j * g->dw - g->pw;
        if (j != jlast) {
            ak_cpu_conv2d_valid_cols(off, sw, g->w, g->wo, &lo, &hi);
            jlast = j;
        }
        const float *plane = x + c * g->h * g->w;
        const int64_t ih_full = segs[0].oh * g->sh - g->ph + i * g->dh;
        if (ns == 1 && n == NR && ih_full >= 0 && ih_full < g->h && segs[0].ow >= lo && segs[0].ow + NR <= hi) {
            copy_run(dst, plane + ih_full * g->w + (segs[0].ow * sw + off), NR, sw);
        } else {
            const __m512 z = _mm512_setzero_ps();
            _mm512_storeu_ps(dst, z), _mm512_storeu_ps(dst + 16, z), _mm512_storeu_ps(dst + 32, z);
            for (int sgi = 0; sgi < ns; sgi++) {
                const int64_t ih = segs[sgi].oh * g->sh - g->ph + i * g->dh;
                const int64_t o0 = segs[sgi].ow, o1 = o0 + segs[sgi].len;
                const int64_t a = o0 > lo ? o0 : lo, b = o1 < hi ? o1 : hi;
                if (ih >= 0 && ih < g->h && b > a)
                    copy_run(dst + segs[sgi].q + (a - o0), plane + ih * g->w + (a * sw + off), b - a, sw);
            }
        }
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
            for (int64_t np = 0; np < npan; np++) {
                const int64_t pa = p0 + np * NR, valid = p1 - pa;
                const __mmask16 m0 = lane_mask(valid), m1 = lane_mask(valid - 16), m2 = lane_mask(valid - 32);
                const float *bpan = bp + np * kc * NR;
                for (int64_t m = 0; m < og; m += MR) {
                    const int rows = (int)(og - m < MR ? og - m : MR);
                    kern_8x48(kc, apg + (m * kg + k0 * MR), bpan, yg + m * P + pa, P, rows, m0, m1, m2, init,
                              bg ? bg + m : NULL);
                }
            }
        }
    }
}

void ak_cpu_conv2d_igemm_fwd(float *y, const float *x, const float *w, const float *b, const ak_conv2d_geom *g,
                             bool accumulate, float *ws, int nthreads) {
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
            pack_a(ap + t * MR * kg, w + (t / nmb * og + t % nmb * MR) * kg, kg, og - t % nmb * MR);
        float *bp = bps + (int64_t)omp_get_thread_num() * KC * NC;
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntasks; t++) {
            const int64_t n = t / per_img, p0 = (t % per_img) * NC, p1 = p0 + NC < P ? p0 + NC : P;
            run_task(y + n * out_sz, x + n * in_sz, ap, b, g, p0, p1, accumulate, bp);
        }
    }
}

#else /* no x86-64 GCC/Clang: never called (ak_cpu_conv2d_igemm_supported() is false) */

void ak_cpu_conv2d_igemm_fwd(float *y, const float *x, const float *w, const float *b, const ak_conv2d_geom *g,
                             bool accumulate, float *ws, int nthreads) {
    (void)y, (void)x, (void)w, (void)b, (void)g, (void)accumulate, (void)ws, (void)nthreads;
}

#endif
