/* Internal to akd/: the double sums behind the per-iteration log statistics (akd_loss.c avatar_msd,
 * uncertainty.c BN stds). Eight independent accumulators in a fixed order (as ak_cpu_sum_block in
 * core/cpu/reduce.h, which gives the plain sums): the same bits for every call on the same data and
 * no dependence on threads, but 4-8x faster than one serial chain of double additions, which is
 * what made these statistics a visible part of the AKD step. Single-threaded; callers split work
 * into fixed units. */
#ifndef AK_AKD_STAT_SUMS_H
#define AK_AKD_STAT_SUMS_H

#include <stddef.h>
#include <stdint.h>

/* sum_i (a[i] - ref_i)^2 in double, ref_i = b[i] (b != NULL) or mean. Accumulator k takes the
 * elements i = 8m + k in order, the tail goes to its own sum, and the nine are combined in one fixed
 * tree: the order the unrolled versions used, so the bits are those of earlier runs. */
static inline double ak_akd_sum_sq8(const float *a, const float *b, double mean, int64_t n) {
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0}, tail = 0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) {
            const double d = (double)a[i + k] - (b ? (double)b[i + k] : mean);
            acc[k] += d * d;
        }
    for (; i < n; i++) {
        const double d = (double)a[i] - (b ? (double)b[i] : mean);
        tail += d * d;
    }
    return (((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))) + tail;
}

/* sum_i ((double)x[i] - mean)^2 */
static inline double ak_akd_sum_sq_dev(const float *x, int64_t n, double mean) { return ak_akd_sum_sq8(x, NULL, mean, n); }

/* sum_i ((double)a[i] - (double)b[i])^2 */
static inline double ak_akd_sum_sq_diff(const float *a, const float *b, int64_t n) { return ak_akd_sum_sq8(a, b, 0.0, n); }

#endif
