/* The distiller (baselines/distiller.c, registry.c, teacher.c): with every method, a few SGD steps
 * on a fixed batch lower the distillation loss (and, for MSE, the feature distance) while the
 * teacher stays bitwise unchanged; the tap hook (what akd/ plugs into) sees exactly the feature
 * pairs with the documented rng; head terms expand over levels; the log; configuration errors name
 * their key before training; the frozen-teacher helpers and inherit_from_teacher. */
#include "baselines/distiller.h"
#include "baselines/registry.h"
#include "core/ops/elementwise.h"
#include "core/optim.h"
#include "distill_test.h"
#include "tiny_models.h"

static void base_cfg(ak_run_config *c, int method) {
    memset(c, 0, sizeof *c);
    c->task = AK_TASK_DET;
    c->train.seed = 3;
    c->distill.method = method;
    c->distill.taps.n = 2;
    strcpy(c->distill.taps.v[0], "neck.p3");
    strcpy(c->distill.taps.v[1], "neck.p4");
    c->distill.weight = 1.0;
    c->distill.connector = AK_CONNECTOR_NONE;
    c->distill.cwd.tau = 1.0;
    c->distill.mgd.alpha = 1e-2;
    c->distill.mgd.lambda = 0.5;
    c->distill.fgd.temp = 0.5;
    c->distill.fgd.alpha = 1e-2;
    c->distill.fgd.beta = 1e-2;
    c->distill.fgd.gamma = 1e-2;
    c->distill.fgd.lambda = 1e-3;
    c->distill.pkd.resize_stu = true;
    c->distill.maskd.num_tokens = 4;
    c->distill.maskd.weight_mask = true;
    c->distill.maskd.custom_mask = true;
    c->distill.maskd.custom_mask_warmup = 0;
    c->distill.dist.beta = 1.0;
    c->distill.dist.gamma = 1.0;
    c->distill.head.weight = 1.0;
    c->distill.head.beta = 1.0;
    c->distill.head.tau = 1.0;
    c->akd.ghost_batch = 2;
}

typedef struct rig {
    ak_params sps, tps;
    tiny_net student, teacher;
    float x[2 * 3 * 8 * 8];
    int count[2];
    float boxes0[4], boxes1[8];
    const float *boxes[2];
    ak_gt_boxes gt;
} rig;

static void rig_init(rig *r, int teacher_ch) {
    ak_params_init(&r->sps);
    ak_params_init(&r->tps);
    tiny_init(&r->student, &r->sps, 8, 1);
    tiny_init(&r->teacher, &r->tps, teacher_ch, 2);
    ak_teacher_freeze(&r->tps);
    ak_test_fill_uniform(r->x, 384, 7, -1, 1);
    const float b0[4] = {1, 1, 5, 6}, b1[8] = {0, 2, 8, 8, 3, 3, 4, 4};
    memcpy(r->boxes0, b0, sizeof b0);
    memcpy(r->boxes1, b1, sizeof b1);
    r->count[0] = 1;
    r->count[1] = 2;
    r->boxes[0] = r->boxes0;
    r->boxes[1] = r->boxes1;
    r->gt = (ak_gt_boxes){2, r->count, r->boxes, 8, 8, NULL};
}

static void rig_free(rig *r) {
    ak_params_free(&r->sps);
    ak_params_free(&r->tps);
}

/* One forward of both models into the taps (the teacher through the frozen-teacher helper). */
static void forward_both(ak_ctx *ctx, rig *r, ak_taps *st, ak_taps *tt) {
    int64_t xs[4] = {2, 3, 8, 8};
    ak_tensor *x = ak_tensor_from(ctx, 4, xs, r->x);
    ak_taps_clear(st);
    ak_taps_clear(tt);
    ck_assert_int_eq(ak_teacher_forward(ctx, tiny_forward, &r->teacher, x, tt), AK_OK);
    ck_assert_int_eq(tiny_forward(ctx, &r->student, x, st), AK_OK);
}

