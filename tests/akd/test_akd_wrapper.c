/* The AKD wrapper (akd/akd_loss.h) around test-local MSE, CWD, PKD and MGD (tests/akd/akd_test.h):
 * loss, per-avatar losses and student gradient against the PyTorch reference of METHODS.md Part 0
 * (tools/fixtures/akd_wrapper.py, same Philox draws) for every (base, uncertainty mode,
 * perturbation), ghost-batch edge cases, K = 1, finite differences, the p = 0 / none identity with
 * the plain loss, the sum over taps, the per-avatar loss RNG keys, run-log statistics and columns,
 * thread-count independence and the error cases. */
#include <math.h>

#include "akd/avatars.h"
#include "akd_test.h"

static const char *const bases[4] = {"mse", "cwd", "pkd", "mgd"};
static const char *const modes[4] = {"none", "code", "code_raw", "paper"};
static const char *const perturbs[3] = {"dropout", "channel_dropout", "gaussian"};

typedef struct fx {
    ak_safetensors st;
    ak_ctx ctx;
    ak_tensor *S, *T;
    tb_state state[4];
    ak_distill_loss loss[4];
    uint64_t seed;
    int64_t iteration;
    int tap, K, ghost;
    float eps;
} fx;

static void fx_open(fx *f) {
    memset(f, 0, sizeof *f);
    ak_fixture_open(&f->st, "akd/wrapper.safetensors");
    ck_assert_int_eq(ak_ctx_init(&f->ctx, 0, 0), AK_OK);
    f->S = ak_fixture_tensor(&f->ctx, &f->st, "S");
    f->T = ak_fixture_tensor(&f->ctx, &f->st, "T");
    f->seed = fx_u64(&f->st, "seed");
    f->iteration = (int64_t)fx_num(&f->st, "iteration");
    f->tap = (int)fx_num(&f->st, "tap");
    f->K = (int)fx_num(&f->st, "K");
    f->ghost = (int)fx_num(&f->st, "ghost");
    f->eps = (float)fx_num(&f->st, "eps");
    f->state[0] = (tb_state){.w = (float)fx_num(&f->st, "mse.w")};
    f->state[1] = (tb_state){.w = (float)fx_num(&f->st, "cwd.w"), .tau = (float)fx_num(&f->st, "cwd.tau")};
    f->state[2] = (tb_state){.w = (float)fx_num(&f->st, "pkd.w")};
    f->state[3] = (tb_state){.w = (float)fx_num(&f->st, "mgd.alpha"),
                             .alpha = (float)fx_num(&f->st, "mgd.alpha"),
                             .lambda = (float)fx_num(&f->st, "mgd.lambda"),
                             .w1 = fxt(&f->ctx, &f->st, "mgd.w1"),
                             .b1 = fxt(&f->ctx, &f->st, "mgd.b1"),
                             .w2 = fxt(&f->ctx, &f->st, "mgd.w2"),
                             .b2 = fxt(&f->ctx, &f->st, "mgd.b2")};
    const ak_distill_loss_ops *ops[4] = {&tb_mse_ops, &tb_cwd_ops, &tb_pkd_ops, &tb_mgd_ops};
    for (int b = 0; b < 4; b++)
        f->loss[b] = tb_loss(ops[b], &f->state[b], "neck.p3");
}

static void fx_close(fx *f) {
    ak_ctx_free(&f->ctx);
    ak_safetensors_close(&f->st);
}

static ak_akd_opts opts_for(const fx *f, int mode, int perturb, float rate) {
    ak_akd_opts o = ak_akd_opts_default();
    o.num_avatars = f->K;
    o.perturb = perturb;
    o.rate = rate;
    o.uncertainty = mode == 3 ? AK_UNC_PAPER : mode == 0 ? AK_UNC_NONE : AK_UNC_CODE;
    o.normalize_teacher = mode != 2;
    o.ghost_batch = f->ghost;
    o.eps = f->eps;
    return o;
}

