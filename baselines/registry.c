/* Factory of distillation losses from the run config; see registry.h. */
#include "baselines/registry.h"

#include <string.h>

#include "baselines/methods.h"

ak_distill_loss *ak_distill_loss_create(int method, const char *tap, const ak_run_config *cfg, int channels,
                                        ak_params *ps, ak_error *err) {
    float w = (float)cfg->distill.weight;
    uint64_t seed = (uint64_t)cfg->train.seed;
    switch (method) {
    case AK_DISTILL_MSE: return ak_mse_loss_create(tap, w, err);
    case AK_DISTILL_CWD: return ak_cwd_loss_create(tap, w, (float)cfg->distill.cwd.tau, err);
    case AK_DISTILL_MGD: {
        ak_mgd_opts o = {w, (float)cfg->distill.mgd.alpha, (float)cfg->distill.mgd.lambda, cfg->distill.mgd.mask, channels, cfg->distill.frozen_loss_params, seed};
        return ak_mgd_loss_create(tap, &o, ps, err);
    }
    case AK_DISTILL_FGD: {
        ak_fgd_opts o = {w, (float)cfg->distill.fgd.temp, (float)cfg->distill.fgd.alpha, (float)cfg->distill.fgd.beta, (float)cfg->distill.fgd.gamma,
                         (float)cfg->distill.fgd.lambda, channels, cfg->distill.frozen_loss_params, seed};
        return ak_fgd_loss_create(tap, &o, ps, err);
    }
    case AK_DISTILL_PKD: {
        ak_pkd_opts o = {w, cfg->distill.pkd.resize_stu, cfg->akd.ghost_batch};
        return ak_pkd_loss_create(tap, &o, err);
    }
    case AK_DISTILL_MASKD: {
        ak_maskd_opts o = {w, channels, cfg->distill.maskd.num_tokens, cfg->distill.maskd.weight_mask, cfg->distill.maskd.custom_mask,
                           cfg->distill.maskd.custom_mask_warmup, seed};
        return ak_maskd_loss_create(tap, &o, ps, err);
    }
    case AK_DISTILL_DIST: {
        ak_dist_opts o = {w, (float)cfg->distill.dist.beta, (float)cfg->distill.dist.gamma, cfg->distill.dist.use_sigmoid};
        return ak_dist_loss_create(tap, &o, err);
    }
    default:
        ak_error_set(err, AK_EINVAL, "distill.method: %d (%s) is not a distillation loss", method,
                     method >= 0 && method < AK_DISTILL_COUNT ? ak_distill_method_name(method) : "out of range");
        return NULL;
    }
}

ak_distill_loss *ak_distill_loss_create_named(const char *method, const char *tap, const ak_run_config *cfg,
                                              int channels, ak_params *ps, ak_error *err) {
    for (int m = AK_DISTILL_MSE; m < AK_DISTILL_COUNT; m++)
        if (strcmp(ak_distill_method_name(m), method) == 0)
            return ak_distill_loss_create(m, tap, cfg, channels, ps, err);
    ak_error_set(err, AK_EINVAL, "distill.method: unknown method '%s' (mse, cwd, mgd, fgd, pkd, maskd, dist)", method);
    return NULL;
}

ak_distill_loss *ak_head_loss_create(int head_loss, const char *tap, const ak_run_config *cfg, ak_error *err) {
    float w = (float)cfg->distill.head.weight;
    switch (head_loss) {
    case AK_HEAD_L1: return ak_head_kd_loss_create(tap, AK_HEAD_KD_L1, w, 0.0f, err);
    case AK_HEAD_SMOOTH_L1: return ak_head_kd_loss_create(tap, AK_HEAD_KD_SMOOTH_L1, w, (float)cfg->distill.head.beta, err);
    case AK_HEAD_DIST: {
        ak_dist_opts o = {w, (float)cfg->distill.dist.beta, (float)cfg->distill.dist.gamma, cfg->distill.dist.use_sigmoid};
        return ak_dist_loss_create(tap, &o, err);
    }
    case AK_HEAD_CWD: return ak_cwd_loss_create(tap, w, (float)cfg->distill.head.tau, err);
    default:
        ak_error_set(err, AK_EINVAL, "distill.head.loss: %d is not a head-level term", head_loss);
        return NULL;
    }
}
