/* matmul / linear: shape checks, autograd; the products themselves are sgemm calls (core/cpu). */
#include "core/ops/matmul.h"

#include <string.h>

#include "core/cpu/matmul.h"

/* ---- matmul ---- */

typedef struct mm_geom {
    int64_t batch, m, n, k;
    bool ta, tb;
    bool a_batched, b_batched;
} mm_geom;

/* Leading dimension of the stored matrices. */
static int64_t lda_of(const mm_geom *g) { return g->ta ? g->m : g->k; }
static int64_t ldb_of(const mm_geom *g) { return g->tb ? g->k : g->n; }

/* a is batched, b shared and a not transposed: the batch folds into the rows of one product. */
static bool foldable(const mm_geom *g) { return g->a_batched && !g->b_batched && !g->ta; }

static void mm_forward(float *c, const float *a, const float *b, const mm_geom *g) {
    if (foldable(g)) {
        ak_cpu_gemm(false, g->tb, g->batch * g->m, g->n, g->k, 1.0f, a, g->k, b, ldb_of(g), 0.0f, c, g->n);
        return;
    }
    for (int64_t i = 0; i < g->batch; i++)
        ak_cpu_gemm(g->ta, g->tb, g->m, g->n, g->k, 1.0f, a + (g->a_batched ? i * g->m * g->k : 0), lda_of(g),
                    b + (g->b_batched ? i * g->k * g->n : 0), ldb_of(g), 0.0f, c + i * g->m * g->n, g->n);
}

static void matmul_backward(ak_ctx *ctx, ak_node *node) {
    const mm_geom *g = node->saved;
    ak_tensor *ta_ = node->in[0], *tb_ = node->in[1];
    float *da = ta_->requires_grad ? ak_grad_of(ctx, ta_) : NULL;
    float *db = tb_->requires_grad ? ak_grad_of(ctx, tb_) : NULL;
    if (!ak_ok(ctx))
        return;
    const float *a = ta_->data, *b = tb_->data, *dc = node->out->grad;
    const int64_t m = g->m, n = g->n, k = g->k, lda = lda_of(g), ldb = ldb_of(g);
    if (foldable(g)) {
        const int64_t rows = g->batch * m;
        if (da) /* dA (rows x k) += dC op(B)^T */
            ak_cpu_gemm(false, !g->tb, rows, k, n, 1.0f, dc, n, b, ldb, 1.0f, da, k);
        if (db) {
            if (!g->tb) /* dB (k x n) += A^T dC */
                ak_cpu_gemm(true, false, k, n, rows, 1.0f, a, k, dc, n, 1.0f, db, n);
            else /* dB (n x k) += dC^T A */
                ak_cpu_gemm(true, false, n, k, rows, 1.0f, dc, n, a, k, 1.0f, db, k);
        }
        return;
    }
    for (int64_t i = 0; i < g->batch; i++) {
        const float *ai = a + (g->a_batched ? i * m * k : 0), *bi = b + (g->b_batched ? i * k * n : 0);
        const float *dci = dc + i * m * n;
        if (da) {
            float *dai = da + (g->a_batched ? i * m * k : 0);
            if (!g->ta) /* dA (m x k) += dC op(B)^T */
                ak_cpu_gemm(false, !g->tb, m, k, n, 1.0f, dci, n, bi, ldb, 1.0f, dai, k);
            else /* dA (k x m) += op(B) dC^T */
                ak_cpu_gemm(g->tb, true, k, m, n, 1.0f, bi, ldb, dci, n, 1.0f, dai, m);
        }
        if (db) {
            float *dbi = db + (g->b_batched ? i * k * n : 0);
            if (!g->tb) /* dB (k x n) += op(A)^T dC */
                ak_cpu_gemm(!g->ta, false, k, n, m, 1.0f, ai, lda, dci, n, 1.0f, dbi, n);
            else /* dB (n x k) += dC^T op(A) */
                ak_cpu_gemm(true, g->ta, n, k, m, 1.0f, dci, n, ai, lda, 1.0f, dbi, k);
        }
    }
}

