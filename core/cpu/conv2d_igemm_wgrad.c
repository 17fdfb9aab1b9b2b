/* Weight gradient of a convolution on the AVX-512 kernel; see conv2d_igemm.h.
 *
 *   dW_g (Og x Kg) += sum over images n of dY_g[n] (Og x P) * col_n^T (P x Kg)
 * is a GEMM whose reduction runs over the output positions. Both operands are stored with the
 * reduction dimension contiguous (dY rows, rows of the implicit im2col matrix): the kernel reads
 * A = dY rows in place (igemm_kernel.h, ak_arows), and each chunk of positions of the im2col
 * rows is transposed, 48 rows at a time, into a panel (b[p*48 + j]) with 16x16 AVX-512 transposes;
 * the 8 x 48 kernel accumulates straight into dW (C loaded, FMAs over the chunk, stored).
 *
 * A task owns a block of dW (all rows of a group up to MB, NB columns) and walks the images and
 * chunks in order, so each dW element is one fixed FMA chain. On small maps (P < 256, a multiple
 * of 16: the FPN / head levels at 4x4..8x8) a chunk runs over several images, so that dW is
 * loaded and stored once per chunk rather than once per image (chunks_span_images; same chains).
 * Columns of dW whose im2col rows are all padding over a chunk (dilated convolutions such as
 * ASPP's) are left out of it (chunk_columns; exact zeros, same bits). When dW has few blocks (the
 * stem), the reduction is also split into fixed segments summed in separate buffers and added to
 * dW in segment order. The plan depends on the geometry only: the result is bitwise identical for any
 * thread count and task order.
 */
#include "core/cpu/conv2d_igemm.h"

#include <omp.h>
#include <string.h>

#include "core/cpu/igemm_kernel.h"
#include "core/cpu/igemm_rowbuf.h"

#define RC 256  /* output positions per chunk (the kernel's reduction block) at most, multiple of 16;
                 * also the granularity of the reduction segments (plan) */
#ifndef RC_SMALL
#define RC_SMALL 128 /* chunks when dW blocks have few rows (see chunk_len) */
#endif
#define MB 256  /* dW rows per task at most (multiple of 16) */
#define MAX_NB (4 * NR) /* dW columns per task at most (make_plan) */
#define MIN_TASKS 8 /* tasks wanted per call before splitting the reduction (geometry permitting) */
#define BALANCE_TASKS 16 /* tasks wanted per call before narrowing the column blocks */

typedef struct wplan {
    int64_t nb, mb;   /* columns (multiple of NR) and rows (multiple of 16) per task */
    int64_t nkb, nmb; /* task blocks per group */
    int64_t nseg, seg_len; /* reduction segments over the flattened (image, position) index */
} wplan;

static int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

/* The plan depends on the geometry only: the reduction segments change the summation order, so
 * they must not depend on the thread count. */
static wplan make_plan(const ak_conv2d_geom *g) {
    const int64_t og = g->o / g->groups, kg = g->c / g->groups * g->kh * g->kw, total = g->n * g->ho * g->wo;
    wplan pl;
    pl.mb = round_up(og < MB ? og : MB, 16);
    pl.nmb = (og + pl.mb - 1) / pl.mb;
    pl.nb = MAX_NB;
    pl.nkb = (kg + pl.nb - 1) / pl.nb;
    /* a small dW with a long reduction (the stem, early layers) is split along the reduction into
     * segments summed into separate buffers, for parallelism without repacking */
    const int64_t out_tasks = g->groups * pl.nkb * pl.nmb;
    pl.nseg = out_tasks >= MIN_TASKS ? 1 : (MIN_TASKS + out_tasks - 1) / out_tasks;
    if (pl.nseg > total / (4 * RC))
        pl.nseg = total / (4 * RC) > 1 ? total / (4 * RC) : 1;
    pl.seg_len = round_up((total + pl.nseg - 1) / pl.nseg, RC);
    pl.nseg = (total + pl.seg_len - 1) / pl.seg_len;
    /* few tasks balance badly over the threads (9 tasks on 2 threads: 5 / 4): narrower column
     * blocks make more, without touching the segments above (which fix the summation order) */
    while (pl.nb > NR && pl.nseg * g->groups * pl.nkb * pl.nmb < BALANCE_TASKS) {
        pl.nb /= 2;
        pl.nkb = (kg + pl.nb - 1) / pl.nb;
    }
    return pl;
}

