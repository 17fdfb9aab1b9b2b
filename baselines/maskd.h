/* MasKD's receptive tokens outside the KD loss (METHODS.md §2.5, [MASKD] mmdetection/maskd.py and
 * maskd_hook.py): the masks, the weighting head, the Dice diversity term, the token-learning stage
 * and loading converted token checkpoints. The KD loss itself: ak_maskd_loss_create (methods.h).
 *
 * Shapes: F (N, C, H, W); masks (N, K, H*W); token weights (N, K).
 *   masks   M[n,k,p] = sigmoid(sum_c E[k,c] F[n,c,p])
 *   weights w[n,:]   = softmax_k(conv1x1(GAP(conv3x3(F))))               (weight_mask only)
 *   apply   F'[n,c,p] = sum_k w[n,k] M[n,k,p] F[n,c,p]   (w = 1 without the weighting head)
 *   dice    = mean over n and ordered pairs i != j of 2<m_i,m_j> / (|m_i|^2 + 1e-12 + |m_j|^2 + 1e-12)
 * Every function records on the tape as usual, so gradients reach the tokens / head whenever their
 * parameters require one (only while tokens learn: in the KD stage they are frozen).
 */
#ifndef AK_BASELINES_MASKD_H
#define AK_BASELINES_MASKD_H

#include "baselines/distill_loss.h"

ak_tensor *ak_maskd_masks(ak_ctx *ctx, ak_distill_loss *l, ak_tensor *f);
ak_tensor *ak_maskd_token_weights(ak_ctx *ctx, ak_distill_loss *l, ak_tensor *f);
ak_tensor *ak_maskd_dice(ak_ctx *ctx, ak_tensor *masks);
/* MaskModule.forward_train: *masked = F' (N,C,H,W), *dice = the diversity term of F's masks. */
int ak_maskd_apply(ak_ctx *ctx, ak_distill_loss *l, ak_tensor *f, ak_tensor **masked, ak_tensor **dice);

/* ---- token learning (maskd_hook.py) ---------------------------------------------------------
 * The teacher is frozen (BN eval); each of its neck outputs T_l is replaced by ak_maskd_apply(T_l)
 * and the teacher's head computes its detection loss on them; trainable are only the tokens and
 * weighting heads of the n_levels losses: loss = task + sum_l dice_l; Adam (PyTorch semantics,
 * L2 weight decay added to the gradient) with cosine annealing to min_lr over `iters` iterations
 * (mmcv CosineAnnealing by iteration, no warm-up). The caller supplies the task: */
typedef struct ak_maskd_task {
    /* Batch `iter`: run the frozen teacher up to its neck (recording off) and store its n_levels
     * features in feats. Return 0 or an error code (with ctx->err set). */
    int (*features)(ak_ctx *ctx, void *user, int64_t iter, ak_tensor **feats, int n_levels);
    /* The teacher's head and detection loss on `feats` (recording on): a scalar, or NULL + ctx->err. */
    ak_tensor *(*task_loss)(ak_ctx *ctx, void *user, int64_t iter, ak_tensor *const *feats, int n_levels);
    void *user;
} ak_maskd_task;

typedef struct ak_maskd_token_cfg {
    int64_t iters;       /* 2000 in the reference */
    double lr, weight_decay, min_lr; /* 0.01, 1e-3 (RetinaNet) / 0.1 (CMR), 1e-6 */
    double beta1, beta2, eps;        /* Adam: 0.9, 0.999, 1e-8 */
} ak_maskd_token_cfg;
ak_maskd_token_cfg ak_maskd_token_defaults(void);

/* Per-iteration record (optional). */
typedef struct ak_maskd_token_log {
    double task, dice; /* last iteration's values */
    double first_total, last_total;
} ak_maskd_token_log;

/* Runs the stage in ctx (reset before each iteration). levels: the MasKD losses of the neck levels
 * (their tokens / heads are made trainable for the stage and frozen again after). Errors: a loss
 * that is not MasKD, a failing callback (its error), non-finite losses (AK_ENAN). */
int ak_maskd_learn_tokens(ak_ctx *ctx, ak_distill_loss *const *levels, int n_levels, const ak_maskd_token_cfg *cfg,
                          const ak_maskd_task *task, ak_maskd_token_log *log, ak_error *err);

/* Load tokens / weighting heads from a safetensors file with the MasKD release's keys (converted):
 * "mask_modules.<l>.mask_token", "mask_modules.<l>.prob.0.weight", ... for level l of `levels`.
 * Strict: a missing key or a shape mismatch is AK_EFORMAT naming the key and the file. */
int ak_maskd_load_tokens(ak_distill_loss *const *levels, int n_levels, const char *path, ak_error *err);

#endif
