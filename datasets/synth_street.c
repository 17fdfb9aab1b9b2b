/* The street scene renderer of the synthetic Cityscapes data (ak_synth_cityscapes_render; see
 * synth_cityscapes.h). Scene geometry: horizon row yh, vanishing column vx; at ground row y a metre is
 * m(y) = k (y - yh) pixels, so objects shrink towards the horizon. Objects are collected with the
 * ground row they stand on and drawn far to near. */
#include <stdlib.h>
#include <string.h>

#include "datasets/synth_cityscapes.h"
#include "datasets/synth_shapes.h"

/* Cityscapes label ids (labels.py). */
enum {
    L_EGO = 1, L_BORDER = 2, L_STATIC = 4, L_GROUND = 6, L_ROAD = 7, L_SIDEWALK = 8, L_PARKING = 9, L_RAIL = 10,
    L_BUILDING = 11, L_WALL = 12, L_FENCE = 13, L_GUARD = 14, L_POLE = 17, L_POLEGROUP = 18, L_LIGHT = 19,
    L_SIGN = 20, L_VEG = 21, L_TERRAIN = 22, L_SKY = 23, L_PERSON = 24, L_RIDER = 25, L_CAR = 26, L_TRUCK = 27,
    L_BUS = 28, L_TRAIN = 31, L_MOTO = 32, L_BIKE = 33,
};

enum { O_TREE, O_POLE, O_PERSON, O_CAR, O_TRUCK, O_BUS, O_TRAIN, O_MOTO, O_BIKE, O_STATIC };

typedef struct scene_obj {
    int type;
    float yb, x;  /* ground row and centre column */
    int variant;  /* pole: 0 bare, 1 light, 2 sign, 3 group; bike / moto: 1 with rider */
} scene_obj;

typedef struct scene {
    int h, w;
    float yh, vx, half_top, xl_b, xr_b, side_l, side_r; /* road and sidewalk geometry */
    float strip_l, strip_r; /* bottom-row outer edge of the terrain strips (where facades stand) */
    float metre;  /* pixels per metre per pixel below the horizon */
} scene;

static float lerpf(float a, float b, float t) { return a + (b - a) * t; }
static float depth_t(const scene *sc, float y) { return (y - sc->yh) / ((float)sc->h - sc->yh); }
static float road_left(const scene *sc, float y) { return lerpf(sc->vx - sc->half_top, sc->xl_b, depth_t(sc, y)); }
static float road_right(const scene *sc, float y) { return lerpf(sc->vx + sc->half_top, sc->xr_b, depth_t(sc, y)); }
static float side_left(const scene *sc, float y) { return lerpf(sc->vx - 3.0f * sc->half_top, sc->side_l, depth_t(sc, y)); }
static float side_right(const scene *sc, float y) { return lerpf(sc->vx + 3.0f * sc->half_top, sc->side_r, depth_t(sc, y)); }
static float metres(const scene *sc, float y, float m) { return m * sc->metre * (y - sc->yh); }

static ak_paint paint_rgb(float r, float g, float b, int32_t id) {
    const float c[3] = {r, g, b};
    return ak_solid(c, id);
}

/* Place a built shape so that it stands on row yb at column x with pixel height hp. */
static void stand(ak_canvas *cv, ak_shape *s, float x, float yb, float hp, int mirror) {
    s->ax = s->ay = 1.0f;
    s->mirror = mirror;
    s->scale = hp / (s->vmax - s->vmin);
    s->cx = x;
    s->cy = yb - s->vmax * s->scale;
    if (hp >= 3.0f)
        ak_shape_draw(cv, s);
}

/* Row of the outer edge of a terrain strip at column x: the facades stand on this line. */
static float facade_bottom(const scene *sc, int left, float x) {
    const float x_top = left ? side_left(sc, sc->yh) - 2.0f : side_right(sc, sc->yh) + 2.0f;
    const float x_bot = left ? sc->strip_l : sc->strip_r;
    return sc->yh + ((float)sc->h - sc->yh) * (x - x_top) / (x_bot - x_top);
}

