/* MasKD's token stage inside the trainer (METHODS.md §2.5 "Token pre-training"): before the student
 * trains, the receptive tokens and weighting heads of every MasKD pair of the distiller either come
 * from distill.maskd.tokens (a converted release file, loaded strictly: ak_maskd_load_tokens) or,
 * when that is empty, are learned on the frozen teacher:
 *   detection:    ak_maskd_det_task (baselines/maskd_det.h): masked FPN outputs -> the teacher's
 *                 head loss; the pairs' teacher taps must be the teacher's FPN levels in order;
 *   segmentation: ak_maskd_seg_task (baselines/maskd_seg.h): masked c4 / c5 -> the teacher's heads
 *                 and cross-entropy;
 * for distill.maskd.token_iters iterations, Adam lr distill.maskd.token_lr, L2 weight decay
 * distill.maskd.token_wd, cosine to 1e-6 (ak_maskd_learn_tokens), batches of train.batch_size.
 *
 * Data: the stage opens its OWN loader over the training source (same dataset, pipeline and seed)
 * and numbers its epochs from AK_MASKD_TOKEN_EPOCH0 (2^40) on. The loader's order and augmentation
 * streams are pure functions of (seed, epoch), so the stage draws fresh batches from the training
 * distribution while the student's loader, its epochs and data order are exactly those of a run
 * without the stage. The stage loader is closed before returning.
 *
 * Resumption: the tokens are parameters of the student's registry (frozen), so checkpoints and the
 * final weights carry them. `restored` = the caller will load them from a checkpoint (a resumed
 * run) or will not train at all (a complete run file exists): the stage then does nothing, and the
 * loaded checkpoint brings back exactly the learned values (the stage touches nothing else: the
 * teacher stays frozen in eval mode, the student's loader is unused, ctx is reset after).
 *
 * Not MasKD (or no MasKD pair): nothing happens. Every call with learning prints one line to stderr
 * (levels, iterations, first and last loss). Errors: those of the loader, the tasks and the token
 * functions, prefixed with "maskd token stage"; a det teacher-tap order that is not the FPN's is
 * AK_EINVAL naming distill.teacher_taps.
 */
#ifndef AK_MASKD_STAGE_H
#define AK_MASKD_STAGE_H

#include <stdbool.h>

#include "baselines/maskd.h"
#include "bench/train/distill_step.h"
#include "bench/train/net.h"
#include "bench/train/train_data.h"

#define AK_MASKD_TOKEN_EPOCH0 ((int64_t)1 << 40)

typedef enum ak_maskd_stage_action {
    AK_MASKD_STAGE_NONE,     /* not a MasKD run */
    AK_MASKD_STAGE_RESTORED, /* left to the checkpoint / the complete run (restored = true) */
    AK_MASKD_STAGE_LOADED,   /* read from distill.maskd.tokens */
    AK_MASKD_STAGE_LEARNED,  /* learned here */
} ak_maskd_stage_action;

typedef struct ak_maskd_stage_report {
    ak_maskd_stage_action action;
    int n_levels;           /* MasKD pairs */
    int64_t iters;          /* iterations run (LEARNED) */
    ak_maskd_token_log log; /* LEARNED: first / last total loss, last task and Dice terms */
} ak_maskd_stage_report;

/* td: the distiller built by ak_train_distill_init on the student's registry; teacher: frozen;
 * data: the run's data (its training source is shared, its loaders are not used). report may be
 * NULL. ctx is reset on return. */
int ak_train_maskd_tokens(ak_train_distill *td, const ak_run_config *cfg, ak_ctx *ctx, const ak_net *teacher,
                          ak_train_data *data, bool restored, ak_maskd_stage_report *report, ak_error *err);

#endif
