/* The passes removed from a ResNet training step without changing a bit: ak_batch_norm_add_relu
 * (BN + shortcut add + ReLU as one op) against the three separate ops, its finite differences, its
 * thread-count independence and its errors; ak_batch_norm_relu's mask applied in the backward's
 * reads, against the pair; and ak_grad_of_fresh (backward kernels that store into a
 * fresh gradient instead of zeroing it and adding) against the add-into-zeros path, and the store
 * kernels on -0. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "aktest.h"
#include "core/cpu/activation.h"
#include "core/cpu/norm.h"
#include "core/ops/activation.h"
#include "core/ops/elementwise.h"
#include "core/ops/norm.h"
#include "core/params.h"

/* One BN layer's tensors, filled from fixed seeds. */
typedef struct bn_params {
    ak_params ps;
    ak_tensor *w, *b, *mean, *var;
} bn_params;

static void bn_params_init(bn_params *p, int64_t C) {
    ak_error err;
    ak_error_clear(&err);
    int64_t cs[1] = {C};
    ak_params_init(&p->ps);
    p->w = ak_params_add(&p->ps, "bn.weight", 1, cs, &err);
    p->b = ak_params_add(&p->ps, "bn.bias", 1, cs, &err);
    p->mean = ak_params_add_buffer(&p->ps, "bn.running_mean", 1, cs, &err);
    p->var = ak_params_add_buffer(&p->ps, "bn.running_var", 1, cs, &err);
    ck_assert_ptr_nonnull(p->var);
    ak_test_fill_uniform(p->w->data, C, 23, 0.5f, 1.5f);
    ak_test_fill_uniform(p->b->data, C, 24, -0.5f, 0.5f);
    ak_test_fill_uniform(p->mean->data, C, 25, -0.2f, 0.2f);
    ak_test_fill_uniform(p->var->data, C, 26, 0.5f, 1.5f);
}

/* What one run of a case produced (bitwise compared between the fused op and the chain). */
typedef struct outcome {
    float *y, *dx, *dr, dw[8], db[8], rm[8], rv[8];
    int64_t tape_n;
} outcome;

/* z = relu(bn(x) + r), fused or as ak_relu(ak_add(ak_batch_norm(x), r)); with `reuse_r`, the output is
 * z + r (r's gradient then has two contributions, the fused op's added to an existing one). Backward
 * from dy; r requires a gradient when r_grad. */
static void run_case(outcome *o, bool fused, ak_bn_mode mode, bool r_grad, bool reuse_r, int64_t N, int64_t C,
                     int64_t H, int64_t W, const float *xv, const float *rv, const float *dy) {
    const int64_t n = N * C * H * W, xs[4] = {N, C, H, W};
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    bn_params p;
    bn_params_init(&p, C);
    ak_tensor *x = ak_tensor_from(&ctx, 4, xs, xv), *r = ak_tensor_from(&ctx, 4, xs, rv);
    x->requires_grad = true;
    r->requires_grad = r_grad;
    ak_tensor *z = fused ? ak_batch_norm_add_relu(&ctx, x, p.w, p.b, p.mean, p.var, mode, 0.1f, 1e-5f, r)
                         : ak_relu(&ctx, ak_add(&ctx, ak_batch_norm(&ctx, x, p.w, p.b, p.mean, p.var, mode, 0.1f,
                                                                    1e-5f),
                                                r));
    ck_assert_msg(z != NULL, "%s", ctx.err.msg);
    memcpy(o->y, z->data, (size_t)n * sizeof(float));
    if (reuse_r)
        z = ak_add(&ctx, z, r);
    o->tape_n = ctx.tape.n;
    ck_assert_int_eq(ak_backward_from(&ctx, z, dy), AK_OK);
    memcpy(o->dx, x->grad, (size_t)n * sizeof(float));
    if (r_grad)
        memcpy(o->dr, r->grad, (size_t)n * sizeof(float));
    else
        ck_assert_ptr_null(r->grad);
    memset(o->dw, 0, sizeof o->dw);
    memset(o->db, 0, sizeof o->db);
    memcpy(o->dw, p.w->grad, (size_t)C * sizeof(float));
    memcpy(o->db, p.b->grad, (size_t)C * sizeof(float));
    memcpy(o->rm, p.mean->data, (size_t)C * sizeof(float));
    memcpy(o->rv, p.var->data, (size_t)C * sizeof(float));
    ak_params_free(&p.ps);
    ak_ctx_free(&ctx);
}

