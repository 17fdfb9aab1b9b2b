/* See aktest.h. */
#include "aktest.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/runtime.h"

int ak_test_run(int argc, char **argv, Suite *suite) {
    ak_runtime_bootstrap(argc, argv);
    SRunner *sr = srunner_create(suite);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

char *ak_source_path(const char *rel) {
    size_t len = strlen(AK_SOURCE_DIR) + strlen(rel) + 2;
    char *p = malloc(len);
    snprintf(p, len, "%s/%s", AK_SOURCE_DIR, rel);
    return p;
}

void ak_fixture_open(ak_safetensors *st, const char *rel) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s/tests/fixtures/%s", AK_SOURCE_DIR, rel);
    ak_error err;
    ak_error_clear(&err);
    if (ak_safetensors_open(st, buf, &err) != AK_OK)
        ck_abort_msg("fixture %s: %s (re-run `make fixtures`)", rel, err.msg);
    const char *fmt = ak_safetensors_meta(st, "format");
    if (!fmt || strcmp(fmt, "akdbench-fixture/1") != 0)
        ck_abort_msg("fixture %s: format '%s', expected 'akdbench-fixture/1' (re-run `make fixtures`)", rel,
                     fmt ? fmt : "(none)");
}

ak_tensor *ak_fixture_tensor(ak_ctx *ctx, const ak_safetensors *st, const char *name) {
    const ak_st_entry *e = ak_safetensors_find(st, name);
    if (!e)
        ck_abort_msg("fixture %s: no tensor '%s' (re-run `make fixtures`)", st->path, name);
    ck_assert_msg(e->ndim <= AK_MAX_DIMS, "fixture tensor %s has %d dims", name, e->ndim);
    ak_tensor *t = ak_tensor_new(ctx, name, e->ndim, e->shape);
    ck_assert_msg(t != NULL, "fixture %s: %s", name, ctx->err.msg);
    ak_error err;
    ak_error_clear(&err);
    if (ak_safetensors_read_f32(st, name, t->data, t->numel, &err) != AK_OK)
        ck_abort_msg("%s", err.msg);
    return t;
}

ak_tensor *ak_fixture_tensorf(ak_ctx *ctx, const ak_safetensors *st, const char *fmt, ...) {
    char name[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    return ak_fixture_tensor(ctx, st, name);
}

double ak_fixture_scalar(const ak_safetensors *st, const char *name) {
    const ak_st_entry *e = ak_safetensors_find(st, name);
    if (!e || e->numel != 1)
        ck_abort_msg("fixture %s: no scalar '%s'", st->path, name);
    if (e->dtype == AK_ST_F64) {
        double d;
        memcpy(&d, e->data, 8);
        return d;
    }
    float f;
    ak_error err;
    ak_error_clear(&err);
    if (ak_safetensors_read_f32(st, name, &f, 1, &err) != AK_OK)
        ck_abort_msg("%s", err.msg);
    return f;
}

void ak_assert_close(const char *what, const float *got, const float *want, int64_t n, double rtol, double atol) {
    int64_t worst = -1;
    double worst_excess = 0, worst_err = 0;
    for (int64_t i = 0; i < n; i++) {
        double g = got[i], w = want[i];
        double e = fabs(g - w), tol = atol + rtol * fabs(w);
        if (isnan(g) != isnan(w) || (!isnan(g) && !(e <= tol))) {
            double excess = isnan(e) ? INFINITY : e - tol;
            if (worst < 0 || excess > worst_excess) {
                worst = i;
                worst_excess = excess;
                worst_err = e;
            }
        }
    }
    if (worst >= 0)
        ck_abort_msg("%s: mismatch at index %lld of %lld: got %.9g, want %.9g (abs err %.3g, rtol %.1g, atol %.1g)",
                     what, (long long)worst, (long long)n, got[worst], want[worst], worst_err, rtol, atol);
}

void ak_assert_bitwise(const char *what, const float *a, const float *b, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0)
            ck_abort_msg("%s: not bitwise identical at index %lld of %lld: %.9g vs %.9g", what, (long long)i,
                         (long long)n, a[i], b[i]);
}

