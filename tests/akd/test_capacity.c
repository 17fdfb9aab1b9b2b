/* Avatar capacity (akd/capacity.h) with a linear test head on two feature maps: the vanilla row is
 * the head on the teacher, each (K, p) row is the mean of the head on the documented avatars, p = 0
 * reproduces the vanilla output exactly for every K, the avatar ensemble of a linear head converges to the
 * teacher as K grows (E[dropout(T)] = T), the work context is reset between evaluations, errors. */
#include <math.h>

#include "akd/avatars.h"
#include "akd/capacity.h"
#include "akd_test.h"
#include "store/akd_config.h"

enum { NB = 3, FN = 2, FC = 4, FH = 6, FW = 5, OUT = FN * FH * FW };

typedef struct lin_head {
    float w[2][FC];           /* per feature, per channel */
    float seen[AK_CAPACITY_MAX_SETTINGS][NB][OUT]; /* every setting's output per batch */
    double sq_err[AK_CAPACITY_MAX_SETTINGS];       /* sum over batches of |out - vanilla|^2 */
    int calls, accs;
    int grow_shape; /* test: change the output shape after the first call */
} lin_head;

/* out[n,0,h,w] = sum_f sum_c w[f][c] * F_f[n,c,h,w] */
static ak_tensor *lin_fwd(ak_ctx *ctx, void *user, ak_tensor *const *f, int n) {
    lin_head *h = user;
    const int64_t shape[4] = {FN, 1, FH, FW + (h->grow_shape && h->calls > 0)};
    h->calls++;
    ak_tensor *o = ak_tensor_zeros(ctx, "lin head", 4, shape);
    if (!o)
        return NULL;
    for (int i = 0; i < n; i++)
        for (int nn = 0; nn < FN; nn++)
            for (int c = 0; c < FC; c++)
                for (int j = 0; j < FH * FW; j++)
                    o->data[nn * FH * FW + j] += h->w[i][c] * f[i]->data[(nn * FC + c) * FH * FW + j];
    return o;
}

static int lin_acc(ak_ctx *ctx, void *user, int s, int64_t b, const ak_tensor *out) {
    lin_head *h = user;
    (void)ctx;
    h->accs++;
    memcpy(h->seen[s][b], out->data, sizeof(float) * OUT);
    for (int i = 0; i < OUT; i++)
        h->sq_err[s] += pow(out->data[i] - h->seen[0][b][i], 2);
    return AK_OK;
}

static double lin_metric(void *user, int s) { return ((lin_head *)user)->sq_err[s]; }