/* Run the wrapper on a fresh student copy; returns the loss, dS in *ds (caller frees). */
static float run_akd(fx *f, const ak_akd_opts *o, ak_distill_loss *base, ak_akd_tap_stats *stats, float **ds) {
    ak_tensor *s = ak_tensor_from(&f->ctx, 4, f->S->shape, f->S->data);
    s->requires_grad = true;
    ak_distill_inputs in = {s, f->T, NULL, f->iteration, {f->seed, 0}};
    ak_tensor *l = ak_akd_forward(&f->ctx, o, base, &in, f->tap, stats);
    ck_assert_msg(l != NULL, "akd forward: %s", f->ctx.err.msg);
    ck_assert_int_eq(ak_backward(&f->ctx, l), AK_OK);
    ck_assert_ptr_nonnull(s->grad);
    if (ds)
        *ds = dup_floats(s->grad, s->numel);
    return l->data[0];
}

START_TEST(fixture_every_base_mode_perturbation) {
    fx f;
    fx_open(&f);
    for (int p = 0; p < 3; p++) {
        const float rate = (float)fx_num(&f.st, "rate.%s", perturbs[p]);
        for (int b = 0; b < 4; b++)
            for (int m = 0; m < 4; m++) {
                char what[128];
                snprintf(what, sizeof what, "%s / %s / %s", bases[b], modes[m], perturbs[p]);
                ak_akd_opts o = opts_for(&f, m, p, rate);
                ak_akd_tap_stats stats;
                float *ds;
                float loss = run_akd(&f, &o, &f.loss[b], &stats, &ds);
                const double want = fx_num(&f.st, "case.%s.%s.%s.loss", bases[b], modes[m], perturbs[p]);
                ak_tensor *wds = fxt(&f.ctx, &f.st, "case.%s.%s.%s.dS", bases[b], modes[m], perturbs[p]);
                ak_tensor *wl = fxt(&f.ctx, &f.st, "case.%s.%s.%s.losses", bases[b], modes[m], perturbs[p]);
                const float wantf = (float)want;
                char w2[160];
                snprintf(w2, sizeof w2, "%s: loss", what);
                ak_assert_close(w2, &loss, &wantf, 1, 2e-5, 1e-7);
                snprintf(w2, sizeof w2, "%s: per-avatar losses", what);
                ak_assert_close(w2, stats.loss, wl->data, f.K, 2e-5, 1e-7);
                /* gradients: scale the absolute tolerance to the gradient's size */
                double mx = 0;
                for (int64_t i = 0; i < wds->numel; i++)
                    mx = fmax(mx, fabs(wds->data[i]));
                snprintf(w2, sizeof w2, "%s: dL/dS", what);
                ak_assert_close(w2, ds, wds->data, wds->numel, 1e-4, 1e-5 * mx);
                free(ds);
                ak_ctx_reset(&f.ctx); /* keep the arena small; S, T, weights are re-read below */
                f.S = ak_fixture_tensor(&f.ctx, &f.st, "S");
                f.T = ak_fixture_tensor(&f.ctx, &f.st, "T");
                f.state[3].w1 = fxt(&f.ctx, &f.st, "mgd.w1");
                f.state[3].b1 = fxt(&f.ctx, &f.st, "mgd.b1");
                f.state[3].w2 = fxt(&f.ctx, &f.st, "mgd.w2");
                f.state[3].b2 = fxt(&f.ctx, &f.st, "mgd.b2");
            }
    }
    fx_close(&f);
}
END_TEST

START_TEST(ghost_batch_edge_cases_and_k1) {
    fx f;
    fx_open(&f);
    const float rate = (float)fx_num(&f.st, "rate.dropout");
    for (int b = 0; b < 3; b++) {
        for (int gh = 0; gh < 2; gh++) { /* G = 0: whole batch; G = 1: per image; fixture G = 2 of N = 3 above */
            ak_akd_opts o = opts_for(&f, 1, AK_PERTURB_DROPOUT, rate);
            o.ghost_batch = gh;
            float *ds;
            float loss = run_akd(&f, &o, &f.loss[b], NULL, &ds);
            const float want = (float)fx_num(&f.st, "ghost%d.%s.loss", gh, bases[b]);
            ak_tensor *wds = fxt(&f.ctx, &f.st, "ghost%d.%s.dS", gh, bases[b]);
            char what[64];
            snprintf(what, sizeof what, "%s G=%d loss", bases[b], gh);
            ak_assert_close(what, &loss, &want, 1, 2e-5, 1e-7);
            snprintf(what, sizeof what, "%s G=%d dS", bases[b], gh);
            ak_assert_close(what, ds, wds->data, wds->numel, 1e-4, 1e-6);
            free(ds);
        }
        ak_akd_opts o = opts_for(&f, 1, AK_PERTURB_DROPOUT, rate);
        o.num_avatars = 1;
        float *ds;
        float loss = run_akd(&f, &o, &f.loss[b], NULL, &ds);
        const float want = (float)fx_num(&f.st, "k1.%s.loss", bases[b]);
        ak_tensor *wds = fxt(&f.ctx, &f.st, "k1.%s.dS", bases[b]);
        ak_assert_close("K=1 loss", &loss, &want, 1, 2e-5, 1e-7);
        ak_assert_close("K=1 dS", ds, wds->data, wds->numel, 1e-4, 1e-6);
        free(ds);
    }
    fx_close(&f);
}
END_TEST

