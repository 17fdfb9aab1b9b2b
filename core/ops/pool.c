/* Pooling ops: argument checks, output sizes, autograd; kernels in core/cpu/pool.c. */
#include "core/ops/pool.h"

#include "core/cpu/pool.h"

typedef struct pool_saved {
    ak_pool2d_geom g;
    int32_t *idx; /* max pool argmax, arena */
} pool_saved;

static int pick(int v, int dflt) { return v == 0 ? dflt : v; }

/* torch's pooling_output_shape for one axis. */
static int64_t out_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil, bool ceil_mode) {
    int64_t num = in + 2 * pad - dil * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0);
    int64_t o = (num >= 0 ? num / stride : -((-num + stride - 1) / stride)) + 1; /* floor division */
    if (ceil_mode && (o - 1) * stride >= in + pad)
        o--;
    return o;
}

static bool check_input(ak_ctx *ctx, const char *op, const ak_tensor *x) {
    if (x->device != AK_DEV_CPU) {
        ak_fail(ctx, AK_EUNSUP, "%s: only CPU tensors are supported in this build", op);
        return false;
    }
    if (x->ndim != 4) {
        char s[64];
        ak_fail(ctx, AK_ESHAPE, "%s: input %s must be 4-D (N,C,H,W)", op, ak_shape_str(x, s, sizeof s));
        return false;
    }
    return true;
}

/* Geometry of max / avg pool from the parameters; false (error set) when invalid. */
static bool pool_geom(ak_ctx *ctx, const char *op, const ak_tensor *x, const ak_pool2d_params *p, bool is_max,
                      ak_pool2d_geom *g) {
    char s[64];
    ak_shape_str(x, s, sizeof s);
    if (!p) {
        ak_fail(ctx, AK_EINVAL, "%s: parameters (kernel size) are required", op);
        return false;
    }
    g->planes = x->shape[0] * x->shape[1], g->h = x->shape[2], g->w = x->shape[3];
    g->kh = p->kernel[0], g->kw = p->kernel[1];
    g->sh = pick(p->stride[0], p->kernel[0]), g->sw = pick(p->stride[1], p->kernel[1]);
    g->ph = p->padding[0], g->pw = p->padding[1];
    g->dh = pick(p->dilation[0], 1), g->dw = pick(p->dilation[1], 1);
    g->count_include_pad = !p->exclude_pad;
    if (g->kh < 1 || g->kw < 1 || g->sh < 1 || g->sw < 1 || g->dh < 1 || g->dw < 1 || g->ph < 0 || g->pw < 0) {
        ak_fail(ctx, AK_EINVAL,
                "%s: input %s: kernel (%d,%d), stride (%d,%d) and dilation (%d,%d) must be positive and padding "
                "(%d,%d) non-negative",
                op, s, p->kernel[0], p->kernel[1], p->stride[0], p->stride[1], p->dilation[0], p->dilation[1],
                p->padding[0], p->padding[1]);
        return false;
    }
    if (!is_max && (g->dh != 1 || g->dw != 1)) {
        ak_fail(ctx, AK_EINVAL, "%s: dilation (%d,%d) is not supported (average pooling has none)", op,
                p->dilation[0], p->dilation[1]);
        return false;
    }
    if (g->ph > g->kh / 2 || g->pw > g->kw / 2) {
        ak_fail(ctx, AK_EINVAL, "%s: padding (%d,%d) must be at most half of kernel (%d,%d)", op, p->padding[0],
                p->padding[1], p->kernel[0], p->kernel[1]);
        return false;
    }
    g->ho = out_size(g->h, g->kh, g->ph, g->sh, g->dh, p->ceil_mode);
    g->wo = out_size(g->w, g->kw, g->pw, g->sw, g->dw, p->ceil_mode);
    if (g->ho < 1 || g->wo < 1) {
        ak_fail(ctx, AK_EINVAL, "%s: input %s is too small for kernel (%d,%d) with padding (%d,%d), dilation (%lld,%lld)",
                op, s, p->kernel[0], p->kernel[1], p->padding[0], p->padding[1], (long long)g->dh, (long long)g->dw);
        return false;
    }
    return true;
}

static ak_tensor *new_out(ak_ctx *ctx, const char *op, const ak_tensor *x, int64_t ho, int64_t wo) {
    const int64_t shape[4] = {x->shape[0], x->shape[1], ho, wo};
    return ak_tensor_new(ctx, op, 4, shape);
}

static pool_saved *record(ak_ctx *ctx, const char *op, ak_tensor *y, ak_backward_fn fn, ak_tensor *x,
                          const ak_pool2d_geom *g) {
    ak_node *node = ak_record(ctx, op, y, fn, 1, &x, sizeof(pool_saved));
    if (!node)
        return NULL;
    pool_saved *s = node->saved;
    s->g = *g;
    return s;
}

/* ---- max pool ---- */

static void maxpool_backward(ak_ctx *ctx, ak_node *node) {
    const pool_saved *s = node->saved;
    float *dx = ak_grad_of(ctx, node->in[0]);
    if (dx)
        ak_cpu_maxpool2d_bwd(dx, node->out->grad, s->idx, &s->g);
}

