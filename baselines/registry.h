/* Factory of distillation losses from a run config (store/akd_config.h `distill.*` keys).
 *
 * ak_distill_loss_create(method, tap, cfg, channels, ps, err): the feature loss `method`
 * (ak_distill_method, AK_DISTILL_MSE .. AK_DISTILL_DIST) for one tap, with the hyperparameters of
 * cfg->distill (weight = distill.weight times the method's own factors, e.g. MGD's alpha), its
 * parameters registered in ps under "distill.<tap>." and initialised from cfg->train.seed;
 * distill.frozen_loss_params freezes MGD generators / FGD GcBlocks; MasKD tokens are always frozen.
 * PKD's ghost batch is akd.ghost_batch (METHODS.md §5.6: PKD and AKD statistics per 2 images).
 * `channels` = the teacher tap's channel count (what the loss's parameters are sized for).
 * ak_distill_loss_create_named: the same by name ("mse", "cwd", "mgd", "fgd", "pkd", "maskd", "dist").
 * ak_head_loss_create(head_loss, tap, cfg, err): the head-level term distill.head.loss
 * (ak_head_loss: l1, smooth_l1 (distill.head.beta), dist (distill.dist.*), cwd (distill.head.tau)),
 * weighted by distill.head.weight.
 * Errors: NULL + err (AK_EINVAL) naming the config key ("distill.method: ..."), or the
 * constructor's error.
 */
#ifndef AK_BASELINES_REGISTRY_H
#define AK_BASELINES_REGISTRY_H

#include "baselines/distill_loss.h"
#include "store/akd_config.h"

ak_distill_loss *ak_distill_loss_create(int method, const char *tap, const ak_run_config *cfg, int channels,
                                        ak_params *ps, ak_error *err);
ak_distill_loss *ak_distill_loss_create_named(const char *method, const char *tap, const ak_run_config *cfg,
                                              int channels, ak_params *ps, ak_error *err);
ak_distill_loss *ak_head_loss_create(int head_loss, const char *tap, const ak_run_config *cfg, ak_error *err);

#endif