/* The transposed path (run_wtask_t): dW_g^T (Kg x Og) += col_n (Kg x P) * dY_g[n]^T (P x Og),
 * tasks of at most TKN dW columns (k) and MB rows (o); chunks of TRC positions. */
#define TKN 256
#define TRC 256
#define TRB_MAX (256 * 1024) /* row-buffer floats per thread at most */

/* The row buffer of a chunk (TRC positions of one image: at most this many output rows), and its
 * channels (those of TKN consecutive k at most). */
static rowbuf_geom trans_rowbuf(const ak_conv2d_geom *g) {
    const int64_t orows = (TRC + g->wo - 1) / g->wo + 1;
    return rowbuf_geometry(g, 0, orows < g->ho ? orows : g->ho);
}
static int64_t trans_channels(const ak_conv2d_geom *g) {
    const int64_t khw = g->kh * g->kw, cg = g->c / g->groups, ch = (TKN + khw - 2) / khw + 1;
    return ch < cg ? ch : cg;
}

/* Whether the weight gradient runs transposed: kernels with taps (a pointwise convolution's
 * im2col rows are its input rows: read in place by run_wtask), dilation up to 2 (ASPP's rates
 * leave many kernel positions reading padding, which run_wtask skips and this path computes),
 * maps of 64x64 and more (at 32x32 it measured level with run_wtask)
 * and a row buffer that fits. */
static bool use_trans(const ak_conv2d_geom *g) {
    return !ak_cpu_conv2d_is_pointwise(g) && g->kh <= AK_MAX_KW && g->kw <= AK_MAX_KW && g->sw <= AK_MAX_KW &&
           g->dh <= 2 && g->dw <= 2 &&
           g->ho * g->wo >= 4096 && trans_channels(g) * trans_rowbuf(g).cs <= TRB_MAX;
}

/* Task blocks of the transposed path: all output channels of a group up to MB, and the reduction
 * columns split into equal blocks (multiples of MR, at most TKN) until the tasks share out evenly
 * over the threads. The blocks never change a sum (only the segments of make_plan do). */
typedef struct tblocks {
    int64_t kn, nkb, mb, nmb;
} tblocks;
static tblocks trans_blocks(const ak_conv2d_geom *g, const wplan *pl, int nthreads) {
    const int64_t og = g->o / g->groups, kg = g->c / g->groups * g->kh * g->kw;
    tblocks tb;
    tb.mb = og < MB ? og : MB;
    tb.nmb = (og + tb.mb - 1) / tb.mb;
    for (int64_t want = (kg + TKN - 1) / TKN;; want++) {
        tb.kn = round_up((kg + want - 1) / want, MR);
        tb.nkb = (kg + tb.kn - 1) / tb.kn;
        const int64_t tasks = pl->nseg * g->groups * tb.nkb * tb.nmb;
        if ((tasks >= 2 * nthreads && tasks % nthreads == 0) || tasks >= 8 * nthreads || tb.kn <= 4 * MR)
            return tb;
    }
}

/* Per thread: 16 im2col rows (16 x RC) and one B panel (RC x NR); transposed: the dW^T block
 * (TKN x MB), the dY^T panels (TRC x MB rounded up to panels) and the row buffer. */
static int64_t per_thread_floats(const ak_conv2d_geom *g) {
    const int64_t plain = (16 + NR) * RC;
    if (!use_trans(g))
        return plain;
    const int64_t t = TKN * MB + TRC * round_up(MB, NR) + trans_channels(g) * trans_rowbuf(g).cs;
    return t > plain ? t : plain;
}

static int64_t weight_floats(const ak_conv2d_geom *g) { return g->o * (g->c / g->groups) * g->kh * g->kw; }

int64_t ak_cpu_conv2d_igemm_wgrad_ws_floats(const ak_conv2d_geom *g, int nthreads) {
    const wplan pl = make_plan(g);
    return (int64_t)(nthreads > 0 ? nthreads : 1) * per_thread_floats(g) +
           (pl.nseg > 1 ? pl.nseg * weight_floats(g) : 0);
}

#ifdef AK_IGEMM_X86

/* Chunk length (positions) of a task with `on` dW rows: with few rows each panel of im2col^T
 * serves few kernel calls, so its packing dominates unless it stays in L1 (128 x 48 floats); with
 * many, longer chunks halve the loads and stores of C (dW). Chunk boundaries do not change the
 * FMA sequence of any dW element. */
