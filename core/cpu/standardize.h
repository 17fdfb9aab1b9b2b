/* CPU kernels of the per-channel standardisation (core/ops/standardize.h). x is (N, C, P) with
 * P = prod(spatial dims); a group is the images [n0, n1) of one ghost batch. Statistics of (group,
 * channel) pair j = g*C + c: mean[j], std[j] (double arithmetic, stored as float).
 * Determinism: every (group, channel) pair is reduced serially in a fixed order.
 */
#ifndef AK_CPU_STANDARDIZE_H
#define AK_CPU_STANDARDIZE_H

#include <stdbool.h>
#include <stdint.h>

/* groups: n_groups + 1 image boundaries (groups[0] = 0, groups[n_groups] = N). */
void ak_cpu_standardize_fwd(float *y, float *mean, float *std, const float *x, const int64_t *groups, int n_groups,
                            int64_t C, int64_t P, bool unbiased, float eps);
/* dx += (dy - mean(dy)) / s - sum(dy u) u / (s^2 (M - b) std), s = std + eps, u = x - mean,
 * M = values per pair, b = 1 when unbiased else 0; the second term is 0 where std == 0. */
void ak_cpu_standardize_bwd(float *dx, const float *dy, const float *x, const float *mean, const float *std,
                            const int64_t *groups, int n_groups, int64_t C, int64_t P, bool unbiased, float eps);

#endif
