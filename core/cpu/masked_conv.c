/* CPU kernels of the masked convolution; layouts and formulas in masked_conv.h. The products work on
 * (pixel, tap * out-channel) rows so that the inner loops run over contiguous out-channels. */
#include "core/cpu/masked_conv.h"

#include <omp.h>
#include <stdbool.h>
#include <string.h>

#define PAR_MIN 32768 /* below this many elements, threads cost more than they save */
#define DP_BLOCK 16   /* support pixels per block of the gradient kernel: one cache line of dpt */

int64_t ak_cpu_masked_conv_support(int32_t *col, int32_t *pix, const float *m, const ak_masked_conv_geom *g) {
    const int64_t HW = g->H * g->W, NHW = g->N * HW;
    int64_t J = 0;
    for (int64_t i = 0; i < NHW; i++) { /* i = n*HW + s */
        bool on = false;
        for (int64_t k = 0; k < g->K && !on; k++)
            on = m[k * NHW + i] != 0.0f;
        col[i] = on ? (int32_t)J : -1;
        if (on)
            pix[J++] = (int32_t)i;
    }
    return J;
}

void ak_cpu_masked_conv_gather(float *xg, const float *x, const int32_t *pix, int64_t J, const ak_masked_conv_geom *g) {
    const int64_t HW = g->H * g->W, C = g->C;
#pragma omp parallel for schedule(static) if (C * J > PAR_MIN)
    for (int64_t c = 0; c < C; c++) {
        float *row = xg + c * J;
        int64_t n = 0; /* the support is in image order: step n instead of dividing */
        for (int64_t j = 0; j < J; j++) {
            while (pix[j] >= (n + 1) * HW)
                n++;
            row[j] = x[(n * C + c) * HW + pix[j] - n * HW];
        }
    }
}

void ak_cpu_masked_conv_taps_weight(float *wt, const float *w, const ak_masked_conv_geom *g) {
    const int64_t T = (int64_t)g->kh * g->kw, O = g->O, C = g->C, CT = C * T, nb = (O + 15) / 16;
#pragma omp parallel for schedule(static) if (O * C * T > PAR_MIN)
    for (int64_t b = 0; b < nb; b++) { /* 16 output channels: 16 contiguous reads of w, 16-float runs of wt */
        const int64_t o0 = b * 16, o1 = o0 + 16 < O ? o0 + 16 : O;
        for (int64_t ct = 0; ct < CT; ct++) { /* ct = c*T + t */
            float *dst = wt + ct / T * T * O + ct % T * O;
            for (int64_t o = o0; o < o1; o++)
                dst[o] = w[o * CT + ct];
        }
    }
}

int64_t ak_cpu_masked_conv_row_ws_floats(const ak_masked_conv_geom *g) {
    return (int64_t)omp_get_max_threads() * g->W * g->O;
}

void ak_cpu_masked_conv_assemble(float *out, const float *p, int64_t j0, const float *m, const int32_t *col,
                                 const float *bias, const ak_masked_conv_geom *g, int64_t n0, int64_t n1, int64_t y0,
                                 int64_t y1, float *ws) {
    const int64_t H = g->H, W = g->W, HW = H * W, O = g->O, N = g->N, T = (int64_t)g->kh * g->kw, TO = T * O;
    const int ph = (g->kh - 1) / 2, pw = (g->kw - 1) / 2;
    const int64_t nn = n1 - n0, ny = y1 - y0, rows = g->K * nn * ny;
#pragma omp parallel for schedule(static) if (rows * W * O > PAR_MIN)
    for (int64_t r = 0; r < rows; r++) { /* r = (k*nn + (n - n0))*ny + (y - y0) */
        const int64_t k = r / (nn * ny), n = n0 + r / ny % nn, y = y0 + r % ny, kn = k * N + n;
        float *buf = ws + (int64_t)omp_get_thread_num() * W * O; /* (W, O): this row, channels last */
        const float *mk = m + kn * HW;
        const int32_t *cn = col + n * HW;
        for (int64_t x = 0; x < W; x++) {
            float *acc = buf + x * O;
            for (int64_t o = 0; o < O; o++)
                acc[o] = bias ? bias[o] : 0.0f;
            for (int64_t t = 0; t < T; t++) {
                const int64_t sy = y + t / g->kw - ph, sx = x + t % g->kw - pw;
                if (sy < 0 || sy >= H || sx < 0 || sx >= W)
                    continue;
                const float mv = mk[sy * W + sx];
                if (mv == 0.0f)
                    continue;
                const float *pr = p + ((int64_t)cn[sy * W + sx] - j0) * TO + t * O;
#pragma omp simd
                for (int64_t o = 0; o < O; o++)
                    acc[o] += mv * pr[o];
            }
        }
        float *dst = out + kn * O * HW + y * W;
        for (int64_t o = 0; o < O; o++)
            for (int64_t x = 0; x < W; x++)
                dst[o * HW + x] = buf[x * O + o];
    }
}

int64_t ak_cpu_masked_conv_dp_ws_floats(const ak_masked_conv_geom *g) {
    return (int64_t)omp_get_max_threads() * DP_BLOCK * g->kh * g->kw * g->O;
}

