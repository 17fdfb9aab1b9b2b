/* Convolution by im2col + OpenBLAS sgemm: the implementation on CPUs without AVX-512 and the
 * reference the implicit-GEMM kernels are tested against (AK_CONV2D_IMPL_BLAS). Shapes, gradient
 * contract and threading as in conv2d.h; sgemm may round differently with another OpenBLAS thread
 * count, everything else (col2im) is thread-count independent. Internal to core/cpu.
 */
#ifndef AK_CPU_CONV2D_BLAS_H
#define AK_CPU_CONV2D_BLAS_H

#include "core/cpu/conv2d.h"

/* Output rows per im2col tile (from g->tile_floats or AK_CONV2D_TILE_FLOATS; at least 1). */
int64_t ak_cpu_conv2d_tile_rows(const ak_conv2d_geom *g);
/* Floats of one im2col tile (0 for pointwise convolutions): the workspace of both calls. */
int64_t ak_cpu_conv2d_blas_ws_floats(const ak_conv2d_geom *g);
void ak_cpu_conv2d_blas_fwd(float *y, const float *x, const float *w, const float *b, const ak_conv2d_geom *g,
                            float *ws);
/* dx and / or dw may be NULL. */
void ak_cpu_conv2d_blas_bwd(float *dx, float *dw, const float *dy, const float *x, const float *w,
                            const ak_conv2d_geom *g, float *ws);

#endif
