/* Broadcasting binary ops (add, sub, mul, div): shape checks, dispatch and autograd. Kernels in
 * core/cpu/elementwise.c; gradients of broadcast operands are summed by core/cpu/reduce.c. */
#include "core/ops/elementwise.h"

#include <stdio.h>

#include "core/cpu/elementwise.h"
#include "core/cpu/reduce.h"

int ak_broadcast_shapes(ak_ctx *ctx, const char *op, const ak_tensor *a, const ak_tensor *b, int *ndim,
                        int64_t *a_shape, int64_t *b_shape, int64_t *out_shape) {
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int d = 0; d < nd; d++) {
        int da = d - (nd - a->ndim), db = d - (nd - b->ndim);
        int64_t sa = da >= 0 ? a->shape[da] : 1, sb = db >= 0 ? b->shape[db] : 1;
        if (sa != sb && sa != 1 && sb != 1) {
            char s1[64], s2[64];
            return ak_error_set(&ctx->err, AK_ESHAPE,
                                "%s: shapes %s and %s do not broadcast (size %lld vs %lld in dimension %d of %d)",
                                op, ak_shape_str(a, s1, sizeof s1), ak_shape_str(b, s2, sizeof s2), (long long)sa,
                                (long long)sb, d, nd);
        }
        a_shape[d] = sa;
        b_shape[d] = sb;
        out_shape[d] = sa == 1 ? sb : sa;
    }
    *ndim = nd;
    return AK_OK;
}

/* t's shape left-padded with 1s to nd dims. */
static void padded(const ak_tensor *t, int nd, int64_t *s) {
    for (int d = 0; d < nd; d++) {
        int dt = d - (nd - t->ndim);
        s[d] = dt >= 0 ? t->shape[dt] : 1;
    }
}

/* grad(t) += reduce_to_t(alpha * op(p, q)), all over the output's shape `os`. p is output-shaped; q
 * has shape qs (possibly broadcast). When t has the output's shape no temporary is needed. */
static void grad_into(ak_ctx *ctx, const char *name, ak_tensor *t, int nd, const int64_t *os, ak_bin_op op,
                      const float *p, const float *q, const int64_t *qs, float alpha) {
    float *g = ak_grad_of(ctx, t);
    if (!g)
        return;
    int64_t ts[AK_MAX_DIMS];
    padded(t, nd, ts);
    int64_t n_out = ak_shape_numel(nd, os);
    if (t->numel == n_out) {
        ak_cpu_binary(g, p, os, q, qs, nd, os, op, alpha, 1);
        return;
    }
    const float *src = q; /* AK_BIN_B of an output-shaped q needs no temporary */
    if (op != AK_BIN_B) {
        float *tmp = ak_scratch(ctx, name, (size_t)n_out * sizeof *tmp);
        if (!tmp)
            return;
        ak_cpu_binary(tmp, p, os, q, qs, nd, os, op, 1.0f, 0);
        src = tmp;
    }
    size_t wsb = ak_cpu_reduce_sum_workspace(nd, os, ts);
    void *ws = wsb ? ak_scratch(ctx, name, wsb) : NULL;
    if (wsb && !ws)
        return;
    ak_cpu_reduce_sum(g, src, nd, os, ts, alpha, 1, ws);
}

typedef struct shapes {
    int nd;
    int64_t as[AK_MAX_DIMS], bs[AK_MAX_DIMS], os[AK_MAX_DIMS];
} shapes;

static void node_shapes(const ak_node *node, shapes *s) {
    s->nd = node->out->ndim;
    padded(node->in[0], s->nd, s->as);
    padded(node->in[1], s->nd, s->bs);
    padded(node->out, s->nd, s->os);
}

static void add_backward(ak_ctx *ctx, ak_node *node) {
    shapes s;
    node_shapes(node, &s);
    const float *dy = node->out->grad;
    if (node->in[0]->requires_grad)
        grad_into(ctx, node->op, node->in[0], s.nd, s.os, AK_BIN_B, NULL, dy, s.os, 1.0f);
    if (node->in[1]->requires_grad)
        grad_into(ctx, node->op, node->in[1], s.nd, s.os, AK_BIN_B, NULL, dy, s.os, 1.0f);
}

