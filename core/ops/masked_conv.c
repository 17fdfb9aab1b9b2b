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
    ak_tensor *m;         /* the masks (a constant: not an input of the node) */
    int64_t chunk_floats; /* product chunk budget; 0 = AK_MASKED_CONV_CHUNK_FLOATS */
} mc_saved;

#define AK_MASKED_CONV_CHUNK_FLOATS ((int64_t)8 << 20) /* 32 MiB */

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

/* c (m x n) (=|+=) op(a) (m x k) b (k x n), row-major; op(a) = a^T when ta. On our AVX-512 GEMM,
 * whose result does not depend on the thread count (OpenBLAS, the fallback on other CPUs, may round
 * differently with another thread count). False when the arena is full. */
static bool gemm(ak_ctx *ctx, bool ta, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                 int64_t ldb, float *c, int64_t ldc, bool accumulate) {
    if (m <= 0 || n <= 0)
        return true;
    if (!ak_cpu_conv2d_igemm_supported()) {
        ak_cpu_gemm(ta, false, m, n, k, 1.0f, a, lda, b, ldb, accumulate ? 1.0f : 0.0f, c, ldc);
        return true;
    }
    const int nt = omp_get_max_threads();
    const ak_arena_pos before = ak_arena_mark(&ctx->arena);
    float *ws = floats(ctx, "masked_conv2d", ak_cpu_igemm_sgemm_ws_floats(m, k, nt));
    if (!ws)
        return false;
    ak_cpu_igemm_sgemm(ta, m, n, k, a, lda, b, ldb, c, ldc, accumulate, ws, nt);
    ak_arena_rewind(&ctx->arena, before);
    return true;
}

/* Products are formed in chunks of at most this many floats (a chunk of support pixels times the
 * kh*kw*O products of each), so the workspace stays bounded for wide layers and many masks. */
