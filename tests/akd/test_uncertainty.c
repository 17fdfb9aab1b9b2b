/* Uncertainty modes (akd/uncertainty.h): the paper sigma against the PyTorch reference, its
 * constant-gradient contract, the code mode = ghost-batch BN of the engine (G = 0, G not dividing N),
 * normalize_teacher false / none pass-through, the BN std statistic by hand, and errors. */
#include <math.h>

#include "akd/uncertainty.h"
#include "akd_test.h"
#include "core/ops/norm.h"
#include "store/akd_config.h"

static const char *const perturbs[3] = {"dropout", "channel_dropout", "gaussian"};

START_TEST(paper_sigma_matches_reference) {
    ak_safetensors st;
    ak_fixture_open(&st, "akd/wrapper.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_tensor *T = ak_fixture_tensor(&ctx, &st, "T");
    const int K = (int)fx_num(&st, "K");
    for (int p = 0; p < 3; p++) {
        ak_tensor *av[8];
        for (int k = 0; k < K; k++)
            av[k] = fxt(&ctx, &st, "avatar.%s.%d", perturbs[p], k);
        ak_unc u = {AK_UNC_PAPER, true, 2, (float)fx_num(&st, "eps"), NULL};
        ck_assert_int_eq(ak_unc_prepare(&ctx, &u, T, av, K), AK_OK);
        ck_assert_int_eq(u.sigma->ndim, 4);
        ck_assert(u.sigma->shape[0] == 1 && u.sigma->shape[1] == 4 && u.sigma->shape[2] == 1 && u.sigma->shape[3] == 1);
        ak_tensor *want = fxt(&ctx, &st, "sigma.%s", perturbs[p]);
        ak_assert_close(perturbs[p], u.sigma->data, want->data, 4, 1e-6, 0);
        double m = 0;
        for (int c = 0; c < 4; c++)
            m += want->data[c] / 4.0;
        ck_assert_double_eq_tol(ak_unc_sigma_mean(&u), m, 1e-6 * m);
    }
    ak_ctx_free(&ctx);
    ak_safetensors_close(&st);
}
END_TEST

/* S / sigma with sigma a constant: dL/dS = dL/dS' / sigma_c, and sigma never gets a gradient. */
START_TEST(paper_student_gradient_is_constant_scaling) {
    const int64_t shape[4] = {2, 3, 2, 2}, n = 24;
    float s[24], t[24], dy[24];
    ak_test_fill_uniform(s, n, 501, -1, 1);
    ak_test_fill_uniform(t, n, 502, -1, 1);
    ak_test_fill_uniform(dy, n, 503, -1, 1);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_tensor *S = ak_tensor_from(&ctx, 4, shape, s), *T = ak_tensor_from(&ctx, 4, shape, t);
    S->requires_grad = true;
    ak_tensor *A = ak_tensor_from(&ctx, 4, shape, t);
    for (int64_t i = 0; i < n; i++)
        A->data[i] += 0.1f * (float)((i % 5) - 2);
    ak_unc u = {AK_UNC_PAPER, true, 0, 1e-5f, NULL};
    ck_assert_int_eq(ak_unc_prepare(&ctx, &u, T, &A, 1), AK_OK);
    ak_tensor *sp = ak_unc_student(&ctx, &u, S), *ap = ak_unc_avatar(&ctx, &u, A);
    ck_assert(sp->requires_grad && !ap->requires_grad && !u.sigma->requires_grad);
    ck_assert_int_eq(ak_backward_from(&ctx, sp, dy), AK_OK);
    for (int64_t i = 0; i < n; i++) {
        const int c = (int)((i / 4) % 3);
        ck_assert_float_eq(sp->data[i], s[i] / u.sigma->data[c]);
        ck_assert_float_eq(ap->data[i], A->data[i] / u.sigma->data[c]);
        ck_assert_float_eq_tol(S->grad[i], dy[i] / u.sigma->data[c], 1e-6f);
    }
    ck_assert_ptr_null(u.sigma->grad);
    /* by hand: sigma_c^2 = mean (A - T)^2 over the channel + eps */
    for (int c = 0; c < 3; c++) {
        double q = 0;
        for (int nn = 0; nn < 2; nn++)
            for (int j = 0; j < 4; j++) {
                const int64_t i = (nn * 3 + c) * 4 + j;
                q += ((double)A->data[i] - t[i]) * ((double)A->data[i] - t[i]);
            }
        ck_assert_float_eq_tol(u.sigma->data[c], (float)sqrt(q / 8 + 1e-5), 1e-7f);
    }
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(code_mode_is_ghost_batch_norm) {
    const int64_t shape[4] = {5, 3, 3, 4}, n = 180;
    float s[180], dy[180];
    ak_test_fill_uniform(s, n, 511, -3, 3);
    ak_test_fill_uniform(dy, n, 512, -1, 1);
    const int ghosts[4] = {0, 2, 3, 5}; /* whole batch; groups 2,2,1; 3,2; G == N */
    for (int g = 0; g < 4; g++) {
        ak_ctx ctx, rctx; /* separate tapes: a backward walks the whole tape */
        ak_ctx_init(&ctx, 0, 0);
        ak_ctx_init(&rctx, 0, 0);
        ak_tensor *S = ak_tensor_from(&ctx, 4, shape, s), *R = ak_tensor_from(&rctx, 4, shape, s);
        S->requires_grad = R->requires_grad = true;
        ak_unc u = {AK_UNC_CODE, true, ghosts[g], 1e-5f, NULL};
        ck_assert_int_eq(ak_unc_prepare(&ctx, &u, S, &S, 1), AK_OK);
        ak_tensor *y = ak_unc_student(&ctx, &u, S);
        ak_tensor *r = ak_batch_norm_ghost(&rctx, R, ghosts[g], NULL, NULL, NULL, NULL, 0.1f, 1e-5f);
        ak_assert_bitwise("code student == ghost BN", y->data, r->data, n);
        ck_assert_int_eq(ak_backward_from(&ctx, y, dy), AK_OK);
        ck_assert_int_eq(ak_backward_from(&rctx, r, dy), AK_OK);
        ak_assert_bitwise("code student grad == ghost BN grad", S->grad, R->grad, n);
        /* by hand for one group: images [n0, n1) of channel 1 have mean 0 and variance var/(var+eps) */
        const int G = ghosts[g] == 0 ? 5 : ghosts[g];
        for (int n0 = 0; n0 < 5; n0 += G) {
            const int n1 = n0 + G < 5 ? n0 + G : 5;
            double m = 0, q = 0;
            for (int nn = n0; nn < n1; nn++)
                for (int j = 0; j < 12; j++)
                    m += y->data[(nn * 3 + 1) * 12 + j];
            m /= (n1 - n0) * 12.0;
            for (int nn = n0; nn < n1; nn++)
                for (int j = 0; j < 12; j++)
                    q += pow(y->data[(nn * 3 + 1) * 12 + j] - m, 2);
            ck_assert_msg(fabs(m) < 1e-6 && fabs(q / ((n1 - n0) * 12.0) - 1.0) < 1e-4,
                          "G=%d group %d: mean %g var %g", ghosts[g], n0, m, q / ((n1 - n0) * 12.0));
        }
        /* avatars: normalised without a tape node; normalize_teacher false / none pass through */
        ak_tensor *A = ak_tensor_from(&ctx, 4, shape, s);
        A->requires_grad = true;
        const int64_t nodes = ctx.tape.n;
        ak_tensor *ay = ak_unc_avatar(&ctx, &u, A);
        ck_assert_int_eq(ctx.tape.n, nodes);
        ck_assert(!ay->requires_grad);
        ak_assert_bitwise("code avatar == ghost BN", ay->data, r->data, n);
        u.normalize_teacher = false;
        ck_assert_ptr_eq(ak_unc_avatar(&ctx, &u, A), A);
        ak_unc none = {AK_UNC_NONE, true, 2, 1e-5f, NULL};
        ck_assert_ptr_eq(ak_unc_student(&ctx, &none, S), S);
        ck_assert_ptr_eq(ak_unc_avatar(&ctx, &none, A), A);
        ak_ctx_free(&ctx);
        ak_ctx_free(&rctx);
    }
}
END_TEST

START_TEST(bn_std_statistic_by_hand) {
    const int64_t shape[3] = {3, 2, 2};
    /* image 0: c0 {1, 3}, c1 {0, 0}; image 1: c0 {5, 7}, c1 {2, 2}; image 2: c0 {0, 4}, c1 {1, 1} */
    const float v[12] = {1, 3, 0, 0, 5, 7, 2, 2, 0, 4, 1, 1};
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_tensor *x = ak_tensor_from(&ctx, 3, shape, v);
    /* G = 2: group {0,1}: c0 values 1,3,5,7 var 5; c1 0,0,2,2 var 1; group {2}: c0 0,4 var 4; c1 var 0 */
    const double eps = 1e-5;
    const double want2 = (sqrt(5 + eps) + sqrt(1 + eps) + sqrt(4 + eps) + sqrt(eps)) / 4;
    ck_assert_double_eq_tol(ak_unc_bn_std_mean(x, 2, 1e-5f), want2, 1e-7);
    /* G = 0: c0 1,3,5,7,0,4 (mean 10/3), c1 0,0,2,2,1,1 (mean 1, var 2/3) */
    double m0 = 20.0 / 6, q0 = 0;
    const double c0[6] = {1, 3, 5, 7, 0, 4};
    for (int i = 0; i < 6; i++)
        q0 += (c0[i] - m0) * (c0[i] - m0);
    const double want0 = (sqrt(q0 / 6 + eps) + sqrt(2.0 / 3 + eps)) / 2;
    ck_assert_double_eq_tol(ak_unc_bn_std_mean(x, 0, 1e-5f), want0, 1e-7);
    ck_assert(isnan(ak_unc_bn_std_mean(NULL, 0, 1e-5f)));
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(errors) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const int64_t s4[4] = {2, 3, 2, 2}, s2[4] = {2, 5, 2, 2};
    ak_tensor *T = ak_tensor_zeros(&ctx, "T", 4, s4), *S5 = ak_tensor_zeros(&ctx, "S", 4, s2);
    ak_unc u = {AK_UNC_PAPER, true, 2, 1e-5f, NULL};
    ck_assert_ptr_null(ak_unc_student(&ctx, &u, T));
    assert_error(&ctx, AK_ESTATE, "ak_unc_prepare was not called", NULL);
    ck_assert_int_eq(ak_unc_prepare(&ctx, &u, T, &T, 1), AK_OK);
    ck_assert_ptr_null(ak_unc_student(&ctx, &u, S5));
    assert_error(&ctx, AK_ESHAPE, "student of shape (2,5,2,2)", "(1,3,1,1)", NULL);
    ak_unc bad = {5, true, 2, 1e-5f, NULL};
    ck_assert_int_eq(ak_unc_prepare(&ctx, &bad, T, &T, 1), AK_EINVAL);
    assert_error(&ctx, AK_EINVAL, "akd.uncertainty = 5", NULL);
    ak_unc neg = {AK_UNC_CODE, true, -1, 1e-5f, NULL};
    ck_assert_ptr_null(ak_unc_student(&ctx, &neg, T));
    assert_error(&ctx, AK_EINVAL, "akd.ghost_batch = -1", NULL);
    ak_unc noeps = {AK_UNC_CODE, true, 0, -1.0f, NULL};
    ck_assert_ptr_null(ak_unc_avatar(&ctx, &noeps, T));
    assert_error(&ctx, AK_EINVAL, "akd.eps = -1", NULL);
    ak_ctx_free(&ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("akd_uncertainty");
    TCase *tc = tcase_create("uncertainty");
    tcase_add_test(tc, paper_sigma_matches_reference);
    tcase_add_test(tc, paper_student_gradient_is_constant_scaling);
    tcase_add_test(tc, code_mode_is_ghost_batch_norm);
    tcase_add_test(tc, bn_std_statistic_by_hand);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
