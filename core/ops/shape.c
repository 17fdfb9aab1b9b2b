/* Layout ops: shape checks, dispatch and autograd; kernels in core/cpu/shape.c. */
#include "core/ops/shape.h"

#include <stdio.h>
#include <string.h>

#include "core/cpu/elementwise.h"
#include "core/cpu/shape.h"

static ak_tensor *check_cpu(ak_ctx *ctx, const char *name, const ak_tensor *x) {
    if (x->device != AK_DEV_CPU)
        return ak_fail(ctx, AK_EUNSUP, "%s: device %d not supported in this build", name, (int)x->device);
    return (ak_tensor *)x;
}

/* A header sharing x's data (reshape, detach). */
static ak_tensor *view(ak_ctx *ctx, const char *name, ak_tensor *x, int ndim, const int64_t *shape) {
    ak_tensor *t = ak_scratch(ctx, name, sizeof *t);
    if (!t)
        return NULL;
    memset(t, 0, sizeof *t);
    t->data = x->data;
    t->ndim = ndim;
    memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
    t->numel = x->numel;
    t->device = x->device;
    t->persistent = x->persistent; /* who owns the memory does not change */
    t->name = name;
    return t;
}

/* ---- reshape / copy: the gradient passes through unchanged ---- */

static void identity_backward(ak_ctx *ctx, ak_node *node) {
    float *dx = ak_grad_of(ctx, node->in[0]);
    if (dx)
        ak_cpu_axpy(dx, 1.0f, node->out->grad, node->out->numel);
}

ak_tensor *ak_reshape(ak_ctx *ctx, ak_tensor *x, int ndim, const int64_t *shape) {
    if (!x || !ak_ok(ctx) || !check_cpu(ctx, "reshape", x))
        return NULL;
    char s[64];
    if (ndim < 0 || ndim > AK_MAX_DIMS || (ndim && !shape))
        return ak_fail(ctx, AK_ESHAPE, "reshape: %d dims requested for input %s (0..%d allowed)", ndim,
                       ak_shape_str(x, s, sizeof s), AK_MAX_DIMS);
    int64_t out[AK_MAX_DIMS];
    int infer = -1;
    int64_t known = 1;
    for (int d = 0; d < ndim; d++) {
        out[d] = shape[d];
        if (shape[d] == -1 && infer < 0) {
            infer = d;
        } else if (shape[d] < 0) {
            return ak_fail(ctx, AK_ESHAPE, "reshape: bad size %lld in dimension %d for input %s (one -1 at most)",
                           (long long)shape[d], d, ak_shape_str(x, s, sizeof s));
        } else {
            known *= shape[d];
        }
    }
    if (infer >= 0) {
        if (known == 0 || x->numel % known != 0)
            return ak_fail(ctx, AK_ESHAPE, "reshape: cannot infer dimension %d: input %s has %lld elements, the "
                           "other sizes multiply to %lld", infer, ak_shape_str(x, s, sizeof s),
                           (long long)x->numel, (long long)known);
        out[infer] = x->numel / known;
        known *= out[infer];
    }
    if (known != x->numel)
        return ak_fail(ctx, AK_ESHAPE, "reshape: input %s has %lld elements, requested shape has %lld",
                       ak_shape_str(x, s, sizeof s), (long long)x->numel, (long long)known);
    ak_tensor *y = view(ctx, "reshape", x, ndim, out);
    if (!y)
        return NULL;
    ak_record(ctx, "reshape", y, identity_backward, 1, &x, 0);
    return ak_ok(ctx) ? y : NULL;
}

ak_tensor *ak_copy(ak_ctx *ctx, ak_tensor *x) {
    if (!x || !ak_ok(ctx) || !check_cpu(ctx, "copy", x))
        return NULL;
    ak_tensor *y = ak_tensor_like(ctx, "copy", x);
    if (!y)
        return NULL;
    if (x->numel)
        memcpy(y->data, x->data, (size_t)x->numel * sizeof *y->data);
    ak_record(ctx, "copy", y, identity_backward, 1, &x, 0);
    return ak_ok(ctx) ? y : NULL;
}

