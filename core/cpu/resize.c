/* CPU bilinear / nearest resize; see resize.h for the coordinate rules (PyTorch's). */
#include "core/cpu/resize.h"

#include <math.h>

#define RESIZE_PAR_MIN 16384

typedef struct lin_tab {
    int64_t i0, i1;
    float l0, l1;
} lin_tab;

size_t ak_cpu_resize_ws_bytes(const ak_resize_geom *g) { return (size_t)(g->ho + g->wo) * sizeof(lin_tab); }

/* torch's area_pixel_compute_scale<float>. */
static float area_scale(int64_t in, int64_t out, bool align_corners, double scale) {
    if (align_corners)
        return out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f;
    return scale > 0.0 ? (float)(1.0 / scale) : (float)in / (float)out;
}

/* torch's compute_source_index_and_lambda: float ratio, double source coordinate. */
static void linear_table(lin_tab *t, int64_t in, int64_t out, bool align_corners, double scale) {
    const float r = area_scale(in, out, align_corners, scale);
    for (int64_t i = 0; i < out; i++) {
        if (out == in) {
            t[i] = (lin_tab){i, i, 1.0f, 0.0f};
            continue;
        }
        double src = align_corners ? (double)r * (double)i : (double)r * ((double)i + 0.5) - 0.5;
        if (!align_corners && src < 0.0)
            src = 0.0;
        const int64_t i0 = (int64_t)src;
        const float l1 = (float)(src - (double)i0);
        t[i] = (lin_tab){i0, i0 + (i0 < in - 1 ? 1 : 0), 1.0f - l1, l1};
    }
}

void ak_cpu_bilinear_fwd(float *y, const float *x, const ak_resize_geom *g, void *ws) {
    lin_tab *th = ws, *tw = th + g->ho;
    linear_table(th, g->h, g->ho, g->align_corners, g->scale_h);
    linear_table(tw, g->w, g->wo, g->align_corners, g->scale_w);
    const int64_t h = g->h, w = g->w, ho = g->ho, wo = g->wo;
#pragma omp parallel for schedule(static) if (g->planes * ho * wo > RESIZE_PAR_MIN)
    for (int64_t pl = 0; pl < g->planes; pl++) {
        const float *xp = x + pl * h * w;
        float *yp = y + pl * ho * wo;
        for (int64_t oh = 0; oh < ho; oh++) {
            const lin_tab a = th[oh];
            const float *r0 = xp + a.i0 * w, *r1 = xp + a.i1 * w;
            for (int64_t ow = 0; ow < wo; ow++) {
                const lin_tab b = tw[ow];
                yp[oh * wo + ow] = a.l0 * (b.l0 * r0[b.i0] + b.l1 * r0[b.i1]) + a.l1 * (b.l0 * r1[b.i0] + b.l1 * r1[b.i1]);
            }
        }
    }
}

void ak_cpu_bilinear_bwd(float *dx, const float *dy, const ak_resize_geom *g, void *ws) {
    lin_tab *th = ws, *tw = th + g->ho;
    linear_table(th, g->h, g->ho, g->align_corners, g->scale_h);
    linear_table(tw, g->w, g->wo, g->align_corners, g->scale_w);
    const int64_t h = g->h, w = g->w, ho = g->ho, wo = g->wo;
#pragma omp parallel for schedule(static) if (g->planes * ho * wo > RESIZE_PAR_MIN)
    for (int64_t pl = 0; pl < g->planes; pl++) {
        float *dxp = dx + pl * h * w;
        const float *dyp = dy + pl * ho * wo;
        for (int64_t oh = 0; oh < ho; oh++) {
            const lin_tab a = th[oh];
            float *r0 = dxp + a.i0 * w, *r1 = dxp + a.i1 * w;
            for (int64_t ow = 0; ow < wo; ow++) {
                const lin_tab b = tw[ow];
                const float d = dyp[oh * wo + ow];
                r0[b.i0] += a.l0 * b.l0 * d;
                r0[b.i1] += a.l0 * b.l1 * d;
                r1[b.i0] += a.l1 * b.l0 * d;
                r1[b.i1] += a.l1 * b.l1 * d;
            }
        }
    }
}

/* torch's nearest_idx (legacy 'nearest'). */
static void nearest_table(int64_t *t, int64_t in, int64_t out, double scale) {
    const float r = scale > 0.0 ? (float)(1.0 / scale) : (float)in / (float)out;
    for (int64_t i = 0; i < out; i++) {
        if (out == in)
            t[i] = i;
        else if (out == 2 * in)
            t[i] = i >> 1;
        else {
            const int64_t s = (int64_t)floorf((float)i * r);
            t[i] = s < in - 1 ? s : in - 1;
        }
    }
}

void ak_cpu_nearest_fwd(float *y, const float *x, const ak_resize_geom *g, void *ws) {
    int64_t *th = ws, *tw = th + g->ho;
    nearest_table(th, g->h, g->ho, g->scale_h);
    nearest_table(tw, g->w, g->wo, g->scale_w);
    const int64_t h = g->h, w = g->w, ho = g->ho, wo = g->wo;
#pragma omp parallel for schedule(static) if (g->planes * ho * wo > RESIZE_PAR_MIN)
    for (int64_t pl = 0; pl < g->planes; pl++) {
        const float *xp = x + pl * h * w;
        float *yp = y + pl * ho * wo;
        for (int64_t oh = 0; oh < ho; oh++) {
            const float *row = xp + th[oh] * w;
            for (int64_t ow = 0; ow < wo; ow++)
                yp[oh * wo + ow] = row[tw[ow]];
        }
    }
}

void ak_cpu_nearest_bwd(float *dx, const float *dy, const ak_resize_geom *g, void *ws) {
    int64_t *th = ws, *tw = th + g->ho;
    nearest_table(th, g->h, g->ho, g->scale_h);
    nearest_table(tw, g->w, g->wo, g->scale_w);
    const int64_t h = g->h, w = g->w, ho = g->ho, wo = g->wo;
#pragma omp parallel for schedule(static) if (g->planes * ho * wo > RESIZE_PAR_MIN)
    for (int64_t pl = 0; pl < g->planes; pl++) {
        float *dxp = dx + pl * h * w;
        const float *dyp = dy + pl * ho * wo;
        for (int64_t oh = 0; oh < ho; oh++) {
            float *row = dxp + th[oh] * w;
            for (int64_t ow = 0; ow < wo; ow++)
                row[tw[ow]] += dyp[oh * wo + ow];
        }
    }
}