static void draw_facade(ak_canvas *cv, ak_draws *d, const scene *sc, int left) {
    /* A perspective wall from the image edge to near the vanishing point, split into buildings. */
    const float x_edge = left ? 0.0f : (float)sc->w, x_far = left ? sc->vx - 0.09f * (float)sc->w : sc->vx + 0.09f * (float)sc->w;
    const float top_edge = (float)sc->h * ak_draw_uniform(d, -0.15f, 0.12f), top_far = sc->yh - (float)sc->h * ak_draw_uniform(d, 0.04f, 0.14f);
    const int n = ak_draw_int(d, 2, 4);
    static const float palette[5][3] = {{190, 175, 150}, {150, 150, 155}, {160, 90, 70}, {215, 205, 185}, {110, 105, 100}};
    float prev = 0.0f;
    for (int i = 0; i < n; i++) {
        const float t1 = i == n - 1 ? 1.0f : prev + (1.0f - prev) * ak_draw_uniform(d, 0.25f, 0.6f);
        const float xa = lerpf(x_edge, x_far, prev), xb = lerpf(x_edge, x_far, t1);
        const float ta = lerpf(top_edge, top_far, prev) + (float)sc->h * ak_draw_uniform(d, -0.05f, 0.05f),
                    tb = lerpf(top_edge, top_far, t1) + (float)sc->h * ak_draw_uniform(d, -0.05f, 0.05f);
        const float ba = facade_bottom(sc, left, xa), bb = facade_bottom(sc, left, xb);
        float c[3];
        ak_jitter_rgb(d, palette[ak_draw_int(d, 0, 4)], 18, c);
        ak_paint p = ak_solid(c, L_BUILDING);
        p.pattern = AK_PAT_GRID;
        p.period = ak_draw_uniform(d, 0.5f, 1.3f);
        ak_jitter_rgb(d, (const float[3]){60, 70, 85}, 20, p.rgb2);
        const float quad[8] = {xa, ta, xb, tb, xb, bb, xa, ba};
        ak_canvas_poly(cv, quad, 4, &p);
        prev = t1;
    }
    /* wall or fence along the bottom of the facade */
    for (int k = 0; k < 2; k++) {
        if (!ak_draw_chance(d, 0.55f))
            continue;
        const float t0 = ak_draw_uniform(d, 0.0f, 0.5f), t1 = t0 + ak_draw_uniform(d, 0.2f, 0.5f);
        const float xa = lerpf(x_edge, x_far, t0), xb = lerpf(x_edge, x_far, t1 > 1.0f ? 1.0f : t1);
        const float ba = facade_bottom(sc, left, xa), bb = facade_bottom(sc, left, xb);
        const float ha = (ba - sc->yh) * ak_draw_uniform(d, 0.25f, 0.5f), hb = (bb - sc->yh) * 0.35f;
        ak_paint p;
        if (k == 0) {
            float c[3];
            ak_jitter_rgb(d, (const float[3]){165, 160, 150}, 20, c);
            p = ak_solid(c, L_WALL);
            p.pattern = AK_PAT_STRIPES;
            p.angle = 1.5707963f;
            p.period = 0.35f;
            ak_scale_rgb(c, 0.88f, p.rgb2);
        } else {
            float c[3];
            ak_jitter_rgb(d, (const float[3]){120, 100, 75}, 25, c);
            p = ak_solid(c, L_FENCE);
            p.pattern = AK_PAT_STRIPES;
            p.period = 0.12f;
            ak_scale_rgb(c, 0.55f, p.rgb2);
        }
        const float quad[8] = {xa, ba - ha, xb, bb - hb, xb, bb, xa, ba};
        ak_canvas_poly(cv, quad, 4, &p);
    }
}

/* Below the horizon: terrain or (void) ground, later covered by facades, sidewalks and road. */
static void fill_ground(ak_canvas *cv, ak_draws *d, const scene *sc) {
    const float H = (float)sc->h, W = (float)sc->w;
    float c[3];
    const int terrain_everywhere = ak_draw_chance(d, 0.6f);
    ak_jitter_rgb(d, terrain_everywhere ? (const float[3]){110, 125, 70} : (const float[3]){120, 110, 95}, 20, c);
    ak_paint g = ak_solid(c, terrain_everywhere ? L_TERRAIN : L_GROUND);
    g.pattern = AK_PAT_DOTS;
    g.period = 0.4f;
    ak_scale_rgb(c, 0.8f, g.rgb2);
    ak_canvas_rect(cv, 0.0f, sc->yh, W, H, &g);
}

