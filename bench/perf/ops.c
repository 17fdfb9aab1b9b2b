/* Throughput of the memory-bound ops on ResNet feature-map sizes: batch norm (train forward and
 * backward, eval forward), group norm, broadcast add, softmax over H*W (CWD), sum, against a plain
 * streaming copy as the machine's bandwidth reference.
 *
 * Usage: perf_ops [--reps N] [--threads T]
 * Each op's forward runs through the public op; its backward calls the recorded node's backward
 * directly (dy and dx preset), so the numbers exclude the tape's seeding and gradient zeroing. GB/s
 * counts the minimum traffic of each pass (column "passes": tensor-sized reads + writes; an
 * accumulated gradient costs a read and a write). Best of N (default 5) after a warm-up: the machine
 * is shared. Not a test; prints only.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ctx.h"
#include "core/ops/elementwise.h"
#include "core/ops/norm.h"
#include "core/ops/reduce.h"
#include "core/ops/softmax.h"
#include "core/rng.h"
#include "core/runtime.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

enum { OP_COPY, OP_BN_FWD, OP_BN_BWD, OP_BN_EVAL, OP_GN_FWD, OP_GN_BWD, OP_ADD_FWD, OP_ADD_BWD, OP_SOFTMAX_FWD,
       OP_SOFTMAX_BWD, OP_SUM };

typedef struct bench {
    const char *name;
    int op;
    int64_t shape[4];
    double passes; /* tensor-sized memory passes (reads + writes) */
} bench;

static const bench BENCHES[] = {
    {"copy (bandwidth reference)", OP_COPY, {2, 256, 128, 128}, 2},
    {"batch_norm train fwd", OP_BN_FWD, {2, 256, 128, 128}, 3},
    {"batch_norm train bwd (dx,dw,db)", OP_BN_BWD, {2, 256, 128, 128}, 6},
    {"batch_norm eval fwd", OP_BN_EVAL, {2, 256, 128, 128}, 2},
    {"group_norm(32) fwd", OP_GN_FWD, {2, 256, 64, 64}, 3},
    {"group_norm(32) bwd (dx,dw,db)", OP_GN_BWD, {2, 256, 64, 64}, 6},
    {"add (N,C,H,W)+(1,C,1,1) fwd", OP_ADD_FWD, {2, 256, 128, 128}, 2},
    {"add bwd (dx, dbias)", OP_ADD_BWD, {2, 256, 128, 128}, 3},
    {"softmax over H*W fwd", OP_SOFTMAX_FWD, {2, 256, 128, 128}, 3},
    {"softmax over H*W bwd", OP_SOFTMAX_BWD, {2, 256, 128, 128}, 4},
    {"sum over (N,H,W)", OP_SUM, {2, 256, 128, 128}, 1},
};

static void fill(float *p, int64_t n, uint64_t seed, float lo, float hi) {
    ak_rng r = {seed, ak_rng_stream(AK_STREAM_TEST, 9, 0, 0)};
    ak_rng_fill_uniform(r, 0, p, n);
    for (int64_t i = 0; i < n; i++)
        p[i] = lo + (hi - lo) * p[i];
}

