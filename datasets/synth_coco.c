/* See synth_coco.h. One builder per category fills an ak_shape in unit coordinates; the scene code
 * places them with a random size, position and depth order. */
#include "datasets/synth_coco.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fs.h"
#include "datasets/coco_json.h"
#include "datasets/jpeg_io.h"
#include "datasets/synth_shapes.h"

const int64_t ak_synth_coco_cat_ids[AK_SYNTH_COCO_CLASSES] = {1, 2, 3, 6, 13, 37, 44, 85};
const char *const ak_synth_coco_cat_names[AK_SYNTH_COCO_CLASSES] = {
    "person", "bicycle", "car", "bus", "stop sign", "sports ball", "bottle", "clock"};
static const char *const supercats[AK_SYNTH_COCO_CLASSES] = {"person",  "vehicle", "vehicle", "vehicle",
                                                              "outdoor", "sports",  "kitchen", "indoor"};
/* How often each category is chosen (person most, as in COCO). */
static const float class_weight[AK_SYNTH_COCO_CLASSES] = {0.22f, 0.10f, 0.16f, 0.08f, 0.10f, 0.12f, 0.12f, 0.10f};

enum { C_PERSON, C_BICYCLE, C_CAR, C_BUS, C_STOP, C_BALL, C_BOTTLE, C_CLOCK };

static const float PI = 3.14159265f;

/* Place a shape: a bbox area log-uniform in [min_area, max_area], a random centre. */
static void place(ak_shape *s, ak_draws *d, int h, int w, float min_area, float max_area, float rot) {
    s->ax = ak_draw_uniform(d, 0.85f, 1.18f);
    s->ay = ak_draw_uniform(d, 0.88f, 1.12f);
    s->theta = ak_draw_uniform(d, -rot, rot);
    s->mirror = ak_draw_chance(d, 0.5f);
    const float area = expf(ak_draw_uniform(d, logf(min_area), logf(max_area)));
    const float unit = (s->umax - s->umin) * (s->vmax - s->vmin) * s->ax * s->ay;
    s->scale = sqrtf(area / unit);
    s->cx = ak_draw_uniform(d, 0.0f, (float)w);
    s->cy = ak_draw_uniform(d, 0.0f, (float)h);
}

static int pick_class(ak_draws *d) {
    float u = ak_draw_uniform(d, 0.0f, 1.0f);
    for (int c = 0; c < AK_SYNTH_COCO_CLASSES; c++) {
        if (u < class_weight[c])
            return c;
        u -= class_weight[c];
    }
    return 0;
}

static void build_class(ak_shape *s, ak_draws *d, int cls, int32_t id) {
    switch (cls) {
    case C_PERSON: ak_build_person(s, d, id, 0); break;
    case C_BICYCLE: ak_build_bicycle(s, d, id); break;
    case C_CAR: ak_build_car(s, d, id); break;
    case C_BUS: ak_build_bus(s, d, id); break;
    case C_STOP: ak_build_stop_sign(s, d, id); break;
    case C_BALL: ak_build_ball(s, d, id); break;
    case C_BOTTLE: ak_build_bottle(s, d, id); break;
    default: ak_build_clock(s, d, id); break;
    }
}

static const float class_rotation[AK_SYNTH_COCO_CLASSES] = {0.15f, 0.12f, 0.08f, 0.06f, 0.25f, 3.14f, 0.3f, 0.4f};

/* Unlabelled clutter: a random primitive in a random (sometimes class-like) colour. paint false:
 * draw its parameters only (clean scenes keep the draw sequence of the full ones). */
