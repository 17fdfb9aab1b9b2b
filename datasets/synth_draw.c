/* See synth_draw.h. */
#include "datasets/synth_draw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

float ak_draw_uniform(ak_draws *d, float lo, float hi) { return lo + (hi - lo) * ak_rng_uniform1(d->rng, d->next++); }

int ak_draw_int(ak_draws *d, int lo, int hi_inclusive) {
    return lo + (int)ak_rng_below(d->rng, d->next++, (uint32_t)(hi_inclusive - lo + 1));
}

int ak_draw_chance(ak_draws *d, float p) { return ak_rng_uniform1(d->rng, d->next++) < p; }

float ak_draw_normalish(ak_draws *d, float mean, float sd) {
    float s = 0.0f;
    for (int i = 0; i < 4; i++)
        s += ak_rng_uniform1(d->rng, d->next++);
    return mean + sd * (s - 2.0f) * 1.7320508f; /* var of a sum of 4 U(0,1) is 1/3 */
}

void ak_hsv_color(float h, float s, float v, float rgb[3]) {
    h = fmodf(h, 360.0f);
    if (h < 0.0f)
        h += 360.0f;
    const float c = v * s, hp = h / 60.0f, x = c * (1.0f - fabsf(fmodf(hp, 2.0f) - 1.0f)), m = v - c;
    float r = 0, g = 0, b = 0;
    switch ((int)hp) {
    case 0: r = c, g = x; break;
    case 1: r = x, g = c; break;
    case 2: g = c, b = x; break;
    case 3: g = x, b = c; break;
    case 4: r = x, b = c; break;
    default: r = c, b = x; break;
    }
    rgb[0] = (r + m) * 255.0f;
    rgb[1] = (g + m) * 255.0f;
    rgb[2] = (b + m) * 255.0f;
}

void ak_shape_extent(ak_shape *s, float umin, float umax, float vmin, float vmax) {
    s->umin = umin, s->umax = umax, s->vmin = vmin, s->vmax = vmax;
}

ak_paint ak_solid(const float rgb[3], int32_t id) {
    ak_paint p;
    memset(&p, 0, sizeof p);
    memcpy(p.rgb, rgb, sizeof p.rgb);
    memcpy(p.rgb2, rgb, sizeof p.rgb2);
    p.pattern = AK_PAT_SOLID;
    p.id = id;
    return p;
}

void ak_jitter_rgb(ak_draws *d, const float base[3], float amount, float out[3]) {
    for (int c = 0; c < 3; c++)
        out[c] = base[c] + ak_draw_uniform(d, -amount, amount);
}

void ak_scale_rgb(const float in[3], float f, float out[3]) {
    for (int c = 0; c < 3; c++)
        out[c] = in[c] * f;
}

ak_prim *ak_shape_add(ak_shape *s, int kind, const float *p, int np, const ak_paint *paint) {
    if (s->n >= AK_SHAPE_MAX_PRIMS)
        return NULL;
    ak_prim *q = &s->prims[s->n++];
    memset(q, 0, sizeof *q);
    q->kind = kind;
    memcpy(q->p, p, sizeof(float) * (size_t)(np < 8 ? np : 8));
    q->paint = *paint;
    return q;
}

static int in_convex(const float *xy, int n, float x, float y) {
    int pos = 0, neg = 0;
    for (int i = 0; i < n; i++) {
        const float x0 = xy[2 * i], y0 = xy[2 * i + 1], x1 = xy[2 * ((i + 1) % n)], y1 = xy[2 * ((i + 1) % n) + 1];
        const float cr = (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0);
        pos += cr > 0.0f;
        neg += cr < 0.0f;
    }
    return !(pos && neg);
}

/* Per-primitive constants computed once per draw. */
typedef struct prim_cache {
    float ca, sa;      /* stripe direction */
    float ngon_c;      /* cos(pi / n) * r */
    float nx[8], ny[8]; /* n-gon edge normals */
    float thin;         /* segment half-width / ring inner radius, widened to stay >= ~1 pixel */
} prim_cache;

