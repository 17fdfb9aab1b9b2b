/* The mmdet (2.x) detection pipeline after loading: Resize(img_scale, keep_ratio=True) ->
 * RandomFlip(flip_ratio) -> Normalize(mean, std, to_rgb) -> Pad(size_divisor), boxes following
 * every geometric step.
 *
 * Resize: new size from mmcv.rescale_size; the recorded factors are new_w / w and new_h / h (not the
 * rescale factor itself), rounded to float32, and boxes are multiplied by them in float32 and
 * clipped to the resized image, as mmdet does. Flip: x1' = w - x2. The sample keeps the resized
 * uint8 image with `flipped`, mean / std and pad_shape: the image flip, Normalize and Pad are one
 * pass in the network's input step (batch_input.h), with mmdet's float32 values. Randomness: the
 * flip decision is element AK_AUG_SLOT_FLIP of the sample's stream
 * ak_rng_stream(AK_STREAM_AUGMENT, epoch, index, 0).
 */
#ifndef AK_DET_TRANSFORMS_H
#define AK_DET_TRANSFORMS_H

#include <stdint.h>

#include "core/error.h"
#include "core/rng.h"
#include "datasets/sample.h"

/* Fixed element indices in a sample's augmentation stream (shared with the seg pipeline). */
enum {
    AK_AUG_SLOT_RATIO = 0,       /* resize ratio */
    AK_AUG_SLOT_CROP = 2,        /* crop offsets: 2 per attempt, 11 attempts -> 2..23 */
    AK_AUG_SLOT_FLIP = 30,
    AK_AUG_SLOT_PHOTOMETRIC = 40, /* 40..49 */
};

typedef struct ak_det_aug {
    int scale_long, scale_short; /* img_scale, e.g. 1333, 800; 0, 0 = keep the size */
    float flip_prob;             /* 0.5 for training, 0 for evaluation */
    double mean[3], std[3];      /* RGB, e.g. 123.675 116.28 103.53 / 58.395 57.12 57.375 */
    int size_divisor;            /* pad to a multiple of this (32); 0 = no padding */
} ak_det_aug;

/* mmdet RetinaNet's train (train = 1) or test pipeline settings at the given scale. */
ak_det_aug ak_det_aug_default(int train, int scale_long, int scale_short);

/* The augmentation stream of one sample. */
ak_rng ak_aug_rng(uint64_t seed, int64_t epoch, int64_t index);

/* Transform the decoded RGB image `img` (h, w, 3) with its boxes (original pixels, xyxy) into `out`
 * (image, boxes, labels, ignore regions, sizes, factors, flip, normalisation). Without a resize the
 * image is copied into out->image, unless img->data already is out->image (the loader decoded
 * straight into the sample's slot). img is not modified. */
int ak_det_transform(const ak_det_aug *aug, ak_rng rng, const ak_image *img, const float *boxes,
                     const int32_t *labels, int n_boxes, const float *ignore, int n_ignore, ak_sample *out,
                     ak_error *err);

#endif