/* p = 0 and uncertainty none: the wrapper IS the plain loss (same bits), for K = 1; the plain call
 * uses the avatar-0 loss rng. */
START_TEST(p_zero_none_is_the_plain_loss_bitwise) {
    fx f;
    fx_open(&f);
    for (int b = 0; b < 4; b++)
        for (int p = 0; p < 3; p++) {
            ak_akd_opts o = opts_for(&f, 0, p, 0.0f);
            o.num_avatars = 1;
            float *ds_akd, *ds_plain;
            float l_akd = run_akd(&f, &o, &f.loss[b], NULL, &ds_akd);
            ak_tensor *s = ak_tensor_from(&f.ctx, 4, f.S->shape, f.S->data);
            s->requires_grad = true;
            ak_distill_inputs in = {s, f.T, NULL, f.iteration, ak_akd_loss_rng(f.seed, f.iteration, f.tap, 0)};
            ak_tensor *l = ak_distill_forward(&f.ctx, &f.loss[b], &in);
            ck_assert_ptr_nonnull(l);
            ck_assert_int_eq(ak_backward(&f.ctx, l), AK_OK);
            ds_plain = dup_floats(s->grad, s->numel);
            char what[64];
            snprintf(what, sizeof what, "%s/%s p=0 none: loss", bases[b], perturbs[p]);
            ak_assert_bitwise(what, &l_akd, l->data, 1);
            snprintf(what, sizeof what, "%s/%s p=0 none: dS", bases[b], perturbs[p]);
            ak_assert_bitwise(what, ds_akd, ds_plain, s->numel);
            free(ds_akd);
            free(ds_plain);
        }
    fx_close(&f);
}
END_TEST

/* Every avatar's base call gets its own loss rng (seed, iteration, tap, k, purpose 0), and the
 * avatars passed to it are the documented ones. */
START_TEST(loss_rng_per_avatar) {
    fx f;
    fx_open(&f);
    for (int k = 0; k < f.K; k++) {
        ak_rng r = ak_akd_loss_rng(f.seed, f.iteration, f.tap, k);
        ck_assert_uint_eq(r.seed, f.seed);
        ck_assert_uint_eq(r.stream, ak_rng_stream5(AK_STREAM_LOSS_MASK, (uint64_t)f.iteration, (uint64_t)f.tap,
                                                   (uint64_t)k, 0));
        /* the fixture's MGD mask k was drawn in Python from this stream */
        ak_tensor *m = fxt(&f.ctx, &f.st, "mgd.mask.%d", k);
        const float thr = 1.0f - (float)fx_num(&f.st, "mgd.lambda");
        for (int64_t i = 0; i < m->numel; i++)
            ck_assert_float_eq(m->data[i], ak_rng_uniform1(r, (uint64_t)i) > thr ? 0.0f : 1.0f);
    }
    ak_akd_opts o = opts_for(&f, 0, AK_PERTURB_DROPOUT, 0.3f);
    f.state[0].calls = 0;
    run_akd(&f, &o, &f.loss[0], NULL, NULL);
    ck_assert_int_eq(f.state[0].calls, f.K);
    ak_rng last = ak_akd_loss_rng(f.seed, f.iteration, f.tap, f.K - 1);
    ck_assert_uint_eq(f.state[0].last_rng.stream, last.stream);
    fx_close(&f);
}
END_TEST

/* The run's distillation loss over two taps is w * sum_taps (1/K) sum_k L_base(S', A_k'), with the
 * taps' avatars keyed by their tap index. Checked against the terms computed by hand from
 * ak_avatars_make + the uncertainty + the base loss. */
