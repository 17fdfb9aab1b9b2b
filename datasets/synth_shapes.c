/* See synth_shapes.h. Coordinates: u to the right, v down; sizes in units of the shape's scale. */
#include "datasets/synth_shapes.h"

#include <math.h>
#include <string.h>

static const float PI = 3.14159265f;

void ak_build_person(ak_shape *s, ak_draws *d, int32_t id, int tiny) {
    ak_shape_extent(s, -0.5f, 0.5f, -1.0f, 1.0f);
    static const float skins[4][3] = {{235, 190, 160}, {200, 150, 110}, {150, 100, 70}, {95, 65, 45}};
    static const float trousers[4][3] = {{30, 40, 80}, {25, 25, 28}, {90, 70, 50}, {110, 110, 115}};
    float skin[3], shirt[3], pants[3], hair[3];
    ak_jitter_rgb(d, skins[ak_draw_int(d, 0, 3)], 12, skin);
    ak_hsv_color(ak_draw_uniform(d, 0, 360), ak_draw_uniform(d, 0.3f, 0.9f), ak_draw_uniform(d, 0.35f, 0.95f), shirt);
    ak_jitter_rgb(d, trousers[ak_draw_int(d, 0, 3)], 15, pants);
    ak_hsv_color(ak_draw_uniform(d, 15, 40), ak_draw_uniform(d, 0.3f, 0.8f), ak_draw_uniform(d, 0.08f, 0.5f), hair);
    ak_paint pp = ak_solid(pants, id), ps = ak_solid(shirt, id), pk = ak_solid(skin, id), ph = ak_solid(hair, id);
    ps.shade = 0.3f;
    const int pat = tiny ? AK_PAT_SOLID : ak_draw_int(d, 0, 3);
    if (pat == 1 || pat == 2) {
        ps.pattern = pat == 1 ? AK_PAT_STRIPES : AK_PAT_CHECKER;
        ps.angle = PI / 2;
        ps.period = ak_draw_uniform(d, 0.08f, 0.2f);
        ak_scale_rgb(shirt, ak_draw_uniform(d, 0.4f, 0.7f), ps.rgb2);
    }
    const float stride = ak_draw_uniform(d, -0.12f, 0.12f); /* walking: legs apart */
    AK_SHAPE_ADD(s, AK_PRIM_QUAD, pp, -0.32f, 0.2f, -0.05f, 0.2f, -0.08f + stride, 1.0f, -0.34f + stride, 1.0f);
    AK_SHAPE_ADD(s, AK_PRIM_QUAD, pp, 0.05f, 0.2f, 0.32f, 0.2f, 0.34f - stride, 1.0f, 0.08f - stride, 1.0f);
    ak_paint pa = ps;
    ak_scale_rgb(shirt, 0.85f, pa.rgb);
    AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, pa, -0.36f, -0.48f, -0.44f + stride, 0.15f, 0.075f);
    AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, pa, 0.36f, -0.48f, 0.44f - stride, 0.15f, 0.075f);
    AK_SHAPE_ADD(s, AK_PRIM_QUAD, ps, -0.4f, -0.56f, 0.4f, -0.56f, 0.33f, 0.28f, -0.33f, 0.28f);
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, ph, 0.0f, -0.82f, 0.2f, 0.17f);
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pk, 0.0f, -0.75f, 0.17f, 0.18f);
}