static void outcome_alloc(outcome *o, int64_t n) {
    memset(o, 0, sizeof *o);
    o->y = malloc((size_t)n * sizeof(float));
    o->dx = malloc((size_t)n * sizeof(float));
    o->dr = malloc((size_t)n * sizeof(float));
    ck_assert(o->y && o->dx && o->dr);
}

static void outcome_free(outcome *o) {
    free(o->y);
    free(o->dx);
    free(o->dr);
}

static void assert_same(const outcome *a, const outcome *b, int64_t n, int64_t C, bool r_grad) {
    ak_assert_bitwise("y", a->y, b->y, n);
    ak_assert_bitwise("dx", a->dx, b->dx, n);
    if (r_grad)
        ak_assert_bitwise("dresidual", a->dr, b->dr, n);
    ak_assert_bitwise("dweight", a->dw, b->dw, C);
    ak_assert_bitwise("dbias", a->db, b->db, C);
    ak_assert_bitwise("running_mean", a->rm, b->rm, C);
    ak_assert_bitwise("running_var", a->rv, b->rv, C);
}

/* Every mode, residual with and without a gradient, with and without a second consumer: the fused
 * op gives the chain's values and gradients bit for bit, on one tape node instead of three. */
START_TEST(batch_norm_add_relu_matches_the_chain) {
    const ak_bn_mode modes[3] = {AK_BN_TRAIN, AK_BN_EVAL, AK_BN_FROZEN};
    enum { N = 2, C = 3, H = 5, W = 8, NX = N * C * H * W };
    float xv[NX], rv[NX], dy[NX];
    ak_test_fill_uniform(xv, NX, 31, -2, 2);
    ak_test_fill_uniform(rv, NX, 32, -1, 1);
    ak_test_fill_uniform(dy, NX, 33, -1, 1);
    for (int m = 0; m < 3; m++)
        for (int variant = 0; variant < 3; variant++) {
            const bool r_grad = variant != 1, reuse = variant == 2;
            outcome o[2];
            for (int way = 0; way < 2; way++) {
                outcome_alloc(&o[way], NX);
                run_case(&o[way], way == 1, modes[m], r_grad, reuse, N, C, H, W, xv, rv, dy);
            }
            assert_same(&o[1], &o[0], NX, C, r_grad);
            ck_assert_int_eq(o[1].tape_n + 2, o[0].tape_n);
            int zeros = 0;
            for (int i = 0; i < NX; i++)
                zeros += o[1].y[i] == 0.0f;
            ck_assert(zeros > NX / 8 && zeros < NX - NX / 8); /* the relu does cut */
            outcome_free(&o[0]);
            outcome_free(&o[1]);
        }
}
END_TEST

/* Large enough for the threaded paths (and segments longer than one 16384-element work unit): 1 and
 * 2 threads give the same bits, and both equal the chain. */
START_TEST(batch_norm_add_relu_thread_independent) {
    const int64_t N = 2, C = 2, H = 128, W = 136, NX = N * C * H * W;
    float *xv = malloc((size_t)NX * sizeof *xv), *rv = malloc((size_t)NX * sizeof *rv);
    float *dy = malloc((size_t)NX * sizeof *dy);
    ck_assert(xv && rv && dy);
    ak_test_fill_uniform(xv, NX, 41, -2, 2);
    ak_test_fill_uniform(rv, NX, 42, -1, 1);
    ak_test_fill_uniform(dy, NX, 43, -1, 1);
    outcome o[3];
    for (int k = 0; k < 3; k++) {
        outcome_alloc(&o[k], NX);
        omp_set_num_threads(k == 1 ? 1 : 2);
        run_case(&o[k], k > 0, AK_BN_TRAIN, true, false, N, C, H, W, xv, rv, dy);
    }
    omp_set_num_threads(2);
    assert_same(&o[1], &o[2], NX, C, true); /* fused, 1 vs 2 threads */
    assert_same(&o[0], &o[2], NX, C, true); /* chain vs fused, 2 threads */
    for (int k = 0; k < 3; k++)
        outcome_free(&o[k]);
    free(xv);
    free(rv);
    free(dy);
}
END_TEST