static int prim_inside(const ak_prim *q, const prim_cache *k, float u, float v) {
    const float *p = q->p;
    switch (q->kind) {
    case AK_PRIM_ELLIPSE: {
        const float du = (u - p[0]) / p[2], dv = (v - p[1]) / p[3];
        return du * du + dv * dv <= 1.0f;
    }
    case AK_PRIM_RECT:
        return u >= p[0] && u <= p[2] && v >= p[1] && v <= p[3];
    case AK_PRIM_RING: {
        const float du = u - p[0], dv = v - p[1], d2 = du * du + dv * dv;
        return d2 <= p[2] * p[2] && d2 >= k->thin * k->thin;
    }
    case AK_PRIM_NGON: {
        const int n = (int)p[3];
        for (int i = 0; i < n; i++)
            if ((u - p[0]) * k->nx[i] + (v - p[1]) * k->ny[i] > k->ngon_c)
                return 0;
        return 1;
    }
    case AK_PRIM_SEGMENT: {
        const float ex = p[2] - p[0], ey = p[3] - p[1], l2 = ex * ex + ey * ey;
        float t = l2 > 0.0f ? ((u - p[0]) * ex + (v - p[1]) * ey) / l2 : 0.0f;
        t = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
        const float dx = u - (p[0] + t * ex), dy = v - (p[1] + t * ey);
        return dx * dx + dy * dy <= k->thin * k->thin;
    }
    case AK_PRIM_QUAD:
        return in_convex(p, 4, u, v);
    default:
        return 0;
    }
}

static float frac(float x) { return x - floorf(x); }

/* Colour of paint `pt` at unit coordinates (u, v). */
static void paint_at(const ak_paint *pt, const prim_cache *k, float u, float v, float out[3]) {
    int alt = 0;
    if (pt->pattern != AK_PAT_SOLID && pt->period > 0.0f) {
        const float a = u / pt->period, b = v / pt->period;
        switch (pt->pattern) {
        case AK_PAT_STRIPES:
            alt = ((int)floorf((u * k->ca + v * k->sa) / pt->period)) & 1;
            break;
        case AK_PAT_CHECKER:
            alt = ((int)floorf(a) + (int)floorf(b)) & 1;
            break;
        case AK_PAT_DOTS: {
            const float fu = frac(a) - 0.5f, fv = frac(b) - 0.5f;
            alt = fu * fu + fv * fv < 0.09f;
            break;
        }
        case AK_PAT_GRID: {
            const float fu = frac(a), fv = frac(b);
            alt = fu > 0.2f && fu < 0.8f && fv > 0.25f && fv < 0.75f;
            break;
        }
        default:
            break;
        }
    }
    const float *c = alt ? pt->rgb2 : pt->rgb;
    const float f = 1.0f + pt->shade * 0.5f * (v < -1.0f ? -1.0f : v > 1.0f ? 1.0f : v);
    for (int i = 0; i < 3; i++)
        out[i] = c[i] * f;
}

static uint8_t to_u8(float v) { return (uint8_t)(v <= 0.0f ? 0 : v >= 255.0f ? 255 : (int)(v + 0.5f)); }

int64_t ak_shape_draw(ak_canvas *cv, const ak_shape *s) {
    const float ct = cosf(s->theta), st = sinf(s->theta);
    const float sx = s->scale * s->ax, sy = s->scale * s->ay;
    if (sx <= 0.0f || sy <= 0.0f || s->n == 0)
        return 0;
    /* Axis-aligned bounds of the rotated extent. */
    float xmin = 1e30f, xmax = -1e30f, ymin = 1e30f, ymax = -1e30f;
    for (int i = 0; i < 4; i++) {
        const float u = (i & 1) ? s->umax : s->umin, v = (i & 2) ? s->vmax : s->vmin;
        const float px = u * sx, py = v * sy;
        const float x = s->cx + ct * px - st * py, y = s->cy + st * px + ct * py;
        xmin = fminf(xmin, x), xmax = fmaxf(xmax, x), ymin = fminf(ymin, y), ymax = fmaxf(ymax, y);
    }
    int x0 = (int)floorf(xmin) - 1, x1 = (int)ceilf(xmax) + 1, y0 = (int)floorf(ymin) - 1, y1 = (int)ceilf(ymax) + 1;
    x0 = x0 < 0 ? 0 : x0;
    y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > cv->w ? cv->w : x1;
    y1 = y1 > cv->h ? cv->h : y1;
    prim_cache cache[AK_SHAPE_MAX_PRIMS];
    for (int i = 0; i < s->n; i++) {
        const ak_prim *q = &s->prims[i];
        cache[i].ca = cosf(q->paint.angle);
        cache[i].sa = sinf(q->paint.angle);
        /* thin parts (spokes, frames, hands) stay visible at small scales, as blur would keep them */
        const float px_unit = 1.0f / (sx < sy ? sx : sy);
        if (q->kind == AK_PRIM_SEGMENT)
            cache[i].thin = q->p[4] > 0.55f * px_unit ? q->p[4] : 0.55f * px_unit;
        if (q->kind == AK_PRIM_RING)
            cache[i].thin = q->p[3] < q->p[2] - 1.1f * px_unit ? q->p[3] : q->p[2] - 1.1f * px_unit;
        if (q->kind == AK_PRIM_NGON) {
            const int n = (int)q->p[3] > 8 ? 8 : (int)q->p[3];
            const float pi = 3.14159265f;
            cache[i].ngon_c = q->p[2] * cosf(pi / (float)n);
            for (int e = 0; e < n; e++) {
                const float a = q->p[4] + (2.0f * (float)e + 1.0f) * pi / (float)n;
                cache[i].nx[e] = cosf(a);
                cache[i].ny[e] = sinf(a);
            }
        }
    }
    int64_t painted = 0;
    for (int y = y0; y < y1; y++) {
        const float dy = (float)y + 0.5f - s->cy;
        for (int x = x0; x < x1; x++) {
            const float dx = (float)x + 0.5f - s->cx;
            float u = (ct * dx + st * dy) / sx;
            const float v = (-st * dx + ct * dy) / sy;
            if (s->mirror)
                u = -u;
            if (u < s->umin || u > s->umax || v < s->vmin || v > s->vmax)
                continue;
            for (int i = s->n - 1; i >= 0; i--) {
                if (!prim_inside(&s->prims[i], &cache[i], u, v))
                    continue;
                float c[3];
                paint_at(&s->prims[i].paint, &cache[i], u, v, c);
                uint8_t *px = cv->rgb + ((size_t)y * (size_t)cv->w + (size_t)x) * 3;
                px[0] = to_u8(c[0]);
                px[1] = to_u8(c[1]);
                px[2] = to_u8(c[2]);
                if (cv->ids)
                    cv->ids[(size_t)y * (size_t)cv->w + (size_t)x] = s->prims[i].paint.id;
                painted++;
                break;
            }
        }
    }
    return painted;
}