/* Terrain strips, sidewalks, road with marks, parking and guard rail. */
static void draw_ground(ak_canvas *cv, ak_draws *d, const scene *sc) {
    const float H = (float)sc->h, W = (float)sc->w;
    /* a terrain strip beyond each sidewalk (always some terrain) */
    for (int side = 0; side < 2; side++) {
        float t[3];
        ak_jitter_rgb(d, (const float[3]){105, 135, 60}, 25, t);
        ak_paint p = ak_solid(t, L_TERRAIN);
        p.pattern = AK_PAT_DOTS;
        p.period = 0.3f;
        ak_scale_rgb(t, 0.75f, p.rgb2);
        const float quad[8] = {side ? side_right(sc, sc->yh) : side_left(sc, sc->yh), sc->yh,
                               side ? side_right(sc, sc->yh) + 2.0f : side_left(sc, sc->yh) - 2.0f, sc->yh,
                               side ? sc->strip_r : sc->strip_l, H, side ? sc->side_r : sc->side_l, H};
        ak_canvas_poly(cv, quad, 4, &p);
    }
    /* sidewalks */
    for (int side = 0; side < 2; side++) {
        float s[3];
        ak_jitter_rgb(d, ak_draw_chance(d, 0.5f) ? (const float[3]){170, 160, 150} : (const float[3]){165, 120, 115}, 15, s);
        ak_paint p = ak_solid(s, L_SIDEWALK);
        p.pattern = AK_PAT_CHECKER;
        p.period = ak_draw_uniform(d, 0.2f, 0.5f);
        ak_scale_rgb(s, 0.9f, p.rgb2);
        const float quad[8] = {side ? sc->vx + sc->half_top : side_left(sc, sc->yh), sc->yh,
                               side ? side_right(sc, sc->yh) : sc->vx - sc->half_top, sc->yh,
                               side ? sc->side_r : sc->xl_b, H, side ? sc->xr_b : sc->side_l, H};
        ak_canvas_poly(cv, quad, 4, &p);
    }
    /* road with dashed centre marks */
    float r[3];
    const float grey = ak_draw_uniform(d, 55, 105);
    ak_jitter_rgb(d, (const float[3]){grey, grey, grey + 4}, 6, r);
    ak_paint road = ak_solid(r, L_ROAD);
    road.shade = 0.25f;
    const float rq[8] = {sc->vx - sc->half_top, sc->yh, sc->vx + sc->half_top, sc->yh, sc->xr_b, H, sc->xl_b, H};
    ak_canvas_poly(cv, rq, 4, &road);
    ak_paint mark = paint_rgb(225, 225, 215, L_ROAD);
    const float xm = 0.5f * (sc->xl_b + sc->xr_b);
    for (float t = 0.02f; t < 1.0f; t += 0.12f) {
        const float t2 = t + 0.06f, y1 = lerpf(sc->yh, H, t * t), y2 = lerpf(sc->yh, H, t2 * t2);
        const float x1 = lerpf(sc->vx, xm, t * t), x2 = lerpf(sc->vx, xm, t2 * t2);
        const float w1 = 0.006f * W * t * t + 0.3f, w2 = 0.006f * W * t2 * t2 + 0.3f;
        const float q[8] = {x1 - w1, y1, x1 + w1, y1, x2 + w2, y2, x2 - w2, y2};
        ak_canvas_poly(cv, q, 4, &mark);
    }
    if (ak_draw_chance(d, 0.3f)) { /* parking bay at the road edge (void) */
        const float ya = lerpf(sc->yh, H, ak_draw_uniform(d, 0.3f, 0.6f)), yb = ya + (H - ya) * 0.3f;
        ak_paint p = paint_rgb(grey + 15, grey + 12, grey + 8, L_PARKING);
        const float q[8] = {road_right(sc, ya) - (road_right(sc, ya) - road_left(sc, ya)) * 0.2f, ya, road_right(sc, ya), ya,
                            road_right(sc, yb), yb, road_right(sc, yb) - (road_right(sc, yb) - road_left(sc, yb)) * 0.2f, yb};
        ak_canvas_poly(cv, q, 4, &p);
    }
    if (ak_draw_chance(d, 0.3f)) { /* guard rail along the left road edge (void) */
        ak_paint p = paint_rgb(175, 178, 180, L_GUARD);
        const float ya = lerpf(sc->yh, H, 0.15f), yb = lerpf(sc->yh, H, 0.7f);
        const float q[8] = {road_left(sc, ya), ya - metres(sc, ya, 0.7f), road_left(sc, yb), yb - metres(sc, yb, 0.7f),
                            road_left(sc, yb), yb, road_left(sc, ya), ya};
        ak_canvas_poly(cv, q, 4, &p);
    }
}

