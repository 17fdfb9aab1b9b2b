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
 * Kernel positions whose im2col rows are all padding over a task (dilated convolutions with rates
 * near the map size, as ASPP's) are left out of its reduction (task_taps): their products are
 * exact zeros, so the sums keep their bits.
 * The build is generic x86-64 (-O2, no -march): these functions carry a target attribute and are
 * only called after ak_cpu_conv2d_igemm_supported() said yes.
 */
#include "core/cpu/conv2d_igemm.h"

#include <omp.h>

#include "core/cpu/conv2d_pack.h"
#include "core/cpu/igemm_kernel.h"
#include "core/cpu/igemm_rowbuf.h"

bool ak_cpu_conv2d_igemm_supported(void) {
#ifdef AK_IGEMM_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
#else
    return false;
#endif
}

/* Row-buffer channels per K block: whole channels, at most BOFF entries (twice the tile's KC: a
 * 64-channel 3x3 layer in one block measured 3 % faster than in two) and at most the per-thread
 * workspace (KC * (NC + 16) floats) of buffer (cs floats per channel), equal blocks; 0 when one
 * channel does not fit. */
static int64_t rowbuf_block_channels(int64_t cg, int nt, int64_t cs) {
    int64_t max_ch = BOFF / nt > 0 ? BOFF / nt : 1;
    if (max_ch * cs > KC * (NC + 16))
        max_ch = KC * (NC + 16) / cs;
    if (max_ch < 1)
        return 0;
    const int64_t nblk = (cg + max_ch - 1) / max_ch;
    return (cg + nblk - 1) / nblk;
}

/* Row buffers (igemm_rowbuf.h). When a convolution's output rows are whole vectors (Wo % 16 ==
 * 0), a task's im2col rows are windows of a few input rows (split by column phase when strided, so
 * that each window is contiguous). Instead of the kc x n im2col tile (kh*kw copies of each input
 * float), a K block copies the input rows its output rows read, once, and the kernel reads B
 * through a view (ak_bview): one base per vector (its output position) and one offset per entry
 * (its channel and kernel position). The same floats reach the same FMAs in the same order, so the
 * results are bitwise those of the tile; a 3x3 kernel copies 9x fewer floats (the packing was
 * 15-25 % of a 64-channel layer's time).
 * The buffer geometry of output columns [p0, p0 + n) when the row-buffer path applies: strides 1
 * and 2, whole vectors within output rows of 64 or more (at 16 and 32 it measured level with the
 * tile or slower), and a buffer no larger per channel than the tile (nt*ldb floats; wide
 * dilations read far-apart rows, most of them for taps a task leaves out) whose K block fits the
 * per-thread workspace (KC * (NC + 16) floats). */
static bool rowbuf_plan(const ak_conv2d_geom *g, int64_t p0, int64_t n, int nt, int64_t ldb, rowbuf_geom *rb) {
    if (g->sw > 2 || g->wo % 16 || g->wo < 64 || p0 % 16 || n % 16 || nt <= 0 || g->kh > AK_MAX_KW ||
        g->kw > AK_MAX_KW)
        return false;
    *rb = rowbuf_geometry(g, p0 / g->wo, (p0 + n - 1) / g->wo - p0 / g->wo + 1);
    return rb->cs <= nt * ldb && rowbuf_block_channels(g->c / g->groups, nt, rb->cs) > 0;
}

/* Small maps (NC < P <= WHOLE_P, rows of 32 or 48; dilation 1, so that an image reads every
 * kernel position): a task takes a whole image and a range of output channels (igemm_run), its
 * row buffer every input row. With tasks of NC columns each would read the whole weight, which at
 * these sizes is larger than L2 (3x3 256->256: 2.4 MB, read by 3 tasks per image). */
#define WHOLE_P 2048
static bool whole_image(const ak_conv2d_geom *g) {
    const int64_t P = g->ho * g->wo;
    if (ak_cpu_conv2d_is_pointwise(g) || g->dh != 1 || g->dw != 1 || g->sw > 2 || g->wo % 16 || g->wo < 32 ||
        g->wo >= 64 || P <= NC || P > WHOLE_P || g->kh > AK_MAX_KW || g->kw > AK_MAX_KW)
        return false;
    const int nt = (int)(g->kh * g->kw);
    const rowbuf_geom rb = rowbuf_geometry(g, 0, g->ho);
    return rowbuf_block_channels(g->c / g->groups, nt, rb.cs) > 0; /* the per-thread buffer */
}

/* Whether a call runs its tasks through row buffers: rowbuf_plan for its first task with all taps
 * (tasks that then fail the plan, with few live taps, take the tile with the same packed A). */
static bool rowbuf_call(const ak_conv2d_geom *g) {
    const int64_t P = g->ho * g->wo, per_img = (P + NC - 1) / NC;
    const int64_t n = (((P + 15) / 16) / per_img) * 16, ldb = ((n + 15) / 16 | 1) * 16;
    rowbuf_geom rb;
    return !ak_cpu_conv2d_is_pointwise(g) &&
           (whole_image(g) || rowbuf_plan(g, 0, n, (int)(g->kh * g->kw), ldb, &rb));
}

/* Floats of A packed in k-major blocks of MR rows, per group (the forward weight when the call
 * runs through row buffers; see also flipped_packed). */
static int64_t packed_a_floats(const ak_conv2d_geom *g) {
    const int64_t og = g->o / g->groups, kg = g->c / g->groups * g->kh * g->kw;
    return g->groups * ((og + MR - 1) / MR * MR) * kg;
}

static int64_t tiles_floats(int nthreads) { return (int64_t)(nthreads > 0 ? nthreads : 1) * KC * (NC + 16); }

int64_t ak_cpu_conv2d_igemm_ws_floats(const ak_conv2d_geom *g, int nthreads) {
    return (rowbuf_call(g) ? packed_a_floats(g) : 0) + tiles_floats(nthreads);
}

/* The flipped weight is packed (k-major blocks of MR rows) for 1x1 kernels, where A = W^T read in
 * place would cost a cache line per k, and when many tasks read it (each task reads all of A; the
 * packed blocks are contiguous). With few tasks (small images) the packing pass costs more than
 * it saves: 3x3 data gradient at 64x64, 22 tasks: packed 7 % faster; at 16x16, 2 tasks: 12 %
 * slower (2 threads). */
static bool flipped_packed(const ak_conv2d_geom *g) {
    return g->kh * g->kw == 1 || g->n * ((g->ho * g->wo + NC - 1) / NC) >= 8 || rowbuf_call(g);
}

int64_t ak_cpu_conv2d_igemm_flipped_ws_floats(const ak_conv2d_geom *g, int nthreads) {
    return (flipped_packed(g) ? packed_a_floats(g) : 0) + tiles_floats(nthreads);
}

#ifdef AK_IGEMM_X86

/* A task's reduction runs over entries u: with taps (nt of the kh*kw kernel positions, see
 * task_taps) entry u is the group-local k = (u / nt)*kh*kw + taps[u % nt]; without, k = u.
 * Column offsets off[kk] of A for the entries u0 + kk, kk < kc, within a row of the A view of
 * arows_for. src == NULL: A = w (row-major, off = k). Otherwise g is the
 * data-gradient geometry of the forward convolution src and A is src's weight flipped in space and
 * transposed in channels: A[gi*Cg + c][(o*kh + i)*kw + j] = w[gi*Og + o][c][kh-1-i][kw-1-j] (Cg,
 * Og: src's), i.e. row c starts at w + (gi*Og*Cg + c)*khw and k = o*khw + q is at
 * o*Cg*khw + khw-1-q. */
static void a_offsets(int32_t *off, const ak_conv2d_geom *g, const ak_conv2d_geom *src, const float *ap, int64_t u0,
                      int64_t kc, const int16_t *taps, int nt) {
    const int64_t khw = g->kh * g->kw, row_len = (g->o / g->groups) * khw; /* g's rows per group = src's Cg */
    if (kc <= 0) /* a task of padding only (nt = 0) */
        return;
    if (!taps)
        nt = (int)khw;
    int64_t ci = u0 / nt, t = u0 % nt; /* stepped, not divided: this runs per task and K block */
    for (int64_t kk = 0; kk < kc; kk++) {
        const int64_t q = taps ? taps[t] : t, k = ci * khw + q;
        if (ap) /* packed blocks */
            off[kk] = (int32_t)(k * MR);
        else if (!src)
            off[kk] = (int32_t)k;
        else
            off[kk] = (int32_t)(ci * row_len + khw - 1 - q);
        if (++t == nt)
            t = 0, ci++;
    }
}

/* The kernel positions (i*kw + j) whose im2col rows are not all zero over a task's output columns
 * (segments): some output row of the task reads an input row inside the image at kernel row i,
 * and some of its output columns an input column at kernel column j. Returns their count nt
 * (taps ascending). A dilated convolution with a rate comparable to the map (ASPP: 12..36 at
 * 64x64) reads only padding at many (task, kernel row) pairs. Those products are exact zeros and
 * adding +-0 to a nonzero sum (or to the +0 every chain starts from) changes nothing, so leaving
 * them out gives the same bits (barring a chain started from a -0 bias or output, or an inf / NaN
 * weight, whose zero products would differ). */
static int task_taps(const ak_conv2d_geom *g, const ak_conv2d_seg *segs, int ns, int16_t *taps) {
    bool row_ok[AK_MAX_KW], col_ok[AK_MAX_KW];
    ak_cpu_conv2d_live_taps(g, segs, ns, row_ok, col_ok);
    int nt = 0;
    for (int64_t i = 0; i < g->kh; i++)
        for (int64_t j = 0; j < g->kw; j++)
            if (row_ok[i] && col_ok[j])
                taps[nt++] = (int16_t)(i * g->kw + j);
    return nt;
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

/* pack_im2col_rows for the reduction entries u0..u0+kn of a task with taps (see a_offsets;
 * channels from c0): the same rows, fewer of them. */
AK_AVX512 static void pack_im2col_taps(float *dst, int64_t ldd, const float *x, const ak_conv2d_geom *g, int64_t c0,
                                       int64_t u0, int64_t kn, const int16_t *taps, int nt, int64_t pa, int64_t n,
                                       const ak_conv2d_seg *segs, int ns) {
    const int64_t tail = (n + 15) / 16 * 16 - n, P = g->h * g->w;
    const bool contig = im2col_rows_contiguous(g, pa, n);
    const int64_t oh0 = pa / g->wo, oh1 = (pa + n - 1) / g->wo; /* the task's output rows */
    int64_t vlo[AK_MAX_KW], vhi[AK_MAX_KW];
    valid_cols_all(g, vlo, vhi);
    for (int64_t kk = 0; kk < kn; kk++, dst += ldd) {
        const int64_t u = u0 + kk, c = c0 + u / nt, i = taps[u % nt] / g->kw, j = taps[u % nt] % g->kw;
        if ((kk == 0 || u % nt == 0) && c + PF_DIST < g->c) /* a new channel: fetch the one PF_DIST ahead */
            for (int t = 0; t < nt; t++) { /* the input rows of each kernel row the task reads */
                const int64_t ti = taps[t] / g->kw;
                if (t > 0 && taps[t - 1] / g->kw == ti)
                    continue;
                int64_t lo = oh0 * g->sh - g->ph + ti * g->dh, hi = oh1 * g->sh - g->ph + ti * g->dh + 1;
                lo = lo < 0 ? 0 : lo;
                hi = hi > g->h ? g->h : hi;
                if (hi > lo)
                    prefetch_run(x + (c + PF_DIST) * P + lo * g->w, (hi - lo) * g->w);
            }
        if (contig)
            fill_row_contig(dst, x + c * P, g, i, j, pa, n);
        else
            fill_row_v(dst, n + tail, x, g, c, i, j * g->dw - g->pw, vlo[j], vhi[j], segs, ns, n);
    }
}

/* B offsets of entries u0.. (kc of them) of a K block starting at channel cb (see a_offsets for
 * the entries); tap_off[t]: rowbuf_tap of the task's t-th kernel position (computed once per task:
 * the divisions cost 2-3 % of a 64-channel layer when done per entry). */
static void rowbuf_offsets(int32_t *off, const rowbuf_geom *rb, int64_t u0, int64_t kc, int64_t cb,
                           const int64_t *tap_off, int nt) {
    int64_t ci = u0 / nt, t = u0 % nt;
    for (int64_t kk = 0; kk < kc; kk++) {
        off[kk] = (int32_t)((ci - cb) * rb->cs + tap_off[t]);
        if (++t == nt)
            t = 0, ci++;
    }
}

/* run_task's reduction through row buffers (rowbuf_plan said yes): K blocks of whole channels,
 * panels outer (a panel's rows stay in L1 across the row blocks of A). */
AK_AVX512 static void run_task_rowbuf(float *y, const float *x, const float *w, const ak_conv2d_geom *src,
                                      const float *ap, const float *bias, const ak_conv2d_geom *g, int64_t p0,
                                      int64_t p1, int64_t m0, int64_t m1, bool accumulate, float *bp,
                                      const rowbuf_geom *rb, const int16_t *tp, int nt) {
    const int64_t G = g->groups, cg = g->c / G, og = g->o / G, P = g->ho * g->wo;
    const int64_t chb = rowbuf_block_channels(cg, nt, rb->cs);
    int32_t off[2 * BOFF]; /* A offsets, then B offsets (ak_bview) */
    int64_t tap_off[AK_MAX_KW * AK_MAX_KW];
    for (int t = 0; t < nt; t++) {
        const int64_t q = tp ? tp[t] : t;
        tap_off[t] = rowbuf_tap(g, rb, q / g->kw, q % g->kw);
    }
    /* the panels of the task's columns and the buffer offsets of their vectors (the same for every
     * K block and row block) */
    int64_t npan = 0, pan_cols[WHOLE_P / 16], pan_base[WHOLE_P / 16][3]; /* tasks: NC columns, whole images WHOLE_P */
    for (int64_t pa = p0, pw = 0; pa < p1; pa += pw, npan++) {
        pw = panel_cols(p1 - pa);
        pan_cols[npan] = pw;
        for (int v = 0; v < 3; v++) {
            const int64_t p = pa + 16 * v < p1 ? pa + 16 * v : pa;
            pan_base[npan][v] = rowbuf_pos(g, rb, p / g->wo, p % g->wo);
        }
    }
    for (int64_t gi = 0; gi < G; gi++) {
        const float *bg = bias ? bias + gi * og : NULL;
        float *yg = y + gi * og * P;
        for (int64_t cb = 0; cb < cg; cb += chb) {
            const int64_t nch = cg - cb < chb ? cg - cb : chb, u0 = cb * nt, kc = nch * nt;
            rowbuf_fill(bp, x, g, rb, gi * cg + cb, nch);
            a_offsets(off, g, src, ap, u0, kc, tp, nt);
            rowbuf_offsets(off + BOFF, rb, u0, kc, cb, tap_off, nt);
            const int init = block_init(cb == 0, accumulate, bg != NULL);
            for (int64_t m = m0; m < m1; m += MR) {
                const int rows = (int)(m1 - m < MR ? m1 - m : MR);
                const ak_arows av = arows_for(w, g, src, ap, gi, m, rows, off);
                for (int64_t q = 0, pa = p0; q < npan; pa += pan_cols[q++]) {
                    const ak_bview bv = {{bp + pan_base[q][0], bp + pan_base[q][1], bp + pan_base[q][2]}};
                    kern_8xv_view((int)(pan_cols[q] / 16), kc, &av, &bv, yg + m * P + pa, P, rows, init,
                                  bg ? bg + m : NULL);
                }
            }
        }
    }
}

/* One task: output columns [p0, p1) of one image, all groups and output channels; w is the weight
 * (of g, or of src: see a_offsets), ap the packed flipped weight or NULL. bp: KC * (NC + 16) floats.
 * The reduction runs over the task's taps only (task_taps) when some are all padding. (Splitting
 * the columns into zones by the kernel columns' valid ranges, to leave out those too, measured
 * slower: the zones' narrow rows run the 16- and 32-column kernels.) */
AK_AVX512 static void run_task(float *y, const float *x, const float *w, const ak_conv2d_geom *src, const float *ap,
                               const float *bias, const ak_conv2d_geom *g, int64_t p0, int64_t p1, int64_t m0,
                               int64_t m1, bool whole, bool accumulate, float *bp) {
    const int64_t G = g->groups, cg = g->c / G, og = g->o / G, khw = g->kh * g->kw, P = g->ho * g->wo;
    /* tile row stride: an odd count of cache lines, so that the rows spread over the L1 sets */
    const int64_t n = p1 - p0, ldb = ((n + 15) / 16 | 1) * 16;
    /* one segment per output row touched: at most NC for tasks of NC columns, and tasks wider than
     * that (row tasks, whole images) have rows of 32 or more and at most WHOLE_P columns */
    ak_conv2d_seg segs[NC];
    const int ns = ak_cpu_conv2d_is_pointwise(g) ? 0 : ak_cpu_conv2d_segments(g, p0, n, segs);
    int16_t taps[AK_MAX_KW * AK_MAX_KW];
    int nt = (int)khw;
    if (ns > 0 && g->kh <= AK_MAX_KW && g->kw <= AK_MAX_KW)
        nt = task_taps(g, segs, ns, taps);
    const int16_t *tp = nt < khw ? taps : NULL;
    rowbuf_geom rb;
    if (whole) /* every kernel position live (whole_image) */
        rb = rowbuf_geometry(g, 0, g->ho);
    if (whole || (ap && ns > 0 && rowbuf_plan(g, p0, n, nt, ldb, &rb))) {
        run_task_rowbuf(y, x, w, src, ap, bias, g, p0, p1, m0, m1, accumulate, bp, &rb, tp, nt);
        return;
    }
    if (n > NC) { /* a row task (row_task_rows) that the tile must take: in pieces of at most NC columns */
        for (int64_t q0 = p0; q0 < p1; q0 += NC)
            run_task(y, x, w, src, ap, bias, g, q0, q0 + NC < p1 ? q0 + NC : p1, m0, m1, false, accumulate, bp);
        return;
    }
    const int64_t kg = cg * nt; /* reduction length of the task */
    int32_t off[KC];
    for (int64_t gi = 0; gi < G; gi++) {
        const float *bg = bias ? bias + gi * og : NULL;
        float *yg = y + gi * og * P;
        const int64_t kb = kblock(kg);
        for (int64_t k0 = 0; k0 < kg || k0 == 0; k0 += kb) {
            const int64_t kc = kg - k0 < kb ? kg - k0 : kb;
            if (tp)
                pack_im2col_taps(bp, ldb, x, g, gi * cg, k0, kc, tp, nt, p0, n, segs, ns);
            else
                pack_im2col_rows(bp, ldb, x, g, gi * cg, k0, kc, p0, n, segs, ns);
            a_offsets(off, g, src, ap, k0, kc, tp, nt);
            const int init = block_init(k0 == 0, accumulate, bg != NULL);
            for (int64_t m = m0; m < m1; m += MR) {
                const int rows = (int)(m1 - m < MR ? m1 - m : MR);
                const ak_arows av = arows_for(w, g, src, ap, gi, m, rows, off);
                for (int64_t pa = p0, pw = 0; pa < p1; pa += pw) {
                    pw = panel_cols(p1 - pa);
                    kern_8xn(pw, kc, &av, bp + (pa - p0), ldb, yg + m * P + pa, P, rows, init, bg ? bg + m : NULL);
                }
            }
            if (kg == 0) /* every tap reads padding: y = init (bias, zero or y itself) */
                break;
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

/* Block pair (gi, b, b+1) of the packed forward weight: rows o = b*MR.. of group gi, k-major
 * (dst[k*MR + r] = w[gi*Og + b*MR + r][k]; rows beyond Og are zero). */
AK_AVX512 static void pack_weight_pair(float *ap, const float *w, const ak_conv2d_geom *g, int64_t gi, int64_t b) {
    const int64_t og = g->o / g->groups, kg = g->c / g->groups * g->kh * g->kw;
    const int64_t m0 = b * MR, rows = og - m0 < 2 * MR ? og - m0 : 2 * MR;
    pack_rows_kmajor_blocks(ap + (gi * ((og + MR - 1) / MR * MR) + m0) * kg, w + gi * og * kg, kg, m0, rows, kg);
}

/* First output column of task t of the per_img = ceil(P / NC) tasks of an image: the columns are
 * shared out in equal runs of whole 16-lane vectors (at most NC), not NC and a remainder (64x64:
 * 11 tasks of 368-384 columns rather than 10 of 384 and one of 256, which left a thread idle for
 * a third of a task at the end of a call). */
static int64_t task_col(int64_t t, int64_t per_img, int64_t P) {
    const int64_t c = (t * ((P + 15) / 16) / per_img) * 16;
    return c < P ? c : P;
}

/* Output rows per task of a call through row buffers on rows of 64 or more (0: tasks of NC
 * columns): whole rows, about ROW_TASK_COLS columns, so that a task's buffer holds fewer halo rows
 * (3x3 at 128 wide: 8 buffer rows for 6 output rows instead of 5-6 for 3) and a task's output block
 * (O x columns) stays within ROW_TASK_FLOATS. */
#define ROW_TASK_COLS 768
#define ROW_TASK_FLOATS (256 * 1024)
static int64_t row_task_rows(const ak_conv2d_geom *g) {
    const int64_t og = g->o / g->groups;
    if (ak_cpu_conv2d_is_pointwise(g) || g->wo % 16 || g->wo < 64 || og * ROW_TASK_COLS > ROW_TASK_FLOATS)
        return 0;
    const int64_t rows = ROW_TASK_COLS / g->wo;
    if (rows < 2 || rows >= g->ho)
        return 0;
    const int64_t n = rows * g->wo, ldb = ((n + 15) / 16 | 1) * 16;
    rowbuf_geom rb;
    return rowbuf_call(g) && rowbuf_plan(g, 0, n, (int)(g->kh * g->kw), ldb, &rb) ? rows : 0;
}

static void igemm_run(float *y, const float *x, const float *w, const float *b, const ak_conv2d_geom *g,
                      const ak_conv2d_geom *src, bool accumulate, float *ws, int nthreads) {
    if (nthreads < 1)
        nthreads = 1;
    /* tasks: per image, per_img column ranges (NC columns) x msplit ranges of output channels (whole
     * images: enough ranges of whole register blocks for two tasks per thread) */
    const bool whole = whole_image(g);
    const int64_t rrows = whole ? 0 : row_task_rows(g);
    const int64_t P = g->ho * g->wo, og = g->o / g->groups;
    const int64_t per_img = whole ? 1 : rrows ? (g->ho + rrows - 1) / rrows : (P + NC - 1) / NC;
    int64_t msplit = whole ? (2 * nthreads + g->n - 1) / g->n : 1;
    msplit = msplit > (og + MR - 1) / MR ? (og + MR - 1) / MR : msplit;
    const int64_t mlen = ((og + msplit - 1) / msplit + MR - 1) / MR * MR, ntasks = g->n * per_img * msplit;
    const int64_t in_sz = g->c * g->h * g->w, out_sz = g->o * P;
    const bool packed = src ? flipped_packed(g) : rowbuf_call(g);
    const int64_t npairs = (g->o / g->groups + 2 * MR - 1) / (2 * MR);
    float *ap = packed ? ws : NULL, *bps = ws + (packed ? packed_a_floats(g) : 0);
#pragma omp parallel num_threads(nthreads) if (ntasks > 1)
    {
        if (packed) {
#pragma omp for schedule(static)
            for (int64_t t = 0; t < g->groups * npairs; t++)
                if (src)
                    pack_flipped_pair(ap, w, g, t / npairs, t % npairs * 2);
                else
                    pack_weight_pair(ap, w, g, t / npairs, t % npairs * 2);
        }
        float *bp = bps + (int64_t)omp_get_thread_num() * KC * (NC + 16);
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntasks; t++) {
            const int64_t n = t / (per_img * msplit), q = t / msplit % per_img, mi = t % msplit;
            int64_t p0 = task_col(q, per_img, P), p1 = task_col(q + 1, per_img, P);
            if (rrows)
                p0 = q * rrows * g->wo, p1 = p0 + rrows * g->wo < P ? p0 + rrows * g->wo : P;
            const int64_t m0 = mi * mlen < og ? mi * mlen : og, m1 = m0 + mlen < og ? m0 + mlen : og;
            run_task(y + n * out_sz, x + n * in_sz, w, src, ap, b, g, p0, p1, m0, m1, whole, accumulate, bp);
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
