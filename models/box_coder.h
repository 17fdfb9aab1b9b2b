/* Box coders on host arrays (targets and inference; the training graph applies the same formulas
 * with tensor ops where a gradient is needed). All arithmetic is float32 in the references' order,
 * so encoded targets match them bit for bit (up to exp / log rounding).
 *
 * Delta (x, y, w, h) coder, anchors a and boxes b (n,4):
 *   AK_DET_MMDET (DeltaXYWHBBoxCoder, RetinaNet: means 0, stds 1):
 *     encode: pc = (a1 + a3) * 0.5, pw = a3 - a1 (same for y), gc, gw likewise,
 *             d = ((gc - pc) / pw, .., log(gw / pw), ..), then (d - mean) / std;
 *     decode: d = d * std + mean; dw, dh clamped to [-clip, clip];
 *             c = pc + pw * dx, w = pw * exp(dw), box = (c - 0.5 w, .., c + 0.5 w, ..).
 *   AK_DET_TORCHVISION (det_utils.BoxCoder, weights (1,1,1,1)):
 *     encode: pw = a3 - a1, pc = a1 + 0.5 pw, d = (wx * (gc - pc) / pw, .., ww * log(gw / pw), ..);
 *     decode: d / weights, dw, dh clamped above only (at clip), c = dx * pw + pc, w = exp(dw) * pw,
 *             box = (c - 0.5 w, ..).
 *   clip = log(1000 / 16) in both (mmdet wh_ratio_clip 16/1000).
 * Clipping to the image (mmdet max_shape / torchvision clip_boxes_to_image): x to [0, img_w],
 * y to [0, img_h], applied when img_h > 0.
 *
 * Point / distance coder (FCOS), point p = (px, py):
 *   mmdet distance2bbox: box = (px - l, py - t, px + r, py + b); bbox2distance the inverse.
 *   torchvision BoxLinearCoder(normalize_by_size): anchor centre c = 0.5 * (a1 + a3),
 *     encode: ((cx - b1) / aw, (cy - b2) / ah, (b3 - cx) / aw, (b4 - cy) / ah),
 *     decode: (cx - l * aw, cy - t * ah, cx + r * aw, cy + b * ah).
 */
#ifndef AK_MODELS_BOX_CODER_H
#define AK_MODELS_BOX_CODER_H

#include <stdint.h>

#include "models/det_common.h"

typedef struct ak_delta_coder {
    ak_det_style style;
    float means[4], stds[4]; /* mmdet */
    float weights[4];        /* torchvision */
    float clip;              /* log(1000/16) */
} ak_delta_coder;

/* means 0, stds 1, weights 1, clip log(1000/16). */
ak_delta_coder ak_delta_coder_default(ak_det_style style);

void ak_delta_encode(const ak_delta_coder *c, const float *anchors, const float *boxes, int64_t n, float *out);
/* img_h <= 0: no clipping to the image. */
void ak_delta_decode(const ak_delta_coder *c, const float *anchors, const float *deltas, int64_t n, int img_h,
                     int img_w, float *out);

/* Clip boxes (n,4) in place: x to [0, img_w], y to [0, img_h]. */
void ak_boxes_clip(float *boxes, int64_t n, int img_h, int img_w);

/* mmdet distance2bbox / bbox2distance: points (n,2), dist (n,4) l,t,r,b. img_h <= 0: no clip. */
void ak_distance_decode(const float *points, const float *dist, int64_t n, int img_h, int img_w, float *out);
void ak_distance_encode(const float *points, const float *boxes, int64_t n, float *out);
/* torchvision BoxLinearCoder(normalize_by_size=True): anchors (n,4). */
void ak_linear_encode(const float *anchors, const float *boxes, int64_t n, float *out);
void ak_linear_decode(const float *anchors, const float *codes, int64_t n, int img_h, int img_w, float *out);

#endif