void ak_canvas_background(ak_canvas *cv, const float top[3], const float bottom[3], ak_draws *d, int32_t id) {
    const int h = cv->h, w = cv->w;
    float *wx = malloc(sizeof(float) * (size_t)(w + h));
    if (!wx)
        return;
    float *wy = wx + w;
    const float two_pi = 6.2831853f;
    const float fx1 = ak_draw_uniform(d, 0.5f, 3.0f), fx2 = ak_draw_uniform(d, 4.0f, 12.0f);
    const float fy1 = ak_draw_uniform(d, 0.5f, 3.0f), fy2 = ak_draw_uniform(d, 4.0f, 12.0f);
    const float px1 = ak_draw_uniform(d, 0, 1), px2 = ak_draw_uniform(d, 0, 1), py1 = ak_draw_uniform(d, 0, 1),
                py2 = ak_draw_uniform(d, 0, 1);
    const float a1 = ak_draw_uniform(d, 4, 18), a2 = ak_draw_uniform(d, 1, 6);
    for (int x = 0; x < w; x++)
        wx[x] = a1 * sinf(two_pi * (fx1 * (float)x / (float)w + px1)) + a2 * sinf(two_pi * (fx2 * (float)x / (float)w + px2));
    for (int y = 0; y < h; y++)
        wy[y] = a1 * sinf(two_pi * (fy1 * (float)y / (float)h + py1)) + a2 * sinf(two_pi * (fy2 * (float)y / (float)h + py2));
    for (int y = 0; y < h; y++) {
        const float t = h > 1 ? (float)y / (float)(h - 1) : 0.0f;
        float base[3];
        for (int c = 0; c < 3; c++)
            base[c] = top[c] * (1.0f - t) + bottom[c] * t + wy[y];
        uint8_t *row = cv->rgb + (size_t)y * (size_t)w * 3;
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                row[3 * x + c] = to_u8(base[c] + wx[x]);
        if (cv->ids)
            for (int x = 0; x < w; x++)
                cv->ids[(size_t)y * (size_t)w + (size_t)x] = id;
    }
    free(wx);
    /* soft blobs: colour patches blended with a smooth falloff */
    const int nb = ak_draw_int(d, 2, 5);
    for (int b = 0; b < nb; b++) {
        const float cx = ak_draw_uniform(d, 0, (float)w), cy = ak_draw_uniform(d, 0, (float)h);
        const float r = ak_draw_uniform(d, 0.08f, 0.35f) * (float)(w > h ? w : h);
        float col[3];
        ak_hsv_color(ak_draw_uniform(d, 0, 360), ak_draw_uniform(d, 0.1f, 0.6f), ak_draw_uniform(d, 0.3f, 0.9f), col);
        const float alpha = ak_draw_uniform(d, 0.15f, 0.45f);
        int yy0 = (int)(cy - r), yy1 = (int)(cy + r) + 1, xx0 = (int)(cx - r), xx1 = (int)(cx + r) + 1;
        yy0 = yy0 < 0 ? 0 : yy0, xx0 = xx0 < 0 ? 0 : xx0, yy1 = yy1 > h ? h : yy1, xx1 = xx1 > w ? w : xx1;
        for (int y = yy0; y < yy1; y++)
            for (int x = xx0; x < xx1; x++) {
                const float dx = ((float)x - cx) / r, dy = ((float)y - cy) / r, q = 1.0f - (dx * dx + dy * dy);
                if (q <= 0.0f)
                    continue;
                const float a = alpha * q;
                uint8_t *px = cv->rgb + ((size_t)y * (size_t)w + (size_t)x) * 3;
                for (int c = 0; c < 3; c++)
                    px[c] = to_u8((float)px[c] * (1.0f - a) + col[c] * a);
            }
    }
}

