/* Reductions (core/ops/reduce.h): sum / mean over axis sets and over everything, max along an axis,
 * against PyTorch fixtures (tools/fixtures/engine_reduce.py), a double-precision reference on shapes
 * that exercise every block path of the kernel, finite differences, bitwise equality for 1 and 2
 * threads, and the error messages. */
#include <math.h>

#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "opstest.h"

START_TEST(sum_mean_max_match_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/reduce.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const char *ops[2] = {"sum", "mean"};
    char what[64];
    for (int o = 0; o < 2; o++) {
        int k = 0;
        for (; fx_has(&fx, "%s.%d.x", ops[o], k); k++) {
            ak_tensor *x = fxt(&ctx, &fx, "%s.%d.x", ops[o], k);
            x->requires_grad = true;
            int64_t ax64[AK_MAX_DIMS];
            int axes[AK_MAX_DIMS], n = fx_ints(&fx, ax64, AK_MAX_DIMS, "%s.%d.axes", ops[o], k);
            for (int i = 0; i < n; i++)
                axes[i] = (int)ax64[i];
            bool keep = fx_num(&fx, "%s.%d.keepdim", ops[o], k) != 0;
            ak_tensor *y = o ? ak_mean(&ctx, x, axes, n, keep) : ak_sum(&ctx, x, axes, n, keep);
            ck_assert_msg(y != NULL, "%s", ctx.err.msg);
            ak_tensor *want = fxt(&ctx, &fx, "%s.%d.y", ops[o], k);
            ck_assert_msg(ak_same_shape(y, want), "%s case %d: output shape", ops[o], k);
            snprintf(what, sizeof what, "%s case %d y", ops[o], k);
            ak_assert_close(what, y->data, want->data, y->numel, 1e-6, 1e-6);
            ck_assert_int_eq(ak_backward_from(&ctx, y, fxt(&ctx, &fx, "%s.%d.dy", ops[o], k)->data), AK_OK);
            snprintf(what, sizeof what, "%s case %d dx", ops[o], k);
            assert_grad(what, x, fxt(&ctx, &fx, "%s.%d.dx", ops[o], k), 1e-6, 1e-7);
            ak_ctx_reset(&ctx);
        }
        ck_assert_int_ge(k, 8);
        ak_tensor *x = fxt(&ctx, &fx, "%s_all.x", ops[o]);
        x->requires_grad = true;
        ak_tensor *y = o ? ak_mean_all(&ctx, x) : ak_sum_all(&ctx, x);
        ck_assert_msg(y && y->ndim == 0 && y->numel == 1, "%s_all: not a 0-dim scalar", ops[o]);
        snprintf(what, sizeof what, "%s_all y", ops[o]);
        ak_assert_close(what, y->data, fxt(&ctx, &fx, "%s_all.y", ops[o])->data, 1, 1e-6, 1e-6);
        ck_assert_int_eq(ak_backward_from(&ctx, y, fxt(&ctx, &fx, "%s_all.dy", ops[o])->data), AK_OK);
        snprintf(what, sizeof what, "%s_all dx", ops[o]);
        assert_grad(what, x, fxt(&ctx, &fx, "%s_all.dx", ops[o]), 1e-6, 1e-7);
        ak_ctx_reset(&ctx);
    }
    for (int k = 0; fx_has(&fx, "max.%d.x", k); k++) {
        ak_tensor *x = fxt(&ctx, &fx, "max.%d.x", k);
        x->requires_grad = true;
        ak_tensor *y = ak_max(&ctx, x, (int)fx_num(&fx, "max.%d.axis", k), fx_num(&fx, "max.%d.keepdim", k) != 0);
        ck_assert_msg(y != NULL, "%s", ctx.err.msg);
        ak_tensor *want = fxt(&ctx, &fx, "max.%d.y", k);
        ck_assert(ak_same_shape(y, want));
        snprintf(what, sizeof what, "max case %d y", k);
        ak_assert_bitwise(what, y->data, want->data, y->numel);
        ck_assert_int_eq(ak_backward_from(&ctx, y, fxt(&ctx, &fx, "max.%d.dy", k)->data), AK_OK);
        snprintf(what, sizeof what, "max case %d dx", k);
        assert_grad(what, x, fxt(&ctx, &fx, "max.%d.dx", k), 0, 0);
        ak_ctx_reset(&ctx);
    }
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

/* Shapes that drive every path of core/cpu/reduce.c: long summed rows cut into blocks, summed rows
 * split into row blocks, kept columns cut into chunks, stage A followed by stage B, odometers over
 * several summed dims. */
static const struct {
    int ndim;
    int64_t shape[4];
    int n_axes;
    int axes[4];
} BIG[] = {
    {2, {3, 20000}, 1, {1}},          {2, {20000, 3}, 1, {0}},       {3, {7, 3, 9000}, 2, {0, 2}},
    {3, {5, 2000, 3}, 1, {1}},        {4, {2, 3, 4, 1500}, 2, {0, 2}}, {2, {1, 300000}, 2, {0, 1}},
    {3, {4, 2500, 3}, 2, {0, 1}},     {3, {3, 700, 1100}, 1, {1}},   {4, {2, 1, 64, 4096}, 2, {0, 3}},
};

/* Naive double reference: out[kept index] = sum over the summed dims. */
static double *ref_sum(const float *x, int ndim, const int64_t *shape, const int *red, int64_t *nout) {
    int64_t n = 1, no = 1;
    for (int d = 0; d < ndim; d++) {
        n *= shape[d];
        if (!red[d])
            no *= shape[d];
    }
    double *out = calloc((size_t)no, sizeof *out);
    for (int64_t i = 0; i < n; i++) {
        int64_t rem = i, o = 0, mul = 1;
        for (int d = ndim - 1; d >= 0; d--) {
            int64_t id = rem % shape[d];
            rem /= shape[d];
            if (!red[d]) {
                o += id * mul;
                mul *= shape[d];
            }
        }
        out[o] += x[i];
    }
    *nout = no;
    return out;
}

START_TEST(block_paths_match_double_reference_and_threads) {
    for (size_t c = 0; c < sizeof BIG / sizeof BIG[0]; c++) {
        int64_t n = ak_shape_numel(BIG[c].ndim, BIG[c].shape);
        float *x = malloc((size_t)n * sizeof *x);
        ak_test_fill_uniform(x, n, 100 + c, -1, 1);
        for (int64_t i = 0; i < n; i += 7)
            x[i] += 3.0f; /* a non-zero mean, so that float accumulation would be visibly worse */
        int red[AK_MAX_DIMS] = {0};
        for (int i = 0; i < BIG[c].n_axes; i++)
            red[BIG[c].axes[i]] = 1;
        int64_t nout;
        double *want = ref_sum(x, BIG[c].ndim, BIG[c].shape, red, &nout);
        float *got[2][2];
        for (int t = 0; t < 2; t++) {
            omp_set_num_threads(t + 1);
            ak_ctx ctx;
            ak_ctx_init(&ctx, 0, 0);
            ak_tensor *X = ak_tensor_from(&ctx, BIG[c].ndim, BIG[c].shape, x);
            ak_tensor *s = ak_sum(&ctx, X, BIG[c].axes, BIG[c].n_axes, false);
            ak_tensor *m = ak_mean(&ctx, X, BIG[c].axes, BIG[c].n_axes, true);
            ck_assert_msg(s && m, "%s", ctx.err.msg);
            ck_assert_int_eq(s->numel, nout);
            got[t][0] = dup_floats(s->data, nout);
            got[t][1] = dup_floats(m->data, nout);
            ak_ctx_free(&ctx);
        }
        omp_set_num_threads(2);
        char what[64];
        snprintf(what, sizeof what, "big case %zu: sum 1 vs 2 threads", c);
        ak_assert_bitwise(what, got[0][0], got[1][0], nout);
        snprintf(what, sizeof what, "big case %zu: mean 1 vs 2 threads", c);
        ak_assert_bitwise(what, got[0][1], got[1][1], nout);
        int64_t count = n / nout;
        for (int64_t i = 0; i < nout; i++) {
            /* double accumulation: only the final rounding to float remains */
            double tol = 1.2e-7 * fabs(want[i]) + 1e-30;
            ck_assert_msg(fabs(got[0][0][i] - want[i]) <= tol, "big case %zu sum[%lld]: %.9g vs %.12g", c, (long long)i,
                          got[0][0][i], want[i]);
            double wm = want[i] / (double)count;
            ck_assert_msg(fabs(got[0][1][i] - wm) <= 1.2e-7 * fabs(wm) + 1e-30, "big case %zu mean[%lld]: %.9g vs %.12g",
                          c, (long long)i, got[0][1][i], wm);
        }
        for (int t = 0; t < 2; t++) {
            free(got[t][0]);
            free(got[t][1]);
        }
        free(want);
        free(x);
    }
}
END_TEST

static ak_tensor *sum_mean_max(ak_ctx *ctx, ak_tensor **in, void *user) {
    (void)user;
    const int a13[2] = {1, 3}, a0[1] = {0};
    ak_tensor *s = ak_sum(ctx, in[0], a13, 2, true);          /* (2,1,4,1) */
    ak_tensor *m = ak_mean(ctx, in[0], a0, 1, false);         /* (3,4,5) */
    ak_tensor *mx = ak_max(ctx, in[0], -2, true);             /* (2,3,1,5) */
    ak_tensor *t = ak_add(ctx, ak_mul(ctx, s, m), ak_sum(ctx, mx, a0, 1, true)); /* (2,3,4,5) */
    return ak_add(ctx, t, ak_mean_all(ctx, ak_mul(ctx, in[0], in[0])));
}

START_TEST(finite_differences) {
    float x[120];
    ak_test_fill_uniform(x, 120, 41, -2, 2);
    ak_gradcheck_input in = {"x", 4, {2, 3, 4, 5}, x, 1};
    ak_gradcheck("sum/mean/max chain", sum_mean_max, NULL, &in, 1, NULL);
}
END_TEST

START_TEST(sum_all_thread_independent) {
    const int64_t n = 1 << 20;
    float *x = malloc(n * sizeof *x);
    ak_test_fill_uniform(x, n, 51, -1, 3);
    float r[2];
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        ak_ctx ctx;
        ak_ctx_init(&ctx, 0, 0);
        ak_tensor *X = ak_tensor_from(&ctx, 1, &n, x);
        r[t] = ak_sum_all(&ctx, X)->data[0];
        ak_ctx_free(&ctx);
    }
    omp_set_num_threads(2);
    ak_assert_bitwise("sum_all 1 vs 2 threads", &r[0], &r[1], 1);
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += x[i];
    ck_assert_msg(fabs(r[0] - s) <= 1.2e-7 * fabs(s), "sum_all %.9g vs %.12g", r[0], s);
    free(x);
}
END_TEST

