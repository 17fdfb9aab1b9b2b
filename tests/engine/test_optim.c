/* Optimizers (core/optim.h): 10 steps of SGD / AdamW on a small model against PyTorch
 * (tools/fixtures/engine_optim.py), with parameter groups, a frozen parameter, per-group schedules
 * and gradient clipping; save -> restore -> continue bitwise equal to an uninterrupted run;
 * clipping, state layout, paramwise rules and error paths. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aktest.h"
#include "core/ops/loss.h"
#include "core/optim.h"

/* ---- the model of engine_optim.py: parameters fed straight into the losses ---- */

enum { NP = 8, STEPS = 10 };
static const char *NAMES[NP] = {"reg.weight", "reg.bias", "cls.weight", "bn.weight",
                                "bn.bias",    "seg.logits", "box.pred", "frozen.weight"};
static const double LR_MULT[NP] = {1, 2, 1, 1, 1, 1, 0.5, 1}, DECAY_MULT[NP] = {1, 0, 1, 0, 0, 1, 2, 1};

typedef struct model {
    ak_params ps;
    ak_tensor *p[NP];
    float *target[NP];
    int32_t labels[2 * 4 * 4];
} model;

static void model_init(model *m, const ak_safetensors *st) {
    memset(m, 0, sizeof *m);
    ak_params_init(&m->ps);
    ak_error err;
    ak_error_clear(&err);
    char key[96];
    for (int i = 0; i < NP; i++) {
        snprintf(key, sizeof key, "init.%s", NAMES[i]);
        const ak_st_entry *e = ak_safetensors_find(st, key);
        ck_assert_ptr_nonnull(e);
        m->p[i] = ak_params_add(&m->ps, NAMES[i], e->ndim, e->shape, &err);
        ck_assert_msg(m->p[i] != NULL, "%s", err.msg);
        ck_assert_int_eq(ak_safetensors_read_f32(st, key, m->p[i]->data, m->p[i]->numel, &err), AK_OK);
        snprintf(key, sizeof key, "target.%s", NAMES[i]);
        m->target[i] = malloc((size_t)m->p[i]->numel * sizeof(float));
        ck_assert_int_eq(ak_safetensors_read_f32(st, key, m->target[i], m->p[i]->numel, &err), AK_OK);
    }
    int64_t one[1] = {5};
    ck_assert_ptr_nonnull(ak_params_add_buffer(&m->ps, "bn.running_mean", 1, one, &err)); /* never touched */
    int64_t lab[2 * 4 * 4];
    ck_assert_int_eq(ak_safetensors_read_i64(st, "seg.labels", lab, 32, &err), AK_OK);
    for (int i = 0; i < 32; i++)
        m->labels[i] = (int32_t)lab[i];
    ck_assert_int_eq(ak_params_set_trainable(&m->ps, "frozen.", false), 1);
    ak_param_key keys[1] = {{"box", 0.5, 2.0}};
    ak_paramwise pw = {2.0, 0.0, 0.0, keys, 1};
    ck_assert_int_eq(ak_params_apply_paramwise(&m->ps, &pw, &err), AK_OK);
    for (int i = 0; i < NP - 1; i++) {
        ak_param *p = ak_params_find(&m->ps, NAMES[i]);
        ck_assert_msg(p->lr_mult == (float)LR_MULT[i] && p->decay_mult == (float)DECAY_MULT[i],
                      "%s: lr_mult %g decay_mult %g, want %g %g", NAMES[i], p->lr_mult, p->decay_mult, LR_MULT[i],
                      DECAY_MULT[i]);
    }
}

static void model_free(model *m) {
    for (int i = 0; i < NP; i++)
        free(m->target[i]);
    ak_params_free(&m->ps);
}

/* One loss term: forward, backward into the parameters' grads, reset. Returns its value. */
static double term(ak_ctx *ctx, ak_tensor *out) {
    ck_assert_msg(out != NULL, "%s", ctx->err.msg);
    ck_assert_int_eq(ak_check_finite(ctx, out, out->name), AK_OK);
    double v = out->data[0];
    if (out->requires_grad) /* the frozen parameter's term records nothing */
        ck_assert_msg(ak_backward(ctx, out) == AK_OK, "%s", ctx->err.msg);
    ak_ctx_reset(ctx);
    return v;
}

