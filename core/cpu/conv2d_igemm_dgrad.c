/* Data gradient of a convolution on the AVX-512 kernels; see conv2d_igemm.h.
 *
 * Stride 1: dX is the stride-1 convolution of dY with the weight flipped in space and transposed in
 *   channels, padded by dil*(k-1) - pad (when that is >= 0): the implicit-GEMM forward, accumulating
 *   into dX. No scatter, each dX element is one FMA chain.
 * Otherwise (strided): per image and tile of output rows, dcol (K x T) = W_g^T * dY_g[:, tile] with
 *   the packed GEMM (W^T packed once per call), then col2im adds dcol into dX (fixed order, per
 *   input row). The tile size depends on the geometry only.
 * Both are bitwise identical for any thread count.
 */
#include "core/cpu/conv2d_igemm.h"

#include <stddef.h>

#include "core/cpu/conv2d_blas.h"
#include "core/cpu/conv2d_im2col.h"
#include "core/cpu/igemm_sgemm.h"

static bool dgrad_as_conv(const ak_conv2d_geom *g) {
    return g->sh == 1 && g->sw == 1 && g->dh * (g->kh - 1) >= g->ph && g->dw * (g->kw - 1) >= g->pw;
}

/* The geometry of dX = conv(dY, flipped W^T). */
static ak_conv2d_geom dgrad_geom(const ak_conv2d_geom *g) {
    ak_conv2d_geom t = *g;
    t.c = g->o, t.h = g->ho, t.w = g->wo;
    t.o = g->c, t.ho = g->h, t.wo = g->w;
    t.ph = g->dh * (g->kh - 1) - g->ph, t.pw = g->dw * (g->kw - 1) - g->pw;
    return t;
}

static int64_t weight_floats(const ak_conv2d_geom *g) { return g->o * (g->c / g->groups) * g->kh * g->kw; }

/* wt (C, O/groups, kh, kw)[gi*Cg + c][o][i][j] = w (O, C/groups, kh, kw)[gi*Og + o][c][kh-1-i][kw-1-j] */
static void flip_transpose(float *wt, const float *w, const ak_conv2d_geom *g) {
    const int64_t G = g->groups, cg = g->c / G, og = g->o / G, khw = g->kh * g->kw;
#pragma omp parallel for schedule(static) if (g->o * cg * khw > 65536)
    for (int64_t oc = 0; oc < g->o; oc++) {
        const int64_t gi = oc / og, o = oc % og;
        for (int64_t c = 0; c < cg; c++) {
            const float *src = w + (oc * cg + c) * khw;
            float *dst = wt + ((gi * cg + c) * og + o) * khw;
            for (int64_t q = 0; q < khw; q++)
                dst[khw - 1 - q] = src[q];
        }
    }
}

int64_t ak_cpu_conv2d_igemm_dgrad_ws_floats(const ak_conv2d_geom *g, int nthreads) {
    if (dgrad_as_conv(g)) {
        const ak_conv2d_geom t = dgrad_geom(g);
        return weight_floats(g) + ak_cpu_conv2d_igemm_ws_floats(&t, nthreads);
    }
    const int64_t kg = g->c / g->groups * g->kh * g->kw, og = g->o / g->groups;
    return g->groups * ak_cpu_igemm_packed_a_floats(kg, og) + ak_cpu_conv2d_blas_ws_floats(g) +
           ak_cpu_igemm_sgemm_packed_ws_floats(nthreads);
}

void ak_cpu_conv2d_igemm_dgrad(float *dx, const float *dy, const float *w, const ak_conv2d_geom *g, float *ws,
                               int nthreads) {
    if (dgrad_as_conv(g)) {
        const ak_conv2d_geom t = dgrad_geom(g);
        float *wt = ws;
        flip_transpose(wt, w, g);
        ak_cpu_conv2d_igemm_fwd(dx, dy, wt, NULL, &t, true, ws + weight_floats(g), nthreads);
        return;
    }
    const int64_t G = g->groups, cg = g->c / G, og = g->o / G, kg = cg * g->kh * g->kw;
    const int64_t P = g->ho * g->wo, in_sz = g->c * g->h * g->w, out_sz = g->o * P, pa_sz = ak_cpu_igemm_packed_a_floats(kg, og);
    float *ap = ws, *col = ws + G * pa_sz, *gws = col + ak_cpu_conv2d_blas_ws_floats(g);
    for (int64_t gi = 0; gi < G; gi++) /* op(A) = W_g^T (kg x og); W_g is stored og x kg */
        ak_cpu_igemm_pack_a(ap + gi * pa_sz, true, kg, og, w + gi * og * kg, kg, nthreads);
    const int64_t R = ak_cpu_conv2d_tile_rows(g);
    for (int64_t n = 0; n < g->n; n++) {
        const float *dyn = dy + n * out_sz;
        for (int64_t r0 = 0; r0 < g->ho; r0 += R) {
            const int64_t r1 = r0 + R < g->ho ? r0 + R : g->ho, t = (r1 - r0) * g->wo;
            for (int64_t gi = 0; gi < G; gi++)
                ak_cpu_igemm_sgemm_packed(kg, t, og, ap + gi * pa_sz, dyn + gi * og * P + r0 * g->wo, P,
                                          col + gi * kg * t, t, false, gws, nthreads);
            ak_cpu_col2im_rows(dx + n * in_sz, col, g, r0, r1);
        }
    }
}
