/* See np_sum.h. Mirrors numpy's pairwise_sum (numpy/_core/src/umath/loops_utils.h.src): below 8
 * elements a plain loop; up to 128 eight running sums combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))
 * plus a plain tail; above, split at n/2 rounded down to a multiple of 8. The reduction starts from
 * the identity 0.0. */
#include "eval/np_sum.h"

static double pairwise(const double *a, int64_t n) {
    if (n < 8) {
        double res = 0.;
        for (int64_t i = 0; i < n; i++)
            res += a[i];
        return res;
    }
    if (n <= 128) {
        double r[8];
        for (int j = 0; j < 8; j++)
            r[j] = a[j];
        int64_t i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += a[i + j];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i];
        return res;
    }
    int64_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise(a, n2) + pairwise(a + n2, n - n2);
}

double ak_np_sum(const double *a, int64_t n) { return 0.0 + pairwise(a, n); }
