/* Implicit-GEMM convolution with our own AVX-512 kernels (used by core/cpu/conv2d.c when the CPU
 * has AVX-512F; OpenBLAS + im2col otherwise).
 *
 * y (N, O, Ho, Wo) (=|+=) conv(x (N, C, H, W), w (O, C/groups, kh, kw)) + b, as a product
 *   Y_img (O x P) = W (O x K) * col (K x P),  K = C/groups*kh*kw, P = Ho*Wo
 * where the im2col matrix is never built whole: each thread packs blocks of it (up to KC x NC)
 * straight from x into a row-major tile and runs an 8 x 48 register-blocked FMA kernel over it,
 * reading W in place (no packing pass). Work is split over (image, column block) tasks, scheduled
 * dynamically; each output element is produced by exactly one thread with the same sequence of
 * FMAs (k ascending, starting from the bias / the old value), so the result is bitwise identical
 * for any thread count and any task order.
 *
 * Workspace: ak_cpu_conv2d_igemm_ws_floats(g, nthreads) floats; the functions use at most
 * `nthreads` OpenMP threads. Call it outside any OpenMP parallel region.
 */
#ifndef AK_CPU_CONV2D_IGEMM_H
#define AK_CPU_CONV2D_IGEMM_H

#include <stdbool.h>

#include "core/cpu/conv2d.h"

/* True when this CPU can run the kernels (AVX-512F). */
bool ak_cpu_conv2d_igemm_supported(void);
int64_t ak_cpu_conv2d_igemm_ws_floats(const ak_conv2d_geom *g, int nthreads);
/* accumulate: y += conv(x, w) (+ b); otherwise y = conv(x, w) (+ b). b may be NULL. */
void ak_cpu_conv2d_igemm_fwd(float *y, const float *x, const float *w, const float *b, const ak_conv2d_geom *g,
                             bool accumulate, float *ws, int nthreads);

/* y += conv(x, w') for the data-gradient geometry g of the forward convolution src, with w' src's
 * weight w_src flipped in space and transposed in channels (read in place, or packed into the
 * workspace when that pays: conv2d_igemm.c, flipped_packed). Internal to
 * conv2d_igemm_dgrad.c; workspace ak_cpu_conv2d_igemm_flipped_ws_floats(g, nthreads). */
int64_t ak_cpu_conv2d_igemm_flipped_ws_floats(const ak_conv2d_geom *g, int nthreads);
void ak_cpu_conv2d_igemm_fwd_flipped(float *y, const float *x, const float *w_src, const ak_conv2d_geom *g,
                                     const ak_conv2d_geom *src, float *ws, int nthreads);
/* dx (N, C, H, W) += the data gradient for output gradient dy and weight w
 * (conv2d_igemm_dgrad.c). Bitwise identical for any thread count. */
int64_t ak_cpu_conv2d_igemm_dgrad_ws_floats(const ak_conv2d_geom *g, int nthreads);
void ak_cpu_conv2d_igemm_dgrad(float *dx, const float *dy, const float *w, const ak_conv2d_geom *g, float *ws,
                               int nthreads);
/* dw (O, C/groups, kh, kw) += the weight gradient for output gradient dy and input x
 * (conv2d_igemm_wgrad.c). Bitwise identical for any thread count. */
int64_t ak_cpu_conv2d_igemm_wgrad_ws_floats(const ak_conv2d_geom *g, int nthreads);
void ak_cpu_conv2d_igemm_wgrad(float *dw, const float *dy, const float *x, const ak_conv2d_geom *g, float *ws,
                               int nthreads);

#endif
