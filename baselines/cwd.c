/* Channel-wise distillation (METHODS.md §2.2; identical in [AKD] cwd.py, [MASKD], [RZR]): per
 * (n, c) the spatial softmax of T/tau is the target of the student's,
 *   L = weight * tau^2/(N*C) * sum_{n,c} KL(P_T || P_S),
 * the KL summed over the H*W positions, divided by N*C (not by H*W). One fused op
 * (core/ops/softmax_kl.h); works for FPN features and for logit maps alike. */
#include <math.h>

#include "baselines/loss_common.h"
#include "baselines/methods.h"
#include "core/ops/elementwise.h"
#include "core/ops/softmax_kl.h"

typedef struct cwd_state {
    ak_loss_head head;
    float tau;
} cwd_state;

static ak_tensor *cwd_forward(ak_ctx *ctx, ak_distill_loss *l, const ak_distill_inputs *in) {
    const cwd_state *st = l->state;
    ak_tensor *s = in->student, *t = in->teacher;
    if (!s || !t || !ak_ok(ctx))
        return NULL;
    char a[64], b[64];
    if (!ak_same_shape(s, t) || s->ndim < 2)
        return ak_fail(ctx, AK_ESHAPE, "cwd (tap %s): student %s and teacher %s must have the same (N,C,...) shape",
                       l->tap, ak_shape_str(s, a, sizeof a), ak_shape_str(t, b, sizeof b));
    ak_tensor *out = ak_mul_scalar(ctx, ak_softmax_kl(ctx, s, t, st->tau), l->weight);
    if (out)
        ak_loss_set_term1(l, out->data[0]);
    return out;
}

static const ak_distill_loss_ops cwd_ops = {"cwd", cwd_forward, ak_loss_free_state, NULL};

ak_distill_loss *ak_cwd_loss_create(const char *tap, float weight, float tau, ak_error *err) {
    if (!(tau > 0.0f) || !isfinite(tau)) {
        ak_error_set(err, AK_EINVAL, "cwd (tap %s): tau must be > 0, got %g", tap, (double)tau);
        return NULL;
    }
    ak_distill_loss *l = ak_loss_alloc(&cwd_ops, tap, weight, sizeof(cwd_state), err);
    if (l)
        ((cwd_state *)l->state)->tau = tau;
    return l;
}