static void clutter(ak_canvas *cv, ak_draws *d, int h, int w, bool paint) {
    ak_shape s;
    memset(&s, 0, sizeof s);
    ak_shape_extent(&s, -1.0f, 1.0f, -1.0f, 1.0f);
    float c[3];
    ak_hsv_color(ak_draw_uniform(d, 0, 360), ak_draw_uniform(d, 0.0f, 1.0f), ak_draw_uniform(d, 0.15f, 1.0f), c);
    ak_paint p = ak_solid(c, 0);
    const int pat = ak_draw_int(d, 0, 5);
    if (pat <= AK_PAT_GRID) {
        p.pattern = pat;
        p.period = ak_draw_uniform(d, 0.1f, 0.6f);
        p.angle = ak_draw_uniform(d, 0, PI);
        ak_hsv_color(ak_draw_uniform(d, 0, 360), ak_draw_uniform(d, 0.0f, 1.0f), ak_draw_uniform(d, 0.1f, 1.0f), p.rgb2);
    }
    p.shade = ak_draw_uniform(d, -0.5f, 0.5f);
    switch (ak_draw_int(d, 0, 5)) {
    case 0: AK_SHAPE_ADD(&s, AK_PRIM_ELLIPSE, p, 0.0f, 0.0f, 1.0f, ak_draw_uniform(d, 0.2f, 1.0f)); break;
    case 1: AK_SHAPE_ADD(&s, AK_PRIM_RECT, p, -1.0f, -ak_draw_uniform(d, 0.1f, 1.0f), 1.0f, 1.0f); break;
    case 2: AK_SHAPE_ADD(&s, AK_PRIM_NGON, p, 0.0f, 0.0f, 1.0f, (float)ak_draw_int(d, 3, 6), ak_draw_uniform(d, 0, PI)); break;
    case 3: AK_SHAPE_ADD(&s, AK_PRIM_SEGMENT, p, -1.0f, 0.0f, 1.0f, 0.0f, ak_draw_uniform(d, 0.04f, 0.25f)); break;
    case 4: AK_SHAPE_ADD(&s, AK_PRIM_RING, p, 0.0f, 0.0f, 1.0f, ak_draw_uniform(d, 0.5f, 0.9f)); break;
    default:
        AK_SHAPE_ADD(&s, AK_PRIM_QUAD, p, -1.0f, -ak_draw_uniform(d, 0.2f, 1.0f), 1.0f, -1.0f, ak_draw_uniform(d, 0.2f, 1.0f),
            1.0f, -1.0f, 0.7f);
        break;
    }
    s.ax = 1.0f;
    s.ay = 1.0f;
    s.theta = ak_draw_uniform(d, 0, PI);
    s.scale = expf(ak_draw_uniform(d, logf(4.0f), logf(0.25f * (float)(h < w ? h : w))));
    s.cx = ak_draw_uniform(d, 0, (float)w);
    s.cy = ak_draw_uniform(d, 0, (float)h);
    if (paint)
        ak_shape_draw(cv, &s);
}

