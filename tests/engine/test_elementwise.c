/* Element-wise ops (core/ops/elementwise.h): broadcasting add / sub / mul / div and the unary maps,
 * against PyTorch fixtures (tools/fixtures/engine_elementwise.py) and finite differences; the
 * vectorised exp against double exp; shape errors; thread-count independence of broadcast gradients. */
#include <math.h>

#include "core/cpu/vmath.h"
#include "core/ops/elementwise.h"
#include "opstest.h"

typedef ak_tensor *(*binary_fn)(ak_ctx *, ak_tensor *, ak_tensor *);
static const struct {
    const char *name;
    binary_fn fn;
} BINARY[] = {{"add", ak_add}, {"sub", ak_sub}, {"mul", ak_mul}, {"div", ak_div}};

START_TEST(binary_ops_match_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/elementwise.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int cases = 0;
    for (int o = 0; o < 4; o++) {
        for (int k = 0; fx_has(&fx, "%s.%d.a", BINARY[o].name, k); k++, cases++) {
            ak_tensor *a = fxt(&ctx, &fx, "%s.%d.a", BINARY[o].name, k);
            ak_tensor *b = fxt(&ctx, &fx, "%s.%d.b", BINARY[o].name, k);
            a->requires_grad = b->requires_grad = true;
            ak_tensor *y = BINARY[o].fn(&ctx, a, b);
            ck_assert_msg(y != NULL, "%s", ctx.err.msg);
            ak_tensor *want = fxt(&ctx, &fx, "%s.%d.y", BINARY[o].name, k);
            ck_assert(ak_same_shape(y, want));
            char what[64];
            snprintf(what, sizeof what, "%s case %d y", BINARY[o].name, k);
            ak_assert_close(what, y->data, want->data, y->numel, 1e-6, 1e-7);
            ck_assert_int_eq(ak_backward_from(&ctx, y, fxt(&ctx, &fx, "%s.%d.dy", BINARY[o].name, k)->data), AK_OK);
            snprintf(what, sizeof what, "%s case %d da", BINARY[o].name, k);
            assert_grad(what, a, fxt(&ctx, &fx, "%s.%d.da", BINARY[o].name, k), 1e-5, 1e-6);
            snprintf(what, sizeof what, "%s case %d db", BINARY[o].name, k);
            assert_grad(what, b, fxt(&ctx, &fx, "%s.%d.db", BINARY[o].name, k), 1e-5, 1e-6);
            ak_ctx_reset(&ctx);
        }
    }
    ck_assert_int_ge(cases, 28);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

typedef enum { U_EXP, U_LOG, U_ABS, U_SQRT, U_POW, U_CLAMP, U_NEG, U_ADDS, U_MULS } ukind;
static const struct {
    const char *name;
    ukind kind;
    float p0, p1;
} UNARY[] = {
    {"exp", U_EXP, 0, 0},          {"log", U_LOG, 0, 0},          {"abs", U_ABS, 0, 0},
    {"sqrt", U_SQRT, 0, 0},        {"pow_2", U_POW, 2, 0},        {"pow_3", U_POW, 3, 0},
    {"pow_0.5", U_POW, 0.5f, 0},   {"pow_-1", U_POW, -1, 0},      {"pow_1.7", U_POW, 1.7f, 0},
    {"pow_-2.5", U_POW, -2.5f, 0}, {"pow_0", U_POW, 0, 0},        {"clamp", U_CLAMP, -0.5f, 0.7f},
    {"clamp_max", U_CLAMP, -INFINITY, 0.25f}, {"neg", U_NEG, 0, 0}, {"add_scalar", U_ADDS, 0.3f, 0},
    {"mul_scalar", U_MULS, -1.7f, 0},
};

static ak_tensor *apply_unary(ak_ctx *ctx, int i, ak_tensor *x) {
    switch (UNARY[i].kind) {
    case U_EXP: return ak_exp(ctx, x);
    case U_LOG: return ak_log(ctx, x);
    case U_ABS: return ak_abs(ctx, x);
    case U_SQRT: return ak_sqrt(ctx, x);
    case U_POW: return ak_pow(ctx, x, UNARY[i].p0);
    case U_CLAMP: return ak_clamp(ctx, x, UNARY[i].p0, UNARY[i].p1);
    case U_NEG: return ak_neg(ctx, x);
    case U_ADDS: return ak_add_scalar(ctx, x, UNARY[i].p0);
    case U_MULS: return ak_mul_scalar(ctx, x, UNARY[i].p0);
    }
    return NULL;
}

START_TEST(unary_ops_match_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/elementwise.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    for (size_t i = 0; i < sizeof UNARY / sizeof UNARY[0]; i++) {
        const char *n = UNARY[i].name;
        ak_tensor *x = fxt(&ctx, &fx, "%s.x", n);
        x->requires_grad = true;
        ak_tensor *y = apply_unary(&ctx, (int)i, x);
        ck_assert_msg(y != NULL, "%s: %s", n, ctx.err.msg);
        char what[64];
        snprintf(what, sizeof what, "%s y", n);
        ak_assert_close(what, y->data, fxt(&ctx, &fx, "%s.y", n)->data, y->numel, 2e-6, 1e-7);
        ck_assert_int_eq(ak_backward_from(&ctx, y, fxt(&ctx, &fx, "%s.dy", n)->data), AK_OK);
        snprintf(what, sizeof what, "%s dx", n);
        assert_grad(what, x, fxt(&ctx, &fx, "%s.dx", n), 2e-6, 1e-7);
        ak_ctx_reset(&ctx);
    }
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

/* Finite differences through broadcasting in both directions and every binary op. */
static ak_tensor *bin_chain(ak_ctx *ctx, ak_tensor **in, void *user) {
    (void)user;
    /* (a * b - c) / (b + 2) with a (2,3,4,5), b (1,3,1,1), c (4,5) */
    ak_tensor *b2 = ak_add_scalar(ctx, in[1], 2.0f);
    return ak_div(ctx, ak_sub(ctx, ak_mul(ctx, in[0], in[1]), in[2]), b2);
}

static ak_tensor *bin_chain2(ak_ctx *ctx, ak_tensor **in, void *user) {
    (void)user;
    /* (3,1,5) * (4,5) + (3,4,1): output (3,4,5) */
    return ak_add(ctx, ak_mul(ctx, in[0], in[1]), in[2]);
}

START_TEST(binary_finite_differences) {
    float a[120], b[3], c[20];
    ak_test_fill_uniform(a, 120, 11, -1, 1);
    ak_test_fill_uniform(b, 3, 12, 0.2f, 1);
    ak_test_fill_uniform(c, 20, 13, -1, 1);
    ak_gradcheck_input in[3] = {{"a", 4, {2, 3, 4, 5}, a, 1}, {"b", 4, {1, 3, 1, 1}, b, 1}, {"c", 2, {4, 5}, c, 1}};
    ak_gradcheck("(a*b-c)/(b+2)", bin_chain, NULL, in, 3, NULL);
    float p[15], q[20], r[12];
    ak_test_fill_uniform(p, 15, 14, -1, 1);
    ak_test_fill_uniform(q, 20, 15, -1, 1);
    ak_test_fill_uniform(r, 12, 16, -1, 1);
    ak_gradcheck_input in2[3] = {{"p", 3, {3, 1, 5}, p, 1}, {"q", 2, {4, 5}, q, 1}, {"r", 3, {3, 4, 1}, r, 1}};
    ak_gradcheck("p*q+r", bin_chain2, NULL, in2, 3, NULL);
}
END_TEST

static ak_tensor *unary_chain(ak_ctx *ctx, ak_tensor **in, void *user) {
    (void)user;
    /* sqrt(exp(x)) + log(abs(x)) * pow(x, 3) - clamp(x, -0.5, 0.5)^1.7 ... each term smooth where probed */
    ak_tensor *x = in[0];
    ak_tensor *t1 = ak_sqrt(ctx, ak_exp(ctx, x));
    ak_tensor *t2 = ak_mul(ctx, ak_log(ctx, ak_abs(ctx, x)), ak_pow(ctx, x, 3.0f));
    ak_tensor *t3 = ak_pow(ctx, ak_add_scalar(ctx, ak_clamp(ctx, x, -0.5f, 0.5f), 1.0f), 1.7f);
    ak_tensor *t4 = ak_mul_scalar(ctx, ak_neg(ctx, ak_pow(ctx, ak_abs(ctx, x), -0.5f)), 0.25f);
    return ak_add(ctx, ak_sub(ctx, ak_add(ctx, t1, t2), t3), t4);
}

START_TEST(unary_finite_differences) {
    float x[60];
    ak_test_fill_uniform(x, 60, 21, -2, 2);
    for (int i = 0; i < 60; i++) { /* away from abs's kink and clamp's corners */
        if (fabsf(x[i]) < 0.1f)
            x[i] = 0.3f;
        if (fabsf(fabsf(x[i]) - 0.5f) < 0.01f)
            x[i] *= 1.1f;
    }
    ak_gradcheck_input in = {"x", 2, {6, 10}, x, 1};
    ak_gradcheck("unary chain", unary_chain, NULL, &in, 1, NULL);
}
END_TEST

START_TEST(square_via_mul_accumulates_both_operands) {
    /* mul(x, x): the same tensor is both inputs; d(x*x)/dx = 2x. */
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    float v[3] = {1.5f, -2, 0.25f}, ones[3] = {1, 1, 1};
    int64_t s[1] = {3};
    ak_tensor *x = ak_tensor_from(&ctx, 1, s, v);
    x->requires_grad = true;
    ak_tensor *y = ak_mul(&ctx, x, x);
    ck_assert_int_eq(ak_backward_from(&ctx, y, ones), AK_OK);
    for (int i = 0; i < 3; i++)
        ck_assert_float_eq(x->grad[i], 2 * v[i]);
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(shape_errors_name_op_and_shapes) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t s1[2] = {2, 3}, s2[2] = {4, 3};
    ak_tensor *a = ak_tensor_zeros(&ctx, "a", 2, s1), *b = ak_tensor_zeros(&ctx, "b", 2, s2);
    ck_assert_ptr_null(ak_mul(&ctx, a, b));
    assert_error(&ctx, AK_ESHAPE, "mul", "(2,3)", "(4,3)", "do not broadcast", NULL);
    ck_assert_ptr_null(ak_div(&ctx, b, a));
    assert_error(&ctx, AK_ESHAPE, "div", "(4,3)", "(2,3)", NULL);
    ck_assert_ptr_null(ak_clamp(&ctx, a, 1.0f, -1.0f));
    assert_error(&ctx, AK_EINVAL, "clamp", NULL);
    /* an earlier error makes later ops return NULL without changing it */
    ck_assert_ptr_null(ak_add(&ctx, a, b));
    ck_assert_ptr_null(ak_exp(&ctx, a));
    assert_error(&ctx, AK_ESHAPE, "add", NULL);
    ck_assert_ptr_null(ak_add(&ctx, NULL, a));
    ck_assert_int_eq(ctx.err.code, AK_OK);
    ak_ctx_free(&ctx);
}
END_TEST

static double ulps(float got, double want) {
    if (isnan(want))
        return isnan(got) ? 0 : INFINITY;
    if (want > 3.4028234663852886e38)
        return isinf(got) && got > 0 ? 0 : INFINITY;
    float w = (float)want;
    float ulp = nextafterf(fabsf(w), INFINITY) - fabsf(w);
    return fabs((double)got - want) / ulp;
}

START_TEST(vexp_within_two_ulp) {
    double worst = 0;
    float worst_x = 0;
    for (float x = -105.0f; x < 90.0f; x += 0.000731f) {
        double u = ulps(ak_vexpf(x), exp((double)x));
        if (u > worst) {
            worst = u;
            worst_x = x;
        }
    }
    ck_assert_msg(worst <= 2.0, "ak_vexpf: %.2f ulp at x = %.9g", worst, (double)worst_x);
    ck_assert(isnan(ak_vexpf(NAN)));
    ck_assert(isinf(ak_vexpf(INFINITY)) && ak_vexpf(INFINITY) > 0);
    ck_assert(isinf(ak_vexpf(100.0f)));
    ck_assert_float_eq(ak_vexpf(-INFINITY), 0.0f);
    ck_assert_float_eq(ak_vexpf(0.0f), 1.0f);
    ck_assert_float_eq(ak_vexpf(-200.0f), 0.0f);
}
END_TEST

START_TEST(broadcast_gradients_thread_independent) {
    /* (4,64,32,32) * (1,64,1,1) and + (32,1): the broadcast operands' gradients are sums over many
     * elements; they must be bitwise equal with 1 and 2 threads. */
    const int64_t sa[4] = {4, 64, 32, 32}, sb[4] = {1, 64, 1, 1}, sc[2] = {32, 1};
    const int64_t na = 4 * 64 * 32 * 32;
    float *a = malloc(na * sizeof *a), *dy = malloc(na * sizeof *dy), b[64], c[32];
    ak_test_fill_uniform(a, na, 31, -1, 1);
    ak_test_fill_uniform(dy, na, 32, -1, 1);
    ak_test_fill_uniform(b, 64, 33, -1, 1);
    ak_test_fill_uniform(c, 32, 34, -1, 1);
    float *res[2][3];
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        ak_ctx ctx;
        ak_ctx_init(&ctx, 0, 0);
        ak_tensor *A = ak_tensor_from(&ctx, 4, sa, a), *B = ak_tensor_from(&ctx, 4, sb, b),
                  *C = ak_tensor_from(&ctx, 2, sc, c);
        A->requires_grad = B->requires_grad = C->requires_grad = true;
        ak_tensor *y = ak_add(&ctx, ak_mul(&ctx, A, B), C);
        ck_assert_int_eq(ak_backward_from(&ctx, y, dy), AK_OK);
        res[t][0] = dup_floats(y->data, na);
        res[t][1] = dup_floats(B->grad, 64);
        res[t][2] = dup_floats(C->grad, 32);
        /* and the value: db[c] = sum dy * a over (n, h, w), checked in double */
        for (int ch = 0; ch < 64; ch += 21) {
            double s = 0;
            for (int n = 0; n < 4; n++)
                for (int i = 0; i < 1024; i++) {
                    int64_t idx = ((int64_t)n * 64 + ch) * 1024 + i;
                    s += (double)dy[idx] * a[idx];
                }
            ck_assert_msg(fabs(B->grad[ch] - s) <= 1e-6 * (1 + fabs(s)), "db[%d] = %g, want %g", ch, B->grad[ch], s);
        }
        ak_ctx_free(&ctx);
    }
    omp_set_num_threads(2);
    ak_assert_bitwise("y 1 vs 2 threads", res[0][0], res[1][0], na);
    ak_assert_bitwise("db 1 vs 2 threads", res[0][1], res[1][1], 64);
    ak_assert_bitwise("dc 1 vs 2 threads", res[0][2], res[1][2], 32);
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < 3; i++)
            free(res[t][i]);
    free(a);
    free(dy);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("elementwise");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, binary_ops_match_torch);
    tcase_add_test(tc, unary_ops_match_torch);
    tcase_add_test(tc, binary_finite_differences);
    tcase_add_test(tc, unary_finite_differences);
    tcase_add_test(tc, square_via_mul_accumulates_both_operands);
    tcase_add_test(tc, shape_errors_name_op_and_shapes);
    tcase_add_test(tc, vexp_within_two_ulp);
    tcase_add_test(tc, broadcast_gradients_thread_independent);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
