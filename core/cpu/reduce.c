/* CPU sums over dimension sets and max along an axis; see reduce.h.
 *
 * ak_cpu_reduce_sum first drops size-1 dims and merges neighbouring dims that are all kept or all
 * summed, so any request becomes alternating runs "kept / summed". Two stages then cover every case:
 *   A. innermost run summed (e.g. (N,C,HW) -> (1,C,1)): every contiguous row of length L is cut into
 *      fixed blocks of BLK_A elements, blocks are summed in parallel and combined per row in order;
 *   B. innermost run kept (e.g. (N,C) -> (1,C), or the row sums left by stage A): for each output
 *      row, the input rows that map to it are added column-wise into a double accumulator. Columns
 *      are cut into chunks of COL_CHUNK and, when that gives too few work units, the summed rows into
 *      a shape-determined number of row blocks whose partials are combined in order.
 * Block sizes depend only on the shapes, so the result is the same for every thread count.
 */
#include "core/cpu/reduce.h"

#include <string.h>

#include "core/tensor.h"

#define BLK_A 8192      /* elements per partial sum of a contiguous summed run */
#define COL_CHUNK 1024  /* columns per work unit when the innermost run is kept */
#define MIN_UNITS 16    /* below this many units, stage B also splits the summed rows */
#define PAR_MIN 32768   /* below this many elements, threading costs more than it saves */

double ak_cpu_sum_block(const float *x, int64_t n) {
    /* eight named accumulators rather than an array: GCC then keeps them in registers (an array
     * made it round-trip through the stack every iteration, 2.3x slower) */
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        a0 += x[i];
        a1 += x[i + 1];
        a2 += x[i + 2];
        a3 += x[i + 3];
        a4 += x[i + 4];
        a5 += x[i + 5];
        a6 += x[i + 6];
        a7 += x[i + 7];
    }
    double tail = 0;
    for (; i < n; i++)
        tail += x[i];
    return (((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))) + tail;
}

/* The merged view of a reduction and the work split of both stages. */
typedef struct plan {
    int m;                       /* merged dims */
    int64_t size[AK_MAX_DIMS];
    int red[AK_MAX_DIMS];        /* 1 = summed over */
    int64_t numel;
    int stage_a;                 /* innermost run summed */
    int64_t a_len, a_rows, a_nb; /* row length, rows, blocks per row */
    int stage_b;                 /* a summed run remains with a kept innermost run */
    int mb;                      /* leading merged dims that stage B sees */
    int64_t b_T, b_L, b_R, b_njc, b_nrb, b_Rb;
    size_t ws_partial, ws_rows, ws_b; /* workspace sizes in doubles */
} plan;

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

static void make_plan(plan *p, int ndim, const int64_t *in, const int64_t *out) {
    memset(p, 0, sizeof *p);
    p->numel = ak_shape_numel(ndim, in);
    for (int d = 0; d < ndim; d++) {
        if (in[d] == 1)
            continue;
        int r = out[d] == 1;
        if (p->m && p->red[p->m - 1] == r) {
            p->size[p->m - 1] *= in[d];
        } else {
            p->size[p->m] = in[d];
            p->red[p->m] = r;
            p->m++;
        }
    }
    if (p->numel == 0 || p->m == 0)
        return;
    int mb = p->m;
    if (p->red[p->m - 1]) {
        p->stage_a = 1;
        p->a_len = p->size[p->m - 1];
        p->a_rows = p->numel / p->a_len;
        p->a_nb = ceil_div(p->a_len, BLK_A);
        p->ws_partial = (size_t)(p->a_rows * p->a_nb);
        p->ws_rows = p->a_nb > 1 ? (size_t)p->a_rows : 0;
        mb = p->m - 1;
    }
    int any_red = 0;
    for (int k = 0; k < mb; k++)
        any_red |= p->red[k];
    if (!any_red)
        return;
    p->stage_b = 1;
    p->mb = mb;
    p->b_L = p->size[mb - 1];
    p->b_T = 1;
    p->b_R = 1;
    for (int k = 0; k < mb - 1; k++) {
        if (p->red[k])
            p->b_R *= p->size[k];
        else
            p->b_T *= p->size[k];
    }
    p->b_njc = ceil_div(p->b_L, COL_CHUNK);
    int64_t base = p->b_T * p->b_njc;
    int64_t nrb = base >= MIN_UNITS ? 1 : ceil_div(MIN_UNITS, base);
    if (nrb > p->b_R)
        nrb = p->b_R;
    p->b_Rb = ceil_div(p->b_R, nrb);
    p->b_nrb = ceil_div(p->b_R, p->b_Rb);
    p->ws_b = p->b_nrb > 1 ? (size_t)(p->b_T * p->b_nrb * p->b_L) : 0;
}