ak_tensor *ak_matmul_t(ak_ctx *ctx, ak_tensor *a, ak_tensor *b, bool ta, bool tb) {
    if (!a || !b || !ak_ok(ctx))
        return NULL;
    char sa[64], sb[64];
    ak_shape_str(a, sa, sizeof sa);
    ak_shape_str(b, sb, sizeof sb);
    if (a->device != AK_DEV_CPU || b->device != AK_DEV_CPU)
        return ak_fail(ctx, AK_EUNSUP, "matmul: only CPU tensors are supported in this build");
    if (a->ndim < 2 || b->ndim < 2)
        return ak_fail(ctx, AK_ESHAPE, "matmul: a %s and b %s must have at least 2 dimensions", sa, sb);
    mm_geom g = {1, 0, 0, 0, ta, tb, a->ndim > 2, b->ndim > 2};
    int64_t ra = a->shape[a->ndim - 2], ca = a->shape[a->ndim - 1];
    int64_t rb = b->shape[b->ndim - 2], cb = b->shape[b->ndim - 1];
    g.m = ta ? ca : ra, g.k = ta ? ra : ca;
    int64_t kb = tb ? cb : rb;
    g.n = tb ? rb : cb;
    if (g.k != kb)
        return ak_fail(ctx, AK_ESHAPE, "matmul: inner dimensions differ: a %s%s has %lld, b %s%s has %lld", sa,
                       ta ? " (transposed)" : "", (long long)g.k, sb, tb ? " (transposed)" : "", (long long)kb);
    if (g.a_batched && g.b_batched) {
        bool same = a->ndim == b->ndim;
        for (int i = 0; same && i < a->ndim - 2; i++)
            same = a->shape[i] == b->shape[i];
        if (!same)
            return ak_fail(ctx, AK_ESHAPE, "matmul: batch dimensions of a %s and b %s differ", sa, sb);
    }
    const ak_tensor *bt = g.a_batched ? a : b; /* the batched operand gives the batch dims */
    int64_t shape[AK_MAX_DIMS];
    int nd = bt->ndim;
    for (int i = 0; i < nd - 2; i++) {
        shape[i] = bt->shape[i];
        g.batch *= bt->shape[i];
    }
    shape[nd - 2] = g.m, shape[nd - 1] = g.n;
    ak_tensor *c = ak_tensor_new(ctx, "matmul", nd, shape);
    if (!c)
        return NULL;
    if (g.k == 0)
        memset(c->data, 0, (size_t)c->numel * sizeof(float));
    else
        mm_forward(c->data, a->data, b->data, &g);
    ak_tensor *in[2] = {a, b};
    ak_node *node = ak_record(ctx, "matmul", c, matmul_backward, 2, in, sizeof(mm_geom));
    if (node)
        *(mm_geom *)node->saved = g;
    return ak_ok(ctx) ? c : NULL;
}

ak_tensor *ak_matmul(ak_ctx *ctx, ak_tensor *a, ak_tensor *b) { return ak_matmul_t(ctx, a, b, false, false); }

/* ---- linear ---- */

typedef struct linear_geom {
    int64_t rows, in, out;
} linear_geom;

static void linear_backward(ak_ctx *ctx, ak_node *node) {
    const linear_geom *g = node->saved;
    ak_tensor *x = node->in[0], *w = node->in[1], *b = node->n_in > 2 ? node->in[2] : NULL;
    float *dx = x->requires_grad ? ak_grad_of(ctx, x) : NULL;
    float *dw = w->requires_grad ? ak_grad_of(ctx, w) : NULL;
    float *db = b && b->requires_grad ? ak_grad_of(ctx, b) : NULL;
    if (!ak_ok(ctx))
        return;
    const float *dy = node->out->grad;
    if (dx) /* dx (rows x in) += dy (rows x out) W (out x in) */
        ak_cpu_gemm(false, false, g->rows, g->in, g->out, 1.0f, dy, g->out, w->data, g->in, 1.0f, dx, g->in);
    if (dw) /* dW (out x in) += dy^T x */
        ak_cpu_gemm(true, false, g->out, g->in, g->rows, 1.0f, dy, g->out, x->data, g->in, 1.0f, dw, g->in);
    if (db)
        ak_cpu_sum_rows(db, dy, g->rows, g->out);
}

ak_tensor *ak_linear(ak_ctx *ctx, ak_tensor *x, ak_tensor *w, ak_tensor *b) {
    if (!x || !w || !ak_ok(ctx))
        return NULL;
    char sx[64], sw[64], sb[64];
    ak_shape_str(x, sx, sizeof sx);
    ak_shape_str(w, sw, sizeof sw);
    if (x->device != AK_DEV_CPU || w->device != AK_DEV_CPU || (b && b->device != AK_DEV_CPU))
        return ak_fail(ctx, AK_EUNSUP, "linear: only CPU tensors are supported in this build");
    if (w->ndim != 2 || x->ndim < 1 || x->shape[x->ndim - 1] != w->shape[1])
        return ak_fail(ctx, AK_ESHAPE, "linear: input %s does not match weight %s (expected (..., %lld) and (out, in))",
                       sx, sw, (long long)(w->ndim == 2 ? w->shape[1] : -1));
    if (b && (b->ndim != 1 || b->shape[0] != w->shape[0]))
        return ak_fail(ctx, AK_ESHAPE, "linear: bias %s does not match weight %s (expected (%lld))",
                       ak_shape_str(b, sb, sizeof sb), sw, (long long)w->shape[0]);
    linear_geom g = {x->numel / (x->shape[x->ndim - 1] ? x->shape[x->ndim - 1] : 1), w->shape[1], w->shape[0]};
    if (g.in == 0)
        g.rows = ak_shape_numel(x->ndim - 1, x->shape);
    int64_t shape[AK_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = g.out;
    ak_tensor *y = ak_tensor_new(ctx, "linear", x->ndim, shape);
    if (!y)
        return NULL;
    if (g.in == 0)
        memset(y->data, 0, (size_t)y->numel * sizeof(float));
    else /* y (rows x out) = x (rows x in) W^T */
        ak_cpu_gemm(false, true, g.rows, g.out, g.in, 1.0f, x->data, g.in, w->data, g.in, 0.0f, y->data, g.out);
    if (b)
        ak_cpu_add_row_bias(y->data, b->data, g.rows, g.out);
    ak_tensor *in[3] = {x, w, b};
    ak_node *node = ak_record(ctx, "linear", y, linear_backward, b ? 3 : 2, in, sizeof(linear_geom));
    if (node)
        *(linear_geom *)node->saved = g;
    return ak_ok(ctx) ? y : NULL;
}
