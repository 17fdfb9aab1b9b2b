/* AKD around the REAL baselines (baselines/methods.h, registry, distiller):
 *  - MSE, CWD, PKD and MGD (generator loaded from the fixture) in every uncertainty mode and
 *    perturbation against the PyTorch reference of METHODS.md Part 0 (tools/fixtures/akd_wrapper.py);
 *  - p = 0, uncertainty none, K = 1 equals the plain loss bitwise for every baseline (MSE, CWD, MGD,
 *    FGD with boxes, PKD, MasKD, DIST, L1 / SmoothL1 head terms);
 *  - FGD, MasKD, DIST (no PyTorch AKD reference here): the wrapper equals the mean over avatars of
 *    the base loss on the uncertainty-normalised inputs with avatar k's loss rng, and its student
 *    gradient passes finite differences;
 *  - the distiller hook: the hooked distiller loss is sum over taps of the wrapper, p = 0 / none
 *    gives the plain distiller bitwise, stats are filled per tap, the loss rngs agree. */
#include <math.h>

#include "akd/akd_hook.h"
#include "akd/avatars.h"
#include "akd/uncertainty.h"
#include "akd_test.h"
#include "baselines/distiller.h"
#include "baselines/methods.h"
#include "core/params.h"

static const char *const modes[4] = {"none", "code", "code_raw", "paper"};
static const char *const perturbs[3] = {"dropout", "channel_dropout", "gaussian"};

typedef struct real {
    ak_safetensors st;
    ak_ctx ctx;
    ak_params ps;
    ak_error err;
    ak_tensor *S, *T;
    uint64_t seed;
    int64_t iteration;
    int tap, K, ghost;
    float eps;
    ak_distill_loss *loss[4]; /* mse, cwd, pkd, mgd */
} real;

static void real_open(real *r) {
    memset(r, 0, sizeof *r);
    ak_fixture_open(&r->st, "akd/wrapper.safetensors");
    ck_assert_int_eq(ak_ctx_init(&r->ctx, 0, 0), AK_OK);
    ak_params_init(&r->ps);
    r->S = ak_fixture_tensor(&r->ctx, &r->st, "S");
    r->T = ak_fixture_tensor(&r->ctx, &r->st, "T");
    r->seed = fx_u64(&r->st, "seed");
    r->iteration = (int64_t)fx_num(&r->st, "iteration");
    r->tap = (int)fx_num(&r->st, "tap");
    r->K = (int)fx_num(&r->st, "K");
    r->ghost = (int)fx_num(&r->st, "ghost");
    r->eps = (float)fx_num(&r->st, "eps");
    r->loss[0] = ak_mse_loss_create("neck.p3", (float)fx_num(&r->st, "mse.w"), &r->err);
    r->loss[1] = ak_cwd_loss_create("neck.p3", (float)fx_num(&r->st, "cwd.w"), (float)fx_num(&r->st, "cwd.tau"),
                                    &r->err);
    ak_pkd_opts po = {(float)fx_num(&r->st, "pkd.w"), true, 0};
    r->loss[2] = ak_pkd_loss_create("neck.p3", &po, &r->err);
    ak_mgd_opts mo = {1.0f, (float)fx_num(&r->st, "mgd.alpha"), (float)fx_num(&r->st, "mgd.lambda"), 0, 4, false, 1};
    r->loss[3] = ak_mgd_loss_create("neck.p3", &mo, &r->ps, &r->err);
    for (int b = 0; b < 4; b++)
        ck_assert_msg(r->loss[b] != NULL, "%s", r->err.msg);
    const char *gen[4] = {"generation.0.weight", "generation.0.bias", "generation.2.weight", "generation.2.bias"};
    const char *fxn[4] = {"mgd.w1", "mgd.b1", "mgd.w2", "mgd.b2"};
    for (int i = 0; i < 4; i++) {
        ak_tensor **slot = ak_distill_loss_param_slot(r->loss[3], gen[i]);
        ck_assert_msg(slot && *slot, "mgd has no parameter %s", gen[i]);
        ak_tensor *v = ak_fixture_tensor(&r->ctx, &r->st, fxn[i]);
        ck_assert_int_eq(v->numel, (*slot)->numel);
        memcpy((*slot)->data, v->data, (size_t)v->numel * sizeof(float));
    }
}