static double feature_distance(const ak_taps *st, const ak_taps *tt) {
    double d = 0;
    for (int i = 0; i < 2; i++) {
        const char *n = i ? "neck.p4" : "neck.p3";
        ak_tensor *s = ak_taps_get(st, n), *t = ak_taps_get(tt, n);
        for (int64_t k = 0; k < s->numel; k++)
            d += ((double)s->data[k] - t->data[k]) * ((double)s->data[k] - t->data[k]);
    }
    return d;
}

/* A few SGD steps with the distillation loss alone, the batch and the iteration (so the random
 * masks) fixed. */
static void steps_lower_the_loss(int method, double lr) {
    rig r;
    rig_init(&r, 8);
    ak_run_config cfg;
    base_cfg(&cfg, method);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_taps st, tt;
    forward_both(&ctx, &r, &st, &tt);
    ak_distiller d;
    ak_error err = {0};
    ck_assert_msg(ak_distiller_init(&d, &cfg, &st, &tt, true, &r.sps, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(d.n_feature, 2);
    double dist0 = feature_distance(&st, &tt);
    int n_teacher = r.tps.n;
    float *snap[16];
    for (int i = 0; i < n_teacher; i++)
        snap[i] = dup_floats(r.tps.items[i].t->data, r.tps.items[i].t->numel);
    ak_optim opt;
    ak_optim_config oc = ak_optim_sgd_config(lr, 0.9, 0.0);
    ck_assert_int_eq(ak_optim_init(&opt, &r.sps, &oc, &err), AK_OK);
    double first = 0, last = 0;
    const int steps = 8;
    for (int it = 0; it < steps; it++) {
        ak_ctx_reset(&ctx);
        forward_both(&ctx, &r, &st, &tt);
        ak_tensor *L = ak_distiller_loss(&ctx, &d, &st, &tt, &r.gt, 5, 11, NULL);
        ck_assert_msg(L != NULL, "%s: %s", ak_distill_method_name(method), ctx.err.msg);
        ck_assert_msg(isfinite(L->data[0]), "%s: loss %g", ak_distill_method_name(method), L->data[0]);
        if (it == 0)
            first = L->data[0];
        last = L->data[0];
        ak_params_zero_grad(&r.sps);
        ck_assert_int_eq(ak_backward(&ctx, L), AK_OK);
        ck_assert_int_eq(ak_optim_step(&opt, lr, &err), AK_OK);
    }
    ck_assert_msg(last < 0.9 * first, "%s: distillation loss %g -> %g over %d steps", ak_distill_method_name(method),
                  first, last, steps);
    if (method == AK_DISTILL_MSE) {
        ak_ctx_reset(&ctx);
        forward_both(&ctx, &r, &st, &tt);
        double dist1 = feature_distance(&st, &tt);
        ck_assert_msg(dist1 < dist0, "mse: feature distance %g -> %g", dist0, dist1);
    }
    ck_assert_int_eq(r.tps.n, n_teacher);
    for (int i = 0; i < n_teacher; i++) {
        ak_assert_bitwise(r.tps.items[i].name, r.tps.items[i].t->data, snap[i], r.tps.items[i].t->numel);
        free(snap[i]);
    }
    ak_optim_free(&opt);
    ak_distiller_free(&d);
    ak_ctx_free(&ctx);
    rig_free(&r);
}

START_TEST(mse_steps) { steps_lower_the_loss(AK_DISTILL_MSE, 0.05); }
END_TEST
START_TEST(cwd_steps) { steps_lower_the_loss(AK_DISTILL_CWD, 0.5); }
END_TEST
START_TEST(mgd_steps) { steps_lower_the_loss(AK_DISTILL_MGD, 0.05); }
END_TEST
START_TEST(fgd_steps) { steps_lower_the_loss(AK_DISTILL_FGD, 0.05); }
END_TEST
START_TEST(pkd_steps) { steps_lower_the_loss(AK_DISTILL_PKD, 0.05); }
END_TEST
START_TEST(maskd_steps) { steps_lower_the_loss(AK_DISTILL_MASKD, 0.5); }
END_TEST
START_TEST(dist_steps) { steps_lower_the_loss(AK_DISTILL_DIST, 0.5); }
END_TEST

typedef struct hook_spy {
    int calls, tap_index[8];
    uint64_t streams[8];
} hook_spy;

static ak_tensor *spy_fn(ak_ctx *ctx, ak_distill_loss *loss, const ak_distill_inputs *in, const ak_tap_call *call,
                         void *user) {
    hook_spy *s = user;
    s->tap_index[s->calls] = call->tap_index;
    s->streams[s->calls] = in->rng.stream;
    s->calls++;
    return ak_mul_scalar(ctx, ak_distill_forward(ctx, loss, in), 2.0f);
}

START_TEST(hook_replaces_feature_calls_only) {
    rig r;
    rig_init(&r, 8);
    ak_run_config cfg;
    base_cfg(&cfg, AK_DISTILL_MSE);
    cfg.distill.head.loss = AK_HEAD_L1;
    cfg.distill.head.taps.n = 1;
    strcpy(cfg.distill.head.taps.v[0], "head.reg");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_taps st, tt;
    forward_both(&ctx, &r, &st, &tt);
    ak_distiller d;
    ak_error err = {0};
    ck_assert_msg(ak_distiller_init(&d, &cfg, &st, &tt, true, &r.sps, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(d.n_pairs, 4); /* 2 features + head.reg.p3, head.reg.p4 */
    ck_assert_int_eq(d.n_feature, 2);
    ck_assert_str_eq(d.pairs[3].student_tap, "head.reg.p4");
    ak_tensor *plain = ak_distiller_loss(&ctx, &d, &st, &tt, NULL, 7, 42, NULL);
    ck_assert_ptr_nonnull(plain);
    double feat = 0, head = 0;
    for (int i = 0; i < d.log.n; i++) {
        if (strncmp(d.log.names[i], "mse/", 4) == 0)
            feat += d.log.values[i];
        if (strncmp(d.log.names[i], "l1/head.reg.", 12) == 0)
            head += d.log.values[i];
    }
    ck_assert_int_eq(d.log.n, 4);
    ck_assert_double_eq_tol(d.log.total, feat + head, 1e-6);
    ck_assert_double_eq_tol(plain->data[0], d.log.total, 1e-5);
    hook_spy spy = {0};
    ak_tap_hook hook = {spy_fn, &spy};
    ak_tensor *hooked = ak_distiller_loss(&ctx, &d, &st, &tt, NULL, 7, 42, &hook);
    ck_assert_ptr_nonnull(hooked);
    ck_assert_int_eq(spy.calls, 2);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(spy.tap_index[i], i);
        ck_assert(spy.streams[i] == ak_distill_loss_rng(42, 7, i, 0).stream);
    }
    ck_assert_double_eq_tol(hooked->data[0], 2 * feat + head, 1e-5);
    ak_distiller_free(&d);
    ak_ctx_free(&ctx);
    rig_free(&r);
}
END_TEST

START_TEST(fgd_terms_are_logged) {
    rig r;
    rig_init(&r, 8);
    ak_run_config cfg;
    base_cfg(&cfg, AK_DISTILL_FGD);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_taps st, tt;
    forward_both(&ctx, &r, &st, &tt);
    ak_distiller d;
    ak_error err = {0};
    ck_assert_int_eq(ak_distiller_init(&d, &cfg, &st, &tt, true, &r.sps, &err), AK_OK);
    ck_assert_ptr_nonnull(ak_params_find(&r.sps, "distill.neck.p4.channel_add_conv_t.3.weight"));
    ak_tensor *L = ak_distiller_loss(&ctx, &d, &st, &tt, &r.gt, 0, 1, NULL);
    ck_assert_ptr_nonnull(L);
    const char *terms[4] = {"fgd.fg", "fgd.bg", "fgd.at", "fgd.rela"};
    double sum = 0;
    for (int k = 0; k < 4; k++) {
        int found = 0;
        for (int i = 0; i < d.log.n; i++)
            if (strcmp(d.log.names[i], terms[k]) == 0) {
                found = 1;
                sum += d.log.values[i];
            }
        ck_assert_msg(found, "log has no %s", terms[k]);
    }
    ck_assert_double_eq_tol(sum, L->data[0], 1e-5 * fabs(L->data[0]) + 1e-9);
    /* boxes are required at every call too */
    ck_assert_ptr_null(ak_distiller_loss(&ctx, &d, &st, &tt, NULL, 0, 1, NULL));
    assert_error(&ctx, AK_EINVAL, "fgd", "boxes", NULL);
    ak_distiller_free(&d);
    ak_ctx_free(&ctx);
    rig_free(&r);
}
END_TEST

static void expect_config_error(ak_run_config *cfg, int teacher_ch, bool has_boxes, const char *key, const char *what) {
    rig r;
    rig_init(&r, teacher_ch);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_taps st, tt;
    forward_both(&ctx, &r, &st, &tt);
    ak_distiller d;
    ak_error err = {0};
    ck_assert_int_eq(ak_distiller_init(&d, cfg, &st, &tt, has_boxes, &r.sps, &err), AK_EINVAL);
    ck_assert_msg(strncmp(err.msg, key, strlen(key)) == 0, "message '%s' does not start with the key %s", err.msg, key);
    ck_assert_msg(strstr(err.msg, what) != NULL, "message '%s' does not mention '%s'", err.msg, what);
    ck_assert_int_eq(d.n_pairs, 0);
    ak_distiller_free(&d);
    ak_ctx_free(&ctx);
    rig_free(&r);
}

static void expect_config_ok(ak_run_config *cfg, int teacher_ch) {
    rig r;
    rig_init(&r, teacher_ch);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_taps st, tt;
    forward_both(&ctx, &r, &st, &tt);
    ak_distiller d;
    ak_error err = {0};
    ck_assert_msg(ak_distiller_init(&d, cfg, &st, &tt, true, &r.sps, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_distiller_loss(&ctx, &d, &st, &tt, &r.gt, 0, 1, NULL) != NULL, "%s", ctx.err.msg);
    ak_distiller_free(&d);
    ak_ctx_free(&ctx);
    rig_free(&r);
}

START_TEST(bad_configuration_fails_before_training) {
    ak_run_config cfg;
    base_cfg(&cfg, AK_DISTILL_CWD);
    strcpy(cfg.distill.taps.v[1], "neck.p9");
    expect_config_error(&cfg, 8, true, "distill.taps", "neck.p9");
    base_cfg(&cfg, AK_DISTILL_CWD);
    cfg.distill.teacher_taps.n = 2;
    strcpy(cfg.distill.teacher_taps.v[0], "neck.p3");
    strcpy(cfg.distill.teacher_taps.v[1], "backbone.c5");
    expect_config_error(&cfg, 8, true, "distill.teacher_taps", "backbone.c5");
    base_cfg(&cfg, AK_DISTILL_MSE);
    expect_config_error(&cfg, 16, true, "distill.connector", "8 student and 16 teacher channels");
    cfg.distill.connector = AK_CONNECTOR_CONV1X1;
    expect_config_ok(&cfg, 16);
    cfg.distill.connector = AK_CONNECTOR_CONV_BN;
    expect_config_ok(&cfg, 16);
    base_cfg(&cfg, AK_DISTILL_MSE);
    cfg.distill.teacher_taps.n = 2;
    strcpy(cfg.distill.teacher_taps.v[0], "neck.p4"); /* student p3 (8x8) against teacher p4 (4x4) */
    strcpy(cfg.distill.teacher_taps.v[1], "neck.p4");
    expect_config_error(&cfg, 8, true, "distill.connector", "spatial sizes differ");
    cfg.distill.connector = AK_CONNECTOR_RESIZE_STUDENT;
    expect_config_ok(&cfg, 8);
    cfg.distill.connector = AK_CONNECTOR_RESIZE_TEACHER;
    expect_config_ok(&cfg, 8);
    cfg.distill.connector = AK_CONNECTOR_NONE;
    cfg.distill.method = AK_DISTILL_PKD; /* PKD resizes by itself */
    expect_config_ok(&cfg, 8);
    base_cfg(&cfg, AK_DISTILL_FGD);
    expect_config_error(&cfg, 8, false, "distill.method", "fgd needs ground-truth boxes");
    base_cfg(&cfg, AK_DISTILL_MSE);
    cfg.distill.head.loss = AK_HEAD_SMOOTH_L1;
    cfg.distill.head.taps.n = 1;
    strcpy(cfg.distill.head.taps.v[0], "head.box");
    expect_config_error(&cfg, 8, true, "distill.head.taps", "head.box");
    base_cfg(&cfg, AK_DISTILL_MSE);
    cfg.distill.head.loss = AK_HEAD_L1;
    cfg.distill.head.taps.n = 1;
    strcpy(cfg.distill.head.taps.v[0], "head.reg");
    expect_config_error(&cfg, 16, true, "distill.connector", "channels"); /* features checked first */
}
END_TEST

START_TEST(registry_by_name_and_errors) {
    ak_run_config cfg;
    base_cfg(&cfg, AK_DISTILL_MSE);
    ak_params ps;
    ak_params_init(&ps);
    ak_error err = {0};
    const char *names[7] = {"mse", "cwd", "mgd", "fgd", "pkd", "maskd", "dist"};
    for (int i = 0; i < 7; i++) {
        char tap[32];
        snprintf(tap, sizeof tap, "t%d", i);
        ak_distill_loss *l = ak_distill_loss_create_named(names[i], tap, &cfg, 8, &ps, &err);
        ck_assert_msg(l != NULL, "%s: %s", names[i], err.msg);
        ck_assert_str_eq(l->ops->method, names[i]);
        ak_distill_loss_destroy(l);
    }
    /* MGD generator trainable by default, frozen with the quirk flag; MasKD always frozen */
    ck_assert(ak_params_find(&ps, "distill.t2.generation.0.weight")->trainable);
    ck_assert(!ak_params_find(&ps, "distill.t5.mask_token")->trainable);
    cfg.distill.frozen_loss_params = true;
    ak_distill_loss *l = ak_distill_loss_create(AK_DISTILL_FGD, "frozen", &cfg, 8, &ps, &err);
    ck_assert(!ak_params_find(&ps, "distill.frozen.conv_mask_s.weight")->trainable);
    ak_distill_loss_destroy(l);
    ck_assert_ptr_null(ak_distill_loss_create_named("kd", "x", &cfg, 8, &ps, &err));
    ck_assert_int_eq(err.code, AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "distill.method"));
    ck_assert_ptr_nonnull(strstr(err.msg, "kd"));
    ak_error_clear(&err);
    ck_assert_ptr_null(ak_distill_loss_create(AK_DISTILL_NONE, "x", &cfg, 8, &ps, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "distill.method"));
    const int heads[4] = {AK_HEAD_L1, AK_HEAD_SMOOTH_L1, AK_HEAD_DIST, AK_HEAD_CWD};
    const char *head_names[4] = {"l1", "smooth_l1", "dist", "cwd"};
    for (int i = 0; i < 4; i++) {
        l = ak_head_loss_create(heads[i], "head.cls.p3", &cfg, &err);
        ck_assert_ptr_nonnull(l);
        ck_assert_str_eq(l->ops->method, head_names[i]);
        ak_distill_loss_destroy(l);
    }
    ak_params_free(&ps);
}
END_TEST

START_TEST(teacher_helpers) {
    rig r;
    rig_init(&r, 8);
    /* a teacher whose parameters would require gradients still records nothing */
    ak_params_set_trainable(&r.tps, "", true);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t xs[4] = {2, 3, 8, 8};
    ak_tensor *x = ak_tensor_from(&ctx, 4, xs, r.x);
    ak_taps tt;
    ak_taps_clear(&tt);
    int64_t before = ctx.tape.n;
    ck_assert_int_eq(ak_teacher_forward(&ctx, tiny_forward, &r.teacher, x, &tt), AK_OK);
    ck_assert_int_eq(ctx.tape.n, before);
    ck_assert(ctx.record);
    for (int i = 0; i < tt.n; i++)
        ck_assert_msg(!tt.t[i]->requires_grad, "teacher tap %s requires a gradient", tt.names[i]);
    ck_assert_int_eq(ak_teacher_freeze(&r.tps), r.tps.n);
    for (int i = 0; i < r.tps.n; i++)
        ck_assert(!r.tps.items[i].trainable && !r.tps.items[i].t->requires_grad);
    ak_ctx_free(&ctx);
    rig_free(&r);
}
END_TEST

START_TEST(inherit_from_teacher) {
    rig r;
    rig_init(&r, 8);
    ak_error err = {0};
    int copied = 0;
    ck_assert_int_eq(ak_inherit_from_teacher(&r.sps, &r.tps, AK_INHERIT_NECK, &copied, &err), AK_OK);
    ck_assert_int_eq(copied, 4);
    ak_param *sn = ak_params_find(&r.sps, "neck.c1.weight"), *tn = ak_params_find(&r.tps, "neck.c1.weight");
    ak_assert_bitwise("inherited neck", sn->t->data, tn->t->data, sn->t->numel);
    ak_param *sh = ak_params_find(&r.sps, "bbox_head.reg.weight"), *th = ak_params_find(&r.tps, "bbox_head.reg.weight");
    ck_assert(memcmp(sh->t->data, th->t->data, (size_t)sh->t->numel * sizeof(float)) != 0);
    ck_assert_int_eq(ak_inherit_from_teacher(&r.sps, &r.tps, AK_INHERIT_NECK_HEAD, &copied, &err), AK_OK);
    ck_assert_int_eq(copied, 6);
    ak_assert_bitwise("inherited head", sh->t->data, th->t->data, sh->t->numel);
    ck_assert_int_eq(ak_inherit_from_teacher(&r.sps, &r.tps, AK_INHERIT_NONE, &copied, &err), AK_OK);
    ck_assert_int_eq(copied, 0);
    rig_free(&r);
    /* head only: the head is copied, the neck keeps the student's own values */
    rig_init(&r, 8);
    sn = ak_params_find(&r.sps, "neck.c1.weight");
    tn = ak_params_find(&r.tps, "neck.c1.weight");
    sh = ak_params_find(&r.sps, "bbox_head.reg.weight");
    th = ak_params_find(&r.tps, "bbox_head.reg.weight");
    ck_assert_int_eq(ak_inherit_from_teacher(&r.sps, &r.tps, AK_INHERIT_HEAD, &copied, &err), AK_OK);
    ck_assert_int_eq(copied, 2);
    ak_assert_bitwise("inherited head only", sh->t->data, th->t->data, sh->t->numel);
    ck_assert(memcmp(sn->t->data, tn->t->data, (size_t)sn->t->numel * sizeof(float)) != 0);
    rig_free(&r);
    /* a wider teacher: shapes differ */
    rig_init(&r, 16);
    ck_assert_int_eq(ak_inherit_from_teacher(&r.sps, &r.tps, AK_INHERIT_NECK, &copied, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "model.inherit_from_teacher"));
    ck_assert_ptr_nonnull(strstr(err.msg, "neck.c1.weight"));
    rig_free(&r);
    /* a teacher without a neck */
    ak_params s, t;
    ak_params_init(&s);
    ak_params_init(&t);
    int64_t one[1] = {3};
    ak_params_add(&s, "neck.x", 1, one, &err);
    ak_params_add(&t, "backbone.x", 1, one, &err);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_inherit_from_teacher(&s, &t, AK_INHERIT_NECK, &copied, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "teacher has no tensor neck.x"));
    ak_params_free(&s);
    ak_params_free(&t);
}
END_TEST

/* The whole per-tap pipeline of every method gives bitwise the same loss and gradients with 1 and 2
 * threads, on maps large enough for the kernels' parallel paths. */
START_TEST(thread_independent) {
    const int methods[7] = {AK_DISTILL_MSE, AK_DISTILL_CWD, AK_DISTILL_MGD, AK_DISTILL_FGD,
                            AK_DISTILL_PKD, AK_DISTILL_MASKD, AK_DISTILL_DIST};
    const int64_t shape[4] = {2, 32, 40, 36}, n = 2 * 32 * 40 * 36;
    float *sv = malloc(n * sizeof *sv), *tv = malloc(n * sizeof *tv);
    ak_test_fill_uniform(sv, n, 101, -2, 2);
    ak_test_fill_uniform(tv, n, 102, -2, 2);
    int count[2] = {1, 1};
    float b[8] = {3, 4, 20, 30, 0, 0, 36, 40};
    const float *boxes[2] = {b, b + 4};
    ak_gt_boxes gt = {2, count, boxes, 40, 36, NULL};
    for (int m = 0; m < 7; m++) {
        float *res[2][2];
        float loss[2];
        for (int th = 0; th < 2; th++) {
            omp_set_num_threads(th + 1);
            ak_run_config cfg;
            base_cfg(&cfg, methods[m]);
            cfg.distill.taps.n = 1;
            cfg.distill.connector = methods[m] == AK_DISTILL_MSE ? AK_CONNECTOR_CONV1X1 : AK_CONNECTOR_NONE;
            ak_ctx ctx;
            ak_ctx_init(&ctx, 0, 0);
            ak_taps st, tt;
            ak_taps_clear(&st);
            ak_taps_clear(&tt);
            ak_tensor *S = ak_tensor_from(&ctx, 4, shape, sv), *T = ak_tensor_from(&ctx, 4, shape, tv);
            S->requires_grad = true;
            ak_taps_put(&st, "neck.p3", S);
            ak_taps_put(&tt, "neck.p3", T);
            ak_params ps;
            ak_params_init(&ps);
            ak_distiller d;
            ak_error err = {0};
            ck_assert_msg(ak_distiller_init(&d, &cfg, &st, &tt, true, &ps, &err) == AK_OK, "%s", err.msg);
            ak_tensor *L = ak_distiller_loss(&ctx, &d, &st, &tt, &gt, 3, 9, NULL);
            ck_assert_msg(L != NULL, "%s", ctx.err.msg);
            ck_assert_int_eq(ak_backward(&ctx, L), AK_OK);
            loss[th] = L->data[0];
            res[th][0] = dup_floats(S->grad, n);
            /* the first trainable loss / connector parameter, when there is one */
            res[th][1] = NULL;
            for (int i = 0; i < ps.n && !res[th][1]; i++)
                if (ps.items[i].trainable)
                    res[th][1] = dup_floats(ps.items[i].t->grad, ps.items[i].t->numel);
            ak_distiller_free(&d);
            ak_params_free(&ps);
            ak_ctx_free(&ctx);
        }
        omp_set_num_threads(2);
        ak_assert_bitwise(ak_distill_method_name(methods[m]), &loss[0], &loss[1], 1);
        ak_assert_bitwise(ak_distill_method_name(methods[m]), res[0][0], res[1][0], n);
        ck_assert((res[0][1] == NULL) == (res[1][1] == NULL));
        if (res[0][1])
            ak_assert_bitwise(ak_distill_method_name(methods[m]), res[0][1], res[1][1], 32);
        for (int th = 0; th < 2; th++) {
            free(res[th][0]);
            free(res[th][1]);
        }
    }
    free(sv);
    free(tv);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("distiller");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, mse_steps);
    tcase_add_test(tc, cwd_steps);
    tcase_add_test(tc, mgd_steps);
    tcase_add_test(tc, fgd_steps);
    tcase_add_test(tc, pkd_steps);
    tcase_add_test(tc, maskd_steps);
    tcase_add_test(tc, dist_steps);
    tcase_add_test(tc, hook_replaces_feature_calls_only);
    tcase_add_test(tc, fgd_terms_are_logged);
    tcase_add_test(tc, bad_configuration_fails_before_training);
    tcase_add_test(tc, registry_by_name_and_errors);
    tcase_add_test(tc, teacher_helpers);
    tcase_add_test(tc, inherit_from_teacher);
    tcase_add_test(tc, thread_independent);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
