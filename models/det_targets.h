/* Helpers shared by the detection losses: checking and splitting one image's ground truth, and the
 * mmdet valid flags of all levels.
 */
#ifndef AK_MODELS_DET_TARGETS_H
#define AK_MODELS_DET_TARGETS_H

#include "core/ctx.h"
#include "models/det_levels.h"

/* One image's ground truth split into non-crowd boxes / labels and crowd (ignore) boxes, in arena
 * memory. Fails (AK_EINVAL / AK_ERANGE, naming the image and box) on a degenerate box
 * (x2 <= x1 or y2 <= y1, refused by torchvision too), a non-finite coordinate or a label outside
 * [0, num_classes). */
typedef struct ak_gt_split {
    float *boxes;
    int32_t *labels;
    int64_t n;
    float *ignore;
    int64_t n_ignore;
} ak_gt_split;

int ak_gt_split_init(ak_ctx *ctx, const ak_det_target *t, int image, int num_classes, ak_gt_split *out);

/* mmdet valid flags (M) of all levels for one image (pad_h / pad_w 0: the whole input); strides per
 * level. Arena memory; NULL + error when out of memory. */
uint8_t *ak_det_valid_flags(ak_ctx *ctx, const ak_det_levels *lv, const int *strides, const ak_det_image *img);

#endif