void ak_build_bicycle(ak_shape *s, ak_draws *d, int32_t id) {
    ak_shape_extent(s, -1.0f, 1.0f, -0.55f, 0.62f);
    float frame[3], tyre[3] = {25, 25, 25};
    ak_hsv_color(ak_draw_uniform(d, 0, 360), ak_draw_uniform(d, 0.5f, 1.0f), ak_draw_uniform(d, 0.4f, 0.95f), frame);
    ak_jitter_rgb(d, tyre, 15, tyre);
    ak_paint pf = ak_solid(frame, id), pt = ak_solid(tyre, id), pb = ak_solid((const float[3]){20, 20, 20}, id);
    const float r = ak_draw_uniform(d, 0.36f, 0.42f), t = ak_draw_uniform(d, 0.06f, 0.09f), w = 0.045f;
    AK_SHAPE_ADD(s, AK_PRIM_RING, pt, -0.58f, 0.2f, r, r - t);
    AK_SHAPE_ADD(s, AK_PRIM_RING, pt, 0.58f, 0.2f, r, r - t);
    AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, pf, -0.58f, 0.2f, -0.05f, 0.2f, w);
    AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, pf, -0.05f, 0.2f, 0.35f, -0.2f, w);
    AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, pf, -0.58f, 0.2f, -0.2f, -0.2f, w);
    AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, pf, -0.2f, -0.2f, 0.35f, -0.2f, w);
    AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, pf, -0.05f, 0.2f, -0.2f, -0.2f, w);
    AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, pf, 0.35f, -0.2f, 0.58f, 0.2f, w);
    AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, pb, -0.2f, -0.2f, -0.2f, -0.4f, 0.035f);
    AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, pb, -0.3f, -0.42f, -0.1f, -0.42f, 0.05f);
    AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, pb, 0.35f, -0.2f, 0.3f, -0.47f, 0.035f);
    AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, pb, 0.2f, -0.49f, 0.42f, -0.49f, 0.04f);
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pb, -0.58f, 0.2f, 0.06f, 0.06f);
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pb, 0.58f, 0.2f, 0.06f, 0.06f);
}

void ak_build_car(ak_shape *s, ak_draws *d, int32_t id) {
    ak_shape_extent(s, -1.0f, 1.0f, -0.55f, 0.56f);
    static const float bodies[6][3] = {{170, 20, 25}, {25, 50, 150}, {175, 178, 185}, {20, 20, 22}, {235, 235, 232},
                                       {30, 110, 60}};
    float body[3], glass[3] = {120, 150, 175};
    ak_jitter_rgb(d, bodies[ak_draw_int(d, 0, 5)], 20, body);
    ak_jitter_rgb(d, glass, 20, glass);
    ak_paint pb = ak_solid(body, id), pg = ak_solid(glass, id), pw = ak_solid((const float[3]){18, 18, 18}, id),
             ph = ak_solid((const float[3]){150, 150, 150}, id), pl = ak_solid((const float[3]){250, 230, 150}, id),
             pr = ak_solid((const float[3]){200, 20, 20}, id);
    pb.shade = 0.5f;
    pg.shade = -0.4f;
    const float roof = ak_draw_uniform(d, -0.55f, -0.4f);
    AK_SHAPE_ADD(s, AK_PRIM_QUAD, pb, -0.62f, -0.1f, -0.38f, roof, 0.42f, roof, 0.7f, -0.1f);
    AK_SHAPE_ADD(s, AK_PRIM_QUAD, pg, -0.52f, -0.13f, -0.34f, roof + 0.07f, 0.37f, roof + 0.07f, 0.58f, -0.13f);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pb, -0.02f, roof + 0.05f, 0.05f, -0.1f);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pb, -1.0f, -0.12f, 1.0f, 0.38f);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pl, 0.92f, -0.04f, 1.0f, 0.08f);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pr, -1.0f, -0.04f, -0.93f, 0.08f);
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pw, -0.6f, 0.38f, 0.18f, 0.18f);
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pw, 0.6f, 0.38f, 0.18f, 0.18f);
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, ph, -0.6f, 0.38f, 0.07f, 0.07f);
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, ph, 0.6f, 0.38f, 0.07f, 0.07f);
}

void ak_build_bus(ak_shape *s, ak_draws *d, int32_t id) {
    ak_shape_extent(s, -1.25f, 1.25f, -0.6f, 0.62f);
    static const float bodies[5][3] = {{235, 190, 30}, {200, 30, 30}, {235, 235, 230}, {40, 90, 170}, {50, 140, 70}};
    float body[3], glass[3] = {60, 80, 100}, accent[3];
    ak_jitter_rgb(d, bodies[ak_draw_int(d, 0, 4)], 18, body);
    ak_hsv_color(ak_draw_uniform(d, 0, 360), 0.8f, 0.7f, accent);
    ak_paint pb = ak_solid(body, id), pw = ak_solid(glass, id), pa = ak_solid(accent, id),
             pt = ak_solid((const float[3]){18, 18, 18}, id);
    pb.shade = 0.3f;
    pw.pattern = AK_PAT_STRIPES;
    pw.angle = 0.0f;
    pw.period = ak_draw_uniform(d, 0.14f, 0.24f);
    memcpy(pw.rgb2, body, sizeof body);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pb, -1.25f, -0.56f, 1.25f, 0.46f);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pa, -1.25f, 0.1f, 1.25f, 0.17f);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pw, -1.15f, -0.44f, 1.1f, -0.06f);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pt, 0.72f, -0.44f, 0.95f, 0.44f);
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pt, -0.82f, 0.46f, 0.16f, 0.16f);
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pt, 0.8f, 0.46f, 0.16f, 0.16f);
}

