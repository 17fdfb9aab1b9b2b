/* cv2-exact resizing; see resize.h for the arithmetic. The bilinear path is separable: each needed
 * source row is resampled horizontally once into an int row (value * 2048 weights), and two such rows
 * are blended per output row; rows are cached so that upscaling does not resample a row twice. */
#include "datasets/resize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

enum { COEF_BITS = 11, COEF_SCALE = 1 << COEF_BITS };

/* One axis: source offset and the two fixed-point weights of every output position, exactly as
 * OpenCV computes them (float fx, cvFloor, cvRound of the float product). When clamp_edges is set the
 * horizontal rule applies (offset clamped to [0, n-1] with the fraction zeroed); the vertical axis
 * keeps the fraction and clamps the row indices later. */
static void axis_coefs(int src_n, int dst_n, int clamp_edges, int *ofs, int16_t *w0, int16_t *w1) {
    const double scale = 1.0 / ((double)dst_n / (double)src_n);
    for (int d = 0; d < dst_n; d++) {
        float f = (float)((d + 0.5) * scale - 0.5);
        int s = (int)floorf(f);
        f -= (float)s;
        if (clamp_edges) {
            if (s < 0) {
                f = 0.0f;
                s = 0;
            }
            if (s >= src_n - 1) {
                f = 0.0f;
                s = src_n - 1;
            }
        }
        ofs[d] = s;
        w0[d] = (int16_t)lrintf((1.0f - f) * (float)COEF_SCALE);
        w1[d] = (int16_t)lrintf(f * (float)COEF_SCALE);
    }
}

/* xofs holds the byte offset of the left source pixel, xofs1 of the right one (clamped). */
static void hresize_row(const uint8_t *s, int c, int dw, const int *xofs, const int *xofs1, const int16_t *a0,
                        const int16_t *a1, int32_t *out) {
    if (c == 3) {
        for (int dx = 0; dx < dw; dx++) {
            const int x0 = xofs[dx], x1 = xofs1[dx];
            const int32_t w0 = a0[dx], w1 = a1[dx];
            out[dx * 3 + 0] = s[x0 + 0] * w0 + s[x1 + 0] * w1;
            out[dx * 3 + 1] = s[x0 + 1] * w0 + s[x1 + 1] * w1;
            out[dx * 3 + 2] = s[x0 + 2] * w0 + s[x1 + 2] * w1;
        }
        return;
    }
    for (int dx = 0; dx < dw; dx++) {
        const int x0 = xofs[dx], x1 = xofs1[dx];
        for (int k = 0; k < c; k++)
            out[dx * c + k] = s[x0 + k] * (int32_t)a0[dx] + s[x1 + k] * (int32_t)a1[dx];
    }
}

/* OpenCV's vectorised vertical blend: ((b0 * (S0 >> 4)) >> 16) + ((b1 * (S1 >> 4)) >> 16), then a
 * rounding shift by 2 and saturation. S >> 4 fits int16 because S <= 255 * 2049. */
