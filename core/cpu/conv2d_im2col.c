/* im2col / col2im tile kernels; see conv2d_im2col.h. Memory-bound: the loops are arranged so that
 * the column buffer is written (im2col) or read (col2im) sequentially, with the zero-padding
 * borders computed once per kernel column instead of tested per element. */
#include "core/cpu/conv2d_im2col.h"

#include "core/cpu/conv2d_pack.h"

#include <string.h>

void ak_cpu_im2col_rows(float *col, const float *x, const ak_conv2d_geom *g, int64_t r0, int64_t r1) {
    const int64_t kk = g->kh * g->kw, rows = g->c * kk, wo = g->wo, t = (r1 - r0) * wo;
    const int64_t h = g->h, w = g->w, sh = g->sh, sw = g->sw;
#pragma omp parallel for schedule(static) if (rows * t > 16384)
    for (int64_t k = 0; k < rows; k++) {
        const int64_t c = k / kk, i = (k % kk) / g->kw, j = k % g->kw;
        const int64_t off = j * g->dw - g->pw;
        int64_t lo, hi;
        ak_cpu_conv2d_valid_cols(off, sw, w, wo, &lo, &hi);
        float *dst = col + k * t;
        const float *plane = x + c * h * w;
        for (int64_t oh = r0; oh < r1; oh++, dst += wo) {
            const int64_t ih = oh * sh - g->ph + i * g->dh;
            if (ih < 0 || ih >= h) {
                memset(dst, 0, (size_t)wo * sizeof *dst);
                continue;
            }
            if (lo > 0)
                memset(dst, 0, (size_t)lo * sizeof *dst);
            /* src[(ow - lo)*sw] is x[c, ih, ow*sw + off]; the pointer is formed at the first valid column */
            const float *src = plane + ih * w + (hi > lo ? lo * sw + off : 0);
            if (sw == 1) {
                memcpy(dst + lo, src, (size_t)(hi - lo) * sizeof *dst);
            } else if (sw == 2) {
                for (int64_t ow = lo; ow < hi; ow++)
                    dst[ow] = src[2 * (ow - lo)];
            } else {
                for (int64_t ow = lo; ow < hi; ow++)
                    dst[ow] = src[(ow - lo) * sw];
            }
            if (hi < wo)
                memset(dst + hi, 0, (size_t)(wo - hi) * sizeof *dst);
        }
    }
}

/* Parallel over input rows (c, ih): each row gathers the kernel taps (i, j) that land on it, in
 * increasing (i, j) order; an input row receives at most one output row per kernel row i. */
void ak_cpu_col2im_rows(float *x, const float *col, const ak_conv2d_geom *g, int64_t r0, int64_t r1) {
    const int64_t kh = g->kh, kw = g->kw, wo = g->wo, t = (r1 - r0) * wo;
    const int64_t h = g->h, w = g->w, sh = g->sh, sw = g->sw, ph = g->ph, dh = g->dh;
    /* input rows the tile touches */
    int64_t ih_lo = r0 * sh - ph, ih_hi = (r1 - 1) * sh - ph + (kh - 1) * dh + 1;
    if (ih_lo < 0)
        ih_lo = 0;
    if (ih_hi > h)
        ih_hi = h;
    if (ih_hi <= ih_lo)
        return;
    const int64_t nrows = ih_hi - ih_lo, tasks = g->c * nrows;
#pragma omp parallel for schedule(static) if (tasks * kh * kw * wo > 16384)
    for (int64_t task = 0; task < tasks; task++) {
        const int64_t c = task / nrows, ih = ih_lo + task % nrows;
        float *dst_row = x + (c * h + ih) * w;
        for (int64_t i = 0; i < kh; i++) {
            /* oh with oh*sh - ph + i*dh == ih */
            const int64_t num = ih + ph - i * dh;
            if (num < 0 || num % sh)
                continue;
            const int64_t oh = num / sh;
            if (oh < r0 || oh >= r1)
                continue;
            for (int64_t j = 0; j < kw; j++) {
                const int64_t off = j * g->dw - g->pw;
                int64_t lo, hi;
                ak_cpu_conv2d_valid_cols(off, sw, w, wo, &lo, &hi);
                if (hi <= lo)
                    continue;
                /* distinct buffers: restrict lets the compiler vectorise the unit-stride add */
                const float *restrict src = col + ((c * kh + i) * kw + j) * t + (oh - r0) * wo + lo;
                float *restrict dst = dst_row + (lo * sw + off); /* input column of output column lo */
                const int64_t n = hi - lo;
                if (sw == 1) {
                    for (int64_t q = 0; q < n; q++)
                        dst[q] += src[q];
                } else {
                    for (int64_t q = 0; q < n; q++)
                        dst[q * sw] += src[q];
                }
            }
        }
    }
}