START_TEST(combination_over_taps) {
    fx f;
    fx_open(&f);
    ak_akd_opts o = opts_for(&f, 1, AK_PERTURB_DROPOUT, 0.2f);
    o.num_avatars = 4;
    ak_distill_loss *base = &f.loss[0]; /* MSE with weight w */
    double want = 0;
    float got_total = 0;
    for (int tap = 0; tap < 2; tap++) {
        ak_tensor *s = ak_tensor_from(&f.ctx, 4, f.S->shape, f.S->data);
        ak_distill_inputs in = {s, f.T, NULL, 5, {f.seed, 0}};
        ak_tensor *l = ak_akd_forward(&f.ctx, &o, base, &in, tap, NULL);
        ck_assert_msg(l != NULL, "%s", f.ctx.err.msg);
        got_total += l->data[0];
        ak_tensor *av[4];
        ck_assert_int_eq(ak_avatars_make(&f.ctx, f.T, o.perturb, o.rate, f.seed, 5, tap, 4, av), AK_OK);
        /* by hand: BN per ghost batch of 2 (float64), mean squared difference, weight, 1/K */
        for (int k = 0; k < 4; k++) {
            const int64_t N = f.T->shape[0], C = f.T->shape[1], P = f.T->numel / (N * C);
            double sq = 0;
            for (int64_t g0 = 0; g0 < N; g0 += 2) {
                const int64_t g1 = g0 + 2 < N ? g0 + 2 : N, m = (g1 - g0) * P;
                for (int64_t c = 0; c < C; c++) {
                    double ms = 0, vs = 0, ma = 0, va = 0;
                    for (int64_t n = g0; n < g1; n++)
                        for (int64_t j = 0; j < P; j++) {
                            ms += s->data[(n * C + c) * P + j];
                            ma += av[k]->data[(n * C + c) * P + j];
                        }
                    ms /= (double)m;
                    ma /= (double)m;
                    for (int64_t n = g0; n < g1; n++)
                        for (int64_t j = 0; j < P; j++) {
                            double ds = s->data[(n * C + c) * P + j] - ms, da = av[k]->data[(n * C + c) * P + j] - ma;
                            vs += ds * ds;
                            va += da * da;
                        }
                    vs = sqrt(vs / (double)m + 1e-5);
                    va = sqrt(va / (double)m + 1e-5);
                    for (int64_t n = g0; n < g1; n++)
                        for (int64_t j = 0; j < P; j++) {
                            double d = (s->data[(n * C + c) * P + j] - ms) / vs -
                                       (av[k]->data[(n * C + c) * P + j] - ma) / va;
                            sq += d * d;
                        }
                }
            }
            want += base->weight * sq / (double)f.T->numel / 4.0;
        }
    }
    const float wantf = (float)want;
    ak_assert_close("w * sum_taps (1/K) sum_k L", &got_total, &wantf, 1, 1e-5, 1e-7);
    fx_close(&f);
}
END_TEST

typedef struct gc_user {
    ak_akd_opts o;
    ak_distill_loss *base;
    uint64_t seed;
} gc_user;

static ak_tensor *gc_fn(ak_ctx *ctx, ak_tensor **in, void *user) {
    gc_user *u = user;
    ak_distill_inputs di = {in[0], in[1], NULL, 3, {u->seed, 0}};
    return ak_akd_forward(ctx, &u->o, u->base, &di, 1, NULL);
}

START_TEST(finite_differences) {
    fx f;
    fx_open(&f);
    float *s = dup_floats(f.S->data, f.S->numel), *t = dup_floats(f.T->data, f.T->numel);
    for (int b = 0; b < 4; b++)
        for (int m = 0; m < 4; m++) {
            gc_user u = {opts_for(&f, m, m == 3 ? AK_PERTURB_GAUSSIAN : AK_PERTURB_DROPOUT, 0.3f), &f.loss[b], 99};
            u.o.num_avatars = 2;
            ak_gradcheck_input in[2] = {{"S", 4, {3, 4, 5, 6}, s, 1}, {"T", 4, {3, 4, 5, 6}, t, 0}};
            char what[64];
            snprintf(what, sizeof what, "akd %s / %s", bases[b], modes[m]);
            ak_gradcheck_opts go = {.eps = 2e-3, .rtol = 2e-2, .atol = b == 3 ? 2e-3 : 1e-3, .max_elems = 40};
            ak_gradcheck(what, gc_fn, &u, in, 2, &go);
        }
    free(s);
    free(t);
    fx_close(&f);
}
END_TEST

