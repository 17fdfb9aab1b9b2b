/* MasKD (baselines/maskd.c, maskd_tokens.c) against PyTorch (tools/fixtures/distill_maskd.py): the KD
 * loss with / without the weighting head and with the customised mask, gradients of the student and
 * of the tokens / head; the warm-up switch; the token-learning forward (masked features, Dice) and its
 * gradients; finite differences; a token-learning run that lowers its loss and leaves the teacher
 * untouched; loading converted tokens; errors. */
#include <unistd.h>

#include "baselines/maskd.h"
#include "baselines/maskd_det.h"
#include "baselines/methods.h"
#include "core/ops/conv2d.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "distill_test.h"

static ak_distill_loss *make(ak_params *ps, const char *tap, bool wm, bool custom, ak_error *err) {
    ak_maskd_opts o = {7.0f, 6, 3, wm, custom, 10, 5};
    return ak_maskd_loss_create(tap, &o, ps, err);
}

START_TEST(loss_matches_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "distill/maskd.safetensors");
    const char *cases[3] = {"weighted", "custom", "plain"};
    for (int c = 0; c < 3; c++) {
        bool wm = fx_num(&fx, "%s.weight_mask", cases[c]) != 0, custom = fx_num(&fx, "%s.custom", cases[c]) != 0;
        ak_params ps;
        ak_params_init(&ps);
        ak_error err = {0};
        ak_distill_loss *l = make(&ps, "neck.p4", wm, custom, &err);
        ck_assert_msg(l != NULL, "%s", err.msg);
        ck_assert(!ak_params_find(&ps, "distill.neck.p4.mask_token")->trainable); /* frozen in the KD stage */
        ak_ctx ctx;
        ak_ctx_init(&ctx, 0, 0);
        load_loss_params(&ctx, &fx, cases[c], l);
        ak_tensor *s = fxt(&ctx, &fx, "%s.s", cases[c]);
        s->requires_grad = true;
        ak_rng rng = {0, 0};
        ak_tensor *out = run_loss(&ctx, l, s, fxt(&ctx, &fx, "%s.t", cases[c]), NULL, 10, rng);
        ck_assert_msg(out != NULL, "%s", ctx.err.msg);
        ak_assert_close(cases[c], out->data, fxt(&ctx, &fx, "%s.out", cases[c])->data, 1, 1e-5, 0);
        ck_assert_int_eq(ak_backward(&ctx, out), AK_OK);
        assert_grad("maskd ds", s, fxt(&ctx, &fx, "%s.ds", cases[c]), 1e-4, 1e-7);
        if (wm) {
            check_loss_param_grads(&ctx, &fx, cases[c], l, 1e-4, 1e-7);
        } else {
            ak_tensor *e = *ak_distill_loss_param_slot(l, "mask_token");
            assert_grad("maskd dmask_token", e, fxt(&ctx, &fx, "%s.dp.mask_token", cases[c]), 1e-4, 1e-7);
        }
        ak_ctx_free(&ctx);
        ak_distill_loss_destroy(l);
        ak_params_free(&ps);
    }
    ak_safetensors_close(&fx);
}
END_TEST

/* Masks that underflow to 0 on a 1x1 map (token . teacher far below -88): the level's loss is 0
 * with a zero gradient, not NaN (the 0/0 of sum M^2 x / sum M). */
START_TEST(vanishing_masks_give_zero_not_nan) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err = {0};
    ak_distill_loss *l = make(&ps, "neck.p7", false, false, &err);
    ck_assert_msg(l != NULL, "%s", err.msg);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_tensor *e = *ak_distill_loss_param_slot(l, "mask_token"); /* (K, C) */
    for (int64_t i = 0; i < e->numel; i++)
        e->data[i] = 1.0f;
    const int64_t shape[4] = {2, e->shape[1], 1, 1};
    ak_tensor *s = ak_tensor_new(&ctx, "test", 4, shape), *t = ak_tensor_new(&ctx, "test", 4, shape);
    for (int64_t i = 0; i < t->numel; i++) {
        t->data[i] = -50.0f; /* logits C * -50 <= -300: sigmoid is exactly 0 in float */
        s->data[i] = 0.5f;
    }
    s->requires_grad = true;
    ak_rng rng = {0, 0};
    ak_tensor *out = run_loss(&ctx, l, s, t, NULL, 0, rng);
    ck_assert_msg(out != NULL, "%s", ctx.err.msg);
    ck_assert_msg(out->data[0] == 0.0f, "loss %g, expected 0", (double)out->data[0]);
    ck_assert_int_eq(ak_backward(&ctx, out), AK_OK);
    const float *g = ak_grad_of(&ctx, s);
    ck_assert_ptr_nonnull(g);
    for (int64_t i = 0; i < s->numel; i++)
        ck_assert_msg(g[i] == 0.0f, "grad[%lld] = %g", (long long)i, (double)g[i]);
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(l);
    ak_params_free(&ps);
}
END_TEST