static int64_t chunk_floats(const mc_saved *sv) {
    return sv->chunk_floats > 0 ? sv->chunk_floats : AK_MASKED_CONV_CHUNK_FLOATS;
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
    /* support pixels in fixed chunks (a multiple of 16: whole blocks of the gradient kernel) */
    const int64_t cj = chunk_floats(sv) / TO / 16 * 16 > 16 ? chunk_floats(sv) / TO / 16 * 16 : 16;
    const int64_t nj = J < cj ? J : cj;
    float *doutt = floats(ctx, op, g->K * g->N * g->H * g->W * g->O), *ws = floats(ctx, op, ak_cpu_masked_conv_dp_ws_floats(g));
    float *dp = dw ? floats(ctx, op, nj * TO) : NULL, *dpt = dx ? floats(ctx, op, TO * nj) : NULL;
    float *xg = dw ? floats(ctx, op, g->C * J) : NULL, *dwt = dw ? floats(ctx, op, g->C * TO) : NULL;
    float *wt = dx ? floats(ctx, op, g->C * TO) : NULL, *dxg = dx ? floats(ctx, op, g->C * J) : NULL;
    if (!doutt || !ws || (dw && (!dp || !xg || !dwt)) || (dx && (!dpt || !wt || !dxg)))
        return;
    ak_cpu_masked_conv_channels_last(doutt, dout, g);
    if (dw)
        ak_cpu_masked_conv_gather(xg, x->data, pix, J, g);
    if (dx)
        ak_cpu_masked_conv_taps_weight(wt, w->data, g);
    for (int64_t ja = 0; ja < J; ja += cj) {
        const int64_t jn = J - ja < cj ? J - ja : cj;
        ak_cpu_masked_conv_dp(dp, dpt, doutt, sv->m->data, pix + ja, jn, g, ws);
        /* dwt (C, T*O) += xg[:, chunk] (C, jn) dp (jn, T*O): chunks summed in order */
        if (dw && !gemm(ctx, false, g->C, TO, jn, xg + ja, J, dp, TO, dwt, TO, ja > 0))
            return;
        /* dxg[:, chunk] (C, jn) = wt (C, T*O) dpt (T*O, jn) */
        if (dx && !gemm(ctx, false, g->C, jn, TO, wt, TO, dpt, jn, dxg + ja, J, false))
            return;
    }
    if (dw)
        ak_cpu_masked_conv_add_weight_grad(dw, dwt, g);
    if (dx)
        ak_cpu_masked_conv_scatter(dx, dxg, pix, J, g);
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

/* First support index of every global row r = n*H + y (rowj[N*H] = J). */
static void row_starts(int64_t *rowj, const int32_t *pix, int64_t J, const ak_masked_conv_geom *g) {
    const int64_t R = g->N * g->H;
    int64_t j = 0;
    for (int64_t r = 0; r <= R; r++) {
        while (j < J && pix[j] / g->W < r)
            j++;
        rowj[r] = j;
    }
}

/* The forward: the products of a chunk of support pixels, then the output rows they feed. One chunk
 * when all products fit the budget; else, per image, blocks of output rows whose source rows (the
 * block plus (kh-1)/2 halo rows each side, recomputed by neighbouring blocks) fit it. Every product
 * is the same GEMM row either way, so the output does not depend on the chunking. */
static bool forward(ak_ctx *ctx, float *out, const ak_tensor *x, const ak_tensor *m, const ak_tensor *w,
                    const ak_tensor *bias, const ak_masked_conv_geom *g, int64_t budget) {
    static const char op[] = "masked_conv2d";
    const int64_t TO = (int64_t)g->kh * g->kw * g->O, H = g->H, ph = (g->kh - 1) / 2;
    int32_t *col, *pix;
    const int64_t J = support(ctx, op, m->data, g, &col, &pix);
    int64_t *rowj = ak_scratch(ctx, op, (size_t)(g->N * H + 1) * sizeof *rowj);
    float *xg = floats(ctx, op, g->C * J), *wt = floats(ctx, op, g->C * TO);
    float *rows = floats(ctx, op, ak_cpu_masked_conv_row_ws_floats(g));
    const int64_t pmax = J * TO <= budget ? J : (budget / TO > 0 ? budget / TO : 1);
    float *p = floats(ctx, op, pmax * TO);
    if (J < 0 || !rowj || !xg || !wt || !rows || !p)
        return false;
    const float *b = bias ? bias->data : NULL;
    ak_cpu_masked_conv_gather(xg, x->data, pix, J, g);
    ak_cpu_masked_conv_taps_weight(wt, w->data, g);
    if (J <= pmax) { /* p (J, T*O) = xg^T wt */
        if (!gemm(ctx, true, J, TO, g->C, xg, J, wt, TO, p, TO, false))
            return false;
        ak_cpu_masked_conv_assemble(out, p, 0, m->data, col, b, g, 0, g->N, 0, H, rows);
        return true;
    }
    row_starts(rowj, pix, J, g);
    for (int64_t n = 0; n < g->N; n++) {
        const int64_t *rj = rowj + n * H; /* rj[y]: first support index of row y of image n; rj[H] its end */
        for (int64_t y0 = 0, y1; y0 < H; y0 = y1) {
            const int64_t lo = y0 - ph > 0 ? y0 - ph : 0;
            y1 = y0 + 1; /* grow the block while its source rows' products fit (at least one row) */
            while (y1 < H && (rj[y1 + 1 + ph < H ? y1 + 1 + ph : H] - rj[lo]) <= pmax)
                y1++;
            const int64_t ja = rj[lo], jb = rj[y1 + ph < H ? y1 + ph : H];
            const ak_arena_pos before = ak_arena_mark(&ctx->arena);
            float *pc = jb - ja <= pmax ? p : floats(ctx, op, (jb - ja) * TO); /* one row wider than the budget */
            if (!pc || !gemm(ctx, true, jb - ja, TO, g->C, xg + ja, J, wt, TO, pc, TO, false))
                return false;
            ak_cpu_masked_conv_assemble(out, pc, ja, m->data, col, b, g, n, n + 1, y0, y1, rows);
            ak_arena_rewind(&ctx->arena, before);
        }
    }
    return true;
}

ak_tensor *ak_masked_conv2d_chunked(ak_ctx *ctx, ak_tensor *x, ak_tensor *m, ak_tensor *w, ak_tensor *bias,
                                    int64_t chunk_floats) {
    static const char op[] = "masked_conv2d";
    if (!x || !m || !w || !ak_ok(ctx))
        return NULL;
    ak_masked_conv_geom g;
    if (!check(ctx, x, m, w, bias, &g))
        return NULL;
    const int64_t oshape[4] = {g.K * g.N, g.O, g.H, g.W};
    ak_tensor *out = ak_tensor_new(ctx, op, 4, oshape);
    if (!out)
        return NULL;
    const ak_arena_pos before = ak_arena_mark(&ctx->arena);
    const int64_t budget = chunk_floats > 0 ? chunk_floats : AK_MASKED_CONV_CHUNK_FLOATS;
    if (!forward(ctx, out->data, x, m, w, bias, &g, budget))
        return NULL;
    ak_arena_rewind(&ctx->arena, before); /* the backward rebuilds what it needs */

    ak_tensor *in[3] = {x, w, bias};
    ak_node *node = ak_record(ctx, op, out, mc_backward, bias ? 3 : 2, in, sizeof(mc_saved));
    if (node)
        *(mc_saved *)node->saved = (mc_saved){g, m, chunk_floats};
    return ak_ok(ctx) ? out : NULL;
}

ak_tensor *ak_masked_conv2d(ak_ctx *ctx, ak_tensor *x, ak_tensor *m, ak_tensor *w, ak_tensor *bias) {
    return ak_masked_conv2d_chunked(ctx, x, m, w, bias, 0);
}