static void real_close(real *r) {
    for (int b = 0; b < 4; b++)
        ak_distill_loss_destroy(r->loss[b]);
    ak_params_free(&r->ps);
    ak_ctx_free(&r->ctx);
    ak_safetensors_close(&r->st);
}

START_TEST(real_losses_against_reference) {
    static const char *const names[4] = {"mse", "cwd", "pkd", "mgd"};
    real r;
    real_open(&r);
    for (int p = 0; p < 3; p++)
        for (int b = 0; b < 4; b++)
            for (int m = 0; m < 4; m++) {
                ak_akd_opts o = ak_akd_opts_default();
                o.num_avatars = r.K;
                o.perturb = p;
                o.rate = (float)fx_num(&r.st, "rate.%s", perturbs[p]);
                o.uncertainty = m == 3 ? AK_UNC_PAPER : m == 0 ? AK_UNC_NONE : AK_UNC_CODE;
                o.normalize_teacher = m != 2;
                o.ghost_batch = r.ghost;
                o.eps = r.eps;
                ak_tensor *s = ak_tensor_from(&r.ctx, 4, r.S->shape, r.S->data);
                s->requires_grad = true;
                ak_distill_inputs in = {s, r.T, NULL, r.iteration, {r.seed, 0}};
                ak_akd_tap_stats stats;
                ak_tensor *l = ak_akd_forward(&r.ctx, &o, r.loss[b], &in, r.tap, &stats);
                ck_assert_msg(l != NULL, "%s: %s", names[b], r.ctx.err.msg);
                ck_assert_int_eq(ak_backward(&r.ctx, l), AK_OK);
                char what[128];
                snprintf(what, sizeof what, "real %s / %s / %s: loss", names[b], modes[m], perturbs[p]);
                const float want = (float)fx_num(&r.st, "case.%s.%s.%s.loss", names[b], modes[m], perturbs[p]);
                ak_assert_close(what, l->data, &want, 1, 2e-5, 1e-7);
                ak_tensor *wl = fxt(&r.ctx, &r.st, "case.%s.%s.%s.losses", names[b], modes[m], perturbs[p]);
                snprintf(what, sizeof what, "real %s / %s / %s: per avatar", names[b], modes[m], perturbs[p]);
                ak_assert_close(what, stats.loss, wl->data, r.K, 2e-5, 1e-7);
                ak_tensor *wds = fxt(&r.ctx, &r.st, "case.%s.%s.%s.dS", names[b], modes[m], perturbs[p]);
                double mx = 0;
                for (int64_t i = 0; i < wds->numel; i++)
                    mx = fmax(mx, fabs(wds->data[i]));
                snprintf(what, sizeof what, "real %s / %s / %s: dS", names[b], modes[m], perturbs[p]);
                ak_assert_close(what, s->grad, wds->data, wds->numel, 1e-4, 1e-5 * mx);
                ak_ctx_reset(&r.ctx);
                r.S = ak_fixture_tensor(&r.ctx, &r.st, "S");
                r.T = ak_fixture_tensor(&r.ctx, &r.st, "T");
                ak_params_zero_grad(&r.ps);
            }
    real_close(&r);
}
END_TEST

/* ---- every baseline: identity at p = 0 and composition ---- */

typedef struct any_loss {
    const char *name;
    ak_distill_loss *l;
    const ak_gt_boxes *gt;
} any_loss;

static const int gt_count[2] = {2, 1};
static const float gt_b0[8] = {4, 4, 30, 20, 10, 2, 40, 30}, gt_b1[4] = {0, 8, 24, 31};
static const float *const gt_xyxy[2] = {gt_b0, gt_b1};
static const ak_gt_boxes gt_boxes = {2, gt_count, gt_xyxy, 32, 48, NULL};

