/* Internal to akd/: the double sums behind the per-iteration log statistics (akd_loss.c avatar_msd,
 * uncertainty.c BN stds). Eight independent accumulators in a fixed order (as ak_cpu_sum_block in
 * core/cpu/reduce.h, which gives the plain sums): the same bits for every call on the same data and
 * no dependence on threads, but 4-8x faster than one serial chain of double additions, which is
 * what made these statistics a visible part of the AKD step. Single-threaded; callers split work
 * into fixed units. */
#ifndef AK_AKD_STAT_SUMS_H
#define AK_AKD_STAT_SUMS_H

#include <stdint.h>

/* sum_i ((double)x[i] - mean)^2 */
static inline double ak_akd_sum_sq_dev(const float *x, int64_t n, double mean) {
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, tail = 0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const double d0 = x[i] - mean, d1 = x[i + 1] - mean, d2 = x[i + 2] - mean, d3 = x[i + 3] - mean;
        const double d4 = x[i + 4] - mean, d5 = x[i + 5] - mean, d6 = x[i + 6] - mean, d7 = x[i + 7] - mean;
        a0 += d0 * d0;
        a1 += d1 * d1;
        a2 += d2 * d2;
        a3 += d3 * d3;
        a4 += d4 * d4;
        a5 += d5 * d5;
        a6 += d6 * d6;
        a7 += d7 * d7;
    }
    for (; i < n; i++)
        tail += (x[i] - mean) * (x[i] - mean);
    return (((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))) + tail;
}

/* sum_i ((double)a[i] - (double)b[i])^2 */
static inline double ak_akd_sum_sq_diff(const float *a, const float *b, int64_t n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0, tail = 0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const double d0 = (double)a[i] - b[i], d1 = (double)a[i + 1] - b[i + 1], d2 = (double)a[i + 2] - b[i + 2],
                     d3 = (double)a[i + 3] - b[i + 3], d4 = (double)a[i + 4] - b[i + 4],
                     d5 = (double)a[i + 5] - b[i + 5], d6 = (double)a[i + 6] - b[i + 6],
                     d7 = (double)a[i + 7] - b[i + 7];
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
        s4 += d4 * d4;
        s5 += d5 * d5;
        s6 += d6 * d6;
        s7 += d7 * d7;
    }
    for (; i < n; i++)
        tail += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))) + tail;
}

#endif