ak_tensor *ak_max_pool2d(ak_ctx *ctx, ak_tensor *x, const ak_pool2d_params *p) {
    if (!x || !ak_ok(ctx) || !check_input(ctx, "max_pool2d", x))
        return NULL;
    ak_pool2d_geom g;
    if (!pool_geom(ctx, "max_pool2d", x, p, true, &g))
        return NULL;
    ak_tensor *y = new_out(ctx, "max_pool2d", x, g.ho, g.wo);
    if (!y)
        return NULL;
    int32_t *idx = ak_scratch(ctx, "max_pool2d", (size_t)y->numel * sizeof(int32_t));
    if (!idx)
        return NULL;
    ak_cpu_maxpool2d_fwd(y->data, idx, x->data, &g);
    pool_saved *s = record(ctx, "max_pool2d", y, maxpool_backward, x, &g);
    if (s)
        s->idx = idx;
    return ak_ok(ctx) ? y : NULL;
}

/* ---- average pool ---- */

static void avgpool_backward(ak_ctx *ctx, ak_node *node) {
    const pool_saved *s = node->saved;
    float *dx = ak_grad_of(ctx, node->in[0]);
    if (dx)
        ak_cpu_avgpool2d_bwd(dx, node->out->grad, &s->g);
}

ak_tensor *ak_avg_pool2d(ak_ctx *ctx, ak_tensor *x, const ak_pool2d_params *p) {
    if (!x || !ak_ok(ctx) || !check_input(ctx, "avg_pool2d", x))
        return NULL;
    ak_pool2d_geom g;
    if (!pool_geom(ctx, "avg_pool2d", x, p, false, &g))
        return NULL;
    ak_tensor *y = new_out(ctx, "avg_pool2d", x, g.ho, g.wo);
    if (!y)
        return NULL;
    ak_cpu_avgpool2d_fwd(y->data, x->data, &g);
    record(ctx, "avg_pool2d", y, avgpool_backward, x, &g);
    return ak_ok(ctx) ? y : NULL;
}

/* ---- adaptive average pool ---- */

static void adaptive_backward(ak_ctx *ctx, ak_node *node) {
    const pool_saved *s = node->saved;
    float *dx = ak_grad_of(ctx, node->in[0]);
    if (dx)
        ak_cpu_adaptive_avgpool2d_bwd(dx, node->out->grad, &s->g);
}

ak_tensor *ak_adaptive_avg_pool2d(ak_ctx *ctx, ak_tensor *x, int out_h, int out_w) {
    if (!x || !ak_ok(ctx) || !check_input(ctx, "adaptive_avg_pool2d", x))
        return NULL;
    char s[64];
    if (out_h < 1 || out_w < 1 || x->shape[2] < 1 || x->shape[3] < 1)
        return ak_fail(ctx, AK_EINVAL, "adaptive_avg_pool2d: output size (%d,%d) must be positive and input %s non-empty",
                       out_h, out_w, ak_shape_str(x, s, sizeof s));
    ak_pool2d_geom g = {0};
    g.planes = x->shape[0] * x->shape[1], g.h = x->shape[2], g.w = x->shape[3], g.ho = out_h, g.wo = out_w;
    ak_tensor *y = new_out(ctx, "adaptive_avg_pool2d", x, out_h, out_w);
    if (!y)
        return NULL;
    ak_cpu_adaptive_avgpool2d_fwd(y->data, x->data, &g);
    record(ctx, "adaptive_avg_pool2d", y, adaptive_backward, x, &g);
    return ak_ok(ctx) ? y : NULL;
}

/* ---- global average pool ---- */

static void global_backward(ak_ctx *ctx, ak_node *node) {
    const pool_saved *s = node->saved;
    float *dx = ak_grad_of(ctx, node->in[0]);
    if (dx)
        ak_cpu_global_avgpool_bwd(dx, node->out->grad, s->g.planes, s->g.h * s->g.w);
}

ak_tensor *ak_global_avg_pool2d(ak_ctx *ctx, ak_tensor *x) {
    if (!x || !ak_ok(ctx) || !check_input(ctx, "global_avg_pool2d", x))
        return NULL;
    char s[64];
    if (x->shape[2] * x->shape[3] < 1)
        return ak_fail(ctx, AK_EINVAL, "global_avg_pool2d: input %s has no pixels", ak_shape_str(x, s, sizeof s));
    ak_pool2d_geom g = {0};
    g.planes = x->shape[0] * x->shape[1], g.h = x->shape[2], g.w = x->shape[3], g.ho = 1, g.wo = 1;
    ak_tensor *y = new_out(ctx, "global_avg_pool2d", x, 1, 1);
    if (!y)
        return NULL;
    ak_cpu_global_avgpool_fwd(y->data, x->data, g.planes, g.h * g.w);
    record(ctx, "global_avg_pool2d", y, global_backward, x, &g);
    return ak_ok(ctx) ? y : NULL;
}
