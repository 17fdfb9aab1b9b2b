/* Shared vocabulary of the detection code (anchors, assignment, box coding, heads, detectors):
 * which reference implementation's behaviour to follow, level limits, per-image targets and
 * image geometry. models/DETECTION.md lists what each style changes.
 *
 * Boxes everywhere are x1, y1, x2, y2 float rows in image pixels (the network input's frame).
 */
#ifndef AK_MODELS_DET_COMMON_H
#define AK_MODELS_DET_COMMON_H

#include <stdbool.h>
#include <stdint.h>

/* AK_DET_MMDET: mmdet 2.x (the code base of the paper's numbers; the presets use it).
 * AK_DET_TORCHVISION: torchvision 0.14 (the parity fixtures compare against it). */
typedef enum ak_det_style { AK_DET_MMDET = 0, AK_DET_TORCHVISION = 1 } ak_det_style;

#define AK_DET_MAX_LEVELS 6
#define AK_DET_MAX_ANCHORS 16 /* anchors per location */

/* Ground truth of one image. boxes (n,4), labels (n) in [0, num_classes), crowd (n) or NULL.
 * Crowd boxes are never positives: torchvision drops them, mmdet passes them as ignore regions
 * (used when the assigner's ignore_iof_thr > 0). The arrays are borrowed. */
typedef struct ak_det_target {
    const float *boxes;
    const int32_t *labels;
    const uint8_t *crowd;
    int64_t n;
} ak_det_target;

/* Geometry of one image of a batch: the network input is (H, W) (batch padded);
 *   img_h, img_w : the resized image before padding (mmdet img_shape; torchvision image_sizes):
 *                  boxes are clipped to it at inference;
 *   pad_h, pad_w : mmdet pad_shape (the image padded alone, e.g. to a multiple of 32): anchors beyond
 *                  it are invalid in training (mmdet valid flags); 0 means the whole input;
 *   scale_w, scale_h: resized / original size (mmdet scale_factor); detections are divided by it
 *                  (1 = no rescaling). */
typedef struct ak_det_image {
    int img_h, img_w;
    int pad_h, pad_w;
    float scale_w, scale_h;
} ak_det_image;

#endif
