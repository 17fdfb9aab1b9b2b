/* Implicit im2col rows; see conv2d_pack.h. */
#include "core/cpu/conv2d_pack.h"

#include <string.h>

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

void ak_cpu_conv2d_fill_row(float *dst, const float *x_img, const ak_conv2d_geom *g, int64_t c, int64_t i, int64_t j,
                            const ak_conv2d_seg *segs, int ns) {
    const int64_t off = j * g->dw - g->pw, sw = g->sw;
    int64_t lo, hi;
    ak_cpu_conv2d_valid_cols(off, sw, g->w, g->wo, &lo, &hi);
    const float *plane = x_img + c * g->h * g->w;
    for (int s = 0; s < ns; s++) {
        float *d = dst + segs[s].q;
        const int64_t ih = segs[s].oh * g->sh - g->ph + i * g->dh, o0 = segs[s].ow, o1 = o0 + segs[s].len;
        if (ih < 0 || ih >= g->h) {
            memset(d, 0, (size_t)segs[s].len * sizeof *d);
            continue;
        }
        /* [o0, a) zero, [a, b) copied, [b, o1) zero; o0 <= a <= b <= o1 */
        int64_t a = o0 > lo ? o0 : lo, b = o1 < hi ? o1 : hi;
        a = a < o1 ? a : o1;
        b = b > a ? b : a;
        for (int64_t ow = o0; ow < a; ow++)
            d[ow - o0] = 0.0f;
        if (b > a) {
            const float *row = plane + ih * g->w + (a * sw + off); /* input column of output column a */
            float *dd = d + (a - o0);
            if (sw == 1)
                memcpy(dd, row, (size_t)(b - a) * sizeof *dd);
            else
                for (int64_t t = 0; t < b - a; t++)
                    dd[t] = row[t * sw];
        }
        for (int64_t ow = b; ow < o1; ow++)
            d[ow - o0] = 0.0f;
    }
}
