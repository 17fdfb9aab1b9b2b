/* numpy's float64 summation order (pairwise, 8-way unrolled, blocks of 128), so that means taken
 * here agree bit for bit with numpy.mean / numpy.nanmean on a contiguous 1-D array, as the official
 * tools compute them. Pure function of its input; no threads. */
#ifndef AK_NP_SUM_H
#define AK_NP_SUM_H

#include <stdint.h>

/* numpy.add.reduce(a[0:n]) (0.0 for n = 0). */
double ak_np_sum(const double *a, int64_t n);

#endif
