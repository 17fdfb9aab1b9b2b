/* Shared helpers for the libcheck suites: a main(), reference fixtures, closeness checks that print
 * the worst element, and a finite-difference gradient checker.
 *
 * Fixtures are safetensors files under tests/fixtures/ written by tools/make_fixtures.py (PyTorch);
 * tests never run Python. Each fixture carries metadata "format" = "akdbench-fixture/1".
 */
#ifndef AK_TEST_H
#define AK_TEST_H

#include <check.h>
#include <stdint.h>

#include "core/ctx.h"
#include "store/safetensors.h"

/* Defines main(): bootstraps the runtime, runs the suite from make_suite(), returns failures. */
#define AK_TEST_MAIN(make_suite)                                   \
    int main(int argc, char **argv) { return ak_test_run(argc, argv, make_suite()); }
int ak_test_run(int argc, char **argv, Suite *suite);

/* Path of a file under the source tree: ak_source_path("tests/fixtures/x.safetensors"). Returns a
 * static-per-call buffer owned by the caller (malloc'd; free it). */
char *ak_source_path(const char *rel);

/* Open tests/fixtures/<rel>; fails the test with a "re-run make fixtures" hint when missing or of
 * the wrong format version. */
void ak_fixture_open(ak_safetensors *st, const char *rel);
/* Arena tensor (shape from the file) holding fixture tensor `name` as float32. Fails the test if absent. */
ak_tensor *ak_fixture_tensor(ak_ctx *ctx, const ak_safetensors *st, const char *name);
/* The same with a printf-formatted name ("case%d.grad"). */
ak_tensor *ak_fixture_tensorf(ak_ctx *ctx, const ak_safetensors *st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Scalar fixture value. */
double ak_fixture_scalar(const ak_safetensors *st, const char *name);

/* Fail unless |got - want| <= atol + rtol * |want| everywhere; the message names `what`, the worst
 * element's index, both values and the error. */
void ak_assert_close(const char *what, const float *got, const float *want, int64_t n, double rtol, double atol);
/* Fail unless the two buffers are bitwise identical (first differing index in the message). */
void ak_assert_bitwise(const char *what, const float *a, const float *b, int64_t n);

/* Finite-difference gradient check.
 * fn builds the output from the inputs inside ctx (it may use parameters owned by `user`).
 * The objective is J = sum_j out[j] * w[j] with fixed pseudo-random w in [-1, 1], accumulated in
 * double. The analytic gradient (ak_backward_from) of every input with check[i] set is compared to
 * the central difference (J(x+h) - J(x-h)) / (2h), h = eps * max(1, |x|), on up to max_elems
 * evenly spaced elements of each input. Fails the test with the worst element on mismatch. */
typedef ak_tensor *(*ak_gradcheck_fn)(ak_ctx *ctx, ak_tensor **inputs, void *user);
typedef struct ak_gradcheck_input {
    const char *name;
    int ndim;
    int64_t shape[AK_MAX_DIMS];
    float *data;  /* host values, owned by the caller; perturbed and restored in place */
    int check;    /* compare this input's gradient */
} ak_gradcheck_input;
typedef struct ak_gradcheck_opts {
    double eps;    /* default 1e-3 */
    double rtol;   /* default 1e-2 */
    double atol;   /* default 1e-3 */
    int max_elems; /* default 64 */
} ak_gradcheck_opts;
void ak_gradcheck(const char *what, ak_gradcheck_fn fn, void *user, ak_gradcheck_input *inputs, int n_in,
                  const ak_gradcheck_opts *opts);

/* Compare t against the digest that tools/fixtures/common.py digest() stored under `name`: exact
 * shape; sum within rtol * sqrt(numel * sumsq); sumsq within rtol relative; sampled elements within
 * rtol * max(|want|, rms) (rms of the reference, so tiny elements of a large tensor are judged on
 * the tensor's scale). Used for large model outputs and gradients that are too big to commit. */
void ak_assert_digest(const char *what, const ak_safetensors *st, const char *name, const ak_tensor *t,
                      const float *values, double rtol);

/* Deterministic test data: values in [lo, hi) from the counter-based RNG (stream AK_STREAM_TEST). */
void ak_test_fill_uniform(float *out, int64_t n, uint64_t seed, float lo, float hi);

/* Error of got[0, n) against exact values computed in double: *worst = max |got - exact| / mag over
 * the elements (mag: the sum of |terms| of each; a nonzero result where mag is 0 gives infinity),
 * *rel_l2 = ||got - exact|| / ||exact||. For float32 accuracy bounds of summations. */
void ak_test_error_vs_terms(const float *got, const double *exact, const double *mag, int64_t n, double *worst,
                            double *rel_l2);

#endif
