/* See photometric.h. The HSV arithmetic mirrors OpenCV 4.6 (color_hsv.simd.hpp) so that the
 * distortion equals mmseg's on the same parameters. */
#include "datasets/photometric.h"

#include <math.h>

enum { HSV_SHIFT = 12 };

/* OpenCV's division tables: sdiv[v] = round(255 * 4096 / v), hdiv[d] = round(180 * 4096 / (6 d)). */
static int32_t sdiv_entry(int i) { return i == 0 ? 0 : (int32_t)lrint((255 << HSV_SHIFT) / (1.0 * i)); }
static int32_t hdiv_entry(int i) { return i == 0 ? 0 : (int32_t)lrint((180 << HSV_SHIFT) / (6.0 * i)); }

void ak_rgb_to_hsv_u8(const uint8_t *rgb, uint8_t *hsv, size_t n) {
    int32_t sdiv[256], hdiv[256];
    for (int i = 0; i < 256; i++) {
        sdiv[i] = sdiv_entry(i);
        hdiv[i] = hdiv_entry(i);
    }
    for (size_t i = 0; i < n; i++) {
        const int r = rgb[3 * i], g = rgb[3 * i + 1], b = rgb[3 * i + 2];
        int v = r > g ? r : g;
        v = v > b ? v : b;
        int vmin = r < g ? r : g;
        vmin = vmin < b ? vmin : b;
        const int diff = v - vmin;
        const int s = (diff * sdiv[v] + (1 << (HSV_SHIFT - 1))) >> HSV_SHIFT;
        int h;
        if (v == r)
            h = g - b;
        else if (v == g)
            h = b - r + 2 * diff;
        else
            h = r - g + 4 * diff;
        h = (h * hdiv[diff] + (1 << (HSV_SHIFT - 1))) >> HSV_SHIFT;
        h += h < 0 ? 180 : 0;
        hsv[3 * i] = (uint8_t)h;
        hsv[3 * i + 1] = (uint8_t)s;
        hsv[3 * i + 2] = (uint8_t)v;
    }
}

static uint8_t trunc_u8(float x) {
    int v = (int)x; /* truncation toward zero, as v_trunc */
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

void ak_hsv_to_rgb_u8(const uint8_t *hsv, uint8_t *rgb, size_t n) {
    const float hscale = 6.0f / 180.0f, inv255 = 1.0f / 255.0f;
    for (size_t i = 0; i < n; i++) {
        float h = (float)hsv[3 * i] * hscale;
        const float s = (float)hsv[3 * i + 1] * inv255, v = (float)hsv[3 * i + 2] * inv255;
        const float pre = truncf(h);
        h -= pre;
        const float t0 = v, t1 = v * (1.0f - s);
        const float t2 = v * fmaf(-s, h, 1.0f), t3 = v * fmaf(-s, 1.0f - h, 1.0f);
        const float sector = pre - truncf(pre * (1.0f / 6.0f)) * 6.0f;
        float r, g, b;
        if (sector < 1.0f) {
            r = t0, g = t3, b = t1;
        } else if (sector == 1.0f) {
            r = t2, g = t0, b = t1;
        } else if (sector == 2.0f) {
            r = t1, g = t0, b = t3;
        } else if (sector == 3.0f) {
            r = t1, g = t2, b = t0;
        } else if (sector == 4.0f) {
            r = t3, g = t1, b = t0;
        } else {
            r = t0, g = t1, b = t2;
        }
        rgb[3 * i] = trunc_u8(r * 255.0f);
        rgb[3 * i + 1] = trunc_u8(g * 255.0f);
        rgb[3 * i + 2] = trunc_u8(b * 255.0f);
    }
}

ak_photometric_cfg ak_photometric_default(void) {
    ak_photometric_cfg c = {32.0f, 0.5f, 1.5f, 0.5f, 1.5f, 18};
    return c;
}

ak_photometric_params ak_photometric_draw(const ak_photometric_cfg *cfg, ak_rng rng, uint64_t first) {
    ak_photometric_params p;
    p.do_brightness = ak_rng_below(rng, first + 0, 2) == 1;
    p.beta = -cfg->brightness_delta + 2.0f * cfg->brightness_delta * ak_rng_uniform1(rng, first + 1);
    p.contrast_first = ak_rng_below(rng, first + 2, 2) == 1;
    p.do_contrast = ak_rng_below(rng, first + 3, 2) == 1;
    p.contrast = cfg->contrast_lo + (cfg->contrast_hi - cfg->contrast_lo) * ak_rng_uniform1(rng, first + 4);
    p.do_saturation = ak_rng_below(rng, first + 5, 2) == 1;
    p.saturation = cfg->saturation_lo + (cfg->saturation_hi - cfg->saturation_lo) * ak_rng_uniform1(rng, first + 6);
    p.do_hue = ak_rng_below(rng, first + 7, 2) == 1;
    p.hue_delta = -cfg->hue_delta + (int)ak_rng_below(rng, first + 8, (uint32_t)(2 * cfg->hue_delta));
    return p;
}

static void affine(uint8_t *x, size_t n, size_t stride, float alpha, float beta) {
    for (size_t i = 0; i < n; i++)
        x[i * stride] = ak_convert_u8(x[i * stride], alpha, beta);
}

static void contrast(uint8_t *rgb, size_t n, const ak_photometric_params *p) {
    if (p->do_contrast)
        affine(rgb, 3 * n, 1, p->contrast, 0.0f);
}

void ak_photometric_apply(uint8_t *rgb, size_t n, const ak_photometric_params *p, uint8_t *hsv) {
    if (p->do_brightness)
        affine(rgb, 3 * n, 1, 1.0f, p->beta);
    if (p->contrast_first)
        contrast(rgb, n, p);
    if (p->do_saturation) {
        ak_rgb_to_hsv_u8(rgb, hsv, n);
        affine(hsv + 1, n, 3, p->saturation, 0.0f);
        ak_hsv_to_rgb_u8(hsv, rgb, n);
    }
    if (p->do_hue) {
        ak_rgb_to_hsv_u8(rgb, hsv, n);
        for (size_t i = 0; i < n; i++) {
            int h = ((int)hsv[3 * i] + p->hue_delta) % 180;
            hsv[3 * i] = (uint8_t)(h < 0 ? h + 180 : h);
        }
        ak_hsv_to_rgb_u8(hsv, rgb, n);
    }
    if (!p->contrast_first)
        contrast(rgb, n, p);
}
