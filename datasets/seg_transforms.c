/* See seg_transforms.h. */
#include "datasets/seg_transforms.h"

#include <string.h>

#include "datasets/det_transforms.h"
#include "datasets/geometry.h"
#include "datasets/resize.h"

ak_seg_aug ak_seg_aug_default(int train, int scale_long, int scale_short, int crop_h, int crop_w) {
    ak_seg_aug a;
    memset(&a, 0, sizeof a);
    a.scale_long = scale_long;
    a.scale_short = scale_short;
    a.photo = ak_photometric_default();
    const double mean[3] = {123.675, 116.28, 103.53}, std[3] = {58.395, 57.12, 57.375};
    memcpy(a.mean, mean, sizeof mean);
    memcpy(a.std, std, sizeof std);
    a.cat_max_ratio = 1.0f;
    if (train) {
        a.ratio_lo = 0.5f;
        a.ratio_hi = 2.0f;
        a.crop_h = crop_h;
        a.crop_w = crop_w;
        a.cat_max_ratio = 0.75f;
        a.flip_prob = 0.5f;
        a.photometric = 1;
        a.pad_h = crop_h;
        a.pad_w = crop_w;
    } else {
        a.keep_label_size = 1;
    }
    return a;
}

int ak_seg_crop_ok(const uint8_t *label, int h, int w, int y1, int y2, int x1, int x2, float cat_max_ratio,
                   uint8_t ignore) {
    int64_t cnt[256] = {0};
    y2 = y2 < h ? y2 : h;
    x2 = x2 < w ? x2 : w;
    for (int y = y1; y < y2; y++) {
        const uint8_t *row = label + (size_t)y * (size_t)w;
        for (int x = x1; x < x2; x++)
            cnt[row[x]]++;
    }
    int classes = 0;
    int64_t total = 0, most = 0;
    for (int v = 0; v < 256; v++) {
        if (v == ignore || cnt[v] == 0)
            continue;
        classes++;
        total += cnt[v];
        most = cnt[v] > most ? cnt[v] : most;
    }
    return classes > 1 && (double)most / (double)total < (double)cat_max_ratio;
}

static void swap_images(ak_image *a, ak_image *b) {
    ak_image t = *a;
    *a = *b;
    *b = t;
}

