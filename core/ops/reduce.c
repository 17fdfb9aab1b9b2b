/* Reductions: axis validation, output shapes, dispatch and autograd; kernels in core/cpu/reduce.c. */
#include "core/ops/reduce.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/cpu/elementwise.h"
#include "core/cpu/reduce.h"

typedef struct sum_saved {
    int64_t kshape[AK_MAX_DIMS]; /* the output's shape with the reduced axes kept as 1 */
    double alpha;
} sum_saved;

static void sum_backward(ak_ctx *ctx, ak_node *node) {
    const sum_saved *s = node->saved;
    ak_tensor *x = node->in[0];
    float *dx = ak_grad_of(ctx, x);
    if (dx)
        ak_cpu_binary(dx, NULL, NULL, node->out->grad, s->kshape, x->ndim, x->shape, AK_BIN_B, (float)s->alpha, 1);
}

/* Mark the reduced axes in red[]; AK_OK or an error naming op, axis and shape. */
static int check_axes(ak_ctx *ctx, const char *op, const ak_tensor *x, const int *axes, int n_axes, int *red) {
    char s[64];
    memset(red, 0, AK_MAX_DIMS * sizeof *red);
    if (n_axes < 1 || n_axes > x->ndim || !axes)
        return ak_error_set(&ctx->err, AK_EINVAL, "%s: %d axes given for shape %s (expected 1..%d; use %s_all "
                            "for every element)", op, n_axes, ak_shape_str(x, s, sizeof s), x->ndim, op);
    for (int i = 0; i < n_axes; i++) {
        int a = axes[i] < 0 ? axes[i] + x->ndim : axes[i];
        if (a < 0 || a >= x->ndim)
            return ak_error_set(&ctx->err, AK_EINVAL, "%s: axis %d out of range for shape %s", op, axes[i],
                                ak_shape_str(x, s, sizeof s));
        if (red[a])
            return ak_error_set(&ctx->err, AK_EINVAL, "%s: axis %d given twice for shape %s", op, axes[i],
                                ak_shape_str(x, s, sizeof s));
        red[a] = 1;
    }
    return AK_OK;
}

/* Shared by sum / mean / sum_all / mean_all: red[d] marks the summed dims. */
static ak_tensor *reduce(ak_ctx *ctx, const char *name, ak_tensor *x, const int *red, bool keepdim, bool mean) {
    if (x->device != AK_DEV_CPU)
        return ak_fail(ctx, AK_EUNSUP, "%s: device %d not supported in this build", name, (int)x->device);
    int64_t kshape[AK_MAX_DIMS], oshape[AK_MAX_DIMS];
    int ond = 0;
    int64_t count = 1;
    for (int d = 0; d < x->ndim; d++) {
        kshape[d] = red[d] ? 1 : x->shape[d];
        if (red[d])
            count *= x->shape[d];
        if (!red[d] || keepdim)
            oshape[ond++] = kshape[d];
    }
    ak_tensor *y = ak_tensor_new(ctx, name, ond, oshape);
    if (!y)
        return NULL;
    double alpha = mean ? (count ? 1.0 / (double)count : NAN) : 1.0;
    size_t wsb = ak_cpu_reduce_sum_workspace(x->ndim, x->shape, kshape);
    void *ws = wsb ? ak_scratch(ctx, name, wsb) : NULL;
    if (wsb && !ws)
        return NULL;
    ak_cpu_reduce_sum(y->data, x->data, x->ndim, x->shape, kshape, alpha, 0, ws);
    ak_node *node = ak_record(ctx, name, y, sum_backward, 1, &x, sizeof(sum_saved));
    if (node) {
        sum_saved *s = node->saved;
        memcpy(s->kshape, kshape, sizeof kshape);
        s->alpha = alpha;
    }
    return ak_ok(ctx) ? y : NULL;
}

static ak_tensor *reduce_axes(ak_ctx *ctx, const char *name, ak_tensor *x, const int *axes, int n_axes,
                              bool keepdim, bool mean) {
    if (!x || !ak_ok(ctx))
        return NULL;
    int red[AK_MAX_DIMS];
    if (check_axes(ctx, name, x, axes, n_axes, red) != AK_OK)
        return NULL;
    return reduce(ctx, name, x, red, keepdim, mean);
}

static ak_tensor *reduce_all(ak_ctx *ctx, const char *name, ak_tensor *x, bool mean) {
    if (!x || !ak_ok(ctx))
        return NULL;
    int red[AK_MAX_DIMS] = {1, 1, 1, 1, 1};
    return reduce(ctx, name, x, red, false, mean);
}

ak_tensor *ak_sum(ak_ctx *ctx, ak_tensor *x, const int *axes, int n_axes, bool keepdim) {
    return reduce_axes(ctx, "sum", x, axes, n_axes, keepdim, false);
}
ak_tensor *ak_mean(ak_ctx *ctx, ak_tensor *x, const int *axes, int n_axes, bool keepdim) {
    return reduce_axes(ctx, "mean", x, axes, n_axes, keepdim, true);
}
ak_tensor *ak_sum_all(ak_ctx *ctx, ak_tensor *x) { return reduce_all(ctx, "sum_all", x, false); }
ak_tensor *ak_mean_all(ak_ctx *ctx, ak_tensor *x) { return reduce_all(ctx, "mean_all", x, true); }

typedef struct max_saved {
    int64_t *idx; /* arena, one per output element */
    int64_t outer, len, inner;
} max_saved;

static void max_backward(ak_ctx *ctx, ak_node *node) {
    const max_saved *s = node->saved;
    float *dx = ak_grad_of(ctx, node->in[0]);
    if (dx)
        ak_cpu_max_axis_bwd(dx, node->out->grad, s->idx, s->outer, s->len, s->inner);
}

ak_tensor *ak_max(ak_ctx *ctx, ak_tensor *x, int axis, bool keepdim) {
    if (!x || !ak_ok(ctx))
        return NULL;
    int red[AK_MAX_DIMS];
    if (check_axes(ctx, "max", x, &axis, 1, red) != AK_OK)
        return NULL;
    if (x->device != AK_DEV_CPU)
        return ak_fail(ctx, AK_EUNSUP, "max: device %d not supported in this build", (int)x->device);
    int a = axis < 0 ? axis + x->ndim : axis;
    char s[64];
    if (x->shape[a] == 0)
        return ak_fail(ctx, AK_ESHAPE, "max: axis %d of shape %s is empty", axis, ak_shape_str(x, s, sizeof s));
    int64_t oshape[AK_MAX_DIMS], outer = 1, inner = 1;
    int ond = 0;
    for (int d = 0; d < x->ndim; d++) {
        if (d < a)
            outer *= x->shape[d];
        if (d > a)
            inner *= x->shape[d];
        if (d != a || keepdim)
            oshape[ond++] = d == a ? 1 : x->shape[d];
    }
    ak_tensor *y = ak_tensor_new(ctx, "max", ond, oshape);
    int64_t *idx = y ? ak_scratch(ctx, "max", (size_t)y->numel * sizeof *idx) : NULL;
    if (!idx)
        return NULL;
    ak_cpu_max_axis(y->data, idx, x->data, outer, x->shape[a], inner);
    ak_node *node = ak_record(ctx, "max", y, max_backward, 1, &x, sizeof(max_saved));
    if (node) {
        max_saved *ms = node->saved;
        ms->idx = idx;
        ms->outer = outer;
        ms->len = x->shape[a];
        ms->inner = inner;
    }
    return ak_ok(ctx) ? y : NULL;
}