size_t ak_cpu_reduce_sum_workspace(int ndim, const int64_t *in_shape, const int64_t *out_shape) {
    plan p;
    make_plan(&p, ndim, in_shape, out_shape);
    return (p.ws_partial + p.ws_rows + p.ws_b) * sizeof(double);
}

static inline void store(float *y, int64_t i, double v, double alpha, int accumulate) {
    if (accumulate)
        y[i] += (float)(alpha * v);
    else
        y[i] = (float)(alpha * v);
}

/* Stage B for input element type T: dims size[0..mb) of the plan, innermost kept. */
#define DEFINE_STAGE_B(NAME, T)                                                                          \
    static void NAME(float *y, const T *x, const plan *p, double alpha, int accumulate, double *part) {  \
        const int mb = p->mb;                                                                            \
        int64_t stride[AK_MAX_DIMS];                                                                     \
        stride[mb - 1] = 1;                                                                              \
        for (int k = mb - 2; k >= 0; k--)                                                                \
            stride[k] = stride[k + 1] * p->size[k + 1];                                                  \
        int nk = 0, nr = 0;                                                                              \
        int64_t ksz[AK_MAX_DIMS], kst[AK_MAX_DIMS], rsz[AK_MAX_DIMS], rst[AK_MAX_DIMS];                  \
        for (int k = 0; k < mb - 1; k++) {                                                               \
            if (p->red[k]) {                                                                             \
                rsz[nr] = p->size[k];                                                                    \
                rst[nr++] = stride[k];                                                                   \
            } else {                                                                                     \
                ksz[nk] = p->size[k];                                                                    \
                kst[nk++] = stride[k];                                                                   \
            }                                                                                            \
        }                                                                                                \
        const int64_t L = p->b_L, njc = p->b_njc, nrb = p->b_nrb, Rb = p->b_Rb, R = p->b_R;              \
        const int64_t units = p->b_T * njc * nrb;                                                        \
        const int64_t total = p->b_T * R * L;                                                            \
        _Pragma("omp parallel for schedule(static) if (total > PAR_MIN)")                                \
        for (int64_t u = 0; u < units; u++) {                                                            \
            int64_t rb = u % nrb, jc = (u / nrb) % njc, t = u / nrb / njc;                               \
            int64_t off = 0, rem = t;                                                                    \
            for (int k = nk - 1; k >= 0; k--) {                                                          \
                off += (rem % ksz[k]) * kst[k];                                                          \
                rem /= ksz[k];                                                                           \
            }                                                                                            \
            int64_t r0 = rb * Rb, r1 = r0 + Rb < R ? r0 + Rb : R;                                        \
            int64_t idx[AK_MAX_DIMS], roff = 0;                                                          \
            rem = r0;                                                                                    \
            for (int k = nr - 1; k >= 0; k--) {                                                          \
                idx[k] = rem % rsz[k];                                                                   \
                roff += idx[k] * rst[k];                                                                 \
                rem /= rsz[k];                                                                           \
            }                                                                                            \
            int64_t j0 = jc * COL_CHUNK, jn = L - j0 < COL_CHUNK ? L - j0 : COL_CHUNK;                   \
            double acc[COL_CHUNK];                                                                       \
            for (int64_t j = 0; j < jn; j++)                                                             \
                acc[j] = 0;                                                                              \
            for (int64_t r = r0; r < r1; r++) {                                                          \
                const T *row = x + off + roff + j0;                                                      \
                _Pragma("omp simd")                                                                      \
                for (int64_t j = 0; j < jn; j++)                                                         \
                    acc[j] += row[j];                                                                    \
                for (int k = nr - 1; k >= 0; k--) { /* odometer over the summed dims */                  \
                    roff += rst[k];                                                                      \
                    if (++idx[k] < rsz[k])                                                               \
                        break;                                                                           \
                    roff -= rsz[k] * rst[k];                                                             \
                    idx[k] = 0;                                                                          \
                }                                                                                        \
            }                                                                                            \
            if (nrb == 1) {                                                                              \
                for (int64_t j = 0; j < jn; j++)                                                         \
                    store(y, t * L + j0 + j, acc[j], alpha, accumulate);                                 \
            } else {                                                                                     \
                double *dst = part + (t * nrb + rb) * L + j0;                                            \
                for (int64_t j = 0; j < jn; j++)                                                         \
                    dst[j] = acc[j];                                                                     \
            }                                                                                            \
        }                                                                                                \
        if (nrb > 1) {                                                                                   \
            const int64_t nout = p->b_T * L;                                                             \
            _Pragma("omp parallel for schedule(static) if (nout * nrb > PAR_MIN)")                       \
            for (int64_t o = 0; o < nout; o++) {                                                         \
                int64_t t = o / L, j = o % L;                                                            \
                double s = 0;                                                                            \
                for (int64_t rb = 0; rb < nrb; rb++)                                                     \
                    s += part[(t * nrb + rb) * L + j];                                                   \
                store(y, o, s, alpha, accumulate);                                                       \
            }                                                                                            \
        }                                                                                                \
    }