START_TEST(custom_mask_starts_after_warmup) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "distill/maskd.safetensors");
    ak_params ps;
    ak_params_init(&ps);
    ak_error err = {0};
    ak_distill_loss *custom = make(&ps, "a", true, true, &err), *plain = make(&ps, "b", true, false, &err);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    load_loss_params(&ctx, &fx, "custom", custom);
    load_loss_params(&ctx, &fx, "custom", plain);
    ak_tensor *s = fxt(&ctx, &fx, "custom.s"), *t = fxt(&ctx, &fx, "custom.t");
    ak_rng rng = {0, 0};
    float before = run_loss(&ctx, custom, s, t, NULL, 9, rng)->data[0];
    float off = run_loss(&ctx, plain, s, t, NULL, 100, rng)->data[0];
    float after = run_loss(&ctx, custom, s, t, NULL, 10, rng)->data[0];
    ck_assert_float_eq(before, off);
    ak_assert_close("customised at the warm-up iteration", &after, fxt(&ctx, &fx, "custom.out")->data, 1, 1e-5, 0);
    ck_assert(after != before);
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(custom);
    ak_distill_loss_destroy(plain);
    ak_params_free(&ps);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(token_stage_forward_matches_torch) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "distill/maskd.safetensors");
    ak_params ps;
    ak_params_init(&ps);
    ak_error err = {0};
    ak_distill_loss *l = make(&ps, "neck.p3", true, true, &err);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    load_loss_params(&ctx, &fx, "stage", l);
    ak_tensor *masked, *dice;
    ck_assert_int_eq(ak_maskd_apply(&ctx, l, fxt(&ctx, &fx, "stage.t"), &masked, &dice), AK_OK);
    ak_assert_close("maskd masked features", masked->data, fxt(&ctx, &fx, "stage.masked")->data, masked->numel, 1e-5, 1e-7);
    ak_assert_close("maskd dice", dice->data, fxt(&ctx, &fx, "stage.dice")->data, 1, 1e-5, 0);
    ak_tensor *obj = ak_add(&ctx, ak_sum_all(&ctx, ak_mul(&ctx, masked, fxt(&ctx, &fx, "stage.dy"))),
                            ak_mul_scalar(&ctx, dice, 0.5f));
    ck_assert_int_eq(ak_backward(&ctx, obj), AK_OK);
    check_loss_param_grads(&ctx, &fx, "stage", l, 1e-4, 1e-6);
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(l);
    ak_params_free(&ps);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(finite_differences) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "distill/maskd.safetensors");
    ak_params ps;
    ak_params_init(&ps);
    ak_error err = {0};
    ak_distill_loss *l = make(&ps, "neck.p3", true, true, &err);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    load_loss_params(&ctx, &fx, "custom", l);
    fd_loss u = {.loss = l, .iteration = 10, .n_params = 5};
    ak_gradcheck_input in[7];
    in[0] = fd_input_of("s", fxt(&ctx, &fx, "custom.s"), 1);
    in[1] = fd_input_of("t", fxt(&ctx, &fx, "custom.t"), 0);
    for (int i = 0; i < 5; i++) {
        u.params[i] = ak_distill_loss_param_name(l, i);
        in[2 + i] = fd_input_of(u.params[i], *ak_distill_loss_param_slot(l, u.params[i]), 1);
    }
    /* the student also enters the (stop-gradient) customised mask, so check before the warm-up */
    u.iteration = 0;
    ak_gradcheck_opts o = {.eps = 2e-2, .atol = 1e-4, .max_elems = 24}; /* quadratic in s; float noise of a ~10 loss */
    ak_gradcheck("maskd", fd_loss_fn, &u, in, 7, &o);
    free_fd_inputs(in, 7);
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(l);
    ak_params_free(&ps);
    ak_safetensors_close(&fx);
}
END_TEST