static void draw_pole(ak_canvas *cv, ak_draws *d, const scene *sc, const scene_obj *o) {
    const float hgt = metres(sc, o->yb, ak_draw_uniform(d, 4.0f, 6.5f));
    float wid = metres(sc, o->yb, 0.15f);
    wid = wid < 1.0f ? 1.0f : wid;
    float c[3];
    ak_jitter_rgb(d, (const float[3]){120, 122, 125}, 20, c);
    ak_paint p = ak_solid(c, o->variant == 3 ? L_POLEGROUP : L_POLE);
    ak_canvas_rect(cv, o->x - 0.5f * wid, o->yb - hgt, o->x + 0.5f * wid, o->yb, &p);
    if (o->variant == 3)
        ak_canvas_rect(cv, o->x + 1.5f * wid, o->yb - 0.8f * hgt, o->x + 2.5f * wid, o->yb, &p);
    if (o->variant == 1 || o->variant == 2) {
        ak_shape s;
        memset(&s, 0, sizeof s);
        if (o->variant == 1)
            ak_build_traffic_light(&s, d, L_LIGHT);
        else
            ak_build_traffic_sign(&s, d, L_SIGN);
        const float sz = metres(sc, o->yb, o->variant == 1 ? 1.0f : 0.75f);
        stand(cv, &s, o->x, o->yb - hgt + sz, sz, 0);
    }
}

