/* CPU convolution: geometry, workspace sizes and the choice of implementation (see conv2d.h);
 * the implementations are conv2d_igemm*.c (AVX-512) and conv2d_blas.c (im2col + OpenBLAS). */
#include "core/cpu/conv2d.h"

#include <omp.h>

#include "core/cpu/conv2d_blas.h"
#include "core/cpu/conv2d_igemm.h"
#include "core/cpu/conv2d_winograd.h"

bool ak_cpu_conv2d_out_size(ak_conv2d_geom *g) {
    int64_t eh = g->dh * (g->kh - 1) + 1, ew = g->dw * (g->kw - 1) + 1;
    int64_t nh = g->h + 2 * g->ph - eh, nw = g->w + 2 * g->pw - ew;
    if (nh < 0 || nw < 0) {
        g->ho = g->wo = 0;
        return false;
    }
    g->ho = nh / g->sh + 1;
    g->wo = nw / g->sw + 1;
    return true;
}

bool ak_cpu_conv2d_is_pointwise(const ak_conv2d_geom *g) {
    return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0;
}

static bool use_igemm(const ak_conv2d_geom *g) {
    return g->impl != AK_CONV2D_IMPL_BLAS && ak_cpu_conv2d_igemm_supported();
}

int64_t ak_cpu_conv2d_fwd_ws_floats(const ak_conv2d_geom *g) {
    if (ak_cpu_conv2d_winograd_applies(g))
        return ak_cpu_conv2d_winograd_ws_floats(g, omp_get_max_threads());
    return use_igemm(g) ? ak_cpu_conv2d_igemm_ws_floats(g, omp_get_max_threads()) : ak_cpu_conv2d_blas_ws_floats(g);
}

/* The backward runs its phases (data, then weight gradient) one after the other: one workspace. */
int64_t ak_cpu_conv2d_bwd_ws_floats(const ak_conv2d_geom *g) {
    if (!use_igemm(g))
        return ak_cpu_conv2d_blas_ws_floats(g);
    const int nt = omp_get_max_threads();
    const int64_t a = ak_cpu_conv2d_igemm_dgrad_ws_floats(g, nt), b = ak_cpu_conv2d_igemm_wgrad_ws_floats(g, nt);
    return a > b ? a : b;
}

void ak_cpu_conv2d_fwd(float *y, const float *x, const float *w, const float *b, const ak_conv2d_geom *g,
                       float *ws) {
    if (ak_cpu_conv2d_winograd_applies(g))
        ak_cpu_conv2d_winograd_fwd(y, x, w, b, g, false, false, ws, omp_get_max_threads());
    else if (use_igemm(g))
        ak_cpu_conv2d_igemm_fwd(y, x, w, b, g, false, ws, omp_get_max_threads());
    else
        ak_cpu_conv2d_blas_fwd(y, x, w, b, g, ws);
}

void ak_cpu_conv2d_bwd(float *dx, float *dw, const float *dy, const float *x, const float *w,
                       const ak_conv2d_geom *g, float *ws) {
    if (!use_igemm(g)) {
        ak_cpu_conv2d_blas_bwd(dx, dw, dy, x, w, g, ws);
        return;
    }
    const int nt = omp_get_max_threads();
    if (dx)
        ak_cpu_conv2d_igemm_dgrad(dx, dy, w, g, ws, nt);
    if (dw)
        ak_cpu_conv2d_igemm_wgrad(dw, dy, x, g, ws, nt);
}

void ak_cpu_conv2d_bwd_bias(float *db, const float *dy, const ak_conv2d_geom *g) {
    const int64_t p = g->ho * g->wo, o_n = g->o;
#pragma omp parallel for schedule(static) if (g->n * o_n * p > 32768)
    for (int64_t o = 0; o < o_n; o++) {
        double s = 0.0;
        for (int64_t n = 0; n < g->n; n++) {
            const float *row = dy + (n * o_n + o) * p;
            for (int64_t q = 0; q < p; q++)
                s += row[q];
        }
        db[o] += (float)s;
    }
}
