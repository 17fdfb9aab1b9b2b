/* The masked convolution: checks, dispatch and autograd; kernels in core/cpu/masked_conv.c. */
#include "core/ops/masked_conv.h"

#include <limits.h>
#include <omp.h>
#include <stdint.h>

#include "core/cpu/conv2d_igemm.h"
#include "core/cpu/igemm_sgemm.h"
#include "core/cpu/masked_conv.h"
#include "core/cpu/matmul.h"

typedef struct mc_saved {
    ak_masked_conv_geom g;
    ak_tensor *m; /* the masks (a constant: not an input of the node) */
} mc_saved;

/* The support of m in arena scratch (op names the caller for an out-of-memory message); J or -1. */
static int64_t support(ak_ctx *ctx, const char *op, const float *m, const ak_masked_conv_geom *g, int32_t **col,
                       int32_t **pix) {
    const size_t nhw = (size_t)(g->N * g->H * g->W);
    *col = ak_scratch(ctx, op, nhw * sizeof **col);
    *pix = ak_scratch(ctx, op, nhw * sizeof **pix);
    if (!*col || !*pix)
        return -1;
    return ak_cpu_masked_conv_support(*col, *pix, m, g);
}

static float *floats(ak_ctx *ctx, const char *op, int64_t n) {
    return ak_scratch(ctx, op, (size_t)(n > 0 ? n : 1) * sizeof(float));
}

/* c (m x n) = op(a) (m x k) b (k x n), row-major; op(a) = a^T when ta. On our AVX-512 GEMM, whose
 * result does not depend on the thread count (OpenBLAS, the fallback on other CPUs, may round
 * differently with another thread count). False when the arena is full. */
