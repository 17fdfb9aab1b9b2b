/* Implicit-GEMM convolution on AVX-512; see conv2d_igemm.h.
 *
 * Blocking (per task = one image, up to NC output columns):
 *   for each group, for each block of the reduction dimension (kblock: <= KC, equal sizes):
 *     pack the kc x n block of im2col(x) as a row-major tile (row stride n rounded up to 16; each
 *       im2col row is written in one pass over its output-row segments)
 *     for each 8-row block of A, for each 48-column panel of the tile:
 *       C (8 x 48, 24 zmm accumulators) = init + sum_k A[:, k] B[k, :]
 * A is read in place through a table of offsets (igemm_kernel.h, ak_arows): the forward reads the
 * weight rows, the data gradient of a stride-1 convolution the weight flipped in space and
 * transposed in channels (packed once per call instead for 1x1 kernels and when many tasks read
 * it: flipped_packed). The 8 x kc slice of A stays in L1 while the panels stream from L2.
 * (Blocks of 384-512 measured best among 128..768: fewer reloads of C outweigh the tile spilling
 * to L2; row blocks outer so that each output row is swept once per K block, which matters when C
 * is large and read back, as in the data gradient of pointwise convolutions.)
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

int64_t ak_cpu_conv2d_igemm_ws_floats(const ak_conv2d_geom *g, int nthreads) {
    (void)g;
    return (int64_t)(nthreads > 0 ? nthreads : 1) * KC * (NC + 16);
}

/* The flipped weight is packed (k-major blocks of MR rows) for 1x1 kernels, where A = W^T read in
 * place would cost a cache line per k, and when many tasks read it (each task reads all of A; the
 * packed blocks are contiguous). With few tasks (small images) the packing pass costs more than
 * it saves: 3x3 data gradient at 64x64, 22 tasks: packed 7 % faster; at 16x16, 2 tasks: 12 %
 * slower (2 threads). */
static bool flipped_packed(const ak_conv2d_geom *g) {
    return g->kh * g->kw == 1 || g->n * ((g->ho * g->wo + NC - 1) / NC) >= 8;
}

static int64_t flipped_packed_floats(const ak_conv2d_geom *g) {
    const int64_t og = g->o / g->groups, kg = g->c / g->groups * g->kh * g->kw;
    return flipped_packed(g) ? g->groups * ((og + MR - 1) / MR * MR) * kg : 0;
}

int64_t ak_cpu_conv2d_igemm_flipped_ws_floats(const ak_conv2d_geom *g, int nthreads) {
    return flipped_packed_floats(g) + ak_cpu_conv2d_igemm_ws_floats(g, nthreads);
}

#ifdef AK_IGEMM_X86

/* Column offsets off[kk] of A for k = k0 + kk, kk < kc, within a row of the A view of arows_for.
 * src == NULL: A = w (row-major, off = k). Otherwise g is the data-gradient geometry of the
 * forward convolution src and A is src's weight flipped in space and transposed in channels:
 * A[gi*Cg + c][(o*kh + i)*kw + j] = w[gi*Og + o][c][kh-1-i][kw-1-j] (Cg, Og: src's), i.e. row c
 * starts at w + (gi*Og*Cg + c)*khw and k = o*khw + q is at o*Cg*khw + khw-1-q. */
static void a_offsets(int32_t *off, const ak_conv2d_geom *g, const ak_conv2d_geom *src, const float *ap, int64_t k0,
                      int64_t kc) {
    if (ap) { /* packed blocks */
        for (int64_t kk = 0; kk < kc; kk++)
            off[kk] = (int32_t)((k0 + kk) * MR);
        return;
    }
    if (!src) {
        for (int64_t kk = 0; kk < kc; kk++)
            off[kk] = (int32_t)(k0 + kk);
        return;
    }
    const int64_t khw = g->kh * g->kw, row_len = (g->o / g->groups) * khw; /* g's rows per group = src's Cg */
    int64_t o = k0 / khw, q = k0 % khw;
    for (int64_t kk = 0; kk < kc; kk++) {
        off[kk] = (int32_t)(o * row_len + khw - 1 - q);
        if (++q == khw)
            q = 0, o++;
    }
}

/* The A view of rows [m, m + rows) of group gi (see a_offsets); ap: the packed flipped weight or NULL. */
static ak_arows arows_for(const float *w, const ak_conv2d_geom *g, const ak_conv2d_geom *src, const float *ap,
                          int64_t gi, int64_t m, int rows, const int32_t *off) {
    const int64_t og = g->o / g->groups, kg = g->c / g->groups * g->kh * g->kw, khw = g->kh * g->kw;
    if (ap)
        return arows_strided(ap + (gi * ((og + MR - 1) / MR * MR) + m) * kg, 1, rows, off);
    if (!src)
        return arows_strided(w + (gi * og + m) * kg, kg, rows, off);
    const int64_t ocnt = g->c / g->groups; /* src's Og */
    return arows_strided(w + (gi * ocnt * og + m) * khw, khw, rows, off);
}

/* One task: output columns [p0, p1) of one image, all groups and output channels; w is the weight
 * (of g, or of src: see a_offsets), ap the packed flipped weight or NULL. bp: KC * (NC + 16) floats. */