int ak_synth_coco_render(const ak_synth_opts *o, int64_t index, uint8_t *rgb, int32_t *ids, ak_synth_ann *anns) {
    const uint64_t seed = o->seed;
    const int h = o->height, w = o->width;
    const bool paint_extras = !o->clean;
    ak_draws d = {{seed, ak_rng_stream(AK_STREAM_SYNTH, (uint64_t)index, 1, 0)}, 0};
    ak_canvas cv = {h, w, rgb, ids};
    float top[3], bottom[3];
    ak_hsv_color(ak_draw_uniform(&d, 0, 360), ak_draw_uniform(&d, 0.05f, 0.5f), ak_draw_uniform(&d, 0.3f, 0.95f), top);
    ak_hsv_color(ak_draw_uniform(&d, 0, 360), ak_draw_uniform(&d, 0.05f, 0.5f), ak_draw_uniform(&d, 0.2f, 0.9f), bottom);
    ak_canvas_background(&cv, top, bottom, &d, 0);
    const int n_back = ak_draw_int(&d, 3, 10);
    for (int i = 0; i < n_back; i++)
        clutter(&cv, &d, h, w, paint_extras);

    int cls_of[AK_SYNTH_COCO_MAX_ANNS + 1], crowd_of[AK_SYNTH_COCO_MAX_ANNS + 1];
    int32_t next_id = 1;
    const float min_side = o->min_box > 0 ? (float)o->min_box : 10.0f;
    const float max_area = 0.25f * (float)h * (float)w, min_area = fminf(min_side * min_side, max_area);
    const int n_obj = ak_draw_int(&d, 1, o->max_objects > 0 ? o->max_objects : 9);
    const int crowd_at = ak_draw_chance(&d, 0.15f) ? ak_draw_int(&d, 0, n_obj) : -1;
    for (int k = 0; k <= n_obj && next_id < AK_SYNTH_COCO_MAX_ANNS; k++) {
        if (k == crowd_at) {
            /* a crowd: many small persons packed in a region, annotated once */
            const int32_t id = next_id++;
            cls_of[id] = C_PERSON;
            crowd_of[id] = 1;
            const float rw = ak_draw_uniform(&d, 0.15f, 0.35f) * (float)w, rh = ak_draw_uniform(&d, 0.1f, 0.25f) * (float)h;
            const float x0 = ak_draw_uniform(&d, 0, (float)w - rw), y0 = ak_draw_uniform(&d, 0, (float)h - rh);
            const int m = ak_draw_int(&d, 8, 20);
            for (int j = 0; j < m; j++) {
                ak_shape s;
                memset(&s, 0, sizeof s);
                ak_build_person(&s, &d, id, 1);
                s.ax = ak_draw_uniform(&d, 0.9f, 1.1f);
                s.ay = 1.0f;
                s.scale = ak_draw_uniform(&d, 0.08f, 0.2f) * rh;
                s.cx = x0 + ak_draw_uniform(&d, 0, rw);
                s.cy = y0 + ak_draw_uniform(&d, 0, rh);
                if (paint_extras) /* not painted: fewer than 10 visible pixels, so not annotated */
                    ak_shape_draw(&cv, &s);
            }
            continue;
        }
        if (k == n_obj)
            break;
        const int cls = pick_class(&d);
        const int32_t id = next_id++;
        cls_of[id] = cls;
        crowd_of[id] = 0;
        ak_shape s;
        memset(&s, 0, sizeof s);
        build_class(&s, &d, cls, id);
        place(&s, &d, h, w, min_area, max_area, class_rotation[cls]);
        if (cls == C_STOP) { /* its pole: context, not part of the object */
            float grey[3] = {120, 120, 125};
            ak_paint pole = ak_solid(grey, 0);
            const float pw = 0.09f * s.scale;
            ak_canvas_rect(&cv, s.cx - pw, s.cy, s.cx + pw, s.cy + 4.0f * s.scale, &pole);
        }
        ak_shape_draw(&cv, &s);
    }
    const int n_front = ak_draw_int(&d, 0, 3);
    for (int i = 0; i < n_front; i++)
        clutter(&cv, &d, h, w, paint_extras);
    ak_canvas_tone(&cv, ak_draw_uniform(&d, -25, 25), ak_draw_uniform(&d, 0.75f, 1.2f));
    ak_rng noise = {seed, ak_rng_stream(AK_STREAM_SYNTH, (uint64_t)index, 2, 0)};
    ak_canvas_noise(&cv, noise, ak_draw_int(&d, 6, 16));

    /* annotations from the visible pixels of each instance */
    int64_t cnt[AK_SYNTH_COCO_MAX_ANNS + 1] = {0};
    int x0[AK_SYNTH_COCO_MAX_ANNS + 1], y0[AK_SYNTH_COCO_MAX_ANNS + 1], x1[AK_SYNTH_COCO_MAX_ANNS + 1],
        y1[AK_SYNTH_COCO_MAX_ANNS + 1];
    for (int i = 0; i < next_id; i++)
        x0[i] = w, y0[i] = h, x1[i] = -1, y1[i] = -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const int32_t id = ids[(size_t)y * (size_t)w + (size_t)x];
            if (id <= 0 || id >= next_id)
                continue;
            cnt[id]++;
            x0[id] = x < x0[id] ? x : x0[id];
            x1[id] = x > x1[id] ? x : x1[id];
            y0[id] = y < y0[id] ? y : y0[id];
            y1[id] = y > y1[id] ? y : y1[id];
        }
    int n = 0;
    for (int id = 1; id < next_id; id++) {
        if (cnt[id] < 10)
            continue;
        ak_synth_ann *a = &anns[n++];
        a->cat = cls_of[id];
        a->iscrowd = crowd_of[id];
        a->bbox[0] = x0[id];
        a->bbox[1] = y0[id];
        a->bbox[2] = x1[id] + 1 - x0[id];
        a->bbox[3] = y1[id] + 1 - y0[id];
        a->area = (double)cnt[id];
    }
    return n;
}