void ak_cpu_masked_conv_channels_last(float *doutt, const float *dout, const ak_masked_conv_geom *g) {
    const int64_t HW = g->H * g->W, O = g->O, KN = g->K * g->N, nb = (HW + 63) / 64;
#pragma omp parallel for schedule(static) if (KN * O * HW > PAR_MIN)
    for (int64_t u = 0; u < KN * nb; u++) { /* blocks of 64 pixels of one (k, n) */
        const int64_t kn = u / nb, s0 = u % nb * 64, s1 = s0 + 64 < HW ? s0 + 64 : HW;
        const float *src = dout + kn * O * HW;
        float *dst = doutt + kn * HW * O;
        for (int64_t o = 0; o < O; o++)
            for (int64_t s = s0; s < s1; s++)
                dst[s * O + o] = src[o * HW + s];
    }
}

void ak_cpu_masked_conv_dp(float *dp, float *dpt, const float *doutt, const float *m, const int32_t *pix, int64_t J,
                           const ak_masked_conv_geom *g, float *ws) {
    const int64_t H = g->H, W = g->W, HW = H * W, O = g->O, N = g->N, K = g->K, T = (int64_t)g->kh * g->kw,
                  TO = T * O;
    const int ph = (g->kh - 1) / 2, pw = (g->kw - 1) / 2;
    float *bufs = ws;
    /* DP_BLOCK support pixels at a time: their rows computed into a buffer, then copied to dp and
     * written transposed into dpt a cache line per row */
    const int64_t blocks = (J + DP_BLOCK - 1) / DP_BLOCK;
#pragma omp parallel for schedule(static) if (J * TO > PAR_MIN)
    for (int64_t blk = 0; blk < blocks; blk++) {
        const int64_t j0 = blk * DP_BLOCK, nj = J - j0 < DP_BLOCK ? J - j0 : DP_BLOCK;
        float *buf = bufs + (int64_t)omp_get_thread_num() * DP_BLOCK * TO; /* (nj, TO) */
        for (int64_t jj = 0; jj < nj; jj++) {
            const int64_t n = pix[j0 + jj] / HW, s = pix[j0 + jj] % HW, sy = s / W, sx = s % W;
            float *row = buf + jj * TO;
            for (int64_t t = 0; t < T; t++) {
                float *d = row + t * O;
                const int64_t y = sy - (t / g->kw - ph), x = sx - (t % g->kw - pw);
                memset(d, 0, (size_t)O * sizeof *d);
                if (y < 0 || y >= H || x < 0 || x >= W)
                    continue;
                for (int64_t k = 0; k < K; k++) {
                    const float mv = m[(k * N + n) * HW + s];
                    if (mv == 0.0f)
                        continue;
                    const float *gr = doutt + ((k * N + n) * HW + y * W + x) * O;
#pragma omp simd
                    for (int64_t o = 0; o < O; o++)
                        d[o] += mv * gr[o];
                }
            }
        }
        if (dp)
            memcpy(dp + j0 * TO, buf, (size_t)(nj * TO) * sizeof *buf);
        if (dpt)
            for (int64_t r = 0; r < TO; r++) {
                float *dst = dpt + r * J + j0;
                for (int64_t jj = 0; jj < nj; jj++)
                    dst[jj] = buf[jj * TO + r];
            }
    }
}

void ak_cpu_masked_conv_add_weight_grad(float *dw, const float *dwt, const ak_masked_conv_geom *g) {
    const int64_t T = (int64_t)g->kh * g->kw, O = g->O, C = g->C, CT = C * T, nb = (O + 15) / 16;
#pragma omp parallel for schedule(static) if (O * C * T > PAR_MIN)
    for (int64_t b = 0; b < nb; b++) { /* the transpose of taps_weight */
        const int64_t o0 = b * 16, o1 = o0 + 16 < O ? o0 + 16 : O;
        for (int64_t ct = 0; ct < CT; ct++) {
            const float *src = dwt + ct / T * T * O + ct % T * O;
            for (int64_t o = o0; o < o1; o++)
                dw[o * CT + ct] += src[o];
        }
    }
}

void ak_cpu_masked_conv_scatter(float *dx, const float *dxg, const int32_t *pix, int64_t J,
                                const ak_masked_conv_geom *g) {
    const int64_t HW = g->H * g->W, C = g->C;
#pragma omp parallel for schedule(static) if (C * J > PAR_MIN)
    for (int64_t c = 0; c < C; c++) {
        const float *row = dxg + c * J;
        int64_t n = 0;
        for (int64_t j = 0; j < J; j++) {
            while (pix[j] >= (n + 1) * HW)
                n++;
            dx[(n * C + c) * HW + pix[j] - n * HW] += row[j];
        }
    }
}

void ak_cpu_masked_conv_bias_grad(float *dbias, const float *dout, const ak_masked_conv_geom *g) {
    const int64_t KN = g->K * g->N, O = g->O, HW = g->H * g->W;
#pragma omp parallel for schedule(static) if (KN * O * HW > PAR_MIN)
    for (int64_t o = 0; o < O; o++) {
        double s = 0.0;
        for (int64_t b = 0; b < KN; b++) {
            const float *d = dout + (b * O + o) * HW;
            for (int64_t i = 0; i < HW; i++)
                s += d[i];
        }
        dbias[o] += (float)s;
    }
}