static int64_t chunk_len(const ak_conv2d_geom *g, int64_t on) {
    return on <= 64 && !ak_cpu_conv2d_is_pointwise(g) ? RC_SMALL : RC;
}

/* B panel (kc x NR, [p][48]) of im2col rows k0..k0+kn (kn <= NR; group channels from c0) over the
 * positions pa..pa+kc of image xn, zero up to the next 16 columns (the kernel reads no further):
 * 16 rows at a time are filled from x into `rows` (16 x kc) and transposed; a pointwise
 * convolution's rows are the input rows, transposed in place. segs / ns: ak_cpu_conv2d_segments
 * of the positions (unused for pointwise convolutions). */
AK_AVX512 static void pack_panel(float *bp, float *rows, const float *xn, const ak_conv2d_geom *g, int64_t c0,
                                 int64_t k0, int64_t kn, int64_t pa, int64_t kc, const ak_conv2d_seg *segs, int ns,
                                 const int32_t *klist) {
    const int64_t P = g->ho * g->wo, ldr = (kc + 15) / 16 * 16, khw = g->kh * g->kw, HW = g->h * g->w;
    const bool pointwise = ak_cpu_conv2d_is_pointwise(g);
    for (int64_t kb = 0; kb < kn; kb += 16) { /* im2col rows kb..kb+16: columns kb..kb+16 of the panel */
        const int64_t cnt = kn - kb < 16 ? kn - kb : 16;
        if (klist) { /* rows klist[kb..], one by one */
            const bool contig = im2col_rows_contiguous(g, pa, kc);
            for (int64_t r = 0; r < cnt; r++) {
                const int64_t k = klist[kb + r], c = c0 + k / khw, i = k % khw / g->kw, j = k % g->kw;
                if (contig) {
                    fill_row_contig(rows + r * ldr, xn + c * HW, g, i, j, pa, kc);
                } else {
                    int64_t lo, hi;
                    ak_cpu_conv2d_valid_cols(j * g->dw - g->pw, g->sw, g->w, g->wo, &lo, &hi);
                    fill_row_v(rows + r * ldr, ldr, xn, g, c, i, j * g->dw - g->pw, lo, hi, segs, ns, kc);
                }
            }
        } else if (!pointwise) {
            pack_im2col_rows(rows, ldr, xn, g, c0, k0 + kb, cnt, pa, kc, segs, ns);
        }
        for (int64_t pb = 0; pb < kc; pb += 16) {
            const float *in[16];
            for (int r = 0; r < 16; r++)
                in[r] = r >= cnt ? NULL : pointwise ? xn + (c0 + k0 + kb + r) * P + pa + pb : rows + r * ldr + pb;
            transpose16(in, kc - pb, bp + pb * NR + kb, NR);
        }
    }
}

/* The columns k of [k0, k0 + kn) (group-local im2col rows (c, i, j)) that are not all padding
 * over a chunk (the pieces' segments: kernel row i reads inside the image for some output row,
 * kernel column j for some output column), into klist; returns their count. As in the forward
 * (conv2d_igemm.c, task_taps), the left-out products are exact zeros: dilated convolutions with
 * rates near the map size (ASPP) skip a third of their kernel rows on many chunks. */
static int64_t chunk_columns(const ak_conv2d_geom *g, int64_t k0, int64_t kn, const ak_conv2d_seg *segs, int ns,
                             int32_t *klist) {
    bool row_ok[AK_MAX_KW], col_ok[AK_MAX_KW];
    ak_cpu_conv2d_live_taps(g, segs, ns, row_ok, col_ok);
    const int64_t khw = g->kh * g->kw;
    int64_t nv = 0;
    for (int64_t k = k0; k < k0 + kn; k++)
        if (row_ok[k % khw / g->kw] && col_ok[k % g->kw])
            klist[nv++] = (int32_t)k;
    return nv;
}

/* True when a chunk may run over several images: the kernel then reads dY through offsets relative
 * to the chunk's first image (int32), and each image's piece of the panel starts at a multiple of
 * 16 positions (pack_panel writes whole blocks of 16). Small maps (P = 16..64 at 4x4..8x8) would
 * otherwise load and store dW once per image for a reduction of a few dozen positions. */
