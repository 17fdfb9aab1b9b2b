/* CPU pooling kernels; see pool.h for the exact window rules (PyTorch's). */
#include "core/cpu/pool.h"

#include <math.h>

#define POOL_PAR_MIN 16384 /* total work below which threading costs more than it saves */

void ak_cpu_maxpool2d_fwd(float *y, int32_t *idx, const float *x, const ak_pool2d_geom *g) {
    const int64_t h = g->h, w = g->w, ho = g->ho, wo = g->wo;
#pragma omp parallel for schedule(static) if (g->planes * ho * wo * g->kh * g->kw > POOL_PAR_MIN)
    for (int64_t pl = 0; pl < g->planes; pl++) {
        const float *xp = x + pl * h * w;
        float *yp = y + pl * ho * wo;
        int32_t *ip = idx + pl * ho * wo;
        for (int64_t oh = 0; oh < ho; oh++) {
            int64_t ih0 = oh * g->sh - g->ph;
            const int64_t ih1 = ih0 + (g->kh - 1) * g->dh + 1 < h ? ih0 + (g->kh - 1) * g->dh + 1 : h;
            while (ih0 < 0)
                ih0 += g->dh;
            for (int64_t ow = 0; ow < wo; ow++) {
                int64_t iw0 = ow * g->sw - g->pw;
                const int64_t iw1 = iw0 + (g->kw - 1) * g->dw + 1 < w ? iw0 + (g->kw - 1) * g->dw + 1 : w;
                while (iw0 < 0)
                    iw0 += g->dw;
                /* an empty window (possible with dilation) gets -inf and no gradient target */
                int64_t best = (ih0 < ih1 && iw0 < iw1) ? ih0 * w + iw0 : -1;
                float m = -INFINITY;
                for (int64_t ih = ih0; ih < ih1; ih += g->dh)
                    for (int64_t iw = iw0; iw < iw1; iw += g->dw) {
                        const float v = xp[ih * w + iw];
                        if (v > m || isnan(v)) {
                            m = v;
                            best = ih * w + iw;
                        }
                    }
                yp[oh * wo + ow] = m;
                ip[oh * wo + ow] = (int32_t)best;
            }
        }
    }
}

void ak_cpu_maxpool2d_bwd(float *dx, const float *dy, const int32_t *idx, const ak_pool2d_geom *g) {
    const int64_t n_out = g->ho * g->wo, n_in = g->h * g->w;
#pragma omp parallel for schedule(static) if (g->planes * n_out > POOL_PAR_MIN)
    for (int64_t pl = 0; pl < g->planes; pl++) {
        float *dxp = dx + pl * n_in;
        const float *dyp = dy + pl * n_out;
        const int32_t *ip = idx + pl * n_out;
        for (int64_t q = 0; q < n_out; q++)
            if (ip[q] >= 0)
                dxp[ip[q]] += dyp[q];
    }
}

/* The window of output (oh, ow) clipped to the image, and its divisor. Returns false when empty. */
static bool avg_window(const ak_pool2d_geom *g, int64_t oh, int64_t ow, int64_t *ih0, int64_t *ih1, int64_t *iw0,
                       int64_t *iw1, float *div) {
    int64_t a = oh * g->sh - g->ph, b = ow * g->sw - g->pw;
    int64_t a1 = a + g->kh < g->h + g->ph ? a + g->kh : g->h + g->ph;
    int64_t b1 = b + g->kw < g->w + g->pw ? b + g->kw : g->w + g->pw;
    const int64_t padded = (a1 - a) * (b1 - b);
    a = a < 0 ? 0 : a, b = b < 0 ? 0 : b;
    a1 = a1 < g->h ? a1 : g->h, b1 = b1 < g->w ? b1 : g->w;
    if (a >= a1 || b >= b1)
        return false;
    *ih0 = a, *ih1 = a1, *iw0 = b, *iw1 = b1;
    *div = (float)(g->count_include_pad ? padded : (a1 - a) * (b1 - b));
    return true;
}

void ak_cpu_avgpool2d_fwd(float *y, const float *x, const ak_pool2d_geom *g) {
    const int64_t h = g->h, w = g->w, ho = g->ho, wo = g->wo;
#pragma omp parallel for schedule(static) if (g->planes * ho * wo * g->kh * g->kw > POOL_PAR_MIN)
    for (int64_t pl = 0; pl < g->planes; pl++) {
        const float *xp = x + pl * h * w;
        float *yp = y + pl * ho * wo;
        for (int64_t oh = 0; oh < ho; oh++)
            for (int64_t ow = 0; ow < wo; ow++) {
                int64_t ih0, ih1, iw0, iw1;
                float div;
                if (!avg_window(g, oh, ow, &ih0, &ih1, &iw0, &iw1, &div)) {
                    yp[oh * wo + ow] = 0.0f;
                    continue;
                }
                float s = 0.0f;
                for (int64_t ih = ih0; ih < ih1; ih++)
                    for (int64_t iw = iw0; iw < iw1; iw++)
                        s += xp[ih * w + iw];
                yp[oh * wo + ow] = s / div;
            }
    }
}

