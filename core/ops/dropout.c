/* Dropout ops: argument checks, dispatch and autograd; kernels in core/cpu/dropout.c. */
#include "core/ops/dropout.h"

#include <stdio.h>

#include "core/cpu/dropout.h"

typedef struct dropout_saved {
    uint8_t *keep;   /* element variant: per element */
    float *mult;     /* channel variant: per (n, c) plane, scale or 0 */
    int64_t planes, plane_size;
    float scale;
} dropout_saved;

static void dropout_backward(ak_ctx *ctx, ak_node *node) {
    const dropout_saved *s = node->saved;
    float *dx = ak_grad_of(ctx, node->in[0]);
    if (!dx)
        return;
    if (s->keep)
        ak_cpu_dropout_bwd(dx, node->out->grad, s->keep, node->out->numel, s->scale);
    else
        ak_cpu_channel_dropout_bwd(dx, node->out->grad, s->mult, s->planes, s->plane_size);
}

static int check(ak_ctx *ctx, const char *name, ak_tensor *x, float p) {
    if (x->device != AK_DEV_CPU)
        return ak_error_set(&ctx->err, AK_EUNSUP, "%s: device %d not supported in this build", name, (int)x->device);
    if (!(p >= 0.0f && p <= 1.0f))
        return ak_error_set(&ctx->err, AK_EINVAL, "%s: p = %g, expected a probability in [0, 1]", name, (double)p);
    return AK_OK;
}

ak_tensor *ak_dropout(ak_ctx *ctx, ak_tensor *x, float p, ak_rng rng) {
    if (!x || !ak_ok(ctx) || check(ctx, "dropout", x, p) != AK_OK)
        return NULL;
    ak_tensor *y = ak_tensor_like(ctx, "dropout", x);
    if (!y)
        return NULL;
    /* Record first so that the mask is only stored when a backward pass can need it. */
    ak_node *node = ak_record(ctx, "dropout", y, dropout_backward, 1, &x, sizeof(dropout_saved));
    uint8_t *keep = NULL;
    if (node) {
        keep = ak_scratch(ctx, "dropout", (size_t)(x->numel ? x->numel : 1));
        if (!keep)
            return NULL;
        dropout_saved *s = node->saved;
        s->keep = keep;
        s->scale = ak_cpu_dropout_scale(p);
    } else if (!ak_ok(ctx)) {
        return NULL;
    }
    ak_cpu_dropout_fwd(y->data, keep, x->data, x->numel, p, rng);
    return y;
}

ak_tensor *ak_channel_dropout(ak_ctx *ctx, ak_tensor *x, float p, ak_rng rng) {
    if (!x || !ak_ok(ctx) || check(ctx, "channel_dropout", x, p) != AK_OK)
        return NULL;
    if (x->ndim < 2) {
        char s[64];
        return ak_fail(ctx, AK_ESHAPE, "channel_dropout: input of shape %s, expected (N, C, ...) with >= 2 dims",
                       ak_shape_str(x, s, sizeof s));
    }
    const int64_t planes = x->shape[0] * x->shape[1];
    const int64_t plane_size = planes ? x->numel / planes : 0;
    ak_tensor *y = ak_tensor_like(ctx, "channel_dropout", x);
    if (!y)
        return NULL;
    ak_node *node = ak_record(ctx, "channel_dropout", y, dropout_backward, 1, &x, sizeof(dropout_saved));
    float *mult = NULL;
    if (node) {
        mult = ak_scratch(ctx, "channel_dropout", (size_t)(planes ? planes : 1) * sizeof *mult);
        if (!mult)
            return NULL;
        dropout_saved *s = node->saved;
        s->mult = mult;
        s->planes = planes;
        s->plane_size = plane_size;
    } else if (!ak_ok(ctx)) {
        return NULL;
    }
    ak_cpu_channel_dropout_fwd(y->data, mult, x->data, planes, plane_size, p, rng);
    return y;
}
