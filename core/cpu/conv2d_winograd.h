/* Winograd F(2x2, 3x3) convolution on AVX-512 (used by core/cpu/conv2d.c for the forward and by
 * conv2d_igemm_dgrad.c for the stride-1 data gradient, where ak_cpu_conv2d_winograd_applies).
 *
 * y (N, O, Ho, Wo) (=|+=) conv(x (N, C, H, W), w (O, C, 3, 3)) + b for 3x3 kernels, stride 1 or 2,
 * dilation 1, padding 1, no groups. Each 2x2 block of outputs (a tile) is
 *   Y = A^T [ sum_c (G g_oc G^T) .* (B^T d_c B) ] A
 * with d_c the input patch of the tile in channel c (4x4 at stride 1, 5x5 at stride 2): 16 (stride
 * 1) or 25 (stride 2) products per tile and channel pair instead of the direct convolution's 36,
 * so E matrix products (one per position e of the transformed tile: U_e (O x C) * V_e (C x tiles))
 * replace the one of 9 C-long reductions. The transforms are in conv2d_winograd.c. The products
 * run on the implicit GEMM's 8 x 48 register kernel (igemm_kernel.h), 16 tiles per vector
 * (consecutive tiles of one tile row).
 * Values: not bitwise those of the direct convolution (the sums run over transformed terms), and
 * float32-accurate (tests/engine/test_conv2d_accuracy.c bounds the error per element against a
 * double-precision reference); bitwise identical for any thread count and task order (every output
 * is one fixed chain: the transforms, then c ascending in equal reduction blocks).
 *
 * flipped: w is the weight of the forward convolution whose stride-1 data gradient this is
 * (shape (C, O, 3, 3): the kernel used is w flipped in space and transposed in channels; stride 1).
 * Workspace: ak_cpu_conv2d_winograd_ws_floats(g, nthreads) floats (the transformed weight, 16 x O x C
 * rounded up, and per thread the transformed inputs and products of one task). Call it outside
 * any OpenMP parallel region; it uses at most nthreads threads.
 */
#ifndef AK_CPU_CONV2D_WINOGRAD_H
#define AK_CPU_CONV2D_WINOGRAD_H

#include <stdbool.h>

#include "core/cpu/conv2d.h"

/* True when g (impl AUTO) is a 3x3 / stride 1 or 2 / padding 1 / dilation 1 / groups 1 convolution
 * with at least 32 input and output channels, output rows of at least 32 columns and at most a
 * quarter of the tile vectors' lanes past the row ends, on a CPU with AVX-512F. */
bool ak_cpu_conv2d_winograd_applies(const ak_conv2d_geom *g);
int64_t ak_cpu_conv2d_winograd_ws_floats(const ak_conv2d_geom *g, int nthreads);
/* accumulate: y += result; otherwise y = result. b may be NULL. */
void ak_cpu_conv2d_winograd_fwd(float *y, const float *x, const float *w, const float *b, const ak_conv2d_geom *g,
                                bool flipped, bool accumulate, float *ws, int nthreads);

#endif
