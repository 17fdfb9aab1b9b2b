/* Fused row-wise softmax KL: checks, dispatch and autograd; kernels in core/cpu/softmax_kl.c. */
#include "core/ops/softmax_kl.h"

#include <math.h>

#include "core/cpu/softmax_kl.h"

typedef struct kl_saved {
    ak_kl_row *rows;
    int64_t n_rows, len;
    float tau;
} kl_saved;

static void kl_backward(ak_ctx *ctx, ak_node *node) {
    const kl_saved *sv = node->saved;
    ak_tensor *s = node->in[0], *t = node->in[1];
    float *ds = s->requires_grad ? ak_grad_of(ctx, s) : NULL;
    float *dt = t->requires_grad ? ak_grad_of(ctx, t) : NULL;
    if (!ak_ok(ctx) || (!ds && !dt))
        return;
    /* out = tau^2/R * sum KL; dKL/dx = (1/tau) dKL/da */
    double coef = (double)node->out->grad[0] * (double)sv->tau / (double)sv->n_rows;
    ak_cpu_softmax_kl_bwd(ds, dt, sv->rows, s->data, t->data, sv->n_rows, sv->len, 1.0f / sv->tau, coef);
}

ak_tensor *ak_softmax_kl(ak_ctx *ctx, ak_tensor *s, ak_tensor *t, float tau) {
    if (!s || !t || !ak_ok(ctx))
        return NULL;
    if (s->device != AK_DEV_CPU || t->device != AK_DEV_CPU)
        return ak_fail(ctx, AK_EUNSUP, "softmax_kl: device not supported in this build");
    char a[64], b[64];
    if (!ak_same_shape(s, t) || s->ndim < 2)
        return ak_fail(ctx, AK_ESHAPE, "softmax_kl: student %s and teacher %s must have the same shape (N,C,...)",
                       ak_shape_str(s, a, sizeof a), ak_shape_str(t, b, sizeof b));
    if (!(tau > 0.0f) || !isfinite(tau))
        return ak_fail(ctx, AK_EINVAL, "softmax_kl: temperature must be finite and > 0, got %g", (double)tau);
    int64_t n_rows = s->shape[0] * s->shape[1];
    if (n_rows == 0 || s->numel == 0)
        return ak_fail(ctx, AK_ESHAPE, "softmax_kl: empty input %s", ak_shape_str(s, a, sizeof a));
    int64_t len = s->numel / n_rows;
    ak_kl_row *rows = ak_scratch(ctx, "softmax_kl", (size_t)n_rows * sizeof *rows);
    ak_tensor *out = ak_tensor_new(ctx, "softmax_kl", 0, NULL);
    if (!rows || !out)
        return NULL;
    double sum = ak_cpu_softmax_kl_fwd(rows, s->data, t->data, n_rows, len, 1.0f / tau);
    out->data[0] = (float)((double)tau * (double)tau * sum / (double)n_rows);
    ak_tensor *in[2] = {s, t};
    ak_node *node = ak_record(ctx, "softmax_kl", out, kl_backward, 2, in, sizeof(kl_saved));
    if (node) {
        kl_saved *sv = node->saved;
        sv->rows = rows;
        sv->n_rows = n_rows;
        sv->len = len;
        sv->tau = tau;
    }
    return ak_ok(ctx) ? out : NULL;
}