AK_AVX512 static void run_task(float *y, const float *x, const float *w, const ak_conv2d_geom *src, const float *ap,
                               const float *bias, const ak_conv2d_geom *g, int64_t p0, int64_t p1, bool accumulate,
                               float *bp) {
    const int64_t G = g->groups, cg = g->c / G, og = g->o / G, kg = cg * g->kh * g->kw, P = g->ho * g->wo;
    /* tile row stride: an odd count of cache lines, so that the rows spread over the L1 sets */
    const int64_t n = p1 - p0, ldb = ((n + 15) / 16 | 1) * 16;
    ak_conv2d_seg segs[NC];
    const int ns = ak_cpu_conv2d_is_pointwise(g) ? 0 : ak_cpu_conv2d_segments(g, p0, n, segs);
    int32_t off[KC];
    for (int64_t gi = 0; gi < G; gi++) {
        const float *bg = bias ? bias + gi * og : NULL;
        float *yg = y + gi * og * P;
        const int64_t kb = kblock(kg);
        for (int64_t k0 = 0; k0 < kg; k0 += kb) {
            const int64_t kc = kg - k0 < kb ? kg - k0 : kb;
            pack_im2col_rows(bp, ldb, x, g, gi * cg, k0, kc, p0, n, segs, ns);
            a_offsets(off, g, src, ap, k0, kc);
            int init = (k0 > 0 || accumulate) ? INIT_LOAD : INIT_ZERO;
            if (k0 == 0 && bg)
                init = accumulate ? INIT_LOAD_BIAS : INIT_BIAS;
            for (int64_t m = 0; m < og; m += MR) {
                const int rows = (int)(og - m < MR ? og - m : MR);
                const ak_arows av = arows_for(w, g, src, ap, gi, m, rows, off);
                for (int64_t pa = p0; pa < p1; pa += NR)
                    kern_8xn(p1 - pa, kc, &av, bp + (pa - p0), ldb, yg + m * P + pa, P, rows, init,
                             bg ? bg + m : NULL);
            }
        }
    }
}

/* Block pair (gi, b, b+1) of the packed flipped weight: rows c = b*MR.. of group gi, k = o*khw + q
 * holding w[gi*Og + o][c][khw-1-q] (see a_offsets). */
AK_AVX512 static void pack_flipped_pair(float *ap, const float *w, const ak_conv2d_geom *g, int64_t gi, int64_t b) {
    const int64_t og = g->o / g->groups, ocnt = g->c / g->groups, khw = g->kh * g->kw, kg = ocnt * khw;
    const int64_t m0 = b * MR, rows = og - m0 < 2 * MR ? og - m0 : 2 * MR;
    float *dst = ap + (gi * ((og + MR - 1) / MR * MR) + m0) * kg;
    const float *wg = w + gi * ocnt * og * khw;
    if (khw == 1) {
        pack_kmajor_blocks(dst, wg, og, m0, rows, kg);
        return;
    }
    const int64_t nblk = (rows + MR - 1) / MR;
    for (int64_t r = 0; r < nblk * MR; r++) {
        float *d = dst + (r / MR) * MR * kg + r % MR;
        const float *wr = wg + (m0 + (r < rows ? r : 0)) * khw;
        for (int64_t o = 0; o < ocnt; o++)
            for (int64_t q = 0; q < khw; q++)
                d[(o * khw + q) * MR] = r < rows ? wr[o * og * khw + khw - 1 - q] : 0.0f;
    }
}

static void igemm_run(float *y, const float *x, const float *w, const float *b, const ak_conv2d_geom *g,
                      const ak_conv2d_geom *src, bool accumulate, float *ws, int nthreads) {
    const int64_t P = g->ho * g->wo, per_img = (P + NC - 1) / NC, ntasks = g->n * per_img;
    const int64_t in_sz = g->c * g->h * g->w, out_sz = g->o * P;
    const bool packed = src && flipped_packed(g);
    const int64_t npairs = (g->o / g->groups + 2 * MR - 1) / (2 * MR);
    float *ap = packed ? ws : NULL, *bps = ws + (packed ? flipped_packed_floats(g) : 0);
    if (nthreads < 1)
        nthreads = 1;
#pragma omp parallel num_threads(nthreads) if (ntasks > 1)
    {
        if (packed) {
#pragma omp for schedule(static)
            for (int64_t t = 0; t < g->groups * npairs; t++)
                pack_flipped_pair(ap, w, g, t / npairs, t % npairs * 2);
        }
        float *bp = bps + (int64_t)omp_get_thread_num() * KC * (NC + 16);
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntasks; t++) {
            const int64_t n = t / per_img, p0 = (t % per_img) * NC, p1 = p0 + NC < P ? p0 + NC : P;
            run_task(y + n * out_sz, x + n * in_sz, w, src, ap, b, g, p0, p1, accumulate, bp);
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
}
void ak_cpu_conv2d_igemm_fwd_flipped(float *y, const float *x, const float *w_src, const ak_conv2d_geom *g,
                                     const ak_conv2d_geom *src, float *ws, int nthreads) {
    (void)y, (void)x, (void)w_src, (void)g, (void)src, (void)ws, (void)nthreads;
}

#endif