/* ak_batch_norm_relu applies relu's mask where its backward reads dy (core/cpu/norm.c seg_dot and
 * seg_bwd): against ak_relu(ak_batch_norm) with segments longer than the masked-read block and not a
 * multiple of 8 lanes, threaded, in train and eval mode; 1 and 2 threads give the same bits. */
START_TEST(batch_norm_relu_masked_reads_match_the_pair) {
    const int64_t N = 2, C = 16, H = 37, W = 29, NX = N * C * H * W, xs[4] = {N, C, H, W};
    float *xv = malloc((size_t)NX * sizeof *xv), *dy = malloc((size_t)NX * sizeof *dy);
    float *out[3][2];
    ck_assert(xv && dy);
    ak_test_fill_uniform(xv, NX, 71, -2, 2);
    ak_test_fill_uniform(dy, NX, 72, -1, 1);
    const ak_bn_mode modes[2] = {AK_BN_TRAIN, AK_BN_EVAL};
    for (int m = 0; m < 2; m++) {
        for (int k = 0; k < 3; k++) { /* chain (2 threads), fused (1 thread), fused (2 threads) */
            omp_set_num_threads(k == 1 ? 1 : 2);
            ak_ctx ctx;
            ak_ctx_init(&ctx, 0, 0);
            bn_params p;
            bn_params_init(&p, C);
            ak_tensor *x = ak_tensor_from(&ctx, 4, xs, xv);
            x->requires_grad = true;
            ak_tensor *y = k ? ak_batch_norm_relu(&ctx, x, p.w, p.b, p.mean, p.var, modes[m], 0.1f, 1e-5f)
                             : ak_relu(&ctx, ak_batch_norm(&ctx, x, p.w, p.b, p.mean, p.var, modes[m], 0.1f, 1e-5f));
            ck_assert_msg(y != NULL, "%s", ctx.err.msg);
            ck_assert_int_eq(ak_backward_from(&ctx, y, dy), AK_OK);
            out[k][0] = malloc((size_t)NX * sizeof(float));
            out[k][1] = malloc((size_t)2 * C * sizeof(float));
            ck_assert(out[k][0] && out[k][1]);
            memcpy(out[k][0], x->grad, (size_t)NX * sizeof(float));
            memcpy(out[k][1], p.w->grad, (size_t)C * sizeof(float));
            memcpy(out[k][1] + C, p.b->grad, (size_t)C * sizeof(float));
            ak_params_free(&p.ps);
            ak_ctx_free(&ctx);
        }
        omp_set_num_threads(2);
        for (int k = 1; k < 3; k++) {
            ak_assert_bitwise("dx", out[k][0], out[0][0], NX);
            ak_assert_bitwise("dweight, dbias", out[k][1], out[0][1], 2 * C);
        }
        for (int k = 0; k < 3; k++)
            free(out[k][0]), free(out[k][1]);
    }
    free(xv);
    free(dy);
}
END_TEST

/* Finite differences for x, weight, bias and the residual. The residual is chosen so that
 * bn(x) + r stays at least 0.2 away from relu's kink, where the difference quotient is meaningless. */
typedef struct fd_case {
    ak_bn_mode mode;
} fd_case;

static ak_tensor *fused_fn(ak_ctx *ctx, ak_tensor **in, void *user) {
    const fd_case *c = user;
    return ak_batch_norm_add_relu(ctx, in[0], in[1], in[2], NULL, NULL, c->mode, 0.1f, 1e-5f, in[3]);
}

START_TEST(batch_norm_add_relu_gradcheck) {
    enum { N = 3, C = 4, S = 6, NX = N * C * S };
    float x[NX], w[C], b[C], r[NX], target[NX];
    ak_test_fill_uniform(x, NX, 51, -2, 2);
    ak_test_fill_uniform(w, C, 52, 0.5f, 1.5f);
    ak_test_fill_uniform(b, C, 53, -0.5f, 0.5f);
    ak_test_fill_uniform(target, NX, 54, -1, 1);
    /* target = bn(x) + r: half below -0.2 (cut), half above 0.2 */
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t xs[4] = {N, C, 2, 3}, cs[1] = {C};
    ak_tensor *xt = ak_tensor_from(&ctx, 4, xs, x), *wt = ak_tensor_from(&ctx, 1, cs, w);
    ak_tensor *bt = ak_tensor_from(&ctx, 1, cs, b);
    ak_tensor *y = ak_batch_norm(&ctx, xt, wt, bt, NULL, NULL, AK_BN_TRAIN, 0.1f, 1e-5f);
    ck_assert_ptr_nonnull(y);
    for (int i = 0; i < NX; i++)
        r[i] = (target[i] < 0 ? target[i] - 0.2f : target[i] + 0.2f) - y->data[i];
    ak_ctx_free(&ctx);
    fd_case c = {AK_BN_TRAIN};
    ak_gradcheck_input in[4] = {
        {"x", 4, {N, C, 2, 3}, x, 1},
        {"w", 1, {C}, w, 1},
        {"b", 1, {C}, b, 1},
        {"residual", 4, {N, C, 2, 3}, r, 1},
    };
    ak_gradcheck_opts opts = {1e-3, 1e-2, 1e-3, NX};
    ak_gradcheck("batch_norm_add_relu (train)", fused_fn, &c, in, 4, &opts);
}
END_TEST

