/* Mean, sample std and paired / unpaired differences for report cells (see stats.h). */
#include "reports/stats.h"

#include <math.h>

ak_stat ak_stat_of(const double *x, int n) {
    ak_stat s = {n, NAN, NAN};
    if (n <= 0) {
        s.n = 0;
        return s;
    }
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += x[i];
    s.mean = sum / n;
    if (n >= 2) {
        /* Two passes (sum of squared deviations from the mean), not sum(x^2) - n*mean^2, which
         * cancels catastrophically for metrics that agree to many digits across seeds. */
        double ss = 0.0;
        for (int i = 0; i < n; i++)
            ss += (x[i] - s.mean) * (x[i] - s.mean);
        s.std = sqrt(ss / (n - 1));
    }
    return s;
}

ak_stat ak_stat_of_nan(const double *x, int n) {
    ak_stat s = {0, NAN, NAN};
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        if (!isnan(x[i])) {
            sum += x[i];
            s.n++;
        }
    if (s.n == 0)
        return s;
    s.mean = sum / s.n;
    if (s.n >= 2) {
        double ss = 0.0;
        for (int i = 0; i < n; i++)
            if (!isnan(x[i]))
                ss += (x[i] - s.mean) * (x[i] - s.mean);
        s.std = sqrt(ss / (s.n - 1));
    }
    return s;
}

ak_stat ak_stat_delta(const double *a, const int64_t *seeds_a, int n_a, const double *b, const int64_t *seeds_b,
                      int n_b, int *paired) {
    int same = n_a == n_b && n_a > 0 && seeds_a && seeds_b;
    for (int i = 0; same && i < n_a; i++)
        same = seeds_a[i] == seeds_b[i];
    if (paired)
        *paired = same;
    if (same) { /* ak_stat_of on d[i] = b[i] - a[i], without storing d */
        ak_stat s = {n_a, NAN, NAN};
        double sum = 0.0;
        for (int i = 0; i < n_a; i++)
            sum += b[i] - a[i];
        s.mean = sum / n_a;
        if (n_a >= 2) {
            double ss = 0.0;
            for (int i = 0; i < n_a; i++)
                ss += (b[i] - a[i] - s.mean) * (b[i] - a[i] - s.mean);
            s.std = sqrt(ss / (n_a - 1));
        }
        return s;
    }
    ak_stat sa = ak_stat_of(a, n_a), sb = ak_stat_of(b, n_b);
    ak_stat s = {n_a < n_b ? n_a : n_b, sb.mean - sa.mean, NAN};
    if (s.n == 0) {
        s.mean = NAN;
        return s;
    }
    if (!isnan(sa.std) && !isnan(sb.std))
        s.std = sqrt(sa.std * sa.std + sb.std * sb.std);
    return s;
}
