/* MasKD token learning on a segmentor (baselines/maskd_seg.c): the task's loss equals the teacher's
 * heads + cross-entropy on hand-masked features (c5 -> sum_k w_k M_k c5, computed here element by
 * element from the masks and weights; c4 unmasked for the auxiliary head, or masked when it is a
 * level); the stage lowers its loss and leaves the teacher untouched; tap errors. */
#include <string.h>

#include "baselines/maskd_seg.h"
#include "baselines/methods.h"
#include "distill_test.h"

#define N 2
#define HW 48
#define NCLS 4

typedef struct seg_fixture {
    ak_params tps, ps;
    ak_segmentor seg;
    float x[N * 3 * HW * HW];
    uint8_t labels[N * HW * HW];
} seg_fixture;

static seg_fixture *fixture_new(bool aux) {
    seg_fixture *f = calloc(1, sizeof *f);
    ak_params_init(&f->tps);
    ak_params_init(&f->ps);
    ak_error err = {0};
    ak_segmentor_cfg c = ak_segmentor_defaults(AK_HEAD_PSP, 18, 0.125f, NCLS);
    c.has_aux = aux;
    ck_assert_msg(ak_segmentor_init(&f->seg, &f->tps, &c, 3, &err) == AK_OK, "%s", err.msg);
    ak_params_set_trainable(&f->tps, "", false);
    ak_test_fill_uniform(f->x, N * 3 * HW * HW, 11, -1, 1);
    for (int i = 0; i < N * HW * HW; i++) { /* classes by image region, a few ignored pixels */
        int y = (i / HW) % HW, xx = i % HW;
        f->labels[i] = (uint8_t)(y % 17 == 0 ? 255 : (y < HW / 2 ? 0 : 2) + (xx < HW / 2 ? 0 : 1));
    }
    return f;
}

static void fixture_free(seg_fixture *f) {
    ak_segmentor_free(&f->seg);
    ak_params_free(&f->tps);
    ak_params_free(&f->ps);
    free(f);
}

static int batch_fn(ak_ctx *ctx, void *user, int64_t iter, ak_tensor **x, const uint8_t **labels, int64_t *lab_h,
                    int64_t *lab_w) {
    seg_fixture *f = user;
    (void)iter;
    int64_t xs[4] = {N, 3, HW, HW};
    *x = ak_tensor_from(ctx, 4, xs, f->x);
    *labels = f->labels;
    *lab_h = *lab_w = HW;
    return *x ? AK_OK : ctx->err.code;
}

static ak_distill_loss *make_level(seg_fixture *f, const char *tap, int channels, uint64_t seed) {
    ak_error err = {0};
    ak_maskd_opts o = {1.0f, channels, 3, true, true, 0, seed};
    ak_distill_loss *l = ak_maskd_loss_create(tap, &o, &f->ps, &err);
    ck_assert_msg(l != NULL, "%s", err.msg);
    return l;
}

/* F' = F * sum_k w[n,k] M[n,k,p], from the loss's own masks and weights (no tape). */
static ak_tensor *mask_by_hand(ak_ctx *ctx, ak_distill_loss *l, ak_tensor *f) {
    bool rec = ak_ctx_set_record(ctx, false);
    ak_tensor *m = ak_maskd_masks(ctx, l, f), *w = ak_maskd_token_weights(ctx, l, f);
    ak_tensor *out = ak_tensor_like(ctx, "hand mask", f);
    ak_ctx_set_record(ctx, rec);
    ck_assert_msg(m && w && out, "%s", ctx->err.msg);
    int64_t C = f->shape[1], P = f->shape[2] * f->shape[3], K = m->shape[1];
    for (int64_t n = 0; n < f->shape[0]; n++)
        for (int64_t p = 0; p < P; p++) {
            double s = 0;
            for (int64_t k = 0; k < K; k++)
                s += (double)w->data[n * K + k] * m->data[(n * K + k) * P + p];
            for (int64_t c = 0; c < C; c++)
                out->data[(n * C + c) * P + p] = (float)(f->data[(n * C + c) * P + p] * s);
        }
    return out;
}

