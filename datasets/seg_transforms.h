/* The mmseg (0.x) segmentation pipeline after loading: Resize(img_scale, ratio_range,
 * keep_ratio=True) -> RandomCrop(crop_size, cat_max_ratio) -> RandomFlip(prob) ->
 * PhotoMetricDistortion -> Normalize -> Pad(size=crop_size, pad_val=0, seg_pad_val=255).
 *
 * Resize: ratio = uniform(lo, hi) (slot AK_AUG_SLOT_RATIO), target (int(long * ratio),
 * int(short * ratio)), then mmcv.rescale_size; image bilinear, label map nearest (cv2-exact).
 * RandomCrop: offsets randint(0, margin + 1) per axis; with cat_max_ratio < 1 the crop is redrawn
 * up to 10 times until it holds more than one non-ignored class and the largest covers less than
 * cat_max_ratio of the non-ignored pixels (after 10 failures the 11th draw is used unchecked), as
 * mmseg does. Each attempt k uses slots AK_AUG_SLOT_CROP + 2k (y) and + 2k + 1 (x).
 * Evaluation (mmseg's test pipeline) = resize without ratio, no crop / flip / photometric, no pad,
 * and with keep_label_size the label map stays at its original size (metrics are computed there).
 * The photometric distortion works on uint8 (as mmseg's does), so the sample keeps the uint8 image
 * with `flipped`, mean / std and pad_shape; the image's flip, Normalize and Pad are one pass in the
 * network's input step (batch_input.h). The label map is flipped and padded here.
 */
#ifndef AK_SEG_TRANSFORMS_H
#define AK_SEG_TRANSFORMS_H

#include "core/error.h"
#include "core/rng.h"
#include "datasets/photometric.h"
#include "datasets/sample.h"

typedef struct ak_seg_aug {
    int scale_long, scale_short; /* img_scale (2048, 1024); 0, 0 = keep the size */
    float ratio_lo, ratio_hi;    /* ratio_range (0.5, 2.0); 0, 0 = no random ratio */
    int crop_h, crop_w;          /* crop_size (512, 1024); 0 = no crop */
    float cat_max_ratio;         /* 0.75; >= 1 disables the check */
    float flip_prob;             /* 0.5 */
    int photometric;             /* apply PhotoMetricDistortion */
    ak_photometric_cfg photo;
    double mean[3], std[3];
    int pad_h, pad_w;            /* Pad(size=...): pad to exactly this (0 = none) */
    int size_divisor;            /* or pad to a multiple (0 = none) */
    int keep_label_size;         /* evaluation: do not resize / pad the label map */
} ak_seg_aug;

/* mmseg PSPNet Cityscapes train (crop crop_h x crop_w) or test pipeline settings. */
ak_seg_aug ak_seg_aug_default(int train, int scale_long, int scale_short, int crop_h, int crop_w);

/* Transform w->img (RGB) and w->lab (train ids, 1 channel, same size) into `out` (both are used
 * as scratch). */
int ak_seg_transform(const ak_seg_aug *aug, ak_rng rng, ak_work *w, ak_sample *out, ak_error *err);

/* mmseg's crop acceptance test on a label crop: more than one class besides `ignore` and the largest
 * count / total < cat_max_ratio (in double). */
int ak_seg_crop_ok(const uint8_t *label, int h, int w, int y1, int y2, int x1, int x2, float cat_max_ratio,
                   uint8_t ignore);

#endif