static bool gemm(ak_ctx *ctx, bool ta, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                 int64_t ldb, float *c, int64_t ldc) {
    if (!ak_cpu_conv2d_igemm_supported()) {
        ak_cpu_gemm(ta, false, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
        return true;
    }
    const int nt = omp_get_max_threads();
    float *ws = floats(ctx, "masked_conv2d", ak_cpu_igemm_sgemm_ws_floats(m, k, nt));
    if (!ws)
        return false;
    ak_cpu_igemm_sgemm(ta, m, n, k, a, lda, b, ldb, c, ldc, false, ws, nt);
    return true;
}

static void mc_backward(ak_ctx *ctx, ak_node *node) {
    static const char op[] = "masked_conv2d backward";
    const mc_saved *sv = node->saved;
    const ak_masked_conv_geom *g = &sv->g;
    ak_tensor *x = node->in[0], *w = node->in[1], *bias = node->n_in > 2 ? node->in[2] : NULL;
    float *dx = x->requires_grad ? ak_grad_of(ctx, x) : NULL;
    float *dw = w->requires_grad ? ak_grad_of(ctx, w) : NULL;
    float *db = bias && bias->requires_grad ? ak_grad_of(ctx, bias) : NULL;
    if (!ak_ok(ctx))
        return;
    const float *dout = node->out->grad;
    if (db)
        ak_cpu_masked_conv_bias_grad(db, dout, g);
    if (!dx && !dw)
        return;
    const int64_t TO = (int64_t)g->kh * g->kw * g->O;
    int32_t *col, *pix;
    const int64_t J = support(ctx, op, sv->m->data, g, &col, &pix);
    if (J <= 0) /* nothing kept: no gradient reaches x or w */
        return;
    float *dp = dw ? floats(ctx, op, J * TO) : NULL, *dpt = dx ? floats(ctx, op, TO * J) : NULL;
    float *ws = floats(ctx, op, ak_cpu_masked_conv_dp_ws_floats(g));
    if ((dw && !dp) || (dx && !dpt) || !ws)
        return;
    ak_cpu_masked_conv_dp(dp, dpt, dout, sv->m->data, pix, J, g, ws);
    if (dw) { /* dwt (C, T*O) = xg (C, J) dp (J, T*O) */
        float *xg = floats(ctx, op, g->C * J), *dwt = floats(ctx, op, g->C * TO);
        if (!xg || !dwt)
            return;
        ak_cpu_masked_conv_gather(xg, x->data, pix, J, g);
        if (!gemm(ctx, false, g->C, TO, J, xg, J, dp, TO, dwt, TO))
            return;
        ak_cpu_masked_conv_add_weight_grad(dw, dwt, g);
    }
    if (dx) { /* dxg (C, J) = wt (C, T*O) dpt (T*O, J) */
        float *wt = floats(ctx, op, g->C * TO), *dxg = floats(ctx, op, g->C * J);
        if (!wt || !dxg)
            return;
        ak_cpu_masked_conv_taps_weight(wt, w->data, g);
        if (!gemm(ctx, false, g->C, J, TO, wt, TO, dpt, J, dxg, J))
            return;
        ak_cpu_masked_conv_scatter(dx, dxg, pix, J, g);
    }
}

/* Shape and argument checks; fills g. False (ctx->err set) when something does not fit. */
static bool check(ak_ctx *ctx, const ak_tensor *x, const ak_tensor *m, const ak_tensor *w, const ak_tensor *bias,
                  ak_masked_conv_geom *g) {
    const ak_tensor *all[4] = {x, m, w, bias};
    for (int i = 0; i < 4; i++)
        if (all[i] && all[i]->device != AK_DEV_CPU) {
            ak_fail(ctx, AK_EUNSUP, "masked_conv2d: device %d not supported in this build", (int)all[i]->device);
            return false;
        }
    char a[64], b[64];
    if (x->ndim != 4 || w->ndim != 4 || w->shape[1] != x->shape[1]) {
        ak_fail(ctx, AK_ESHAPE, "masked_conv2d: input %s and weight %s must be (N, C, H, W) and (O, C, kh, kw)",
                ak_shape_str(x, a, sizeof a), ak_shape_str(w, b, sizeof b));
        return false;
    }
    *g = (ak_masked_conv_geom){0, x->shape[0], x->shape[1], w->shape[0], x->shape[2], x->shape[3],
                               (int)w->shape[2], (int)w->shape[3]};
    if (g->kh < 1 || g->kw < 1 || g->kh % 2 == 0 || g->kw % 2 == 0 || g->O < 1) {
        ak_fail(ctx, AK_EINVAL, "masked_conv2d: weight %s: kernel %dx%d, expected odd sizes >= 1",
                ak_shape_str(w, a, sizeof a), g->kh, g->kw);
        return false;
    }
    if (m->ndim != 4 || m->shape[0] < 1 || m->shape[1] != g->N || m->shape[2] != g->H || m->shape[3] != g->W) {
        ak_fail(ctx, AK_ESHAPE, "masked_conv2d: masks %s must be (K, %lld, %lld, %lld) for input %s",
                ak_shape_str(m, a, sizeof a), (long long)g->N, (long long)g->H, (long long)g->W,
                ak_shape_str(x, b, sizeof b));
        return false;
    }
    if (bias && (bias->ndim != 1 || bias->shape[0] != g->O)) {
        ak_fail(ctx, AK_ESHAPE, "masked_conv2d: bias %s must be (%lld) for weight %s", ak_shape_str(bias, a, sizeof a),
                (long long)g->O, ak_shape_str(w, b, sizeof b));
        return false;
    }
    g->K = m->shape[0];
    if (g->N * g->H * g->W > INT32_MAX || g->C * (int64_t)g->kh * g->kw * g->O > INT_MAX) {
        ak_fail(ctx, AK_EINVAL, "masked_conv2d: input %s with weight %s is too large for 32-bit indices",
                ak_shape_str(x, a, sizeof a), ak_shape_str(w, b, sizeof b));
        return false;
    }
    return true;
}

ak_tensor *ak_masked_conv2d(ak_ctx *ctx, ak_tensor *x, ak_tensor *m, ak_tensor *w, ak_tensor *bias) {
    static const char op[] = "masked_conv2d";
    if (!x || !m || !w || !ak_ok(ctx))
        return NULL;
    ak_masked_conv_geom g;
    if (!check(ctx, x, m, w, bias, &g))
        return NULL;
    const int64_t oshape[4] = {g.K * g.N, g.O, g.H, g.W}, TO = (int64_t)g.kh * g.kw * g.O;
    ak_tensor *out = ak_tensor_new(ctx, op, 4, oshape);
    if (!out)
        return NULL;
    const ak_arena_pos before = ak_arena_mark(&ctx->arena);
    int32_t *col, *pix;
    const int64_t J = support(ctx, op, m->data, &g, &col, &pix);
    float *xg = floats(ctx, op, g.C * J), *wt = floats(ctx, op, g.C * TO), *p = floats(ctx, op, J * TO);
    float *rows = floats(ctx, op, ak_cpu_masked_conv_row_ws_floats(&g));
    if (J < 0 || !xg || !wt || !p || !rows)
        return NULL;
    if (J > 0) { /* p (J, T*O) = xg^T wt */
        ak_cpu_masked_conv_gather(xg, x->data, pix, J, &g);
        ak_cpu_masked_conv_taps_weight(wt, w->data, &g);
        if (!gemm(ctx, true, J, TO, g.C, xg, J, wt, TO, p, TO))
            return NULL;
    }
    ak_cpu_masked_conv_assemble(out->data, p, m->data, col, bias ? bias->data : NULL, &g, rows);
    ak_arena_rewind(&ctx->arena, before); /* the backward rebuilds what it needs */

    ak_tensor *in[3] = {x, w, bias};
    ak_node *node = ak_record(ctx, op, out, mc_backward, bias ? 3 : 2, in, sizeof(mc_saved));
    if (node)
        *(mc_saved *)node->saved = (mc_saved){g, m};
    return ak_ok(ctx) ? out : NULL;
}
