/* Softmax / log-softmax: axis handling, dispatch and autograd; kernels in core/cpu/softmax.c. */
#include "core/ops/softmax.h"

#include <stdio.h>

#include "core/cpu/softmax.h"

typedef struct softmax_saved {
    int64_t outer, len, inner;
    int log_softmax;
} softmax_saved;

static void softmax_backward(ak_ctx *ctx, ak_node *node) {
    const softmax_saved *s = node->saved;
    float *dx = ak_grad_of(ctx, node->in[0]);
    if (dx)
        ak_cpu_softmax_bwd(dx, node->out->grad, node->out->data, s->outer, s->len, s->inner, s->log_softmax);
}

static ak_tensor *softmax(ak_ctx *ctx, const char *name, ak_tensor *x, int axis, int log_softmax) {
    if (!x || !ak_ok(ctx))
        return NULL;
    if (x->device != AK_DEV_CPU)
        return ak_fail(ctx, AK_EUNSUP, "%s: device %d not supported in this build", name, (int)x->device);
    int a = axis < 0 ? axis + x->ndim : axis;
    if (a < 0 || a >= x->ndim) {
        char s[64];
        return ak_fail(ctx, AK_EINVAL, "%s: axis %d out of range for shape %s", name, axis,
                       ak_shape_str(x, s, sizeof s));
    }
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < a; d++)
        outer *= x->shape[d];
    for (int d = a + 1; d < x->ndim; d++)
        inner *= x->shape[d];
    ak_tensor *y = ak_tensor_like(ctx, name, x);
    if (!y)
        return NULL;
    ak_cpu_softmax_fwd(y->data, x->data, outer, x->shape[a], inner, log_softmax);
    ak_node *node = ak_record(ctx, name, y, softmax_backward, 1, &x, sizeof(softmax_saved));
    if (node) {
        softmax_saved *s = node->saved;
        s->outer = outer;
        s->len = x->shape[a];
        s->inner = inner;
        s->log_softmax = log_softmax;
    }
    return ak_ok(ctx) ? y : NULL;
}

ak_tensor *ak_softmax(ak_ctx *ctx, ak_tensor *x, int axis) { return softmax(ctx, "softmax", x, axis, 0); }
ak_tensor *ak_log_softmax(ak_ctx *ctx, ak_tensor *x, int axis) { return softmax(ctx, "log_softmax", x, axis, 1); }
