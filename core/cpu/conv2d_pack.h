/* Geometry for reading rows of the implicit im2col matrix straight from the input, shared by the
 * implicit-GEMM kernels (conv2d_igemm*.c, igemm_kernel.h: fill_row_v) and the explicit im2col
 * (conv2d_im2col.c).
 *
 * Row (c, i, j) of one image's im2col matrix, at output column p = oh*Wo + ow, holds
 *   x[c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]   (0 outside the image).
 * A range of output columns is split into segments that stay within one output row; a row of the
 * matrix is then filled segment by segment, copying the columns that fall inside the image.
 */
#ifndef AK_CPU_CONV2D_PACK_H
#define AK_CPU_CONV2D_PACK_H

#include "core/cpu/conv2d.h"

typedef struct ak_conv2d_seg {
    int64_t q, len, oh, ow; /* destination lanes [q, q+len) are output row oh, columns ow.. */
} ak_conv2d_seg;

/* Output columns ow whose input column ow*sw + off lies inside [0, w): [*lo, *hi), lo <= hi. */
void ak_cpu_conv2d_valid_cols(int64_t off, int64_t sw, int64_t w, int64_t wo, int64_t *lo, int64_t *hi);
/* Split output columns [pa, pa + n) into at most n segments (segs needs room for n); returns how many. */
int ak_cpu_conv2d_segments(const ak_conv2d_geom *g, int64_t pa, int64_t n, ak_conv2d_seg *segs);

/* Kernel rows i (row_ok[0, kh)) and columns j (col_ok[0, kw)) that read inside the image for some
 * output position of the segments (kh, kw <= 32; callers check): the other im2col rows (c, i, j)
 * are all zero (padding) there, and leaving them out of a sum changes no bits (conv2d_igemm.c). */
void ak_cpu_conv2d_live_taps(const ak_conv2d_geom *g, const ak_conv2d_seg *segs, int ns, bool *row_ok, bool *col_ok);

#endif