START_TEST(batch_norm_add_relu_errors) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    bn_params p;
    bn_params_init(&p, 3);
    int64_t xs[4] = {2, 3, 4, 4}, rs[4] = {2, 3, 4, 5}, bs[4] = {1, 3, 1, 1};
    ak_tensor *x = ak_tensor_zeros(&ctx, "x", 4, xs);
    ak_tensor *r = ak_tensor_zeros(&ctx, "r", 4, rs), *rb = ak_tensor_zeros(&ctx, "rb", 4, bs);
    /* a different shape, and one that would broadcast: both refused, naming the op and both shapes */
    ak_tensor *const bad[2] = {r, rb};
    const char *const want[2] = {"(2,3,4,5)", "(1,3,1,1)"};
    for (int k = 0; k < 2; k++) {
        ck_assert_ptr_null(ak_batch_norm_add_relu(&ctx, x, p.w, p.b, p.mean, p.var, AK_BN_TRAIN, 0.1f, 1e-5f, bad[k]));
        ck_assert_int_eq(ctx.err.code, AK_ESHAPE);
        ck_assert_msg(strstr(ctx.err.msg, "batch_norm_add_relu") && strstr(ctx.err.msg, "residual") &&
                          strstr(ctx.err.msg, want[k]) && strstr(ctx.err.msg, "(2,3,4,4)"),
                      "%s", ctx.err.msg);
        ak_ctx_clear_error(&ctx);
    }
    ck_assert_ptr_null(ak_batch_norm_add_relu(&ctx, x, p.w, p.b, p.mean, p.var, AK_BN_TRAIN, 0.1f, 1e-5f, NULL));
    ck_assert_int_eq(ctx.err.code, AK_EINVAL);
    ck_assert_msg(strstr(ctx.err.msg, "batch_norm_add_relu") && strstr(ctx.err.msg, "residual"), "%s", ctx.err.msg);
    /* a NULL input after an earlier failure: NULL, the first error kept */
    ck_assert_ptr_null(ak_batch_norm_add_relu(&ctx, NULL, p.w, p.b, p.mean, p.var, AK_BN_TRAIN, 0.1f, 1e-5f, x));
    ck_assert_int_eq(ctx.err.code, AK_EINVAL);
    ak_params_free(&p.ps);
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(grad_of_fresh_hands_out_once) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t s[1] = {100};
    ak_tensor *t = ak_tensor_zeros(&ctx, "t", 1, s);
    bool fresh = false;
    float *g = ak_grad_of_fresh(&ctx, t, &fresh);
    ck_assert_ptr_nonnull(g);
    ck_assert(fresh);
    ck_assert_ptr_eq(g, t->grad);
    float *g2 = ak_grad_of_fresh(&ctx, t, &fresh);
    ck_assert_ptr_eq(g2, g);
    ck_assert(!fresh); /* exists now: callers add */
    ak_ctx_free(&ctx);
}
END_TEST

/* The ops whose backward stores into a fresh gradient (batch norm's dx, relu's dx) against the add
 * path (the input's gradient already exists, zeroed): bitwise equal. */
