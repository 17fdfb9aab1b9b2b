/* Every distillation method through the whole trainer, without and with Avatars, on tiny synthetic
 * detection data (FGD needs boxes, MasKD its token stage): each run completes, logs a finite,
 * non-zero distillation loss, records the teacher's hash and the sampled student / teacher / avatar
 * features. Catches wiring errors
 * between the trainer, the distiller and the AKD hook that the unit tests cannot see. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "akscratch.h"
#include "aktest.h"
#include "bench/train/trainer.h"
#include "store/runfile.h"

static char cfg_path[4096], work[4096];

static void setup(void) {
    snprintf(cfg_path, sizeof cfg_path, "%s/tests/fixtures/harness/tiny_det.yaml", AK_SOURCE_DIR);
    ak_scratch_enter(work, sizeof work, "methods-work");
}

static void teardown(void) { ak_scratch_leave(work); }

static void train(const char *out, const char *const *sets, int n) {
    ak_train_opts o;
    memset(&o, 0, sizeof o);
    o.config_path = cfg_path;
    o.run_path = out;
    o.sets = sets;
    o.n_sets = n;
    ak_train_result r;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_train(&o, &r, &err) == AK_OK, "%s: %s", out, err.msg);
    ck_assert(r.complete);
}

START_TEST(every_method_with_and_without_avatars) {
    const char *teacher_sets[] = {"model.student.width=0.125", "model.student.neck_channels=256"};
    train("teacher.h5", teacher_sets, 2);
    static const char *methods[] = {"mse", "cwd", "mgd", "fgd", "pkd", "maskd"};
    for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++)
        for (int avatars = 0; avatars < 2; avatars++) {
            char preset[4096], out[256], method[64], akd[64];
            snprintf(preset, sizeof preset, "%s/bench/configs/synth_coco_%s.yaml", AK_SOURCE_DIR, methods[m]);
            /* The method's own preset supplies taps and weights; the tiny sizes come from --set. */
            snprintf(cfg_path, sizeof cfg_path, "%s", preset);
            snprintf(out, sizeof out, "%s-%d.h5", methods[m], avatars);
            snprintf(method, sizeof method, "distill.method=%s", methods[m]);
            snprintf(akd, sizeof akd, "akd.enabled=%s", avatars ? "true" : "false");
            const char *sets[] = {akd, "model.teacher.weights=teacher.h5", "dataset.img_scale=[64, 64]",
                                  "dataset.synth.images=8", "dataset.synth.val_images=2", "dataset.synth.height=64",
                                  "dataset.synth.width=64", "dataset.synth.seed=5", "model.student.width=0.125",
                                  "model.student.neck_channels=256", "model.teacher.width=0.125",
                                  "model.teacher.neck_channels=256", "schedule.max_iters=2", "schedule.milestones=[1]",
                                  "schedule.warmup_iters=1", "train.batch_size=2", "train.eval_interval=0",
                                  "train.checkpoint_interval=100", "train.feature_steps=[1]", "train.feature_images=1",
                                  "distill.maskd.token_iters=2", method};
            train(out, sets, (int)(sizeof sets / sizeof sets[0]));
            ak_run *run;
            ak_error err;
            ak_error_clear(&err);
            ck_assert_int_eq(ak_run_open(&run, out, AK_RUN_READ, &err), AK_OK);
            double d[2];
            ck_assert_int_eq(ak_run_read_train(run, "loss_distill", 0, 2, d, &err), AK_OK);
            ck_assert_msg(isfinite(d[0]) && d[0] != 0.0, "%s: distillation loss %g", out, d[0]);
            ak_run_info info;
            ck_assert_int_eq(ak_run_read_info(run, &info, &err), AK_OK);
            ck_assert_msg(strlen(info.teacher_weights_hash) == 64, "%s: teacher hash '%s'", out,
                          info.teacher_weights_hash);
            ak_run_info_free(&info);
            /* sampled features at step 1: student and teacher, plus one avatar when avatars are on */
            int64_t *steps;
            int n_steps, n_roles;
            char **roles;
            ck_assert_int_eq(ak_run_feature_steps(run, &steps, &n_steps, &err), AK_OK);
            ck_assert_int_eq(n_steps, 1);
            ck_assert_int_eq(steps[0], 1);
            free(steps);
            ck_assert_int_eq(ak_run_feature_roles(run, 1, &roles, &n_roles, &err), AK_OK);
            ck_assert_int_eq(n_roles, avatars ? 3 : 2);
            ak_run_names_free(roles, n_roles);
            ak_run_close(run, &err);
            snprintf(cfg_path, sizeof cfg_path, "%s/tests/fixtures/harness/tiny_det.yaml", AK_SOURCE_DIR);
        }
}
END_TEST