/* A toy detector task for the token stage: two "neck levels" of fixed teacher features and a frozen
 * 1x1 conv "head" whose output should match a target that depends on where the features are. */
typedef struct toy_task {
    ak_params teacher; /* the frozen head */
    ak_tensor *head_w;
    float feats[2][2 * 6 * 5 * 4], target[2][2 * 2 * 5 * 4];
} toy_task;

static int toy_features(ak_ctx *ctx, void *user, int64_t iter, ak_tensor **feats, int n) {
    toy_task *t = user;
    (void)iter;
    int64_t shape[4] = {2, 6, 5, 4};
    for (int l = 0; l < n; l++)
        feats[l] = ak_tensor_from(ctx, 4, shape, t->feats[l]);
    return AK_OK;
}

static ak_tensor *toy_loss(ak_ctx *ctx, void *user, int64_t iter, ak_tensor *const *feats, int n) {
    toy_task *t = user;
    (void)iter;
    ak_tensor *total = NULL;
    int64_t shape[4] = {2, 2, 5, 4};
    for (int l = 0; l < n; l++) {
        ak_tensor *y = ak_conv2d(ctx, feats[l], t->head_w, NULL, NULL);
        ak_tensor *d = ak_sub(ctx, y, ak_tensor_from(ctx, 4, shape, t->target[l]));
        ak_tensor *m = ak_mean_all(ctx, ak_mul(ctx, d, d));
        total = total ? ak_add(ctx, total, m) : m;
    }
    return total;
}