static ak_tensor *tgt(ak_ctx *ctx, const model *m, int i) {
    return ak_tensor_from(ctx, m->p[i]->ndim, m->p[i]->shape, m->target[i]);
}

/* Gradients of the total loss (sum of the terms, each backpropagated on its own); returns the loss. */
static double compute_grads(model *m, ak_ctx *ctx) {
    ak_params_zero_grad(&m->ps);
    ak_loss_opts mean = {AK_REDUCE_MEAN, false, 0, NULL}, sum = {AK_REDUCE_SUM, false, 0, NULL};
    ak_loss_opts avg5 = {AK_REDUCE_MEAN, true, 5.0, NULL};
    double l = 0;
    l += term(ctx, ak_smooth_l1_loss(ctx, m->p[0], tgt(ctx, m, 0), 0.5f, &mean));
    l += term(ctx, ak_l1_loss(ctx, m->p[1], tgt(ctx, m, 1), &sum));
    l += term(ctx, ak_sigmoid_focal_loss(ctx, m->p[2], tgt(ctx, m, 2), 0.25f, 2.0f, &avg5));
    l += term(ctx, ak_bce_with_logits(ctx, m->p[3], tgt(ctx, m, 3), &mean));
    l += term(ctx, ak_l1_loss(ctx, m->p[4], tgt(ctx, m, 4), &mean));
    l += term(ctx, ak_cross_entropy(ctx, m->p[5], m->labels, NULL));
    l += term(ctx, ak_giou_loss(ctx, m->p[6], tgt(ctx, m, 6), 1e-7f, &mean));
    l += term(ctx, ak_l1_loss(ctx, m->p[7], tgt(ctx, m, 7), &mean));
    return l;
}

/* ---- the configurations of engine_optim.py ---- */

typedef struct opt_case {
    const char *name;
    ak_optim_config oc;
    bool has_sched;
    ak_lr_schedule sched;
    double clip; /* 0: none */
} opt_case;

static opt_case make_case(int k) {
    opt_case c;
    memset(&c, 0, sizeof c);
    switch (k) {
    case 0:
        c.name = "sgd";
        c.oc = ak_optim_sgd_config(0.05, 0.9, 0.01);
        c.has_sched = true;
        c.sched = (ak_lr_schedule){.policy = AK_LR_STEP, .n_milestones = 1, .milestones = {6}, .gamma = 0.1,
                                   .warmup = AK_LR_WARMUP_LINEAR, .warmup_iters = 3, .warmup_ratio = 0.1};
        c.clip = 2.0945;
        break;
    case 1:
        c.name = "nesterov";
        c.oc = ak_optim_sgd_config(0.05, 0.9, 1e-3);
        c.oc.nesterov = true;
        break;
    case 2:
        c.name = "sgd_plain";
        c.oc = ak_optim_sgd_config(0.1, 0.0, 0.01);
        break;
    case 3:
        c.name = "adamw";
        c.oc = ak_optim_adamw_config(0.01, 0.05);
        c.has_sched = true;
        c.sched = (ak_lr_schedule){.policy = AK_LR_COSINE, .max_progress = 10, .min_lr = 1e-4,
                                   .warmup = AK_LR_WARMUP_LINEAR, .warmup_iters = 2, .warmup_ratio = 0.1};
        c.clip = 1.0;
        break;
    default:
        c.name = "adamw_poly";
        c.oc = ak_optim_adamw_config(0.02, 0.1);
        c.oc.beta1 = 0.8;
        c.oc.beta2 = 0.99;
        c.oc.eps = 1e-6;
        c.has_sched = true;
        c.sched = (ak_lr_schedule){.policy = AK_LR_POLY, .max_progress = 10, .power = 0.9, .min_lr = 1e-3};
        break;
    }
    return c;
}

