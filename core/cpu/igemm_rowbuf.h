/* Row buffers: the input rows a block of output positions reads, copied once with the padding as
 * zeros, so that every im2col row of those positions is a strided window of the buffer. Shared
 * by the implicit-GEMM forward (conv2d_igemm.c: B read through ak_bview) and weight gradient
 * (conv2d_igemm_wgrad.c: A rows read in place); internal to core/cpu.
 *
 * For output rows [oh0, oh0 + orows) and channels c0.., the buffer holds
 *   buf[cl*cs + br*rs + bc] = x[c0 + cl][oh0*sh - ph + br][bc - pw]   (0 outside the image)
 * for br < rows = (orows-1)*sh + (kh-1)*dh + 1 and bc < len = (Wo-1)*sw + (kw-1)*dw + 1; im2col row
 * (c0 + cl, i, j) at output (oh, ow) is then
 *   buf[cl*cs + (oh - oh0)*sh*rs + i*dh*rs + ow*sw + j*dw].
 * Row stride rs: len rounded up to 16 floats; channel stride cs: rows*rs made an odd count of
 * cache lines, so that the channels of a block spread over the L1 sets (plane sizes are often
 * powers of two).
 */
#ifndef AK_CPU_IGEMM_ROWBUF_H
#define AK_CPU_IGEMM_ROWBUF_H

#include "core/cpu/igemm_kernel.h"

typedef struct rowbuf_geom {
    int64_t oh0, rows, len, rs, cs; /* first output row, buffer rows, used and padded row length, channel stride */
} rowbuf_geom;

/* The geometry for output rows [oh0, oh0 + orows). */
static inline rowbuf_geom rowbuf_geometry(const ak_conv2d_geom *g, int64_t oh0, int64_t orows) {
    rowbuf_geom rb;
    rb.oh0 = oh0;
    rb.rows = (orows - 1) * g->sh + (g->kh - 1) * g->dh + 1;
    rb.len = (g->wo - 1) * g->sw + (g->kw - 1) * g->dw + 1;
    rb.rs = (rb.len + 15) / 16 * 16;
    rb.cs = rb.rows * rb.rs;
    if (rb.cs / 16 % 2 == 0)
        rb.cs += 16;
    return rb;
}

/* Offset in the buffer of output position (oh, ow) (kernel position (0, 0)), and of kernel position
 * (i, j) relative to it. */
static inline int64_t rowbuf_pos(const ak_conv2d_geom *g, const rowbuf_geom *rb, int64_t oh, int64_t ow) {
    return (oh - rb->oh0) * g->sh * rb->rs + ow * g->sw;
}
static inline int64_t rowbuf_tap(const ak_conv2d_geom *g, const rowbuf_geom *rb, int64_t i, int64_t j) {
    return i * g->dh * rb->rs + j * g->dw;
}

#ifdef AK_IGEMM_X86
/* buf = the rows of channels [c0, c0 + nch) of the image x (see above). */
AK_AVX512 static inline void rowbuf_fill(float *buf, const float *x, const ak_conv2d_geom *g, const rowbuf_geom *rb,
                                         int64_t c0, int64_t nch) {
    const int64_t P = g->h * g->w, ih0 = rb->oh0 * g->sh - g->ph;
    const int64_t lo = ih0 < 0 ? 0 : ih0, hi = ih0 + rb->rows > g->h ? g->h : ih0 + rb->rows; /* rows read */
    const int64_t a = g->pw < rb->len ? g->pw : rb->len; /* buffer columns inside the image: [a, b) */
    const int64_t b = g->pw + g->w < rb->len ? g->pw + g->w : rb->len;
    for (int64_t cl = 0; cl < nch; cl++) {
        const int64_t c = c0 + cl;
        if (cl + PF_DIST < nch && hi > lo)
            prefetch_run(x + (c + PF_DIST) * P + lo * g->w, (hi - lo) * g->w);
        for (int64_t br = 0; br < rb->rows; br++) {
            float *d = buf + cl * rb->cs + br * rb->rs;
            const int64_t ih = ih0 + br;
            if (ih < 0 || ih >= g->h || b <= a) {
                zero_run(d, rb->len);
                continue;
            }
            zero_run(d, a);
            copy_run(d + a, x + c * P + ih * g->w + (a - g->pw), b - a, 1);
            zero_run(d + b, rb->len - b);
        }
    }
}
#endif

#endif
