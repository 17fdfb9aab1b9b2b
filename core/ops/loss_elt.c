/* The element-wise losses (BCE with logits, sigmoid focal, L1, smooth L1): argument checks,
 * reduction, dispatch to core/cpu/loss_sigmoid.c and loss_reg.c, and autograd. One shared path
 * because they differ only in the kernel pair they call. */
#include <math.h>

#include "core/cpu/loss.h"
#include "core/ops/loss.h"
#include "core/ops/loss_util.h"

typedef enum elt_kind { ELT_BCE, ELT_FOCAL, ELT_L1, ELT_SMOOTH_L1 } elt_kind;

typedef struct elt_saved {
    ak_loss_red red;
    elt_kind kind;
    float alpha, gamma, beta;
} elt_saved;

static void elt_backward(ak_ctx *ctx, ak_node *node) {
    const elt_saved *sv = node->saved;
    ak_tensor *x = node->in[0], *t = node->in[1];
    float coef;
    const float *dy = ak_loss_upstream(node->out, &sv->red, &coef);
    float *dx = x->requires_grad ? ak_grad_of(ctx, x) : NULL;
    float *dt = t->requires_grad ? ak_grad_of(ctx, t) : NULL;
    if (!ak_ok(ctx))
        return;
    const float *w = sv->red.w;
    int64_t wi = sv->red.w_inner, n = x->numel;
    switch (sv->kind) {
    case ELT_BCE: ak_cpu_bce_bwd(dx, dt, x->data, t->data, w, wi, n, dy, coef); break;
    case ELT_FOCAL:
        if (dx)
            ak_cpu_focal_bwd(dx, x->data, t->data, w, wi, n, sv->alpha, sv->gamma, dy, coef);
        break;
    case ELT_L1: ak_cpu_l1_bwd(dx, dt, x->data, t->data, w, wi, n, dy, coef); break;
    case ELT_SMOOTH_L1: ak_cpu_smooth_l1_bwd(dx, dt, x->data, t->data, w, wi, n, sv->beta, dy, coef); break;
    }
}

static ak_tensor *elt_loss(ak_ctx *ctx, const char *op, elt_kind kind, ak_tensor *x, ak_tensor *t,
                           const ak_loss_opts *opts, float alpha, float gamma, float beta) {
    bool logits = kind == ELT_BCE || kind == ELT_FOCAL;
    if (!ak_loss_check_pair(ctx, op, x, t, logits ? "logits" : "pred", logits ? "targets" : "target"))
        return NULL;
    if (kind == ELT_FOCAL && t->requires_grad)
        return ak_fail(ctx, AK_EUNSUP, "%s: targets require a gradient; focal-loss targets are constants", op);
    ak_loss_red red;
    if (!ak_loss_setup(ctx, op, opts, x->ndim, x->shape, &red))
        return NULL;
    ak_tensor *out = ak_loss_out(ctx, op, red.reduction, x->ndim, x->shape);
    if (!out)
        return NULL;
    float *o = red.reduction == AK_REDUCE_NONE ? out->data : NULL;
    const float *w = red.w;
    int64_t wi = red.w_inner, n = x->numel;
    double sum = 0.0;
    switch (kind) {
    case ELT_BCE: sum = ak_cpu_bce_fwd(o, x->data, t->data, w, wi, n); break;
    case ELT_FOCAL: sum = ak_cpu_focal_fwd(o, x->data, t->data, w, wi, n, alpha, gamma); break;
    case ELT_L1: sum = ak_cpu_l1_fwd(o, x->data, t->data, w, wi, n); break;
    case ELT_SMOOTH_L1: sum = ak_cpu_smooth_l1_fwd(o, x->data, t->data, w, wi, n, beta); break;
    }
    ak_loss_finish(out, &red, sum, n);
    ak_tensor *in[2] = {x, t};
    ak_node *node = ak_record(ctx, op, out, elt_backward, 2, in, sizeof(elt_saved));
    if (node) {
        elt_saved *sv = node->saved;
        sv->red = red;
        sv->kind = kind;
        sv->alpha = alpha;
        sv->gamma = gamma;
        sv->beta = beta;
    }
    return ak_ok(ctx) ? out : NULL;
}

ak_tensor *ak_bce_with_logits(ak_ctx *ctx, ak_tensor *logits, ak_tensor *targets, const ak_loss_opts *opts) {
    return elt_loss(ctx, "bce_with_logits", ELT_BCE, logits, targets, opts, 0.0f, 0.0f, 0.0f);
}

ak_tensor *ak_sigmoid_focal_loss(ak_ctx *ctx, ak_tensor *logits, ak_tensor *targets, float alpha, float gamma,
                                 const ak_loss_opts *opts) {
    if (logits && targets && ak_ok(ctx) && !(gamma >= 0.0f && isfinite(gamma) && isfinite(alpha)))
        return ak_fail(ctx, AK_EINVAL, "sigmoid_focal_loss: gamma must be finite and >= 0 and alpha finite, got gamma %g, alpha %g",
                       (double)gamma, (double)alpha);
    return elt_loss(ctx, "sigmoid_focal_loss", ELT_FOCAL, logits, targets, opts, alpha, gamma, 0.0f);
}

ak_tensor *ak_l1_loss(ak_ctx *ctx, ak_tensor *pred, ak_tensor *target, const ak_loss_opts *opts) {
    return elt_loss(ctx, "l1_loss", ELT_L1, pred, target, opts, 0.0f, 0.0f, 0.0f);
}

ak_tensor *ak_smooth_l1_loss(ak_ctx *ctx, ak_tensor *pred, ak_tensor *target, float beta,
                             const ak_loss_opts *opts) {
    if (pred && target && ak_ok(ctx) && !(beta >= 0.0f && isfinite(beta)))
        return ak_fail(ctx, AK_EINVAL, "smooth_l1_loss: beta must be finite and >= 0, got %g", (double)beta);
    return elt_loss(ctx, "smooth_l1_loss", ELT_SMOOTH_L1, pred, target, opts, 0.0f, 0.0f, beta);
}
