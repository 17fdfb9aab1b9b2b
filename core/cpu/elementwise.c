/* CPU broadcasting binary kernel; see elementwise.h.
 *
 * The iteration space is simplified first: out dims of size 1 are dropped and neighbouring dims with
 * the same broadcast pattern (whether a, resp. b, moves along them) are merged. For the usual
 * patterns this leaves a few long contiguous rows, e.g. (N,C,H,W) + (1,C,1,1) becomes N*C rows of
 * H*W elements with a per-row scalar b, and the inner loop is a plain vectorisable stream.
 */
#include "core/cpu/elementwise.h"

#include "core/tensor.h"

#define PAR_MIN 32768 /* below this many elements, threading costs more than it saves */
#define CHUNK 16384   /* elements per work unit along a row */

/* Inner loop over n elements, A / B being the operand expressions at column j. */
#define LOOP(EXPR)                                       \
    do {                                                 \
        if (accumulate) {                                \
            _Pragma("omp simd") for (int64_t j = 0; j < n; j++) yy[j] += alpha * (EXPR); \
        } else {                                         \
            _Pragma("omp simd") for (int64_t j = 0; j < n; j++) yy[j] = alpha * (EXPR);  \
        }                                                \
    } while (0)

#define OPS(A, B)                   \
    switch (op) {                   \
    case AK_BIN_ADD:                \
        LOOP((A) + (B));            \
        break;                      \
    case AK_BIN_SUB:                \
        LOOP((A) - (B));            \
        break;                      \
    case AK_BIN_MUL:                \
        LOOP((A) * (B));            \
        break;                      \
    case AK_BIN_DIV:                \
        LOOP((A) / (B));            \
        break;                      \
    case AK_BIN_B:                  \
        LOOP(B);                    \
        break;                      \
    }

/* One contiguous run of n output elements; pa / pb point at the operands' first elements and move
 * with the row (sa / sb = 1) or stay (0). */
static void run(float *yy, const float *pa, int sa, const float *pb, int sb, int64_t n, ak_bin_op op, float alpha,
                int accumulate) {
    if (op == AK_BIN_B) {
        if (sb) {
            OPS(0.0f, pb[j]);
        } else {
            const float bv = pb[0];
            OPS(0.0f, bv);
        }
        return;
    }
    if (sa && sb) {
        OPS(pa[j], pb[j]);
    } else if (sa) {
        const float bv = pb[0];
        OPS(pa[j], bv);
    } else if (sb) {
        const float av = pa[0];
        OPS(av, pb[j]);
    } else {
        const float av = pa[0], bv = pb[0];
        OPS(av, bv);
    }
}

void ak_cpu_binary(float *y, const float *a, const int64_t *a_shape, const float *b, const int64_t *b_shape,
                   int ndim, const int64_t *out_shape, ak_bin_op op, float alpha, int accumulate) {
    /* merged dims: size, and whether a / b move along them */
    int m = 0;
    int64_t size[AK_MAX_DIMS];
    int fa[AK_MAX_DIMS], fb[AK_MAX_DIMS];
    for (int d = 0; d < ndim; d++) {
        if (out_shape[d] == 1)
            continue;
        int ma = a_shape ? a_shape[d] != 1 : 0, mbv = b_shape[d] != 1;
        if (m && fa[m - 1] == ma && fb[m - 1] == mbv) {
            size[m - 1] *= out_shape[d];
        } else {
            size[m] = out_shape[d];
            fa[m] = ma;
            fb[m] = mbv;
            m++;
        }
    }
    const int64_t numel = ak_shape_numel(ndim, out_shape);
    if (numel == 0)
        return;
    if (m == 0) { /* a single element */
        size[0] = 1;
        fa[0] = fb[0] = 1;
        m = 1;
    }
    int64_t sta[AK_MAX_DIMS], stb[AK_MAX_DIMS]; /* operand strides per merged dim (0: broadcast) */
    int64_t ca = 1, cb = 1;
    for (int k = m - 1; k >= 0; k--) {
        sta[k] = fa[k] ? ca : 0;
        stb[k] = fb[k] ? cb : 0;
        if (fa[k])
            ca *= size[k];
        if (fb[k])
            cb *= size[k];
    }
    const int64_t L = size[m - 1], rows = numel / L, nch = (L + CHUNK - 1) / CHUNK;
    const int64_t units = rows * nch;
    const int sa = fa[m - 1], sb = fb[m - 1];
#pragma omp parallel for schedule(static) if (numel > PAR_MIN)
    for (int64_t u = 0; u < units; u++) {
        int64_t r = u / nch, c = u % nch;
        int64_t oa = 0, ob = 0, rem = r;
        for (int k = m - 2; k >= 0; k--) {
            int64_t i = rem % size[k];
            rem /= size[k];
            oa += i * sta[k];
            ob += i * stb[k];
        }
        int64_t j0 = c * CHUNK, n = L - j0 < CHUNK ? L - j0 : CHUNK;
        run(y + r * L + j0, a ? a + oa + (sa ? j0 : 0) : NULL, sa, b + ob + (sb ? j0 : 0), sb, n, op, alpha,
            accumulate);
    }
}

void ak_cpu_axpy(float *y, float alpha, const float *x, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        y[i] += alpha * x[i];
}
