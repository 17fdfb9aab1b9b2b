/* MasKD's token stage in the trainer (bench/train/maskd_stage.c) on tiny synthetic runs: the stage
 * lowers its own loss (segmentation with a teacher trained here, detection on a random frozen
 * teacher); a MasKD run distils with exactly the tokens the stage learns (not the initial ones,
 * bitwise); an interrupted and resumed MasKD run equals an uninterrupted one bitwise and does not
 * run the stage again; distill.maskd.tokens is loaded strictly (values, and the error naming the
 * key and the file). */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "akscratch.h"
#include "aktest.h"
#include "bench/train/maskd_stage.h"
#include "bench/train/trainer.h"
#include "store/checkpoint.h"
#include "store/runfile.h"
#include "store/safetensors.h"

static char seg_cfg[4096], det_cfg[4096], work[4096];

/* The student run: tiny_seg.yaml (PSPNet R18, 12 iterations) distilled with MasKD on backbone.c5
 * from an R34 teacher that the tests train first with the same file (teacher_sets). */
static const char *const teacher_sets[] = {"model.student.backbone=resnet34"};
static const char *const maskd_sets[] = {
    "distill.method=maskd", "distill.taps=[backbone.c5]", "distill.connector=conv1x1", "distill.weight=10",
    "distill.maskd.num_tokens=4", "distill.maskd.custom_mask_warmup=4", "distill.maskd.token_iters=20",
    "distill.maskd.token_lr=0.05", "model.teacher.backbone=resnet34", "model.teacher.width=0.125",
    "model.teacher.head_channels=128", "model.teacher.weights=teacher.h5"};
#define N_MASKD_SETS ((int)(sizeof maskd_sets / sizeof *maskd_sets))
#define TOKEN_LEVEL "distill.backbone.c5."

static void setup(void) {
    snprintf(seg_cfg, sizeof seg_cfg, "%s/tests/fixtures/harness/tiny_seg.yaml", AK_SOURCE_DIR);
    snprintf(det_cfg, sizeof det_cfg, "%s/bench/configs/synth_coco_maskd.yaml", AK_SOURCE_DIR);
    ak_scratch_enter(work, sizeof work, "harness-maskd");
}

static void teardown(void) { ak_scratch_leave(work); }

static int train_sets(const char *out, const char *const *sets, int n, bool resume, int64_t stop_after,
                      ak_train_result *r, ak_error *err) {
    ak_train_opts o;
    memset(&o, 0, sizeof o);
    o.config_path = seg_cfg;
    o.sets = sets;
    o.n_sets = n;
    o.run_path = out;
    o.resume = resume;
    o.stop_after = stop_after;
    ak_error_clear(err);
    return ak_train(&o, r, err);
}

static void train_teacher(void) {
    ak_train_result r;
    ak_error err;
    ck_assert_msg(train_sets("teacher.h5", teacher_sets, 1, false, 0, &r, &err) == AK_OK, "teacher: %s", err.msg);
    ck_assert(r.complete);
}

static void train_maskd(const char *out, bool resume, int64_t stop_after, ak_train_result *r) {
    ak_error err;
    ck_assert_msg(train_sets(out, maskd_sets, N_MASKD_SETS, resume, stop_after, r, &err) == AK_OK, "train %s: %s", out,
                  err.msg);
}

/* What the trainer builds before training: data, student, frozen teacher, distiller. */
typedef struct stack {
    ak_run_config cfg;
    ak_train_data data;
    ak_net student, teacher;
    ak_ctx ctx;
    ak_train_distill td;
} stack;