static bool chunks_span_images(const ak_conv2d_geom *g) {
    const int64_t P = g->ho * g->wo;
    return P % 16 == 0 && P < RC && (RC / P + 2) * g->o * P < INT32_MAX;
}

/* One task: dW rows [o0, o0+on) x columns [k0, k0+kn) of group gi, summed over the flattened
 * (image, position) range [f0, f1). Per chunk of positions, panel by panel: pack it, then run the
 * kernel over all row blocks (the panel stays in L1; A = dY rows, read in place). A chunk ends at
 * an image end unless chunks_span_images; either way each dW element sees the positions in
 * ascending flattened order, so chunking never changes its FMA chain. */
AK_AVX512 static void run_wtask(float *dw, const float *dy, const float *x, const ak_conv2d_geom *g, int64_t gi,
                                int64_t k0, int64_t kn, int64_t o0, int64_t on, int64_t f0, int64_t f1, float *buf) {
    const int64_t cg = g->c / g->groups, og = g->o / g->groups, kg = cg * g->kh * g->kw;
    const int64_t P = g->ho * g->wo, in_sz = g->c * g->h * g->w, out_sz = g->o * P;
    float *rows = buf, *bp = rows + 16 * RC;
    const int64_t rc = chunk_len(g, on);
    const bool span = chunks_span_images(g);
    ak_conv2d_seg segs[RC];
    int32_t off[RC], klist[MAX_NB];
    float ctmp[MR * NR];
    const bool pointwise = ak_cpu_conv2d_is_pointwise(g);
    const bool skip = !pointwise && g->kh <= AK_MAX_KW && g->kw <= AK_MAX_KW;
    for (int64_t f = f0; f < f1;) {
        const int64_t n0 = f / P;
        int64_t kc = span ? rc : P - f % P < rc ? P - f % P : rc; /* chunks stop at segment ends */
        kc = f1 - f < kc ? f1 - f : kc;
        for (int64_t kk = 0; kk < kc; kk++) /* position f + kk of image n: (n - n0) * out_sz + p */
            off[kk] = (int32_t)((f + kk) / P * out_sz - n0 * out_sz + (f + kk) % P);
        const float *dyc = dy + n0 * out_sz + (gi * og + o0) * P;
        int64_t nv = kn; /* columns of the chunk: all, or klist[0, nv) */
        if (skip) {
            int ns = 0; /* the segments of all pieces (their rows and columns) */
            for (int64_t q = 0; q < kc;) {
                const int64_t pa = (f + q) % P, len = P - pa < kc - q ? P - pa : kc - q;
                ns += ak_cpu_conv2d_segments(g, pa, len, segs + ns);
                q += len;
            }
            nv = chunk_columns(g, k0, kn, segs, ns, klist);
        }
        const int32_t *kl = nv < kn ? klist : NULL;
        for (int64_t np = 0; np * NR < nv; np++) {
            const int64_t pk = nv - np * NR < NR ? nv - np * NR : NR;
            for (int64_t q = 0; q < kc;) { /* the chunk's piece of each image, in order */
                const int64_t n = (f + q) / P, pa = (f + q) % P, len = P - pa < kc - q ? P - pa : kc - q;
                const int ns = pointwise ? 0 : ak_cpu_conv2d_segments(g, pa, len, segs);
                pack_panel(bp + q * NR, rows, x + n * in_sz, g, gi * cg, k0 + np * NR, pk, pa, len, segs, ns,
                           kl ? kl + np * NR : NULL);
                q += len;
            }
            for (int64_t m = 0; m < on; m += MR) {
                const int nrows = (int)(on - m < MR ? on - m : MR);
                const ak_arows av = arows_strided(dyc + m * P, P, nrows, off);
                float *c = dw + (gi * og + o0 + m) * kg;
                if (!kl) {
                    kern_8xn(pk, kc, &av, bp, NR, c + k0 + np * NR, kg, nrows, INIT_LOAD, NULL);
                    continue;
                }
                /* the panel's columns of dW are scattered: through a gathered copy (same chains) */
                const int32_t *cols = kl + np * NR;
                for (int r = 0; r < nrows; r++)
                    for (int64_t t = 0; t < pk; t++)
                        ctmp[r * NR + t] = c[r * kg + cols[t]];
                kern_8xn(pk, kc, &av, bp, NR, ctmp, NR, nrows, INIT_LOAD, NULL);
                for (int r = 0; r < nrows; r++)
                    for (int64_t t = 0; t < pk; t++)
                        c[r * kg + cols[t]] = ctmp[r * NR + t];
            }
        }
        f += kc;
    }
}

