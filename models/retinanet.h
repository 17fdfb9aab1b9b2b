/* RetinaNet head (mmdet RetinaHead == torchvision RetinaNetHead), its training loss and inference.
 *
 * Head, per FPN level x (N, in_channels, H, W): cls = retina_cls(relu(conv_4(..relu(conv_1(x))))),
 * reg likewise on its own tower; 3x3 convs with bias; outputs (N, A*K, H, W) and (N, A*4, H, W),
 * flattened to (N, M, K) / (N, M, 4) (models/det_levels.h). Init: every conv N(0, init_std 0.01),
 * biases 0, retina_cls bias -log((1 - 0.01) / 0.01).
 * Names (mmdet): <p>.cls_convs.<i>.conv.*, <p>.reg_convs.<i>.conv.*, <p>.retina_cls.*, <p>.retina_reg.*
 * (torchvision: models/det_keys.h). Taps: "head.cls.p<k>", "head.reg.p<k>" = the raw per-level
 * outputs of retina_cls / retina_reg (k = first_level + l, 3 for P3).
 *
 * Loss (per image: non-crowd gts, IoU assignment models/assign.h against all anchors):
 *   cls: sigmoid focal loss (alpha 0.25, gamma 2) over all (anchor, class) pairs except ignored
 *        anchors, one-hot targets at the matched gt's label;
 *   box: L1 between the predicted deltas and the encoded gt (models/box_coder.h) over positives.
 *   Normalisation - mmdet: both sums over the batch divided by sum_i max(npos_i, 1) (+ FLT_EPSILON,
 *   weight_reduce_loss); torchvision: each image's sum divided by max(1, npos_i), then the mean over
 *   images. mmdet additionally ignores anchors outside each image's pad_shape (valid flags).
 * Inference: models/det_post.h with sigmoid scores and delta decoding.
 */
#ifndef AK_MODELS_RETINANET_H
#define AK_MODELS_RETINANET_H

#include "models/anchors.h"
#include "models/assign.h"
#include "models/box_coder.h"
#include "models/det_post.h"
#include "models/layers.h"
#include "models/taps.h"

#define AK_HEAD_MAX_CONVS 8

typedef struct ak_retina_cfg {
    ak_det_style style;
    int in_channels, feat_channels, stacked_convs, num_classes;
    float prior_prob, init_std;
    int first_level;           /* pyramid level of the first input (3: P3), for tap names */
    ak_anchor_cfg anchors;
    ak_iou_assign_cfg assign;
    ak_delta_coder coder;
    float focal_alpha, focal_gamma;
    float cls_weight, box_weight;
    ak_det_test_cfg test;
} ak_retina_cfg;

/* The reference settings: 256 channels, 4 convs, 9 anchors, 0.5 / 0.4 assignment, focal 0.25 / 2,
 * test score 0.05, nms_pre 1000, NMS 0.5, 100 detections (torchvision: 300, its default). */
ak_retina_cfg ak_retina_cfg_default(ak_det_style style, int num_classes);

typedef struct ak_retina_head {
    ak_retina_cfg cfg;
    char prefix[64];
    int A;
    ak_conv_layer cls_convs[AK_HEAD_MAX_CONVS], reg_convs[AK_HEAD_MAX_CONVS];
    ak_conv_layer cls_out, reg_out;
} ak_retina_head;

/* Output of a dense head's forward: flattened tensors and the level layout. */
typedef struct ak_dense_out {
    ak_det_levels lv;
    ak_tensor *cls; /* (N, M, K) logits */
    ak_tensor *reg; /* (N, M, 4) */
    ak_tensor *ctr; /* (N, M, 1) centerness logits (FCOS) or NULL */
} ak_dense_out;

/* Per-image results of a loss computation. */
typedef struct ak_det_losses {
    ak_tensor *cls, *box, *ctr; /* scalars; ctr NULL for RetinaNet */
    ak_tensor *total;           /* weighted sum */
    int64_t num_pos;            /* positives over the batch */
} ak_det_losses;

int ak_retina_head_init(ak_retina_head *h, ak_params *ps, const char *prefix, const ak_retina_cfg *cfg, uint64_t seed,
                        ak_error *err);
/* feats: n levels (N, in_channels, H_l, W_l). */
int ak_retina_head_forward(ak_ctx *ctx, const ak_retina_head *h, ak_tensor *const *feats, int n, ak_dense_out *out,
                           ak_taps *taps);

/* Anchors (M, 4) for the output's levels; in_h / in_w the network input size. Arena memory. */
float *ak_retina_anchors(ak_ctx *ctx, const ak_retina_head *h, const ak_dense_out *o, int in_h, int in_w);

/* Training loss. imgs (N) may be NULL (all anchors valid); targets (N). matched: NULL or N*M ints
 * receiving the assignment (models/assign.h codes). Returns 0 or ctx->err.code. */
int ak_retina_loss(ak_ctx *ctx, const ak_retina_head *h, const ak_dense_out *o, const float *anchors,
                   const ak_det_image *imgs, const ak_det_target *targets, ak_det_losses *out, int32_t *matched);

/* Detections for each of the N images (res: N entries; free each with ak_det_result_free). */
int ak_retina_predict(const ak_retina_head *h, const ak_dense_out *o, const float *anchors, const ak_det_image *imgs,
                      ak_det_result *res, ak_error *err);

#endif
