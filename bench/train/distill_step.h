/* Distillation inside the trainer: the frozen teacher's forward, the distiller (baselines/) and,
 * when akd.enabled, the Avatar hook (akd/) — plus the extra per-iteration log columns they produce
 * ("<method>:<tap>" for each pair, then the AKD statistics of akd/akd_loss.h).
 *
 * Init order matters: the distiller registers its connector / loss parameters in the student's
 * registry, so it runs before the optimizer is built. The probe forward that sizes the distiller
 * runs both networks in eval mode with the tape off on a small zero image (nothing is updated).
 */
#ifndef AK_DISTILL_STEP_H
#define AK_DISTILL_STEP_H

#include "akd/akd_hook.h"
#include "baselines/distiller.h"
#include "bench/train/net.h"
#include "datasets/sample.h"
#include "store/runfile.h"

#define AK_TD_MAX_COLS 128

typedef struct ak_train_distill {
    ak_distiller d;
    bool akd_on;
    ak_akd_hook hook;
    int n_cols;
    char cols[AK_TD_MAX_COLS][AK_DISTILL_LOG_NAME];
    const char *col_ptrs[AK_TD_MAX_COLS];
    int n_akd_cols;
} ak_train_distill;

/* probe_h, probe_w: the probe input size (a training crop size). */
int ak_train_distill_init(ak_train_distill *td, const ak_run_config *cfg, ak_ctx *ctx, ak_net *student,
                          const ak_net *teacher, int probe_h, int probe_w, ak_error *err);
void ak_train_distill_free(ak_train_distill *td);
/* The teacher forward on x and the weighted distillation loss (0-dim, on the tape), or NULL with
 * ctx->err. s_taps: the student's taps of this iteration; t_taps receives the teacher's. */
ak_tensor *ak_train_distill_loss(ak_train_distill *td, ak_ctx *ctx, const ak_run_config *cfg, const ak_net *teacher,
                                 const ak_batch *b, ak_tensor *x, const ak_taps *s_taps, ak_taps *t_taps,
                                 int64_t iteration);
/* Write the first `n_images` images of every distilled tap into the run file at `step`: roles
 * "student" (before the connector), "teacher" and, with avatars on, "avatar_<k>" (the very avatars
 * the loss saw: same rng keys). */
int ak_train_distill_write_features(const ak_train_distill *td, ak_ctx *ctx, const ak_run_config *cfg, ak_run *run,
                                    const ak_taps *s_taps, const ak_taps *t_taps, int64_t step, int n_images,
                                    ak_error *err);
/* The values of the extra columns for the last call, in column order. */
void ak_train_distill_values(const ak_train_distill *td, double *values);

#endif
