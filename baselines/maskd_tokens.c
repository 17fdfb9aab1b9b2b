/* MasKD's token-learning stage (METHODS.md §2.5, [MASKD] maskd_hook.py + configs/maskd) and the
 * loader of converted token checkpoints. The stage trains only the tokens and weighting heads, with
 * the detector frozen: loss = task loss of the teacher on the masked neck features + the Dice
 * diversity terms; Adam with L2 weight decay (torch.optim.Adam, not AdamW) and mmcv's
 * CosineAnnealing(min_lr) by iteration. The Adam state lives here (a few small arrays), not in an
 * ak_optim over the whole registry. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baselines/maskd.h"
#include "baselines/maskd_internal.h"
#include "core/ops/elementwise.h"
#include "core/ops/loss.h"
#include "store/safetensors.h"

ak_maskd_token_cfg ak_maskd_token_defaults(void) {
    ak_maskd_token_cfg c = {2000, 0.01, 1e-3, 1e-6, 0.9, 0.999, 1e-8};
    return c;
}

#define MAX_LEVELS 8
#define AK_PI 3.14159265358979323846

typedef struct adam_slot {
    ak_tensor *p;
    float *m, *v;
} adam_slot;

/* torch.optim.Adam single-tensor step (PyTorch 1.13), in float like its kernels. */
static void adam_step(adam_slot *s, const ak_maskd_token_cfg *c, double lr, int64_t step) {
    const float b1 = (float)c->beta1, b2 = (float)c->beta2, wd = (float)c->weight_decay;
    double bc1 = 1.0 - pow(c->beta1, (double)step), bc2 = 1.0 - pow(c->beta2, (double)step);
    const float step_size = (float)(lr / bc1), bc2s = (float)sqrt(bc2), eps = (float)c->eps;
    float *p = s->p->data, *g = s->p->grad;
    for (int64_t i = 0; i < s->p->numel; i++) {
        float gi = g[i] + wd * p[i];
        s->m[i] = s->m[i] * b1 + (1.0f - b1) * gi;
        s->v[i] = s->v[i] * b2 + (1.0f - b2) * gi * gi;
        p[i] -= step_size * s->m[i] / (sqrtf(s->v[i]) / bc2s + eps);
    }
}

static void set_grad(adam_slot *slots, int n, bool on) {
    for (int i = 0; i < n; i++)
        slots[i].p->requires_grad = on;
}