void ak_build_stop_sign(ak_shape *s, ak_draws *d, int32_t id) {
    ak_shape_extent(s, -1.0f, 1.0f, -1.0f, 1.0f);
    float red[3] = {200, 25, 30}, white[3] = {240, 240, 240};
    ak_jitter_rgb(d, red, 25, red);
    ak_jitter_rgb(d, white, 12, white);
    ak_paint pw = ak_solid(white, id), pr = ak_solid(red, id), pt = ak_solid(white, id);
    pr.shade = ak_draw_uniform(d, -0.3f, 0.3f);
    pt.pattern = AK_PAT_STRIPES;
    pt.angle = 0.0f;
    pt.period = 0.11f;
    memcpy(pt.rgb2, red, sizeof red);
    AK_SHAPE_ADD(s, AK_PRIM_NGON, pw, 0.0f, 0.0f, 1.0f, 8.0f, PI / 8);
    AK_SHAPE_ADD(s, AK_PRIM_NGON, pr, 0.0f, 0.0f, 0.87f, 8.0f, PI / 8);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pt, -0.62f, -0.15f, 0.62f, 0.15f);
}

void ak_build_ball(ak_shape *s, ak_draws *d, int32_t id) {
    ak_shape_extent(s, -1.0f, 1.0f, -1.0f, 1.0f);
    const int kind = ak_draw_int(d, 0, 2);
    float c1[3], c2[3];
    ak_paint p;
    if (kind == 0) { /* soccer */
        ak_jitter_rgb(d, (const float[3]){240, 240, 240}, 10, c1);
        ak_jitter_rgb(d, (const float[3]){25, 25, 25}, 10, c2);
        p = ak_solid(c1, id);
        p.pattern = AK_PAT_DOTS;
        p.period = ak_draw_uniform(d, 0.4f, 0.6f);
        memcpy(p.rgb2, c2, sizeof c2);
    } else if (kind == 1) { /* basketball */
        ak_jitter_rgb(d, (const float[3]){215, 110, 30}, 15, c1);
        p = ak_solid(c1, id);
    } else { /* tennis */
        ak_jitter_rgb(d, (const float[3]){200, 220, 60}, 15, c1);
        p = ak_solid(c1, id);
    }
    p.shade = 0.6f;
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, p, 0.0f, 0.0f, 1.0f, 1.0f);
    if (kind == 1) {
        ak_paint l = ak_solid((const float[3]){30, 20, 15}, id);
        AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, l, -0.98f, 0.0f, 0.98f, 0.0f, 0.05f);
        AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, l, 0.0f, -0.98f, 0.0f, 0.98f, 0.05f);
    } else if (kind == 2) {
        ak_paint l = ak_solid((const float[3]){245, 245, 235}, id);
        AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, l, -0.55f, -0.75f, -0.4f, 0.0f, 0.06f);
        AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, l, -0.4f, 0.0f, -0.55f, 0.75f, 0.06f);
        AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, l, 0.55f, -0.75f, 0.4f, 0.0f, 0.06f);
        AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, l, 0.4f, 0.0f, 0.55f, 0.75f, 0.06f);
    }
}

