/* Data gradient of a convolution on the AVX-512 kernels; see conv2d_igemm.h.
 *
 * Stride 1: dX is the stride-1 convolution of dY with the weight flipped in space and transposed in
 *   channels, padded by dil*(k-1) - pad (when that is >= 0): the implicit-GEMM forward, accumulating
 *   into dX. No scatter, each dX element is one FMA chain.
 * Otherwise (strided): per image and tile of output rows, dcol (K x T) = W_g^T * dY_g[:, tile] with
 *   the packed GEMM (W^T packed once per call), then col2im adds dcol into dX (fixed order, per
 *   input row). The tile size depends on the geometry only. Each tile streams all of W^T, which
 *   dominates when K is large and the map small (FPN P6: 3x3/2 over 2048 channels to 8x8, K =
 *   18432, one output row per tile): then the image's dcol is computed in blocks of channels
 *   over all its positions instead (W^T streamed once per image), and col2im still adds it in the
 *   same row tiles, channel by channel, so every dX element sees the same additions in the same
 *   order (same bits as the row tiles; chan_block picks the cheaper traffic).
 *   Without groups the threads own channels (their rows of dcol, then their col2im) in one
 *   parallel region for the whole call: dcol stays in the core that made it, and no region per
 *   tile or block (threads that sleep when idle, OMP_WAIT_POLICY=PASSIVE, made those the larger
 *   cost of P6's data gradient: 0.47-0.53 of its time now).
 * Both are bitwise identical for any thread count.
 */
#include "core/cpu/conv2d_igemm.h"

#include <omp.h>

#include "core/cpu/conv2d_blas.h"
#include "core/cpu/conv2d_im2col.h"
#include "core/cpu/conv2d_winograd.h"
#include "core/cpu/igemm_kernel.h"
#include "core/cpu/igemm_sgemm.h"

static bool dgrad_as_conv(const ak_conv2d_geom *g) {
    return g->sh == 1 && g->sw == 1 && g->dh * (g->kh - 1) >= g->ph && g->dw * (g->kw - 1) >= g->pw;
}

/* The geometry of dX = conv(dY, flipped W^T). */
static ak_conv2d_geom dgrad_geom(const ak_conv2d_geom *g) {
    ak_conv2d_geom t = *g;
    t.c = g->o, t.h = g->ho, t.w = g->wo;
    t.o = g->c, t.ho = g->h, t.wo = g->w;
    t.ph = g->dh * (g->kh - 1) - g->ph, t.pw = g->dw * (g->kw - 1) - g->pw;
    return t;
}

/* ak_cpu_col2im_rows (conv2d_im2col.c) with vector adds: the same tasks (input rows) and the same
 * order of contributions (i, j), so the same bits. Channels [c0, c1) and output rows [r0, r1):
 * row ((c - c0)*kh + i)*kw + j of col (row stride ldc) holds output row oh at column
 * (oh - oh0)*wo. */
#ifdef AK_IGEMM_X86
AK_AVX512 static void col2im_v(float *x, const float *col, int64_t ldc, int64_t oh0, const ak_conv2d_geom *g,
                               int64_t c0, int64_t c1, int64_t r0, int64_t r1, bool parallel) {
    const int64_t kh = g->kh, kw = g->kw, wo = g->wo;
    const int64_t h = g->h, w = g->w, sh = g->sh, sw = g->sw, ph = g->ph, dh = g->dh;
    int64_t ih_lo = r0 * sh - ph, ih_hi = (r1 - 1) * sh - ph + (kh - 1) * dh + 1;
    ih_lo = ih_lo < 0 ? 0 : ih_lo;
    ih_hi = ih_hi > h ? h : ih_hi;
    if (ih_hi <= ih_lo)
        return;
    int64_t lo[AK_MAX_KW], hi[AK_MAX_KW];
    valid_cols_all(g, lo, hi);
    const int64_t nrows = ih_hi - ih_lo, tasks = (c1 - c0) * nrows;
#pragma omp parallel for schedule(static) if (parallel && tasks * kh * kw * wo > 16384)
    for (int64_t task = 0; task < tasks; task++) {
        const int64_t c = c0 + task / nrows, ih = ih_lo + task % nrows;
        float *dst_row = x + (c * h + ih) * w;
        for (int64_t i = 0; i < kh; i++) {
            const int64_t num = ih + ph - i * dh; /* oh with oh*sh - ph + i*dh == ih */
            if (num < 0 || num % sh || num / sh < r0 || num / sh >= r1)
                continue;
            const int64_t oh = num / sh;
            for (int64_t j = 0; j < kw; j++) {
                const int64_t off = j * g->dw - g->pw;
                int64_t l, hh;
                if (j < AK_MAX_KW)
                    l = lo[j], hh = hi[j];
                else
                    ak_cpu_conv2d_valid_cols(off, sw, w, wo, &l, &hh);
                if (hh > l)
                    add_run(dst_row + (l * sw + off), col + (((c - c0) * kh + i) * kw + j) * ldc + (oh - oh0) * wo + l,
                            hh - l, sw);
            }
        }
    }
}
#else
static void col2im_v(float *x, const float *col, int64_t ldc, int64_t oh0, const ak_conv2d_geom *g, int64_t c0,
                     int64_t c1, int64_t r0, int64_t r1, bool parallel) {
    (void)ldc, (void)oh0, (void)c0, (void)c1, (void)parallel; /* never called (no AVX-512 kernels without AK_IGEMM_X86) */
    ak_cpu_col2im_rows(x, col, g, r0, r1);
}
#endif