/* Steps [from, to): gradients, optional clip, update. Returns the clip norm of the last step. */
static void train(model *m, ak_optim *opt, const opt_case *c, int from, int to, const ak_safetensors *st) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_error err;
    ak_error_clear(&err);
    char key[96];
    for (int step = from; step < to; step++) {
        double loss = compute_grads(m, &ctx);
        if (st) {
            snprintf(key, sizeof key, "%s.%d.loss", c->name, step);
            ck_assert_msg(fabs(loss - ak_fixture_scalar(st, key)) <= 1e-5 * fabs(loss), "%s step %d: loss %.9g, torch %.9g",
                          c->name, step, loss, ak_fixture_scalar(st, key));
        }
        if (c->clip > 0) {
            float norm;
            ck_assert_int_eq(ak_clip_grad_norm(&m->ps, c->clip, &norm, &err), AK_OK);
            if (st) {
                snprintf(key, sizeof key, "%s.%d.norm", c->name, step);
                double want = ak_fixture_scalar(st, key);
                ck_assert_msg(fabs(norm - want) <= 2e-6 * want, "%s step %d: grad norm %.9g, torch %.9g", c->name,
                              step, (double)norm, want);
            }
        }
        int rc = c->has_sched ? ak_optim_step_at(opt, &c->sched, step, &err) : ak_optim_step(opt, c->oc.lr, &err);
        ck_assert_msg(rc == AK_OK, "%s", err.msg);
        if (!st)
            continue;
        for (int i = 0; i < NP; i++) {
            snprintf(key, sizeof key, "%s.%d.%s", c->name, step, NAMES[i]);
            ak_tensor *want = ak_fixture_tensor(&ctx, st, key);
            snprintf(key, sizeof key, "%s step %d %s", c->name, step, NAMES[i]);
            ak_assert_close(key, m->p[i]->data, want->data, want->numel, 2e-6, 2e-7);
            ak_ctx_reset(&ctx);
        }
    }
    ak_ctx_free(&ctx);
}

START_TEST(ten_steps_match_pytorch) {
    ak_safetensors st;
    ak_fixture_open(&st, "engine/optim.safetensors");
    for (int k = 0; k < 5; k++) {
        opt_case c = make_case(k);
        model m;
        model_init(&m, &st);
        ak_optim opt;
        ak_error err;
        ak_error_clear(&err);
        ck_assert_msg(ak_optim_init(&opt, &m.ps, &c.oc, &err) == AK_OK, "%s", err.msg);
        train(&m, &opt, &c, 0, STEPS, &st);
        for (int j = 0; j < 5; j++) /* the buffer was never touched */
            ck_assert_float_eq(ak_params_find(&m.ps, "bn.running_mean")->t->data[j], 0.0f);
        ak_optim_free(&opt);
        model_free(&m);
    }
    ak_safetensors_close(&st);
}
END_TEST

/* ---- checkpoint: save after 5 steps, restore into fresh objects, continue ---- */

static void save_checkpoint(const char *path, const model *m, const ak_optim *opt) {
    int n = m->ps.n + opt->state.n;
    ak_st_write_entry *e = calloc((size_t)n, sizeof *e);
    char (*names)[AK_PARAM_NAME_LEN + 16] = calloc((size_t)n, sizeof *names);
    int k = 0;
    for (int i = 0; i < m->ps.n; i++, k++) {
        snprintf(names[k], sizeof names[k], "param.%s", m->ps.items[i].name);
        e[k] = (ak_st_write_entry){names[k], m->ps.items[i].t->ndim, m->ps.items[i].t->shape, m->ps.items[i].t->data};
    }
    for (int i = 0; i < opt->state.n; i++, k++) {
        snprintf(names[k], sizeof names[k], "optim.%s", opt->state.items[i].name);
        e[k] = (ak_st_write_entry){names[k], opt->state.items[i].t->ndim, opt->state.items[i].t->shape,
                                   opt->state.items[i].t->data};
    }
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_safetensors_write_f32(path, e, n, NULL, 0, &err) == AK_OK, "%s", err.msg);
    free(e);
    free(names);
}

static void load_into(const ak_safetensors *st, const char *prefix, ak_params *ps) {
    ak_error err;
    ak_error_clear(&err);
    for (int i = 0; i < ps->n; i++) {
        char key[AK_PARAM_NAME_LEN + 16];
        snprintf(key, sizeof key, "%s.%s", prefix, ps->items[i].name);
        ck_assert_msg(ak_safetensors_read_f32(st, key, ps->items[i].t->data, ps->items[i].t->numel, &err) == AK_OK,
                      "%s", err.msg);
    }
}

