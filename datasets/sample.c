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

int ak_sample_reserve_image(ak_sample *s, int h, int w, ak_error *err) {
    const size_t need = (size_t)h * (size_t)w * 3;
    if (s->ext) {
        if (need > s->image_cap)
            return ak_error_set(err, AK_ESHAPE, "sample %lld: a %dx%d image does not fit its batch slot of %zu bytes",
                                (long long)s->index, h, w, s->image_cap);
        return AK_OK;
    }
    return grow((void **)&s->image, &s->image_cap, need, 1, "sample image", err);
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

/* Direct mode: the samples were written into b's slots; check that each fits the planned size. */
static int check_direct(const ak_batch *b, const ak_sample **samples, int n, ak_error *err) {
    for (int i = 0; i < n; i++) {
        const ak_sample *s = samples[i];
        if (s->pad_h > b->h || s->pad_w > b->w || s->lab_h > b->lab_h || s->lab_w > b->lab_w)
            return ak_error_set(err, AK_ESHAPE, "sample %lld: padded image %dx%d / label map %dx%d exceed the %dx%d / "
                                "%dx%d planned for its batch", (long long)s->index, s->pad_h, s->pad_w, s->lab_h,
                                s->lab_w, b->h, b->w, b->lab_h, b->lab_w);
    }
    return AK_OK;
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
    b->n = n;
    b->n_bad_pixels = 0;
    for (int i = 0; i < n; i++)
        b->n_bad_pixels += samples[i]->n_bad_pixels;
    if (direct)
        return check_direct(b, samples, n, err);
    const size_t slot = (size_t)h * (size_t)w * 3, lplane = (size_t)lh * (size_t)lw;
    AK_TRY(grow((void **)&b->pixels, &b->pixels_cap, (size_t)n * slot, 1, "batch images", err));
    AK_TRY(grow((void **)&b->labels, &b->labels_cap, (size_t)n * lplane, 1, "batch labels", err));
    for (int i = 0; i < n; i++) {
        const ak_sample *s = samples[i];
        /* the image stays packed (img_h, img_w, 3): the input step pads it */
        memcpy(b->pixels + (size_t)i * slot, s->image, (size_t)s->img_h * (size_t)s->img_w * 3);
        if (lplane) {
            uint8_t *dst = b->labels + (size_t)i * lplane;
            memset(dst, 255, lplane);
            for (int y = 0; y < s->lab_h; y++)
                memcpy(dst + (size_t)y * (size_t)lw, s->label + (size_t)y * (size_t)s->lab_w, (size_t)s->lab_w);
        }
    }
    b->h = h;
    b->w = w;
    b->lab_h = lh;
    b->lab_w = lw;
    return AK_OK;
}

int ak_batch_reserve(ak_batch *b, int n, int h, int w, int lab_h, int lab_w, ak_error *err) {
    AK_TRY(grow((void **)&b->pixels, &b->pixels_cap, (size_t)n * 3 * (size_t)h * (size_t)w, 1, "batch images", err));
    AK_TRY(grow((void **)&b->labels, &b->labels_cap, (size_t)n * (size_t)lab_h * (size_t)lab_w, 1, "batch labels", err));
    b->h = h;
    b->w = w;
    b->lab_h = lab_h;
    b->lab_w = lab_w;
    return AK_OK;
}

void ak_batch_free(ak_batch *b) {
    free(b->pixels);
    free(b->labels);
    free(b->samples);
    memset(b, 0, sizeof *b);
}
