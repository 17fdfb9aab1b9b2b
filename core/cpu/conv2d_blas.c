/* The im2col + OpenBLAS implementation of the convolution; see conv2d_blas.h.
 *
 * Per image and tile of output rows, group gi multiplies (all row-major):
 *   forward   Y_g[:, tile]  (Og x T)  = W_g (Og x Kg) * col_g (Kg x T)
 *   weight    dW_g (Og x Kg)         += dY_g[:, tile] (Og x T) * col_g^T
 *   data      dcol_g (Kg x T)         = W_g^T * dY_g[:, tile], then col2im into dX
 * so a single workspace tile serves all three, and the batch is walked image by image (the
 * weight gradient accumulates over images in a fixed order).
 */
#include "core/cpu/conv2d_blas.h"

#include <cblas.h>

#include "core/cpu/conv2d_im2col.h"

/* Output rows per tile: as many as fit the budget, at least one. */
int64_t ak_cpu_conv2d_tile_rows(const ak_conv2d_geom *g) {
    int64_t budget = g->tile_floats > 0 ? g->tile_floats : AK_CONV2D_TILE_FLOATS;
    int64_t per_row = g->c * g->kh * g->kw * g->wo;
    int64_t r = per_row > 0 ? budget / per_row : 1;
    if (r < 1)
        r = 1;
    if (r > g->ho)
        r = g->ho;
    return r;
}

/* im2col tile of the OpenBLAS path (0 for pointwise convolutions). */
int64_t ak_cpu_conv2d_blas_ws_floats(const ak_conv2d_geom *g) {
    if (ak_cpu_conv2d_is_pointwise(g))
        return 0;
    return g->c * g->kh * g->kw * ak_cpu_conv2d_tile_rows(g) * g->wo;
}

/* y (O, n) += bias per row. */
static void add_bias_rows(float *y, const float *b, int64_t o, int64_t n, int64_t ld) {
#pragma omp parallel for schedule(static) if (o * n > 32768)
    for (int64_t r = 0; r < o; r++) {
        float *row = y + r * ld;
        const float v = b[r];
        for (int64_t q = 0; q < n; q++)
            row[q] += v;
    }
}

void ak_cpu_conv2d_blas_fwd(float *y, const float *x, const float *w, const float *b, const ak_conv2d_geom *g,
                            float *ws) {
    const int64_t G = g->groups, cg = g->c / G, og = g->o / G, kg = cg * g->kh * g->kw;
    const int64_t p = g->ho * g->wo, in_sz = g->c * g->h * g->w, out_sz = g->o * p;
    const bool pw = ak_cpu_conv2d_is_pointwise(g);
    const int64_t R = ak_cpu_conv2d_tile_rows(g);
    for (int64_t n = 0; n < g->n; n++) {
        const float *xn = x + n * in_sz;
        float *yn = y + n * out_sz;
        if (pw) {
            for (int64_t gi = 0; gi < G; gi++)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)og, (int)p, (int)cg, 1.0f,
                            w + gi * og * cg, (int)cg, xn + gi * cg * p, (int)p, 0.0f, yn + gi * og * p, (int)p);
            if (b)
                add_bias_rows(yn, b, g->o, p, p);
            continue;
        }
        for (int64_t r0 = 0; r0 < g->ho; r0 += R) {
            const int64_t r1 = r0 + R < g->ho ? r0 + R : g->ho, t = (r1 - r0) * g->wo;
            ak_cpu_im2col_rows(ws, xn, g, r0, r1);
            for (int64_t gi = 0; gi < G; gi++)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)og, (int)t, (int)kg, 1.0f,
                            w + gi * og * kg, (int)kg, ws + gi * kg * t, (int)t, 0.0f,
                            yn + gi * og * p + r0 * g->wo, (int)p);
            if (b)
                add_bias_rows(yn + r0 * g->wo, b, g->o, t, p);
        }
    }
}

void ak_cpu_conv2d_blas_bwd(float *dx, float *dw, const float *dy, const float *x, const float *w,
                            const ak_conv2d_geom *g, float *ws) {
    if (!dx && !dw)
        return;
    const int64_t G = g->groups, cg = g->c / G, og = g->o / G, kg = cg * g->kh * g->kw;
    const int64_t p = g->ho * g->wo, in_sz = g->c * g->h * g->w, out_sz = g->o * p;
    const bool pw = ak_cpu_conv2d_is_pointwise(g);
    const int64_t R = ak_cpu_conv2d_tile_rows(g);
    for (int64_t n = 0; n < g->n; n++) {
        const float *xn = x + n * in_sz, *dyn = dy + n * out_sz;
        float *dxn = dx ? dx + n * in_sz : NULL;
        if (pw) {
            for (int64_t gi = 0; gi < G; gi++) {
                if (dw)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)og, (int)cg, (int)p, 1.0f,
                                dyn + gi * og * p, (int)p, xn + gi * cg * p, (int)p, 1.0f, dw + gi * og * cg,
                                (int)cg);
                if (dxn)
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)cg, (int)p, (int)og, 1.0f,
                                w + gi * og * cg, (int)cg, dyn + gi * og * p, (int)p, 1.0f, dxn + gi * cg * p,
                                (int)p);
            }
            continue;
        }
        for (int64_t r0 = 0; r0 < g->ho; r0 += R) {
            const int64_t r1 = r0 + R < g->ho ? r0 + R : g->ho, t = (r1 - r0) * g->wo;
            if (dw) {
                ak_cpu_im2col_rows(ws, xn, g, r0, r1);
                for (int64_t gi = 0; gi < G; gi++)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)og, (int)kg, (int)t, 1.0f,
                                dyn + gi * og * p + r0 * g->wo, (int)p, ws + gi * kg * t, (int)t, 1.0f,
                                dw + gi * og * kg, (int)kg);
            }
            if (dxn) {
                for (int64_t gi = 0; gi < G; gi++)
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)kg, (int)t, (int)og, 1.0f,
                                w + gi * og * kg, (int)kg, dyn + gi * og * p + r0 * g->wo, (int)p, 0.0f,
                                ws + gi * kg * t, (int)t);
                ak_cpu_col2im_rows(dxn, ws, g, r0, r1);
            }
        }
    }
}
