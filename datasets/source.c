/* See source.h. */
#include "datasets/source.h"

#include "datasets/geometry.h"
#include "datasets/resize.h"

/* The decoder's destination when the decoded image is the sample's image (no resize). */
static uint8_t *into_sample(void *ctx, int h, int w, int channels, ak_error *err) {
    ak_sample *s = ctx;
    (void)channels; /* always 3 */
    return ak_sample_reserve_image(s, h, w, err) == AK_OK ? s->image : NULL;
}

static int det_load(void *self, int64_t index, ak_rng rng, ak_work *w, ak_sample *out, ak_error *err) {
    const ak_det_source *s = self;
    const ak_coco_dataset *ds = s->ds;
    const ak_coco_record *r = &ds->recs[index];
    out->index = index;
    out->image_id = r->image_id;
    const ak_image *img = &w->img;
    ak_image in_place;
    if (s->aug.scale_long > 0 && s->aug.scale_short > 0) {
        AK_TRY(ak_coco_dataset_decode(ds, index, &w->img, err));
    } else {
        /* without a resize the decoded image is the sample's: decode straight into it (its batch
         * slot in the loader's direct mode), saving a copy that cost ~10% of the decode time */
        AK_TRY(ak_coco_dataset_decode_to(ds, index, into_sample, out, err));
        in_place = (ak_image){out->image, r->height, r->width, 3, out->image_cap};
        img = &in_place;
    }
    return ak_det_transform(&s->aug, rng, img, ds->boxes + 4 * r->box0, ds->labels + r->box0, r->n_boxes,
                            ds->ignore + 4 * r->ign0, r->n_ignore, out, err);
}

static int det_plan(void *self, int64_t index, int *pad_h, int *pad_w, int *lab_h, int *lab_w) {
    const ak_det_source *s = self;
    const ak_coco_record *r = &s->ds->recs[index];
    int h = r->height, w = r->width;
    if (s->aug.scale_long > 0 && s->aug.scale_short > 0)
        ak_rescale_size(r->height, r->width, s->aug.scale_long, s->aug.scale_short, &h, &w, NULL);
    *pad_h = ak_round_up(h, s->aug.size_divisor);
    *pad_w = ak_round_up(w, s->aug.size_divisor);
    *lab_h = *lab_w = 0;
    return 1;
}

ak_source ak_det_source_make(ak_det_source *s) {
    ak_source src = {s, s->ds->n, det_load, det_plan};
    return src;
}

static int seg_load(void *self, int64_t index, ak_rng rng, ak_work *w, ak_sample *out, ak_error *err) {
    const ak_seg_source *s = self;
    int64_t bad = 0;
    AK_TRY(ak_cityscapes_decode(s->ds, index, &w->img, &w->lab, &bad, err));
    out->index = index;
    out->image_id = -1;
    AK_TRY(ak_seg_transform(&s->aug, rng, w, out, err));
    out->n_bad_pixels = bad;
    return AK_OK;
}

static int seg_plan(void *self, int64_t index, int *pad_h, int *pad_w, int *lab_h, int *lab_w) {
    const ak_seg_aug *a = &((const ak_seg_source *)self)->aug;
    (void)index;
    /* Only a crop followed by a pad to at least the crop size has a size known before decoding. */
    if (a->keep_label_size || a->crop_h <= 0 || a->crop_w <= 0 || a->pad_h < a->crop_h || a->pad_w < a->crop_w)
        return 0;
    *pad_h = *lab_h = a->pad_h;
    *pad_w = *lab_w = a->pad_w;
    return 1;
}

ak_source ak_seg_source_make(ak_seg_source *s) {
    ak_source src = {s, s->ds->n, seg_load, seg_plan};
    return src;
}
