/* PKD, Pearson-correlation distillation (METHODS.md §2.6, [RZR] pkd_loss.py): both maps are
 * standardised per channel over (n, h, w) with the unbiased std + 1e-6 (computed per ghost batch,
 * §5.6), then L = weight * mean (S_hat - T_hat)^2 / 2 (= weight * mean_c (1 - r_c) up to eps).
 * When the heights differ (the reference compares heights only) one map is bilinearly resized
 * (align_corners false) to the other's size first: the student by default (resize_stu). */
#include "baselines/loss_common.h"
#include "baselines/methods.h"
#include "core/ops/resize.h"
#include "core/ops/sq_err.h"
#include "core/ops/standardize.h"

typedef struct pkd_state {
    ak_loss_head head;
    bool resize_stu;
    int ghost;
} pkd_state;

static ak_tensor *pkd_forward(ak_ctx *ctx, ak_distill_loss *l, const ak_distill_inputs *in) {
    const pkd_state *st = l->state;
    ak_tensor *s = in->student, *t = in->teacher;
    if (!ak_loss_check_maps(ctx, l, s, t, false))
        return NULL;
    if (s->shape[2] != t->shape[2]) {
        if (st->resize_stu)
            s = ak_resize(ctx, s, t->shape[2], t->shape[3], AK_RESIZE_BILINEAR, false);
        else
            t = ak_resize(ctx, t, s->shape[2], s->shape[3], AK_RESIZE_BILINEAR, false);
        if (!ak_loss_check_maps(ctx, l, s, t, true))
            return NULL;
    } else if (!ak_loss_check_maps(ctx, l, s, t, true)) {
        return NULL;
    }
    ak_tensor *sh = ak_channel_standardize(ctx, s, st->ghost, true, 1e-6f);
    ak_tensor *th = ak_channel_standardize(ctx, t, st->ghost, true, 1e-6f);
    ak_tensor *out = ak_loss_scaled_sum(ctx, ak_weighted_sq_err(ctx, sh, th, NULL, NULL, NULL),
                                        (float)((double)l->weight / (2.0 * (double)s->numel)));
    if (out)
        ak_loss_set_term1(l, out->data[0]);
    return out;
}

static const ak_distill_loss_ops pkd_ops = {"pkd", pkd_forward, ak_loss_free_state, NULL};

ak_distill_loss *ak_pkd_loss_create(const char *tap, const ak_pkd_opts *o, ak_error *err) {
    ak_distill_loss *l = ak_loss_alloc(&pkd_ops, tap, o->weight, sizeof(pkd_state), err);
    if (l) {
        pkd_state *st = l->state;
        st->resize_stu = o->resize_stu;
        st->ghost = o->ghost;
    }
    return l;
}
