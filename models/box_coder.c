/* See box_coder.h. Every expression keeps the reference's operation order (float32). */
#include "models/box_coder.h"

#include <math.h>

ak_delta_coder ak_delta_coder_default(ak_det_style style) {
    ak_delta_coder c = {style, {0, 0, 0, 0}, {1, 1, 1, 1}, {1, 1, 1, 1}, (float)log(1000.0 / 16.0)};
    return c;
}

void ak_delta_encode(const ak_delta_coder *c, const float *anchors, const float *boxes, int64_t n, float *out) {
    for (int64_t i = 0; i < n; i++) {
        const float *a = anchors + 4 * i, *b = boxes + 4 * i;
        float *d = out + 4 * i;
        if (c->style == AK_DET_MMDET) {
            float px = (a[0] + a[2]) * 0.5f, py = (a[1] + a[3]) * 0.5f;
            float pw = a[2] - a[0], ph = a[3] - a[1];
            float gx = (b[0] + b[2]) * 0.5f, gy = (b[1] + b[3]) * 0.5f;
            float gw = b[2] - b[0], gh = b[3] - b[1];
            d[0] = (gx - px) / pw, d[1] = (gy - py) / ph;
            d[2] = logf(gw / pw), d[3] = logf(gh / ph);
            for (int k = 0; k < 4; k++)
                d[k] = (d[k] - c->means[k]) / c->stds[k];
        } else {
            float ew = a[2] - a[0], eh = a[3] - a[1];
            float ex = a[0] + 0.5f * ew, ey = a[1] + 0.5f * eh;
            float gw = b[2] - b[0], gh = b[3] - b[1];
            float gx = b[0] + 0.5f * gw, gy = b[1] + 0.5f * gh;
            d[0] = c->weights[0] * (gx - ex) / ew, d[1] = c->weights[1] * (gy - ey) / eh;
            d[2] = c->weights[2] * logf(gw / ew), d[3] = c->weights[3] * logf(gh / eh);
        }
    }
}

void ak_boxes_clip(float *boxes, int64_t n, int img_h, int img_w) {
    float W = (float)img_w, H = (float)img_h;
    for (int64_t i = 0; i < n; i++) {
        float *b = boxes + 4 * i;
        for (int k = 0; k < 4; k++) {
            float hi = (k & 1) ? H : W;
            b[k] = b[k] < 0.0f ? 0.0f : b[k] > hi ? hi : b[k];
        }
    }
}

void ak_delta_decode(const ak_delta_coder *c, const float *anchors, const float *deltas, int64_t n, int img_h,
                     int img_w, float *out) {
    float clip = c->clip;
    for (int64_t i = 0; i < n; i++) {
        const float *a = anchors + 4 * i, *d = deltas + 4 * i;
        float *o = out + 4 * i;
        if (c->style == AK_DET_MMDET) {
            float dx = d[0] * c->stds[0] + c->means[0], dy = d[1] * c->stds[1] + c->means[1];
            float dw = d[2] * c->stds[2] + c->means[2], dh = d[3] * c->stds[3] + c->means[3];
            float px = (a[0] + a[2]) * 0.5f, py = (a[1] + a[3]) * 0.5f;
            float pw = a[2] - a[0], ph = a[3] - a[1];
            dw = dw < -clip ? -clip : dw > clip ? clip : dw;
            dh = dh < -clip ? -clip : dh > clip ? clip : dh;
            float gx = px + pw * dx, gy = py + ph * dy;
            float gw = pw * expf(dw), gh = ph * expf(dh);
            o[0] = gx - gw * 0.5f, o[1] = gy - gh * 0.5f, o[2] = gx + gw * 0.5f, o[3] = gy + gh * 0.5f;
        } else {
            float w = a[2] - a[0], h = a[3] - a[1];
            float cx = a[0] + 0.5f * w, cy = a[1] + 0.5f * h;
            float dx = d[0] / c->weights[0], dy = d[1] / c->weights[1];
            float dw = d[2] / c->weights[2], dh = d[3] / c->weights[3];
            dw = dw > clip ? clip : dw;
            dh = dh > clip ? clip : dh;
            float pcx = dx * w + cx, pcy = dy * h + cy;
            float pw = expf(dw) * w, ph = expf(dh) * h;
            float hw = 0.5f * pw, hh = 0.5f * ph;
            o[0] = pcx - hw, o[1] = pcy - hh, o[2] = pcx + hw, o[3] = pcy + hh;
        }
    }
    if (img_h > 0)
        ak_boxes_clip(out, n, img_h, img_w);
}

void ak_distance_decode(const float *points, const float *dist, int64_t n, int img_h, int img_w, float *out) {
    for (int64_t i = 0; i < n; i++) {
        const float *p = points + 2 * i, *d = dist + 4 * i;
        float *o = out + 4 * i;
        o[0] = p[0] - d[0], o[1] = p[1] - d[1], o[2] = p[0] + d[2], o[3] = p[1] + d[3];
    }
    if (img_h > 0)
        ak_boxes_clip(out, n, img_h, img_w);
}

void ak_distance_encode(const float *points, const float *boxes, int64_t n, float *out) {
    for (int64_t i = 0; i < n; i++) {
        const float *p = points + 2 * i, *b = boxes + 4 * i;
        float *o = out + 4 * i;
        o[0] = p[0] - b[0], o[1] = p[1] - b[1], o[2] = b[2] - p[0], o[3] = b[3] - p[1];
    }
}

void ak_linear_encode(const float *anchors, const float *boxes, int64_t n, float *out) {
    for (int64_t i = 0; i < n; i++) {
        const float *a = anchors + 4 * i, *b = boxes + 4 * i;
        float *o = out + 4 * i;
        float cx = 0.5f * (a[0] + a[2]), cy = 0.5f * (a[1] + a[3]);
        float w = a[2] - a[0], h = a[3] - a[1];
        o[0] = (cx - b[0]) / w, o[1] = (cy - b[1]) / h, o[2] = (b[2] - cx) / w, o[3] = (b[3] - cy) / h;
    }
}

void ak_linear_decode(const float *anchors, const float *codes, int64_t n, int img_h, int img_w, float *out) {
    for (int64_t i = 0; i < n; i++) {
        const float *a = anchors + 4 * i, *c = codes + 4 * i;
        float *o = out + 4 * i;
        float cx = 0.5f * (a[0] + a[2]), cy = 0.5f * (a[1] + a[3]);
        float w = a[2] - a[0], h = a[3] - a[1];
        o[0] = cx - c[0] * w, o[1] = cy - c[1] * h, o[2] = cx + c[2] * w, o[3] = cy + c[3] * h;
    }
    if (img_h > 0)
        ak_boxes_clip(out, n, img_h, img_w);
}
