/* FCOS head (mmdet FCOSHead and torchvision FCOSHead), its training loss and inference.
 *
 * Head, per FPN level x: two towers of stacked_convs x (3x3 conv [bias when conv_bias] -> GroupNorm
 * (gn_groups) -> ReLU); cls = conv_cls(cls tower), raw = conv_reg(reg tower),
 * ctr = conv_centerness(reg tower if centerness_on_reg else cls tower), and the box output
 *   AK_FCOS_BBOX_EXP      : exp(scale_l * raw)              (mmdet norm_on_bbox False; pixels)
 *   AK_FCOS_BBOX_RELU_NORM: max(scale_l * raw, 0)           (mmdet norm_on_bbox True; stride units)
 *   AK_FCOS_BBOX_RELU_TV  : relu(raw)                       (torchvision; units of the anchor size)
 * with scale_l a learnable scalar per level (mmdet Scale(1.0); use_scale) or absent (torchvision).
 * Outputs flattened to (N, M, K), (N, M, 4), (N, M, 1) (one prior per location).
 * Init: convs N(0, 0.01), biases 0, GN weight 1 bias 0, conv_cls bias -log(99), scales 1.
 * Names (mmdet): <p>.cls_convs.<i>.conv.*, <p>.cls_convs.<i>.gn.*, <p>.reg_convs.<i>.*, <p>.conv_cls.*,
 * <p>.conv_reg.*, <p>.conv_centerness.*, <p>.scales.<l>.scale (torchvision: models/det_keys.h).
 * Taps: "head.cls.p<k>", "head.reg.p<k>" (raw conv_reg output), "head.ctr.p<k>".
 *
 * Priors: mmdet points ((x + 0.5) * s, (y + 0.5) * s); torchvision anchors of size s centred at
 * (x * s, y * s) (models/anchors.h, with its input-derived strides).
 * Assignment (models/fcos_targets.c) per image, gt index or -1 per prior:
 *   mmdet : inside the gt (or, with center_sampling, inside the gt clipped to centre +- radius *
 *           stride) strictly; max(l, t, r, b) in the level's regress range [lo, hi] (inclusive;
 *           (-1, 64), (64, 128), (128, 256), (256, 512), (512, 1e8)); the smallest-area gt wins
 *           (first on ties).
 *   torchvision: |prior centre - gt centre| < radius * size in both axes, strictly inside the gt,
 *           4 * size < max(l, t, r, b) < 8 * size (no lower bound on the first level, no upper on
 *           the last); the gt maximising float32 (1e8 - area) wins (first on ties).
 * Loss: sigmoid focal over all priors; box loss on positives: GIoU (or mmdet's IoU loss) between
 *   the decoded prediction and the gt; centerness BCE on positives against
 *   sqrt(min(l, r) / max(l, r) * min(t, b) / max(t, b)).
 *   mmdet: focal / max(num_pos, 1); box loss weighted by the centerness targets and divided by
 *   max(sum of them, 1e-6); centerness / max(num_pos, 1) (each + FLT_EPSILON).
 *   torchvision: all three sums / max(1, num_pos), num_pos over the batch; GIoU eps 1e-7.
 * Inference: models/det_post.h (torchvision: sqrt(s(cls) s(ctr)) scores, linear decoding;
 *   mmdet: s(cls) for threshold and top-k, s(cls) s(ctr) for NMS, distance decoding).
 */
#ifndef AK_MODELS_FCOS_H
#define AK_MODELS_FCOS_H

#include "models/retinanet.h"

typedef enum ak_fcos_bbox {
    AK_FCOS_BBOX_EXP = 0,
    AK_FCOS_BBOX_RELU_NORM = 1,
    AK_FCOS_BBOX_RELU_TV = 2,
} ak_fcos_bbox;

typedef enum ak_fcos_box_loss { AK_FCOS_LOSS_GIOU = 0, AK_FCOS_LOSS_IOU = 1 } ak_fcos_box_loss;

typedef struct ak_fcos_cfg {
    ak_det_style style;
    int in_channels, feat_channels, stacked_convs, num_classes, gn_groups;
    bool conv_bias, centerness_on_reg, use_scale;
    ak_fcos_bbox bbox;
    int n_levels;
    int strides[AK_DET_MAX_LEVELS];
    float regress_ranges[AK_DET_MAX_LEVELS][2]; /* mmdet */
    bool center_sampling;                       /* torchvision always samples */
    float center_radius;
    float prior_prob, init_std;
    int first_level;
    ak_anchor_cfg anchors; /* torchvision priors */
    ak_fcos_box_loss box_loss;
    float focal_alpha, focal_gamma;
    float cls_weight, box_weight, ctr_weight;
    ak_det_test_cfg test;
} ak_fcos_cfg;

/* mmdet: the paper preset fcos_center-normbbox-centeronreg-giou (conv bias, centerness on the
 * regression tower, norm_on_bbox, center sampling 1.5, GIoU, scales, test NMS 0.6, score 0.05);
 * torchvision: fcos_resnet50_fpn (score 0.2, NMS 0.6, 100 detections). */
ak_fcos_cfg ak_fcos_cfg_default(ak_det_style style, int num_classes);

typedef struct ak_fcos_head {
    ak_fcos_cfg cfg;
    char prefix[64];
    ak_conv_layer cls_convs[AK_HEAD_MAX_CONVS], reg_convs[AK_HEAD_MAX_CONVS];
    ak_gn_layer cls_gn[AK_HEAD_MAX_CONVS], reg_gn[AK_HEAD_MAX_CONVS];
    ak_conv_layer conv_cls, conv_reg, conv_ctr;
    ak_tensor *scales[AK_DET_MAX_LEVELS]; /* NULL without use_scale */
} ak_fcos_head;

int ak_fcos_head_init(ak_fcos_head *h, ak_params *ps, const char *prefix, const ak_fcos_cfg *cfg, uint64_t seed,
                      ak_error *err);
int ak_fcos_head_forward(ak_ctx *ctx, const ak_fcos_head *h, ak_tensor *const *feats, int n, ak_dense_out *out,
                         ak_taps *taps);

/* Priors of the output's levels: torchvision anchors (M, 4) or mmdet points (M, 2). Arena memory. */
float *ak_fcos_priors(ak_ctx *ctx, const ak_fcos_head *h, const ak_dense_out *o, int in_h, int in_w);

/* Per-image assignment: out (M) gt index into gt_boxes or -1. priors as ak_fcos_priors. */
int ak_fcos_match(const ak_fcos_cfg *cfg, const ak_det_levels *lv, const float *priors, const float *gt_boxes,
                  int64_t n_gt, int32_t *out, ak_error *err);

int ak_fcos_loss(ak_ctx *ctx, const ak_fcos_head *h, const ak_dense_out *o, const float *priors,
                 const ak_det_target *targets, ak_det_losses *out, int32_t *matched);

int ak_fcos_predict(const ak_fcos_head *h, const ak_dense_out *o, const float *priors, const ak_det_image *imgs,
                    ak_det_result *res, ak_error *err);

#endif