void ak_build_bottle(ak_shape *s, ak_draws *d, int32_t id) {
    ak_shape_extent(s, -0.4f, 0.4f, -1.0f, 1.0f);
    static const float glass[3][3] = {{40, 110, 50}, {110, 60, 20}, {150, 180, 200}};
    float g[3], cap[3], label[3], hi[3];
    ak_jitter_rgb(d, glass[ak_draw_int(d, 0, 2)], 18, g);
    ak_hsv_color(ak_draw_uniform(d, 0, 360), ak_draw_uniform(d, 0.2f, 0.9f), ak_draw_uniform(d, 0.5f, 0.95f), cap);
    ak_hsv_color(ak_draw_uniform(d, 0, 360), ak_draw_uniform(d, 0.0f, 0.8f), ak_draw_uniform(d, 0.6f, 1.0f), label);
    ak_scale_rgb(g, 1.6f, hi);
    ak_paint pg = ak_solid(g, id), pc = ak_solid(cap, id), pl = ak_solid(label, id), ph = ak_solid(hi, id);
    pg.shade = 0.3f;
    if (ak_draw_chance(d, 0.5f)) {
        pl.pattern = ak_draw_chance(d, 0.5f) ? AK_PAT_STRIPES : AK_PAT_CHECKER;
        pl.period = ak_draw_uniform(d, 0.08f, 0.18f);
        pl.angle = PI / 2;
        ak_scale_rgb(label, 0.5f, pl.rgb2);
    }
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pg, -0.36f, -0.25f, 0.36f, 1.0f);
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pg, 0.0f, -0.25f, 0.36f, 0.2f);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pg, -0.13f, -0.86f, 0.13f, -0.25f);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pc, -0.15f, -1.0f, 0.15f, -0.85f);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pl, -0.36f, 0.15f, 0.36f, 0.6f);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, ph, -0.26f, -0.2f, -0.18f, 0.1f);
}

void ak_build_clock(ak_shape *s, ak_draws *d, int32_t id) {
    ak_shape_extent(s, -1.0f, 1.0f, -1.0f, 1.0f);
    static const float rims[4][3] = {{25, 25, 25}, {110, 70, 40}, {185, 185, 190}, {170, 30, 30}};
    float rim[3], face[3] = {242, 238, 225};
    ak_jitter_rgb(d, rims[ak_draw_int(d, 0, 3)], 15, rim);
    ak_jitter_rgb(d, face, 12, face);
    ak_paint pr = ak_solid(rim, id), pf = ak_solid(face, id), pk = ak_solid((const float[3]){20, 20, 20}, id);
    if (ak_draw_chance(d, 0.3f)) { /* square clock */
        AK_SHAPE_ADD(s, AK_PRIM_RECT, pr, -1.0f, -1.0f, 1.0f, 1.0f);
        AK_SHAPE_ADD(s, AK_PRIM_RECT, pf, -0.85f, -0.85f, 0.85f, 0.85f);
    } else {
        AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pr, 0.0f, 0.0f, 1.0f, 1.0f);
        AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pf, 0.0f, 0.0f, 0.86f, 0.86f);
    }
    for (int k = 0; k < 12; k++) {
        const float a = (float)k * PI / 6.0f;
        AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pk, 0.7f * cosf(a), 0.7f * sinf(a), 0.05f, 0.05f);
    }
    const float h = ak_draw_uniform(d, 0, 2 * PI), m = ak_draw_uniform(d, 0, 2 * PI);
    AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, pk, 0.0f, 0.0f, 0.42f * cosf(h), 0.42f * sinf(h), 0.06f);
    AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, pk, 0.0f, 0.0f, 0.62f * cosf(m), 0.62f * sinf(m), 0.04f);
}


void ak_build_truck(ak_shape *s, ak_draws *d, int32_t id) {
    ak_shape_extent(s, -1.3f, 1.3f, -0.75f, 0.62f);
    static const float boxes[4][3] = {{230, 230, 225}, {60, 70, 140}, {170, 40, 30}, {90, 95, 90}};
    float cargo[3], cab[3], glass[3] = {90, 115, 140};
    ak_jitter_rgb(d, boxes[ak_draw_int(d, 0, 3)], 20, cargo);
    ak_hsv_color(ak_draw_uniform(d, 0, 360), ak_draw_uniform(d, 0.3f, 0.9f), ak_draw_uniform(d, 0.4f, 0.9f), cab);
    ak_paint pc = ak_solid(cargo, id), pk = ak_solid(cab, id), pg = ak_solid(glass, id),
             pt = ak_solid((const float[3]){18, 18, 18}, id), pd = ak_solid((const float[3]){45, 45, 48}, id);
    pc.shade = 0.25f;
    if (ak_draw_chance(d, 0.4f)) { /* ribbed container */
        pc.pattern = AK_PAT_STRIPES;
        pc.period = 0.1f;
        ak_scale_rgb(cargo, 0.85f, pc.rgb2);
    }
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pd, -1.3f, 0.28f, 1.3f, 0.42f);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pc, -1.3f, -0.75f, 0.55f, 0.3f);
    AK_SHAPE_ADD(s, AK_PRIM_QUAD, pk, 0.6f, -0.45f, 1.1f, -0.45f, 1.3f, -0.05f, 0.6f, 0.35f);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pk, 0.6f, -0.05f, 1.3f, 0.35f);
    AK_SHAPE_ADD(s, AK_PRIM_QUAD, pg, 0.75f, -0.38f, 1.05f, -0.38f, 1.2f, -0.08f, 0.75f, -0.08f);
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pt, -0.95f, 0.42f, 0.2f, 0.2f);
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pt, -0.5f, 0.42f, 0.2f, 0.2f);
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pt, 0.95f, 0.42f, 0.2f, 0.2f);
}

