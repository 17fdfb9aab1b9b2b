/* Geometry helpers for reading im2col rows straight from the input; see conv2d_pack.h. */
#include "core/cpu/conv2d_pack.h"

void ak_cpu_conv2d_valid_cols(int64_t off, int64_t sw, int64_t w, int64_t wo, int64_t *lo, int64_t *hi) {
    int64_t a = off >= 0 ? 0 : (-off + sw - 1) / sw;
    int64_t b = (w - 1 - off) >= 0 ? (w - 1 - off) / sw + 1 : 0;
    a = a < wo ? a : wo;
    b = b < wo ? b : wo;
    *lo = a;
    *hi = b > a ? b : a;
}

int ak_cpu_conv2d_segments(const ak_conv2d_geom *g, int64_t pa, int64_t n, ak_conv2d_seg *segs) {
    int ns = 0;
    int64_t q = 0, p = pa;
    while (q < n) {
        const int64_t oh = p / g->wo, ow = p % g->wo;
        int64_t len = g->wo - ow;
        len = len < n - q ? len : n - q;
        segs[ns++] = (ak_conv2d_seg){q, len, oh, ow};
        q += len, p += len;
    }
    return ns;
}

void ak_cpu_conv2d_live_taps(const ak_conv2d_geom *g, const ak_conv2d_seg *segs, int ns, bool *row_ok, bool *col_ok) {
    for (int64_t i = 0; i < g->kh; i++) {
        row_ok[i] = false;
        for (int s = 0; s < ns && !row_ok[i]; s++) {
            const int64_t ih = segs[s].oh * g->sh - g->ph + i * g->dh;
            row_ok[i] = ih >= 0 && ih < g->h;
        }
    }
    for (int64_t j = 0; j < g->kw; j++) {
        int64_t lo, hi;
        ak_cpu_conv2d_valid_cols(j * g->dw - g->pw, g->sw, g->w, g->wo, &lo, &hi);
        col_ok[j] = false;
        for (int s = 0; s < ns && !col_ok[j]; s++)
            col_ok[j] = segs[s].ow < hi && segs[s].ow + segs[s].len > lo;
    }
}