/* Statistics: avatar-teacher msd, BN std / sigma, loss per avatar; and the log columns. */
START_TEST(statistics_and_log_columns) {
    fx f;
    fx_open(&f);
    for (int m = 0; m < 4; m++) {
        ak_akd_opts o = opts_for(&f, m, AK_PERTURB_DROPOUT, 0.3f);
        ak_akd_tap_stats st;
        float loss = run_akd(&f, &o, &f.loss[0], &st, NULL);
        ck_assert_int_eq(st.num_avatars, f.K);
        ak_tensor *av[8];
        ck_assert_int_eq(ak_avatars_make(&f.ctx, f.T, o.perturb, o.rate, f.seed, f.iteration, f.tap, f.K, av), AK_OK);
        double msd = 0, lm = 0;
        for (int k = 0; k < f.K; k++) {
            for (int64_t i = 0; i < f.T->numel; i++)
                msd += ((double)av[k]->data[i] - f.T->data[i]) * ((double)av[k]->data[i] - f.T->data[i]);
            lm += st.loss[k];
        }
        msd /= (double)f.T->numel * f.K;
        ck_assert_double_eq_tol(st.avatar_msd, msd, 1e-9 * msd);
        ck_assert_double_eq_tol(st.loss_mean, lm / f.K, 1e-6);
        ck_assert_double_eq_tol(st.loss_mean, loss, 1e-5 * fabs(loss));
        if (m == 3) { /* paper: mean sigma_c = sqrt(msd_c + eps) averaged over channels, fixture sigma */
            ak_tensor *sig = fxt(&f.ctx, &f.st, "sigma.dropout");
            double ms = 0;
            for (int c = 0; c < 4; c++)
                ms += sig->data[c] / 4.0;
            ck_assert_double_eq_tol(st.unc_student, ms, 1e-6 * ms);
            ck_assert_double_eq_tol(st.unc_avatar, ms, 1e-6 * ms);
        } else if (m == 0) {
            ck_assert(isnan(st.unc_student) && isnan(st.unc_avatar));
        } else {
            /* code: the student's per-(group, channel) std over ghost batches {0,1}, {2} */
            const int64_t C = 4, P = 30;
            double acc = 0;
            for (int g = 0; g < 2; g++) {
                const int n0 = g * 2, n1 = g == 0 ? 2 : 3;
                for (int64_t c = 0; c < C; c++) {
                    double s1 = 0, s2 = 0;
                    for (int n = n0; n < n1; n++)
                        for (int64_t j = 0; j < P; j++)
                            s1 += f.S->data[(n * C + c) * P + j];
                    const double mean = s1 / ((n1 - n0) * P);
                    for (int n = n0; n < n1; n++)
                        for (int64_t j = 0; j < P; j++)
                            s2 += pow(f.S->data[(n * C + c) * P + j] - mean, 2);
                    acc += sqrt(s2 / ((n1 - n0) * P) + 1e-5);
                }
            }
            ck_assert_double_eq_tol(st.unc_student, acc / 8.0, 1e-9);
            if (m == 2)
                ck_assert(isnan(st.unc_avatar));
            else
                ck_assert(st.unc_avatar > 0.5 && st.unc_avatar < 10);
        }
        if (m == 1) {
            const char *taps[2] = {"neck.p3", "neck.p4"};
            const int n = ak_akd_log_columns(taps, 2, f.K, NULL, 48, 0);
            ck_assert_int_eq(n, 2 * (3 + f.K));
            char names[12][48];
            ck_assert_int_eq(ak_akd_log_columns(taps, 2, f.K, &names[0][0], 48, 12), n);
            ck_assert_str_eq(names[0], "akd.neck.p3.avatar_msd");
            ck_assert_str_eq(names[1], "akd.neck.p3.unc_student");
            ck_assert_str_eq(names[2], "akd.neck.p3.unc_avatar");
            ck_assert_str_eq(names[3], "akd.neck.p3.loss_a0");
            ck_assert_str_eq(names[6 + 3 + 2], "akd.neck.p4.loss_a2");
            ak_akd_tap_stats two[2] = {st, st};
            two[1].avatar_msd = 7;
            double v[12];
            ck_assert_int_eq(ak_akd_log_values(two, 2, v, 12), n);
            ck_assert_double_eq(v[0], st.avatar_msd);
            ck_assert_double_eq(v[1], st.unc_student);
            ck_assert_double_eq(v[4], st.loss[1]);
            ck_assert_double_eq(v[6], 7.0);
            ck_assert_double_eq(v[11], st.loss[2]);
        }
    }
    fx_close(&f);
}
END_TEST