static void vblend_row(const int32_t *s0, const int32_t *s1, int32_t b0, int32_t b1, uint8_t *d, int n) {
    int i = 0;
#if defined(__SSE2__)
    /* OpenCV's own vector form: pack S >> 4 to int16, multiply-high by the int16 weight, add, round
     * by 2 and pack with unsigned saturation. Bit-identical to the scalar loop below. */
    const __m128i vb0 = _mm_set1_epi16((short)b0), vb1 = _mm_set1_epi16((short)b1), two = _mm_set1_epi16(2);
    for (; i + 16 <= n; i += 16) {
        __m128i r[2];
        for (int h = 0; h < 2; h++) {
            const int32_t *a = s0 + i + 8 * h, *b = s1 + i + 8 * h;
            const __m128i a16 = _mm_packs_epi32(_mm_srai_epi32(_mm_loadu_si128((const __m128i *)a), 4),
                                                _mm_srai_epi32(_mm_loadu_si128((const __m128i *)(a + 4)), 4));
            const __m128i b16 = _mm_packs_epi32(_mm_srai_epi32(_mm_loadu_si128((const __m128i *)b), 4),
                                                _mm_srai_epi32(_mm_loadu_si128((const __m128i *)(b + 4)), 4));
            const __m128i v = _mm_add_epi16(_mm_mulhi_epi16(a16, vb0), _mm_mulhi_epi16(b16, vb1));
            r[h] = _mm_srai_epi16(_mm_add_epi16(v, two), 2);
        }
        _mm_storeu_si128((__m128i *)(d + i), _mm_packus_epi16(r[0], r[1]));
    }
#endif
    for (; i < n; i++) {
        int32_t v = ((b0 * (s0[i] >> 4)) >> 16) + ((b1 * (s1[i] >> 4)) >> 16);
        v = (v + 2) >> 2;
        d[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

int ak_resize_bilinear_u8(const uint8_t *src, int sh, int sw, int c, uint8_t *dst, int dh, int dw, ak_error *err) {
    if (sh <= 0 || sw <= 0 || dh <= 0 || dw <= 0 || c <= 0)
        return ak_error_set(err, AK_EINVAL, "resize_bilinear: bad sizes %dx%dx%d -> %dx%d", sh, sw, c, dh, dw);
    const size_t row = (size_t)dw * (size_t)c;
    if (sh == dh && sw == dw) {
        memcpy(dst, src, row * (size_t)sh);
        return AK_OK;
    }
    int *xofs = malloc(sizeof(int) * (size_t)(2 * dw + dh));
    int16_t *coef = malloc(sizeof(int16_t) * 2 * (size_t)(dw + dh));
    int32_t *rows = malloc(sizeof(int32_t) * 2 * row);
    if (!xofs || !coef || !rows) {
        free(xofs);
        free(coef);
        free(rows);
        return ak_error_set(err, AK_ENOMEM, "resize_bilinear: out of memory (%dx%d)", dh, dw);
    }
    int *yofs = xofs + dw, *xofs1 = xofs + dw + dh;
    int16_t *a0 = coef, *a1 = coef + dw, *b0 = coef + 2 * dw, *b1 = coef + 2 * dw + dh;
    axis_coefs(sw, dw, 1, xofs, a0, a1);
    for (int dx = 0; dx < dw; dx++) { /* pixel indices -> byte offsets */
        xofs1[dx] = (xofs[dx] + 1 < sw ? xofs[dx] + 1 : sw - 1) * c;
        xofs[dx] *= c;
    }
    axis_coefs(sh, dh, 0, yofs, b0, b1);
    /* Two cached horizontal rows: slot[0] holds source row slot_src[0], slot[1] row slot_src[1]. */
    int32_t *slot[2] = {rows, rows + row};
    int slot_src[2] = {-1, -1};
    for (int dy = 0; dy < dh; dy++) {
        int y0 = yofs[dy], y1 = yofs[dy] + 1;
        y0 = y0 < 0 ? 0 : y0 > sh - 1 ? sh - 1 : y0;
        y1 = y1 < 0 ? 0 : y1 > sh - 1 ? sh - 1 : y1;
        if (slot_src[0] != y0) {
            if (slot_src[1] == y0) { /* moving down by one row: reuse, do not recompute */
                int32_t *t = slot[0];
                slot[0] = slot[1];
                slot[1] = t;
                slot_src[1] = slot_src[0];
                slot_src[0] = y0;
            } else {
                hresize_row(src + (size_t)y0 * (size_t)sw * (size_t)c, c, dw, xofs, xofs1, a0, a1, slot[0]);
                slot_src[0] = y0;
            }
        }
        if (slot_src[1] != y1) {
            hresize_row(src + (size_t)y1 * (size_t)sw * (size_t)c, c, dw, xofs, xofs1, a0, a1, slot[1]);
            slot_src[1] = y1;
        }
        vblend_row(slot[0], slot[1], b0[dy], b1[dy], dst + (size_t)dy * row, (int)row);
    }
    free(xofs);
    free(coef);
    free(rows);
    return AK_OK;
}

int ak_resize_nearest_u8(const uint8_t *src, int sh, int sw, int c, uint8_t *dst, int dh, int dw, ak_error *err) {
    if (sh <= 0 || sw <= 0 || dh <= 0 || dw <= 0 || c <= 0)
        return ak_error_set(err, AK_EINVAL, "resize_nearest: bad sizes %dx%dx%d -> %dx%d", sh, sw, c, dh, dw);
    int *xofs = malloc(sizeof(int) * (size_t)dw);
    if (!xofs)
        return ak_error_set(err, AK_ENOMEM, "resize_nearest: out of memory (%dx%d)", dh, dw);
    const double fx = 1.0 / ((double)dw / (double)sw), fy = 1.0 / ((double)dh / (double)sh);
    for (int x = 0; x < dw; x++) {
        int s = (int)floor(x * fx);
        xofs[x] = (s < sw - 1 ? s : sw - 1) * c;
    }
    for (int y = 0; y < dh; y++) {
        int sy = (int)floor(y * fy);
        sy = sy < sh - 1 ? sy : sh - 1;
        const uint8_t *s = src + (size_t)sy * (size_t)sw * (size_t)c;
        uint8_t *d = dst + (size_t)y * (size_t)dw * (size_t)c;
        if (c == 1)
            for (int x = 0; x < dw; x++)
                d[x] = s[xofs[x]];
        else
            for (int x = 0; x < dw; x++)
                memcpy(d + (size_t)x * (size_t)c, s + xofs[x], (size_t)c);
    }
    free(xofs);
    return AK_OK;
}

void ak_rescale_size(int h, int w, int scale_long, int scale_short, int *new_h, int *new_w, double *factor) {
    const int lo = scale_long > scale_short ? scale_short : scale_long;
    const int hi = scale_long > scale_short ? scale_long : scale_short;
    const double f1 = (double)hi / (double)(h > w ? h : w), f2 = (double)lo / (double)(h < w ? h : w);
    const double f = f1 < f2 ? f1 : f2;
    *new_w = (int)(w * f + 0.5);
    *new_h = (int)(h * f + 0.5);
    if (factor)
        *factor = f;
}
