/* CPU 2-D convolution kernels (NCHW, cross-correlation as in PyTorch): forward, and the three
 * backward pieces (data, weight, bias).
 *
 * Shapes (geometry in ak_conv2d_geom):
 *   x  (N, C, H, W)            input
 *   w  (O, C/groups, kh, kw)   weight, PyTorch layout
 *   b  (O)                     bias, may be NULL
 *   y  (N, O, Ho, Wo)          output, Ho = (H + 2ph - dh(kh-1) - 1) / sh + 1 (same for W)
 * Three implementations:
 *  - Winograd F(2x2, 3x3) (core/cpu/conv2d_winograd.c) for 3x3 / padding 1 convolutions with 32+
 *    channels on output rows of 32+ columns: the forward and data gradient at stride 1 (16 products
 *    per 2x2 outputs and channel pair instead of 36: 1.3-2x faster than the direct sums below), the
 *    forward at stride 2 (25 products: ~1.2x). The default; impl DIRECT turns it off.
 *    Float32-accurate, not bitwise the direct sums; bitwise identical for any thread count;
 *  - implicit GEMM on our own AVX-512 kernels (core/cpu/conv2d_igemm*.c), used when the CPU has
 *    AVX-512F: the forward; the data gradient (stride 1: the forward convolution of dy with the
 *    flipped, transposed weight; strided: a GEMM per tile + col2im); the weight gradient (a GEMM
 *    over transposed chunks of dy and im2col). Every output element is one fixed summation chain
 *    that depends on the geometry only, so all of it is bitwise identical for any thread count.
 *  - im2col + OpenBLAS sgemm (core/cpu/conv2d_blas.c), everything on other CPUs, and the reference
 *    path the tests compare against (impl = AK_CONV2D_IMPL_BLAS): tiles of whole output rows, an
 *    im2col buffer (K x T floats, K = C/groups*kh*kw, T = rows*Wo) per tile multiplied with sgemm
 *    and scattered back by col2im for the data gradient; pointwise convolutions (1x1, stride 1, no
 *    padding) skip im2col. What we sum ourselves (col2im, bias) is thread-count independent;
 *    sgemm may round differently with another OpenBLAS thread count (documented, accepted).
 *
 * Workspace: the caller provides `ws` of ak_cpu_conv2d_{fwd,bwd}_ws_floats(g) floats (64-byte
 * aligned arena memory is best); it bounds the memory per call independently of the batch size.
 * The sizes depend on omp_get_max_threads() at the time of the query, which must not change
 * before the matching call.
 * Threads: OpenMP (one parallel region per call for the implicit GEMM; loops around sgemm for the
 * OpenBLAS path, whose threads run inside sgemm). These functions must not be called from inside
 * an OpenMP parallel region (they would run single-threaded).
 * Gradient contract: every backward kernel ADDS (+=) into dx / dw / db, never overwrites.
 */
#ifndef AK_CPU_CONV2D_H
#define AK_CPU_CONV2D_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ak_conv2d_geom {
    int64_t n, c, h, w;       /* input */
    int64_t o, kh, kw;        /* output channels, kernel size */
    int64_t ho, wo;           /* output size */
    int64_t sh, sw;           /* stride (>= 1) */
    int64_t ph, pw;           /* zero padding (>= 0) */
    int64_t dh, dw;           /* dilation (>= 1) */
    int64_t groups;           /* divides c and o */
    int64_t tile_floats;      /* im2col tile budget in floats; 0 = AK_CONV2D_TILE_FLOATS */
    int impl;                 /* AK_CONV2D_IMPL_*: 0 picks the fastest available */
} ak_conv2d_geom;

enum {
    AK_CONV2D_IMPL_AUTO = 0,   /* Winograd where it applies, else implicit GEMM where the CPU supports it, else OpenBLAS */
    AK_CONV2D_IMPL_BLAS = 1,   /* im2col + OpenBLAS only (reference path, tests) */
    AK_CONV2D_IMPL_DIRECT = 2, /* direct sums only: implicit GEMM (or OpenBLAS), never Winograd */
};

/* Default im2col tile budget (OpenBLAS path, and the col2im tiles of strided data gradients):
 * 1 MiB stays in the per-core L2 while im2col writes it and sgemm reads it. OpenBLAS itself is
 * faster with bigger tiles (4-16 MiB), which the arena would keep for the whole step; the
 * implicit GEMM needs no tile. */
#define AK_CONV2D_TILE_FLOATS (256 * 1024)

/* Fill ho / wo from the rest; returns false when the output would be empty. */
bool ak_cpu_conv2d_out_size(ak_conv2d_geom *g);
/* True when the convolution is a plain matrix product per image (1x1, stride 1, no padding). */
bool ak_cpu_conv2d_is_pointwise(const ak_conv2d_geom *g);
/* Workspace floats for ak_cpu_conv2d_fwd / ak_cpu_conv2d_bwd (may be 0). */
int64_t ak_cpu_conv2d_fwd_ws_floats(const ak_conv2d_geom *g);
int64_t ak_cpu_conv2d_bwd_ws_floats(const ak_conv2d_geom *g);

/* y = conv(x, w) + b. */
void ak_cpu_conv2d_fwd(float *y, const float *x, const float *w, const float *b, const ak_conv2d_geom *g,
                       float *ws);
/* dx += conv_transpose(dy, w) and/or dw += dy (*) x (either of dx / dw may be NULL). */
void ak_cpu_conv2d_bwd(float *dx, float *dw, const float *dy, const float *x, const float *w,
                       const ak_conv2d_geom *g, float *ws);
/* db[o] += sum over n, ho, wo of dy; double accumulation per channel, thread-count independent. */
void ak_cpu_conv2d_bwd_bias(float *db, const float *dy, const ak_conv2d_geom *g);

#endif