int ak_seg_transform(const ak_seg_aug *aug, ak_rng rng, ak_work *w, ak_sample *out, ak_error *err) {
    ak_image *img = &w->img, *lab = &w->lab;
    if (lab->h != img->h || lab->w != img->w || lab->c != 1 || img->c != 3)
        return ak_error_set(err, AK_ESHAPE, "seg transform: image %dx%dx%d and label map %dx%dx%d differ", img->h,
                            img->w, img->c, lab->h, lab->w, lab->c);
    out->ori_h = img->h;
    out->ori_w = img->w;
    out->n_boxes = out->n_ignore = 0;
    int h = img->h, wd = img->w;
    out->scale_w = out->scale_h = 1.0f;
    int keep_label = aug->keep_label_size;
    if (keep_label) {
        /* the label map leaves untouched: copy it out before the image changes */
        AK_TRY(ak_sample_reserve_label(out, h, wd, err));
        memcpy(out->label, lab->data, (size_t)h * (size_t)wd);
    }

    if (aug->scale_long > 0 && aug->scale_short > 0) {
        int sl = aug->scale_long, ss = aug->scale_short;
        if (aug->ratio_hi > 0.0f) {
            /* mmseg random_sample_ratio: np.random.random_sample() * (hi - lo) + lo, in double */
            double ratio = (double)ak_rng_uniform1(rng, AK_AUG_SLOT_RATIO) * ((double)aug->ratio_hi - aug->ratio_lo) +
                           aug->ratio_lo;
            sl = (int)(aug->scale_long * ratio);
            ss = (int)(aug->scale_short * ratio);
        }
        int nh, nw;
        ak_rescale_size(h, wd, sl, ss, &nh, &nw, NULL);
        if (nh < 1 || nw < 1)
            return ak_error_set(err, AK_EINVAL, "seg resize: %dx%d image scales to %dx%d", h, wd, nh, nw);
        AK_TRY(ak_image_reserve(&w->tmp, nh, nw, 3, err));
        AK_TRY(ak_resize_bilinear_u8(img->data, h, wd, 3, w->tmp.data, nh, nw, err));
        swap_images(img, &w->tmp);
        if (!keep_label) {
            AK_TRY(ak_image_reserve(&w->lab_tmp, nh, nw, 1, err));
            AK_TRY(ak_resize_nearest_u8(lab->data, h, wd, 1, w->lab_tmp.data, nh, nw, err));
            swap_images(lab, &w->lab_tmp);
        }
        out->scale_w = (float)((double)nw / (double)wd);
        out->scale_h = (float)((double)nh / (double)h);
        h = nh;
        wd = nw;
    }

    /* The last geometric step writes the image into out->image (possibly a slot of a batch). */
    if (aug->crop_h > 0 && aug->crop_w > 0 && !keep_label) {
        const int mh = h - aug->crop_h > 0 ? h - aug->crop_h : 0, mw = wd - aug->crop_w > 0 ? wd - aug->crop_w : 0;
        int y1 = 0, x1 = 0;
        for (int k = 0; k <= 10; k++) {
            y1 = (int)ak_rng_below(rng, AK_AUG_SLOT_CROP + 2 * (uint64_t)k, (uint32_t)mh + 1);
            x1 = (int)ak_rng_below(rng, AK_AUG_SLOT_CROP + 2 * (uint64_t)k + 1, (uint32_t)mw + 1);
            if (aug->cat_max_ratio >= 1.0f || k == 10)
                break;
            if (ak_seg_crop_ok(lab->data, h, wd, y1, y1 + aug->crop_h, x1, x1 + aug->crop_w, aug->cat_max_ratio, 255))
                break;
        }
        int ch, cw;
        AK_TRY(ak_sample_reserve_image(out, aug->crop_h < h ? aug->crop_h : h, aug->crop_w < wd ? aug->crop_w : wd, err));
        ak_crop_u8(img->data, h, wd, 3, y1, y1 + aug->crop_h, x1, x1 + aug->crop_w, out->image, &ch, &cw);
        AK_TRY(ak_image_reserve(&w->lab_tmp, ch, cw, 1, err));
        ak_crop_u8(lab->data, h, wd, 1, y1, y1 + aug->crop_h, x1, x1 + aug->crop_w, w->lab_tmp.data, &ch, &cw);
        swap_images(lab, &w->lab_tmp);
        h = ch;
        wd = cw;
    } else {
        AK_TRY(ak_sample_reserve_image(out, h, wd, err));
        memcpy(out->image, img->data, (size_t)h * (size_t)wd * 3);
    }

    /* The flip happens in the input step, fused into the normalisation, and here in the label
     * padding; the photometric distortion acts on each pixel alone, so the order changes nothing. */
    out->flipped = aug->flip_prob > 0.0f && ak_rng_uniform1(rng, AK_AUG_SLOT_FLIP) < aug->flip_prob;
    if (aug->photometric) {
        ak_photometric_params p = ak_photometric_draw(&aug->photo, rng, AK_AUG_SLOT_PHOTOMETRIC);
        AK_TRY(ak_work_reserve_hsv(w, (size_t)h * (size_t)wd * 3, err));
        ak_photometric_apply(out->image, (size_t)h * (size_t)wd, &p, w->hsv);
    }
    out->img_h = h;
    out->img_w = wd;
    int ph = h, pw = wd;
    if (aug->pad_h > 0 && aug->pad_w > 0) {
        ph = aug->pad_h > h ? aug->pad_h : h;
        pw = aug->pad_w > wd ? aug->pad_w : wd;
    } else if (aug->size_divisor > 0) {
        ph = ak_round_up(h, aug->size_divisor);
        pw = ak_round_up(wd, aug->size_divisor);
    }
    out->pad_h = ph;
    out->pad_w = pw;
    memcpy(out->mean, aug->mean, sizeof out->mean);
    memcpy(out->std, aug->std, sizeof out->std);
    if (!keep_label) {
        AK_TRY(ak_sample_reserve_label(out, ph, pw, err));
        ak_pad_label(lab->data, h, wd, out->flipped, out->label, out->lab_h, out->lab_w, 255);
    }
    return AK_OK;
}