void ak_cpu_avgpool2d_bwd(float *dx, const float *dy, const ak_pool2d_geom *g) {
    const int64_t h = g->h, w = g->w, ho = g->ho, wo = g->wo;
#pragma omp parallel for schedule(static) if (g->planes * ho * wo * g->kh * g->kw > POOL_PAR_MIN)
    for (int64_t pl = 0; pl < g->planes; pl++) {
        float *dxp = dx + pl * h * w;
        const float *dyp = dy + pl * ho * wo;
        for (int64_t oh = 0; oh < ho; oh++)
            for (int64_t ow = 0; ow < wo; ow++) {
                int64_t ih0, ih1, iw0, iw1;
                float div;
                if (!avg_window(g, oh, ow, &ih0, &ih1, &iw0, &iw1, &div))
                    continue;
                const float d = dyp[oh * wo + ow] / div;
                for (int64_t ih = ih0; ih < ih1; ih++)
                    for (int64_t iw = iw0; iw < iw1; iw++)
                        dxp[ih * w + iw] += d;
            }
    }
}

/* PyTorch's adaptive bins (integer arithmetic, no float rounding). */
static int64_t bin_start(int64_t i, int64_t out, int64_t in) { return (i / out) * in + ((i % out) * in) / out; }
static int64_t bin_end(int64_t i, int64_t out, int64_t in) { return 1 + ((i + 1) * in - 1) / out; }

void ak_cpu_adaptive_avgpool2d_fwd(float *y, const float *x, const ak_pool2d_geom *g) {
    const int64_t h = g->h, w = g->w, ho = g->ho, wo = g->wo;
#pragma omp parallel for schedule(static) if (g->planes * h * w > POOL_PAR_MIN)
    for (int64_t pl = 0; pl < g->planes; pl++) {
        const float *xp = x + pl * h * w;
        float *yp = y + pl * ho * wo;
        for (int64_t oh = 0; oh < ho; oh++) {
            const int64_t ih0 = bin_start(oh, ho, h), ih1 = bin_end(oh, ho, h);
            for (int64_t ow = 0; ow < wo; ow++) {
                const int64_t iw0 = bin_start(ow, wo, w), iw1 = bin_end(ow, wo, w);
                float s = 0.0f;
                for (int64_t ih = ih0; ih < ih1; ih++)
                    for (int64_t iw = iw0; iw < iw1; iw++)
                        s += xp[ih * w + iw];
                yp[oh * wo + ow] = s / (float)(ih1 - ih0) / (float)(iw1 - iw0);
            }
        }
    }
}

void ak_cpu_adaptive_avgpool2d_bwd(float *dx, const float *dy, const ak_pool2d_geom *g) {
    const int64_t h = g->h, w = g->w, ho = g->ho, wo = g->wo;
#pragma omp parallel for schedule(static) if (g->planes * h * w > POOL_PAR_MIN)
    for (int64_t pl = 0; pl < g->planes; pl++) {
        float *dxp = dx + pl * h * w;
        const float *dyp = dy + pl * ho * wo;
        for (int64_t oh = 0; oh < ho; oh++) {
            const int64_t ih0 = bin_start(oh, ho, h), ih1 = bin_end(oh, ho, h);
            for (int64_t ow = 0; ow < wo; ow++) {
                const int64_t iw0 = bin_start(ow, wo, w), iw1 = bin_end(ow, wo, w);
                const float d = dyp[oh * wo + ow] / (float)(ih1 - ih0) / (float)(iw1 - iw0);
                for (int64_t ih = ih0; ih < ih1; ih++)
                    for (int64_t iw = iw0; iw < iw1; iw++)
                        dxp[ih * w + iw] += d;
            }
        }
    }
}

void ak_cpu_global_avgpool_fwd(float *y, const float *x, int64_t planes, int64_t hw) {
#pragma omp parallel for schedule(static) if (planes * hw > POOL_PAR_MIN)
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * hw;
        double s = 0.0;
        for (int64_t q = 0; q < hw; q++)
            s += xp[q];
        y[pl] = (float)(s / (double)hw);
    }
}

void ak_cpu_global_avgpool_bwd(float *dx, const float *dy, int64_t planes, int64_t hw) {
#pragma omp parallel for schedule(static) if (planes * hw > POOL_PAR_MIN)
    for (int64_t pl = 0; pl < planes; pl++) {
        float *dxp = dx + pl * hw;
        const float d = dy[pl] / (float)hw;
        for (int64_t q = 0; q < hw; q++)
            dxp[q] += d;
    }
}
