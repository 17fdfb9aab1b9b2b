/* Learning-rate schedules (core/schedule.h) against a re-enactment of mmcv's LrUpdaterHook over
 * whole training loops (tools/fixtures/engine_schedule.py), hand-computed values at the boundaries
 * (warmup end, milestones, last iteration), and the configuration checks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aktest.h"
#include "core/schedule.h"

static double sc(const ak_safetensors *st, int k, const char *field) {
    char b[96];
    snprintf(b, sizeof b, "sched.%d.%s", k, field);
    return ak_fixture_scalar(st, b);
}

static ak_lr_schedule fixture_schedule(const ak_safetensors *st, int k) {
    ak_lr_schedule s;
    memset(&s, 0, sizeof s);
    s.policy = (ak_lr_policy)sc(st, k, "policy");
    s.by_epoch = sc(st, k, "by_epoch") != 0;
    s.iters_per_epoch = (int64_t)sc(st, k, "iters_per_epoch");
    s.max_progress = (int64_t)sc(st, k, "max_progress");
    s.step_every = (int64_t)sc(st, k, "step_every");
    s.gamma = sc(st, k, "gamma");
    s.power = sc(st, k, "power");
    s.min_lr = sc(st, k, "min_lr");
    s.use_min_lr_ratio = sc(st, k, "use_min_lr_ratio") != 0;
    s.min_lr_ratio = sc(st, k, "min_lr_ratio");
    s.warmup = (ak_lr_warmup)sc(st, k, "warmup");
    s.warmup_iters = (int64_t)sc(st, k, "warmup_iters");
    s.warmup_ratio = sc(st, k, "warmup_ratio");
    char b[96];
    snprintf(b, sizeof b, "sched.%d.milestones", k);
    const ak_st_entry *m = ak_safetensors_find(st, b);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_le(m->numel, AK_LR_MAX_MILESTONES);
    s.n_milestones = (int)m->numel;
    ak_error err;
    ak_error_clear(&err);
    if (m->numel > 0)
        ck_assert_int_eq(ak_safetensors_read_i64(st, b, s.milestones, m->numel, &err), AK_OK);
    return s;
}

START_TEST(schedules_match_mmcv_hook_bitwise) {
    ak_safetensors st;
    ak_fixture_open(&st, "engine/schedule.safetensors");
    int n = (int)ak_fixture_scalar(&st, "sched.count");
    ck_assert_int_ge(n, 9);
    for (int k = 0; k < n; k++) {
        ak_lr_schedule s = fixture_schedule(&st, k);
        ak_error err;
        ak_error_clear(&err);
        ck_assert_msg(ak_lr_schedule_check(&s, &err) == AK_OK, "case %d: %s", k, err.msg);
        char b[96];
        snprintf(b, sizeof b, "sched.%d.lr", k);
        const ak_st_entry *e = ak_safetensors_find(&st, b);
        ck_assert_ptr_nonnull(e);
        ck_assert_int_eq(e->dtype, AK_ST_F64);
        double base = sc(&st, k, "base_lr");
        for (int64_t i = 0; i < e->numel; i++) {
            double want;
            memcpy(&want, e->data + 8 * i, 8);
            double got = ak_lr_at(&s, base, i);
            /* same double operations in the same order on the same libm: identical bits */
            ck_assert_msg(memcmp(&got, &want, 8) == 0, "case %d iteration %lld: lr %.17g, mmcv %.17g", k, (long long)i,
                          got, want);
        }
    }
    ak_safetensors_close(&st);
}
END_TEST

START_TEST(step_with_linear_warmup_by_hand) {
    /* mmdet 1x: base 0.01, 100 iterations per epoch, milestones at epochs 8 and 11, warmup 500 iters */
    ak_lr_schedule s = {.policy = AK_LR_STEP, .by_epoch = true, .iters_per_epoch = 100, .n_milestones = 2,
                        .milestones = {8, 11}, .gamma = 0.1, .warmup = AK_LR_WARMUP_LINEAR, .warmup_iters = 500,
                        .warmup_ratio = 0.001};
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_lr_schedule_check(&s, &err), AK_OK);
    ck_assert_double_eq_tol(ak_lr_at(&s, 0.01, 0), 0.01 * 0.001, 1e-18);              /* warmup start */
    ck_assert_double_eq_tol(ak_lr_at(&s, 0.01, 250), 0.01 * (1 - 0.5 * 0.999), 1e-17); /* halfway */
    ck_assert_double_eq_tol(ak_lr_at(&s, 0.01, 499), 0.01 * (1 - 0.999 / 500), 1e-17); /* last warmup iter */
    ck_assert_double_eq(ak_lr_at(&s, 0.01, 500), 0.01);                                 /* warmup over */
    ck_assert_double_eq(ak_lr_at(&s, 0.01, 799), 0.01);                                 /* epoch 7 */
    ck_assert_double_eq_tol(ak_lr_at(&s, 0.01, 800), 0.001, 1e-18);                     /* epoch 8 */
    ck_assert_double_eq_tol(ak_lr_at(&s, 0.01, 1099), 0.001, 1e-18);
    ck_assert_double_eq_tol(ak_lr_at(&s, 0.01, 1100), 0.0001, 1e-19);                   /* epoch 11 */
    ck_assert_double_eq_tol(ak_lr_at(&s, 0.01, 1199), 0.0001, 1e-19);                   /* last iteration */
    ck_assert_int_eq(ak_lr_progress(&s, 1199), 11);
}
END_TEST