/* One transposed task: dW rows [o0, o0+on) x columns [k0, k0+kn) of group gi over the flattened
 * positions [f0, f1), chunk by chunk (TRC positions within one image): the chunk's input rows go to
 * a row buffer (igemm_rowbuf.h), whose windows are the kernel's A rows (im2col rows k, read in
 * place through the positions' offsets); dY^T panels (positions x 48 output channels, 16x16
 * transposes) are its B; C is a copy of the dW block transposed (dwt, kn x ldt), loaded at the
 * start and written back at the end. fma(a, b, c) = fma(b, a, c): each dW element gets the chain
 * of run_wtask (its value, then the positions in ascending order). Columns whose im2col rows are
 * all padding over a chunk are restored after the kernel (run_wtask leaves them out: the same
 * bits, -0 included). */
AK_AVX512 static void run_wtask_t(float *dw, const float *dy, const float *x, const ak_conv2d_geom *g, int64_t gi,
                                  int64_t k0, int64_t kn, int64_t o0, int64_t on, int64_t f0, int64_t f1,
                                  float *buf) {
    const int64_t cg = g->c / g->groups, og = g->o / g->groups, kg = cg * g->kh * g->kw, khw = g->kh * g->kw;
    const int64_t P = g->ho * g->wo, in_sz = g->c * g->h * g->w, out_sz = g->o * P;
    const int64_t ldt = round_up(on, 16), c_lo = k0 / khw, nch = (k0 + kn - 1) / khw - c_lo + 1;
    float *dwt = buf, *pan = dwt + TKN * MB, *rbuf = pan + TRC * round_up(MB, NR);
    float *dwb = dw + (gi * og + o0) * kg + k0;
    for (int64_t oo = 0; oo < on; oo++)
        for (int64_t kk = 0; kk < kn; kk++)
            dwt[kk * ldt + oo] = dwb[oo * kg + kk];
    int64_t pstart[MB / 16 + 1], pwid[MB / 16 + 1]; /* o panels: 48 wide, a tail of 64 as 32 + 32 */
    int npan = 0;
    for (int64_t ob = 0; ob < on; ob += pwid[npan++]) {
        pstart[npan] = ob;
        pwid[npan] = panel_cols(on - ob);
    }
    ak_conv2d_seg segs[TRC];
    int32_t off[TRC];
    float saved[MR * NR];
    for (int64_t f = f0; f < f1;) {
        const int64_t n = f / P, pa = f % P;
        int64_t kc = P - pa < TRC ? P - pa : TRC;
        kc = f1 - f < kc ? f1 - f : kc;
        const int64_t oh0 = pa / g->wo;
        const rowbuf_geom rb = rowbuf_geometry(g, oh0, (pa + kc - 1) / g->wo - oh0 + 1);
        rowbuf_fill(rbuf, x + n * in_sz, g, &rb, gi * cg + c_lo, nch);
        for (int64_t kk = 0; kk < kc; kk++)
            off[kk] = (int32_t)rowbuf_pos(g, &rb, (pa + kk) / g->wo, (pa + kk) % g->wo);
        bool row_ok[AK_MAX_KW], col_ok[AK_MAX_KW];
        ak_cpu_conv2d_live_taps(g, segs, ak_cpu_conv2d_segments(g, pa, kc, segs), row_ok, col_ok);
        const float *dyn = dy + n * out_sz + (gi * og + o0) * P + pa;
        for (int q = 0; q < npan; q++) /* panel q: [p][48] = dY[pstart + t][pa + p] */
            for (int64_t t0 = 0; t0 < pwid[q]; t0 += 16)
                for (int64_t pb = 0; pb < kc; pb += 16) {
                    const float *in[16];
                    for (int r = 0; r < 16; r++)
                        in[r] = t0 + r < pwid[q] ? dyn + (pstart[q] + t0 + r) * P + pb : NULL;
                    transpose16(in, kc - pb, pan + q * TRC * NR + pb * NR + t0, NR);
                }
        for (int64_t kr = 0; kr < kn; kr += MR) {
            const int rows = (int)(kn - kr < MR ? kn - kr : MR);
            ak_arows av;
            unsigned dead = 0;
            for (int r = 0; r < MR; r++) {
                const int64_t k = k0 + kr + (r < rows ? r : rows - 1), c = k / khw, t = k % khw;
                const int64_t i = t / g->kw, j = t % g->kw;
                av.p[r] = rbuf + (c - c_lo) * rb.cs + rowbuf_tap(g, &rb, i, j);
                if (r < rows && !(row_ok[i] && col_ok[j]))
                    dead |= 1u << r;
            }
            av.off = off;
            for (int q = 0; q < npan; q++) {
                float *c = dwt + kr * ldt + pstart[q];
                for (int r = 0; r < rows; r++)
                    if (dead >> r & 1)
                        memcpy(saved + r * NR, c + r * ldt, (size_t)pwid[q] * sizeof(float));
                kern_8xn(pwid[q], kc, &av, pan + q * TRC * NR, NR, c, ldt, rows, INIT_LOAD, NULL);
                for (int r = 0; r < rows; r++)
                    if (dead >> r & 1)
                        memcpy(c + r * ldt, saved + r * NR, (size_t)pwid[q] * sizeof(float));
            }
        }
        f += kc;
    }
    for (int64_t oo = 0; oo < on; oo++)
        for (int64_t kk = 0; kk < kn; kk++)
            dwb[oo * kg + kk] = dwt[kk * ldt + oo];
}