/* One timed run of bench b; returns seconds or -1 on error. */
static double run_once(ak_ctx *ctx, const bench *b, float *xbuf, float *dybuf, float *dxbuf) {
    const int64_t *s = b->shape, C = s[1], n = s[0] * s[1] * s[2] * s[3];
    ak_ctx_reset(ctx);
    ak_tensor *x = ak_tensor_new(ctx, "x", 4, s);
    if (!x)
        return -1;
    memcpy(x->data, xbuf, (size_t)n * sizeof(float));
    x->requires_grad = true;
    ak_tensor *w = ak_tensor_new(ctx, "w", 1, &C), *bb = ak_tensor_new(ctx, "b", 1, &C);
    ak_tensor *rm = ak_tensor_zeros(ctx, "rm", 1, &C), *rv = ak_tensor_zeros(ctx, "rv", 1, &C);
    for (int64_t c = 0; c < C; c++) {
        w->data[c] = 1.0f + 0.01f * (float)c;
        bb->data[c] = 0.1f;
        rv->data[c] = 1.0f;
    }
    w->requires_grad = bb->requires_grad = true;
    const int64_t bshape[4] = {1, C, 1, 1};
    ak_tensor *bias4 = ak_tensor_zeros(ctx, "bias", 4, bshape);
    bias4->requires_grad = true;
    const int axes[3] = {0, 2, 3};
    double t0 = 0, t1 = 0;
    ak_tensor *y = NULL;
    const bool bwd = b->op == OP_BN_BWD || b->op == OP_GN_BWD || b->op == OP_ADD_BWD || b->op == OP_SOFTMAX_BWD;
    if (!bwd)
        t0 = now_s();
    switch (b->op) {
    case OP_COPY: {
        float *out = dxbuf;
#pragma omp parallel for simd schedule(static)
        for (int64_t i = 0; i < n; i++)
            out[i] = x->data[i];
        y = x;
        break;
    }
    case OP_BN_FWD: case OP_BN_BWD: y = ak_batch_norm(ctx, x, w, bb, rm, rv, AK_BN_TRAIN, 0.1f, 1e-5f); break;
    case OP_BN_EVAL: y = ak_batch_norm(ctx, x, w, bb, rm, rv, AK_BN_EVAL, 0.1f, 1e-5f); break;
    case OP_GN_FWD: case OP_GN_BWD: y = ak_group_norm(ctx, x, 32, w, bb, 1e-5f); break;
    case OP_ADD_FWD: case OP_ADD_BWD: y = ak_add(ctx, x, bias4); break;
    case OP_SOFTMAX_FWD: case OP_SOFTMAX_BWD: {
        const int64_t rs[2] = {s[0] * s[1], s[2] * s[3]};
        x->ndim = 2;
        x->shape[0] = rs[0];
        x->shape[1] = rs[1];
        y = ak_softmax(ctx, x, 1);
        break;
    }
    case OP_SUM: y = ak_sum(ctx, x, axes, 3, false); break;
    }
    if (!bwd)
        t1 = now_s();
    if (!y)
        return -1;
    if (bwd) {
        ak_node *node = &ctx->tape.nodes[ctx->tape.n - 1];
        y->grad = dybuf;
        x->grad = dxbuf;
        memset(dxbuf, 0, (size_t)n * sizeof(float)); /* outside the timing */
        if (!ak_grad_of(ctx, w) || !ak_grad_of(ctx, bb) || !ak_grad_of(ctx, bias4))
            return -1;
        t0 = now_s();
        node->backward(ctx, node);
        t1 = now_s();
    }
    return ak_ok(ctx) ? t1 - t0 : -1;
}

int main(int argc, char **argv) {
    ak_runtime_bootstrap(argc, argv);
    int reps = 5, threads = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: perf_ops [--reps N] [--threads T]\n");
            return 2;
        }
    }
    if (threads > 0)
        ak_runtime_set_threads(threads);
    char desc[256];
    ak_runtime_describe(desc, sizeof desc);
    printf("# perf_ops: %s, best of %d\n", desc, reps);
    printf("| op | shape | ms | GB/s | passes |\n|---|---|---|---|---|\n");
    const int64_t nmax = 2 * 256 * 128 * 128;
    float *xbuf = aligned_alloc(64, (size_t)nmax * 4), *dybuf = aligned_alloc(64, (size_t)nmax * 4),
          *dxbuf = aligned_alloc(64, (size_t)nmax * 4);
    if (!xbuf || !dybuf || !dxbuf) {
        fprintf(stderr, "perf_ops: out of memory\n");
        return 1;
    }
    fill(xbuf, nmax, 1, -2, 3);
    fill(dybuf, nmax, 2, -1, 1);
    ak_ctx ctx;
    if (ak_ctx_init(&ctx, 0, 0) != AK_OK)
        return 1;
    for (size_t k = 0; k < sizeof BENCHES / sizeof BENCHES[0]; k++) {
        const bench *b = &BENCHES[k];
        const int64_t n = b->shape[0] * b->shape[1] * b->shape[2] * b->shape[3];
        double best = 1e30;
        for (int r = 0; r <= reps; r++) { /* r == 0: warm-up (arena growth, page faults) */
            double t = run_once(&ctx, b, xbuf, dybuf, dxbuf);
            if (t < 0) {
                fprintf(stderr, "perf_ops: %s failed: %s\n", b->name, ctx.err.msg);
                return 1;
            }
            if (r > 0 && t < best)
                best = t;
        }
        printf("| %s | (%lld,%lld,%lld,%lld) | %.2f | %.1f | %.0f |\n", b->name, (long long)b->shape[0],
               (long long)b->shape[1], (long long)b->shape[2], (long long)b->shape[3], best * 1e3,
               b->passes * (double)n * 4.0 / best / 1e9, b->passes);
    }
    ak_ctx_free(&ctx);
    free(xbuf);
    free(dybuf);
    free(dxbuf);
    return 0;
}