START_TEST(token_learning_lowers_its_loss) {
    toy_task task;
    ak_params_init(&task.teacher);
    ak_error err = {0};
    int64_t hw[4] = {2, 6, 1, 1};
    task.head_w = ak_params_add(&task.teacher, "bbox_head.w", 4, hw, &err);
    ak_test_fill_uniform(task.head_w->data, 12, 80, -1, 1);
    ak_params_set_trainable(&task.teacher, "", false);
    for (int l = 0; l < 2; l++) {
        ak_test_fill_uniform(task.feats[l], 240, 81 + l, -1, 1);
        ak_test_fill_uniform(task.target[l], 80, 83 + l, -0.2f, 0.2f);
        for (int i = 0; i < 40; i++) /* the left half of each image carries the signal */
            if (i % 4 < 2)
                task.target[l][i] = 2.0f * task.target[l][i] + 0.5f;
    }
    float head_before[12];
    memcpy(head_before, task.head_w->data, sizeof head_before);
    ak_params ps;
    ak_params_init(&ps);
    ak_distill_loss *levels[2] = {make(&ps, "neck.p3", true, true, &err), make(&ps, "neck.p4", true, true, &err)};
    float token_before[18];
    memcpy(token_before, ak_params_find(&ps, "distill.neck.p3.mask_token")->t->data, sizeof token_before);
    ak_maskd_token_cfg cfg = ak_maskd_token_defaults();
    cfg.iters = 40;
    cfg.lr = 0.05;
    ak_maskd_task tk = {toy_features, toy_loss, &task};
    ak_maskd_token_log log;
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ck_assert_msg(ak_maskd_learn_tokens(&ctx, levels, 2, &cfg, &tk, &log, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(log.last_total < 0.9 * log.first_total, "token learning: %g -> %g", log.first_total, log.last_total);
    ak_assert_bitwise("frozen teacher head", task.head_w->data, head_before, 12);
    ck_assert(memcmp(token_before, ak_params_find(&ps, "distill.neck.p3.mask_token")->t->data, sizeof token_before));
    /* back to frozen for the KD stage */
    ck_assert(!(*ak_distill_loss_param_slot(levels[0], "mask_token"))->requires_grad);
    ck_assert(!ak_params_find(&ps, "distill.neck.p3.prob.0.weight")->trainable);
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(levels[0]);
    ak_distill_loss_destroy(levels[1]);
    ak_params_free(&ps);
    ak_params_free(&task.teacher);
}
END_TEST

typedef struct det_batch {
    float x[2 * 3 * 64 * 64];
    float boxes[8];
    int32_t labels[2];
    ak_det_target tg[2];
    ak_det_image imgs[2];
} det_batch;

static int det_batch_fn(ak_ctx *ctx, void *user, int64_t iter, ak_tensor **x, const ak_det_image **imgs,
                        const ak_det_target **targets) {
    det_batch *b = user;
    (void)iter;
    int64_t xs[4] = {2, 3, 64, 64};
    *x = ak_tensor_from(ctx, 4, xs, b->x);
    *imgs = b->imgs;
    *targets = b->tg;
    return *x ? AK_OK : ctx->err.code;
}

/* The stage on a small frozen RetinaNet: Dice + detection loss go down, the teacher is untouched. */
START_TEST(token_learning_on_a_detector) {
    ak_params tps, ps;
    ak_params_init(&tps);
    ak_params_init(&ps);
    ak_error err = {0};
    ak_detector det;
    ak_detector_cfg dc = ak_detector_cfg_preset(AK_HEAD_RETINANET, AK_DET_MMDET, 18, 3);
    dc.backbone.width_mult = 0.25f;
    dc.neck.out_channels = 16;
    dc.retina.feat_channels = 16;
    dc.retina.stacked_convs = 1;
    ck_assert_msg(ak_detector_init(&det, &tps, &dc, 5, &err) == AK_OK, "%s", err.msg);
    ak_params_set_trainable(&tps, "", false);
    float *snap[256];
    ck_assert_int_le(tps.n, 256);
    for (int i = 0; i < tps.n; i++)
        snap[i] = dup_floats(tps.items[i].t->data, tps.items[i].t->numel);
    det_batch *b = calloc(1, sizeof *b);
    ak_test_fill_uniform(b->x, 2 * 3 * 64 * 64, 5, -1, 1);
    const float boxes[8] = {4, 6, 40, 50, 20, 10, 60, 60};
    memcpy(b->boxes, boxes, sizeof boxes);
    b->labels[0] = 0;
    b->labels[1] = 2;
    b->tg[0] = (ak_det_target){b->boxes, b->labels, NULL, 1};
    b->tg[1] = (ak_det_target){b->boxes + 4, b->labels + 1, NULL, 1};
    b->imgs[0] = b->imgs[1] = (ak_det_image){64, 64, 64, 64, 1.0f, 1.0f};
    ak_distill_loss *levels[5];
    for (int l = 0; l < 5; l++) {
        char tap[16];
        snprintf(tap, sizeof tap, "neck.p%d", l + 3);
        ak_maskd_opts o = {1.0f, 16, 4, true, true, 0, 9};
        levels[l] = ak_maskd_loss_create(tap, &o, &ps, &err);
        ck_assert_ptr_nonnull(levels[l]);
    }
    ak_maskd_det_task dt = {&det, det_batch_fn, b, NULL, NULL, NULL};
    ak_maskd_task task = ak_maskd_det_task_get(&dt);
    ak_maskd_token_cfg cfg = ak_maskd_token_defaults();
    cfg.iters = 12;
    ak_maskd_token_log log;
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ck_assert_msg(ak_maskd_learn_tokens(&ctx, levels, 5, &cfg, &task, &log, &err) == AK_OK, "%s", err.msg);
    if (getenv("AK_VERBOSE"))
        fprintf(stderr, "token stage on RetinaNet: %g -> %g (task %g, dice %g)\n", log.first_total, log.last_total, log.task, log.dice);
    ck_assert_msg(log.last_total < log.first_total, "token stage: %g -> %g", log.first_total, log.last_total);
    for (int i = 0; i < tps.n; i++) {
        ak_assert_bitwise(tps.items[i].name, tps.items[i].t->data, snap[i], tps.items[i].t->numel);
        free(snap[i]);
    }
    /* four levels for a five-level neck */
    ck_assert_int_ne(ak_maskd_learn_tokens(&ctx, levels, 4, &cfg, &task, &log, &err), AK_OK);
    ck_assert_ptr_nonnull(strstr(err.msg, "distill.taps"));
    for (int l = 0; l < 5; l++)
        ak_distill_loss_destroy(levels[l]);
    ak_ctx_free(&ctx);
    ak_detector_free(&det);
    ak_params_free(&tps);
    ak_params_free(&ps);
    free(b);
}
END_TEST

START_TEST(load_converted_tokens) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err = {0};
    ak_distill_loss *l = make(&ps, "neck.p3", true, true, &err);
    char path[] = "/tmp/ak_maskd_tokensXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    const char *names[5] = {"mask_token", "prob.0.weight", "prob.0.bias", "prob.2.weight", "prob.2.bias"};
    ak_st_write_entry e[5];
    char keys[5][64];
    float *vals[5];
    for (int i = 0; i < 5; i++) {
        ak_tensor *p = *ak_distill_loss_param_slot(l, names[i]);
        snprintf(keys[i], sizeof keys[i], "mask_modules.0.%s", names[i]);
        vals[i] = malloc((size_t)p->numel * sizeof(float));
        ak_test_fill_uniform(vals[i], p->numel, 90 + i, -1, 1);
        e[i] = (ak_st_write_entry){keys[i], p->ndim, p->shape, vals[i]};
    }
    ck_assert_int_eq(ak_safetensors_write_f32(path, e, 5, NULL, 0, &err), AK_OK);
    ck_assert_msg(ak_maskd_load_tokens(&l, 1, path, &err) == AK_OK, "%s", err.msg);
    for (int i = 0; i < 5; i++) {
        ak_tensor *p = *ak_distill_loss_param_slot(l, names[i]);
        ak_assert_bitwise(names[i], p->data, vals[i], p->numel);
    }
    /* strict: one key missing */
    ck_assert_int_eq(ak_safetensors_write_f32(path, e, 4, NULL, 0, &err), AK_OK);
    ck_assert_int_eq(ak_maskd_load_tokens(&l, 1, path, &err), AK_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "mask_modules.0.prob.2.bias"));
    ck_assert_ptr_nonnull(strstr(err.msg, path));
    unlink(path);
    for (int i = 0; i < 5; i++)
        free(vals[i]);
    ak_distill_loss_destroy(l);
    ak_params_free(&ps);
}
END_TEST