ak_tensor *ak_detach(ak_ctx *ctx, ak_tensor *x) {
    if (!x || !ak_ok(ctx))
        return NULL;
    return view(ctx, "detach", x, x->ndim, x->shape);
}

/* ---- permute ---- */

typedef struct permute_saved {
    int inv[AK_MAX_DIMS];
} permute_saved;

static void permute_backward(ak_ctx *ctx, ak_node *node) {
    const permute_saved *s = node->saved;
    ak_tensor *y = node->out;
    float *dx = ak_grad_of(ctx, node->in[0]);
    if (dx)
        ak_cpu_permute(dx, y->grad, y->ndim, y->shape, s->inv, 1);
}

ak_tensor *ak_permute(ak_ctx *ctx, ak_tensor *x, const int *perm) {
    if (!x || !ak_ok(ctx) || !check_cpu(ctx, "permute", x))
        return NULL;
    char s[64];
    int p[AK_MAX_DIMS], seen[AK_MAX_DIMS] = {0}, inv[AK_MAX_DIMS];
    int64_t out[AK_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) {
        p[d] = perm[d] < 0 ? perm[d] + x->ndim : perm[d];
        if (p[d] < 0 || p[d] >= x->ndim || seen[p[d]]++)
            return ak_fail(ctx, AK_EINVAL, "permute: entry %d (= %d) makes the order not a permutation of the %d "
                           "dims of %s", d, perm[d], x->ndim, ak_shape_str(x, s, sizeof s));
        out[d] = x->shape[p[d]];
        inv[p[d]] = d;
    }
    ak_tensor *y = ak_tensor_new(ctx, "permute", x->ndim, out);
    if (!y)
        return NULL;
    ak_cpu_permute(y->data, x->data, x->ndim, x->shape, p, 0);
    ak_node *node = ak_record(ctx, "permute", y, permute_backward, 1, &x, sizeof(permute_saved));
    if (node)
        memcpy(((permute_saved *)node->saved)->inv, inv, sizeof inv);
    return ak_ok(ctx) ? y : NULL;
}

/* ---- concat ---- */

typedef struct concat_saved {
    int64_t outer, inner;
    int axis;
} concat_saved;

static void concat_backward(ak_ctx *ctx, ak_node *node) {
    const concat_saved *s = node->saved;
    ak_tensor *y = node->out;
    const int64_t total = y->shape[s->axis];
    int64_t off = 0;
    for (int i = 0; i < node->n_in; i++) {
        ak_tensor *x = node->in[i];
        const int64_t w = x->shape[s->axis] * s->inner;
        if (x->requires_grad) {
            float *dx = ak_grad_of(ctx, x);
            if (!dx)
                return;
            ak_cpu_copy3(dx, w, 0, y->grad + off, total * s->inner, 0, s->outer, 1, w, 1);
        }
        off += w;
    }
}