/* Channels per block of the whole-image scheme of the strided data gradient (see the top), or 0
 * for row tiles: a block's dcol ((c1 - c0)*kh*kw x P) must fit the tile buffer and start at a
 * multiple of 8 rows of the packed W^T; chosen when its traffic (W^T once plus dY once per
 * block) is below the row tiles' (W^T once per tile). Geometry only. */
/* The channel counts c for which c*khw rows of dcol are whole blocks of the packed W^T are the
 * multiples of MR / gcd(khw, MR). */
static int64_t channel_step(int64_t khw) {
    int64_t step = MR;
    while (step > 1 && khw * (step / 2) % MR == 0)
        step /= 2;
    return step;
}

static int64_t chan_block(const ak_conv2d_geom *g) {
    const int64_t khw = g->kh * g->kw, P = g->ho * g->wo, kg = g->c * khw;
    if (g->groups != 1)
        return 0;
    const int64_t step = channel_step(khw); /* channels per block: a multiple of it */
    int64_t cb = ak_cpu_conv2d_blas_ws_floats(g) / (khw * P) / step * step;
    if (cb < 1)
        return 0;
    cb = cb < g->c ? cb : g->c;
    const int64_t R = ak_cpu_conv2d_tile_rows(g), ntiles = (g->ho + R - 1) / R, nblocks = (g->c + cb - 1) / cb;
    return kg * g->o + nblocks * g->o * P < ntiles * kg * g->o ? cb : 0;
}

int64_t ak_cpu_conv2d_igemm_dgrad_ws_floats(const ak_conv2d_geom *g, int nthreads) {
    if (dgrad_as_conv(g)) {
        const ak_conv2d_geom t = dgrad_geom(g);
        if (ak_cpu_conv2d_winograd_applies(&t))
            return ak_cpu_conv2d_winograd_ws_floats(&t, nthreads);
        return ak_cpu_conv2d_igemm_flipped_ws_floats(&t, nthreads);
    }
    const int64_t kg = g->c / g->groups * g->kh * g->kw, og = g->o / g->groups;
    return g->groups * ak_cpu_igemm_packed_a_floats(kg, og) + ak_cpu_conv2d_blas_ws_floats(g) +
           ak_cpu_igemm_sgemm_packed_ws_floats(nthreads);
}

