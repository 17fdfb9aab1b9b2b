/* Unary element-wise ops (exp, log, abs, sqrt, pow, clamp, neg, scalar add / mul): dispatch and
 * autograd; declared in core/ops/elementwise.h, kernels in core/cpu/unary.c. */
#include <stdio.h>

#include "core/cpu/elementwise.h"
#include "core/ops/elementwise.h"

typedef struct unary_saved {
    ak_unary_op op;
    float p0, p1;
} unary_saved;

static void unary_backward(ak_ctx *ctx, ak_node *node) {
    const unary_saved *s = node->saved;
    ak_tensor *x = node->in[0];
    float *dx = ak_grad_of(ctx, x);
    if (dx)
        ak_cpu_unary_bwd(s->op, dx, node->out->grad, x->data, node->out->data, x->numel, s->p0, s->p1);
}

static ak_tensor *unary(ak_ctx *ctx, const char *name, ak_unary_op op, ak_tensor *x, float p0, float p1) {
    if (!x || !ak_ok(ctx))
        return NULL;
    if (x->device != AK_DEV_CPU)
        return ak_fail(ctx, AK_EUNSUP, "%s: device %d not supported in this build", name, (int)x->device);
    ak_tensor *y = ak_tensor_like(ctx, name, x);
    if (!y)
        return NULL;
    ak_cpu_unary_fwd(op, y->data, x->data, x->numel, p0, p1);
    ak_node *node = ak_record(ctx, name, y, unary_backward, 1, &x, sizeof(unary_saved));
    if (node) {
        unary_saved *s = node->saved;
        s->op = op;
        s->p0 = p0;
        s->p1 = p1;
    }
    return ak_ok(ctx) ? y : NULL;
}

ak_tensor *ak_add_scalar(ak_ctx *ctx, ak_tensor *x, float s) { return unary(ctx, "add_scalar", AK_UN_ADD_SCALAR, x, s, 0); }
ak_tensor *ak_mul_scalar(ak_ctx *ctx, ak_tensor *x, float s) { return unary(ctx, "mul_scalar", AK_UN_MUL_SCALAR, x, s, 0); }
ak_tensor *ak_exp(ak_ctx *ctx, ak_tensor *x) { return unary(ctx, "exp", AK_UN_EXP, x, 0, 0); }
ak_tensor *ak_log(ak_ctx *ctx, ak_tensor *x) { return unary(ctx, "log", AK_UN_LOG, x, 0, 0); }
ak_tensor *ak_abs(ak_ctx *ctx, ak_tensor *x) { return unary(ctx, "abs", AK_UN_ABS, x, 0, 0); }
ak_tensor *ak_sqrt(ak_ctx *ctx, ak_tensor *x) { return unary(ctx, "sqrt", AK_UN_SQRT, x, 0, 0); }
ak_tensor *ak_pow(ak_ctx *ctx, ak_tensor *x, float p) { return unary(ctx, "pow", AK_UN_POW, x, p, 0); }
ak_tensor *ak_neg(ak_ctx *ctx, ak_tensor *x) { return unary(ctx, "neg", AK_UN_NEG, x, 0, 0); }

ak_tensor *ak_clamp(ak_ctx *ctx, ak_tensor *x, float lo, float hi) {
    if (!x || !ak_ok(ctx))
        return NULL;
    if (!(lo <= hi))
        return ak_fail(ctx, AK_EINVAL, "clamp: min %g must not exceed max %g (and neither may be NaN)", (double)lo,
                       (double)hi);
    return unary(ctx, "clamp", AK_UN_CLAMP, x, lo, hi);
}
