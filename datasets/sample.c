/* See sample.h. */
#include "datasets/sample.h"

#include <stdlib.h>
#include <string.h>

/* Grow *p to hold n elements of `size` bytes; *cap counts elements. */
static int grow(void **p, size_t *cap, size_t n, size_t size, const char *what, ak_error *err) {
    if (n <= *cap)
        return AK_OK;
    void *q = realloc(*p, (n ? n : 1) * size);
    if (!q)
        return ak_error_set(err, AK_ENOMEM, "%s: cannot allocate %zu elements", what, n);
    *p = q;
    *cap = n;
    return AK_OK;
}

int ak_sample_reserve_image(ak_sample *s, int pad_h, int pad_w, ak_error *err) {
    if (s->ext) {
        if (pad_h > s->pad_h || pad_w > s->pad_w)
            return ak_error_set(err, AK_ESHAPE, "sample %lld: a %dx%d image does not fit its %dx%d batch slot",
                                (long long)s->index, pad_h, pad_w, s->pad_h, s->pad_w);
        return AK_OK;
    }
    AK_TRY(grow((void **)&s->image, &s->image_cap, (size_t)3 * (size_t)pad_h * (size_t)pad_w, sizeof(float),
                "sample image", err));
    s->pad_h = pad_h;
    s->pad_w = pad_w;
    return AK_OK;
}

int ak_sample_reserve_boxes(ak_sample *s, int n_boxes, int n_ignore, ak_error *err) {
    AK_TRY(grow((void **)&s->boxes, &s->box_cap, (size_t)n_boxes, 4 * sizeof(float), "sample boxes", err));
    AK_TRY(grow((void **)&s->labels, &s->labels_cap, (size_t)n_boxes, sizeof(int32_t), "sample labels", err));
    AK_TRY(grow((void **)&s->ignore, &s->ign_cap, (size_t)n_ignore, 4 * sizeof(float), "sample ignore boxes", err));
    s->n_boxes = n_boxes;
    s->n_ignore = n_ignore;
    return AK_OK;
}

int ak_sample_reserve_label(ak_sample *s, int h, int w, ak_error *err) {
    if (s->ext) {
        if (h > s->lab_h || w > s->lab_w)
            return ak_error_set(err, AK_ESHAPE, "sample %lld: a %dx%d label map does not fit its %dx%d batch slot",
                                (long long)s->index, h, w, s->lab_h, s->lab_w);
        return AK_OK;
    }
    AK_TRY(grow((void **)&s->label, &s->label_cap, (size_t)h * (size_t)w, 1, "sample label map", err));
    s->lab_h = h;
    s->lab_w = w;
    return AK_OK;
}

void ak_sample_free(ak_sample *s) {
    if (!s->ext) {
        free(s->image);
        free(s->label);
    }
    free(s->boxes);
    free(s->labels);
    free(s->ignore);
    memset(s, 0, sizeof *s);
}

int ak_work_reserve_hsv(ak_work *w, size_t bytes, ak_error *err) {
    return grow((void **)&w->hsv, &w->hsv_cap, bytes, 1, "hsv scratch", err);
}

void ak_work_free(ak_work *w) {
    ak_image_free(&w->img);
    ak_image_free(&w->tmp);
    ak_image_free(&w->lab);
    ak_image_free(&w->lab_tmp);
    free(w->hsv);
    memset(w, 0, sizeof *w);
}

int ak_batch_collate(ak_batch *b, const ak_sample **samples, int n, ak_error *err) {
    int h = 0, w = 0, lh = 0, lw = 0, direct = 1;
    for (int i = 0; i < n; i++) {
        const ak_sample *s = samples[i];
        h = s->pad_h > h ? s->pad_h : h;
        w = s->pad_w > w ? s->pad_w : w;
        lh = s->lab_h > lh ? s->lab_h : lh;
        lw = s->lab_w > lw ? s->lab_w : lw;
        direct &= s->ext;
    }
    const size_t plane = (size_t)h * (size_t)w, lplane = (size_t)lh * (size_t)lw;
    if (!direct) {
        AK_TRY(grow((void **)&b->images, &b->images_cap, (size_t)n * 3 * plane, sizeof(float), "batch images", err));
        AK_TRY(grow((void **)&b->labels, &b->labels_cap, (size_t)n * lplane, 1, "batch labels", err));
    }
    for (int i = 0; i < n && !direct; i++) {
        const ak_sample *s = samples[i];
        for (int c = 0; c < 3; c++) {
            float *dst = b->images + ((size_t)i * 3 + (size_t)c) * plane;
            const float *src = s->image + (size_t)c * (size_t)s->pad_h * (size_t)s->pad_w;
            if (s->pad_w == w && s->pad_h == h) {
                memcpy(dst, src, plane * sizeof(float));
                continue;
            }
            for (int y = 0; y < s->pad_h; y++) {
                memcpy(dst + (size_t)y * (size_t)w, src + (size_t)y * (size_t)s->pad_w, (size_t)s->pad_w * sizeof(float));
                memset(dst + (size_t)y * (size_t)w + s->pad_w, 0, (size_t)(w - s->pad_w) * sizeof(float));
            }
            memset(dst + (size_t)s->pad_h * (size_t)w, 0, (size_t)(h - s->pad_h) * (size_t)w * sizeof(float));
        }
        if (lplane) {
            uint8_t *dst = b->labels + (size_t)i * lplane;
            memset(dst, 255, lplane);
            for (int y = 0; y < s->lab_h; y++)
                memcpy(dst + (size_t)y * (size_t)lw, s->label + (size_t)y * (size_t)s->lab_w, (size_t)s->lab_w);
        }
    }
    b->n = n;
    b->h = h;
    b->w = w;
    b->lab_h = lh;
    b->lab_w = lw;
    b->n_bad_pixels = 0;
    for (int i = 0; i < n; i++)
        b->n_bad_pixels += samples[i]->n_bad_pixels;
    return AK_OK;
}

int ak_batch_reserve(ak_batch *b, int n, int h, int w, int lab_h, int lab_w, ak_error *err) {
    AK_TRY(grow((void **)&b->images, &b->images_cap, (size_t)n * 3 * (size_t)h * (size_t)w, sizeof(float),
                "batch images", err));
    return grow((void **)&b->labels, &b->labels_cap, (size_t)n * (size_t)lab_h * (size_t)lab_w, 1, "batch labels", err);
}

void ak_batch_free(ak_batch *b) {
    free(b->images);
    free(b->labels);
    free(b->samples);
    memset(b, 0, sizeof *b);
}