static void sub_backward(ak_ctx *ctx, ak_node *node) {
    shapes s;
    node_shapes(node, &s);
    const float *dy = node->out->grad;
    if (node->in[0]->requires_grad)
        grad_into(ctx, node->op, node->in[0], s.nd, s.os, AK_BIN_B, NULL, dy, s.os, 1.0f);
    if (node->in[1]->requires_grad)
        grad_into(ctx, node->op, node->in[1], s.nd, s.os, AK_BIN_B, NULL, dy, s.os, -1.0f);
}

static void mul_backward(ak_ctx *ctx, ak_node *node) {
    shapes s;
    node_shapes(node, &s);
    const float *dy = node->out->grad;
    ak_tensor *a = node->in[0], *b = node->in[1];
    if (a->requires_grad)
        grad_into(ctx, node->op, a, s.nd, s.os, AK_BIN_MUL, dy, b->data, s.bs, 1.0f);
    if (b->requires_grad)
        grad_into(ctx, node->op, b, s.nd, s.os, AK_BIN_MUL, dy, a->data, s.as, 1.0f);
}

/* d(a/b)/da = 1/b; d(a/b)/db = -(a/b)/b = -y/b (PyTorch writes -a/b^2; equal up to rounding). */
static void div_backward(ak_ctx *ctx, ak_node *node) {
    shapes s;
    node_shapes(node, &s);
    const float *dy = node->out->grad;
    ak_tensor *a = node->in[0], *b = node->in[1], *y = node->out;
    if (a->requires_grad)
        grad_into(ctx, node->op, a, s.nd, s.os, AK_BIN_DIV, dy, b->data, s.bs, 1.0f);
    if (b->requires_grad) {
        float *dyy = ak_scratch(ctx, node->op, (size_t)y->numel * sizeof *dyy);
        if (!dyy)
            return;
        ak_cpu_binary(dyy, dy, s.os, y->data, s.os, s.nd, s.os, AK_BIN_MUL, 1.0f, 0);
        grad_into(ctx, node->op, b, s.nd, s.os, AK_BIN_DIV, dyy, b->data, s.bs, -1.0f);
    }
}

static ak_tensor *binary(ak_ctx *ctx, const char *name, ak_bin_op op, ak_backward_fn backward, ak_tensor *a,
                         ak_tensor *b) {
    if (!a || !b || !ak_ok(ctx))
        return NULL;
    if (a->device != AK_DEV_CPU || b->device != AK_DEV_CPU)
        return ak_fail(ctx, AK_EUNSUP, "%s: device %d/%d not supported in this build", name, (int)a->device,
                       (int)b->device);
    shapes s;
    if (ak_broadcast_shapes(ctx, name, a, b, &s.nd, s.as, s.bs, s.os) != AK_OK)
        return NULL;
    ak_tensor *y = ak_tensor_new(ctx, name, s.nd, s.os);
    if (!y)
        return NULL;
    ak_cpu_binary(y->data, a->data, s.as, b->data, s.bs, s.nd, s.os, op, 1.0f, 0);
    ak_tensor *in[2] = {a, b};
    ak_record(ctx, name, y, backward, 2, in, 0);
    return ak_ok(ctx) ? y : NULL;
}

ak_tensor *ak_add(ak_ctx *ctx, ak_tensor *a, ak_tensor *b) { return binary(ctx, "add", AK_BIN_ADD, add_backward, a, b); }
ak_tensor *ak_sub(ak_ctx *ctx, ak_tensor *a, ak_tensor *b) { return binary(ctx, "sub", AK_BIN_SUB, sub_backward, a, b); }
ak_tensor *ak_mul(ak_ctx *ctx, ak_tensor *a, ak_tensor *b) { return binary(ctx, "mul", AK_BIN_MUL, mul_backward, a, b); }
ak_tensor *ak_div(ak_ctx *ctx, ak_tensor *a, ak_tensor *b) { return binary(ctx, "div", AK_BIN_DIV, div_backward, a, b); }
