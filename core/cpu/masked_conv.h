/* CPU kernels of core/ops/masked_conv.h: the "same" convolution of K spatially masked copies of one
 * input, computed only at the pixels where some mask is non-zero (the mask's support).
 *
 * Notation: x (N, C, H, W); m (K, N, H, W); w (O, C, kh, kw), kh and kw odd, T = kh*kw taps, padding
 * ph = (kh-1)/2, pw = (kw-1)/2; out (K*N, O, H, W). The support is the list of the J pixels
 * (n, y, x), in that order, where m[k, n, y, x] != 0 for some k; `col` maps every pixel n*H*W + y*W +
 * x to its support index or -1, `pix` maps a support index back to its pixel.
 *
 * Layouts of the intermediate matrices (row-major):
 *   xg   (C, J)    xg[c, j]  = x[n_j, c, y_j, x_j]                 the input at the support
 *   wt   (C, T*O)  wt[c, t*O + o] = w[o, c, ty, tx], t = ty*kw + tx  the taps' weights side by side
 *   p    (J, T*O)  p = xg^T wt: every tap's product at every support pixel
 *   dp   (J, T*O)  gradient of p, and dpt (T*O, J) the same transposed
 * out[k*N + n, o, y, x] = bias[o] + sum_t m[k, n, y', x'] * p[col(n, y', x'), t*O + o] over the taps
 * with y' = y + ty - ph, x' = x + tx - pw inside the map and m != 0, t ascending.
 *
 * Determinism: every element of out, dp, dpt, dx and dbias is produced by one thread in a fixed
 * order, and the products (core/ops/masked_conv.c) run on the deterministic AVX-512 GEMM.
 * Threads: OpenMP; call outside any parallel region. Backward kernels add (+=) into dx / dw / dbias.
 */
#ifndef AK_CPU_MASKED_CONV_H
#define AK_CPU_MASKED_CONV_H

#include <stdint.h>

typedef struct ak_masked_conv_geom {
    int64_t K, N, C, O, H, W;
    int kh, kw;
} ak_masked_conv_geom;

/* The support of m: fills col (N*H*W) and pix (up to N*H*W); returns J. */
int64_t ak_cpu_masked_conv_support(int32_t *col, int32_t *pix, const float *m, const ak_masked_conv_geom *g);
/* xg (C, J) from x; wt (C, T*O) from w. */
void ak_cpu_masked_conv_gather(float *xg, const float *x, const int32_t *pix, int64_t J, const ak_masked_conv_geom *g);
void ak_cpu_masked_conv_taps_weight(float *wt, const float *w, const ak_masked_conv_geom *g);
/* out = bias + the masked taps of p (formula above) for the output rows (k, n, y) with n in [n0, n1),
 * y in [y0, y1), every k; p holds the products of support pixels j0 .. (row j - j0 of p), which must
 * include every source pixel of those rows. bias may be NULL. Workspace: nthreads * W * O floats
 * (ak_cpu_masked_conv_row_ws_floats). */
int64_t ak_cpu_masked_conv_row_ws_floats(const ak_masked_conv_geom *g);
void ak_cpu_masked_conv_assemble(float *out, const float *p, int64_t j0, const float *m, const int32_t *col,
                                 const float *bias, const ak_masked_conv_geom *g, int64_t n0, int64_t n1, int64_t y0,
                                 int64_t y1, float *ws);
/* doutt (K*N, H*W, O) = dout (K*N, O, H, W) channels last. */
void ak_cpu_masked_conv_channels_last(float *doutt, const float *dout, const ak_masked_conv_geom *g);
/* For the J support pixels pix[0..J) (a slice of the support): dp (J, T*O) = sum_k m * shifted dout,
 * and dpt (T*O, J) the same transposed (overwritten; either may be NULL), from doutt of
 * ak_cpu_masked_conv_channels_last. Workspace: ak_cpu_masked_conv_dp_ws_floats(g) floats. */
int64_t ak_cpu_masked_conv_dp_ws_floats(const ak_masked_conv_geom *g);
void ak_cpu_masked_conv_dp(float *dp, float *dpt, const float *doutt, const float *m, const int32_t *pix, int64_t J,
                           const ak_masked_conv_geom *g, float *ws);
/* dw[o, c, ty, tx] += dwt[c, t*O + o]. */
void ak_cpu_masked_conv_add_weight_grad(float *dw, const float *dwt, const ak_masked_conv_geom *g);
/* dx[n_j, c, y_j, x_j] += dxg[c, j] (dxg (C, J)). */
void ak_cpu_masked_conv_scatter(float *dx, const float *dxg, const int32_t *pix, int64_t J,
                                const ak_masked_conv_geom *g);
/* dbias[o] += sum over (k, n, y, x) of dout (double per o, in that order). */
void ak_cpu_masked_conv_bias_grad(float *dbias, const float *dout, const ak_masked_conv_geom *g);

#endif