void ak_test_fill_uniform(float *out, int64_t n, uint64_t seed, float lo, float hi) {
    ak_rng r = {seed, ak_rng_stream(AK_STREAM_TEST, 0, 0, 0)};
    ak_rng_fill_uniform(r, 0, out, n);
    for (int64_t i = 0; i < n; i++)
        out[i] = lo + (hi - lo) * out[i];
}

void ak_test_error_vs_terms(const float *got, const double *exact, const double *mag, int64_t n, double *worst,
                            double *rel_l2) {
    double se = 0, sr = 0;
    *worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = (double)got[i] - exact[i];
        se += e * e;
        sr += exact[i] * exact[i];
        if (mag[i] > 0)
            *worst = fmax(*worst, fabs(e) / mag[i]);
        else if (got[i] != 0.0f)
            *worst = INFINITY;
    }
    *rel_l2 = sqrt(se / (sr > 0 ? sr : 1));
}

/* Run fn on the current host values; returns J in double, and (when w_out) the output weights. */
static double objective(ak_ctx *ctx, ak_gradcheck_fn fn, void *user, ak_gradcheck_input *inputs, int n_in,
                        const char *what) {
    ak_ctx_reset(ctx);
    ak_tensor *ins[16];
    for (int i = 0; i < n_in; i++)
        ins[i] = ak_tensor_from(ctx, inputs[i].ndim, inputs[i].shape, inputs[i].data);
    ak_tensor *out = fn(ctx, ins, user);
    if (!out)
        ck_abort_msg("%s: forward failed: %s", what, ctx->err.msg);
    float *w = malloc((size_t)out->numel * sizeof *w);
    ak_test_fill_uniform(w, out->numel, 4242, -1.0f, 1.0f);
    double j = 0;
    for (int64_t k = 0; k < out->numel; k++)
        j += (double)out->data[k] * (double)w[k];
    free(w);
    return j;
}

void ak_gradcheck(const char *what, ak_gradcheck_fn fn, void *user, ak_gradcheck_input *inputs, int n_in,
                  const ak_gradcheck_opts *opts) {
    ak_gradcheck_opts o = {1e-3, 1e-2, 1e-3, 64};
    if (opts) {
        if (opts->eps > 0) o.eps = opts->eps;
        if (opts->rtol > 0) o.rtol = opts->rtol;
        if (opts->atol > 0) o.atol = opts->atol;
        if (opts->max_elems > 0) o.max_elems = opts->max_elems;
    }
    ck_assert_int_le(n_in, 16);
    ak_ctx ctx;
    ck_assert_int_eq(ak_ctx_init(&ctx, 0, 0), AK_OK);

    /* Analytic gradients. */
    ak_tensor *ins[16];
    for (int i = 0; i < n_in; i++) {
        ins[i] = ak_tensor_from(&ctx, inputs[i].ndim, inputs[i].shape, inputs[i].data);
        ck_assert_msg(ins[i] != NULL, "%s", ctx.err.msg);
        ins[i]->requires_grad = inputs[i].check != 0;
        ins[i]->name = inputs[i].name;
    }
    ak_tensor *out = fn(&ctx, ins, user);
    if (!out)
        ck_abort_msg("%s: forward failed: %s", what, ctx.err.msg);
    float *w = malloc((size_t)out->numel * sizeof *w);
    ak_test_fill_uniform(w, out->numel, 4242, -1.0f, 1.0f);
    if (ak_backward_from(&ctx, out, w) != AK_OK)
        ck_abort_msg("%s: backward failed: %s", what, ctx.err.msg);
    free(w);
    float *analytic[16] = {0};
    for (int i = 0; i < n_in; i++) {
        if (!inputs[i].check)
            continue;
        int64_t n = ins[i]->numel;
        analytic[i] = calloc((size_t)n, sizeof(float));
        if (ins[i]->grad)
            memcpy(analytic[i], ins[i]->grad, (size_t)n * sizeof(float));
    }

    bool rec = ak_ctx_set_record(&ctx, false);
    for (int i = 0; i < n_in; i++) {
        if (!inputs[i].check)
            continue;
        int64_t n = ak_shape_numel(inputs[i].ndim, inputs[i].shape);
        int64_t step = n > o.max_elems ? n / o.max_elems : 1;
        for (int64_t k = 0; k < n; k += step) {
            float x = inputs[i].data[k];
            double h = o.eps * fmax(1.0, fabs(x));
            float xp = (float)(x + h), xm = (float)(x - h);
            inputs[i].data[k] = xp;
            double jp = objective(&ctx, fn, user, inputs, n_in, what);
            inputs[i].data[k] = xm;
            double jm = objective(&ctx, fn, user, inputs, n_in, what);
            inputs[i].data[k] = x;
            double numeric = (jp - jm) / ((double)xp - (double)xm);
            double a = analytic[i][k];
            double tol = o.atol + o.rtol * fmax(fabs(a), fabs(numeric));
            if (!(fabs(a - numeric) <= tol))
                ck_abort_msg("%s: d/d%s[%lld]: analytic %.7g vs finite difference %.7g (tol %.3g)", what,
                             inputs[i].name ? inputs[i].name : "input", (long long)k, a, numeric, tol);
        }
    }
    ak_ctx_set_record(&ctx, rec);
    for (int i = 0; i < n_in; i++)
        free(analytic[i]);
    ak_ctx_free(&ctx);
}