START_TEST(save_restore_continue_is_bitwise) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "engine/optim.safetensors");
    char path[512];
    snprintf(path, sizeof path, "%s/test_optim_ckpt_%d.safetensors", AK_BUILD_DIR, (int)getpid());
    int cases[3] = {0, 1, 3}; /* SGD with clip + schedule, nesterov, AdamW with clip + schedule */
    for (int ci = 0; ci < 3; ci++) {
        opt_case c = make_case(cases[ci]);
        ak_error err;
        ak_error_clear(&err);
        /* uninterrupted */
        model a;
        model_init(&a, &fx);
        ak_optim oa;
        ck_assert_int_eq(ak_optim_init(&oa, &a.ps, &c.oc, &err), AK_OK);
        train(&a, &oa, &c, 0, STEPS, NULL);
        /* interrupted after 5 steps; everything rebuilt from the file */
        model b;
        model_init(&b, &fx);
        ak_optim ob;
        ck_assert_int_eq(ak_optim_init(&ob, &b.ps, &c.oc, &err), AK_OK);
        train(&b, &ob, &c, 0, 5, NULL);
        save_checkpoint(path, &b, &ob);
        ak_optim_free(&ob);
        model_free(&b);
        model r;
        model_init(&r, &fx); /* fresh initial values, overwritten by the checkpoint */
        ak_optim orr;
        ck_assert_int_eq(ak_optim_init(&orr, &r.ps, &c.oc, &err), AK_OK);
        ak_safetensors ck;
        ck_assert_int_eq(ak_safetensors_open(&ck, path, &err), AK_OK);
        load_into(&ck, "param", &r.ps);
        load_into(&ck, "optim", &orr.state);
        ak_safetensors_close(&ck);
        train(&r, &orr, &c, 5, STEPS, NULL);
        for (int i = 0; i < a.ps.n; i++)
            ak_assert_bitwise(a.ps.items[i].name, a.ps.items[i].t->data, r.ps.items[i].t->data, a.ps.items[i].t->numel);
        ck_assert_int_eq(oa.state.n, orr.state.n);
        for (int i = 0; i < oa.state.n; i++)
            ak_assert_bitwise(oa.state.items[i].name, oa.state.items[i].t->data, orr.state.items[i].t->data,
                              oa.state.items[i].t->numel);
        ak_optim_free(&oa);
        ak_optim_free(&orr);
        model_free(&a);
        model_free(&r);
        unlink(path);
    }
    ak_safetensors_close(&fx);
}
END_TEST

/* ---- state layout ---- */

START_TEST(state_is_named_arrays) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    int64_t s[2] = {3, 2};
    ak_params_add(&ps, "conv.weight", 2, s, &err);
    ak_params_add_buffer(&ps, "bn.running_var", 2, s, &err);
    ak_params_add(&ps, "conv.bias", 1, s, &err);
    ak_optim o;
    ak_optim_config sgd = ak_optim_sgd_config(0.1, 0.9, 0);
    ck_assert_int_eq(ak_optim_init(&o, &ps, &sgd, &err), AK_OK);
    ck_assert_int_eq(o.state.n, 4); /* momentum_buffer + step per parameter, none for the buffer */
    ck_assert_str_eq(o.state.items[0].name, "momentum_buffer.conv.weight");
    ck_assert_int_eq(o.state.items[0].t->numel, 6);
    ck_assert_str_eq(o.state.items[1].name, "step.conv.weight");
    ck_assert_int_eq(o.state.items[1].t->ndim, 0);
    ck_assert_ptr_nonnull(ak_params_find(&o.state, "momentum_buffer.conv.bias"));
    ak_optim_free(&o);
    ak_optim_config adamw = ak_optim_adamw_config(1e-3, 0.01);
    ck_assert_int_eq(ak_optim_init(&o, &ps, &adamw, &err), AK_OK);
    ck_assert_int_eq(o.state.n, 6);
    ck_assert_ptr_nonnull(ak_params_find(&o.state, "exp_avg.conv.weight"));
    ck_assert_ptr_nonnull(ak_params_find(&o.state, "exp_avg_sq.conv.bias"));
    ck_assert_ptr_nonnull(ak_params_find(&o.state, "step.conv.bias"));
    /* steps count per parameter; a frozen parameter's state does not advance */
    ak_params_set_trainable(&ps, "conv.bias", false);
    ck_assert_int_eq(ak_optim_step(&o, 1e-3, &err), AK_OK);
    ck_assert_int_eq(ak_optim_step(&o, 1e-3, &err), AK_OK);
    ck_assert_float_eq(ak_params_find(&o.state, "step.conv.weight")->t->data[0], 2.0f);
    ck_assert_float_eq(ak_params_find(&o.state, "step.conv.bias")->t->data[0], 0.0f);
    ak_optim_free(&o);
    ak_optim_config plain = ak_optim_sgd_config(0.1, 0, 0);
    ck_assert_int_eq(ak_optim_init(&o, &ps, &plain, &err), AK_OK);
    ck_assert_int_eq(o.state.n, 2); /* only the step counters */
    ak_optim_free(&o);
    ak_params_free(&ps);
}
END_TEST