static stack *stack_open(const char *cfg_path, const char *const *sets, int n, bool load_teacher) {
    stack *s = calloc(1, sizeof *s);
    ak_error err = {0};
    ck_assert_msg(ak_run_config_load(cfg_path, sets, n, &s->cfg, NULL, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_train_data_open(&s->data, &s->cfg, 0, &err) == AK_OK, "%s", err.msg);
    uint64_t seed = (uint64_t)s->cfg.train.seed;
    ck_assert_msg(ak_net_build(&s->student, &s->cfg.model.student, &s->cfg, seed, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_net_build(&s->teacher, &s->cfg.model.teacher, &s->cfg, seed + 7777u, &err) == AK_OK, "%s",
                  err.msg);
    if (load_teacher)
        ck_assert_msg(ak_ckpt_load_params(s->cfg.model.teacher.weights, NULL, &s->teacher.ps, &err) == AK_OK, "%s",
                      err.msg);
    ak_teacher_freeze(&s->teacher.ps);
    ck_assert_int_eq(ak_ctx_init(&s->ctx, 0, 0), AK_OK);
    int h = s->cfg.task == AK_TASK_DET ? 128 : (int)s->cfg.dataset.crop_size.v[0];
    int w = s->cfg.task == AK_TASK_DET ? 128 : (int)s->cfg.dataset.crop_size.v[1];
    ck_assert_msg(ak_train_distill_init(&s->td, &s->cfg, &s->ctx, &s->student, &s->teacher, h, w, &err) == AK_OK,
                  "%s", err.msg);
    return s;
}

static void stack_close(stack *s) {
    ak_train_distill_free(&s->td);
    ak_net_free(&s->student);
    ak_net_free(&s->teacher);
    ak_train_data_close(&s->data);
    ak_ctx_free(&s->ctx);
    free(s);
}

/* Copies of every token / weighting-head tensor of the student's registry (n returned). */
static int snapshot(const ak_params *ps, float **out) {
    int n = 0;
    for (int i = 0; i < ps->n; i++)
        if (strncmp(ps->items[i].name, "distill.", 8) == 0 &&
            (strstr(ps->items[i].name, ".mask_token") || strstr(ps->items[i].name, ".prob."))) {
            ck_assert_int_lt(n, 64);
            out[n] = malloc((size_t)ps->items[i].t->numel * sizeof(float));
            memcpy(out[n++], ps->items[i].t->data, (size_t)ps->items[i].t->numel * sizeof(float));
        }
    return n;
}

/* equal: every snapshot tensor (whose name contains `only`, when given) equals the registry's
 * bitwise; !equal: every one differs somewhere. */
static void assert_tokens(const ak_params *ps, float *const *snap, int n, bool equal, const char *only,
                          const char *what) {
    int k = 0;
    for (int i = 0; i < ps->n; i++)
        if (strncmp(ps->items[i].name, "distill.", 8) == 0 &&
            (strstr(ps->items[i].name, ".mask_token") || strstr(ps->items[i].name, ".prob."))) {
            const ak_tensor *t = ps->items[i].t;
            int same = memcmp(t->data, snap[k++], (size_t)t->numel * sizeof(float)) == 0;
            if (only && !strstr(ps->items[i].name, only))
                continue;
            ck_assert_msg(same == equal, "%s: %s is %s", what, ps->items[i].name, same ? "unchanged" : "different");
        }
    ck_assert_int_eq(k, n);
}

static void free_snapshot(float **snap, int n) {
    for (int i = 0; i < n; i++)
        free(snap[i]);
}

START_TEST(seg_stage_learns_and_the_run_distils_with_its_tokens) {
    train_teacher();
    stack *a = stack_open(seg_cfg, maskd_sets, N_MASKD_SETS, true);
    float *init[64], *learned[64];
    int n = snapshot(&a->student.ps, init);
    ck_assert_int_eq(n, 5); /* token + 2 convs (weight, bias) of one level */
    ak_maskd_stage_report rep;
    ak_error err = {0};
    ck_assert_msg(ak_train_maskd_tokens(&a->td, &a->cfg, &a->ctx, &a->teacher, &a->data, false, &rep, &err) == AK_OK,
                  "%s", err.msg);
    ck_assert_int_eq(rep.action, AK_MASKD_STAGE_LEARNED);
    ck_assert_int_eq(rep.n_levels, 1);
    ck_assert_int_eq(rep.iters, 20);
    ck_assert_msg(rep.log.last_total < 0.95 * rep.log.first_total, "seg token stage: %g -> %g", rep.log.first_total,
                  rep.log.last_total);
    assert_tokens(&a->student.ps, init, n, false, NULL, "after the stage");
    ck_assert(!ak_params_find(&a->student.ps, TOKEN_LEVEL "mask_token")->trainable); /* frozen for the KD stage */
    snapshot(&a->student.ps, learned);
    stack_close(a);

    /* restored = true (resume / complete run): nothing touched */
    stack *b = stack_open(seg_cfg, maskd_sets, N_MASKD_SETS, true);
    ck_assert_int_eq(ak_train_maskd_tokens(&b->td, &b->cfg, &b->ctx, &b->teacher, &b->data, true, &rep, &err), AK_OK);
    ck_assert_int_eq(rep.action, AK_MASKD_STAGE_RESTORED);
    assert_tokens(&b->student.ps, init, n, true, NULL, "restored");
    stack_close(b);

    /* the trainer's run: its final weights carry exactly the learned tokens */
    ak_train_result r;
    train_maskd("full.h5", false, 0, &r);
    ck_assert(r.complete);
    stack *c = stack_open(seg_cfg, maskd_sets, N_MASKD_SETS, true);
    ck_assert_msg(ak_ckpt_load_params("full.h5", NULL, &c->student.ps, &err) == AK_OK, "%s", err.msg);
    assert_tokens(&c->student.ps, learned, n, true, NULL, "the run's final tokens vs the stage's");
    stack_close(c);
    free_snapshot(init, n);
    free_snapshot(learned, n);
}
END_TEST

START_TEST(det_stage_lowers_its_loss) {
    const char *sets[] = {"dataset.synth.images=8", "dataset.synth.val_images=2", "dataset.synth.height=64",
                          "dataset.synth.width=64", "dataset.img_scale=[64, 64]", "model.student.width=0.125",
                          "model.teacher.width=0.125", "model.inherit_from_teacher=none", "train.batch_size=2",
                          "distill.maskd.token_iters=10",
                          "distill.maskd.num_tokens=3"};
    stack *s = stack_open(det_cfg, sets, (int)(sizeof sets / sizeof *sets), false);
    float *init[64];
    int n = snapshot(&s->student.ps, init);
    ck_assert_int_eq(n, 25);
    ak_maskd_stage_report rep;
    ak_error err = {0};
    ck_assert_msg(ak_train_maskd_tokens(&s->td, &s->cfg, &s->ctx, &s->teacher, &s->data, false, &rep, &err) == AK_OK,
                  "%s", err.msg);
    ck_assert_int_eq(rep.action, AK_MASKD_STAGE_LEARNED);
    ck_assert_int_eq(rep.n_levels, 5);
    ck_assert_msg(rep.log.last_total < rep.log.first_total, "det token stage: %g -> %g", rep.log.first_total,
                  rep.log.last_total);
    /* Only the tokens: on this random teacher the head loss hardly depends on the features, so the
     * stage drives the masks towards 0 (Dice -> 0) and the weighting heads get (almost) no gradient;
     * on the segmentation run above, with a trained teacher, every tensor moves. */
    assert_tokens(&s->student.ps, init, n, false, "mask_token", "det stage");
    free_snapshot(init, n);
    stack_close(s);
    /* levels must be the FPN's in order */
    const char *swapped[] = {"dataset.synth.images=8", "dataset.synth.val_images=2", "dataset.synth.height=64",
                             "dataset.synth.width=64", "dataset.img_scale=[64, 64]", "model.student.width=0.125",
                             "model.teacher.width=0.125", "model.inherit_from_teacher=none", "train.batch_size=2",
                          "distill.maskd.token_iters=1",
                             "distill.taps=[neck.p4, neck.p3, neck.p5, neck.p6, neck.p7]"};
    s = stack_open(det_cfg, swapped, (int)(sizeof swapped / sizeof *swapped), false);
    ck_assert_int_eq(ak_train_maskd_tokens(&s->td, &s->cfg, &s->ctx, &s->teacher, &s->data, false, &rep, &err),
                     AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "distill.teacher_taps") && strstr(err.msg, "neck.p3") && strstr(err.msg, "neck.p4"),
                  "%s", err.msg);
    stack_close(s);
}
END_TEST

/* stderr of one trainer call into a file; returns whether `needle` was printed. */
static bool train_capturing(const char *out, bool resume, int64_t stop_after, const char *needle,
                            ak_train_result *r) {
    fflush(stderr);
    int saved = dup(2), fd = open("stderr.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    ak_error err;
    int rc = train_sets(out, maskd_sets, N_MASKD_SETS, resume, stop_after, r, &err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ck_assert_msg(rc == AK_OK, "train %s: %s", out, err.msg);
    char buf[8192] = {0};
    FILE *f = fopen("stderr.txt", "r");
    ck_assert_ptr_nonnull(f);
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[got] = '\0';
    return strstr(buf, needle) != NULL;
}

static void read_column(const char *path, const char *col, double *out, int64_t n) {
    ak_run *run;
    ak_error err = {0};
    ck_assert_msg(ak_run_open(&run, path, AK_RUN_READ, &err) == AK_OK, "%s", err.msg);
    int64_t len;
    ck_assert_int_eq(ak_run_train_len(run, &len, &err), AK_OK);
    ck_assert_int_eq(len, n);
    ck_assert_msg(ak_run_read_train(run, col, 0, n, out, &err) == AK_OK, "%s: %s", col, err.msg);
    ak_run_close(run, &err);
}

START_TEST(maskd_resume_equals_uninterrupted) {
    train_teacher();
    ak_train_result a, b;
    ck_assert(train_capturing("full.h5", false, 0, "maskd token stage: 1 level(s), 20 iterations", &a));
    ck_assert(a.complete);
    ck_assert(train_capturing("split.h5", false, 5, "maskd token stage", &b));
    ck_assert(!b.complete);
    /* resumed: the tokens come from the checkpoint, the stage does not run again */
    ck_assert(!train_capturing("split.h5", true, 0, "maskd token stage", &b));
    ck_assert(b.complete);
    ck_assert_int_eq(b.iterations, 12);
    const char *cols[] = {"loss_total", "loss_task", "loss_distill", "maskd:backbone.c5", "lr"};
    for (int c = 0; c < 5; c++) {
        double x[12], y[12];
        read_column("full.h5", cols[c], x, 12);
        read_column("split.h5", cols[c], y, 12);
        for (int i = 0; i < 12; i++)
            ck_assert_msg(memcmp(&x[i], &y[i], sizeof(double)) == 0, "%s[%d]: %.17g vs %.17g", cols[c], i, x[i],
                          y[i]);
    }
    ck_assert(memcmp(&a.metric, &b.metric, sizeof(double)) == 0);
    /* every final weight, tokens included, bitwise */
    stack *s = stack_open(seg_cfg, maskd_sets, N_MASKD_SETS, true);
    ak_params *ps = &s->student.ps;
    ak_error err = {0};
    ck_assert_msg(ak_ckpt_load_params("full.h5", NULL, ps, &err) == AK_OK, "%s", err.msg);
    float **full = calloc((size_t)ps->n, sizeof *full);
    for (int i = 0; i < ps->n; i++) {
        full[i] = malloc((size_t)ps->items[i].t->numel * sizeof(float));
        memcpy(full[i], ps->items[i].t->data, (size_t)ps->items[i].t->numel * sizeof(float));
    }
    ck_assert_msg(ak_ckpt_load_params("split.h5", NULL, ps, &err) == AK_OK, "%s", err.msg);
    ck_assert_ptr_nonnull(ak_params_find(ps, TOKEN_LEVEL "mask_token"));
    for (int i = 0; i < ps->n; i++) {
        ak_assert_bitwise(ps->items[i].name, full[i], ps->items[i].t->data, ps->items[i].t->numel);
        free(full[i]);
    }
    free(full);
    stack_close(s);
}
END_TEST

START_TEST(token_file_is_loaded_strictly) {
    train_teacher();
    stack *s = stack_open(seg_cfg, maskd_sets, N_MASKD_SETS, true);
    const char *names[5] = {"mask_token", "prob.0.weight", "prob.0.bias", "prob.2.weight", "prob.2.bias"};
    ak_st_write_entry e[5];
    char keys[5][64];
    float *vals[5];
    for (int i = 0; i < 5; i++) {
        char pname[128];
        snprintf(pname, sizeof pname, TOKEN_LEVEL "%s", names[i]);
        const ak_tensor *p = ak_params_find(&s->student.ps, pname)->t;
        snprintf(keys[i], sizeof keys[i], "mask_modules.0.%s", names[i]);
        vals[i] = malloc((size_t)p->numel * sizeof(float));
        ak_test_fill_uniform(vals[i], p->numel, 40 + i, -0.5f, 0.5f);
        e[i] = (ak_st_write_entry){keys[i], p->ndim, p->shape, vals[i]};
    }
    ak_error err = {0};
    ck_assert_int_eq(ak_safetensors_write_f32("tokens.safetensors", e, 5, NULL, 0, &err), AK_OK);
    const char *sets[N_MASKD_SETS + 1];
    memcpy(sets, maskd_sets, sizeof maskd_sets);
    sets[N_MASKD_SETS] = "distill.maskd.tokens=tokens.safetensors";
    ak_train_result r;
    ck_assert_msg(train_sets("loaded.h5", sets, N_MASKD_SETS + 1, false, 0, &r, &err) == AK_OK, "%s", err.msg);
    ck_assert(r.complete);
    ck_assert_msg(ak_ckpt_load_params("loaded.h5", NULL, &s->student.ps, &err) == AK_OK, "%s", err.msg);
    for (int i = 0; i < 5; i++) {
        char pname[128];
        snprintf(pname, sizeof pname, TOKEN_LEVEL "%s", names[i]);
        const ak_tensor *p = ak_params_find(&s->student.ps, pname)->t;
        ak_assert_bitwise(pname, p->data, vals[i], p->numel);
    }
    /* a missing key */
    ck_assert_int_eq(ak_safetensors_write_f32("short.safetensors", e, 4, NULL, 0, &err), AK_OK);
    sets[N_MASKD_SETS] = "distill.maskd.tokens=short.safetensors";
    ck_assert_int_eq(train_sets("short.h5", sets, N_MASKD_SETS + 1, false, 0, &r, &err), AK_EFORMAT);
    ck_assert_msg(strstr(err.msg, "distill.maskd.tokens") && strstr(err.msg, "mask_modules.0.prob.2.bias") &&
                      strstr(err.msg, "is missing") && strstr(err.msg, "short.safetensors"),
                  "message: %s", err.msg);
    /* a wrong shape (tokens for 3 instead of 4) */
    int64_t small[2] = {3, e[0].shape[1]};
    e[0].shape = small;
    ck_assert_int_eq(ak_safetensors_write_f32("shape.safetensors", e, 5, NULL, 0, &err), AK_OK);
    sets[N_MASKD_SETS] = "distill.maskd.tokens=shape.safetensors";
    ck_assert_int_eq(train_sets("shape.h5", sets, N_MASKD_SETS + 1, false, 0, &r, &err), AK_EFORMAT);
    ck_assert_msg(strstr(err.msg, "mask_modules.0.mask_token") && strstr(err.msg, "wrong shape") &&
                      strstr(err.msg, "shape.safetensors"),
                  "message: %s", err.msg);
    ck_assert_int_eq(access("shape.h5", F_OK), -1);
    for (int i = 0; i < 5; i++)
        free(vals[i]);
    stack_close(s);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("train_maskd");
    TCase *tc = tcase_create("e2e");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, seg_stage_learns_and_the_run_distils_with_its_tokens);
    tcase_add_test(tc, det_stage_lowers_its_loss);
    tcase_add_test(tc, maskd_resume_equals_uninterrupted);
    tcase_add_test(tc, token_file_is_loaded_strictly);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