/* The teacher's loss with c4 / c5 replaced by hand (NULL: the teacher's own). */
static double teacher_loss(ak_ctx *ctx, seg_fixture *f, ak_distill_loss *l4, ak_distill_loss *l5) {
    int64_t xs[4] = {N, 3, HW, HW};
    ak_tensor *c[4];
    bool rec = ak_ctx_set_record(ctx, false);
    ck_assert_int_eq(ak_resnet_forward(ctx, &f->seg.backbone, ak_tensor_from(ctx, 4, xs, f->x), false, c, NULL),
                     AK_OK);
    if (l4)
        c[2] = mask_by_hand(ctx, l4, c[2]);
    if (l5)
        c[3] = mask_by_hand(ctx, l5, c[3]);
    ak_rng unused = {0, 0};
    ak_seg_outputs out = {ak_seg_head_forward(ctx, &f->seg.decode, c[3], false, unused, NULL),
                          ak_seg_head_forward(ctx, &f->seg.aux, c[2], false, unused, NULL)};
    ak_seg_losses L;
    ck_assert_int_eq(ak_segmentor_loss(ctx, &f->seg, &out, f->labels, HW, HW, &L), AK_OK);
    ak_ctx_set_record(ctx, rec);
    return L.decode + 0.4 * L.aux;
}

/* The loss the task reports for the given levels (through its two callbacks + ak_maskd_apply). */
static double task_value(ak_ctx *ctx, ak_maskd_seg_task *t, ak_distill_loss **levels, int n) {
    ak_maskd_task k = ak_maskd_seg_task_get(t);
    ak_tensor *feats[4], *masked[4], *dice;
    bool rec = ak_ctx_set_record(ctx, false);
    ck_assert_msg(k.features(ctx, k.user, 0, feats, n) == AK_OK, "%s", ctx->err.msg);
    ak_ctx_set_record(ctx, rec);
    for (int l = 0; l < n; l++)
        ck_assert_msg(ak_maskd_apply(ctx, levels[l], feats[l], &masked[l], &dice) == AK_OK, "%s", ctx->err.msg);
    ak_tensor *loss = k.task_loss(ctx, k.user, 0, masked, n);
    ck_assert_msg(loss != NULL, "%s", ctx->err.msg);
    ck_assert_int_eq(loss->numel, 1);
    return loss->data[0];
}

START_TEST(task_loss_is_the_teachers_loss_on_masked_features) {
    seg_fixture *f = fixture_new(true);
    int c4 = f->seg.backbone.out_channels[2], c5 = f->seg.backbone.out_channels[3];
    ak_distill_loss *l5 = make_level(f, "backbone.c5", c5, 21), *l4 = make_level(f, "backbone.c4", c4, 22);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const char *taps1[1] = {"backbone.c5"};
    ak_maskd_seg_task t = {&f->seg, taps1, 1, batch_fn, f, NULL, {0}, NULL, 0, 0};
    ak_distill_loss *one[1] = {l5};
    double got = task_value(&ctx, &t, one, 1), want = teacher_loss(&ctx, f, NULL, l5);
    ck_assert_msg(fabs(got - want) <= 1e-5 * fabs(want), "c5 only: task %.9g, by hand %.9g", got, want);
    /* the masking matters: the unmasked teacher's loss is different */
    double plain = teacher_loss(&ctx, f, NULL, NULL);
    ck_assert_msg(fabs(plain - want) > 1e-3 * fabs(want), "masked %.9g vs plain %.9g", want, plain);
    ak_ctx_reset(&ctx);
    /* two levels, given in the order c5, c4 */
    const char *taps2[2] = {"backbone.c5", "backbone.c4"};
    ak_maskd_seg_task t2 = {&f->seg, taps2, 2, batch_fn, f, NULL, {0}, NULL, 0, 0};
    ak_distill_loss *two[2] = {l5, l4};
    got = task_value(&ctx, &t2, two, 2);
    want = teacher_loss(&ctx, f, l4, l5);
    ck_assert_msg(fabs(got - want) <= 1e-5 * fabs(want), "c5 + c4: task %.9g, by hand %.9g", got, want);
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(l5);
    ak_distill_loss_destroy(l4);
    fixture_free(f);
}
END_TEST

