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

/* ---- gradient pool ---- */

static float *pool_get(ak_grad_pool *g, size_t bytes) {
    int best = -1;
    for (int i = 0; i < g->n; i++) /* best fit, wasting at most half a block */
        if (!g->blocks[i].used && g->blocks[i].bytes >= bytes && g->blocks[i].bytes <= 2 * bytes + 4096 &&
            (best < 0 || g->blocks[i].bytes < g->blocks[best].bytes))
            best = i;
    if (best < 0) {
        if (g->n == g->cap) {
            int cap = g->cap ? 2 * g->cap : 64;
            ak_grad_block *b = realloc(g->blocks, (size_t)cap * sizeof *b);
            if (!b)
                return NULL;
            g->blocks = b;
            g->cap = cap;
        }
        size_t rounded = (bytes + 63) / 64 * 64;
        float *p = aligned_alloc(64, rounded ? rounded : 64);
        if (!p)
            return NULL;
        g->blocks[g->n] = (ak_grad_block){p, rounded, false};
        g->held += rounded;
        best = g->n++;
    }
    g->blocks[best].used = true;
    g->live += g->blocks[best].bytes;
    if (g->live > g->peak)
        g->peak = g->live;
    return g->blocks[best].p;
}

/* Returns p to the pool; false when p is not a pool block (a caller-set gradient buffer). */
static bool pool_put(ak_grad_pool *g, const float *p) {
    for (int i = 0; i < g->n; i++)
        if (g->blocks[i].p == p && g->blocks[i].used) {
            g->blocks[i].used = false;
            g->live -= g->blocks[i].bytes;
            return true;
        }
    return false;
}

static void pool_free(ak_grad_pool *g) {
    for (int i = 0; i < g->n; i++)
        free(g->blocks[i].p);
    free(g->blocks);
    memset(g, 0, sizeof *g);
}

void ak_ctx_free(ak_ctx *ctx) {
    pool_free(&ctx->grads);
    ak_arena_free(&ctx->arena);
    free(ctx->tape.nodes);
    memset(ctx, 0, sizeof *ctx);
}

void ak_ctx_reset(ak_ctx *ctx) {
    ak_arena_reset(&ctx->arena);
    ctx->tape.n = 0;
    for (int i = 0; i < ctx->grads.n; i++)
        ctx->grads.blocks[i].used = false;
    ctx->grads.live = 0;
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

float *ak_grad_of_fresh(ak_ctx *ctx, ak_tensor *t, bool *fresh) {
    *fresh = false;
    if (!t->grad) {
        size_t bytes = (size_t)t->numel * sizeof(float);
        if (!(t->grad = pool_get(&ctx->grads, bytes))) {
            ak_fail(ctx, AK_ENOMEM, "%s: cannot allocate a %zu-byte gradient (%zu bytes of gradients in use)",
                    t->name ? t->name : "?", bytes, ctx->grads.live);
            return NULL;
        }
        *fresh = true;
    }
    return t->grad;
}

float *ak_grad_of(ak_ctx *ctx, ak_tensor *t) {
    bool fresh;
    float *g = ak_grad_of_fresh(ctx, t, &fresh);
    if (g && fresh)
        memset(g, 0, (size_t)t->numel * sizeof(float));
    return g;
}

ak_tensor *ak_ctx_keep(ak_ctx *ctx, ak_arena_pos pos, ak_tensor *t) {
    if (!t || ctx->record || t->persistent || t->grad)
        return t;
    ak_tensor copy = *t; /* the struct itself lies in the region being released */
    float *d = ak_arena_rewind_keep(&ctx->arena, pos, t->data, (size_t)t->numel * sizeof(float));
    if (!d)
        return t;
    ak_tensor *nt = ak_scratch(ctx, copy.name, sizeof *nt); /* after the kept data */
    if (!nt)
        return NULL;
    *nt = copy;
    nt->data = d;
    return nt;
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
        ak_arena_pos scratch = ak_arena_mark(&ctx->arena);
        node->backward(ctx, node);
        if (!ak_ok(ctx)) {
            ak_error_prefix(&ctx->err, "backward of %s", node->op);
            return ctx->err.code;
        }
        ak_arena_rewind(&ctx->arena, scratch);
        /* the output's gradient is complete and consumed: back to the pool (see ctx.h) */
        if (!node->out->persistent && pool_put(&ctx->grads, node->out->grad))
            node->out->grad = NULL;
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