START_TEST(fresh_store_matches_add_into_zeros) {
    enum { N = 2, C = 3, S = 40, NX = N * C * S };
    int64_t xs[4] = {N, C, 5, 8};
    float xv[NX], dy[NX];
    ak_test_fill_uniform(xv, NX, 61, -2, 2);
    ak_test_fill_uniform(dy, NX, 62, -1, 1);
    const ak_bn_mode modes[2] = {AK_BN_TRAIN, AK_BN_EVAL};
    for (int op = 0; op < 3; op++) { /* relu, batch norm train, batch norm eval */
        float dx[2][NX];
        for (int pre = 0; pre < 2; pre++) {
            ak_ctx ctx;
            ak_ctx_init(&ctx, 0, 0);
            bn_params p;
            bn_params_init(&p, C);
            ak_tensor *x = ak_tensor_from(&ctx, 4, xs, xv);
            x->requires_grad = true;
            ak_tensor *y = op == 0 ? ak_relu(&ctx, x)
                                   : ak_batch_norm(&ctx, x, p.w, p.b, p.mean, p.var, modes[op - 1], 0.1f, 1e-5f);
            ck_assert_msg(y != NULL, "%s", ctx.err.msg);
            if (pre) /* the gradient exists (zeroed): the kernel adds */
                ck_assert_ptr_nonnull(ak_grad_of(&ctx, x));
            ck_assert_int_eq(ak_backward_from(&ctx, y, dy), AK_OK);
            memcpy(dx[pre], x->grad, sizeof dx[pre]);
            ak_params_free(&p.ps);
            ak_ctx_free(&ctx);
        }
        ak_assert_bitwise(op == 0 ? "relu dx" : "batch_norm dx", dx[0], dx[1], NX);
    }
}
END_TEST

/* The store kernels on values that are -0 before the store: adding -0 into +0 gives +0, so storing
 * must too (a gradient the tape accumulates never holds -0; the store path must not create one). */
START_TEST(store_kernels_turn_minus_zero_into_plus_zero) {
    enum { S = 40 };
    float dy[S], y[S], x[S], add[S], store[S];
    for (int i = 0; i < S; i++) {
        dy[i] = i % 2 ? -0.0f : -0.25f * (float)i;
        y[i] = i % 3 ? 1.0f : -1.0f;
        x[i] = 0.5f;
    }
    /* relu: y > 0 passes dy, -0 included */
    memset(add, 0, sizeof add);
    ak_cpu_relu_bwd(add, dy, y, S, false);
    ak_cpu_relu_bwd(store, dy, y, S, true);
    ak_assert_bitwise("relu store vs add", store, add, S);
    /* relu_mask's residual accumulator: stored vs added into zeros */
    float g1[S], g2[S];
    memcpy(g1, dy, sizeof g1);
    memcpy(g2, dy, sizeof g2);
    memset(add, 0, sizeof add);
    ak_cpu_relu_mask(g1, y, add, false, S);
    ak_cpu_relu_mask(g2, y, store, true, S);
    ak_assert_bitwise("relu_mask acc store vs add", store, add, S);
    ak_assert_bitwise("relu_mask g", g1, g2, S);
    /* seg_bwd: a * -0 + b * (x - m) + c with x == m, b < 0 and c = -0 is -0 */
    const float a[1] = {1.0f}, b[1] = {-1.0f}, m[1] = {0.5f}, c[1] = {-0.0f};
    for (int masked = 0; masked < 2; masked++) {
        memset(add, 0, sizeof add);
        ak_cpu_seg_bwd(add, dy, x, 1, S, a, b, m, c, masked ? y : NULL, false);
        ak_cpu_seg_bwd(store, dy, x, 1, S, a, b, m, c, masked ? y : NULL, true);
        ak_assert_bitwise(masked ? "seg_bwd masked store vs add" : "seg_bwd store vs add", store, add, S);
    }
    ak_cpu_seg_bwd(store, dy, NULL, 1, S, a, NULL, NULL, c, NULL, true);
    for (int i = 1; i < S; i += 2)
        ck_assert(store[i] == 0.0f && !signbit(store[i]));
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("fused_residual");
    TCase *tc = tcase_create("fused_residual");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, batch_norm_add_relu_matches_the_chain);
    tcase_add_test(tc, batch_norm_add_relu_thread_independent);
    tcase_add_test(tc, batch_norm_relu_masked_reads_match_the_pair);
    tcase_add_test(tc, batch_norm_add_relu_gradcheck);
    tcase_add_test(tc, batch_norm_add_relu_errors);
    tcase_add_test(tc, grad_of_fresh_hands_out_once);
    tcase_add_test(tc, fresh_store_matches_add_into_zeros);
    tcase_add_test(tc, store_kernels_turn_minus_zero_into_plus_zero);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