START_TEST(errors) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err = {0};
    ak_maskd_opts bad = {1.0f, 6, 0, true, true, 0, 1};
    ck_assert_ptr_null(ak_maskd_loss_create("neck.p3", &bad, &ps, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "num_tokens"));
    ak_error_clear(&err);
    ak_distill_loss *l = make(&ps, "neck.p5", true, true, &err);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t shape[4] = {2, 4, 5, 4};
    ak_rng rng = {0, 0};
    ck_assert_ptr_null(run_loss(&ctx, l, ak_tensor_zeros(&ctx, "s", 4, shape), ak_tensor_zeros(&ctx, "t", 4, shape),
                                NULL, 0, rng));
    assert_error(&ctx, AK_ESHAPE, "maskd", "neck.p5", "6 channels", NULL);
    ak_distill_loss *not_maskd = ak_mse_loss_create("neck.p3", 1.0f, &err);
    ak_maskd_token_cfg cfg = ak_maskd_token_defaults();
    ak_maskd_task tk = {toy_features, toy_loss, NULL};
    ck_assert_int_eq(ak_maskd_learn_tokens(&ctx, &not_maskd, 1, &cfg, &tk, NULL, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "not a MasKD loss"));
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(not_maskd);
    ak_distill_loss_destroy(l);
    ak_params_free(&ps);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("maskd");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, loss_matches_torch);
    tcase_add_test(tc, vanishing_masks_give_zero_not_nan);
    tcase_add_test(tc, custom_mask_starts_after_warmup);
    tcase_add_test(tc, token_stage_forward_matches_torch);
    tcase_add_test(tc, finite_differences);
    tcase_add_test(tc, token_learning_lowers_its_loss);
    tcase_add_test(tc, token_learning_on_a_detector);
    tcase_add_test(tc, load_converted_tokens);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