void ak_build_train(ak_shape *s, ak_draws *d, int32_t id) {
    ak_shape_extent(s, -2.5f, 2.5f, -0.6f, 0.55f);
    static const float bodies[3][3] = {{200, 30, 40}, {235, 235, 235}, {30, 90, 160}};
    float body[3], glass[3] = {50, 60, 75}, band[3];
    ak_jitter_rgb(d, bodies[ak_draw_int(d, 0, 2)], 15, body);
    ak_hsv_color(ak_draw_uniform(d, 0, 360), 0.7f, 0.6f, band);
    ak_paint pb = ak_solid(body, id), pw = ak_solid(glass, id), pa = ak_solid(band, id),
             pt = ak_solid((const float[3]){35, 35, 38}, id);
    pb.shade = 0.3f;
    pw.pattern = AK_PAT_STRIPES;
    pw.period = ak_draw_uniform(d, 0.2f, 0.3f);
    memcpy(pw.rgb2, body, sizeof body);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pt, -2.5f, 0.38f, 2.5f, 0.55f);
    AK_SHAPE_ADD(s, AK_PRIM_QUAD, pb, -2.5f, -0.6f, 2.2f, -0.6f, 2.5f, -0.1f, -2.5f, 0.4f);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pb, -2.5f, -0.1f, 2.5f, 0.4f);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pw, -2.35f, -0.45f, 2.05f, -0.12f);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pa, -2.5f, 0.08f, 2.5f, 0.16f);
}

void ak_build_motorcycle(ak_shape *s, ak_draws *d, int32_t id) {
    ak_shape_extent(s, -1.0f, 1.0f, -0.6f, 0.62f);
    float tank[3];
    ak_hsv_color(ak_draw_uniform(d, 0, 360), ak_draw_uniform(d, 0.5f, 1.0f), ak_draw_uniform(d, 0.3f, 0.9f), tank);
    ak_paint pt = ak_solid((const float[3]){20, 20, 20}, id), pk = ak_solid(tank, id),
             pm = ak_solid((const float[3]){150, 150, 155}, id);
    pk.shade = 0.4f;
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pt, -0.62f, 0.3f, 0.32f, 0.32f);
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pt, 0.62f, 0.3f, 0.32f, 0.32f);
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pm, -0.62f, 0.3f, 0.12f, 0.12f);
    AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pm, 0.62f, 0.3f, 0.12f, 0.12f);
    AK_SHAPE_ADD(s, AK_PRIM_QUAD, pm, -0.3f, 0.0f, 0.35f, 0.0f, 0.2f, 0.35f, -0.2f, 0.35f);
    AK_SHAPE_ADD(s, AK_PRIM_QUAD, pk, -0.45f, -0.25f, 0.45f, -0.3f, 0.4f, 0.05f, -0.5f, 0.05f);
    AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, pm, 0.62f, 0.3f, 0.45f, -0.45f, 0.05f);
    AK_SHAPE_ADD(s, AK_PRIM_SEGMENT, pt, 0.35f, -0.5f, 0.6f, -0.5f, 0.05f);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pt, -0.75f, -0.35f, -0.2f, -0.22f);
}