START_TEST(settings_are_the_documented_ensembles) {
    static lin_head h;
    memset(&h, 0, sizeof h);
    for (int c = 0; c < FC; c++) {
        h.w[0][c] = 0.5f + 0.25f * c;
        h.w[1][c] = 1.0f - 0.3f * c;
    }
    ak_capacity_cfg cfg = ak_capacity_defaults(17);
    cfg.n_p = 2;
    cfg.ps[0] = 0.0f;
    cfg.ps[1] = 0.3f;
    ck_assert_int_eq(ak_capacity_n_settings(&cfg), 9);
    int k;
    float p;
    ak_capacity_setting(&cfg, 0, &k, &p);
    ck_assert(k == 0 && p == 0.0f);
    ak_capacity_setting(&cfg, 7, &k, &p); /* 1 + 1*4 + 2 */
    ck_assert(k == 4 && p == 0.3f);
    ak_capacity_cb cb = {lin_fwd, lin_acc, lin_metric, &h};
    ak_capacity cap;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_capacity_init(&cap, &cfg, &cb, &err), AK_OK);
    ak_ctx feat, work;
    ak_ctx_init(&feat, 0, 0);
    ak_ctx_init(&work, 0, 0);
    const int64_t fs[4] = {FN, FC, FH, FW};
    ak_tensor *F[NB][2];
    for (int b = 0; b < NB; b++)
        for (int i = 0; i < 2; i++) {
            F[b][i] = ak_tensor_new(&feat, "f", 4, fs);
            ak_test_fill_uniform(F[b][i]->data, F[b][i]->numel, 700 + 2 * b + i, 0.2f, 2.0f);
        }
    for (int b = 0; b < NB; b++)
        ck_assert_int_eq(ak_capacity_batch(&cap, &work, F[b], 2, b), AK_OK);
    ck_assert_int_eq(h.accs, NB * 9);
    ck_assert_int_eq(h.calls, NB * (1 + 2 * 8)); /* teacher + max K avatars per p */
    ck_assert_int_eq(cap.batches, NB);
    ck_assert_uint_eq(work.arena.used, 0); /* reset after every evaluation */
    for (int b = 0; b < NB; b++) {
        /* vanilla = head(T) */
        ak_tensor *v = lin_fwd(&work, &h, F[b], 2);
        ak_assert_bitwise("vanilla row", h.seen[0][b], v->data, OUT);
        /* p = 0: every K reproduces the vanilla output exactly (the mean is accumulated in double) */
        for (int s = 1; s <= 4; s++)
            ak_assert_bitwise("p = 0 rows", h.seen[s][b], v->data, OUT);
        /* p = 0.3: K = 2 is the mean of the head on avatars 0 and 1 keyed (seed, batch, feature, k) */
        float want[OUT] = {0};
        for (int kk = 0; kk < 2; kk++) {
            ak_tensor *av[2];
            for (int i = 0; i < 2; i++)
                av[i] = ak_avatar(&work, F[b][i], AK_PERTURB_DROPOUT, 0.3f, ak_avatar_rng(17, b, i, kk), NULL);
            ak_tensor *o = lin_fwd(&work, &h, av, 2);
            for (int j = 0; j < OUT; j++)
                want[j] += o->data[j];
        }
        for (int j = 0; j < OUT; j++)
            want[j] /= 2.0f;
        ak_assert_bitwise("K = 2, p = 0.3 row", h.seen[6][b], want, OUT);
        ak_ctx_reset(&work);
    }
    /* a linear head of dropout avatars is unbiased: the ensemble error shrinks ~1/K */
    double m[9];
    ak_capacity_metrics(&cap, m);
    ck_assert_double_eq(m[0], 0.0);
    for (int s = 1; s <= 4; s++)
        ck_assert_double_eq_tol(m[s], 0.0, 1e-10);
    ck_assert_msg(m[5] > 0 && m[8] < m[5] / 3 && m[6] < m[5] && m[7] < m[6],
                  "ensemble errors K=1,2,4,8: %g %g %g %g", m[5], m[6], m[7], m[8]);
    ak_capacity_free(&cap);
    ak_ctx_free(&feat);
    ak_ctx_free(&work);
}
END_TEST

START_TEST(errors) {
    static lin_head h;
    memset(&h, 0, sizeof h);
    ak_capacity_cb cb = {lin_fwd, lin_acc, lin_metric, &h};
    ak_capacity cap;
    ak_error err;
    ak_capacity_cfg cfg = ak_capacity_defaults(1);
    cfg.n_k = 0;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_capacity_init(&cap, &cfg, &cb, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "0 values of K") != NULL, "%s", err.msg);
    cfg = ak_capacity_defaults(1);
    cfg.ks[2] = 0;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_capacity_init(&cap, &cfg, &cb, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "K = 0") != NULL, "%s", err.msg);
    cfg = ak_capacity_defaults(1);
    cfg.ps[1] = 1.0f;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_capacity_init(&cap, &cfg, &cb, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "akd.rate = 1") != NULL, "%s", err.msg);
    cfg = ak_capacity_defaults(1);
    ak_capacity_cb nocb = {lin_fwd, NULL, lin_metric, &h};
    ak_error_clear(&err);
    ck_assert_int_eq(ak_capacity_init(&cap, &cfg, &nocb, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "callbacks") != NULL, "%s", err.msg);
    /* head output shape changing between the teacher and an avatar */
    h.grow_shape = 1;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_capacity_init(&cap, &cfg, &cb, &err), AK_OK);
    ak_ctx feat, work;
    ak_ctx_init(&feat, 0, 0);
    ak_ctx_init(&work, 0, 0);
    const int64_t fs[4] = {FN, FC, FH, FW};
    ak_tensor *F[2] = {ak_tensor_zeros(&feat, "f", 4, fs), ak_tensor_zeros(&feat, "g", 4, fs)};
    ck_assert_int_eq(ak_capacity_batch(&cap, &work, F, 2, 0), AK_ESHAPE);
    assert_error(&work, AK_ESHAPE, "avatars eval", "(2,1,6,6)", "(2,1,6,5)", NULL);
    ck_assert_int_eq(ak_capacity_batch(&cap, &work, F, 0, 0), AK_EINVAL);
    assert_error(&work, AK_EINVAL, "0 features", NULL);
    ak_capacity_free(&cap);
    ak_ctx_free(&feat);
    ak_ctx_free(&work);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("akd_capacity");
    TCase *tc = tcase_create("capacity");
    tcase_add_test(tc, settings_are_the_documented_ensembles);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