START_TEST(sgd_dampening_and_nesterov_by_hand) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    int64_t one[1] = {1};
    ak_tensor *w = ak_params_add(&ps, "w", 1, one, &err);
    w->data[0] = 1.0f;
    ak_optim o;
    ak_optim_config c = ak_optim_sgd_config(0.1, 0.9, 0.0);
    c.dampening = 0.5;
    ck_assert_int_eq(ak_optim_init(&o, &ps, &c, &err), AK_OK);
    w->grad[0] = 2.0f;
    ck_assert_int_eq(ak_optim_step(&o, 0.1, &err), AK_OK); /* first step: buf = g (no dampening) */
    ck_assert_float_eq_tol(w->data[0], 1.0f - 0.1f * 2.0f, 1e-7);
    w->grad[0] = 1.0f;
    ck_assert_int_eq(ak_optim_step(&o, 0.1, &err), AK_OK); /* buf = 0.9*2 + 0.5*1 = 2.3 */
    ck_assert_float_eq_tol(w->data[0], 0.8f - 0.1f * 2.3f, 1e-6);
    ak_optim_free(&o);
    /* nesterov with weight decay: d = g + wd p; buf = d; d = d + m buf */
    w->data[0] = 1.0f;
    w->grad[0] = 2.0f;
    c = ak_optim_sgd_config(0.1, 0.9, 0.5);
    c.nesterov = true;
    ck_assert_int_eq(ak_optim_init(&o, &ps, &c, &err), AK_OK);
    ck_assert_int_eq(ak_optim_step(&o, 0.1, &err), AK_OK);
    ck_assert_float_eq_tol(w->data[0], 1.0f - 0.1f * (2.5f + 0.9f * 2.5f), 1e-6);
    ak_optim_free(&o);
    ak_params_free(&ps);
}
END_TEST

/* ---- clipping ---- */

START_TEST(clip_grad_norm_values_and_errors) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    int64_t two[1] = {2}, one[1] = {1};
    ak_tensor *a = ak_params_add(&ps, "a", 1, two, &err), *b = ak_params_add(&ps, "b", 1, one, &err);
    ak_tensor *f = ak_params_add(&ps, "frozen", 1, one, &err);
    ak_params_set_trainable(&ps, "frozen", false);
    a->grad[0] = 3.0f;
    a->grad[1] = 0.0f;
    b->grad[0] = 4.0f;
    f->grad[0] = 100.0f; /* not trainable: neither counted nor scaled */
    float norm;
    ck_assert_int_eq(ak_clip_grad_norm(&ps, 10.0, &norm, &err), AK_OK);
    ck_assert_float_eq(norm, 5.0f);
    ck_assert_float_eq(a->grad[0], 3.0f); /* below max_norm: untouched */
    ck_assert_int_eq(ak_clip_grad_norm(&ps, 1.0, &norm, &err), AK_OK);
    float coef = (1.0f / (5.0f + 1e-6f)) * 1.0f;
    ck_assert_float_eq(a->grad[0], 3.0f * coef);
    ck_assert_float_eq(b->grad[0], 4.0f * coef);
    ck_assert_float_eq(f->grad[0], 100.0f);
    /* errors */
    ck_assert_int_eq(ak_clip_grad_norm(&ps, 0.0, &norm, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "max_norm must be finite and > 0") != NULL, "%s", err.msg);
    ak_error_clear(&err);
    b->grad[0] = NAN;
    float before = a->grad[0];
    ck_assert_int_eq(ak_clip_grad_norm(&ps, 1.0, &norm, &err), AK_ENAN);
    ck_assert_msg(strstr(err.msg, "gradient of b is not finite") != NULL, "%s", err.msg);
    ck_assert_float_eq(a->grad[0], before);
    ak_params_free(&ps);
}
END_TEST