/* The final weight `name` of a run file (its /checkpoint/params group); *n receives its size. */
static float *final_weight(const char *run_file, const char *name, int64_t *n) {
    char path[512];
    snprintf(path, sizeof path, "/checkpoint/params/%s", name);
    hid_t f = H5Fopen(run_file, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_msg(f >= 0, "cannot open %s", run_file);
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    ck_assert_msg(d >= 0, "%s: no %s", run_file, path);
    hid_t sp = H5Dget_space(d);
    *n = (int64_t)H5Sget_simple_extent_npoints(sp);
    float *v = malloc(sizeof(float) * (size_t)*n);
    ck_assert(v && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
    return v;
}

/* model.inherit_from_teacher without distillation: the student starts from the teacher's head
 * (with lr 1e-30, whose updates are below float resolution, it ends there bitwise), keeps its own neck (its lateral convs could not be copied:
 * the teacher's backbone is wider), and the run records the teacher's hash. */
START_TEST(inherit_head_without_distillation) {
    const char *sets[] = {"dataset.img_scale=[64, 64]", "dataset.synth.images=8", "dataset.synth.val_images=2",
                          "dataset.synth.height=64", "dataset.synth.width=64", "dataset.synth.seed=5",
                          "schedule.max_iters=2", "schedule.milestones=[1]", "schedule.warmup=none",
                          "train.batch_size=2", "train.eval_interval=0", "train.checkpoint_interval=100",
                          "train.feature_steps=[]", "model.teacher.width=0.25", "model.teacher.neck_channels=256",
                          "model.student.width=0.25", "model.student.neck_channels=256", /* the teacher run */
                          "model.student.width=0.125", "model.student.neck_channels=512", /* 64 channels too */
                          "model.teacher.weights=wide_teacher.h5", "model.inherit_from_teacher=head", "optim.lr=1e-30"};
    enum { N_COMMON = 15, N_TEACHER = N_COMMON + 2 };
    train("wide_teacher.h5", sets, N_TEACHER);
    const char *student_sets[N_COMMON + 5];
    for (int i = 0; i < N_COMMON; i++)
        student_sets[i] = sets[i];
    for (int i = 0; i < 5; i++)
        student_sets[N_COMMON + i] = sets[N_TEACHER + i];
    train("inherited.h5", student_sets, N_COMMON + 5);
    int64_t n_s, n_t;
    float *s = final_weight("inherited.h5", "bbox_head.retina_cls.weight", &n_s);
    float *t = final_weight("wide_teacher.h5", "bbox_head.retina_cls.weight", &n_t);
    ck_assert_int_eq(n_s, n_t);
    ak_assert_bitwise("inherited head", s, t, n_s);
    free(s);
    free(t);
    s = final_weight("inherited.h5", "neck.fpn_convs.0.conv.weight", &n_s);
    t = final_weight("wide_teacher.h5", "neck.fpn_convs.0.conv.weight", &n_t);
    ck_assert_int_eq(n_s, n_t);
    ck_assert_msg(memcmp(s, t, sizeof(float) * (size_t)n_s) != 0, "the neck was copied too");
    free(s);
    free(t);
    ak_run *run;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_run_open(&run, "inherited.h5", AK_RUN_READ, &err), AK_OK);
    ak_run_info info;
    ck_assert_int_eq(ak_run_read_info(run, &info, &err), AK_OK);
    ck_assert_msg(strlen(info.teacher_weights_hash) == 64, "teacher hash '%s'", info.teacher_weights_hash);
    ak_run_info_free(&info);
    ak_run_close(run, &err);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("train_methods");
    TCase *tc = tcase_create("e2e");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, every_method_with_and_without_avatars);
    tcase_add_test(tc, inherit_head_without_distillation);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
