/* im2col / col2im over a tile of output rows, for one image; used by core/cpu/conv2d.c.
 *
 * Layout of the column buffer for output rows [r0, r1): (C*kh*kw, T) row-major with T = (r1-r0)*wo;
 * row k = (c*kh + i)*kw + j holds x[c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] (0 outside the image)
 * for the tile's output positions in raster order. The rows of group g are the contiguous block
 * [g*K_g, (g+1)*K_g), K_g = C/groups*kh*kw, which is exactly the B operand of that group's sgemm.
 *
 * Both run OpenMP loops inside; col2im gives each thread whole input rows and adds the
 * contributions to an element in the fixed order (i, j), so its result is thread-count independent.
 */
#ifndef AK_CPU_CONV2D_IM2COL_H
#define AK_CPU_CONV2D_IM2COL_H

#include "core/cpu/conv2d.h"

/* col (C*kh*kw, (r1-r0)*wo) = patches of x (C, H, W). */
void ak_cpu_im2col_rows(float *col, const float *x, const ak_conv2d_geom *g, int64_t r0, int64_t r1);
/* x (C, H, W) += the patches in col, scattered back (adjoint of ak_cpu_im2col_rows). */
void ak_cpu_col2im_rows(float *x, const float *col, const ak_conv2d_geom *g, int64_t r0, int64_t r1);

#endif
