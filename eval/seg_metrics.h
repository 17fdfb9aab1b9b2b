/* Semantic-segmentation metrics: per-class IoU and accuracy, aAcc, mIoU, mAcc, accumulated over a
 * whole dataset as mmsegmentation's IoUMetric defines them (shared/fixtures/miou/README.md), but
 * with exact int64 counts (mmseg sums float32 histograms, which drift past 2^24 pixels per class).
 *
 * Per pixel: the ground-truth value is first mapped through gt_lut (Cityscapes labelIds ->
 * trainIds, or NULL for ground truth already in trainIds). Pixels whose mapped value is 255 are
 * not counted at all. Otherwise a ground truth c < num_classes counts in gt_area[c], a prediction
 * p < num_classes in pred_area[p], and p == c in intersect[c]; any other value (e.g. a prediction
 * of 255) is in no class, as torch.histc drops it in mmseg.
 *
 * The accumulator is a plain value (no heap inside); add() may run OpenMP threads over the pixels; counts
 * are integers, so results do not depend on the thread count. Same code for files (eval/seg_files.h)
 * and for in-memory evaluation during training.
 */
#ifndef AK_SEG_METRICS_H
#define AK_SEG_METRICS_H

#include <stdint.h>

#include "core/error.h"

#define AK_SEG_MAX_CLASSES 255
#define AK_SEG_IGNORE 255

typedef struct ak_seg_acc {
    int num_classes;
    int64_t intersect[AK_SEG_MAX_CLASSES];
    int64_t pred_area[AK_SEG_MAX_CLASSES];
    int64_t gt_area[AK_SEG_MAX_CLASSES];
} ak_seg_acc;

/* num_classes in 1..254 (19 for Cityscapes); AK_EINVAL otherwise. Zeroes the counts. */
int ak_seg_acc_init(ak_seg_acc *acc, int num_classes, ak_error *err);

/* Add n pixels: gt and pred are (n) uint8 label maps of the same image (e.g. H*W, row-major).
 * gt_lut: 256-entry table applied to gt values (NULL: identity). Errors: AK_EINVAL for an
 * uninitialised accumulator, AK_ENOMEM (a few KB of scratch per thread). */
int ak_seg_acc_add(ak_seg_acc *acc, const uint8_t *gt, const uint8_t *pred, int64_t n, const uint8_t *gt_lut,
                   ak_error *err);

/* dst += src (same num_classes; AK_EINVAL otherwise). */
int ak_seg_acc_merge(ak_seg_acc *dst, const ak_seg_acc *src, ak_error *err);

/* The Cityscapes labelId -> trainId table as a 256-entry lut (ids >= 34 map to 255). */
void ak_seg_cityscapes_lut(uint8_t lut[256]);

typedef struct ak_seg_metrics {
    int num_classes;
    int64_t union_[AK_SEG_MAX_CLASSES]; /* pred_area + gt_area - intersect */
    double iou[AK_SEG_MAX_CLASSES];     /* intersect / union, NaN when union == 0 */
    double acc[AK_SEG_MAX_CLASSES];     /* intersect / gt_area, NaN when gt_area == 0 */
    double miou, macc;                  /* numpy.nanmean of iou / acc (NaN when all NaN) */
    double aacc;                        /* sum(intersect) / sum(gt_area), NaN when no valid pixel */
    int64_t valid_pixels, correct_pixels; /* sum(gt_area), sum(intersect) */
} ak_seg_metrics;

void ak_seg_compute(const ak_seg_acc *acc, ak_seg_metrics *out);

#endif
