/* Anchor generation for RetinaNet (and torchvision FCOS, whose "anchors" are stride-sized boxes).
 *
 * Order: within a level, anchors run over rows y, columns x, then the A anchors of a location
 * (index (y*W + x)*A + a); a = r * n_scales + s (ratio-major), as both references lay them out, so
 * the head's channel a*K + k maps to anchor a.
 *
 * AK_DET_MMDET (mmdet AnchorGenerator, RetinaNet: octave_base_scale 4, scales_per_octave 3, ratios
 * 0.5/1/2, strides 8..128, center_offset 0): per level with stride s, base size s,
 *   h_r = sqrt(ratio), w_r = 1 / h_r, scale_i = octave_base_scale * 2^(i / scales_per_octave) (float),
 *   w = (s * w_r) * scale, h = (s * h_r) * scale, centre c = center_offset * s,
 *   base anchor = (c - 0.5 w, c - 0.5 h, c + 0.5 w, c + 0.5 h)  (not rounded),
 *   anchor = base + (x * s, y * s, x * s, y * s) with the configured stride s.
 * AK_DET_TORCHVISION (torchvision AnchorGenerator; RetinaNet sizes (x, int(x*2^(1/3)),
 * int(x*2^(2/3))) for x = 32..512, i.e. 32, 40, 50 at P3; FCOS sizes 8..128 with ratio 1):
 *   w = w_r * size, h = h_r * size, base = round((-w, -h, w, h) / 2) (half to even),
 *   strides from the input: (input_h / feat_h, input_w / feat_w) in integer division (so a
 *   128x160 input gives P7 (1x2) strides (128, 80), not 128), anchor = base + shift.
 * All arithmetic is float32 in the references' order.
 *
 * Errors: level out of range, sizes <= 0 -> AK_EINVAL with the field named.
 */
#ifndef AK_MODELS_ANCHORS_H
#define AK_MODELS_ANCHORS_H

#include <stdint.h>

#include "core/error.h"
#include "models/det_common.h"

typedef struct ak_anchor_cfg {
    ak_det_style style;
    int n_levels;
    int strides[AK_DET_MAX_LEVELS];       /* mmdet: the stride of each level */
    int n_ratios;
    float ratios[AK_DET_MAX_ANCHORS];     /* height / width */
    /* mmdet */
    float octave_base_scale;
    int scales_per_octave;
    float center_offset;
    /* torchvision: n_sizes sizes per level (in pixels) */
    int n_sizes;
    float sizes[AK_DET_MAX_LEVELS][AK_DET_MAX_ANCHORS];
} ak_anchor_cfg;

/* RetinaNet anchors in the given style (5 levels P3-P7, 9 anchors per location). */
ak_anchor_cfg ak_anchor_cfg_retinanet(ak_det_style style);
/* torchvision FCOS: one stride-sized square per location (sizes 8..128, ratio 1). */
ak_anchor_cfg ak_anchor_cfg_fcos_torchvision(void);

/* Anchors per location (scales x ratios). */
int ak_anchor_count(const ak_anchor_cfg *cfg);

/* Anchors of one level: out (feat_h * feat_w * A, 4). in_h / in_w: the network input (batch) size,
 * used by the torchvision style for its strides. */
int ak_anchors_level(const ak_anchor_cfg *cfg, int level, int feat_h, int feat_w, int in_h, int in_w, float *out,
                     ak_error *err);

/* mmdet valid flags of one level for an image padded to (pad_h, pad_w): locations with
 * y < min(ceil(pad_h / stride), feat_h) and x < min(ceil(pad_w / stride), feat_w) are valid (1),
 * others 0; out (feat_h * feat_w * A). */
void ak_anchor_valid_flags(int feat_h, int feat_w, int stride, int n_anchors, int pad_h, int pad_w, uint8_t *out);

#endif
