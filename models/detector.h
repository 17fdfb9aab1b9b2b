/* A one-stage detector: ResNet backbone (models/resnet.h) + FPN (models/fpn.h) + a dense head
 * (RetinaNet, models/retinanet.h, or FCOS, models/fcos.h), with parameter names "backbone.*",
 * "neck.*", "bbox_head.*" (mmdet keys; models/det_keys.h maps torchvision's).
 *
 * Training: ak_detector_loss runs forward with the tape on and returns the loss terms (scalars in the
 * ctx arena; call ak_backward(ctx, losses.total)). Inference: ak_detector_predict runs forward with
 * recording off and returns per-image detections (original-image pixels), convertible to COCO result
 * records with ak_detector_coco.
 *
 * Input: x (N, 3, H, W), normalised and padded (H, W multiples of 32 in the presets); imgs (N)
 * describe each image's resized / padded size and scale (models/det_common.h). Taps: backbone.c2..c5,
 * neck.p3..p7, head.* (see the head files).
 * Presets (ak_detector_cfg_preset): mmdet - ResNet "pytorch" style, frozen_stages 1, norm_eval
 * (BN statistics frozen, affine trained), FPN and head per the mmdet configs; torchvision - the same
 * frozen stem + layer1, every BN a FrozenBatchNorm2d (statistics and affine fixed), FPN
 * LastLevelP6P7(256, 256).
 * Errors: configuration -> AK_EINVAL naming the field; everything else as the parts.
 */
#ifndef AK_MODELS_DETECTOR_H
#define AK_MODELS_DETECTOR_H

#include "datasets/coco_json.h"
#include "models/det_keys.h"
#include "models/fcos.h"
#include "models/fpn.h"
#include "models/resnet.h"
#include "models/retinanet.h"

typedef struct ak_detector_cfg {
    ak_det_head_kind kind;
    ak_det_style style;
    ak_resnet_cfg backbone;
    bool freeze_bn_affine; /* torchvision FrozenBatchNorm2d: BN weight / bias not trained */
    ak_fpn_cfg neck;       /* in_channels filled from the backbone by ak_detector_init */
    ak_retina_cfg retina;
    ak_fcos_cfg fcos;
} ak_detector_cfg;

ak_detector_cfg ak_detector_cfg_preset(ak_det_head_kind kind, ak_det_style style, int depth, int num_classes);

typedef struct ak_detector {
    ak_detector_cfg cfg;
    ak_resnet backbone;
    ak_fpn neck;
    ak_retina_head retina;
    ak_fcos_head fcos;
} ak_detector;

int ak_detector_init(ak_detector *d, ak_params *ps, const ak_detector_cfg *cfg, uint64_t seed, ak_error *err);
void ak_detector_free(ak_detector *d);

/* Backbone -> neck -> head. train: batch statistics in the backbone's trainable BNs. */
int ak_detector_forward(ak_ctx *ctx, const ak_detector *d, ak_tensor *x, bool train, ak_dense_out *out,
                        ak_taps *taps);
/* Priors of a forward's output (anchors (M,4), or FCOS mmdet points (M,2)), arena memory. */
float *ak_detector_priors(ak_ctx *ctx, const ak_detector *d, const ak_dense_out *o, int in_h, int in_w);

/* Forward (training mode) + loss. imgs may be NULL (whole input valid). matched: NULL or N*M. */
int ak_detector_loss(ak_ctx *ctx, const ak_detector *d, ak_tensor *x, const ak_det_image *imgs,
                     const ak_det_target *targets, ak_det_losses *losses, ak_taps *taps, int32_t *matched);

/* Forward (eval, no tape) + post-processing; res: N entries, free each with ak_det_result_free. */
int ak_detector_predict(ak_ctx *ctx, const ak_detector *d, ak_tensor *x, const ak_det_image *imgs, ak_det_result *res,
                        ak_taps *taps);

/* Detections of n images as COCO result records (image_ids[i]; category_id = cat_ids[label], or the
 * label when cat_ids is NULL), appended in image order. out->dets malloc'd (ak_coco_dets_free). */
int ak_detector_coco(const ak_det_result *res, int n, const int64_t *image_ids, const int64_t *cat_ids,
                     ak_coco_dets *out, ak_error *err);

#endif