/* All baselines for (2, 8, 8, 12) maps. */
static int make_all(any_loss *out, ak_params *ps, ak_error *err) {
    int n = 0;
    out[n++] = (any_loss){"mse", ak_mse_loss_create("p3", 1.0f, err), NULL};
    out[n++] = (any_loss){"cwd", ak_cwd_loss_create("p3", 5.0f, 1.0f, err), NULL};
    ak_mgd_opts mo = {1.0f, 2e-5f, 0.65f, 0, 8, false, 3};
    out[n++] = (any_loss){"mgd", ak_mgd_loss_create("p3", &mo, ps, err), NULL};
    ak_mgd_opts mc = {1.0f, 2e-5f, 0.5f, 1, 8, false, 4};
    out[n++] = (any_loss){"mgd_channel", ak_mgd_loss_create("p3c", &mc, ps, err), NULL};
    ak_fgd_opts fo = {1.0f, 0.5f, 1e-3f, 5e-4f, 5e-4f, 5e-6f, 8, false, 5};
    out[n++] = (any_loss){"fgd", ak_fgd_loss_create("p3", &fo, ps, err), &gt_boxes};
    ak_pkd_opts po = {6.0f, true, 2};
    out[n++] = (any_loss){"pkd", ak_pkd_loss_create("p3", &po, err), NULL};
    ak_maskd_opts ko = {7.0f, 8, 6, true, true, 100, 6}; /* custom masks (a stop-gradient) from iteration 100 */
    out[n++] = (any_loss){"maskd", ak_maskd_loss_create("p3", &ko, ps, err), NULL};
    ak_dist_opts dopt = {1.0f, 1.0f, 1.0f, false};
    out[n++] = (any_loss){"dist", ak_dist_loss_create("p3", &dopt, err), NULL};
    out[n++] = (any_loss){"l1", ak_head_kd_loss_create("p3", AK_HEAD_KD_L1, 1.0f, 0.0f, err), NULL};
    out[n++] = (any_loss){"smooth_l1", ak_head_kd_loss_create("p3", AK_HEAD_KD_SMOOTH_L1, 1.0f, 0.11f, err), NULL};
    for (int i = 0; i < n; i++)
        ck_assert_msg(out[i].l != NULL, "%s: %s", out[i].name, err->msg);
    return n;
}

static const int64_t all_shape[4] = {3, 8, 8, 12};
enum { ALL_N = 3 * 8 * 8 * 12 };

START_TEST(p_zero_none_equals_every_plain_baseline) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    any_loss ls[12];
    const int n = make_all(ls, &ps, &err);
    static float sv[ALL_N], tv[ALL_N];
    ak_test_fill_uniform(sv, ALL_N, 601, -2, 2);
    ak_test_fill_uniform(tv, ALL_N, 602, -2, 2);
    static const int gt_count3[3] = {2, 1, 0};
    static const float *const gt_xyxy3[3] = {gt_b0, gt_b1, gt_b1};
    const ak_gt_boxes gt3 = {3, gt_count3, gt_xyxy3, 32, 48, NULL};
    for (int i = 0; i < n; i++)
        for (int p = 0; p < 3; p++) {
            ak_ctx ctx;
            ak_ctx_init(&ctx, 0, 0);
            ak_tensor *s1 = ak_tensor_from(&ctx, 4, all_shape, sv), *s2 = ak_tensor_from(&ctx, 4, all_shape, sv);
            ak_tensor *t = ak_tensor_from(&ctx, 4, all_shape, tv);
            s1->requires_grad = s2->requires_grad = true;
            ak_akd_opts o = ak_akd_opts_default();
            o.rate = 0;
            o.perturb = p;
            o.uncertainty = AK_UNC_NONE;
            const ak_gt_boxes *gt = ls[i].gt ? &gt3 : NULL;
            ak_distill_inputs in = {s1, t, gt, 20000, {77, 0}};
            ak_tensor *la = ak_akd_forward(&ctx, &o, ls[i].l, &in, 3, NULL);
            ck_assert_msg(la != NULL, "%s: %s", ls[i].name, ctx.err.msg);
            ck_assert_int_eq(ak_backward(&ctx, la), AK_OK);
            float *da = dup_floats(s1->grad, ALL_N), lav = la->data[0];
            ak_ctx_reset(&ctx);
            s2 = ak_tensor_from(&ctx, 4, all_shape, sv);
            t = ak_tensor_from(&ctx, 4, all_shape, tv);
            s2->requires_grad = true;
            ak_distill_inputs pin = {s2, t, gt, 20000, ak_distill_loss_rng(77, 20000, 3, 0)};
            ak_tensor *lp = ak_distill_forward(&ctx, ls[i].l, &pin);
            ck_assert_msg(lp != NULL, "%s: %s", ls[i].name, ctx.err.msg);
            ck_assert_int_eq(ak_backward(&ctx, lp), AK_OK);
            char what[64];
            snprintf(what, sizeof what, "%s/%s: p=0 none == plain loss", ls[i].name, perturbs[p]);
            ak_assert_bitwise(what, &lav, lp->data, 1);
            snprintf(what, sizeof what, "%s/%s: p=0 none == plain dS", ls[i].name, perturbs[p]);
            ak_assert_bitwise(what, da, s2->grad, ALL_N);
            free(da);
            ak_params_zero_grad(&ps);
            ak_ctx_free(&ctx);
        }
    for (int i = 0; i < n; i++)
        ak_distill_loss_destroy(ls[i].l);
    ak_params_free(&ps);
}
END_TEST

