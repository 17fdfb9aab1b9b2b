/* CPU kernels for the normalisation layers (batch / group / layer norm).
 *
 * The norms share one data layout: P "segments" of S contiguous floats (batch and group norm: the
 * (n, c) planes of an (N, C, *) tensor; layer norm: the rows). Statistics are per segment, in double,
 * each segment summed by one thread in a fixed 8-lane order; the ops combine segments (over n for
 * batch norm, over the channels of a group for group norm) in a fixed order. Results therefore do
 * not depend on the thread count. Per-segment coefficients (float) then drive single-pass affine
 * forward and backward kernels.
 * Gradient contract: backward kernels add into dx / dgamma / dbeta (+=), except where a store flag
 * says dx is a fresh gradient to be written.
 */
#ifndef AK_CPU_NORM_H
#define AK_CPU_NORM_H

#include <stdbool.h>
#include <stdint.h>

/* s1[p] = sum (x - k[p]), s2[p] = sum (x - k[p])^2 over segment p (shifted data: k close to the
 * mean keeps E[x^2] - E[x]^2 exact enough in one pass). */
void ak_cpu_seg_moments(double *s1, double *s2, const float *x, int64_t P, int64_t S, const float *k);

/* sdy[p] = sum dy, sdyx[p] = sum dy * (x - m[p]) over segment p. With mask_y (may be NULL), dy is read
 * as y > 0 ? dy : 0 (a fused relu's backward applied in the read, not in a pass of its own), and
 * acc (may be NULL; only with mask_y) receives that masked dy in the same pass: acc += masked, or
 * with acc_store (acc fresh from ak_grad_of_fresh) acc = masked + 0.0f (the residual's gradient of
 * batch norm + add + relu). */
void ak_cpu_seg_dot(double *sdy, double *sdyx, const float *dy, const float *x, int64_t P, int64_t S,
                    const float *m, const float *mask_y, float *acc, bool acc_store);

/* y = (x - m[p]) * a[p] + b[p] (b may be NULL: 0). */
void ak_cpu_seg_affine(float *y, const float *x, int64_t P, int64_t S, const float *m, const float *a,
                       const float *b);
/* The same followed by relu in the same pass: y = v > 0 ? v : 0 (batch norm + ReLU fused). */
void ak_cpu_seg_affine_relu(float *y, const float *x, int64_t P, int64_t S, const float *m, const float *a,
                            const float *b);
/* y = relu(((x - m[p]) * a[p] + b[p]) + r), r of x's layout (batch norm + residual add + ReLU fused,
 * rounding as the three separate ops). */
void ak_cpu_seg_affine_add_relu(float *y, const float *x, const float *r, int64_t P, int64_t S, const float *m,
                                const float *a, const float *b);
/* g[i] = y[i] > 0 ? g[i] : 0 in place (relu's backward folded into the gradient of the fused op) and
 * acc[i] += the masked g[i] (the residual input's gradient), or with store (acc fresh from
 * ak_grad_of_fresh) acc[i] = masked g[i] + 0.0f. For batch norm + add + relu when its backward has
 * no statistics pass to do this in (ak_cpu_seg_dot's mask_y / acc). */
void ak_cpu_relu_mask(float *g, const float *y, float *acc, bool store, int64_t n);

/* dx += a[p] * dy + b[p] * (x - m[p]) + c[p]. With b == NULL the x term is skipped (x, m unused);
 * c may be NULL (0); mask_y (may be NULL) reads dy as y > 0 ? dy : 0, as in ak_cpu_seg_dot. store: dx
 * is a fresh uninitialised gradient (ak_grad_of_fresh) and is written (value + 0.0f, bitwise what +=
 * into zeros gives) instead of added to. */
void ak_cpu_seg_bwd(float *dx, const float *dy, const float *x, int64_t P, int64_t S, const float *a,
                    const float *b, const float *m, const float *c, const float *mask_y, bool store);

/* Layer norm with per-column affine over rows of D: y = (x - mean[r]) * rstd[r] * g[j] + beta[j]
 * (g / beta may be NULL: 1 / 0). */
void ak_cpu_ln_fwd(float *y, const float *x, int64_t R, int64_t D, const float *mean, const float *rstd,
                   const float *g, const float *beta);
/* dx += rstd * (dxh - mean(dxh) - xh * mean(dxh * xh)) per row, dxh = dy * g, xh = (x - mean) * rstd. */
void ak_cpu_ln_bwd_x(float *dx, const float *dy, const float *x, int64_t R, int64_t D, const float *mean,
                     const float *rstd, const float *g);
/* dg[j] += sum_r dy * (x - mean[r]) * rstd[r]; db[j] += sum_r dy (either may be NULL). */
void ak_cpu_ln_bwd_params(float *dg, float *db, const float *dy, const float *x, int64_t R, int64_t D,
                          const float *mean, const float *rstd);

#endif
