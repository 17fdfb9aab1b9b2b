/* CPU layout kernels; see shape.h.
 *
 * Permute first simplifies the problem: size-1 dims are dropped and output dims that stay
 * neighbours in the input are merged. If the innermost output dim is also innermost in the input
 * the copy is a set of contiguous rows; otherwise it is a batch of 2-D transposes between the output
 * dim that is contiguous in the input and the innermost output dim, done in TILE x TILE tiles so both
 * sides are read and written a cache line at a time.
 */
#include "core/cpu/shape.h"

#include <string.h>

#include "core/tensor.h"

#define PAR_MIN 32768 /* below this many elements, threading costs more than it saves */
#define TILE 32

void ak_cpu_copy3(float *dst, int64_t ds0, int64_t ds1, const float *src, int64_t ss0, int64_t ss1, int64_t n0,
                  int64_t n1, int64_t n2, int accumulate) {
    const int64_t rows = n0 * n1;
#pragma omp parallel for schedule(static) if (rows * n2 > PAR_MIN)
    for (int64_t r = 0; r < rows; r++) {
        int64_t i = r / n1, j = r % n1;
        float *d = dst + i * ds0 + j * ds1;
        const float *s = src + i * ss0 + j * ss1;
        if (accumulate) {
#pragma omp simd
            for (int64_t k = 0; k < n2; k++)
                d[k] += s[k];
        } else {
            memcpy(d, s, (size_t)n2 * sizeof *d);
        }
    }
}

void ak_cpu_permute(float *y, const float *x, int ndim, const int64_t *in_shape, const int *perm, int accumulate) {
    int64_t istr[AK_MAX_DIMS];
    int64_t c = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        istr[d] = c;
        c *= in_shape[d];
    }
    const int64_t numel = c;
    if (numel == 0)
        return;
    /* merged output dims: size and input stride */
    int m = 0;
    int64_t size[AK_MAX_DIMS], st[AK_MAX_DIMS];
    int last_in = -2;
    for (int d = 0; d < ndim; d++) {
        int p = perm[d];
        if (in_shape[p] == 1)
            continue;
        if (m && p == last_in + 1) { /* continues the previous output dim's input run */
            size[m - 1] *= in_shape[p];
            st[m - 1] = istr[p];
        } else {
            size[m] = in_shape[p];
            st[m] = istr[p];
            m++;
        }
        last_in = p;
    }
    if (m == 0) {
        y[0] = accumulate ? y[0] + x[0] : x[0];
        return;
    }
    int64_t ostr[AK_MAX_DIMS];
    c = 1;
    for (int k = m - 1; k >= 0; k--) {
        ostr[k] = c;
        c *= size[k];
    }
    int q = -1; /* the output dim that is contiguous in the input */
    for (int k = 0; k < m; k++)
        if (st[k] == 1)
            q = k;
    const int l = m - 1;
    if (q == l) { /* contiguous rows of size[l] */
        const int64_t rows = numel / size[l];
#pragma omp parallel for schedule(static) if (numel > PAR_MIN)
        for (int64_t r = 0; r < rows; r++) {
            int64_t off = 0, rem = r;
            for (int k = l - 1; k >= 0; k--) {
                off += (rem % size[k]) * st[k];
                rem /= size[k];
            }
            float *d = y + r * size[l];
            const float *s = x + off;
            if (accumulate) {
#pragma omp simd
                for (int64_t j = 0; j < size[l]; j++)
                    d[j] += s[j];
            } else {
                memcpy(d, s, (size_t)size[l] * sizeof *d);
            }
        }
        return;
    }
    /* batched transposes: tiles over (q, l); the other dims form the batch */
    const int64_t nq = size[q], nl = size[l];
    const int64_t tq = (nq + TILE - 1) / TILE, tl = (nl + TILE - 1) / TILE;
    const int64_t batch = numel / (nq * nl), units = batch * tq * tl;
    const int64_t sl = st[l], oq = ostr[q];
#pragma omp parallel for schedule(static) if (numel > PAR_MIN)
    for (int64_t u = 0; u < units; u++) {
        int64_t b = u / (tq * tl), t = u % (tq * tl);
        int64_t q0 = (t / tl) * TILE, l0 = (t % tl) * TILE;
        int64_t q1 = q0 + TILE < nq ? q0 + TILE : nq, l1 = l0 + TILE < nl ? l0 + TILE : nl;
        int64_t xo = 0, yo = 0, rem = b;
        for (int k = m - 1; k >= 0; k--) {
            if (k == q || k == l)
                continue;
            int64_t i = rem % size[k];
            rem /= size[k];
            xo += i * st[k];
            yo += i * ostr[k];
        }
        for (int64_t i = q0; i < q1; i++) {
            float *d = y + yo + i * oq;
            const float *s = x + xo + i;
            if (accumulate) {
                for (int64_t j = l0; j < l1; j++)
                    d[j] += s[j * sl];
            } else {
                for (int64_t j = l0; j < l1; j++)
                    d[j] = s[j * sl];
            }
        }
    }
}