/* 1 vs 2 threads: the same loss and gradient bits, on maps big enough to run threaded. */
START_TEST(thread_count_independent) {
    const int64_t shape[4] = {4, 16, 24, 40}, n = 4 * 16 * 24 * 40;
    float *sv = malloc(n * sizeof *sv), *tv = malloc(n * sizeof *tv), *res[2][2];
    ak_test_fill_uniform(sv, n, 301, -2, 2);
    ak_test_fill_uniform(tv, n, 302, -2, 2);
    tb_state cst = {.w = 2.0f, .tau = 1.0f};
    ak_distill_loss cwd = tb_loss(&tb_cwd_ops, &cst, "t");
    for (int m = 1; m < 4; m += 2) { /* code, paper */
        for (int th = 0; th < 2; th++) {
            omp_set_num_threads(th + 1);
            ak_ctx ctx;
            ak_ctx_init(&ctx, 0, 0);
            ak_tensor *s = ak_tensor_from(&ctx, 4, shape, sv), *t = ak_tensor_from(&ctx, 4, shape, tv);
            s->requires_grad = true;
            ak_akd_opts o = ak_akd_opts_default();
            o.num_avatars = 2;
            o.uncertainty = m == 1 ? AK_UNC_CODE : AK_UNC_PAPER;
            o.perturb = m == 1 ? AK_PERTURB_DROPOUT : AK_PERTURB_GAUSSIAN;
            ak_distill_inputs in = {s, t, NULL, 9, {42, 0}};
            ak_akd_tap_stats st;
            ak_tensor *l = ak_akd_forward(&ctx, &o, &cwd, &in, 0, &st);
            ck_assert_msg(l != NULL, "%s", ctx.err.msg);
            ck_assert_int_eq(ak_backward(&ctx, l), AK_OK);
            res[th][0] = dup_floats(l->data, 1);
            res[th][1] = dup_floats(s->grad, n);
            ak_ctx_free(&ctx);
        }
        omp_set_num_threads(2);
        ak_assert_bitwise("akd loss 1 vs 2 threads", res[0][0], res[1][0], 1);
        ak_assert_bitwise("akd dS 1 vs 2 threads", res[0][1], res[1][1], n);
        for (int th = 0; th < 2; th++) {
            free(res[th][0]);
            free(res[th][1]);
        }
    }
    free(sv);
    free(tv);
}
END_TEST

