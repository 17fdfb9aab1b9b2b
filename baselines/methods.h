/* Constructors of the baseline distillation losses (METHODS.md Part 2), one per file in baselines/,
 * with their hyperparameters as plain option structs. The registry (registry.h) builds these from
 * a run config; tests and tools may call them directly.
 *
 * Every constructor returns a heap ak_distill_loss (free with ak_distill_loss_destroy) whose
 * forward returns the WEIGHTED scalar (0-dim) and records its weighted sub-terms (term_names /
 * term_values). Losses with parameters register them in `ps` under "distill.<tap>.<name>", with the
 * names of the reference implementations (so converted checkpoints load by name), initialised as the
 * references do from `seed` (models/init.h, keyed by name). Errors: NULL with err set (bad option
 * values name the option; duplicate parameter names from ak_params).
 *
 * Shapes at forward: student (after its connector) and teacher are (N, C, H, W) with equal shapes
 * unless stated; channels = C of the teacher (the loss's parameters are sized by it).
 */
#ifndef AK_BASELINES_METHODS_H
#define AK_BASELINES_METHODS_H

#include <stdbool.h>
#include <stdint.h>

#include "baselines/distill_loss.h"

/* FitNet / MSE (§2.1): weight * mean_{n,c,h,w} (S - T)^2 (the 1x1 adapter is the connector). */
ak_distill_loss *ak_mse_loss_create(const char *tap, float weight, ak_error *err);

/* CWD (§2.2): weight * tau^2/(N*C) * sum_{n,c} KL(softmax_hw(T/tau) || softmax_hw(S/tau)). Any
 * (N, C, ...) shapes (logit maps too). */
ak_distill_loss *ak_cwd_loss_create(const char *tap, float weight, float tau, ak_error *err);

/* MGD (§2.3): weight * alpha * sum (G(S * M) - T)^2 / N with the random mask M of mgd.h and the
 * generator G = conv3x3 -> ReLU -> conv3x3 (C -> C, bias, PyTorch default init), parameters
 * "generation.0.{weight,bias}", "generation.2.{weight,bias}"; frozen = the released AKD configs'
 * lr_mult 0 on loss modules (§5.8). */
typedef struct ak_mgd_opts {
    float weight, alpha, lambda; /* lambda: masked fraction in [0, 1] */
    int mask;                    /* 0 spatial (N,1,H,W), 1 channel (N,C,1,1): the order of ak_mgd_mask */
    int channels;
    bool frozen;
    uint64_t seed;
} ak_mgd_opts;
ak_distill_loss *ak_mgd_loss_create(const char *tap, const ak_mgd_opts *o, ak_params *ps, ak_error *err);

/* FGD (§2.4): weight * (alpha L_fg + beta L_bg + gamma L_at + lambda L_rela); needs in->gt. GcBlock
 * parameters "conv_mask_{s,t}.*", "channel_add_conv_{s,t}.{0,1,3}.*" (fgd.h). Terms fg, bg, at, rela. */
typedef struct ak_fgd_opts {
    float weight, temp, alpha, beta, gamma, lambda;
    int channels; /* even (the transform halves it) */
    bool frozen;
    uint64_t seed;
} ak_fgd_opts;
ak_distill_loss *ak_fgd_loss_create(const char *tap, const ak_fgd_opts *o, ak_params *ps, ak_error *err);

/* PKD (§2.6): weight * mean (S_hat - T_hat)^2 / 2 with per-channel standardisation (unbiased std,
 * + 1e-6) over ghost batches of `ghost` images (0 = whole batch); maps of different heights are
 * bilinearly resized first (the student to the teacher's size, or the reverse when !resize_stu). */
typedef struct ak_pkd_opts {
    float weight;
    bool resize_stu;
    int ghost;
} ak_pkd_opts;
ak_distill_loss *ak_pkd_loss_create(const char *tap, const ak_pkd_opts *o, ak_error *err);

/* MasKD (§2.5), KD stage: tokens "mask_token" (K, C) ~ N(0, 0.01) and weighting head "prob.0.*"
 * (conv3x3 C->C), "prob.2.*" (conv1x1 C->K), init N(0, sqrt(2/(k*k*C_out))), bias 0. They are
 * registered frozen (trainable = false): they are learned beforehand (maskd.h) or loaded. */
typedef struct ak_maskd_opts {
    float weight;
    int channels, num_tokens;
    bool weight_mask, custom_mask;
    int64_t custom_mask_warmup; /* iteration from which the student's masks customise the teacher's */
    uint64_t seed;
} ak_maskd_opts;
ak_distill_loss *ak_maskd_loss_create(const char *tap, const ak_maskd_opts *o, ak_params *ps, ak_error *err);

/* DIST (§2.8): weight * (beta * inter + gamma * intra) on softmax (or sigmoid) class scores; inputs
 * (N, K) or (N, K, H, W) (then rows are the N*H*W positions). Terms inter, intra. */
typedef struct ak_dist_opts {
    float weight, beta, gamma;
    bool use_sigmoid;
} ak_dist_opts;
ak_distill_loss *ak_dist_loss_create(const char *tap, const ak_dist_opts *o, ak_error *err);

/* Head-level terms (§2.7): weight * mean |S - T| (kind 0, "l1") or mean SmoothL1_beta(S - T)
 * (kind 1, "smooth_l1") over every element of the raw head output; any equal shapes. */
enum { AK_HEAD_KD_L1 = 0, AK_HEAD_KD_SMOOTH_L1 = 1 };
ak_distill_loss *ak_head_kd_loss_create(const char *tap, int kind, float weight, float beta, ak_error *err);

#endif