/* The wrapper = (1/K) sum_k base(U(S), U(A_k)) with avatar k's loss rng, for every baseline and
 * mode; checked by composing the pieces by hand (same ops, so to float rounding of the mean). */
START_TEST(composition_for_every_baseline) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    any_loss ls[12];
    const int n = make_all(ls, &ps, &err);
    static float sv[ALL_N], tv[ALL_N];
    ak_test_fill_uniform(sv, ALL_N, 611, -2, 2);
    ak_test_fill_uniform(tv, ALL_N, 612, -2, 2);
    static const int gt_count3[3] = {2, 1, 1};
    static const float *const gt_xyxy3[3] = {gt_b0, gt_b1, gt_b1};
    const ak_gt_boxes gt3 = {3, gt_count3, gt_xyxy3, 32, 48, NULL};
    for (int i = 0; i < n; i++)
        for (int m = 0; m < 4; m++) {
            ak_ctx ctx;
            ak_ctx_init(&ctx, 0, 0);
            ak_tensor *s = ak_tensor_from(&ctx, 4, all_shape, sv), *t = ak_tensor_from(&ctx, 4, all_shape, tv);
            ak_akd_opts o = ak_akd_opts_default();
            o.num_avatars = 3;
            o.rate = 0.2f;
            o.uncertainty = m == 3 ? AK_UNC_PAPER : m == 0 ? AK_UNC_NONE : AK_UNC_CODE;
            o.normalize_teacher = m != 2;
            const ak_gt_boxes *gt = ls[i].gt ? &gt3 : NULL;
            ak_distill_inputs in = {s, t, gt, 9000, {55, 0}};
            ak_akd_tap_stats st;
            ak_tensor *l = ak_akd_forward(&ctx, &o, ls[i].l, &in, 1, &st);
            ck_assert_msg(l != NULL, "%s/%s: %s", ls[i].name, modes[m], ctx.err.msg);
            /* by hand */
            ak_tensor *av[3];
            ck_assert_int_eq(ak_avatars_make(&ctx, t, AK_PERTURB_DROPOUT, 0.2f, 55, 9000, 1, 3, av), AK_OK);
            ak_unc u = {o.uncertainty, o.normalize_teacher, o.ghost_batch, o.eps, NULL};
            ck_assert_int_eq(ak_unc_prepare(&ctx, &u, t, av, 3), AK_OK);
            ak_tensor *sp = ak_unc_student(&ctx, &u, s);
            double sum = 0;
            for (int k = 0; k < 3; k++) {
                ak_distill_inputs kin = {sp, ak_unc_avatar(&ctx, &u, av[k]), gt, 9000, ak_distill_loss_rng(55, 9000, 1, k)};
                ak_tensor *lk = ak_distill_forward(&ctx, ls[i].l, &kin);
                ck_assert_msg(lk != NULL, "%s: %s", ls[i].name, ctx.err.msg);
                ck_assert_msg(lk->data[0] == st.loss[k], "%s/%s avatar %d: %.9g by hand, %.9g in the wrapper",
                              ls[i].name, modes[m], k, lk->data[0], st.loss[k]);
                sum += lk->data[0];
            }
            const float want = (float)(sum / 3);
            char what[64];
            snprintf(what, sizeof what, "%s/%s composition", ls[i].name, modes[m]);
            ak_assert_close(what, l->data, &want, 1, 1e-6, 1e-12);
            /* the logged sub-terms are the avatar means: re-run the wrapper (the manual calls above
             * overwrote them) and check they add up to the wrapped loss */
            l = ak_akd_forward(&ctx, &o, ls[i].l, &in, 1, NULL);
            ck_assert_ptr_nonnull(l);
            double tsum = 0;
            for (int j = 0; j < ls[i].l->n_terms; j++)
                tsum += ls[i].l->term_values[j];
            ck_assert_msg(ls[i].l->n_terms >= 1 && fabs(tsum - l->data[0]) <= 1e-5 * fabs(l->data[0]) + 1e-9,
                          "%s/%s: %d terms sum to %.9g, wrapped loss %.9g", ls[i].name, modes[m], ls[i].l->n_terms,
                          tsum, l->data[0]);
            ak_ctx_free(&ctx);
        }
    for (int i = 0; i < n; i++)
        ak_distill_loss_destroy(ls[i].l);
    ak_params_free(&ps);
}
END_TEST