void ak_cpu_conv2d_igemm_dgrad(float *dx, const float *dy, const float *w, const ak_conv2d_geom *g, float *ws,
                               int nthreads) {
    if (dgrad_as_conv(g)) {
        const ak_conv2d_geom t = dgrad_geom(g);
        if (ak_cpu_conv2d_winograd_applies(&t))
            ak_cpu_conv2d_winograd_fwd(dx, dy, w, NULL, &t, true, true, ws, nthreads);
        else
            ak_cpu_conv2d_igemm_fwd_flipped(dx, dy, w, &t, g, ws, nthreads);
        return;
    }
    const int64_t G = g->groups, cg = g->c / G, og = g->o / G, kg = cg * g->kh * g->kw;
    const int64_t P = g->ho * g->wo, in_sz = g->c * g->h * g->w, out_sz = g->o * P, pa_sz = ak_cpu_igemm_packed_a_floats(kg, og);
    float *ap = ws, *col = ws + G * pa_sz, *gws = col + ak_cpu_conv2d_blas_ws_floats(g);
    for (int64_t gi = 0; gi < G; gi++) /* op(A) = W_g^T (kg x og); W_g is stored og x kg */
        ak_cpu_igemm_pack_a(ap + gi * pa_sz, true, kg, og, w + gi * og * kg, kg, nthreads);
    const int64_t R = ak_cpu_conv2d_tile_rows(g), cb = chan_block(g), khw = g->kh * g->kw;
    if (cb > 0) {
        /* whole images, blocks of channels (groups == 1); within a block the threads own channels
         * (their rows of dcol, then their col2im), all in one parallel region: with threads that
         * sleep when idle (OMP_WAIT_POLICY=PASSIVE) a region per block and row tile cost P6 (3x3/2
         * 2048->256 at 8x8) more than its arithmetic */
        const int64_t step = channel_step(khw);
#pragma omp parallel num_threads(nthreads)
        {
            const int64_t tid = omp_get_thread_num(), team = omp_get_num_threads();
            float *bp = gws + tid * ak_cpu_igemm_sgemm_packed_ws_floats(1);
            /* the same share in every block, the short last one included: a thread's rows of dcol
             * must not move while another thread, a block behind, still adds its own into dX */
            const int64_t per = ((cb + team - 1) / team + step - 1) / step * step;
            for (int64_t n = 0; n < g->n; n++)
                for (int64_t c0 = 0; c0 < g->c; c0 += cb) {
                    const int64_t c1 = c0 + cb < g->c ? c0 + cb : g->c;
                    const int64_t a = c0 + tid * per < c1 ? c0 + tid * per : c1, b = a + per < c1 ? a + per : c1;
                    if (a >= b)
                        continue;
                    ak_cpu_igemm_sgemm_packed_rows((a - c0) * khw, (b - c0) * khw, P, og, ap + c0 * khw * og,
                                                   dy + n * out_sz, P, col, P, false, bp);
                    for (int64_t r0 = 0; r0 < g->ho; r0 += R)
                        col2im_v(dx + n * in_sz, col + (a - c0) * khw * P, P, 0, g, a, b, r0,
                                 r0 + R < g->ho ? r0 + R : g->ho, false);
                }
        }
        return;
    }
    const int64_t cstep = channel_step(khw), per = ((g->c + nthreads - 1) / nthreads + cstep - 1) / cstep * cstep;
    if (G == 1 && nthreads > 1 && per * (nthreads - 1) < g->c) {
        /* row tiles, channels owned by the threads: each computes its channels' rows of dcol and adds
         * them into dX itself, so that dcol stays in its core's cache and a tile costs no barrier
         * (the same chains and additions in the same order as below) */
        const int64_t ldc = R * g->wo; /* fixed: the threads' rows of col must not move with a short last tile */
#pragma omp parallel num_threads(nthreads)
        {
            const int64_t c0 = omp_get_thread_num() * per, c1 = c0 + per < g->c ? c0 + per : g->c;
            float *bp = gws + (int64_t)omp_get_thread_num() * ak_cpu_igemm_sgemm_packed_ws_floats(1);
            for (int64_t n = 0; n < g->n && c0 < c1; n++)
                for (int64_t r0 = 0; r0 < g->ho; r0 += R) {
                    const int64_t r1 = r0 + R < g->ho ? r0 + R : g->ho, t = (r1 - r0) * g->wo;
                    ak_cpu_igemm_sgemm_packed_rows(c0 * khw, c1 * khw, t, og, ap, dy + n * out_sz + r0 * g->wo, P, col,
                                                   ldc, false, bp);
                    col2im_v(dx + n * in_sz, col + c0 * khw * ldc, ldc, r0, g, c0, c1, r0, r1, false);
                }
        }
        return;
    }
    for (int64_t n = 0; n < g->n; n++) {
        const float *dyn = dy + n * out_sz;
        for (int64_t r0 = 0; r0 < g->ho; r0 += R) {
            const int64_t r1 = r0 + R < g->ho ? r0 + R : g->ho, t = (r1 - r0) * g->wo;
            for (int64_t gi = 0; gi < G; gi++)
                ak_cpu_igemm_sgemm_packed(kg, t, og, ap + gi * pa_sz, dyn + gi * og * P + r0 * g->wo, P,
                                          col + gi * kg * t, t, false, gws, nthreads);
            col2im_v(dx + n * in_sz, col, t, r0, g, 0, g->c, r0, r1, true);
        }
    }
}
