/* Layout ops (core/ops/shape.h): permute, concat, slice, reshape against PyTorch fixtures
 * (tools/fixtures/engine_shape.py); large permutes (tiled path) against a naive reference; copy and
 * detach semantics; finite differences; error messages. */
#include <math.h>

#include "core/ops/elementwise.h"
#include "core/ops/shape.h"
#include "opstest.h"

START_TEST(permute_matches_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/shape.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    char what[64];
    int k = 0;
    for (; fx_has(&fx, "permute.%d.x", k); k++) {
        ak_tensor *x = fxt(&ctx, &fx, "permute.%d.x", k);
        x->requires_grad = true;
        int64_t p64[AK_MAX_DIMS];
        int perm[AK_MAX_DIMS], n = fx_ints(&fx, p64, AK_MAX_DIMS, "permute.%d.perm", k);
        for (int i = 0; i < n; i++)
            perm[i] = (int)p64[i];
        ak_tensor *y = ak_permute(&ctx, x, perm);
        ck_assert_msg(y != NULL, "%s", ctx.err.msg);
        ak_tensor *want = fxt(&ctx, &fx, "permute.%d.y", k);
        ck_assert(ak_same_shape(y, want));
        snprintf(what, sizeof what, "permute case %d y", k);
        ak_assert_bitwise(what, y->data, want->data, y->numel);
        ck_assert_int_eq(ak_backward_from(&ctx, y, fxt(&ctx, &fx, "permute.%d.dy", k)->data), AK_OK);
        snprintf(what, sizeof what, "permute case %d dx", k);
        assert_grad(what, x, fxt(&ctx, &fx, "permute.%d.dx", k), 0, 0);
        ak_ctx_reset(&ctx);
    }
    ck_assert_int_ge(k, 7);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(concat_matches_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/shape.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    char what[64];
    int k = 0;
    for (; fx_has(&fx, "concat.%d.n", k); k++) {
        int n = (int)fx_num(&fx, "concat.%d.n", k);
        ak_tensor *xs[8];
        for (int i = 0; i < n; i++) {
            xs[i] = fxt(&ctx, &fx, "concat.%d.x%d", k, i);
            xs[i]->requires_grad = i != 1; /* input 1 gets no gradient: it must be left alone */
        }
        ak_tensor *y = ak_concat(&ctx, xs, n, (int)fx_num(&fx, "concat.%d.axis", k));
        ck_assert_msg(y != NULL, "%s", ctx.err.msg);
        ak_tensor *want = fxt(&ctx, &fx, "concat.%d.y", k);
        ck_assert(ak_same_shape(y, want));
        snprintf(what, sizeof what, "concat case %d y", k);
        ak_assert_bitwise(what, y->data, want->data, y->numel);
        ck_assert_int_eq(ak_backward_from(&ctx, y, fxt(&ctx, &fx, "concat.%d.dy", k)->data), AK_OK);
        for (int i = 0; i < n; i++) {
            if (i == 1) {
                ck_assert_ptr_null(xs[i]->grad);
                continue;
            }
            snprintf(what, sizeof what, "concat case %d dx%d", k, i);
            assert_grad(what, xs[i], fxt(&ctx, &fx, "concat.%d.dx%d", k, i), 0, 0);
        }
        ak_ctx_reset(&ctx);
    }
    ck_assert_int_ge(k, 4);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(slice_and_reshape_match_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/shape.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    char what[64];
    int k = 0;
    for (; fx_has(&fx, "slice.%d.x", k); k++) {
        ak_tensor *x = fxt(&ctx, &fx, "slice.%d.x", k);
        x->requires_grad = true;
        int64_t stop = (int64_t)fx_num(&fx, "slice.%d.stop", k);
        ak_tensor *y = ak_slice(&ctx, x, (int)fx_num(&fx, "slice.%d.axis", k), (int64_t)fx_num(&fx, "slice.%d.start", k),
                                stop == -9999 ? AK_END : stop, (int64_t)fx_num(&fx, "slice.%d.step", k));
        ck_assert_msg(y != NULL, "%s", ctx.err.msg);
        ak_tensor *want = fxt(&ctx, &fx, "slice.%d.y", k);
        ck_assert(ak_same_shape(y, want));
        snprintf(what, sizeof what, "slice case %d y", k);
        ak_assert_bitwise(what, y->data, want->data, y->numel);
        ck_assert_int_eq(ak_backward_from(&ctx, y, fxt(&ctx, &fx, "slice.%d.dy", k)->data), AK_OK);
        snprintf(what, sizeof what, "slice case %d dx", k);
        assert_grad(what, x, fxt(&ctx, &fx, "slice.%d.dx", k), 0, 0);
        ak_ctx_reset(&ctx);
    }
    ck_assert_int_ge(k, 5);
    for (k = 0; fx_has(&fx, "reshape.%d.x", k); k++) {
        ak_tensor *x = fxt(&ctx, &fx, "reshape.%d.x", k);
        x->requires_grad = true;
        int64_t shape[AK_MAX_DIMS];
        int n = fx_ints(&fx, shape, AK_MAX_DIMS, "reshape.%d.shape", k);
        ak_tensor *y = ak_reshape(&ctx, x, n, shape);
        ck_assert_msg(y != NULL, "%s", ctx.err.msg);
        ak_tensor *want = fxt(&ctx, &fx, "reshape.%d.y", k);
        ck_assert(ak_same_shape(y, want));
        ck_assert_ptr_eq(y->data, x->data); /* a view: no copy */
        /* used twice: the shared data must not make the gradients interfere */
        ak_tensor *z = ak_add(&ctx, ak_mul_scalar(&ctx, y, 2.0f), y);
        ck_assert_int_eq(ak_backward_from(&ctx, z, fxt(&ctx, &fx, "reshape.%d.dy", k)->data), AK_OK);
        ak_tensor *dx = fxt(&ctx, &fx, "reshape.%d.dx", k);
        for (int64_t i = 0; i < dx->numel; i++)
            dx->data[i] *= 3.0f;
        snprintf(what, sizeof what, "reshape case %d dx", k);
        assert_grad(what, x, dx, 1e-7, 0);
        ak_ctx_reset(&ctx);
    }
    ck_assert_int_ge(k, 3);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

/* Large permutes (the tiled transpose path and the row path) against index arithmetic. */
START_TEST(large_permutes_match_reference) {
    static const struct {
        int ndim;
        int64_t shape[5];
        int perm[5];
    } cases[] = {
        {4, {2, 64, 37, 45}, {0, 2, 3, 1}}, {4, {2, 37, 45, 64}, {0, 3, 1, 2}}, {3, {70, 3, 90}, {2, 1, 0}},
        {5, {2, 3, 4, 5, 6}, {4, 2, 0, 3, 1}}, {2, {1000, 130}, {1, 0}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ak_ctx ctx;
        ak_ctx_init(&ctx, 0, 0);
        const int nd = cases[c].ndim;
        const int64_t n = ak_shape_numel(nd, cases[c].shape);
        ak_tensor *x = ak_tensor_new(&ctx, "x", nd, cases[c].shape);
        for (int64_t i = 0; i < n; i++)
            x->data[i] = (float)i;
        ak_tensor *y = ak_permute(&ctx, x, cases[c].perm);
        ck_assert_ptr_nonnull(y);
        int64_t istr[5], c1 = 1;
        for (int d = nd - 1; d >= 0; d--) {
            istr[d] = c1;
            c1 *= cases[c].shape[d];
        }
        for (int64_t o = 0; o < n; o++) {
            int64_t rem = o, src = 0;
            for (int d = nd - 1; d >= 0; d--) {
                src += (rem % y->shape[d]) * istr[cases[c].perm[d]];
                rem /= y->shape[d];
            }
            if (y->data[o] != (float)src)
                ck_abort_msg("permute case %zu: out[%lld] = %g, want %lld", c, (long long)o, y->data[o], (long long)src);
        }
        ak_ctx_free(&ctx);
    }
}
END_TEST

static ak_tensor *layout_chain(ak_ctx *ctx, ak_tensor **in, void *user) {
    (void)user;
    /* concat(a, b) along 1 -> slice -> permute -> reshape -> copy, times itself */
    ak_tensor *xs[2] = {in[0], in[1]};
    ak_tensor *c = ak_concat(ctx, xs, 2, 1);                  /* (2,5,3) */
    ak_tensor *s = ak_slice(ctx, c, 1, 1, AK_END, 2);         /* (2,2,3) */
    const int perm[3] = {2, 0, 1};
    ak_tensor *p = ak_permute(ctx, s, perm);                  /* (3,2,2) */
    const int64_t shape[2] = {3, -1};
    ak_tensor *r = ak_copy(ctx, ak_reshape(ctx, p, 2, shape)); /* (3,4) */
    return ak_mul(ctx, r, r);
}

START_TEST(finite_differences) {
    float a[12], b[18];
    ak_test_fill_uniform(a, 12, 81, -1, 1);
    ak_test_fill_uniform(b, 18, 82, -1, 1);
    ak_gradcheck_input in[2] = {{"a", 3, {2, 2, 3}, a, 1}, {"b", 3, {2, 3, 3}, b, 1}};
    ak_gradcheck("concat/slice/permute/reshape/copy", layout_chain, NULL, in, 2, NULL);
}
END_TEST

START_TEST(detach_shares_data_without_graph) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    float v[4] = {1, 2, 3, 4};
    int64_t s[2] = {2, 2};
    ak_tensor *x = ak_tensor_from(&ctx, 2, s, v);
    x->requires_grad = true;
    int64_t before = ctx.tape.n;
    ak_tensor *d = ak_detach(&ctx, x);
    ck_assert_ptr_eq(d->data, x->data);
    ck_assert(!d->requires_grad);
    ck_assert_int_eq(ctx.tape.n, before);
    /* x*detach(x): only the direct path carries gradient, so dx = detach(x) = x */
    float ones[4] = {1, 1, 1, 1};
    ck_assert_int_eq(ak_backward_from(&ctx, ak_mul(&ctx, x, d), ones), AK_OK);
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq(x->grad[i], v[i]);
    ak_tensor *c = ak_copy(&ctx, x);
    ck_assert(c->data != x->data && c->data[3] == 4.0f);
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(errors_name_op_and_shapes) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t s[3] = {2, 3, 4}, s2[3] = {2, 5, 3};
    ak_tensor *x = ak_tensor_zeros(&ctx, "x", 3, s), *z = ak_tensor_zeros(&ctx, "z", 3, s2);
    const int64_t bad[2] = {5, 5}, two[2] = {-1, -1}, inf[2] = {5, -1};
    ck_assert_ptr_null(ak_reshape(&ctx, x, 2, bad));
    assert_error(&ctx, AK_ESHAPE, "reshape", "(2,3,4)", "24", "25", NULL);
    ck_assert_ptr_null(ak_reshape(&ctx, x, 2, two));
    assert_error(&ctx, AK_ESHAPE, "reshape", NULL);
    ck_assert_ptr_null(ak_reshape(&ctx, x, 2, inf));
    assert_error(&ctx, AK_ESHAPE, "reshape: cannot infer dimension 1", "(2,3,4)", NULL);
    const int p1[3] = {0, 0, 1};
    ck_assert_ptr_null(ak_permute(&ctx, x, p1));
    assert_error(&ctx, AK_EINVAL, "permute", "(2,3,4)", NULL);
    ak_tensor *xs[3] = {x, x, z};
    ck_assert_ptr_null(ak_concat(&ctx, xs, 3, 1));
    assert_error(&ctx, AK_ESHAPE, "concat: input 2 has shape (2,5,3)", "(2,3,4)", NULL);
    ck_assert_ptr_null(ak_concat(&ctx, xs, 2, 3));
    assert_error(&ctx, AK_EINVAL, "concat: axis 3 out of range", NULL);
    ck_assert_ptr_null(ak_concat(&ctx, xs, 0, 0));
    assert_error(&ctx, AK_ESHAPE, "concat", "0 inputs", NULL);
    ck_assert_ptr_null(ak_slice(&ctx, x, 1, 1, 5, 1));
    assert_error(&ctx, AK_EINVAL, "slice", "[1:5:1]", "axis 1 (size 3)", "(2,3,4)", NULL);
    ck_assert_ptr_null(ak_slice(&ctx, x, 2, 0, 4, 0));
    assert_error(&ctx, AK_EINVAL, "slice", NULL);
    ck_assert_ptr_null(ak_slice(&ctx, x, -4, 0, 1, 1));
    assert_error(&ctx, AK_EINVAL, "slice: axis -4 out of range for shape (2,3,4)", NULL);
    ak_tensor *e = ak_slice(&ctx, x, 2, 2, 2, 1); /* empty is fine */
    ck_assert(e && e->shape[2] == 0 && e->numel == 0);
    ak_ctx_free(&ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("shape");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, permute_matches_torch);
    tcase_add_test(tc, concat_matches_torch);
    tcase_add_test(tc, slice_and_reshape_match_torch);
    tcase_add_test(tc, large_permutes_match_reference);
    tcase_add_test(tc, finite_differences);
    tcase_add_test(tc, detach_shares_data_without_graph);
    tcase_add_test(tc, errors_name_op_and_shapes);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