ak_tensor *ak_concat(ak_ctx *ctx, ak_tensor *const *xs, int n, int axis) {
    if (!ak_ok(ctx))
        return NULL;
    if (n < 1 || !xs)
        return ak_fail(ctx, AK_ESHAPE, "concat: %d inputs, expected at least 1", n);
    for (int i = 0; i < n; i++)
        if (!xs[i])
            return NULL; /* an upstream op failed: its error is already set */
    const ak_tensor *x0 = xs[0];
    if (!check_cpu(ctx, "concat", x0))
        return NULL;
    char s0[64], s1[64];
    int a = axis < 0 ? axis + x0->ndim : axis;
    if (a < 0 || a >= x0->ndim)
        return ak_fail(ctx, AK_EINVAL, "concat: axis %d out of range for input 0 of shape %s", axis,
                       ak_shape_str(x0, s0, sizeof s0));
    int64_t out[AK_MAX_DIMS];
    memcpy(out, x0->shape, sizeof out);
    out[a] = 0;
    for (int i = 0; i < n; i++) {
        const ak_tensor *x = xs[i];
        if (!check_cpu(ctx, "concat", x))
            return NULL;
        bool ok = x->ndim == x0->ndim;
        for (int d = 0; ok && d < x0->ndim; d++)
            ok = d == a || x->shape[d] == x0->shape[d];
        if (!ok)
            return ak_fail(ctx, AK_ESHAPE, "concat: input %d has shape %s, input 0 has %s (all sizes except axis %d "
                           "must match)", i, ak_shape_str(x, s1, sizeof s1), ak_shape_str(x0, s0, sizeof s0), axis);
        out[a] += x->shape[a];
    }
    ak_tensor *y = ak_tensor_new(ctx, "concat", x0->ndim, out);
    if (!y)
        return NULL;
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < a; d++)
        outer *= out[d];
    for (int d = a + 1; d < x0->ndim; d++)
        inner *= out[d];
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        const int64_t w = xs[i]->shape[a] * inner;
        ak_cpu_copy3(y->data + off, out[a] * inner, 0, xs[i]->data, w, 0, outer, 1, w, 0);
        off += w;
    }
    ak_node *node = ak_record(ctx, "concat", y, concat_backward, n, xs, sizeof(concat_saved));
    if (node) {
        concat_saved *cs = node->saved;
        cs->outer = outer;
        cs->inner = inner;
        cs->axis = a;
    }
    return ak_ok(ctx) ? y : NULL;
}

/* ---- slice ---- */

typedef struct slice_saved {
    int64_t outer, inner, start, step;
    int axis;
} slice_saved;

static void slice_backward(ak_ctx *ctx, ak_node *node) {
    const slice_saved *s = node->saved;
    ak_tensor *x = node->in[0], *y = node->out;
    float *dx = ak_grad_of(ctx, x);
    if (!dx)
        return;
    const int64_t len_in = x->shape[s->axis], len_out = y->shape[s->axis], in = s->inner;
    ak_cpu_copy3(dx + s->start * in, len_in * in, s->step * in, y->grad, len_out * in, in, s->outer, len_out, in, 1);
}

ak_tensor *ak_slice(ak_ctx *ctx, ak_tensor *x, int axis, int64_t start, int64_t stop, int64_t step) {
    if (!x || !ak_ok(ctx) || !check_cpu(ctx, "slice", x))
        return NULL;
    char s[64];
    int a = axis < 0 ? axis + x->ndim : axis;
    if (a < 0 || a >= x->ndim)
        return ak_fail(ctx, AK_EINVAL, "slice: axis %d out of range for shape %s", axis, ak_shape_str(x, s, sizeof s));
    const int64_t len = x->shape[a];
    int64_t b = start < 0 ? start + len : start;
    int64_t e = stop == AK_END ? len : (stop < 0 ? stop + len : stop);
    if (step < 1 || b < 0 || b > len || e < b || e > len)
        return ak_fail(ctx, AK_EINVAL, "slice: [%lld:%lld:%lld] is not a valid range of axis %d (size %lld) of shape "
                       "%s", (long long)start, (long long)(stop == AK_END ? len : stop), (long long)step, axis,
                       (long long)len, ak_shape_str(x, s, sizeof s));
    int64_t out[AK_MAX_DIMS];
    memcpy(out, x->shape, sizeof out);
    out[a] = (e - b + step - 1) / step;
    ak_tensor *y = ak_tensor_new(ctx, "slice", x->ndim, out);
    if (!y)
        return NULL;
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < a; d++)
        outer *= out[d];
    for (int d = a + 1; d < x->ndim; d++)
        inner *= out[d];
    ak_cpu_copy3(y->data, out[a] * inner, inner, x->data + b * inner, len * inner, step * inner, outer, out[a], inner,
                 0);
    ak_node *node = ak_record(ctx, "slice", y, slice_backward, 1, &x, sizeof(slice_saved));
    if (node) {
        slice_saved *ss = node->saved;
        ss->outer = outer;
        ss->inner = inner;
        ss->start = b;
        ss->step = step;
        ss->axis = a;
    }
    return ak_ok(ctx) ? y : NULL;
}
