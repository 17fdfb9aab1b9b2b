/* See geometry.h. */
#include "datasets/geometry.h"

#include <stdint.h>
#include <string.h>

void ak_hflip_u8(uint8_t *img, int h, int w, int c) {
    for (int y = 0; y < h; y++) {
        uint8_t *row = img + (size_t)y * (size_t)w * (size_t)c;
        for (int a = 0, b = w - 1; a < b; a++, b--)
            for (int k = 0; k < c; k++) {
                uint8_t t = row[(size_t)a * c + k];
                row[(size_t)a * c + k] = row[(size_t)b * c + k];
                row[(size_t)b * c + k] = t;
            }
    }
}

void ak_hflip_boxes(float *boxes, int n, int w) {
    const float fw = (float)w;
    for (int i = 0; i < n; i++) {
        float x1 = boxes[4 * i], x2 = boxes[4 * i + 2];
        boxes[4 * i] = fw - x2;
        boxes[4 * i + 2] = fw - x1;
    }
}

void ak_crop_u8(const uint8_t *src, int h, int w, int c, int y1, int y2, int x1, int x2, uint8_t *dst, int *out_h,
                int *out_w) {
    y2 = y2 < h ? y2 : h;
    x2 = x2 < w ? x2 : w;
    const int ch = y2 > y1 ? y2 - y1 : 0, cw = x2 > x1 ? x2 - x1 : 0;
    for (int y = 0; y < ch; y++)
        memcpy(dst + (size_t)y * (size_t)cw * (size_t)c, src + ((size_t)(y1 + y) * (size_t)w + (size_t)x1) * (size_t)c,
               (size_t)cw * (size_t)c);
    *out_h = ch;
    *out_w = cw;
}

static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

void ak_boxes_rescale_clip(float *boxes, int n, float sx, float sy, int clip_w, int clip_h) {
    for (int i = 0; i < n; i++) {
        float *b = boxes + 4 * i;
        b[0] = clampf(b[0] * sx, 0.0f, (float)clip_w);
        b[1] = clampf(b[1] * sy, 0.0f, (float)clip_h);
        b[2] = clampf(b[2] * sx, 0.0f, (float)clip_w);
        b[3] = clampf(b[3] * sy, 0.0f, (float)clip_h);
    }
}

void ak_normalize_pad_chw(const uint8_t *src, int h, int w, int flip, const double mean[3], const double std[3],
                          float *dst, int pad_h, int pad_w) {
    const size_t plane = (size_t)pad_h * (size_t)pad_w;
    /* The result depends only on the byte value: one table per channel. */
    float lut[3][256];
    for (int c = 0; c < 3; c++) {
        /* mmdet / mmseg's Normalize keeps mean and std as float32 arrays; imnormalize widens them
         * to float64 and takes 1 / std there. */
        const float m = (float)mean[c];
        const double s = 1.0 / (double)(float)std[c];
        for (int v = 0; v < 256; v++)
            lut[c][v] = (float)((double)((float)v - m) * s);
    }
    /* Plain stores: the output is the network's input, read right after by the first convolution.
     * Non-temporal stores (used while the loader's workers wrote float batches read much later)
     * wrote no faster here and made that next read ~10% slower, measured on this machine. */
    float *d0 = dst, *d1 = dst + plane, *d2 = dst + 2 * plane;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = src + (size_t)y * (size_t)w * 3;
        const size_t o = (size_t)y * (size_t)pad_w;
        if (flip) {
            for (int x = 0; x < w; x++) {
                const uint8_t *p = row + 3 * (size_t)(w - 1 - x);
                d0[o + x] = lut[0][p[0]];
                d1[o + x] = lut[1][p[1]];
                d2[o + x] = lut[2][p[2]];
            }
        } else {
            for (int x = 0; x < w; x++) {
                const uint8_t *p = row + 3 * (size_t)x;
                d0[o + x] = lut[0][p[0]];
                d1[o + x] = lut[1][p[1]];
                d2[o + x] = lut[2][p[2]];
            }
        }
        if (pad_w > w)
            for (int c = 0; c < 3; c++)
                memset(dst + (size_t)c * plane + o + w, 0, (size_t)(pad_w - w) * sizeof(float));
    }
    if (pad_h > h)
        for (int c = 0; c < 3; c++)
            memset(dst + (size_t)c * plane + (size_t)h * (size_t)pad_w, 0,
                   (size_t)(pad_h - h) * (size_t)pad_w * sizeof(float));
}

void ak_pad_label(const uint8_t *src, int h, int w, int flip, uint8_t *dst, int pad_h, int pad_w, uint8_t pad_value) {
    for (int y = 0; y < h; y++) {
        const uint8_t *s = src + (size_t)y * (size_t)w;
        uint8_t *d = dst + (size_t)y * (size_t)pad_w;
        if (flip)
            for (int x = 0; x < w; x++)
                d[x] = s[w - 1 - x];
        else
            memcpy(d, s, (size_t)w);
        if (pad_w > w)
            memset(d + w, pad_value, (size_t)(pad_w - w));
    }
    if (pad_h > h)
        memset(dst + (size_t)h * (size_t)pad_w, pad_value, (size_t)(pad_h - h) * (size_t)pad_w);
}

int ak_round_up(int n, int divisor) { return divisor > 0 ? (n + divisor - 1) / divisor * divisor : n; }
