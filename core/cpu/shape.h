/* CPU kernels for layout ops: strided block copies (concat, slice) and permutation.
 *
 * Pure data movement: every output element is written by exactly one thread, so results never
 * depend on the thread count. With accumulate != 0 the kernels add into dst instead (backward).
 */
#ifndef AK_CPU_SHAPE_H
#define AK_CPU_SHAPE_H

#include <stdint.h>

/* dst[i*ds0 + j*ds1 + k] (+)= src[i*ss0 + j*ss1 + k] for i < n0, j < n1, k < n2. */
void ak_cpu_copy3(float *dst, int64_t ds0, int64_t ds1, const float *src, int64_t ss0, int64_t ss1, int64_t n0,
                  int64_t n1, int64_t n2, int accumulate);

/* y (+)= permute(x, perm): x has shape in_shape (ndim dims), y has shape out[d] = in_shape[perm[d]]
 * (row-major). perm is a permutation of 0..ndim-1 (checked by the caller). */
void ak_cpu_permute(float *y, const float *x, int ndim, const int64_t *in_shape, const int *perm, int accumulate);

#endif