void ak_canvas_poly(ak_canvas *cv, const float *xy, int n, const ak_paint *paint) {
    float xmin = 1e30f, xmax = -1e30f, ymin = 1e30f, ymax = -1e30f;
    for (int i = 0; i < n; i++) {
        xmin = fminf(xmin, xy[2 * i]), xmax = fmaxf(xmax, xy[2 * i]);
        ymin = fminf(ymin, xy[2 * i + 1]), ymax = fmaxf(ymax, xy[2 * i + 1]);
    }
    int x0 = (int)floorf(xmin), x1 = (int)ceilf(xmax) + 1, y0 = (int)floorf(ymin), y1 = (int)ceilf(ymax) + 1;
    x0 = x0 < 0 ? 0 : x0, y0 = y0 < 0 ? 0 : y0, x1 = x1 > cv->w ? cv->w : x1, y1 = y1 > cv->h ? cv->h : y1;
    prim_cache k;
    k.ca = cosf(paint->angle);
    k.sa = sinf(paint->angle);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const float px = (float)x + 0.5f, py = (float)y + 0.5f;
            if (!in_convex(xy, n, px, py))
                continue;
            float c[3];
            /* patterns in pixel units / 16 so that periods read similarly to object units */
            paint_at(paint, &k, px / 16.0f, py / 16.0f, c);
            uint8_t *p = cv->rgb + ((size_t)y * (size_t)cv->w + (size_t)x) * 3;
            p[0] = to_u8(c[0]), p[1] = to_u8(c[1]), p[2] = to_u8(c[2]);
            if (cv->ids)
                cv->ids[(size_t)y * (size_t)cv->w + (size_t)x] = paint->id;
        }
}

void ak_canvas_rect(ak_canvas *cv, float x0, float y0, float x1, float y1, const ak_paint *paint) {
    const float xy[8] = {x0, y0, x1, y0, x1, y1, x0, y1};
    ak_canvas_poly(cv, xy, 4, paint);
}

void ak_canvas_noise(ak_canvas *cv, ak_rng rng, int amp) {
    if (amp <= 0)
        return;
    const int64_t n = (int64_t)cv->h * cv->w * 3;
    const uint32_t key[2] = {(uint32_t)rng.seed, (uint32_t)(rng.seed >> 32)};
    /* Element k of the stream is lane k % 4 of Philox block k / 4 (rng.h's layout); blocks are made
     * here directly because ak_rng_fill_u32 opens an OpenMP region per call, which costs more than
     * the numbers in small pieces. Each 32-bit number gives two noise values. */
    for (int64_t i = 0; i < n; i += 8) {
        const uint64_t blk = (uint64_t)(i / 8);
        const uint32_t ctr[4] = {(uint32_t)blk, (uint32_t)(blk >> 32), (uint32_t)rng.stream, (uint32_t)(rng.stream >> 32)};
        uint32_t r4[4];
        ak_philox4x32_10(ctr, key, r4);
        for (int j = 0; j < 8 && i + j < n; j++) {
            const uint32_t r = r4[j / 2] >> (16 * (j & 1));
            const int noise = ((int)(r & 0xff) + (int)((r >> 8) & 0xff) - 255) * amp / 255;
            uint8_t *p = cv->rgb + i + j;
            const int v = (int)*p + noise;
            *p = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
}

void ak_canvas_tone(ak_canvas *cv, float brightness, float contrast) {
    uint8_t lut[256];
    for (int v = 0; v < 256; v++)
        lut[v] = to_u8(((float)v - 128.0f) * contrast + 128.0f + brightness);
    const size_t n = (size_t)cv->h * (size_t)cv->w * 3;
    for (size_t i = 0; i < n; i++)
        cv->rgb[i] = lut[cv->rgb[i]];
}