START_TEST(token_learning_on_a_segmentor) {
    seg_fixture *f = fixture_new(true);
    ak_distill_loss *l5 = make_level(f, "backbone.c5", f->seg.backbone.out_channels[3], 23);
    float *snap[256];
    ck_assert_int_le(f->tps.n, 256);
    for (int i = 0; i < f->tps.n; i++)
        snap[i] = dup_floats(f->tps.items[i].t->data, f->tps.items[i].t->numel);
    ak_tensor *tok = *ak_distill_loss_param_slot(l5, "mask_token");
    float *tok0 = dup_floats(tok->data, tok->numel);
    const char *taps[1] = {"backbone.c5"};
    ak_maskd_seg_task t = {&f->seg, taps, 1, batch_fn, f, NULL, {0}, NULL, 0, 0};
    ak_maskd_task task = ak_maskd_seg_task_get(&t);
    ak_maskd_token_cfg cfg = ak_maskd_token_defaults();
    cfg.iters = 15;
    ak_maskd_token_log log;
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_error err = {0};
    ck_assert_msg(ak_maskd_learn_tokens(&ctx, &l5, 1, &cfg, &task, &log, &err) == AK_OK, "%s", err.msg);
    if (getenv("AK_VERBOSE"))
        fprintf(stderr, "token stage on PSPNet: %g -> %g (task %g, dice %g)\n", log.first_total, log.last_total,
                log.task, log.dice);
    ck_assert_msg(log.last_total < 0.95 * log.first_total, "token stage: %g -> %g", log.first_total, log.last_total);
    ck_assert(memcmp(tok0, tok->data, (size_t)tok->numel * sizeof(float)) != 0);
    for (int i = 0; i < f->tps.n; i++) {
        ak_assert_bitwise(f->tps.items[i].name, f->tps.items[i].t->data, snap[i], f->tps.items[i].t->numel);
        free(snap[i]);
    }
    free(tok0);
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(l5);
    fixture_free(f);
}
END_TEST

static void fails_with(seg_fixture *f, ak_distill_loss **levels, const char *const *taps, int n_taps, int n_levels,
                       const char *what) {
    ak_maskd_seg_task t = {&f->seg, taps, n_taps, batch_fn, f, NULL, {0}, NULL, 0, 0};
    ak_maskd_task task = ak_maskd_seg_task_get(&t);
    ak_maskd_token_cfg cfg = ak_maskd_token_defaults();
    cfg.iters = 1;
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_error err = {0};
    ck_assert_int_eq(ak_maskd_learn_tokens(&ctx, levels, n_levels, &cfg, &task, NULL, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "distill.teacher_taps") && strstr(err.msg, what), "message: %s", err.msg);
    ak_ctx_free(&ctx);
}

START_TEST(tap_errors) {
    seg_fixture *f = fixture_new(true);
    int c4 = f->seg.backbone.out_channels[2], c5 = f->seg.backbone.out_channels[3];
    ak_distill_loss *l[2] = {make_level(f, "backbone.c5", c5, 1), make_level(f, "backbone.c4", c4, 2)};
    const char *c3[1] = {"backbone.c3"}, *feat[1] = {"decode.feat"}, *dup[2] = {"backbone.c5", "backbone.c5"};
    const char *c4only[1] = {"backbone.c4"};
    fails_with(f, l, c3, 1, 1, "backbone.c3");
    fails_with(f, l, feat, 1, 1, "decode.feat");
    fails_with(f, l, dup, 2, 2, "appears twice");
    fails_with(f, l, dup, 1, 2, "2 levels for 1 teacher taps");
    ak_distill_loss_destroy(l[0]);
    ak_distill_loss_destroy(l[1]);
    fixture_free(f);
    /* without an auxiliary head c4 feeds nothing */
    f = fixture_new(false);
    ak_distill_loss *l4 = make_level(f, "backbone.c4", c4, 3);
    fails_with(f, &l4, c4only, 1, 1, "backbone.c4");
    ck_assert_int_eq(ak_maskd_seg_stage_of(&f->seg, "backbone.c4"), 2);
    ck_assert_int_eq(ak_maskd_seg_stage_of(&f->seg, "neck.p3"), -1);
    ak_distill_loss_destroy(l4);
    fixture_free(f);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("maskd_seg");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, task_loss_is_the_teachers_loss_on_masked_features);
    tcase_add_test(tc, token_learning_on_a_segmentor);
    tcase_add_test(tc, tap_errors);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