DEFINE_STAGE_B(stage_b_f32, float)
DEFINE_STAGE_B(stage_b_f64, double)

void ak_cpu_reduce_sum(float *y, const float *x, int ndim, const int64_t *in_shape, const int64_t *out_shape,
                       double alpha, int accumulate, void *work) {
    plan p;
    make_plan(&p, ndim, in_shape, out_shape);
    const int64_t nout = ak_shape_numel(ndim, out_shape);
    if (p.numel == 0) {
        if (!accumulate)
            memset(y, 0, (size_t)nout * sizeof *y);
        return;
    }
    if (!p.stage_a && !p.stage_b) { /* nothing is summed: a scaled copy */
        for (int64_t i = 0; i < nout; i++)
            store(y, i, x[i], alpha, accumulate);
        return;
    }
    double *ws = work;
    if (!p.stage_a) {
        stage_b_f32(y, x, &p, alpha, accumulate, ws);
        return;
    }
    double *partial = ws, *rows = p.a_nb > 1 ? ws + p.ws_partial : partial;
    const int64_t units = p.a_rows * p.a_nb, len = p.a_len, nb = p.a_nb;
#pragma omp parallel for schedule(static) if (p.numel > PAR_MIN)
    for (int64_t u = 0; u < units; u++) {
        int64_t r = u / nb, b = u % nb;
        int64_t n = len - b * BLK_A < BLK_A ? len - b * BLK_A : BLK_A;
        partial[u] = ak_cpu_sum_block(x + r * len + b * BLK_A, n);
    }
    if (nb > 1) {
        for (int64_t r = 0; r < p.a_rows; r++) {
            double s = 0;
            for (int64_t b = 0; b < nb; b++)
                s += partial[r * nb + b];
            rows[r] = s;
        }
    }
    if (p.stage_b) {
        stage_b_f64(y, rows, &p, alpha, accumulate, ws + p.ws_partial + p.ws_rows);
    } else {
        for (int64_t r = 0; r < p.a_rows; r++)
            store(y, r, rows[r], alpha, accumulate);
    }
}

void ak_cpu_max_axis(float *y, int64_t *idx, const float *x, int64_t outer, int64_t len, int64_t inner) {
    const int64_t total = outer * len * inner;
#pragma omp parallel for schedule(static) if (total > PAR_MIN)
    for (int64_t o = 0; o < outer; o++) {
        const float *xo = x + o * len * inner;
        float *yo = y + o * inner;
        int64_t *io = idx + o * inner;
        for (int64_t i = 0; i < inner; i++) {
            yo[i] = xo[i];
            io[i] = 0;
        }
        for (int64_t a = 1; a < len; a++) {
            const float *xa = xo + a * inner;
            for (int64_t i = 0; i < inner; i++) {
                float v = xa[i], b = yo[i];
                /* strictly greater keeps the first maximum; a NaN replaces any number once */
                if (v > b || (v != v && b == b)) {
                    yo[i] = v;
                    io[i] = a;
                }
            }
        }
    }
}

void ak_cpu_max_axis_bwd(float *dx, const float *dy, const int64_t *idx, int64_t outer, int64_t len,
                         int64_t inner) {
    const int64_t total = outer * inner;
#pragma omp parallel for schedule(static) if (total > PAR_MIN)
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++)
            dx[(o * len + idx[o * inner + i]) * inner + i] += dy[o * inner + i];
}