START_TEST(errors_name_key_and_value) {
    fx f;
    fx_open(&f);
    ak_distill_inputs in = {f.S, f.T, NULL, 0, {1, 0}};
    ak_akd_opts o = ak_akd_opts_default();
    o.uncertainty = AK_UNC_PAPER;
    o.rate = 0;
    ck_assert_ptr_null(ak_akd_forward(&f.ctx, &o, &f.loss[0], &in, 0, NULL));
    assert_error(&f.ctx, AK_EINVAL, "akd.uncertainty = paper", "akd.rate", "got akd.rate = 0", NULL);
    o = ak_akd_opts_default();
    o.num_avatars = 0;
    ck_assert_ptr_null(ak_akd_forward(&f.ctx, &o, &f.loss[0], &in, 0, NULL));
    assert_error(&f.ctx, AK_EINVAL, "akd.num_avatars = 0", NULL);
    o.num_avatars = 65;
    ck_assert_ptr_null(ak_akd_forward(&f.ctx, &o, &f.loss[0], &in, 0, NULL));
    assert_error(&f.ctx, AK_EINVAL, "akd.num_avatars = 65", NULL);
    const float bad[3] = {1.0f, -0.1f, NAN};
    for (int i = 0; i < 3; i++) {
        o = ak_akd_opts_default();
        o.rate = bad[i];
        ck_assert_ptr_null(ak_akd_forward(&f.ctx, &o, &f.loss[0], &in, 0, NULL));
        assert_error(&f.ctx, AK_EINVAL, "akd.rate = ", "dropout", "[0, 1)", NULL);
    }
    o = ak_akd_opts_default();
    o.perturb = AK_PERTURB_CHANNEL_DROPOUT;
    o.rate = 1.5f;
    ck_assert_ptr_null(ak_akd_forward(&f.ctx, &o, &f.loss[0], &in, 0, NULL));
    assert_error(&f.ctx, AK_EINVAL, "akd.rate = 1.5", "channel_dropout", NULL);
    o.perturb = AK_PERTURB_GAUSSIAN; /* a gaussian scale may exceed 1, not be negative */
    o.rate = -1.0f;
    ck_assert_ptr_null(ak_akd_forward(&f.ctx, &o, &f.loss[0], &in, 0, NULL));
    assert_error(&f.ctx, AK_EINVAL, "akd.rate = -1", "gaussian", NULL);
    o = ak_akd_opts_default();
    o.perturb = 7;
    ck_assert_ptr_null(ak_akd_forward(&f.ctx, &o, &f.loss[0], &in, 0, NULL));
    assert_error(&f.ctx, AK_EINVAL, "akd.perturb = 7", NULL);
    o = ak_akd_opts_default();
    o.uncertainty = 9;
    ck_assert_ptr_null(ak_akd_forward(&f.ctx, &o, &f.loss[0], &in, 0, NULL));
    assert_error(&f.ctx, AK_EINVAL, "akd.uncertainty = 9", NULL);
    o = ak_akd_opts_default();
    o.ghost_batch = -2;
    ck_assert_ptr_null(ak_akd_forward(&f.ctx, &o, &f.loss[0], &in, 0, NULL));
    assert_error(&f.ctx, AK_EINVAL, "akd.ghost_batch = -2", NULL);
    o = ak_akd_opts_default();
    o.eps = 0;
    ck_assert_ptr_null(ak_akd_forward(&f.ctx, &o, &f.loss[0], &in, 0, NULL));
    assert_error(&f.ctx, AK_EINVAL, "akd.eps = 0", NULL);
    /* shape mismatch: channels differ */
    o = ak_akd_opts_default();
    const int64_t sh[4] = {3, 2, 5, 6};
    ak_tensor *s2 = ak_tensor_zeros(&f.ctx, "s2", 4, sh);
    ak_distill_inputs bad_in = {s2, f.T, NULL, 0, {1, 0}};
    ck_assert_ptr_null(ak_akd_forward(&f.ctx, &o, &f.loss[0], &bad_in, 4, NULL));
    assert_error(&f.ctx, AK_ESHAPE, "tap 4", "neck.p3", "mse", "(3,2,5,6)", "(3,4,5,6)", NULL);
    /* missing teacher */
    ak_distill_inputs no_t = {f.S, NULL, NULL, 0, {1, 0}};
    ck_assert_ptr_null(ak_akd_forward(&f.ctx, &o, &f.loss[0], &no_t, 0, NULL));
    assert_error(&f.ctx, AK_EINVAL, "missing teacher", NULL);
    /* a ghost batch with one value per channel: the batch norm names the shape */
    const int64_t one[4] = {3, 4, 1, 1};
    ak_tensor *s1 = ak_tensor_zeros(&f.ctx, "s1", 4, one), *t1 = ak_tensor_zeros(&f.ctx, "t1", 4, one);
    ak_distill_inputs tiny = {s1, t1, NULL, 0, {1, 0}};
    ck_assert_ptr_null(ak_akd_forward(&f.ctx, &o, &f.loss[0], &tiny, 0, NULL));
    ck_assert_int_eq(f.ctx.err.code, AK_ESHAPE);
    ck_assert_msg(strstr(f.ctx.err.msg, "(3,4,1,1)") != NULL, "%s", f.ctx.err.msg);
    ak_ctx_clear_error(&f.ctx);
    fx_close(&f);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("akd_wrapper");
    TCase *tc = tcase_create("wrapper");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, fixture_every_base_mode_perturbation);
    tcase_add_test(tc, ghost_batch_edge_cases_and_k1);
    tcase_add_test(tc, p_zero_none_is_the_plain_loss_bitwise);
    tcase_add_test(tc, loss_rng_per_avatar);
    tcase_add_test(tc, combination_over_taps);
    tcase_add_test(tc, finite_differences);
    tcase_add_test(tc, statistics_and_log_columns);
    tcase_add_test(tc, thread_count_independent);
    tcase_add_test(tc, errors_name_key_and_value);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
