/* Small helpers shared by the op test suites in this folder (fixture lookup by formatted name,
 * gradient comparison, thread-count switching). Header-only: static inline, included by test_*.c. */
#ifndef AK_TESTS_ENGINE_OPSTEST_H
#define AK_TESTS_ENGINE_OPSTEST_H

#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aktest.h"

/* Fixture tensor by formatted name (tests/support/aktest.h). */
#define fxt ak_fixture_tensorf

static inline int fx_has(const ak_safetensors *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int fx_has(const ak_safetensors *st, const char *fmt, ...) {
    char name[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    return ak_safetensors_find(st, name) != NULL;
}

static inline double fx_num(const ak_safetensors *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline double fx_num(const ak_safetensors *st, const char *fmt, ...) {
    char name[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    const ak_st_entry *e = ak_safetensors_find(st, name);
    if (!e)
        ck_abort_msg("fixture %s: no scalar '%s' (re-run `make fixtures`)", st->path, name);
    if (e->dtype == AK_ST_I64) {
        int64_t v;
        memcpy(&v, e->data, sizeof v);
        return (double)v;
    }
    return ak_fixture_scalar(st, name);
}

/* Integer vector fixture (axes, permutations, shapes) into out[0..max); returns its length. */
static inline int fx_ints(const ak_safetensors *st, int64_t *out, int max, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline int fx_ints(const ak_safetensors *st, int64_t *out, int max, const char *fmt, ...) {
    char name[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    const ak_st_entry *e = ak_safetensors_find(st, name);
    if (!e || e->numel > max)
        ck_abort_msg("fixture %s: no int vector '%s' of <= %d entries", st->path, name, max);
    ak_error err;
    ak_error_clear(&err);
    if (ak_safetensors_read_i64(st, name, out, e->numel, &err) != AK_OK)
        ck_abort_msg("%s", err.msg);
    return (int)e->numel;
}

/* Compare t's gradient (NULL grad = all zeros) with want. */
static inline void assert_grad(const char *what, const ak_tensor *t, const ak_tensor *want, double rtol, double atol) {
    ck_assert_msg(t->numel == want->numel, "%s: %lld elements, fixture has %lld", what, (long long)t->numel,
                  (long long)want->numel);
    if (t->grad) {
        ak_assert_close(what, t->grad, want->data, t->numel, rtol, atol);
    } else {
        float *z = calloc((size_t)(t->numel ? t->numel : 1), sizeof *z);
        ak_assert_close(what, z, want->data, t->numel, rtol, atol);
        free(z);
    }
}

/* Fail unless the context holds error `code` and its message contains every NULL-terminated needle. */
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

/* A host copy of n floats (caller frees). */
static inline float *dup_floats(const float *p, int64_t n) {
    float *q = malloc((size_t)(n ? n : 1) * sizeof *q);
    memcpy(q, p, (size_t)n * sizeof *q);
    return q;
}

#endif
