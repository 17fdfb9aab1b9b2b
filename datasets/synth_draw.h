/* Raster helpers for the synthetic dataset generators: an RGB canvas with a per-pixel id map,
 * shapes made of primitives in an object-local frame (rotation, scale, aspect), patterned paints,
 * backgrounds and sensor noise. Every random number comes from the counter-based RNG and the
 * arithmetic is plain float (no fast-math), so a seed renders the same bytes on every run of the same
 * build (sinf / cosf come from the C library).
 *
 * Coordinates: a pixel (x, y) is sampled at its centre (x + 0.5, y + 0.5). An object frame maps a
 * pixel to unit coordinates u = R(-theta) (p - c) / (scale * aspect). Primitives are tested in unit
 * coordinates; the last primitive of a shape that contains a pixel paints it (later = on top).
 * Ids: painting writes `paint.id` into canvas.ids (when present): instance ids for COCO (0 =
 * background / unlabelled clutter, so occluders hide instances), Cityscapes label ids for scenes.
 */
#ifndef AK_SYNTH_DRAW_H
#define AK_SYNTH_DRAW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/rng.h"

typedef struct ak_canvas {
    int h, w;
    uint8_t *rgb; /* (h, w, 3) */
    int32_t *ids; /* (h, w) or NULL */
} ak_canvas;

/* A sequential draw counter on a stream: successive calls give successive elements. */
typedef struct ak_draws {
    ak_rng rng;
    uint64_t next;
} ak_draws;

float ak_draw_uniform(ak_draws *d, float lo, float hi);
int ak_draw_int(ak_draws *d, int lo, int hi_inclusive);
int ak_draw_chance(ak_draws *d, float p);
/* Approximately normal (sum of 4 uniforms, scaled to unit variance). */
float ak_draw_normalish(ak_draws *d, float mean, float sd);

enum { AK_PAT_SOLID, AK_PAT_STRIPES, AK_PAT_CHECKER, AK_PAT_DOTS, AK_PAT_GRID };

typedef struct ak_paint {
    float rgb[3], rgb2[3]; /* base colour and pattern colour, 0..255 */
    int pattern;
    float period;          /* pattern period in unit coordinates */
    float angle;           /* stripes direction (radians, in the object frame) */
    float shade;           /* brightness change from v = -1 (top) to v = +1: rgb * (1 + shade * v / 2) */
    int32_t id;
} ak_paint;

enum { AK_PRIM_ELLIPSE, AK_PRIM_RECT, AK_PRIM_RING, AK_PRIM_NGON, AK_PRIM_SEGMENT, AK_PRIM_QUAD };

typedef struct ak_prim {
    int kind;
    /* ELLIPSE: c u v, r u v | RECT: u0 v0 u1 v1 | RING: c u v, r_out, r_in | NGON: c u v, r, n, phase |
     * SEGMENT: u0 v0 u1 v1 half-width | QUAD: 4 (u, v) corners, convex, any winding */
    float p[8];
    ak_paint paint;
} ak_prim;

enum { AK_SHAPE_MAX_PRIMS = 24 };

typedef struct ak_shape {
    float cx, cy;          /* centre, pixels */
    float theta;           /* rotation, radians */
    float scale;           /* pixels per unit */
    float ax, ay;          /* aspect multipliers (> 0) */
    int mirror;            /* 1: u -> -u (an object facing the other way) */
    float umin, umax, vmin, vmax; /* extent of the primitives in unit coordinates */
    int n;
    ak_prim prims[AK_SHAPE_MAX_PRIMS];
} ak_shape;

/* Add a primitive (ignored beyond AK_SHAPE_MAX_PRIMS). Returns the primitive for tweaks. */
ak_prim *ak_shape_add(ak_shape *s, int kind, const float *p, int np, const ak_paint *paint);
/* AK_SHAPE_ADD(shape, AK_PRIM_RECT, paint, u0, v0, u1, v1): the parameters inline. */
#define AK_SHAPE_ADD(s, kind, paint, ...)                                                       \
    do {                                                                                         \
        const float ak_p_[] = {__VA_ARGS__};                                                     \
        ak_shape_add((s), (kind), ak_p_, (int)(sizeof ak_p_ / sizeof ak_p_[0]), &(paint));       \
    } while (0)
void ak_shape_extent(ak_shape *s, float umin, float umax, float vmin, float vmax);

/* A solid paint of colour rgb with id; colour helpers. */
ak_paint ak_solid(const float rgb[3], int32_t id);
void ak_jitter_rgb(ak_draws *d, const float base[3], float amount, float out[3]);
void ak_scale_rgb(const float in[3], float f, float out[3]);
/* Rasterise. Returns the number of pixels painted. */
int64_t ak_shape_draw(ak_canvas *cv, const ak_shape *s);

/* Vertical two-colour gradient with separable low-frequency waves and a few soft blobs. */
void ak_canvas_background(ak_canvas *cv, const float top[3], const float bottom[3], ak_draws *d, int32_t id);
/* Axis-aligned filled rectangle / convex polygon (pixel coordinates) with a paint, clipped. */
void ak_canvas_rect(ak_canvas *cv, float x0, float y0, float x1, float y1, const ak_paint *paint);
void ak_canvas_poly(ak_canvas *cv, const float *xy, int n, const ak_paint *paint);
/* Sensor noise: add a triangular-distributed value in [-amp, amp] to every channel, then clamp. */
void ak_canvas_noise(ak_canvas *cv, ak_rng rng, int amp);
/* Global brightness / contrast: v = (v - 128) * contrast + 128 + brightness, clamped. */
void ak_canvas_tone(ak_canvas *cv, float brightness, float contrast);

/* HSV (h in [0, 360), s, v in [0, 1]) to RGB 0..255. */
void ak_hsv_color(float h, float s, float v, float rgb[3]);

/* What both generators take. The fields after `split` tune the difficulty of the COCO scenes (the
 * Cityscapes generator ignores them); zero keeps the full-difficulty default, so an initializer that
 * stops at `split` gets the default scenes, byte for byte:
 *   max_objects: labelled objects per image drawn uniformly from 1..max_objects (0: 9);
 *   min_box:     smallest object, as the side of a square of the same box area in pixels (0: 10);
 *   clean:       no unlabelled clutter, no occluders in front, no crowd regions (objects still
 *                occlude each other) — for the CPU benchmarks, where a from-scratch detector must
 *                learn within minutes. The draws of a clean scene are the same as those of the full
 *                one (the skipped elements are drawn and not painted), so a clean image shows the
 *                same objects at the same places as its full twin. */
typedef struct ak_synth_opts {
    const char *out_dir;
    int64_t n_images;
    int height, width;
    uint64_t seed;
    const char *split; /* "train" or "val" */
    int max_objects, min_box;
    bool clean;
} ak_synth_opts;


#endif