START_TEST(clip_norm_bitwise_for_1_and_2_threads) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    int64_t big[1] = {300001}, small[2] = {7, 3};
    ak_tensor *a = ak_params_add(&ps, "a", 1, big, &err), *b = ak_params_add(&ps, "b", 2, small, &err);
    float *ga = malloc(300001 * sizeof *ga), gb[21];
    ak_test_fill_uniform(ga, 300001, 5, -1, 1);
    ak_test_fill_uniform(gb, 21, 6, -1, 1);
    float norms[2];
    float *res[2];
    int saved = omp_get_max_threads();
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        memcpy(a->grad, ga, 300001 * sizeof *ga);
        memcpy(b->grad, gb, sizeof gb);
        ck_assert_int_eq(ak_clip_grad_norm(&ps, 1.0, &norms[t], &err), AK_OK);
        res[t] = malloc(300001 * sizeof(float));
        memcpy(res[t], a->grad, 300001 * sizeof(float));
    }
    omp_set_num_threads(saved);
    ak_assert_bitwise("clip norm", &norms[0], &norms[1], 1);
    ak_assert_bitwise("clipped grads", res[0], res[1], 300001);
    double ref = 0;
    for (int i = 0; i < 300001; i++)
        ref += (double)ga[i] * ga[i];
    for (int i = 0; i < 21; i++)
        ref += (double)gb[i] * gb[i];
    ck_assert_float_eq_tol(norms[0], sqrt(ref), 1e-7 * sqrt(ref));
    free(ga);
    free(res[0]);
    free(res[1]);
    ak_params_free(&ps);
}
END_TEST

/* ---- paramwise rules ---- */

START_TEST(paramwise_rules_follow_mmcv) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    int64_t s4[4] = {8, 3, 3, 3}, s1[1] = {8}, s2[2] = {10, 8};
    ak_params_add(&ps, "backbone.conv1.weight", 4, s4, &err);
    ak_params_add(&ps, "backbone.bn1.weight", 1, s1, &err);
    ak_params_add(&ps, "backbone.bn1.bias", 1, s1, &err);
    ak_params_add(&ps, "backbone.layer1.0.downsample.1.weight", 1, s1, &err); /* a norm, whatever its name */
    ak_params_add(&ps, "neck.conv.bias", 1, s1, &err);
    ak_params_add(&ps, "head.fc.weight", 2, s2, &err);
    ak_params_add(&ps, "head.fc.bias", 1, s1, &err);
    ak_params_add(&ps, "bias", 1, s1, &err);
    ak_params_add_buffer(&ps, "backbone.bn1.running_mean", 1, s1, &err);
    ak_param_key keys[3] = {{"head", 0.1, 1.0}, {"head.fc", 10.0, 0.0}, {"ead.fc", 3.0, 3.0}};
    ak_paramwise pw = {2.0, 0.5, 0.0, keys, 3};
    ck_assert_int_eq(ak_params_apply_paramwise(&ps, &pw, &err), AK_OK);
    struct { const char *name; float lr, decay; } want[] = {
        {"backbone.conv1.weight", 1, 1},
        {"backbone.bn1.weight", 1, 0},
        {"backbone.bn1.bias", 1, 0},
        {"backbone.layer1.0.downsample.1.weight", 1, 0},
        {"neck.conv.bias", 2, 0.5},
        {"head.fc.weight", 10, 0}, /* matches head, head.fc, ead.fc: the longest, head.fc, wins */
        {"head.fc.bias", 10, 0},   /* a custom key overrides the bias rule */
        {"bias", 2, 0.5},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ak_param *p = ak_params_find(&ps, want[i].name);
        ck_assert_msg(p->lr_mult == want[i].lr && p->decay_mult == want[i].decay, "%s: %g %g, want %g %g",
                      want[i].name, p->lr_mult, p->decay_mult, want[i].lr, want[i].decay);
    }
    /* equal lengths: the alphabetically first key */
    ak_param_key tie[2] = {{"fc.b", 4.0, 1.0}, {"fc.a", 5.0, 1.0}};
    ak_params_add(&ps, "x.fc.a.fc.b", 1, s1, &err);
    pw.custom_keys = tie;
    pw.n_custom_keys = 2;
    ck_assert_int_eq(ak_params_apply_paramwise(&ps, &pw, &err), AK_OK);
    ck_assert_float_eq(ak_params_find(&ps, "x.fc.a.fc.b")->lr_mult, 5.0f);
    /* errors */
    pw.norm_decay_mult = -1;
    ck_assert_int_eq(ak_params_apply_paramwise(&ps, &pw, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "norm_decay_mult -1") != NULL, "%s", err.msg);
    ak_error_clear(&err);
    pw.norm_decay_mult = 0;
    ak_param_key empty[1] = {{"", 1, 1}};
    pw.custom_keys = empty;
    pw.n_custom_keys = 1;
    ck_assert_int_eq(ak_params_apply_paramwise(&ps, &pw, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "custom key 0 is empty") != NULL, "%s", err.msg);
    ak_params_free(&ps);
}
END_TEST

