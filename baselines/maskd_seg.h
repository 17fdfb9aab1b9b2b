/* MasKD's token-learning task for the suite's segmentors (models/segmentor.h): the segmentation
 * counterpart of maskd_det.h. The reference ([MASKD] maskd_hook.py) only learns tokens for
 * detectors; for a segmentor the frozen teacher's distilled backbone stages are replaced the same way
 * and its own training loss supervises the tokens:
 *
 *   batch -> teacher backbone (eval-mode BN, no tape) -> c2..c5;
 *   each distilled stage T_l (a teacher tap "<backbone>.c4" or "<backbone>.c5", the inputs of the
 *   heads) -> sum_k w_k M_k T_l (ak_maskd_apply, on the tape);
 *   decode head on c5 (+ auxiliary FCN head on c4 when the teacher has one), eval mode: BN running
 *   statistics and NO channel dropout (the teacher is frozen, so the stage is deterministic) ->
 *   the segmentor's loss (mmseg cross-entropy, decode + aux_weight * aux; ak_segmentor_loss) on the
 *   batch's labels.
 * Only the tokens and weighting heads receive gradients (the teacher's tensors are frozen). A stage
 * that is not distilled keeps the teacher's own feature (an undistilled c4 still feeds the auxiliary
 * head, adding a constant to the loss, as the whole detector loss does in the reference).
 *
 * Ownership: the struct is the callbacks' user data; taps are borrowed; the current batch is borrowed
 * from the provider until its next call. Errors: a failing provider's status; n_levels different
 * from n_taps, a tap that is not c4 / c5 of the teacher's backbone or a repeated one (AK_EINVAL
 * naming distill.teacher_taps); the models' errors.
 */
#ifndef AK_BASELINES_MASKD_SEG_H
#define AK_BASELINES_MASKD_SEG_H

#include "baselines/maskd.h"
#include "models/segmentor.h"

/* Batch `iter`: x (N,3,H,W) in the ctx arena and labels (N, lab_h, lab_w) uint8 train ids (255
 * ignored), valid until the provider's next call. Return 0 or an error status (ctx->err set). */
typedef int (*ak_maskd_seg_batch_fn)(ak_ctx *ctx, void *user, int64_t iter, ak_tensor **x, const uint8_t **labels,
                                     int64_t *lab_h, int64_t *lab_w);

typedef struct ak_maskd_seg_task {
    const ak_segmentor *teacher;
    const char *const *taps; /* n_taps teacher taps, level l of the MasKD losses = taps[l] */
    int n_taps;
    ak_maskd_seg_batch_fn batch;
    void *user;
    /* current batch (set by the features callback) */
    ak_tensor *x, *c[4];
    const uint8_t *labels;
    int64_t lab_h, lab_w;
} ak_maskd_seg_task;

/* The ak_maskd_task whose user data is t. */
ak_maskd_task ak_maskd_seg_task_get(ak_maskd_seg_task *t);

/* The backbone stage (0..3 for c2..c5) a teacher tap names, or -1 when it is not a stage output. */
int ak_maskd_seg_stage_of(const ak_segmentor *teacher, const char *tap);

#endif
