/* Avatar capacity (akd/capacity.h) of a detection teacher (RetinaNet or FCOS, models/detector.h):
 * the callbacks that run the frozen detector head on K avatars of its FPN levels and score every
 * setting with COCO AP (eval/coco_eval.h), used by `akdbench avatars eval` (bench/cmd_avatars.c).
 *
 * Per validation batch the caller runs the teacher's backbone + neck once (ak_det_capacity_neck:
 * eval-mode BN, tape off), describes the batch (ak_det_capacity_set_batch) and hands the distilled
 * levels (ak_det_capacity_features: feature i = the neck level named by taps[i], in the order of
 * the tap list, so avatar keys (seed, batch, i, k) use the tap index as training does) to
 * ak_capacity_batch with the callbacks below.
 *
 * Head (ak_det_capacity_head): the neck levels with the distilled ones replaced by the given
 * (perturbed) features, the others vanilla, through the detection head; returns ONE tensor
 *   (N, M, Kc + 4) RetinaNet / (N, M, Kc + 5) FCOS = concat along the last axis of
 *   [class logits (N, M, Kc) | box outputs (N, M, 4) | FCOS centerness logits (N, M, 1)],
 * rows in the flattening order of models/det_levels.h (level, y, x, anchor). These are the raw head
 * outputs before decoding: RetinaNet box deltas; FCOS the box distances after the level scale and
 * ReLU (exp) - what mmdet's FCOSHead.forward returns and what its decoding consumes.
 * ak_capacity averages these over the K avatars (as it averages segmentation logits).
 * Accumulate (ak_det_capacity_accumulate): splits the (mean) output back into cls / box / ctr and
 * runs the model's normal inference on it (priors, score threshold, top-k, NMS, rescaling to the
 * original image: ak_retina_predict / ak_fcos_predict, the path of ak_detector_predict), appending
 * the COCO result records of the batch's first n_images images to the setting's list (dets[s]).
 * So the vanilla setting (0) gives exactly the detections of ak_detector_predict and, over the whole
 * validation set, the AP of bench/train/det_eval.h.
 * ak_det_capacity_finish evaluates every setting against the ground truth restricted to the images
 * that were predicted (every image when the whole set was run: then the evaluation is that of
 * ak_det_evaluate; a subset is scored as pycocotools with params.imgIds set to it);
 * ak_det_capacity_metric then returns a setting's AP (stats[0]; ev[s] holds all 12 numbers).
 *
 * Ownership: ak_det_capacity borrows the detector, the cat_ids and the batch description (they must
 * outlive the calls that use them); it owns dets[], the list of image ids and ev[]
 * (ak_det_capacity_free). It is large (one evaluation per setting): keep it off the stack.
 * Errors: a tap that is not a neck level of this detector -> AK_EINVAL naming the tap, `what` (the
 * option or config key it came from) and the valid names; more than AK_CAPACITY_MAX_SETTINGS
 * settings -> AK_EINVAL; allocation failures AK_ENOMEM; callbacks set ctx->err (head: NULL).
 */
#ifndef AK_DET_CAPACITY_H
#define AK_DET_CAPACITY_H

#include "akd/capacity.h"
#include "eval/coco_eval.h"
#include "models/detector.h"

typedef struct ak_det_capacity {
    const ak_detector *det;
    int n_levels;                     /* neck outputs */
    int n_feat;                       /* distilled levels */
    int feat_level[AK_FPN_MAX_OUT];   /* neck output index replaced by feature i */
    char feat_tap[AK_FPN_MAX_OUT][AK_TAP_NAME_LEN];
    const int64_t *cat_ids;           /* (num_classes) COCO id of each label; NULL: the label */
    int n_settings;
    /* the current batch (ak_det_capacity_set_batch) */
    ak_tensor *levels[AK_FPN_MAX_OUT];
    const ak_det_image *imgs;
    const int64_t *image_ids;
    int n_images; /* images of the batch whose detections count (the first n_images) */
    int in_h, in_w;
    ak_det_levels lv; /* level layout of the last head call */
    /* results */
    ak_coco_dets dets[AK_CAPACITY_MAX_SETTINGS];
    int64_t *seen_ids, n_seen, seen_cap;
    bool evaluated;
    ak_coco_eval ev[AK_CAPACITY_MAX_SETTINGS];
} ak_det_capacity;

/* taps[0..n_taps): neck level names ("neck.p3" .. "neck.p7"), at most one each; n_taps 0 means every
 * neck level in order. `what` names the source of the list in messages ("--taps", "distill.taps").
 * n_settings: ak_capacity_n_settings of the table. */
int ak_det_capacity_init(ak_det_capacity *dc, const ak_detector *det, const char *const *taps, int n_taps,
                         const char *what, const int64_t *cat_ids, int n_settings, ak_error *err);
void ak_det_capacity_free(ak_det_capacity *dc);

/* Backbone (eval) + neck of the teacher on x (N, 3, H, W) with the tape off: levels[0..n_levels). */
int ak_det_capacity_neck(ak_ctx *ctx, const ak_det_capacity *dc, ak_tensor *x, ak_tensor **levels);
/* The batch the next ak_capacity_batch call scores: its neck levels, per-image geometry (N entries),
 * COCO image ids, how many of its first images count, and the network input size. */
void ak_det_capacity_set_batch(ak_det_capacity *dc, ak_tensor *const *levels, const ak_det_image *imgs,
                               const int64_t *image_ids, int n_images, int in_h, int in_w);
/* features[i] = the level of tap i (dc->n_feat entries): the input of ak_capacity_batch. */
void ak_det_capacity_features(const ak_det_capacity *dc, ak_tensor **features);

/* The ak_capacity_cb callbacks (user = the ak_det_capacity). */
ak_tensor *ak_det_capacity_head(ak_ctx *ctx, void *user, ak_tensor *const *features, int n_features);
int ak_det_capacity_accumulate(ak_ctx *ctx, void *user, int setting, int64_t batch, const ak_tensor *output);
double ak_det_capacity_metric(void *user, int setting); /* AP of the setting; NaN before finish */
ak_capacity_cb ak_det_capacity_callbacks(ak_det_capacity *dc);

/* Evaluate every setting against gt (restricted to the predicted images). */
int ak_det_capacity_finish(ak_det_capacity *dc, const ak_coco *gt, ak_error *err);

#endif