int ak_maskd_learn_tokens(ak_ctx *ctx, ak_distill_loss *const *levels, int n_levels, const ak_maskd_token_cfg *cfg,
                          const ak_maskd_task *task, ak_maskd_token_log *log, ak_error *err) {
    if (n_levels < 1 || n_levels > MAX_LEVELS)
        return ak_error_set(err, AK_EINVAL, "maskd token learning: %d levels (1..%d)", n_levels, MAX_LEVELS);
    for (int l = 0; l < n_levels; l++)
        if (!levels[l] || levels[l]->ops != &ak_maskd_ops)
            return ak_error_set(err, AK_EINVAL, "maskd token learning: level %d is not a MasKD loss", l);
    if (!task || !task->features || !task->task_loss || cfg->iters < 0 || !(cfg->lr > 0))
        return ak_error_set(err, AK_EINVAL, "maskd token learning: need both task callbacks, iters >= 0, lr > 0");
    adam_slot slots[MAX_LEVELS * MK_COUNT];
    int n = 0, rc = AK_OK;
    for (int l = 0; l < n_levels; l++) {
        const maskd_state *st = levels[l]->state;
        for (int i = 0; i < MK_COUNT; i++) {
            if (!st->weight_mask && i != MK_TOKEN)
                continue; /* the weighting head is unused, so it gets no gradient */
            adam_slot *s = &slots[n++];
            s->p = ak_loss_p(levels[l], i);
            s->m = calloc((size_t)s->p->numel, sizeof(float));
            s->v = calloc((size_t)s->p->numel, sizeof(float));
            if (!s->m || !s->v) {
                rc = ak_error_set(err, AK_ENOMEM, "maskd token learning: out of memory");
                goto done;
            }
        }
    }
    set_grad(slots, n, true);
    if (log)
        memset(log, 0, sizeof *log);
    for (int64_t it = 0; it < cfg->iters; it++) {
        ak_ctx_reset(ctx);
        ak_tensor *feats[MAX_LEVELS], *masked[MAX_LEVELS];
        bool rec = ak_ctx_set_record(ctx, false);
        int frc = task->features(ctx, task->user, it, feats, n_levels);
        ak_ctx_set_record(ctx, true);
        ak_tensor *dice = NULL;
        for (int l = 0; l < n_levels && frc == AK_OK && ak_ok(ctx); l++) {
            ak_tensor *d = NULL;
            ak_maskd_apply(ctx, levels[l], feats[l], &masked[l], &d);
            dice = dice ? ak_add(ctx, dice, d) : d;
        }
        ak_tensor *tl = frc == AK_OK && ak_ok(ctx) ? task->task_loss(ctx, task->user, it, masked, n_levels) : NULL;
        ak_tensor *total = ak_add(ctx, tl, dice);
        if (!total || ak_check_finite(ctx, total, "maskd token learning loss") != AK_OK) {
            ak_ctx_set_record(ctx, rec);
            rc = ak_error_set(err, ctx->err.code ? ctx->err.code : (frc ? frc : AK_EINVAL),
                              "maskd token learning, iteration %lld: %s", (long long)it, ctx->err.msg);
            goto done;
        }
        for (int i = 0; i < n; i++)
            memset(slots[i].p->grad, 0, (size_t)slots[i].p->numel * sizeof(float));
        if (ak_backward(ctx, total) != AK_OK) {
            ak_ctx_set_record(ctx, rec);
            rc = ak_error_set(err, ctx->err.code, "maskd token learning backward: %s", ctx->err.msg);
            goto done;
        }
        ak_ctx_set_record(ctx, rec);
        /* mmcv CosineAnnealingLrUpdaterHook by iteration */
        double lr = cfg->min_lr + 0.5 * (cfg->lr - cfg->min_lr) * (cos(AK_PI * (double)it / (double)cfg->iters) + 1.0);
        for (int i = 0; i < n; i++)
            adam_step(&slots[i], cfg, lr, it + 1);
        if (log) {
            log->task = tl->data[0];
            log->dice = dice->data[0];
            if (it == 0)
                log->first_total = total->data[0];
            log->last_total = total->data[0];
        }
    }
    ak_ctx_reset(ctx);
done:
    set_grad(slots, n, false);
    for (int i = 0; i < n; i++) {
        free(slots[i].m);
        free(slots[i].v);
    }
    return rc;
}

int ak_maskd_load_tokens(ak_distill_loss *const *levels, int n_levels, const char *path, ak_error *err) {
    ak_safetensors st;
    AK_TRY(ak_safetensors_open(&st, path, err));
    int rc = AK_OK;
    for (int l = 0; l < n_levels && rc == AK_OK; l++) {
        if (!levels[l] || levels[l]->ops != &ak_maskd_ops) {
            rc = ak_error_set(err, AK_EINVAL, "maskd tokens %s: level %d is not a MasKD loss", path, l);
            break;
        }
        const maskd_state *ms = levels[l]->state;
        for (int i = 0; i < MK_COUNT && rc == AK_OK; i++) {
            if (!ms->weight_mask && i != MK_TOKEN)
                continue;
            ak_tensor *p = ak_loss_p(levels[l], i);
            char key[128];
            snprintf(key, sizeof key, "mask_modules.%d.%s", l, ms->head.names[i]);
            const ak_st_entry *e = ak_safetensors_find(&st, key);
            bool same = e && e->ndim == p->ndim;
            for (int d = 0; same && d < p->ndim; d++)
                same = e->shape[d] == p->shape[d];
            if (!same)
                rc = ak_error_set(err, AK_EFORMAT, "maskd tokens %s: key %s %s (expected %lld values, level %s)", path,
                                  key, e ? "has the wrong shape" : "is missing", (long long)p->numel, levels[l]->tap);
            else
                rc = ak_safetensors_read_f32(&st, key, p->data, p->numel, err);
        }
    }
    ak_safetensors_close(&st);
    return rc;
}
