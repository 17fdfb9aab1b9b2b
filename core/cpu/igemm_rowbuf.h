/* Row buffers: the input rows a block of output positions reads, copied once with the padding as
 * zeros, so that every im2col row of those positions is a strided window of the buffer. Shared
 * by the implicit-GEMM forward (conv2d_igemm.c: B read through ak_bview) and weight gradient
 * (conv2d_igemm_wgrad.c: A rows read in place); internal to core/cpu.
 *
 * For output rows [oh0, oh0 + orows) and channels c0.., buffer row br < rows = (orows-1)*sh +
 * (kh-1)*dh + 1 holds input row oh0*sh - ph + br, its columns bc < len = (Wo-1)*sw + (kw-1)*dw + 1
 * (input column bc - pw; 0 outside the image) split by phase, bc % sw, so that the columns an
 * output row reads at one kernel position are contiguous whatever the stride:
 *   buf[cl*cs + br*rs + (bc % sw)*ps + bc / sw] = x[c0 + cl][oh0*sh - ph + br][bc - pw].
 * im2col row (c0 + cl, i, j) at output (oh, ow) is then (bc = ow*sw + j*dw)
 *   buf[cl*cs + rowbuf_pos(oh, ow) + rowbuf_tap(i, j)],
 *   rowbuf_pos = (oh - oh0)*sh*rs + ow,  rowbuf_tap = i*dh*rs + ((j*dw) % sw)*ps + (j*dw) / sw.
 * Phase stride ps: ceil(len / sw) rounded up to 16 floats, rs = sw*ps (stride 1: one phase);
 * channel stride cs: rows*rs made an odd count of cache lines, so that the channels of a block
 * spread over the L1 sets (plane sizes are often powers of two).
 */
#ifndef AK_CPU_IGEMM_ROWBUF_H
#define AK_CPU_IGEMM_ROWBUF_H

#include "core/cpu/igemm_kernel.h"

typedef struct rowbuf_geom {
    int64_t oh0, rows, len, ps, rs, cs; /* first output row, buffer rows, columns, phase / row / channel strides */
} rowbuf_geom;

/* The geometry for output rows [oh0, oh0 + orows). */
static inline rowbuf_geom rowbuf_geometry(const ak_conv2d_geom *g, int64_t oh0, int64_t orows) {
    rowbuf_geom rb;
    rb.oh0 = oh0;
    rb.rows = (orows - 1) * g->sh + (g->kh - 1) * g->dh + 1;
    rb.len = (g->wo - 1) * g->sw + (g->kw - 1) * g->dw + 1;
    rb.ps = ((rb.len + g->sw - 1) / g->sw + 15) / 16 * 16;
    rb.rs = g->sw * rb.ps;
    rb.cs = rb.rows * rb.rs;
    if (rb.cs / 16 % 2 == 0)
        rb.cs += 16;
    return rb;
}

/* Offset in the buffer of output position (oh, ow) at kernel position (0, 0), and of kernel
 * position (i, j) relative to it. */
static inline int64_t rowbuf_pos(const ak_conv2d_geom *g, const rowbuf_geom *rb, int64_t oh, int64_t ow) {
    return (oh - rb->oh0) * g->sh * rb->rs + ow;
}
static inline int64_t rowbuf_tap(const ak_conv2d_geom *g, const rowbuf_geom *rb, int64_t i, int64_t j) {
    return i * g->dh * rb->rs + (j * g->dw) % g->sw * rb->ps + (j * g->dw) / g->sw;
}

#ifdef AK_IGEMM_X86
/* buf = the rows of channels [c0, c0 + nch) of the image x (see above). */
AK_AVX512 static inline void rowbuf_fill(float *buf, const float *x, const ak_conv2d_geom *g, const rowbuf_geom *rb,
                                         int64_t c0, int64_t nch) {
    const int64_t P = g->h * g->w, ih0 = rb->oh0 * g->sh - g->ph, sw = g->sw;
    const int64_t lo = ih0 < 0 ? 0 : ih0, hi = ih0 + rb->rows > g->h ? g->h : ih0 + rb->rows; /* rows read */
    int64_t cnt[AK_MAX_KW], a[AK_MAX_KW], b[AK_MAX_KW]; /* per phase: columns, and those inside the image */
    for (int64_t f = 0; f < sw && f < AK_MAX_KW; f++) {
        cnt[f] = (rb->len - f + sw - 1) / sw; /* bc = idx*sw + f < len */
        a[f] = g->pw - f > 0 ? (g->pw - f + sw - 1) / sw : 0; /* bc - pw >= 0 */
        b[f] = (g->pw + g->w - f + sw - 1) / sw;               /* bc - pw < w */
        a[f] = a[f] < cnt[f] ? a[f] : cnt[f];
        b[f] = b[f] < cnt[f] ? b[f] : cnt[f];
    }
    for (int64_t cl = 0; cl < nch; cl++) {
        const int64_t c = c0 + cl;
        if (cl + PF_DIST < nch && hi > lo)
            prefetch_run(x + (c + PF_DIST) * P + lo * g->w, (hi - lo) * g->w);
        for (int64_t br = 0; br < rb->rows; br++) {
            const int64_t ih = ih0 + br;
            for (int64_t f = 0; f < sw; f++) {
                float *d = buf + cl * rb->cs + br * rb->rs + f * rb->ps;
                if (ih < 0 || ih >= g->h || b[f] <= a[f]) {
                    zero_run(d, cnt[f]);
                    continue;
                }
                zero_run(d, a[f]);
                copy_run(d + a[f], x + c * P + ih * g->w + (a[f] * sw + f - g->pw), b[f] - a[f], sw);
                zero_run(d + b[f], cnt[f] - b[f]);
            }
        }
    }
}
#endif

#endif
