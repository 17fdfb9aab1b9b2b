/* Non-maximum suppression with the exact semantics of torchvision.ops.nms / batched_nms (0.14, CPU)
 * and of mmcv's nms / batched_nms (mmdet 2.x).
 *
 * ak_nms (one class): boxes are visited in decreasing score order, ties by increasing index (a
 *   stable sort, as torchvision's CPU kernel); a visited, not yet suppressed box is kept and
 *   suppresses every later box j with IoU > iou_thr, IoU computed in float exactly as the kernels:
 *   area = (x2-x1)*(y2-y1) (precomputed), inter = max(0, min(x2)-max(x1)) * max(0, min(y2)-max(y1)),
 *   iou = inter / (area_i + area_j - inter). torchvision compares the float IoU with the threshold in
 *   double (its iou_threshold is a double), mmcv in float (AK_NMS_MMCV).
 * ak_batched_nms (NMS within each label only), modes:
 *   AK_BNMS_TORCHVISION : torchvision.ops.batched_nms on CPU: the per-class loop when 4*n > 4000,
 *                         else the coordinate trick;
 *   AK_BNMS_COORD_TRICK : boxes shifted by label * (max coordinate + 1) (float), one ak_nms;
 *   AK_BNMS_PER_CLASS   : ak_nms per label; kept indices then ordered by score (ties by index);
 *   AK_BNMS_MMCV        : mmcv.ops.batched_nms: offsets as the coordinate trick; below split_thr
 *                         (10000) boxes one nms, else per label on the shifted boxes, then ordered
 *                         by score; float threshold.
 * Output: keep receives the kept indices into the input arrays, in decreasing score order; the
 * return value is their count (>= 0) or a negative ak_code (AK_ENOMEM; AK_EINVAL for n < 0 or a
 * NaN threshold) with err set. keep must hold n entries. Scratch memory is malloc'd and freed.
 */
#ifndef AK_MODELS_NMS_H
#define AK_MODELS_NMS_H

#include <stdint.h>

#include "core/error.h"

typedef enum ak_nms_impl { AK_NMS_TORCHVISION = 0, AK_NMS_MMCV = 1 } ak_nms_impl;

typedef enum ak_batched_nms_mode {
    AK_BNMS_TORCHVISION = 0,
    AK_BNMS_COORD_TRICK = 1,
    AK_BNMS_PER_CLASS = 2,
    AK_BNMS_MMCV = 3,
} ak_batched_nms_mode;

/* boxes (n,4), scores (n). */
int64_t ak_nms(const float *boxes, const float *scores, int64_t n, double iou_thr, ak_nms_impl impl, int64_t *keep,
               ak_error *err);
/* boxes (n,4), scores (n), labels (n). */
int64_t ak_batched_nms(const float *boxes, const float *scores, const int32_t *labels, int64_t n, double iou_thr,
                       ak_batched_nms_mode mode, int64_t *keep, ak_error *err);

/* Indices 0..n-1 ordered by decreasing value, ties by increasing index (stable). order: n entries. */
void ak_argsort_desc(const float *v, int64_t n, int64_t *order);

#endif
