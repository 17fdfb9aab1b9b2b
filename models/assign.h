/* IoU-based anchor assignment: mmdet MaxIoUAssigner and torchvision det_utils.Matcher.
 *
 * Output per anchor (out, A entries): a gt index >= 0 (positive), AK_ASSIGN_NEG (background) or
 * AK_ASSIGN_IGNORE (no classification or box loss). IoU(g, a) as torchvision box_iou / mmdet
 * bbox_overlaps (eps 1e-6 there: union = max(union, eps)) in float32; the (G, A) matrix is never
 * stored: it is recomputed per pass with identical arithmetic.
 *
 * For each anchor, m = max_g IoU and g* = the first g attaining it.
 *   AK_DET_TORCHVISION (Matcher(0.5, 0.4, allow_low_quality_matches=True), RetinaNet):
 *     m < neg_thr -> NEG; neg_thr <= m < pos_thr -> IGNORE; else g*.
 *     Low-quality: for each gt g with best IoU q_g = max_a IoU(g, a), every anchor with
 *     IoU(g, a) == q_g gets back ITS OWN g* (not necessarily g) - torchvision's semantics.
 *   AK_DET_MMDET (MaxIoUAssigner(pos 0.5, neg 0.4, min_pos_iou 0), RetinaNet):
 *     0 <= m < neg_thr -> NEG; m >= pos_thr -> g*; otherwise IGNORE.
 *     Low-quality (match_low_quality): for g = 0..G-1 in order, if q_g >= min_pos_iou: with
 *     gt_max_assign_all every anchor with IoU(g, a) == q_g is assigned g (later gts overwrite
 *     earlier ones), else only the first such anchor.
 *     Ignore regions (crowd boxes) with ignore_iof_thr > 0: anchors whose IoF (intersection over
 *     the anchor's area) with any ignore box exceeds the threshold get IoU -1 with every gt, so
 *     they end IGNORE unless a low-quality match picks them (mmdet semantics).
 *   Both: with no gt every valid anchor is NEG. Anchors with valid[a] == 0 (mmdet valid flags)
 *   are IGNORE and take no part in the maxima.
 * Both quirks of min_pos_iou 0 / allow_low_quality are kept: a gt that overlaps no anchor at all
 * (q_g = 0) makes every anchor with zero IoU to it positive (mmdet: to g; torchvision: to g*).
 *
 * Errors: G or A < 0 -> AK_EINVAL; out of memory -> AK_ENOMEM.
 */
#ifndef AK_MODELS_ASSIGN_H
#define AK_MODELS_ASSIGN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "models/det_common.h"

#define AK_ASSIGN_NEG (-1)
#define AK_ASSIGN_IGNORE (-2)

typedef struct ak_iou_assign_cfg {
    ak_det_style style;
    float pos_iou_thr, neg_iou_thr, min_pos_iou;
    bool match_low_quality;
    bool gt_max_assign_all; /* mmdet */
    float ignore_iof_thr;   /* mmdet; <= 0: ignore boxes unused */
    float eps;              /* union floor: 1e-6 (mmdet), 0 (torchvision) */
} ak_iou_assign_cfg;

/* RetinaNet's settings in the given style. */
ak_iou_assign_cfg ak_iou_assign_cfg_retinanet(ak_det_style style);

/* gt (G,4), ignore (n_ignore,4) or NULL, anchors (A,4), valid (A) or NULL -> out (A). */
int ak_assign_max_iou(const ak_iou_assign_cfg *cfg, const float *gt, int64_t G, const float *ignore,
                      int64_t n_ignore, const float *anchors, int64_t A, const uint8_t *valid, int32_t *out,
                      ak_error *err);

/* IoU of two boxes with precomputed areas, exactly as torchvision box_iou (eps 0) / mmdet (eps). */
static inline float ak_iou_pair(const float *g, float area_g, const float *a, float area_a, float eps) {
    float lx = g[0] > a[0] ? g[0] : a[0], ly = g[1] > a[1] ? g[1] : a[1];
    float rx = g[2] < a[2] ? g[2] : a[2], ry = g[3] < a[3] ? g[3] : a[3];
    float w = rx - lx, h = ry - ly;
    w = w > 0.0f ? w : 0.0f;
    h = h > 0.0f ? h : 0.0f;
    float inter = w * h;
    float uni = area_g + area_a - inter;
    if (eps > 0.0f && uni < eps)
        uni = eps;
    return inter / uni;
}

#endif
