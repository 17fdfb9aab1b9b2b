/* Optimizers with PyTorch 1.13 semantics (torch.optim.SGD and AdamW, single-tensor path) over an
 * ak_params registry, mmcv-style parameter groups, and global gradient-norm clipping.
 *
 * Parameter groups: every registry entry carries lr_mult and decay_mult (params.h). The group of
 * entry p has lr = lr_sched * p.lr_mult and weight_decay = cfg.weight_decay * p.decay_mult, where
 * lr_sched is the lr passed to ak_optim_step; ak_optim_step_at instead evaluates the schedule on
 * the group's own initial lr (cfg.lr * p.lr_mult), which is exactly what mmcv's LrUpdaterHook does
 * (it differs from the former only for POLY / COSINE with an absolute min_lr). Entries that are
 * buffers or not `trainable` are skipped entirely (their state does not advance). A trainable
 * entry's gradient is used as is: an entry that received no gradient this step has a zero
 * gradient, not PyTorch's None, so weight decay and momentum still move it. Set decay_mult / lr_mult
 * with ak_params_apply_paramwise (mmcv paramwise_cfg) or by hand.
 *
 * Updates, per element in float32 with scalars rounded to float as PyTorch's kernels round them:
 *   SGD:   d = g + wd * p;  if momentum: buf = (first step ? d : momentum * buf + (1 - dampening) * d),
 *          d = nesterov ? d + momentum * buf : buf;  p = p - lr * d
 *   AdamW: t += 1;  p = p * (1 - lr * wd);  m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g g;
 *          p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * Each element is independent, so updates are bitwise identical for any thread count.
 *
 * State, for checkpoints: opt->state is an ak_params registry of buffers owned by the optimizer,
 * one entry per array, named "<kind>.<param name>" with kind one of
 *   "momentum_buffer" (SGD with momentum), "exp_avg", "exp_avg_sq" (AdamW), each of the parameter's
 *   shape, and "step" (scalar, every optimizer: the number of updates applied to that parameter, a
 *   float like PyTorch's AdamW state['step']; for SGD step 0 is PyTorch's "momentum_buffer is None").
 * All state is created by ak_optim_init for every non-buffer entry of the registry, so a restore
 * is: init the optimizer, then copy each saved array into ak_params_find(&opt->state, name)->t
 * (ak_ckpt_load can write into those tensors directly). Saving the model parameters and these
 * arrays and restoring both continues bitwise like an uninterrupted run.
 *
 * Errors: invalid configuration (AK_EINVAL, naming the field); a registry that gained or lost
 * entries after init (AK_ESTATE); step counts past 2^24, where a float step stops being exact
 * (AK_ERANGE). Nothing is modified when a step fails its checks.
 */
#ifndef AK_OPTIM_H
#define AK_OPTIM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/params.h"
#include "core/schedule.h"

typedef enum ak_optimizer_kind { AK_OPT_SGD = 0, AK_OPT_ADAMW = 1 } ak_optimizer_kind;

typedef struct ak_optim_config {
    ak_optimizer_kind kind;
    double lr;           /* base lr: the initial lr of a group with lr_mult 1 */
    double weight_decay; /* SGD: L2 added to the gradient; AdamW: decoupled */
    /* SGD */
    double momentum;
    double dampening;
    bool nesterov;       /* needs momentum > 0 and dampening 0 (as PyTorch) */
    /* AdamW */
    double beta1, beta2, eps;
} ak_optim_config;

/* SGD with the given lr, momentum and weight decay; dampening 0, nesterov off. */
ak_optim_config ak_optim_sgd_config(double lr, double momentum, double weight_decay);
/* AdamW with betas (0.9, 0.999), eps 1e-8 (PyTorch's defaults) and the given lr, weight decay. */
ak_optim_config ak_optim_adamw_config(double lr, double weight_decay);

typedef struct ak_optim {
    ak_optim_config cfg;
    ak_params *ps;   /* the model's registry; not owned, must outlive the optimizer */
    int n_params;    /* ps->n at init */
    ak_params state; /* owned; see above */
    int *slot;       /* per registry entry: index in state of its first array, -1 for buffers */
} ak_optim;

int ak_optim_init(ak_optim *opt, ak_params *ps, const ak_optim_config *cfg, ak_error *err);
void ak_optim_free(ak_optim *opt);

/* One update of every trainable entry with group lr = lr * lr_mult (see above). */
int ak_optim_step(ak_optim *opt, double lr, ak_error *err);
/* One update with group lr = ak_lr_at(sched, cfg.lr * lr_mult, iter) (mmcv semantics). */
int ak_optim_step_at(ak_optim *opt, const ak_lr_schedule *sched, int64_t iter, ak_error *err);

/* torch.nn.utils.clip_grad_norm_(trainable params, max_norm, norm_type=2): the total L2 norm of all
 * trainable gradients (as if concatenated) goes to *total_norm; when max_norm / (total + 1e-6) < 1
 * every gradient is multiplied by that factor (float, as PyTorch). The norm is summed in double in
 * a fixed order (registry order, fixed blocks), so it is bitwise identical for any thread count.
 * A non-finite total is AK_ENAN naming the first parameter with a non-finite gradient, and the
 * gradients are left untouched (PyTorch's error_if_nonfinite=True). max_norm must be > 0. */
int ak_clip_grad_norm(ak_params *ps, double max_norm, float *total_norm, ak_error *err);

/* mmcv DefaultOptimizerConstructor paramwise_cfg over a registry (optim_groups.c).
 * For every non-buffer entry, in this order of precedence:
 *   1. custom keys: the longest key that is a substring of the name (equal lengths: the
 *      alphabetically first, as mmcv sorts them) sets lr_mult and decay_mult; nothing else applies.
 *   2. norm parameters, i.e. "X.weight" of one dimension and "X.bias" whose "X.weight" has one
 *      dimension (batch / group / layer norm; conv and linear weights have 2+ dims): decay_mult =
 *      norm_decay_mult, lr_mult 1.
 *   3. other biases ("X.bias" or "bias"): lr_mult = bias_lr_mult, decay_mult = bias_decay_mult.
 *   4. everything else: lr_mult = decay_mult = 1.
 * Identifying norm layers by shape rather than by name works for any naming scheme (mmcv looks
 * at the module type, which a flat registry does not have). */
typedef struct ak_param_key {
    const char *key; /* substring of the parameter name */
    double lr_mult, decay_mult;
} ak_param_key;
typedef struct ak_paramwise {
    double bias_lr_mult, bias_decay_mult, norm_decay_mult; /* 1 = no change */
    const ak_param_key *custom_keys;
    int n_custom_keys;
} ak_paramwise;
/* All multipliers 1 and no custom keys (mmcv without paramwise_cfg). */
ak_paramwise ak_paramwise_defaults(void);
/* Returns AK_OK, or AK_EINVAL for a negative or non-finite multiplier or an empty key. */
int ak_params_apply_paramwise(ak_params *ps, const ak_paramwise *cfg, ak_error *err);

#endif