void ak_build_tree(ak_shape *s, ak_draws *d, int32_t id) {
    ak_shape_extent(s, -1.0f, 1.0f, -1.0f, 1.0f);
    float leaf[3], dark[3], bark[3];
    ak_hsv_color(ak_draw_uniform(d, 75, 140), ak_draw_uniform(d, 0.4f, 0.85f), ak_draw_uniform(d, 0.25f, 0.6f), leaf);
    ak_scale_rgb(leaf, 0.6f, dark);
    ak_jitter_rgb(d, (const float[3]){85, 65, 45}, 15, bark);
    ak_paint pl = ak_solid(leaf, id), pb = ak_solid(bark, id);
    pl.pattern = AK_PAT_DOTS;
    pl.period = ak_draw_uniform(d, 0.08f, 0.16f);
    memcpy(pl.rgb2, dark, sizeof dark);
    pl.shade = 0.4f;
    AK_SHAPE_ADD(s, AK_PRIM_RECT, pb, -0.07f, 0.0f, 0.07f, 1.0f);
    const int n = ak_draw_int(d, 3, 6);
    for (int i = 0; i < n; i++) {
        const float r = ak_draw_uniform(d, 0.3f, 0.5f);
        AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pl, ak_draw_uniform(d, -0.5f, 0.5f), ak_draw_uniform(d, -0.6f, -0.1f), r,
                     r * ak_draw_uniform(d, 0.7f, 1.0f));
    }
}

void ak_build_traffic_light(ak_shape *s, ak_draws *d, int32_t id) {
    ak_shape_extent(s, -0.4f, 0.4f, -1.0f, 1.0f);
    float housing[3];
    ak_jitter_rgb(d, (const float[3]){35, 38, 35}, 12, housing);
    ak_paint ph = ak_solid(housing, id);
    AK_SHAPE_ADD(s, AK_PRIM_RECT, ph, -0.4f, -1.0f, 0.4f, 1.0f);
    const int lit = ak_draw_int(d, 0, 2);
    static const float on[3][3] = {{250, 40, 30}, {250, 190, 30}, {60, 240, 110}};
    for (int k = 0; k < 3; k++) {
        float c[3];
        ak_scale_rgb(on[k], k == lit ? 1.0f : 0.3f, c);
        ak_paint pl = ak_solid(c, id);
        AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pl, 0.0f, -0.62f + 0.62f * (float)k, 0.27f, 0.27f);
    }
}

void ak_build_traffic_sign(ak_shape *s, ak_draws *d, int32_t id) {
    ak_shape_extent(s, -1.0f, 1.0f, -1.0f, 1.0f);
    const int kind = ak_draw_int(d, 0, 3);
    float a[3], b[3];
    switch (kind) {
    case 0: /* round, red rim, white face */
        ak_jitter_rgb(d, (const float[3]){200, 30, 30}, 15, a);
        ak_jitter_rgb(d, (const float[3]){235, 235, 235}, 10, b);
        break;
    case 1: /* round blue */
        ak_jitter_rgb(d, (const float[3]){30, 70, 170}, 15, a);
        ak_jitter_rgb(d, (const float[3]){235, 235, 235}, 10, b);
        break;
    case 2: /* triangle */
        ak_jitter_rgb(d, (const float[3]){200, 30, 30}, 15, a);
        ak_jitter_rgb(d, (const float[3]){240, 240, 240}, 10, b);
        break;
    default: /* rectangular yellow / blue */
        ak_jitter_rgb(d, ak_draw_chance(d, 0.5f) ? (const float[3]){240, 190, 40} : (const float[3]){40, 80, 170}, 15, a);
        ak_jitter_rgb(d, (const float[3]){245, 245, 245}, 10, b);
        break;
    }
    ak_paint pa = ak_solid(a, id), pb = ak_solid(b, id);
    if (kind <= 1) {
        AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pa, 0.0f, 0.0f, 1.0f, 1.0f);
        AK_SHAPE_ADD(s, AK_PRIM_ELLIPSE, pb, 0.0f, 0.0f, kind == 0 ? 0.72f : 0.35f, kind == 0 ? 0.72f : 0.35f);
    } else if (kind == 2) {
        AK_SHAPE_ADD(s, AK_PRIM_NGON, pa, 0.0f, 0.2f, 1.0f, 3.0f, -PI / 2);
        AK_SHAPE_ADD(s, AK_PRIM_NGON, pb, 0.0f, 0.2f, 0.62f, 3.0f, -PI / 2);
    } else {
        AK_SHAPE_ADD(s, AK_PRIM_RECT, pa, -1.0f, -0.7f, 1.0f, 0.7f);
        AK_SHAPE_ADD(s, AK_PRIM_RECT, pb, -0.85f, -0.12f, 0.85f, 0.12f);
    }
}