START_TEST(poly_and_cosine_by_hand) {
    ak_lr_schedule p = {.policy = AK_LR_POLY, .max_progress = 1000, .power = 0.9, .min_lr = 1e-4};
    ck_assert_double_eq(ak_lr_at(&p, 0.01, 0), 0.01);
    ck_assert_double_eq_tol(ak_lr_at(&p, 0.01, 500), (0.01 - 1e-4) * pow(0.5, 0.9) + 1e-4, 1e-17);
    ck_assert_double_eq_tol(ak_lr_at(&p, 0.01, 999), (0.01 - 1e-4) * pow(0.001, 0.9) + 1e-4, 1e-17);
    ck_assert_double_eq(ak_lr_at(&p, 0.01, 1000), 1e-4);
    ck_assert_double_eq(ak_lr_at(&p, 0.01, 5000), 1e-4); /* past the end: clamped, not NaN */
    ck_assert_int_eq(ak_lr_progress(&p, 5000), 1000);
    ak_lr_schedule c = {.policy = AK_LR_COSINE, .max_progress = 100, .min_lr = 1e-5};
    ck_assert_double_eq(ak_lr_at(&c, 0.02, 0), 0.02);
    ck_assert_double_eq_tol(ak_lr_at(&c, 0.02, 50), 1e-5 + 0.5 * (0.02 - 1e-5), 1e-17);
    ck_assert_double_eq_tol(ak_lr_at(&c, 0.02, 100), 1e-5, 1e-18);
    c.use_min_lr_ratio = true;
    c.min_lr_ratio = 0.1;
    ck_assert_double_eq_tol(ak_lr_at(&c, 0.02, 100), 0.002, 1e-18);
    /* constant and exp warmup on a fixed lr */
    ak_lr_schedule f = {.policy = AK_LR_FIXED, .warmup = AK_LR_WARMUP_CONSTANT, .warmup_iters = 10, .warmup_ratio = 0.25};
    ck_assert_double_eq(ak_lr_at(&f, 0.1, 9), 0.025);
    ck_assert_double_eq(ak_lr_at(&f, 0.1, 10), 0.1);
    f.warmup = AK_LR_WARMUP_EXP;
    ck_assert_double_eq_tol(ak_lr_at(&f, 0.1, 0), 0.025, 1e-17);
    ck_assert_double_eq_tol(ak_lr_at(&f, 0.1, 5), 0.1 * pow(0.25, 0.5), 1e-17);
    /* step every 3 units with a floor */
    ak_lr_schedule st = {.policy = AK_LR_STEP, .step_every = 3, .gamma = 0.5, .min_lr = 0.02};
    ck_assert_double_eq(ak_lr_at(&st, 0.1, 2), 0.1);
    ck_assert_double_eq(ak_lr_at(&st, 0.1, 3), 0.05);
    ck_assert_double_eq(ak_lr_at(&st, 0.1, 6), 0.025);
    ck_assert_double_eq(ak_lr_at(&st, 0.1, 9), 0.02); /* 0.0125 floored */
}
END_TEST

#define EXPECT_BAD(sched, needle)                                                                   \
    do {                                                                                           \
        ak_error e_;                                                                               \
        ak_error_clear(&e_);                                                                       \
        ck_assert_int_eq(ak_lr_schedule_check(&(sched), &e_), AK_EINVAL);                          \
        ck_assert_msg(strstr(e_.msg, (needle)) != NULL, "message lacks '%s': %s", (needle), e_.msg); \
    } while (0)

START_TEST(schedule_check_names_the_field) {
    ak_lr_schedule s = {.policy = AK_LR_STEP, .n_milestones = 2, .milestones = {8, 8}, .gamma = 0.1};
    EXPECT_BAD(s, "strictly increasing (milestone 1 is 8)");
    s.milestones[1] = 11;
    s.gamma = 0;
    EXPECT_BAD(s, "gamma must be > 0");
    s.gamma = 0.1;
    s.by_epoch = true;
    EXPECT_BAD(s, "by_epoch needs iters_per_epoch > 0");
    s.by_epoch = false;
    s.n_milestones = 0;
    EXPECT_BAD(s, "needs milestones or step_every > 0");
    ak_lr_schedule p = {.policy = AK_LR_POLY, .power = 0.9};
    EXPECT_BAD(p, "poly needs max_progress");
    p.max_progress = 10;
    p.power = -1;
    EXPECT_BAD(p, "poly power must be >= 0");
    p.power = 0.9;
    p.warmup = AK_LR_WARMUP_LINEAR;
    EXPECT_BAD(p, "warmup_iters must be a positive integer, got 0");
    p.warmup_iters = 5;
    p.warmup_ratio = 0;
    EXPECT_BAD(p, "warmup_ratio must be in (0, 1], got 0");
    p.warmup_ratio = 0.1;
    p.min_lr = -1;
    EXPECT_BAD(p, "min_lr must be >= 0");
    p.min_lr = 0;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_lr_schedule_check(&p, &err), AK_OK);
    p.policy = (ak_lr_policy)9;
    EXPECT_BAD(p, "unknown policy 9");
    p.policy = AK_LR_COSINE;
    p.warmup = (ak_lr_warmup)7;
    EXPECT_BAD(p, "unknown warmup 7");
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("schedule");
    TCase *tc = tcase_create("schedule");
    tcase_add_test(tc, schedules_match_mmcv_hook_bitwise);
    tcase_add_test(tc, step_with_linear_warmup_by_hand);
    tcase_add_test(tc, poly_and_cosine_by_hand);
    tcase_add_test(tc, schedule_check_names_the_field);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
