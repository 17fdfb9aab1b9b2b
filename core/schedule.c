/* Learning-rate schedules; the formulas and their mmcv origins are in schedule.h. */
#include "core/schedule.h"

#include <math.h>

#define AK_PI 3.141592653589793 /* == Python's math.pi, so cos() sees the same argument */

int ak_lr_schedule_check(const ak_lr_schedule *s, ak_error *err) {
    if (s->policy < AK_LR_FIXED || s->policy > AK_LR_COSINE)
        return ak_error_set(err, AK_EINVAL, "lr schedule: unknown policy %d (fixed, step, poly or cosine)",
                            (int)s->policy);
    if (s->by_epoch && s->iters_per_epoch <= 0)
        return ak_error_set(err, AK_EINVAL, "lr schedule: by_epoch needs iters_per_epoch > 0, got %lld",
                            (long long)s->iters_per_epoch);
    if (s->policy == AK_LR_STEP) {
        if (s->n_milestones < 0 || s->n_milestones > AK_LR_MAX_MILESTONES)
            return ak_error_set(err, AK_EINVAL, "lr schedule: %d milestones (0..%d allowed)", s->n_milestones,
                                AK_LR_MAX_MILESTONES);
        for (int i = 0; i < s->n_milestones; i++)
            if (s->milestones[i] <= 0 || (i > 0 && s->milestones[i] <= s->milestones[i - 1]))
                return ak_error_set(err, AK_EINVAL,
                                    "lr schedule: milestones must be positive and strictly increasing "
                                    "(milestone %d is %lld)",
                                    i, (long long)s->milestones[i]);
        if (s->n_milestones == 0 && s->step_every <= 0)
            return ak_error_set(err, AK_EINVAL, "lr schedule: step policy needs milestones or step_every > 0");
        if (!(s->gamma > 0.0 && isfinite(s->gamma)))
            return ak_error_set(err, AK_EINVAL, "lr schedule: gamma must be > 0, got %g", s->gamma);
    }
    if ((s->policy == AK_LR_POLY || s->policy == AK_LR_COSINE) && s->max_progress <= 0)
        return ak_error_set(err, AK_EINVAL, "lr schedule: %s needs max_progress (max iters or epochs) > 0, got %lld",
                            s->policy == AK_LR_POLY ? "poly" : "cosine", (long long)s->max_progress);
    if (s->policy == AK_LR_POLY && !(s->power >= 0.0 && isfinite(s->power)))
        return ak_error_set(err, AK_EINVAL, "lr schedule: poly power must be >= 0, got %g", s->power);
    if (!(s->min_lr >= 0.0 && isfinite(s->min_lr)))
        return ak_error_set(err, AK_EINVAL, "lr schedule: min_lr must be >= 0, got %g", s->min_lr);
    if (s->use_min_lr_ratio && !(s->min_lr_ratio >= 0.0 && isfinite(s->min_lr_ratio)))
        return ak_error_set(err, AK_EINVAL, "lr schedule: min_lr_ratio must be >= 0, got %g", s->min_lr_ratio);
    if (s->warmup < AK_LR_WARMUP_NONE || s->warmup > AK_LR_WARMUP_EXP)
        return ak_error_set(err, AK_EINVAL, "lr schedule: unknown warmup %d (none, linear, constant or exp)",
                            (int)s->warmup);
    if (s->warmup != AK_LR_WARMUP_NONE) {
        /* the same two assertions as mmcv's LrUpdaterHook */
        if (s->warmup_iters <= 0)
            return ak_error_set(err, AK_EINVAL, "lr schedule: warmup_iters must be a positive integer, got %lld",
                                (long long)s->warmup_iters);
        if (!(s->warmup_ratio > 0.0 && s->warmup_ratio <= 1.0))
            return ak_error_set(err, AK_EINVAL, "lr schedule: warmup_ratio must be in (0, 1], got %g",
                                s->warmup_ratio);
    }
    return AK_OK;
}

int64_t ak_lr_progress(const ak_lr_schedule *s, int64_t iter) {
    int64_t p = s->by_epoch ? iter / s->iters_per_epoch : iter;
    if ((s->policy == AK_LR_POLY || s->policy == AK_LR_COSINE) && p > s->max_progress)
        p = s->max_progress;
    return p;
}

static double regular_lr(const ak_lr_schedule *s, double base, int64_t progress) {
    switch (s->policy) {
    case AK_LR_STEP: {
        int64_t e;
        if (s->n_milestones > 0) {
            e = s->n_milestones;
            for (int i = 0; i < s->n_milestones; i++)
                if (progress < s->milestones[i]) {
                    e = i;
                    break;
                }
        } else {
            e = progress / s->step_every;
        }
        double lr = base * pow(s->gamma, (double)e);
        return lr < s->min_lr ? s->min_lr : lr; /* mmcv: max(lr, min_lr) */
    }
    case AK_LR_POLY: {
        double coeff = pow(1.0 - (double)progress / (double)s->max_progress, s->power);
        return (base - s->min_lr) * coeff + s->min_lr;
    }
    case AK_LR_COSINE: {
        double target = s->use_min_lr_ratio ? base * s->min_lr_ratio : s->min_lr;
        double factor = (double)progress / (double)s->max_progress;
        double cos_out = cos(AK_PI * factor) + 1.0;
        return target + 0.5 * (base - target) * cos_out;
    }
    case AK_LR_FIXED:
    default: return base;
    }
}

double ak_lr_at(const ak_lr_schedule *s, double base_lr, int64_t iter) {
    double r = regular_lr(s, base_lr, ak_lr_progress(s, iter));
    if (s->warmup == AK_LR_WARMUP_NONE || iter >= s->warmup_iters)
        return r;
    double frac = (double)iter / (double)s->warmup_iters;
    switch (s->warmup) {
    case AK_LR_WARMUP_LINEAR: {
        double k = (1.0 - frac) * (1.0 - s->warmup_ratio);
        return r * (1.0 - k);
    }
    case AK_LR_WARMUP_CONSTANT: return r * s->warmup_ratio;
    case AK_LR_WARMUP_EXP: return r * pow(s->warmup_ratio, 1.0 - frac);
    default: return r;
    }
}