int ak_synth_coco(const ak_synth_opts *o, ak_synth_coco_stats *stats, ak_error *err) {
    if (!o->out_dir || o->n_images <= 0 || o->height < 16 || o->width < 16 || !o->split)
        return ak_error_set(err, AK_EINVAL, "synth coco: need out_dir, images >= 1 and a size of at least 16x16 (got "
                            "%lld images, %dx%d)", (long long)o->n_images, o->height, o->width);
    char img_dir[4096], ann_dir[4096], ann_file[4200];
    if (snprintf(img_dir, sizeof img_dir, "%s/%s2017", o->out_dir, o->split) >= (int)sizeof img_dir ||
        snprintf(ann_dir, sizeof ann_dir, "%s/annotations", o->out_dir) >= (int)sizeof ann_dir)
        return ak_error_set(err, AK_EINVAL, "synth coco: output path too long: %s", o->out_dir);
    snprintf(ann_file, sizeof ann_file, "%s/instances_%s2017.json", ann_dir, o->split);
    AK_TRY(ak_mkdir_p(img_dir, err));
    AK_TRY(ak_mkdir_p(ann_dir, err));
    const int64_t n = o->n_images;
    ak_synth_ann *anns = malloc(sizeof *anns * (size_t)n * AK_SYNTH_COCO_MAX_ANNS);
    int *n_anns = calloc((size_t)n, sizeof *n_anns);
    ak_error *errs = calloc((size_t)n, sizeof *errs);
    if (!anns || !n_anns || !errs) {
        free(anns);
        free(n_anns);
        free(errs);
        return ak_error_set(err, AK_ENOMEM, "synth coco: out of memory for %lld images", (long long)n);
    }
#pragma omp parallel
    {
        uint8_t *rgb = malloc((size_t)o->height * (size_t)o->width * 3);
        int32_t *ids = malloc(sizeof(int32_t) * (size_t)o->height * (size_t)o->width);
#pragma omp for schedule(dynamic)
        for (int64_t i = 0; i < n; i++) {
            if (!rgb || !ids) {
                ak_error_set(&errs[i], AK_ENOMEM, "synth coco: out of memory");
                continue;
            }
            n_anns[i] = ak_synth_coco_render(o, i, rgb, ids, anns + i * AK_SYNTH_COCO_MAX_ANNS);
            char path[4200];
            snprintf(path, sizeof path, "%s/%012lld.jpg", img_dir, (long long)(i + 1));
            ak_jpeg_write(path, rgb, o->height, o->width, 3, 90, &errs[i]);
        }
        free(rgb);
        free(ids);
    }
    int rc = AK_OK;
    for (int64_t i = 0; i < n && rc == AK_OK; i++)
        if (errs[i].code != AK_OK)
            rc = ak_error_set(err, errs[i].code, "%s", errs[i].msg);
    ak_coco gt;
    memset(&gt, 0, sizeof gt);
    int64_t total = 0;
    for (int64_t i = 0; i < n; i++)
        total += n_anns[i];
    gt.images = calloc((size_t)n, sizeof *gt.images);
    gt.anns = calloc((size_t)(total ? total : 1), sizeof *gt.anns);
    gt.cats = calloc(AK_SYNTH_COCO_CLASSES, sizeof *gt.cats);
    char *names = malloc((size_t)n * 24);
    if (rc == AK_OK && (!gt.images || !gt.anns || !gt.cats || !names))
        rc = ak_error_set(err, AK_ENOMEM, "synth coco: out of memory");
    if (rc == AK_OK) {
        ak_synth_coco_stats st;
        memset(&st, 0, sizeof st);
        st.images = n;
        for (int64_t i = 0; i < n; i++) {
            char *fn = names + i * 24;
            snprintf(fn, 24, "%012lld.jpg", (long long)(i + 1));
            gt.images[i] = (ak_coco_image){i + 1, o->width, o->height, fn};
            for (int k = 0; k < n_anns[i]; k++) {
                const ak_synth_ann *a = &anns[i * AK_SYNTH_COCO_MAX_ANNS + k];
                ak_coco_ann *g = &gt.anns[gt.n_anns];
                g->id = gt.n_anns + 1;
                g->image_id = i + 1;
                g->category_id = ak_synth_coco_cat_ids[a->cat];
                memcpy(g->bbox, a->bbox, sizeof g->bbox);
                g->area = a->area;
                g->iscrowd = a->iscrowd;
                gt.n_anns++;
                if (a->iscrowd) {
                    st.crowd++;
                    continue;
                }
                st.anns++;
                st.per_class[a->cat]++;
                if (a->area < 32.0 * 32.0)
                    st.small++;
                else if (a->area < 96.0 * 96.0)
                    st.medium++;
                else
                    st.large++;
            }
        }
        gt.n_images = n;
        for (int c = 0; c < AK_SYNTH_COCO_CLASSES; c++)
            gt.cats[c] = (ak_coco_category){ak_synth_coco_cat_ids[c], (char *)ak_synth_coco_cat_names[c],
                                            (char *)supercats[c]};
        gt.n_cats = AK_SYNTH_COCO_CLASSES;
        gt.path = ann_file;
        rc = ak_coco_save(&gt, ann_file, err);
        if (stats)
            *stats = st;
    }
    free(gt.images);
    free(gt.anns);
    free(gt.cats);
    free(names);
    free(anns);
    free(n_anns);
    free(errs);
    return rc;
}
