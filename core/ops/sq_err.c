/* Fused weighted squared error: checks, dispatch and autograd; kernels in core/cpu/sq_err.c. */
#include "core/ops/sq_err.h"

#include "core/cpu/sq_err.h"

typedef struct sq_saved {
    int64_t N, C, P, K;
    double *q; /* NULL unless w needs a gradient */
    int has_o, has_w, has_wc;
} sq_saved;

/* Inputs are recorded in a fixed order: s, t, then the optional operands that are present. */
static void sq_backward(ak_ctx *ctx, ak_node *node) {
    const sq_saved *sv = node->saved;
    int i = 0;
    ak_tensor *s = node->in[i++], *t = node->in[i++];
    ak_tensor *o = sv->has_o ? node->in[i++] : NULL;
    ak_tensor *w = sv->has_w ? node->in[i++] : NULL;
    ak_tensor *wc = sv->has_wc ? node->in[i++] : NULL;
    float *ds = s->requires_grad ? ak_grad_of(ctx, s) : NULL;
    float *dt = t->requires_grad ? ak_grad_of(ctx, t) : NULL;
    float *dof = o && o->requires_grad ? ak_grad_of(ctx, o) : NULL;
    float *dw = w && w->requires_grad ? ak_grad_of(ctx, w) : NULL;
    float *dwc = wc && wc->requires_grad ? ak_grad_of(ctx, wc) : NULL;
    if (!ak_ok(ctx))
        return;
    const float *dy = node->out->grad;
    int64_t NP = sv->N * sv->P;
    if (dw)
        ak_cpu_sq_err_bwd_w(dw, dy, sv->q, sv->K, NP);
    if (!ds && !dt && !dof && !dwc)
        return;
    float *g = ak_scratch(ctx, "weighted_sq_err backward", (size_t)NP * sizeof *g);
    if (!g)
        return;
    ak_cpu_sq_err_upstream(g, dy, w ? w->data : NULL, sv->K, NP);
    ak_cpu_sq_err_bwd(ds, dt, dof, dwc, s->data, t->data, o ? o->data : NULL, wc ? wc->data : NULL, g, sv->N, sv->C,
                      sv->P);
}

ak_tensor *ak_weighted_sq_err(ak_ctx *ctx, ak_tensor *s, ak_tensor *t, ak_tensor *o, ak_tensor *w, ak_tensor *wc) {
    if (!s || !t || !ak_ok(ctx))
        return NULL;
    char a[64], b[64];
    if (!ak_same_shape(s, t) || s->ndim < 2)
        return ak_fail(ctx, AK_ESHAPE, "weighted_sq_err: student %s and teacher %s must have the same shape (N,C,...)",
                       ak_shape_str(s, a, sizeof a), ak_shape_str(t, b, sizeof b));
    ak_tensor *ops[5] = {s, t, o, w, wc};
    for (int i = 0; i < 5; i++)
        if (ops[i] && ops[i]->device != AK_DEV_CPU)
            return ak_fail(ctx, AK_EUNSUP, "weighted_sq_err: device %d not supported in this build",
                           (int)ops[i]->device);
    int64_t N = s->shape[0], C = s->shape[1], P = N * C != 0 ? s->numel / (N * C) : 0, K = 1;
    if (o && o->numel != N * C)
        return ak_fail(ctx, AK_ESHAPE, "weighted_sq_err: offset %s must have N*C = %lld elements for maps %s",
                       ak_shape_str(o, a, sizeof a), (long long)(N * C), ak_shape_str(s, b, sizeof b));
    if (wc && wc->numel != N * C)
        return ak_fail(ctx, AK_ESHAPE,
                       "weighted_sq_err: channel weights %s must have N*C = %lld elements for maps %s",
                       ak_shape_str(wc, a, sizeof a), (long long)(N * C), ak_shape_str(s, b, sizeof b));
    if (w) {
        if (N * P == 0 || w->numel % (N * P) != 0 || w->numel == 0)
            return ak_fail(ctx, AK_ESHAPE,
                           "weighted_sq_err: spatial weights %s must have K*N*P elements (N*P = %lld) for maps %s",
                           ak_shape_str(w, a, sizeof a), (long long)(N * P), ak_shape_str(s, b, sizeof b));
        K = w->numel / (N * P);
    }
    int64_t oshape[1] = {K};
    ak_tensor *out = ak_tensor_new(ctx, "weighted_sq_err", 1, oshape);
    double *q = ak_scratch(ctx, "weighted_sq_err", (size_t)(N * P > 0 ? N * P : 1) * sizeof *q);
    double *sums = ak_scratch(ctx, "weighted_sq_err", (size_t)K * sizeof *sums);
    if (!out || !q || !sums)
        return NULL;
    ak_cpu_sq_err_q(q, s->data, t->data, o ? o->data : NULL, wc ? wc->data : NULL, N, C, P);
    ak_cpu_sq_err_reduce(sums, q, w ? w->data : NULL, K, N * P);
    for (int64_t k = 0; k < K; k++)
        out->data[k] = (float)sums[k];

    ak_tensor *in[5];
    int n_in = 0;
    in[n_in++] = s;
    in[n_in++] = t;
    if (o)
        in[n_in++] = o;
    if (w)
        in[n_in++] = w;
    if (wc)
        in[n_in++] = wc;
    ak_node *node = ak_record(ctx, "weighted_sq_err", out, sq_backward, n_in, in, sizeof(sq_saved));
    if (node) {
        sq_saved *sv = node->saved;
        sv->N = N;
        sv->C = C;
        sv->P = P;
        sv->K = K;
        sv->q = w && w->requires_grad ? q : NULL;
        sv->has_o = o != NULL;
        sv->has_w = w != NULL;
        sv->has_wc = wc != NULL;
    }
    return ak_ok(ctx) ? out : NULL;
}
