/* Helpers for the akd/ suites: fixture lookup by formatted name, error assertions, and small base
 * losses written here from the formulas of METHODS.md §2 with plain engine ops (MSE, CWD, PKD, MGD
 * with a fixed generator), so that the wrapper is tested independently of baselines/. The fixture
 * generator tools/fixtures/akd_wrapper.py implements the same formulas in PyTorch.
 * Header-only (static inline), included by tests/akd/test_*.c. */
#ifndef AK_TESTS_AKD_TEST_H
#define AK_TESTS_AKD_TEST_H

#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aktest.h"
#include "akd/akd_loss.h"
#include "core/ops/activation.h"
#include "core/ops/conv2d.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"
#include "core/ops/softmax.h"

/* Fixture tensor by formatted name (tests/support/aktest.h). */
#define fxt ak_fixture_tensorf

static inline double fx_num(const ak_safetensors *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline double fx_num(const ak_safetensors *st, const char *fmt, ...) {
    char name[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    const ak_st_entry *e = ak_safetensors_find(st, name);
    if (!e)
        ck_abort_msg("fixture %s: no scalar '%s' (re-run tools/make_fixtures.py akd_wrapper)", st->path, name);
    if (e->dtype == AK_ST_I64) {
        int64_t v;
        memcpy(&v, e->data, sizeof v);
        return (double)v;
    }
    return ak_fixture_scalar(st, name);
}

static inline uint64_t fx_u64(const ak_safetensors *st, const char *name) {
    const ak_st_entry *e = ak_safetensors_find(st, name);
    ck_assert_msg(e && e->dtype == AK_ST_I64, "fixture %s: no int64 '%s'", st->path, name);
    int64_t v;
    memcpy(&v, e->data, sizeof v);
    return (uint64_t)v;
}

/* Fail unless ctx holds error `code` whose message contains every NULL-terminated needle; clears it. */
static inline void assert_error(ak_ctx *ctx, int code, ...) {
    ck_assert_msg(ctx->err.code == code, "expected error %d (%s), got %d: %s", code, ak_strerror(code),
                  ctx->err.code, ctx->err.msg);
    va_list ap;
    va_start(ap, code);
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
        ck_assert_msg(strstr(ctx->err.msg, s) != NULL, "error message '%s' does not mention '%s'", ctx->err.msg, s);
    va_end(ap);
    ak_ctx_clear_error(ctx);
}

static inline float *dup_floats(const float *p, int64_t n) {
    float *q = malloc((size_t)(n ? n : 1) * sizeof *q);
    memcpy(q, p, (size_t)n * sizeof *q);
    return q;
}

/* ---- test-local base losses (METHODS.md §2), weight already applied ---- */

typedef struct tb_state {
    float w, tau;               /* MSE / CWD / PKD weight, CWD temperature */
    float alpha, lambda;        /* MGD */
    ak_tensor *w1, *b1, *w2, *b2; /* MGD generator (constants) */
    int calls;                  /* forward calls (tests count base evaluations) */
    ak_rng last_rng;            /* the rng of the last call */
} tb_state;

static inline tb_state *tb_st(ak_distill_loss *l) {
    tb_state *s = l->state;
    s->calls++;
    return s;
}

/* w * mean((s - t)^2) */
static inline ak_tensor *tb_mse_fwd(ak_ctx *ctx, ak_distill_loss *l, const ak_distill_inputs *in) {
    tb_state *s = tb_st(l);
    s->last_rng = in->rng;
    ak_tensor *d = ak_sub(ctx, in->student, in->teacher);
    return ak_mul_scalar(ctx, ak_mean_all(ctx, ak_mul(ctx, d, d)), s->w);
}

/* w * tau^2 / (N*C) * sum_{n,c} KL(softmax(T/tau) || softmax(S/tau)) over H*W */
static inline ak_tensor *tb_cwd_fwd(ak_ctx *ctx, ak_distill_loss *l, const ak_distill_inputs *in) {
    tb_state *s = tb_st(l);
    const ak_tensor *x = in->student;
    const int64_t N = x->shape[0], C = x->shape[1], shape[3] = {N, C, -1};
    ak_tensor *ls = ak_log_softmax(ctx, ak_mul_scalar(ctx, ak_reshape(ctx, in->student, 3, shape), 1.0f / s->tau), -1);
    ak_tensor *lt = ak_log_softmax(ctx, ak_mul_scalar(ctx, ak_reshape(ctx, in->teacher, 3, shape), 1.0f / s->tau), -1);
    ak_tensor *kl = ak_sum_all(ctx, ak_mul(ctx, ak_exp(ctx, lt), ak_sub(ctx, lt, ls)));
    return ak_mul_scalar(ctx, kl, s->w * s->tau * s->tau / (float)(N * C));
}

/* per-channel (x - mean) / (unbiased std + 1e-6) over (n, h, w) */
static inline ak_tensor *tb_standardize(ak_ctx *ctx, ak_tensor *x) {
    static const int axes[3] = {0, 2, 3};
    const int64_t M = x->shape[0] * x->shape[2] * x->shape[3];
    ak_tensor *xc = ak_sub(ctx, x, ak_mean(ctx, x, axes, 3, true));
    ak_tensor *var = ak_mul_scalar(ctx, ak_sum(ctx, ak_mul(ctx, xc, xc), axes, 3, true), 1.0f / (float)(M - 1));
    return ak_div(ctx, xc, ak_add_scalar(ctx, ak_sqrt(ctx, var), 1e-6f));
}

/* w * mean((S_hat - T_hat)^2) / 2 */
static inline ak_tensor *tb_pkd_fwd(ak_ctx *ctx, ak_distill_loss *l, const ak_distill_inputs *in) {
    tb_state *s = tb_st(l);
    ak_tensor *d = ak_sub(ctx, tb_standardize(ctx, in->student), tb_standardize(ctx, in->teacher));
    return ak_mul_scalar(ctx, ak_mean_all(ctx, ak_mul(ctx, d, d)), s->w * 0.5f);
}

/* alpha * sum((G(S * M) - T)^2) / N, M[n,0,h,w] = 0 iff u(n*H*W + h*W + w) > 1 - lambda from in->rng */
static inline ak_tensor *tb_mgd_fwd(ak_ctx *ctx, ak_distill_loss *l, const ak_distill_inputs *in) {
    tb_state *s = tb_st(l);
    s->last_rng = in->rng;
    const ak_tensor *x = in->student;
    const int64_t N = x->shape[0], Hh = x->shape[2], Ww = x->shape[3], ms[4] = {N, 1, Hh, Ww};
    ak_tensor *m = ak_tensor_new(ctx, "mgd mask", 4, ms);
    if (!m)
        return NULL;
    const float thr = 1.0f - s->lambda;
    for (int64_t i = 0; i < m->numel; i++)
        m->data[i] = ak_rng_uniform1(in->rng, (uint64_t)i) > thr ? 0.0f : 1.0f;
    const ak_conv2d_params p = ak_conv2d_sq(1, 1, 1, 1);
    ak_tensor *g = ak_conv2d(ctx, ak_mul(ctx, in->student, m), s->w1, s->b1, &p);
    g = ak_conv2d(ctx, ak_relu(ctx, g), s->w2, s->b2, &p);
    ak_tensor *d = ak_sub(ctx, g, in->teacher);
    return ak_mul_scalar(ctx, ak_sum_all(ctx, ak_mul(ctx, d, d)), s->alpha / (float)N);
}

static inline void tb_destroy(ak_distill_loss *l) { (void)l; }

static const ak_distill_loss_ops tb_mse_ops = {"mse", tb_mse_fwd, tb_destroy, NULL};
static const ak_distill_loss_ops tb_cwd_ops = {"cwd", tb_cwd_fwd, tb_destroy, NULL};
static const ak_distill_loss_ops tb_pkd_ops = {"pkd", tb_pkd_fwd, tb_destroy, NULL};
static const ak_distill_loss_ops tb_mgd_ops = {"mgd", tb_mgd_fwd, tb_destroy, NULL};

static inline ak_distill_loss tb_loss(const ak_distill_loss_ops *ops, tb_state *st, const char *tap) {
    ak_distill_loss l;
    memset(&l, 0, sizeof l);
    l.ops = ops;
    snprintf(l.tap, sizeof l.tap, "%s", tap);
    l.weight = st->w;
    l.state = st;
    return l;
}

#endif