typedef struct gc_user {
    ak_akd_opts o;
    ak_distill_loss *base;
    const ak_gt_boxes *gt;
} gc_user;

static ak_tensor *gc_fn(ak_ctx *ctx, ak_tensor **in, void *user) {
    gc_user *u = user;
    ak_distill_inputs di = {in[0], in[1], u->gt, 4, {8, 0}};
    return ak_akd_forward(ctx, &u->o, u->base, &di, 0, NULL);
}

START_TEST(finite_differences_real_baselines) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    any_loss ls[12];
    const int n = make_all(ls, &ps, &err);
    static float sv[ALL_N], tv[ALL_N];
    ak_test_fill_uniform(sv, ALL_N, 621, -2, 2);
    ak_test_fill_uniform(tv, ALL_N, 622, -2, 2);
    static const int gt_count3[3] = {2, 1, 1};
    static const float *const gt_xyxy3[3] = {gt_b0, gt_b1, gt_b1};
    const ak_gt_boxes gt3 = {3, gt_count3, gt_xyxy3, 32, 48, NULL};
    for (int i = 0; i < n; i++) {
        if (!strcmp(ls[i].name, "l1") || !strcmp(ls[i].name, "smooth_l1"))
            continue; /* kinks at S' == A': finite differences are not meaningful there */
        for (int m = 1; m < 4; m += 2) { /* code and paper */
            gc_user u = {ak_akd_opts_default(), ls[i].l, ls[i].gt ? &gt3 : NULL};
            u.o.num_avatars = 2;
            u.o.uncertainty = m == 1 ? AK_UNC_CODE : AK_UNC_PAPER;
            ak_gradcheck_input in[2] = {{"S", 4, {3, 8, 8, 12}, sv, 1}, {"T", 4, {3, 8, 8, 12}, tv, 0}};
            char what[64];
            snprintf(what, sizeof what, "akd(%s) / %s", ls[i].name, modes[m]);
            /* the objective is a weighted sum of a scalar: scale atol to the loss's size */
            ak_gradcheck_opts go = {.eps = 3e-3, .rtol = 3e-2, .atol = 1e-4, .max_elems = 24};
            ak_gradcheck(what, gc_fn, &u, in, 2, &go);
        }
    }
    for (int i = 0; i < n; i++)
        ak_distill_loss_destroy(ls[i].l);
    ak_params_free(&ps);
}
END_TEST

/* ---- the distiller hook ---- */

static int load_cfg(ak_run_config *cfg, int n_taps) {
    ak_error err;
    ak_error_clear(&err);
    char *path = ak_source_path("bench/configs/synth_cityscapes_cwd.yaml");
    int rc = ak_run_config_load(path, NULL, 0, cfg, NULL, &err);
    free(path);
    ck_assert_msg(rc == AK_OK, "%s", err.msg);
    cfg->distill.taps.n = n_taps;
    for (int i = 0; i < n_taps; i++)
        snprintf(cfg->distill.taps.v[i], AK_CFG_NAME_LEN, "neck.p%d", 3 + i);
    cfg->distill.teacher_taps.n = 0;
    cfg->distill.connector = AK_CONNECTOR_NONE;
    return rc;
}

