/* Connectors (baselines/connector.c): the 1x1 conv against a hand-computed product, conv + BN
 * normalising per channel in training mode, the two bilinear resizes against the resize op, the
 * parameter names and PyTorch's default init bound, and gradients by finite differences. */
#include "baselines/connector.h"
#include "core/ops/resize.h"
#include "distill_test.h"

START_TEST(conv1x1_is_a_channel_product) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err = {0};
    ak_connector_t c;
    ck_assert_int_eq(ak_connector_init(&c, AK_CONNECTOR_CONV1X1, &ps, "distill.neck.p3.align", 3, 5, 1, &err), AK_OK);
    ak_tensor *w = ak_params_find(&ps, "distill.neck.p3.align.weight")->t, *b = ak_params_find(&ps, "distill.neck.p3.align.bias")->t;
    float bound = 1.0f / sqrtf(3.0f);
    for (int i = 0; i < 15; i++)
        ck_assert(fabsf(w->data[i]) <= bound);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t shape[4] = {2, 3, 2, 2};
    float x[24];
    ak_test_fill_uniform(x, 24, 3, -1, 1);
    ak_tensor *s = ak_tensor_from(&ctx, 4, shape, x), *t = ak_tensor_zeros(&ctx, "t", 4, shape);
    ak_tensor *t0 = t;
    ck_assert_int_eq(ak_connector_apply(&ctx, &c, &s, &t), AK_OK);
    ck_assert_ptr_eq(t, t0);
    ck_assert_int_eq(s->shape[1], 5);
    for (int n = 0; n < 2; n++)
        for (int o = 0; o < 5; o++)
            for (int p = 0; p < 4; p++) {
                double want = b->data[o];
                for (int i = 0; i < 3; i++)
                    want += (double)w->data[o * 3 + i] * x[(n * 3 + i) * 4 + p];
                ck_assert_double_eq_tol(s->data[(n * 5 + o) * 4 + p], want, 1e-5);
            }
    ak_ctx_free(&ctx);
    ak_params_free(&ps);
}
END_TEST

START_TEST(conv_bn_normalises) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err = {0};
    ak_connector_t c;
    ck_assert_int_eq(ak_connector_init(&c, AK_CONNECTOR_CONV_BN, &ps, "distill.x.align", 4, 6, 1, &err), AK_OK);
    ck_assert_ptr_nonnull(ak_params_find(&ps, "distill.x.align.conv.weight"));
    ck_assert_ptr_null(ak_params_find(&ps, "distill.x.align.conv.bias"));
    ck_assert_ptr_nonnull(ak_params_find(&ps, "distill.x.align.bn.running_var"));
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t shape[4] = {2, 4, 3, 3};
    float x[72];
    ak_test_fill_uniform(x, 72, 4, -1, 3);
    ak_tensor *s = ak_tensor_from(&ctx, 4, shape, x), *t = s;
    ck_assert_int_eq(ak_connector_apply(&ctx, &c, &s, &t), AK_OK);
    for (int o = 0; o < 6; o++) {
        double m = 0, v = 0;
        for (int n = 0; n < 2; n++)
            for (int p = 0; p < 9; p++)
                m += s->data[(n * 6 + o) * 9 + p];
        m /= 18;
        for (int n = 0; n < 2; n++)
            for (int p = 0; p < 9; p++)
                v += (s->data[(n * 6 + o) * 9 + p] - m) * (s->data[(n * 6 + o) * 9 + p] - m);
        ck_assert_double_eq_tol(m, 0.0, 1e-5);
        ck_assert_double_eq_tol(v / 18, 1.0, 1e-3);
    }
    ak_ctx_free(&ctx);
    ak_params_free(&ps);
}
END_TEST

START_TEST(resizes_follow_the_other_side) {
    ak_error err = {0};
    ak_connector_t rs, rt;
    ck_assert_int_eq(ak_connector_init(&rs, AK_CONNECTOR_RESIZE_STUDENT, NULL, "x", 3, 3, 1, &err), AK_OK);
    ck_assert_int_eq(ak_connector_init(&rt, AK_CONNECTOR_RESIZE_TEACHER, NULL, "x", 3, 3, 1, &err), AK_OK);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t a[4] = {1, 3, 4, 5}, b[4] = {1, 3, 7, 9};
    float x[60], y[189];
    ak_test_fill_uniform(x, 60, 5, -1, 1);
    ak_test_fill_uniform(y, 189, 6, -1, 1);
    ak_tensor *S = ak_tensor_from(&ctx, 4, a, x), *T = ak_tensor_from(&ctx, 4, b, y);
    ak_tensor *s = S, *t = T;
    ck_assert_int_eq(ak_connector_apply(&ctx, &rs, &s, &t), AK_OK);
    ak_tensor *want = ak_resize(&ctx, S, 7, 9, AK_RESIZE_BILINEAR, false);
    ak_assert_bitwise("resize student", s->data, want->data, want->numel);
    ck_assert_ptr_eq(t, T);
    s = S;
    t = T;
    ck_assert_int_eq(ak_connector_apply(&ctx, &rt, &s, &t), AK_OK);
    want = ak_resize(&ctx, T, 4, 5, AK_RESIZE_BILINEAR, false);
    ak_assert_bitwise("resize teacher", t->data, want->data, want->numel);
    ck_assert_ptr_eq(s, S);
    ak_ctx_free(&ctx);
}
END_TEST

static ak_tensor *conv_fn(ak_ctx *ctx, ak_tensor **in, void *user) {
    ak_connector_t *c = user;
    ak_connector_t local = *c;
    local.conv.weight = in[1];
    local.conv.bias = in[2];
    ak_tensor *s = in[0], *t = in[0];
    ak_connector_apply(ctx, &local, &s, &t);
    return s;
}

START_TEST(finite_differences) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err = {0};
    ak_connector_t c;
    ck_assert_int_eq(ak_connector_init(&c, AK_CONNECTOR_CONV1X1, &ps, "a", 3, 4, 1, &err), AK_OK);
    float x[2 * 3 * 2 * 3];
    ak_test_fill_uniform(x, 36, 8, -1, 1);
    ak_gradcheck_input in[3] = {{"s", 4, {2, 3, 2, 3}, x, 1}, fd_input_of("weight", c.conv.weight, 1),
                                fd_input_of("bias", c.conv.bias, 1)};
    ak_gradcheck("conv1x1 connector", conv_fn, &c, in, 3, NULL);
    free(in[1].data);
    free(in[2].data);
    ak_params_free(&ps);
}
END_TEST

START_TEST(errors) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err = {0};
    ak_connector_t c;
    ck_assert_int_eq(ak_connector_init(&c, 99, &ps, "a", 3, 4, 1, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "distill.connector"));
    ak_error_clear(&err);
    ck_assert_int_eq(ak_connector_init(&c, AK_CONNECTOR_CONV1X1, &ps, "a", 0, 4, 1, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "distill.connector conv1x1"));
    ak_params_free(&ps);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("connector");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, conv1x1_is_a_channel_product);
    tcase_add_test(tc, conv_bn_normalises);
    tcase_add_test(tc, resizes_follow_the_other_side);
    tcase_add_test(tc, finite_differences);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
