/* See det_transforms.h. */
#include "datasets/det_transforms.h"

#include <string.h>

#include "datasets/geometry.h"
#include "datasets/resize.h"

ak_det_aug ak_det_aug_default(int train, int scale_long, int scale_short) {
    ak_det_aug a = {scale_long, scale_short, train ? 0.5f : 0.0f, {123.675, 116.28, 103.53}, {58.395, 57.12, 57.375}, 32};
    return a;
}

ak_rng ak_aug_rng(uint64_t seed, int64_t epoch, int64_t index) {
    ak_rng r = {seed, ak_rng_stream(AK_STREAM_AUGMENT, (uint64_t)epoch, (uint64_t)index, 0)};
    return r;
}

int ak_det_transform(const ak_det_aug *aug, ak_rng rng, const ak_image *img, const float *boxes,
                     const int32_t *labels, int n_boxes, const float *ignore, int n_ignore, ak_sample *out,
                     ak_error *err) {
    out->ori_h = img->h;
    out->ori_w = img->w;
    AK_TRY(ak_sample_reserve_boxes(out, n_boxes, n_ignore, err));
    if (n_boxes > 0) { /* (memcpy from / to NULL is undefined even for 0 bytes) */
        memcpy(out->boxes, boxes, sizeof(float) * 4 * (size_t)n_boxes);
        memcpy(out->labels, labels, sizeof(int32_t) * (size_t)n_boxes);
    }
    if (n_ignore > 0)
        memcpy(out->ignore, ignore, sizeof(float) * 4 * (size_t)n_ignore);

    int h = img->h, wd = img->w;
    float sx = 1.0f, sy = 1.0f;
    if (aug->scale_long > 0 && aug->scale_short > 0) {
        int nh, nw;
        ak_rescale_size(h, wd, aug->scale_long, aug->scale_short, &nh, &nw, NULL);
        if (nh < 1 || nw < 1)
            return ak_error_set(err, AK_EINVAL, "det resize: %dx%d image scales to %dx%d", h, wd, nh, nw);
        AK_TRY(ak_sample_reserve_image(out, nh, nw, err)); /* may be a slot of a batch */
        AK_TRY(ak_resize_bilinear_u8(img->data, h, wd, 3, out->image, nh, nw, err));
        /* mmdet: w_scale = new_w / w in Python floats, stored in a float32 array. */
        sx = (float)((double)nw / (double)wd);
        sy = (float)((double)nh / (double)h);
        h = nh;
        wd = nw;
    } else if (img->data != out->image) {
        AK_TRY(ak_sample_reserve_image(out, h, wd, err));
        memcpy(out->image, img->data, (size_t)h * (size_t)wd * 3);
    }
    /* mmdet clips after resizing (bbox_clip_border); with no resize the factors are 1. */
    ak_boxes_rescale_clip(out->boxes, n_boxes, sx, sy, wd, h);
    ak_boxes_rescale_clip(out->ignore, n_ignore, sx, sy, wd, h);
    out->scale_w = sx;
    out->scale_h = sy;
    out->flipped = aug->flip_prob > 0.0f && ak_rng_uniform1(rng, AK_AUG_SLOT_FLIP) < aug->flip_prob;
    if (out->flipped) { /* the image is mirrored by the input step, fused into the normalisation */
        ak_hflip_boxes(out->boxes, n_boxes, wd);
        ak_hflip_boxes(out->ignore, n_ignore, wd);
    }
    out->img_h = h;
    out->img_w = wd;
    out->pad_h = ak_round_up(h, aug->size_divisor);
    out->pad_w = ak_round_up(wd, aug->size_divisor);
    memcpy(out->mean, aug->mean, sizeof out->mean);
    memcpy(out->std, aug->std, sizeof out->std);
    if (!out->ext)
        out->lab_h = out->lab_w = 0;
    out->n_bad_pixels = 0;
    return AK_OK;
}