void ak_assert_digest(const char *what, const ak_safetensors *st, const char *name, const ak_tensor *t,
                      const float *values, double rtol) {
    char key[256];
    snprintf(key, sizeof key, "%s.shape", name);
    const ak_st_entry *se = ak_safetensors_find(st, key);
    if (!se)
        ck_abort_msg("%s: fixture %s has no digest '%s' (re-run `make fixtures`)", what, st->path, name);
    int64_t shape[AK_ST_MAX_DIMS];
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_safetensors_read_i64(st, key, shape, se->numel, &err), AK_OK);
    ck_assert_msg(se->numel == t->ndim, "%s: %d dims, reference has %lld", what, t->ndim, (long long)se->numel);
    for (int d = 0; d < t->ndim; d++)
        ck_assert_msg(shape[d] == t->shape[d], "%s: dim %d is %lld, reference %lld", what, d,
                      (long long)t->shape[d], (long long)shape[d]);
    snprintf(key, sizeof key, "%s.sum", name);
    double want_sum = ak_fixture_scalar(st, key);
    snprintf(key, sizeof key, "%s.sumsq", name);
    double want_sq = ak_fixture_scalar(st, key);
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < t->numel; i++) {
        sum += values[i];
        sq += (double)values[i] * values[i];
    }
    double n = (double)t->numel, rms = sqrt(want_sq / (n > 0 ? n : 1));
    ck_assert_msg(fabs(sum - want_sum) <= rtol * sqrt(n * want_sq) + 1e-30,
                  "%s: sum %.9g, reference %.9g (tol %.3g)", what, sum, want_sum, rtol * sqrt(n * want_sq));
    ck_assert_msg(fabs(sq - want_sq) <= rtol * want_sq + 1e-30, "%s: sum of squares %.9g, reference %.9g", what, sq,
                  want_sq);
    snprintf(key, sizeof key, "%s.sample", name);
    const ak_st_entry *sample = ak_safetensors_find(st, key);
    ck_assert_ptr_nonnull(sample);
    int64_t k = sample->numel;
    float *want = malloc((size_t)(k ? k : 1) * sizeof *want);
    ck_assert_int_eq(ak_safetensors_read_f32(st, key, want, k, &err), AK_OK);
    for (int64_t j = 0; j < k; j++) {
        int64_t idx = t->numel <= k ? j : j * (t->numel - 1) / (k - 1);
        double g = values[idx], w = want[j];
        double tol = rtol * fmax(fabs(w), rms) + 1e-30;
        if (!(fabs(g - w) <= tol)) {
            free(want);
            ck_abort_msg("%s: element %lld: got %.9g, reference %.9g (tol %.3g)", what, (long long)idx, g, w, tol);
        }
    }
    free(want);
}
