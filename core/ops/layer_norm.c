/* Layer norm over trailing dims: checks, statistics and autograd; declared in core/ops/norm.h,
 * kernels in core/cpu/norm.c (statistics) and core/cpu/layer_norm.c. */
#include <math.h>
#include <stdio.h>

#include "core/cpu/norm.h"
#include "core/ops/norm.h"

typedef struct ln_saved {
    int64_t R, D;
    float *mean, *rstd; /* per row */
} ln_saved;

static void ln_backward(ak_ctx *ctx, ak_node *node) {
    const ln_saved *s = node->saved;
    ak_tensor *x = node->in[0], *w = node->in[1], *b = node->in[2];
    const float *dy = node->out->grad;
    const bool need_w = w && w->requires_grad, need_b = b && b->requires_grad;
    if (need_w || need_b) {
        float *dw = need_w ? ak_grad_of(ctx, w) : NULL, *db = need_b ? ak_grad_of(ctx, b) : NULL;
        if ((need_w && !dw) || (need_b && !db))
            return;
        ak_cpu_ln_bwd_params(dw, db, dy, x->data, s->R, s->D, s->mean, s->rstd);
    }
    if (x->requires_grad) {
        float *dx = ak_grad_of(ctx, x);
        if (dx)
            ak_cpu_ln_bwd_x(dx, dy, x->data, s->R, s->D, s->mean, s->rstd, w ? w->data : NULL);
    }
}

/* weight / bias must be NULL or have exactly x's trailing norm_dims dims. */
static int check_param(ak_ctx *ctx, const char *what, const ak_tensor *t, const ak_tensor *x, int norm_dims) {
    if (!t)
        return AK_OK;
    bool ok = t->ndim == norm_dims && t->device == x->device;
    for (int d = 0; ok && d < norm_dims; d++)
        ok = t->shape[d] == x->shape[x->ndim - norm_dims + d];
    if (ok)
        return AK_OK;
    char s1[64], s2[64];
    return ak_error_set(&ctx->err, AK_ESHAPE, "layer_norm: %s has shape %s, expected the last %d dims of input %s",
                        what, ak_shape_str(t, s1, sizeof s1), norm_dims, ak_shape_str(x, s2, sizeof s2));
}

ak_tensor *ak_layer_norm(ak_ctx *ctx, ak_tensor *x, int norm_dims, ak_tensor *weight, ak_tensor *bias, float eps) {
    static const char *op = "layer_norm";
    if (!x || !ak_ok(ctx))
        return NULL;
    char s[64];
    if (x->device != AK_DEV_CPU)
        return ak_fail(ctx, AK_EUNSUP, "%s: device %d not supported in this build", op, (int)x->device);
    if (norm_dims < 1 || norm_dims > x->ndim)
        return ak_fail(ctx, AK_EINVAL, "%s: norm_dims %d for input %s (expected 1..%d)", op, norm_dims,
                       ak_shape_str(x, s, sizeof s), x->ndim);
    if (!(eps >= 0.0f))
        return ak_fail(ctx, AK_EINVAL, "%s: eps %g must be >= 0", op, (double)eps);
    if (check_param(ctx, "weight", weight, x, norm_dims) || check_param(ctx, "bias", bias, x, norm_dims))
        return NULL;
    int64_t D = 1;
    for (int d = x->ndim - norm_dims; d < x->ndim; d++)
        D *= x->shape[d];
    const int64_t R = D ? x->numel / D : 0;
    ak_tensor *y = ak_tensor_like(ctx, op, x);
    float *stats = ak_scratch(ctx, op, (size_t)(R ? R : 1) * 3 * sizeof *stats); /* shift, mean, rstd */
    double *mom = ak_scratch(ctx, op, (size_t)(R ? R : 1) * 2 * sizeof *mom);
    if (!y || !stats || !mom)
        return NULL;
    float *shift = stats, *mean = stats + R, *rstd = stats + 2 * R;
    for (int64_t r = 0; r < R; r++)
        shift[r] = x->data[r * D];
    ak_cpu_seg_moments(mom, mom + R, x->data, R, D, shift);
    for (int64_t r = 0; r < R; r++) {
        const double mu = mom[r] / (double)D;
        double var = mom[R + r] / (double)D - mu * mu;
        if (var < 0)
            var = 0;
        mean[r] = (float)((double)shift[r] + mu);
        rstd[r] = (float)(1.0 / sqrt(var + (double)eps));
    }
    ak_cpu_ln_fwd(y->data, x->data, R, D, mean, rstd, weight ? weight->data : NULL, bias ? bias->data : NULL);
    ak_tensor *in[3] = {x, weight, bias};
    ak_node *node = ak_record(ctx, op, y, ln_backward, 3, in, sizeof(ln_saved));
    if (node) {
        ln_saved *sv = node->saved;
        sv->R = R;
        sv->D = D;
        sv->mean = mean;
        sv->rstd = rstd;
    }
    return ak_ok(ctx) ? y : NULL;
}
