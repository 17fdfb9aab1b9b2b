/* Context, arena tensors and the tape walk; see ctx.h. */
#include "core/ctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ak_ctx_init(ak_ctx *ctx, size_t arena_bytes, size_t arena_limit) {
    memset(ctx, 0, sizeof *ctx);
    ctx->record = true;
    ctx->device = AK_DEV_CPU;
    ak_error_clear(&ctx->err);
    if (ak_arena_init(&ctx->arena, arena_bytes, arena_limit) != AK_OK)
        return ak_error_set(&ctx->err, AK_ENOMEM, "ak_ctx_init: cannot reserve %zu bytes", arena_bytes);
    return AK_OK;
}

void ak_ctx_free(ak_ctx *ctx) {
    ak_arena_free(&ctx->arena);
    free(ctx->tape.nodes);
    memset(ctx, 0, sizeof *ctx);
}

void ak_ctx_reset(ak_ctx *ctx) {
    ak_arena_reset(&ctx->arena);
    ctx->tape.n = 0;
}

void ak_ctx_clear_error(ak_ctx *ctx) { ak_error_clear(&ctx->err); }

bool ak_ctx_set_record(ak_ctx *ctx, bool on) {
    bool old = ctx->record;
    ctx->record = on;
    return old;
}

ak_tensor *ak_fail(ak_ctx *ctx, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ak_error_vset(&ctx->err, code, fmt, ap);
    va_end(ap);
    return NULL;
}

void *ak_scratch(ak_ctx *ctx, const char *op, size_t bytes) {
    void *p = ak_arena_alloc(&ctx->arena, bytes);
    if (!p)
        ak_fail(ctx, AK_ENOMEM, "%s: activation arena exhausted (asked %zu bytes, %zu in use, limit %zu)",
                op ? op : "?", bytes, ctx->arena.used, ctx->arena.limit);
    return p;
}

ak_tensor *ak_tensor_new(ak_ctx *ctx, const char *op, int ndim, const int64_t *shape) {
    if (ndim < 0 || ndim > AK_MAX_DIMS)
        return ak_fail(ctx, AK_EINVAL, "%s: %d dimensions (at most %d)", op ? op : "?", ndim, AK_MAX_DIMS);
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0)
            return ak_fail(ctx, AK_EINVAL, "%s: negative size %lld in dimension %d", op ? op : "?",
                           (long long)shape[i], i);
    ak_tensor *t = ak_scratch(ctx, op, sizeof *t);
    if (!t)
        return NULL;
    memset(t, 0, sizeof *t);
    t->ndim = ndim;
    if (ndim > 0)
        memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
    t->numel = ak_shape_numel(ndim, shape);
    t->device = ctx->device;
    t->name = op;
    t->data = ak_scratch(ctx, op, (size_t)t->numel * sizeof(float));
    return t->data ? t : NULL;
}

ak_tensor *ak_tensor_zeros(ak_ctx *ctx, const char *op, int ndim, const int64_t *shape) {
    ak_tensor *t = ak_tensor_new(ctx, op, ndim, shape);
    if (t)
        memset(t->data, 0, (size_t)t->numel * sizeof(float));
    return t;
}

ak_tensor *ak_tensor_like(ak_ctx *ctx, const char *op, const ak_tensor *t) {
    return ak_tensor_new(ctx, op, t->ndim, t->shape);
}

ak_tensor *ak_tensor_from(ak_ctx *ctx, int ndim, const int64_t *shape, const float *data) {
    ak_tensor *t = ak_tensor_new(ctx, "tensor_from", ndim, shape);
    if (t)
        memcpy(t->data, data, (size_t)t->numel * sizeof(float));
    return t;
}

float *ak_grad_of(ak_ctx *ctx, ak_tensor *t) {
    if (!t->grad) {
        t->grad = ak_scratch(ctx, t->name, (size_t)t->numel * sizeof(float));
        if (t->grad)
            memset(t->grad, 0, (size_t)t->numel * sizeof(float));
    }
    return t->grad;
}

ak_node *ak_record(ak_ctx *ctx, const char *op, ak_tensor *out, ak_backward_fn backward, int n_in,
                   ak_tensor *const *in, size_t saved_bytes) {
    if (!ctx->record || !out || !ak_ok(ctx))
        return NULL;
    bool any = false;
    for (int i = 0; i < n_in; i++)
        any |= in[i] && in[i]->requires_grad;
    if (!any)
        return NULL;
    ak_tape *tape = &ctx->tape;
    if (tape->n == tape->cap) {
        int64_t cap = tape->cap ? 2 * tape->cap : 256;
        ak_node *nodes = realloc(tape->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes) {
            ak_fail(ctx, AK_ENOMEM, "%s: cannot grow the autograd tape to %lld nodes", op, (long long)cap);
            return NULL;
        }
        tape->nodes = nodes;
        tape->cap = cap;
    }
    ak_tensor **ins = ak_scratch(ctx, op, (size_t)(n_in > 0 ? n_in : 1) * sizeof *ins);
    void *saved = saved_bytes ? ak_scratch(ctx, op, saved_bytes) : NULL;
    if (!ins || (saved_bytes && !saved))
        return NULL;
    if (saved)
        memset(saved, 0, saved_bytes);
    memcpy(ins, in, (size_t)n_in * sizeof *ins);
    ak_node *node = &tape->nodes[tape->n++];
    node->op = op;
    node->backward = backward;
    node->out = out;
    node->in = ins;
    node->n_in = n_in;
    node->saved = saved;
    out->requires_grad = true;
    return node;
}

int ak_backward_from(ak_ctx *ctx, ak_tensor *out, const float *dout) {
    if (!ak_ok(ctx))
        return ctx->err.code;
    if (!out)
        return ak_error_set(&ctx->err, AK_EINVAL, "backward: NULL output");
    if (!out->requires_grad)
        return ak_error_set(&ctx->err, AK_ESTATE,
                            "backward: '%s' does not depend on any trainable tensor (recording off?)",
                            out->name ? out->name : "?");
    float *g = ak_grad_of(ctx, out);
    if (!g)
        return ctx->err.code;
    for (int64_t i = 0; i < out->numel; i++)
        g[i] += dout[i];
    /* Walk back from the newest node. Nodes whose output received no gradient are skipped. */
    for (int64_t i = ctx->tape.n - 1; i >= 0; i--) {
        ak_node *node = &ctx->tape.nodes[i];
        if (!node->out->grad)
            continue;
        node->backward(ctx, node);
        if (!ak_ok(ctx)) {
            ak_error_prefix(&ctx->err, "backward of %s", node->op);
            return ctx->err.code;
        }
    }
    return AK_OK;
}

int ak_backward(ak_ctx *ctx, ak_tensor *loss) {
    if (!ak_ok(ctx))
        return ctx->err.code;
    if (!loss)
        return ak_error_set(&ctx->err, AK_EINVAL, "backward: NULL loss");
    if (loss->numel != 1) {
        char s[64];
        return ak_error_set(&ctx->err, AK_ESHAPE, "backward: loss must be a scalar, got shape %s",
                            ak_shape_str(loss, s, sizeof s));
    }
    const float one = 1.0f;
    return ak_backward_from(ctx, loss, &one);
}
