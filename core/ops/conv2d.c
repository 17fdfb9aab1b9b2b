/* conv2d: argument checks, output allocation, autograd; kernels in core/cpu/conv2d.c. */
#include "core/ops/conv2d.h"

#include <limits.h>

#include "core/cpu/conv2d.h"

typedef struct conv2d_saved {
    ak_conv2d_geom g;
} conv2d_saved;

static void conv2d_backward(ak_ctx *ctx, ak_node *node) {
    const conv2d_saved *s = node->saved;
    ak_tensor *x = node->in[0], *w = node->in[1], *b = node->n_in > 2 ? node->in[2] : NULL;
    const float *dy = node->out->grad;
    float *dx = x->requires_grad ? ak_grad_of(ctx, x) : NULL;
    float *dw = w->requires_grad ? ak_grad_of(ctx, w) : NULL;
    float *db = b && b->requires_grad ? ak_grad_of(ctx, b) : NULL;
    if (!ak_ok(ctx))
        return;
    if (dx || dw) {
        float *ws = NULL;
        int64_t nws = ak_cpu_conv2d_bwd_ws_floats(&s->g);
        if (nws > 0 && !(ws = ak_scratch(ctx, "conv2d backward", (size_t)nws * sizeof(float))))
            return;
        ak_cpu_conv2d_bwd(dx, dw, dy, x->data, w->data, &s->g, ws);
    }
    if (db)
        ak_cpu_conv2d_bwd_bias(db, dy, &s->g);
}

static int pick(int v, int dflt) { return v == 0 ? dflt : v; }

ak_tensor *ak_conv2d(ak_ctx *ctx, ak_tensor *x, ak_tensor *w, ak_tensor *b, const ak_conv2d_params *p) {
    if (!x || !w || !ak_ok(ctx))
        return NULL;
    ak_conv2d_params prm = {{0, 0}, {0, 0}, {0, 0}, 0};
    if (p)
        prm = *p;
    char sx[64], sw[64], sb[64];
    ak_shape_str(x, sx, sizeof sx);
    ak_shape_str(w, sw, sizeof sw);
    if (x->device != AK_DEV_CPU || w->device != AK_DEV_CPU || (b && b->device != AK_DEV_CPU))
        return ak_fail(ctx, AK_EUNSUP, "conv2d: only CPU tensors are supported in this build");
    if (x->ndim != 4 || w->ndim != 4)
        return ak_fail(ctx, AK_ESHAPE, "conv2d: input %s and weight %s must both be 4-D (N,C,H,W) and (O,C/groups,kh,kw)",
                       sx, sw);
    ak_conv2d_geom g = {0};
    g.n = x->shape[0], g.c = x->shape[1], g.h = x->shape[2], g.w = x->shape[3];
    g.o = w->shape[0], g.kh = w->shape[2], g.kw = w->shape[3];
    g.sh = pick(prm.stride[0], 1), g.sw = pick(prm.stride[1], 1);
    g.ph = prm.padding[0], g.pw = prm.padding[1];
    g.dh = pick(prm.dilation[0], 1), g.dw = pick(prm.dilation[1], 1);
    g.groups = pick(prm.groups, 1);
    g.impl = ctx->conv_impl; /* the sums this context asked for (Winograd or direct) */
    if (g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1 || g.ph < 0 || g.pw < 0 || g.groups < 1)
        return ak_fail(ctx, AK_EINVAL,
                       "conv2d: stride (%d,%d) and dilation (%d,%d) must be positive, padding (%d,%d) "
                       "non-negative, groups %d positive",
                       prm.stride[0], prm.stride[1], prm.dilation[0], prm.dilation[1], prm.padding[0],
                       prm.padding[1], prm.groups);
    if (g.c % g.groups || g.o % g.groups)
        return ak_fail(ctx, AK_EINVAL, "conv2d: groups %lld must divide input channels of %s and output channels of %s",
                       (long long)g.groups, sx, sw);
    if (w->shape[1] * g.groups != g.c)
        return ak_fail(ctx, AK_ESHAPE,
                       "conv2d: input %s has %lld channels but weight %s expects %lld (C/groups=%lld, groups=%lld)",
                       sx, (long long)g.c, sw, (long long)(w->shape[1] * g.groups), (long long)w->shape[1],
                       (long long)g.groups);
    if (b && (b->ndim != 1 || b->shape[0] != g.o))
        return ak_fail(ctx, AK_ESHAPE, "conv2d: bias %s does not match weight %s (expected (%lld))",
                       ak_shape_str(b, sb, sizeof sb), sw, (long long)g.o);
    if (g.kh < 1 || g.kw < 1 || !ak_cpu_conv2d_out_size(&g))
        return ak_fail(ctx, AK_EINVAL,
                       "conv2d: input %s with padding (%lld,%lld) is smaller than the dilated kernel of weight %s",
                       sx, (long long)g.ph, (long long)g.pw, sw);
    /* sgemm takes int dimensions */
    if (g.ho * g.wo > INT_MAX || g.c * g.kh * g.kw > INT_MAX || g.h * g.w > INT_MAX)
        return ak_fail(ctx, AK_EINVAL, "conv2d: input %s with weight %s is too large for 32-bit BLAS indices",
                       sx, sw);

    const int64_t shape[4] = {g.n, g.o, g.ho, g.wo};
    ak_tensor *y = ak_tensor_new(ctx, "conv2d", 4, shape);
    if (!y)
        return NULL;
    float *ws = NULL;
    int64_t nws = ak_cpu_conv2d_fwd_ws_floats(&g);
    ak_arena_pos before_ws = ak_arena_mark(&ctx->arena);
    if (nws > 0 && !(ws = ak_scratch(ctx, "conv2d", (size_t)nws * sizeof(float))))
        return NULL;
    ak_cpu_conv2d_fwd(y->data, x->data, w->data, b ? b->data : NULL, &g, ws);
    ak_arena_rewind(&ctx->arena, before_ws); /* the workspace is dead (the backward takes its own) */

    ak_tensor *in[3] = {x, w, b};
    ak_node *node = ak_record(ctx, "conv2d", y, conv2d_backward, b ? 3 : 2, in, sizeof(conv2d_saved));
    if (node)
        ((conv2d_saved *)node->saved)->g = g;
    return ak_ok(ctx) ? y : NULL;
}