/* ---- errors ---- */

START_TEST(optimizer_errors_name_the_problem) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    int64_t s[1] = {3};
    ak_tensor *w = ak_params_add(&ps, "w", 1, s, &err);
    ak_optim o;
    ak_optim_config c = ak_optim_sgd_config(0.1, 0.0, 0.0);
    c.nesterov = true;
    ck_assert_int_eq(ak_optim_init(&o, &ps, &c, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "nesterov needs momentum > 0 and dampening 0") != NULL, "%s", err.msg);
    ak_error_clear(&err);
    c = ak_optim_adamw_config(1e-3, 0.0);
    c.beta2 = 1.0;
    ck_assert_int_eq(ak_optim_init(&o, &ps, &c, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "betas must be in [0, 1)") != NULL, "%s", err.msg);
    ak_error_clear(&err);
    c = ak_optim_sgd_config(-0.1, 0.9, 0.0);
    ck_assert_int_eq(ak_optim_init(&o, &ps, &c, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "lr must be finite and >= 0, got -0.1") != NULL, "%s", err.msg);
    ak_error_clear(&err);
    /* the registry must not change after init; a failing step changes nothing */
    c = ak_optim_sgd_config(0.1, 0.9, 0.0);
    ck_assert_int_eq(ak_optim_init(&o, &ps, &c, &err), AK_OK);
    w->data[0] = 1.0f;
    w->grad[0] = 1.0f;
    ak_params_add(&ps, "late.weight", 1, s, &err);
    ck_assert_int_eq(ak_optim_step(&o, 0.1, &err), AK_ESTATE);
    ck_assert_msg(strstr(err.msg, "has 2 entries but had 1 at ak_optim_init") != NULL, "%s", err.msg);
    ck_assert_float_eq(w->data[0], 1.0f);
    ak_error_clear(&err);
    ak_optim_free(&o);
    ck_assert_int_eq(ak_optim_init(&o, &ps, &c, &err), AK_OK);
    ck_assert_int_eq(ak_optim_step(&o, NAN, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "lr must be finite") != NULL, "%s", err.msg);
    ak_error_clear(&err);
    ak_lr_schedule bad = {.policy = AK_LR_POLY};
    ck_assert_int_eq(ak_optim_step_at(&o, &bad, 0, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "poly needs max_progress") != NULL, "%s", err.msg);
    ak_error_clear(&err);
    /* float step counters are exact up to 2^24 only */
    ak_params_find(&o.state, "step.w")->t->data[0] = 16777216.0f;
    ck_assert_int_eq(ak_optim_step(&o, 0.1, &err), AK_ERANGE);
    ck_assert_msg(strstr(err.msg, "w has taken 16777216 steps") != NULL, "%s", err.msg);
    ck_assert_float_eq(w->data[0], 1.0f);
    ak_optim_free(&o);
    ak_params_free(&ps);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("optim");
    TCase *tc = tcase_create("optim");
    tcase_add_test(tc, ten_steps_match_pytorch);
    tcase_add_test(tc, save_restore_continue_is_bitwise);
    tcase_add_test(tc, state_is_named_arrays);
    tcase_add_test(tc, sgd_dampening_and_nesterov_by_hand);
    tcase_add_test(tc, clip_grad_norm_values_and_errors);
    tcase_add_test(tc, clip_norm_bitwise_for_1_and_2_threads);
    tcase_add_test(tc, paramwise_rules_follow_mmcv);
    tcase_add_test(tc, optimizer_errors_name_the_problem);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
