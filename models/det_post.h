/* Inference post-processing of dense detection heads (RetinaNet, FCOS), per image:
 *   per level: scores -> keep scores > score_thr -> the nms_pre best (decreasing score, ties by
 *   flattened (prior, class) index) -> decode their boxes, clip to the image (img_h, img_w);
 *   then all levels: batched (class-wise) NMS at nms_iou -> the first max_per_img; boxes divided by
 *   the image's scale factor (resized / original size): mmdet divides before NMS
 *   (_bbox_post_process), torchvision after (transform.postprocess).
 * Scores (K classes, sigmoid s = 1 / (1 + exp(-x))):
 *   AK_SCORE_SIGMOID : s(cls)                                    (RetinaNet, both styles)
 *   AK_SCORE_SQRT_CTR: sqrt(s(cls) * s(ctr)), thresholded        (torchvision FCOS)
 *   AK_SCORE_MUL_CTR : threshold / top-k on s(cls), final score s(cls) * s(ctr)  (mmdet FCOS)
 * Decoding: AK_DECODE_DELTA (anchors, models/box_coder.h delta coder), AK_DECODE_LINEAR
 *   (torchvision BoxLinearCoder on anchors), AK_DECODE_DISTANCE (mmdet points; the regression, in
 *   stride units under norm_on_bbox, is multiplied by the level's stride as mmdet does at test time;
 *   pass strides NULL for distances already in pixels).
 * Output boxes are x1,y1,x2,y2 in the original image's pixels, labels in [0, K).
 * Errors: AK_ENOMEM; AK_EINVAL for a bad configuration (named).
 */
#ifndef AK_MODELS_DET_POST_H
#define AK_MODELS_DET_POST_H

#include "datasets/coco_json.h"
#include "models/box_coder.h"
#include "models/det_levels.h"
#include "models/nms.h"

typedef enum ak_det_score_mode { AK_SCORE_SIGMOID = 0, AK_SCORE_SQRT_CTR = 1, AK_SCORE_MUL_CTR = 2 } ak_det_score_mode;
typedef enum ak_det_decode_mode { AK_DECODE_DELTA = 0, AK_DECODE_LINEAR = 1, AK_DECODE_DISTANCE = 2 } ak_det_decode_mode;

typedef struct ak_det_test_cfg {
    ak_det_style style;      /* rescale before (mmdet) or after (torchvision) NMS */
    float score_thr;         /* 0.05 */
    int nms_pre;             /* 1000 per level */
    float nms_iou;           /* 0.5 (RetinaNet), 0.6 (FCOS presets) */
    int max_per_img;         /* 100 (mmdet); torchvision RetinaNet's default is 300 */
    ak_batched_nms_mode nms_mode;
} ak_det_test_cfg;

/* Detections of one image; arrays malloc'd (free with ak_det_result_free). */
typedef struct ak_det_result {
    int64_t n;
    float *boxes;   /* (n, 4) */
    float *scores;  /* (n) */
    int32_t *labels;/* (n) */
} ak_det_result;

void ak_det_result_free(ak_det_result *r);

/* One image. cls (M, K), reg (M, 4), ctr (M) or NULL, priors: anchors (M, 4) or points (M, 2).
 * strides: per level (AK_DECODE_DISTANCE only; may be NULL). */
int ak_det_postprocess(const ak_det_test_cfg *cfg, ak_det_score_mode sm, ak_det_decode_mode dm,
                       const ak_delta_coder *coder, const ak_det_levels *lv, const int *strides, int K,
                       const float *cls, const float *reg, const float *ctr, const float *priors,
                       const ak_det_image *img, ak_det_result *res, ak_error *err);

/* COCO results records for one image: bbox (x, y, w, h) in double, category_id = cat_ids[label]
 * (or label when cat_ids is NULL). out must hold r->n records. */
void ak_det_result_to_coco(const ak_det_result *r, int64_t image_id, const int64_t *cat_ids, ak_coco_det *out);

#endif