START_TEST(distiller_hook) {
    ak_run_config cfg;
    load_cfg(&cfg, 2);
    const int64_t sh[2][4] = {{2, 6, 8, 10}, {2, 6, 4, 5}};
    float *sv[2], *tv[2];
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_taps st, tt;
    ak_taps_clear(&st);
    ak_taps_clear(&tt);
    for (int i = 0; i < 2; i++) {
        const int64_t n = ak_shape_numel(4, sh[i]);
        sv[i] = malloc(n * sizeof(float));
        tv[i] = malloc(n * sizeof(float));
        ak_test_fill_uniform(sv[i], n, 631 + i, -2, 2);
        ak_test_fill_uniform(tv[i], n, 641 + i, -2, 2);
        char name[16];
        snprintf(name, sizeof name, "neck.p%d", 3 + i);
        ak_taps_put(&st, name, ak_tensor_from(&ctx, 4, sh[i], sv[i]));
        ak_taps_put(&tt, name, ak_tensor_from(&ctx, 4, sh[i], tv[i]));
    }
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    ak_distiller d;
    ck_assert_msg(ak_distiller_init(&d, &cfg, &st, &tt, false, &ps, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(d.n_feature, 2);
    /* the loss rngs of the distiller and of akd agree */
    for (int k = 0; k < 3; k++) {
        ak_rng a = ak_distill_loss_rng(9, 100, 1, k), b = ak_akd_loss_rng(9, 100, 1, k);
        ck_assert(a.seed == b.seed && a.stream == b.stream);
    }
    /* p = 0 / none / K = 1: bitwise the plain distiller */
    ak_akd_opts o = ak_akd_opts_default();
    o.rate = 0;
    o.uncertainty = AK_UNC_NONE;
    ak_akd_hook h;
    ck_assert_int_eq(ak_akd_hook_init(&h, &o, true, &err), AK_OK);
    ak_tap_hook hook = ak_akd_hook_get(&h);
    ak_tensor *plain = ak_distiller_loss(&ctx, &d, &st, &tt, NULL, 12, 9, NULL);
    ak_tensor *hooked = ak_distiller_loss(&ctx, &d, &st, &tt, NULL, 12, 9, &hook);
    ck_assert_msg(plain && hooked, "%s", ctx.err.msg);
    ak_assert_bitwise("hooked p=0 none == plain distiller", hooked->data, plain->data, 1);
    ck_assert_int_eq(h.stats[0].num_avatars, 1);
    ck_assert_double_eq(h.stats[1].avatar_msd, 0.0);
    /* K = 3, code: the distiller's sum over taps of the wrapper, taps keyed by their index */
    o = ak_akd_opts_default();
    o.num_avatars = 3;
    ck_assert_int_eq(ak_akd_hook_init(&h, &o, true, &err), AK_OK);
    hook = ak_akd_hook_get(&h);
    hooked = ak_distiller_loss(&ctx, &d, &st, &tt, NULL, 12, 9, &hook);
    ck_assert_msg(hooked != NULL, "%s", ctx.err.msg);
    double want = 0;
    for (int i = 0; i < 2; i++) {
        ak_distill_inputs in = {st.t[i], tt.t[i], NULL, 12, {9, 0}};
        ak_tensor *l = ak_akd_forward(&ctx, &o, d.pairs[i].loss, &in, i, NULL);
        ck_assert_msg(l != NULL, "%s", ctx.err.msg);
        want += l->data[0];
        ck_assert_double_eq_tol(h.stats[i].loss_mean, l->data[0], 1e-6 * fabs(l->data[0]));
        ck_assert_int_eq(h.stats[i].num_avatars, 3);
        ck_assert(h.stats[i].avatar_msd > 0 && h.stats[i].unc_student > 0);
    }
    const float wantf = (float)want;
    ak_assert_close("hooked distiller = sum_taps akd", hooked->data, &wantf, 1, 1e-6, 0);
    ck_assert(hooked->data[0] != plain->data[0]);
    /* errors: bad options at init, tap index out of range */
    o.num_avatars = 0;
    ck_assert_int_eq(ak_akd_hook_init(&h, &o, false, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "akd.num_avatars = 0") != NULL, "%s", err.msg);
    o.num_avatars = 1;
    ck_assert_int_eq(ak_akd_hook_init(&h, &o, false, &err), AK_OK);
    ak_tap_call call = {AK_AKD_HOOK_MAX_TAPS, "neck.p9", "neck.p9", 1, 1};
    ak_distill_inputs in = {st.t[0], tt.t[0], NULL, 1, {1, 0}};
    ck_assert_ptr_null(ak_akd_tap_loss(&ctx, d.pairs[0].loss, &in, &call, &h));
    assert_error(&ctx, AK_EINVAL, "tap index", "neck.p9", NULL);
    ak_distiller_free(&d);
    ak_params_free(&ps);
    ak_ctx_free(&ctx);
    for (int i = 0; i < 2; i++) {
        free(sv[i]);
        free(tv[i]);
    }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("akd_baselines");
    TCase *tc = tcase_create("baselines");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, real_losses_against_reference);
    tcase_add_test(tc, p_zero_none_equals_every_plain_baseline);
    tcase_add_test(tc, composition_for_every_baseline);
    tcase_add_test(tc, finite_differences_real_baselines);
    tcase_add_test(tc, distiller_hook);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