static void draw_obj(ak_canvas *cv, ak_draws *d, const scene *sc, const scene_obj *o) {
    ak_shape s;
    memset(&s, 0, sizeof s);
    const int mirror = ak_draw_chance(d, 0.5f);
    switch (o->type) {
    case O_TREE:
        ak_build_tree(&s, d, L_VEG);
        stand(cv, &s, o->x, o->yb, metres(sc, o->yb, ak_draw_uniform(d, 5.0f, 9.0f)), mirror);
        break;
    case O_POLE:
        draw_pole(cv, d, sc, o);
        break;
    case O_PERSON:
        ak_build_person(&s, d, L_PERSON, 0);
        stand(cv, &s, o->x, o->yb, metres(sc, o->yb, ak_draw_uniform(d, 1.55f, 1.95f)), mirror);
        break;
    case O_CAR:
        ak_build_car(&s, d, L_CAR);
        stand(cv, &s, o->x, o->yb, metres(sc, o->yb, ak_draw_uniform(d, 1.4f, 1.8f)), mirror);
        break;
    case O_TRUCK:
        ak_build_truck(&s, d, L_TRUCK);
        stand(cv, &s, o->x, o->yb, metres(sc, o->yb, ak_draw_uniform(d, 3.0f, 3.8f)), mirror);
        break;
    case O_BUS:
        ak_build_bus(&s, d, L_BUS);
        stand(cv, &s, o->x, o->yb, metres(sc, o->yb, ak_draw_uniform(d, 3.0f, 3.5f)), mirror);
        break;
    case O_TRAIN: {
        /* rail track (void) under it */
        ak_paint rail = paint_rgb(95, 85, 75, L_RAIL);
        const float th = metres(sc, o->yb, 0.4f);
        ak_canvas_rect(cv, 0.0f, o->yb - th, (float)sc->w, o->yb + th, &rail);
        ak_build_train(&s, d, L_TRAIN);
        stand(cv, &s, o->x, o->yb, metres(sc, o->yb, ak_draw_uniform(d, 3.6f, 4.2f)), mirror);
        break;
    }
    case O_MOTO:
    case O_BIKE: {
        const int moto = o->type == O_MOTO;
        if (moto)
            ak_build_motorcycle(&s, d, L_MOTO);
        else
            ak_build_bicycle(&s, d, L_BIKE);
        const float hp = metres(sc, o->yb, moto ? 1.2f : 1.05f);
        if (o->variant) { /* the rider sits above the seat */
            ak_shape r;
            memset(&r, 0, sizeof r);
            ak_build_person(&r, d, L_RIDER, 0);
            const float scale_b = hp / (s.vmax - s.vmin);
            const float seat_u = moto ? -0.45f : -0.2f, seat_v = moto ? -0.1f : 0.1f;
            const float cy_b = o->yb - s.vmax * scale_b;
            stand(cv, &r, o->x + (mirror ? -seat_u : seat_u) * scale_b, cy_b + seat_v * scale_b,
                  metres(sc, o->yb, 1.5f), mirror);
        }
        stand(cv, &s, o->x, o->yb, hp, mirror);
        break;
    }
    default: { /* static clutter (bins, boxes): void */
        float c[3];
        ak_hsv_color(ak_draw_uniform(d, 0, 360), ak_draw_uniform(d, 0.2f, 0.8f), ak_draw_uniform(d, 0.2f, 0.7f), c);
        ak_paint p = ak_solid(c, L_STATIC);
        const float wd = metres(sc, o->yb, ak_draw_uniform(d, 0.5f, 1.2f)), ht = metres(sc, o->yb, ak_draw_uniform(d, 0.6f, 1.1f));
        ak_canvas_rect(cv, o->x - 0.5f * wd, o->yb - ht, o->x + 0.5f * wd, o->yb, &p);
        break;
    }
    }
}

static int by_depth(const void *a, const void *b) {
    const scene_obj *x = a, *y = b;
    return x->yb < y->yb ? -1 : x->yb > y->yb;
}

enum { MAX_OBJS = 64 };

static void add(scene_obj *objs, int *n, int type, float yb, float x, int variant) {
    if (*n < MAX_OBJS)
        objs[(*n)++] = (scene_obj){type, yb, x, variant};
}

/* A row below the horizon, biased towards the near half (perspective: more ground there). */
static float ground_row(ak_draws *d, const scene *sc, float lo, float hi) {
    return lerpf(sc->yh, (float)sc->h, ak_draw_uniform(d, lo, hi));
}

static float on_sidewalk(ak_draws *d, const scene *sc, float y, int *side) {
    *side = ak_draw_int(d, 0, 1);
    const float a = *side ? road_right(sc, y) : side_left(sc, y), b = *side ? side_right(sc, y) : road_left(sc, y);
    return lerpf(a, b, ak_draw_uniform(d, 0.15f, 0.85f));
}

static float on_road(ak_draws *d, const scene *sc, float y) {
    return lerpf(road_left(sc, y), road_right(sc, y), ak_draw_uniform(d, 0.15f, 0.85f));
}