void ak_cpu_conv2d_igemm_wgrad(float *dw, const float *dy, const float *x, const ak_conv2d_geom *g, float *ws,
                               int nthreads) {
    if (nthreads < 1)
        nthreads = 1;
    const wplan pl = make_plan(g);
    const int64_t og = g->o / g->groups, kg = g->c / g->groups * g->kh * g->kw, total = g->n * g->ho * g->wo;
    const bool trans = use_trans(g);
    const tblocks tb = trans ? trans_blocks(g, &pl, nthreads) : (tblocks){0, 0, 0, 0};
    const int64_t nkb = trans ? tb.nkb : pl.nkb, nmb = trans ? tb.nmb : pl.nmb;
    const int64_t nb = trans ? tb.kn : pl.nb, mbl = trans ? tb.mb : pl.mb;
    const int64_t out_tasks = g->groups * nkb * nmb, ntasks = pl.nseg * out_tasks;
    const int64_t per_thread = per_thread_floats(g), wn = weight_floats(g);
    float *parts = ws + (int64_t)nthreads * per_thread; /* nseg partial sums when split */
    if (pl.nseg > 1)
        memset(parts, 0, (size_t)(pl.nseg * wn) * sizeof *parts);
#pragma omp parallel num_threads(nthreads) if (ntasks > 1)
    {
        float *buf = ws + (int64_t)omp_get_thread_num() * per_thread;
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntasks; t++) {
            const int64_t sg = t / out_tasks, u = t % out_tasks;
            const int64_t gi = u / (nkb * nmb), kb = (u / nmb) % nkb, mb = u % nmb;
            const int64_t k0 = kb * nb, o0 = mb * mbl;
            const int64_t kn = kg - k0 < nb ? kg - k0 : nb, on = og - o0 < mbl ? og - o0 : mbl;
            const int64_t f0 = sg * pl.seg_len, f1 = f0 + pl.seg_len < total ? f0 + pl.seg_len : total;
            float *target = pl.nseg > 1 ? parts + sg * wn : dw;
            if (trans)
                run_wtask_t(target, dy, x, g, gi, k0, kn, o0, on, f0, f1, buf);
            else
                run_wtask(target, dy, x, g, gi, k0, kn, o0, on, f0, f1, buf);
        }
        if (pl.nseg > 1) { /* dw += the segments' sums, in segment order */
#pragma omp for schedule(static)
            for (int64_t i = 0; i < wn; i++) {
                float s = dw[i];
                for (int64_t sg = 0; sg < pl.nseg; sg++)
                    s += parts[sg * wn + i];
                dw[i] = s;
            }
        }
    }
}

#else /* no x86-64 GCC/Clang: never called (ak_cpu_conv2d_igemm_supported() is false) */

void ak_cpu_conv2d_igemm_wgrad(float *dw, const float *dy, const float *x, const ak_conv2d_geom *g, float *ws,
                               int nthreads) {
    (void)dw, (void)dy, (void)x, (void)g, (void)ws, (void)nthreads;
}

#endif
