/* MasKD's token-learning task for the suite's detectors (models/detector.h): the two callbacks of
 * ak_maskd_task (maskd.h) built from a frozen teacher detector and a batch provider, so the trainer
 * only supplies data. Per iteration: batch -> teacher backbone + FPN (eval-mode BN, no tape) -> the
 * masked neck outputs -> the teacher's head and its training loss (RetinaNet: focal + L1, FCOS: its
 * three terms), recorded so that gradients reach the tokens and weighting heads only (the teacher's
 * tensors are frozen). n_levels must equal the teacher's FPN outputs (5 for P3-P7).
 *
 * Ownership: the struct is the callbacks' user data and holds the current batch (borrowed from the
 * provider until the next call). Errors: a failing provider's status, level-count mismatch
 * (AK_EINVAL naming distill.taps), the models' errors.
 */
#ifndef AK_BASELINES_MASKD_DET_H
#define AK_BASELINES_MASKD_DET_H

#include "baselines/maskd.h"
#include "models/detector.h"

/* Batch `iter` of the token-learning stage: x (N,3,H,W) in the ctx arena, imgs and targets (N each),
 * valid until the provider's next call. Return 0 or an error status (ctx->err set). */
typedef int (*ak_maskd_det_batch_fn)(ak_ctx *ctx, void *user, int64_t iter, ak_tensor **x, const ak_det_image **imgs,
                                     const ak_det_target **targets);

typedef struct ak_maskd_det_task {
    const ak_detector *teacher;
    ak_maskd_det_batch_fn batch;
    void *user;
    /* current batch (set by the features callback) */
    ak_tensor *x;
    const ak_det_image *imgs;
    const ak_det_target *targets;
} ak_maskd_det_task;

/* The ak_maskd_task whose user data is t. */
ak_maskd_task ak_maskd_det_task_get(ak_maskd_det_task *t);

#endif