void ak_synth_cityscapes_render(uint64_t seed, int64_t index, int h, int w, uint8_t *rgb, int32_t *label_ids) {
    ak_draws d = {{seed, ak_rng_stream(AK_STREAM_SYNTH, (uint64_t)index, 3, 0)}, 0};
    ak_canvas cv = {h, w, rgb, label_ids};
    const float H = (float)h, W = (float)w;
    scene sc;
    sc.h = h;
    sc.w = w;
    sc.yh = H * ak_draw_uniform(&d, 0.36f, 0.5f);
    sc.vx = W * ak_draw_uniform(&d, 0.38f, 0.62f);
    sc.half_top = 0.012f * W;
    sc.xl_b = W * ak_draw_uniform(&d, -0.2f, 0.15f);
    sc.xr_b = W * ak_draw_uniform(&d, 0.85f, 1.2f);
    sc.side_l = sc.xl_b - W * ak_draw_uniform(&d, 0.2f, 0.4f);
    sc.side_r = sc.xr_b + W * ak_draw_uniform(&d, 0.2f, 0.4f);
    sc.strip_l = sc.side_l - W * ak_draw_uniform(&d, 0.05f, 0.3f);
    sc.strip_r = sc.side_r + W * ak_draw_uniform(&d, 0.05f, 0.3f);
    sc.metre = 0.5f * H / (1.75f * (H - sc.yh)) * ak_draw_uniform(&d, 0.8f, 1.15f);

    float top[3], bottom[3];
    if (ak_draw_chance(&d, 0.6f)) {
        ak_jitter_rgb(&d, (const float[3]){90, 140, 210}, 20, top);
        ak_jitter_rgb(&d, (const float[3]){190, 215, 235}, 15, bottom);
    } else { /* overcast */
        ak_jitter_rgb(&d, (const float[3]){175, 180, 185}, 20, top);
        ak_jitter_rgb(&d, (const float[3]){215, 218, 220}, 15, bottom);
    }
    ak_canvas_background(&cv, top, bottom, &d, L_SKY);
    /* far buildings at the horizon, then the facades */
    const int nfar = ak_draw_int(&d, 2, 5);
    for (int i = 0; i < nfar; i++) {
        float c[3];
        ak_jitter_rgb(&d, (const float[3]){150, 150, 160}, 25, c);
        ak_paint p = ak_solid(c, L_BUILDING);
        const float x = sc.vx + W * ak_draw_uniform(&d, -0.15f, 0.15f), bw = W * ak_draw_uniform(&d, 0.02f, 0.08f);
        ak_canvas_rect(&cv, x - bw, sc.yh - H * ak_draw_uniform(&d, 0.03f, 0.12f), x + bw, sc.yh + 1.0f, &p);
    }
    fill_ground(&cv, &d, &sc);
    draw_ground(&cv, &d, &sc);
    draw_facade(&cv, &d, &sc, 1);
    draw_facade(&cv, &d, &sc, 0);

    scene_obj objs[MAX_OBJS];
    int n = 0, side;
    for (int i = ak_draw_int(&d, 2, 6); i > 0; i--) {
        const float y = ground_row(&d, &sc, 0.1f, 0.8f);
        add(objs, &n, O_TREE, y, on_sidewalk(&d, &sc, y, &side), 0);
    }
    const int npoles = ak_draw_int(&d, 3, 7);
    for (int i = 0; i < npoles; i++) {
        float y = ground_row(&d, &sc, 0.1f, 0.9f);
        if (i < 2) {
            /* the first two carry a light and a sign: far enough for the top of a 6.5 m pole to stay
             * 5% below the image top, i.e. (y - yh) * metre * 6.5 <= y - 0.05 H */
            const float k = sc.metre * 6.5f;
            const float y_max = k > 1.0f ? (sc.yh * k - 0.05f * H) / (k - 1.0f) : H;
            y = sc.yh + ((y_max < H ? y_max : H) - sc.yh) * ak_draw_uniform(&d, 0.35f, 1.0f);
        }
        const int s = ak_draw_int(&d, 0, 1);
        float x = s ? road_right(&sc, y) + metres(&sc, y, 0.6f) : road_left(&sc, y) - metres(&sc, y, 0.6f);
        x = x < 2.0f ? 2.0f : x > W - 3.0f ? W - 3.0f : x; /* keep the pole (and its light / sign) in view */
        const int variant = i == 0 ? 1 : i == 1 ? 2 : (ak_draw_chance(&d, 0.15f) ? 3 : ak_draw_int(&d, 0, 2));
        add(objs, &n, O_POLE, y, x, variant);
    }
    for (int i = ak_draw_int(&d, 2, 8); i > 0; i--) {
        const float y = ground_row(&d, &sc, 0.05f, 0.95f);
        add(objs, &n, O_PERSON, y, on_sidewalk(&d, &sc, y, &side), 0);
    }
    for (int i = ak_draw_int(&d, 2, 6); i > 0; i--) {
        const float y = ground_row(&d, &sc, 0.05f, 0.9f);
        add(objs, &n, O_CAR, y, on_road(&d, &sc, y), 0);
    }
    if (ak_draw_chance(&d, 0.6f)) {
        const float y = ground_row(&d, &sc, 0.05f, 0.7f);
        add(objs, &n, O_TRUCK, y, on_road(&d, &sc, y), 0);
    }
    if (ak_draw_chance(&d, 0.5f)) {
        const float y = ground_row(&d, &sc, 0.05f, 0.7f);
        add(objs, &n, O_BUS, y, on_road(&d, &sc, y), 0);
    }
    if (ak_draw_chance(&d, 0.35f))
        add(objs, &n, O_TRAIN, ground_row(&d, &sc, 0.04f, 0.15f), W * ak_draw_uniform(&d, 0.2f, 0.8f), 0);
    if (ak_draw_chance(&d, 0.5f)) {
        const float y = ground_row(&d, &sc, 0.1f, 0.9f);
        add(objs, &n, O_MOTO, y, on_road(&d, &sc, y), ak_draw_chance(&d, 0.8f));
    }
    for (int i = ak_draw_int(&d, 1, 3); i > 0; i--) { /* bicycles: often hidden by nearer objects */
        const float y = ground_row(&d, &sc, 0.1f, 0.95f);
        const int rider = ak_draw_chance(&d, 0.7f);
        add(objs, &n, O_BIKE, y, rider ? on_road(&d, &sc, y) : on_sidewalk(&d, &sc, y, &side), rider);
    }
    for (int i = ak_draw_int(&d, 0, 3); i > 0; i--) {
        const float y = ground_row(&d, &sc, 0.1f, 0.9f);
        add(objs, &n, O_STATIC, y, on_sidewalk(&d, &sc, y, &side), 0);
    }
    /* Far to near; equal rows are broken by the insertion index so the order is total. */
    for (int i = 0; i < n; i++)
        objs[i].yb += (float)i * 1e-4f;
    qsort(objs, (size_t)n, sizeof *objs, by_depth);
    for (int i = 0; i < n; i++)
        draw_obj(&cv, &d, &sc, &objs[i]);

    if (ak_draw_chance(&d, 0.8f)) { /* ego vehicle: the hood at the bottom */
        ak_shape s;
        memset(&s, 0, sizeof s);
        ak_shape_extent(&s, -1.0f, 1.0f, -1.0f, 1.0f);
        float c[3];
        ak_hsv_color(ak_draw_uniform(&d, 0, 360), ak_draw_uniform(&d, 0.0f, 0.5f), ak_draw_uniform(&d, 0.1f, 0.5f), c);
        ak_paint p = ak_solid(c, L_EGO);
        p.shade = -0.5f;
        AK_SHAPE_ADD(&s, AK_PRIM_ELLIPSE, p, 0.0f, 0.0f, 1.0f, 1.0f);
        s.ax = 1.0f;
        s.ay = ak_draw_uniform(&d, 0.06f, 0.12f) * H / (0.75f * W);
        s.scale = 0.75f * W;
        s.cx = 0.5f * W;
        s.cy = H + 0.2f * s.scale * s.ay;
        ak_shape_draw(&cv, &s);
    }
    if (ak_draw_chance(&d, 0.3f)) { /* rectification border */
        ak_paint p = paint_rgb(0, 0, 0, L_BORDER);
        const float bw = (float)ak_draw_int(&d, 1, 3);
        ak_canvas_rect(&cv, 0.0f, 0.0f, bw, H, &p);
        ak_canvas_rect(&cv, W - bw, 0.0f, W, H, &p);
    }
    ak_canvas_tone(&cv, ak_draw_uniform(&d, -20, 20), ak_draw_uniform(&d, 0.8f, 1.15f));
    ak_rng noise = {seed, ak_rng_stream(AK_STREAM_SYNTH, (uint64_t)index, 4, 0)};
    ak_canvas_noise(&cv, noise, ak_draw_int(&d, 4, 12));
}

