/* Head-level KD terms of the reference configs (METHODS.md §2.7): mmdet L1Loss / SmoothL1Loss with
 * reduction mean over every element of the raw head output (e.g. retina_reg, one call per FPN
 * level, the levels summed by the distiller), times the weight. Never wrapped by avatars (§1.2). */
#include <math.h>

#include "baselines/loss_common.h"
#include "baselines/methods.h"
#include "core/ops/elementwise.h"
#include "core/ops/loss.h"

typedef struct head_state {
    ak_loss_head head;
    int kind;
    float beta;
} head_state;

static ak_tensor *head_forward(ak_ctx *ctx, ak_distill_loss *l, const ak_distill_inputs *in) {
    const head_state *st = l->state;
    ak_tensor *s = in->student, *t = in->teacher;
    if (!s || !t || !ak_ok(ctx))
        return NULL;
    char a[64], b[64];
    if (!ak_same_shape(s, t))
        return ak_fail(ctx, AK_ESHAPE, "%s (tap %s): student %s and teacher %s differ", l->ops->method, l->tap,
                       ak_shape_str(s, a, sizeof a), ak_shape_str(t, b, sizeof b));
    ak_tensor *raw = st->kind == AK_HEAD_KD_L1 ? ak_l1_loss(ctx, s, t, NULL) : ak_smooth_l1_loss(ctx, s, t, st->beta, NULL);
    ak_tensor *out = ak_mul_scalar(ctx, raw, l->weight);
    if (out)
        ak_loss_set_term1(l, out->data[0]);
    return out;
}

static const ak_distill_loss_ops l1_ops = {"l1", head_forward, ak_loss_free_state, NULL};
static const ak_distill_loss_ops smooth_l1_ops = {"smooth_l1", head_forward, ak_loss_free_state, NULL};

ak_distill_loss *ak_head_kd_loss_create(const char *tap, int kind, float weight, float beta, ak_error *err) {
    if (kind != AK_HEAD_KD_L1 && kind != AK_HEAD_KD_SMOOTH_L1) {
        ak_error_set(err, AK_EINVAL, "head KD term (tap %s): unknown kind %d", tap, kind);
        return NULL;
    }
    if (kind == AK_HEAD_KD_SMOOTH_L1 && (!(beta >= 0.0f) || !isfinite(beta))) {
        ak_error_set(err, AK_EINVAL, "smooth_l1 (tap %s): beta must be >= 0, got %g", tap, (double)beta);
        return NULL;
    }
    ak_distill_loss *l = ak_loss_alloc(kind == AK_HEAD_KD_L1 ? &l1_ops : &smooth_l1_ops, tap, weight,
                                       sizeof(head_state), err);
    if (l) {
        head_state *st = l->state;
        st->kind = kind;
        st->beta = beta;
    }
    return l;
}
