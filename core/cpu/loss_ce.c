/* CPU kernels of cross-entropy over dim 1 of (n,c,s) logits. See core/cpu/loss.h.
 *
 * Classes are strided by s in NCHW, so the kernels work on blocks of CE_BLK consecutive pixels of
 * one image: each class row of the block is a contiguous read, and the per-pixel max / sum of
 * exponentials live in small arrays. Blocks are grouped into AK_LOSS_CHUNKS fixed chunks for the
 * reduction (the same partition for any thread count). logsumexp uses float max + exp and a double
 * sum over classes; it is stored (as float) for every pixel, ignored ones included, so that the
 * backward pass can form softmax = exp(x - lse) without any non-finite intermediate. */
#include "core/cpu/loss.h"

#include <math.h>

#define CE_BLK 128

static inline void block_of(int64_t u, int64_t nblk, int64_t s, int64_t *img, int64_t *s0, int64_t *len) {
    *img = u / nblk;
    *s0 = (u % nblk) * CE_BLK;
    *len = s - *s0 < CE_BLK ? s - *s0 : CE_BLK;
}

void ak_cpu_ce_fwd(float *out, float *lse, double sums[2], const float *x, const int32_t *y, const float *cw,
                   int64_t n, int64_t c, int64_t s, int32_t ignore) {
    int64_t nblk = (s + CE_BLK - 1) / CE_BLK, units = n * nblk;
    double part_l[AK_LOSS_CHUNKS], part_w[AK_LOSS_CHUNKS];
#pragma omp parallel for schedule(static) if (n * c * s > AK_LOSS_PAR_MIN)
    for (int k = 0; k < AK_LOSS_CHUNKS; k++) {
        double sl = 0.0, sw = 0.0;
        float mx[CE_BLK];
        double acc[CE_BLK];
        for (int64_t u = ak_loss_chunk(units, k); u < ak_loss_chunk(units, k + 1); u++) {
            int64_t img, s0, len;
            block_of(u, nblk, s, &img, &s0, &len);
            const float *xs = x + img * c * s + s0;
            for (int64_t j = 0; j < len; j++)
                mx[j] = xs[j];
            for (int64_t cc = 1; cc < c; cc++) {
                const float *row = xs + cc * s;
                for (int64_t j = 0; j < len; j++)
                    mx[j] = fmaxf(mx[j], row[j]);
            }
            for (int64_t j = 0; j < len; j++)
                acc[j] = 0.0;
            for (int64_t cc = 0; cc < c; cc++) {
                const float *row = xs + cc * s;
                for (int64_t j = 0; j < len; j++)
                    acc[j] += expf(row[j] - mx[j]);
            }
            int64_t pix0 = img * s + s0;
            for (int64_t j = 0; j < len; j++) {
                double l = (double)mx[j] + log(acc[j]);
                lse[pix0 + j] = (float)l;
                int32_t lab = y[pix0 + j];
                if (lab == ignore) {
                    if (out)
                        out[pix0 + j] = 0.0f;
                    continue;
                }
                double wy = cw ? cw[lab] : 1.0;
                double v = wy * (l - xs[lab * s + j]);
                if (out)
                    out[pix0 + j] = (float)v;
                sl += v;
                sw += wy;
            }
        }
        part_l[k] = sl;
        part_w[k] = sw;
    }
    sums[0] = ak_cpu_loss_combine(part_l);
    sums[1] = ak_cpu_loss_combine(part_w);
}

void ak_cpu_ce_bwd(float *dx, const float *x, const int32_t *y, const float *cw, const float *lse, int64_t n,
                   int64_t c, int64_t s, int32_t ignore, const float *dy, float coef) {
    int64_t nblk = (s + CE_BLK - 1) / CE_BLK, units = n * nblk;
#pragma omp parallel for schedule(static) if (n * c * s > AK_LOSS_PAR_MIN)
    for (int64_t u = 0; u < units; u++) {
        int64_t img, s0, len;
        block_of(u, nblk, s, &img, &s0, &len);
        int64_t pix0 = img * s + s0;
        float g[CE_BLK];
        int any = 0;
        for (int64_t j = 0; j < len; j++) {
            int32_t lab = y[pix0 + j];
            g[j] = lab == ignore ? 0.0f : (dy ? dy[pix0 + j] : coef) * (cw ? cw[lab] : 1.0f);
            any |= g[j] != 0.0f;
        }
        if (!any)
            continue; /* fully ignored block (or zero upstream gradient): nothing to add */
        const float *xs = x + img * c * s + s0, *ls = lse + pix0;
        float *dxs = dx + img * c * s + s0;
        /* d/dx_c = g (softmax_c - [c == y]) */
        for (int64_t cc = 0; cc < c; cc++) {
            const float *row = xs + cc * s;
            float *drow = dxs + cc * s;
            for (int64_t j = 0; j < len; j++)
                drow[j] += g[j] * expf(row[j] - ls[j]);
        }
        for (int64_t j = 0; j < len; j++) {
            int32_t lab = y[pix0 + j];
            if (lab != ignore)
                dxs[lab * s + j] -= g[j];
        }
    }
}