START_TEST(errors_name_op_axis_and_shape) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t s[2] = {2, 3};
    ak_tensor *x = ak_tensor_zeros(&ctx, "x", 2, s);
    int ax[2] = {4, 0};
    ck_assert_ptr_null(ak_sum(&ctx, x, ax, 1, false));
    assert_error(&ctx, AK_EINVAL, "sum: axis 4 out of range for shape (2,3)", NULL);
    int dup[2] = {1, -1};
    ck_assert_ptr_null(ak_mean(&ctx, x, dup, 2, false));
    assert_error(&ctx, AK_EINVAL, "mean", "given twice", "(2,3)", NULL);
    ck_assert_ptr_null(ak_sum(&ctx, x, ax, 0, false));
    assert_error(&ctx, AK_EINVAL, "sum", "0 axes", NULL);
    ck_assert_ptr_null(ak_max(&ctx, x, -3, false));
    assert_error(&ctx, AK_EINVAL, "max: axis -3 out of range for shape (2,3)", NULL);
    int64_t e[2] = {2, 0};
    ck_assert_ptr_null(ak_max(&ctx, ak_tensor_zeros(&ctx, "e", 2, e), 1, false));
    assert_error(&ctx, AK_ESHAPE, "max", "empty", "(2,0)", NULL);
    ak_ctx_free(&ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("reduce");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, sum_mean_max_match_torch);
    tcase_add_test(tc, block_paths_match_double_reference_and_threads);
    tcase_add_test(tc, finite_differences);
    tcase_add_test(tc, sum_all_thread_independent);
    tcase_add_test(tc, errors_name_op_axis_and_shape);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
