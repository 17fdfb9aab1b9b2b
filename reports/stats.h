/* Summary statistics of a report cell: the mean and the sample standard deviation of the final
 * metrics of a group of runs (one per seed), and the difference of two such groups.
 *
 * Arithmetic is plain double precision in the order the values are given (the callers order runs by
 * seed, then file name), so a report is reproducible bit for bit and a test can recompute every
 * number. The standard deviation is the sample one (divisor n - 1, as numpy.std(ddof=1) and the
 * papers' "mean +- std over seeds"); it is NaN for n < 2 (one seed has no spread to report).
 *
 * The *_nan variants skip NaN inputs (a class absent from the validation set has IoU NaN, as in
 * mmseg) and report how many values were used.
 *
 * No allocation, no errors: n = 0 gives mean and std NaN.
 */
#ifndef AK_REPORTS_STATS_H
#define AK_REPORTS_STATS_H

#include <stdint.h>

typedef struct ak_stat {
    int n;       /* values used */
    double mean; /* NaN when n == 0 */
    double std;  /* sample std (n - 1); NaN when n < 2 */
} ak_stat;

/* Mean and sample std of x (n). */
ak_stat ak_stat_of(const double *x, int n);
/* The same over the non-NaN entries of x (n). */
ak_stat ak_stat_of_nan(const double *x, int n);

/* Difference "with minus without". When the two sides were run with the same seeds (paired: a[i]
 * and b[i] share seed i, same count), the statistics of the per-seed differences b[i] - a[i]; else
 * mean(b) - mean(a) with std sqrt(std_a^2 + std_b^2) (independent samples) and n = min(n_a, n_b).
 * *paired (may be NULL) tells which. */
ak_stat ak_stat_delta(const double *a, const int64_t *seeds_a, int n_a, const double *b, const int64_t *seeds_b,
                      int n_b, int *paired);

#endif
