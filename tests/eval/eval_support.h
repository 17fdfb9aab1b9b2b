/* Helpers shared by the eval tests (header-only: the test glob builds only test_*.c files). */
#ifndef AK_EVAL_TEST_SUPPORT_H
#define AK_EVAL_TEST_SUPPORT_H

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "akscratch.h"
#include "aktest.h"

/* tests/fixtures/eval/<rel> as a malloc'd absolute path. */
static inline char *eval_fixture(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *eval_fixture(const char *fmt, ...) {
    char rel[512], full[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "tests/fixtures/eval/%s", rel);
    return ak_source_path(full);
}

static inline json_t *eval_load_json(const char *path) {
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    ck_assert_msg(j != NULL, "%s:%d:%d: %s", path, e.line, e.column, e.text);
    return j;
}

/* A number or null (-> NaN) from a JSON value. */
static inline double eval_num(const json_t *v) { return json_is_null(v) ? NAN : json_number_value(v); }

/* |got - want| <= tol, with NaN == NaN. */
static inline void eval_assert_close(const char *what, double got, double want, double tol) {
    int ok = (isnan(got) && isnan(want)) || fabs(got - want) <= tol;
    ck_assert_msg(ok, "%s: got %.17g want %.17g (diff %.3g)", what, got, want, fabs(got - want));
}

/* A fresh temporary directory (malloc'd path; remove with ak_scratch_remove). */
static inline char *eval_tmpdir(void) {
    char t[64];
    ak_scratch_tmp(t, sizeof t, "eval_test");
    return strdup(t);
}

static inline char *eval_write_file(const char *dir, const char *name, const char *text) {
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);
    snprintf(p, len, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", p);
    fputs(text, f);
    fclose(f);
    return p;
}

/* full ends with "/" + rel. */
static inline int ends_with_path(const char *full, const char *rel) {
    size_t lf = strlen(full), lr = strlen(rel);
    return lf > lr && full[lf - lr - 1] == '/' && strcmp(full + lf - lr, rel) == 0;
}

#endif
