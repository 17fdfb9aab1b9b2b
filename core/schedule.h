/* Learning-rate schedules with mmcv 1.x LrUpdaterHook semantics (the mmdet / mmseg configs the
 * paper's baselines use). Pure functions of (schedule, base lr, iteration): nothing is carried
 * between calls, so resuming at iteration i gives the same lr as an uninterrupted run.
 *
 * `iter` is 0-based: the lr used by iteration `iter` (mmcv's runner.iter in before_train_iter).
 * progress = iter, or with by_epoch the 0-based epoch floor(iter / iters_per_epoch) (mmcv sets the
 * regular lr once per epoch). All arithmetic is double in mmcv's operation order, so values agree
 * with mmcv bit for bit on the same libm.
 *
 * Regular lr r(progress), base = the parameter group's initial lr (optimizer lr * lr_mult):
 *   FIXED   r = base
 *   STEP    e = number of milestones <= progress (or progress / step_every when there are no
 *           milestones); r = max(base * pow(gamma, e), min_lr)            (StepLrUpdaterHook)
 *   POLY    r = (base - min_lr) * pow(1 - progress / max_progress, power) + min_lr
 *                                                                          (PolyLrUpdaterHook)
 *   COSINE  target = use_min_lr_ratio ? base * min_lr_ratio : min_lr;
 *           r = target + 0.5 * (base - target) * (cos(pi * progress / max_progress) + 1)
 *                                                                (CosineAnnealingLrUpdaterHook)
 *   max_progress is max_iters, or max_epochs when by_epoch. Progress past max_progress is clamped
 *   to max_progress (mmcv would produce a complex number for POLY); ak_lr_schedule_check rejects
 *   nothing for it since a final evaluation may ask for iteration max_iters.
 * Warmup, applied to r while iter < warmup_iters (always counted in iterations; mmcv's
 * warmup_by_epoch is warmup_iters = epochs * iters_per_epoch):
 *   LINEAR    lr = r * (1 - (1 - iter / warmup_iters) * (1 - warmup_ratio))
 *   CONSTANT  lr = r * warmup_ratio
 *   EXP       lr = r * pow(warmup_ratio, 1 - iter / warmup_iters)
 * and lr = r from iter = warmup_iters on. mmdet's default: STEP, by_epoch, milestones {8, 11},
 * gamma 0.1, LINEAR warmup 500 iterations, ratio 0.001. mmseg's: POLY, power 0.9, min_lr 1e-4,
 * by iteration.
 */
#ifndef AK_SCHEDULE_H
#define AK_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

#define AK_LR_MAX_MILESTONES 16

typedef enum ak_lr_policy { AK_LR_FIXED = 0, AK_LR_STEP = 1, AK_LR_POLY = 2, AK_LR_COSINE = 3 } ak_lr_policy;
typedef enum ak_lr_warmup {
    AK_LR_WARMUP_NONE = 0,
    AK_LR_WARMUP_LINEAR = 1,
    AK_LR_WARMUP_CONSTANT = 2,
    AK_LR_WARMUP_EXP = 3
} ak_lr_warmup;

typedef struct ak_lr_schedule {
    ak_lr_policy policy;
    bool by_epoch;           /* progress in epochs (needs iters_per_epoch) */
    int64_t iters_per_epoch;
    int64_t max_progress;    /* POLY / COSINE: max_iters, or max_epochs when by_epoch */
    /* STEP */
    int n_milestones;        /* 0: decay every step_every units instead */
    int64_t milestones[AK_LR_MAX_MILESTONES]; /* strictly increasing, > 0, in progress units */
    int64_t step_every;
    double gamma;            /* 0.1 in mmcv */
    /* POLY / COSINE / STEP */
    double power;            /* POLY; mmcv default 1, mmseg configs 0.9 */
    double min_lr;           /* POLY, COSINE target, STEP floor (0 = no floor) */
    bool use_min_lr_ratio;   /* COSINE: target = base * min_lr_ratio */
    double min_lr_ratio;
    /* warmup */
    ak_lr_warmup warmup;
    int64_t warmup_iters;    /* > 0 when warmup is on */
    double warmup_ratio;     /* in (0, 1] when warmup is on */
} ak_lr_schedule;

/* AK_OK, or AK_EINVAL naming the field and the expected range (unknown policy, milestones not
 * increasing, max_progress <= 0 for POLY / COSINE, iters_per_epoch <= 0 with by_epoch, warmup
 * ratio outside (0, 1], ...). */
int ak_lr_schedule_check(const ak_lr_schedule *s, ak_error *err);

/* The lr of iteration `iter` (>= 0) for a parameter group whose initial lr is base_lr. The schedule
 * must have passed ak_lr_schedule_check. */
double ak_lr_at(const ak_lr_schedule *s, double base_lr, int64_t iter);

/* Progress (iteration or epoch index) of `iter` under s, clamped to max_progress for POLY / COSINE. */
int64_t ak_lr_progress(const ak_lr_schedule *s, int64_t iter);

#endif
