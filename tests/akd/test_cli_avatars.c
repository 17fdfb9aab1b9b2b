/* `akdbench avatars eval` end to end on a tiny synthetic Cityscapes set and a (random-init,
 * checkpointed) PSPNet-R18 teacher, and on a tiny synthetic COCO set and a random-init RetinaNet
 * teacher (tests/fixtures/harness/tiny_det.yaml): the vanilla row equals the trainer's own evaluation
 * of the teacher (bench/train/seg_eval.h, det_eval.h), p = 0 rows equal the vanilla row, the table
 * has one row per setting, the JSON names the task, metric and taps, and the refusals (no weights,
 * bad options, a tap that is not a neck level) exit with a message naming the option.
 * Needs the akdbench target built in the same build folder (ctest runs after a full build). */
#include <jansson.h>
#include <sys/wait.h>
#include <unistd.h>

#include "akd_test.h"
#include "akscratch.h"
#include "bench/train/det_eval.h"
#include "bench/train/net.h"
#include "bench/train/seg_eval.h"
#include "bench/train/train_data.h"
#include "store/checkpoint.h"

static char dir[256];

static const char *const sets[] = {
    "dataset.synth.images=2", "dataset.synth.val_images=3", "dataset.synth.height=32", "dataset.synth.width=64",
    "dataset.img_scale=[32,64]", "dataset.crop_size=[32,64]", "model.teacher.backbone=resnet18",
    "eval.batch_size=2", "train.batch_size=2"};
enum { N_SETS = 9 };

/* akdbench with args, output captured in dir; the text of one of its captured files. */
static int akdbench(const char *args) { return ak_cli(dir, "%s", args); }
static const char *read_text(const char *name) { return ak_scratch_text(dir, name); }

static void setup(void) {
    ak_scratch_tmp(dir, sizeof dir, "cli_avatars");
    char data[300];
    snprintf(data, sizeof data, "%s/data", dir);
    setenv("AKD_DATA_DIR", data, 1);
}

static void teardown(void) { ak_scratch_remove(dir); }

static void set_args(char *out, size_t len) {
    size_t u = 0;
    for (int i = 0; i < N_SETS; i++)
        u += (size_t)snprintf(out + u, len - u, " --set '%s'", sets[i]);
}

START_TEST(vanilla_row_is_the_teacher_evaluation) {
    char *cfg_path = ak_source_path("bench/configs/synth_cityscapes_cwd.yaml");
    ak_run_config cfg;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_run_config_load(cfg_path, sets, N_SETS, &cfg, NULL, &err) == AK_OK, "%s", err.msg);
    /* a teacher checkpoint (random init: the numbers only have to agree) */
    ak_net net;
    memset(&net, 0, sizeof net);
    ck_assert_msg(ak_net_build(&net, &cfg.model.teacher, &cfg, 11, &err) == AK_OK, "%s", err.msg);
    char wpath[400];
    snprintf(wpath, sizeof wpath, "%s/teacher.ckpt.h5", dir);
    ak_ckpt_meta meta = {0, ""};
    ck_assert_msg(ak_ckpt_save(wpath, &meta, &net.ps, NULL, 0, &err) == AK_OK, "%s", err.msg);
    char args[4096], setv[2048];
    set_args(setv, sizeof setv);
    snprintf(args, sizeof args, "avatars eval '%s' --weights '%s' %s --k 1,2 --p 0,0.3 --images 3 --seed 5 --json '%s/t.json'",
             cfg_path, wpath, setv, dir);
    int arc = akdbench(args);
    ck_assert_msg(arc == 0, "akdbench failed (%d): %s", arc, read_text("stderr.txt"));
    if (getenv("AKD_TEST_SHOW"))
        fprintf(stderr, "%s", read_text("stdout.txt"));
    const char *table = read_text("stdout.txt");
    ck_assert_msg(strstr(table, "| - | vanilla |") && strstr(table, "| 0.3 | 2 |"), "table:\n%s", table);
    /* the reference: the trainer's evaluation of the same teacher on the same 3 images */
    ak_train_data data;
    ck_assert_msg(ak_train_data_open(&data, &cfg, 0, &err) == AK_OK, "%s", err.msg);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_seg_metrics m;
    ck_assert_msg(ak_seg_evaluate(&ctx, &net, data.val, cfg.model.num_classes, 3, &m, &err) == AK_OK, "%s", err.msg);
    char jp[400];
    snprintf(jp, sizeof jp, "%s/t.json", dir);
    json_error_t je;
    json_t *root = json_load_file(jp, 0, &je);
    ck_assert_msg(root != NULL, "%s: %s", jp, je.text);
    json_t *rows = json_object_get(root, "rows");
    ck_assert_int_eq(json_array_size(rows), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(root, "images")), 3);
    const double v_miou = json_number_value(json_object_get(json_array_get(rows, 0), "mIoU"));
    const double v_aacc = json_number_value(json_object_get(json_array_get(rows, 0), "aAcc"));
    ck_assert_msg(v_miou == m.miou && v_aacc == m.aacc, "vanilla row mIoU %.17g aAcc %.17g, evaluation %.17g %.17g",
                  v_miou, v_aacc, m.miou, m.aacc);
    /* rows 1, 2: p = 0, K = 1 and 2 (exact copies of the teacher's logits) */
    for (int r = 1; r <= 2; r++) {
        json_t *row = json_array_get(rows, r);
        ck_assert_int_eq(json_integer_value(json_object_get(row, "k")), r);
        ck_assert_double_eq(json_number_value(json_object_get(row, "p")), 0.0);
        ck_assert_double_eq(json_number_value(json_object_get(row, "mIoU")), v_miou);
    }
    json_t *last = json_array_get(rows, 4);
    ck_assert_int_eq(json_integer_value(json_object_get(last, "k")), 2);
    ck_assert_double_eq_tol(json_number_value(json_object_get(last, "p")), 0.3, 1e-7);
    const double pm = json_number_value(json_object_get(last, "mIoU"));
    ck_assert_msg(pm >= 0 && pm <= 1, "mIoU %g", pm);
    json_decref(root);
    ak_ctx_free(&ctx);
    ak_train_data_close(&data);
    ak_net_free(&net);
    free(cfg_path);
}
END_TEST

/* The detection table: a random-init RetinaNet teacher (scores kept down to 0.001 so that it detects
 * something), every validation image. */
static const char *const det_sets[] = {"eval.score_thr=0.001"};

START_TEST(detection_vanilla_row_is_the_teacher_evaluation) {
    char *cfg_path = ak_source_path("tests/fixtures/harness/tiny_det.yaml");
    ak_run_config cfg;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_run_config_load(cfg_path, det_sets, 1, &cfg, NULL, &err) == AK_OK, "%s", err.msg);
    ak_net net;
    memset(&net, 0, sizeof net);
    ck_assert_msg(ak_net_build(&net, &cfg.model.teacher, &cfg, 13, &err) == AK_OK, "%s", err.msg);
    char wpath[400];
    snprintf(wpath, sizeof wpath, "%s/det_teacher.ckpt.h5", dir);
    ak_ckpt_meta meta = {0, ""};
    ck_assert_msg(ak_ckpt_save(wpath, &meta, &net.ps, NULL, 0, &err) == AK_OK, "%s", err.msg);
    char args[4096];
    snprintf(args, sizeof args,
             "avatars eval '%s' --weights '%s' --set eval.score_thr=0.001 --k 1,2 --p 0,0.3 --seed 5 --json "
             "'%s/d.json'",
             cfg_path, wpath, dir);
    int arc = akdbench(args);
    ck_assert_msg(arc == 0, "akdbench failed (%d): %s", arc, read_text("stderr.txt"));
    if (getenv("AKD_TEST_SHOW"))
        fprintf(stderr, "%s", read_text("stdout.txt"));
    const char *table = read_text("stdout.txt");
    ck_assert_msg(strstr(table, "| p | K | AP | AP50 | AP - vanilla | detections |") &&
                      strstr(table, "| - | vanilla |") && strstr(table, "| 0.3 | 2 |"),
                  "table:\n%s", table);
    /* the reference: the trainer's evaluation of the same teacher on the whole validation set */
    ak_train_data data;
    ck_assert_msg(ak_train_data_open(&data, &cfg, 0, &err) == AK_OK, "%s", err.msg);
    ak_coco gt;
    ck_assert_msg(ak_coco_load(&gt, data.coco_val.ann_file, &err) == AK_OK, "%s", err.msg);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_coco_eval ev;
    ck_assert_msg(ak_det_evaluate(&ctx, &net, data.val, &data.coco_val, &gt, &ev, &err) == AK_OK, "%s", err.msg);
    char jp[400];
    snprintf(jp, sizeof jp, "%s/d.json", dir);
    json_error_t je;
    json_t *root = json_load_file(jp, 0, &je);
    ck_assert_msg(root != NULL, "%s: %s", jp, je.text);
    ck_assert_str_eq(json_string_value(json_object_get(root, "task")), "det");
    ck_assert_str_eq(json_string_value(json_object_get(root, "metric")), "AP");
    ck_assert_str_eq(json_string_value(json_object_get(root, "arch")), "retinanet");
    json_t *taps = json_object_get(root, "taps");
    ck_assert_int_eq(json_array_size(taps), 5); /* method none: every neck level */
    ck_assert_str_eq(json_string_value(json_array_get(taps, 0)), "neck.p3");
    ck_assert_str_eq(json_string_value(json_array_get(taps, 4)), "neck.p7");
    ck_assert_int_eq(json_integer_value(json_object_get(root, "images")), (json_int_t)data.n_val);
    json_t *rows = json_object_get(root, "rows");
    ck_assert_int_eq(json_array_size(rows), 5);
    json_t *r0 = json_array_get(rows, 0);
    const double v_ap = json_number_value(json_object_get(r0, "AP"));
    const double v_ap50 = json_number_value(json_object_get(r0, "AP50"));
    const json_int_t v_dets = json_integer_value(json_object_get(r0, "detections"));
    ck_assert_msg(v_ap == ev.stats[0] && v_ap50 == ev.stats[1],
                  "vanilla row AP %.17g AP50 %.17g, evaluation %.17g %.17g", v_ap, v_ap50, ev.stats[0], ev.stats[1]);
    ck_assert_msg(v_dets > 0 && v_ap > 0, "the random teacher detects nothing useful (%lld detections, AP %g): the "
                  "comparisons below would be empty", (long long)v_dets, v_ap);
    for (int r = 1; r <= 2; r++) { /* p = 0, K = 1 and 2 */
        json_t *row = json_array_get(rows, r);
        ck_assert_int_eq(json_integer_value(json_object_get(row, "k")), r);
        ck_assert_double_eq(json_number_value(json_object_get(row, "p")), 0.0);
        ck_assert_double_eq(json_number_value(json_object_get(row, "AP")), v_ap);
        ck_assert_double_eq(json_number_value(json_object_get(row, "AP50")), v_ap50);
        ck_assert_int_eq(json_integer_value(json_object_get(row, "detections")), v_dets);
    }
    const double pa = json_number_value(json_object_get(json_array_get(rows, 4), "AP"));
    ck_assert_msg(pa >= 0 && pa <= 1, "AP %g", pa);
    json_decref(root);
    /* a tap subset from --taps: only those levels named in the JSON */
    snprintf(args, sizeof args,
             "avatars eval '%s' --weights '%s' --set eval.score_thr=0.001 --k 1 --p 0 --taps neck.p5,neck.p3 --json "
             "'%s/d2.json'",
             cfg_path, wpath, dir);
    arc = akdbench(args);
    ck_assert_msg(arc == 0, "akdbench failed (%d): %s", arc, read_text("stderr.txt"));
    snprintf(jp, sizeof jp, "%s/d2.json", dir);
    root = json_load_file(jp, 0, &je);
    ck_assert_msg(root != NULL, "%s: %s", jp, je.text);
    taps = json_object_get(root, "taps");
    ck_assert_int_eq(json_array_size(taps), 2);
    ck_assert_str_eq(json_string_value(json_array_get(taps, 0)), "neck.p5");
    json_t *row1 = json_array_get(json_object_get(root, "rows"), 1);
    ck_assert_double_eq(json_number_value(json_object_get(row1, "AP")), v_ap);
    json_decref(root);
    /* bad taps are named */
    snprintf(args, sizeof args, "avatars eval '%s' --weights '%s' --taps neck.p3,backbone.c5", cfg_path, wpath);
    ck_assert_int_eq(akdbench(args), 1);
    const char *e = read_text("stderr.txt");
    ck_assert_msg(strstr(e, "--taps") && strstr(e, "backbone.c5") && strstr(e, "neck.p7"), "%s", e);
    ak_coco_eval_free(&ev);
    ak_coco_free(&gt);
    ak_ctx_free(&ctx);
    ak_train_data_close(&data);
    ak_net_free(&net);
    free(cfg_path);
}
END_TEST

START_TEST(refusals_name_the_problem) {
    char *seg = ak_source_path("bench/configs/synth_cityscapes_cwd.yaml");
    char *det = ak_source_path("bench/configs/synth_coco_cwd.yaml");
    char args[4096], setv[2048];
    set_args(setv, sizeof setv);
    snprintf(args, sizeof args, "avatars eval '%s' --weights /nonexistent.h5", det);
    ck_assert_int_eq(akdbench(args), 1);
    ck_assert_msg(strstr(read_text("stderr.txt"), "nonexistent.h5"), "%s", read_text("stderr.txt"));
    snprintf(args, sizeof args, "avatars eval '%s' --weights x.h5 --taps neck.p3 %s", seg, setv);
    ck_assert_int_eq(akdbench(args), 1);
    ck_assert_msg(strstr(read_text("stderr.txt"), "--taps neck.p3"), "%s", read_text("stderr.txt"));
    snprintf(args, sizeof args, "avatars eval '%s' --weights x.h5 --images -3", seg);
    ck_assert_int_eq(akdbench(args), 2);
    ck_assert_msg(strstr(read_text("stderr.txt"), "--images -3"), "%s", read_text("stderr.txt"));
    snprintf(args, sizeof args, "avatars eval '%s' --weights x.h5 --k 1,x", seg);
    ck_assert_int_eq(akdbench(args), 2);
    ck_assert_msg(strstr(read_text("stderr.txt"), "--k: 'x'"), "%s", read_text("stderr.txt"));
    snprintf(args, sizeof args, "avatars eval '%s' --weights x.h5 --k 0 %s", seg, setv);
    ck_assert_int_eq(akdbench(args), 1);
    ck_assert_msg(strstr(read_text("stderr.txt"), "K = 0"), "%s", read_text("stderr.txt"));
    snprintf(args, sizeof args, "avatars eval '%s' %s", seg, setv);
    ck_assert_int_eq(akdbench(args), 1);
    ck_assert_msg(strstr(read_text("stderr.txt"), "no teacher weights"), "%s", read_text("stderr.txt"));
    snprintf(args, sizeof args, "avatars eval '%s' --weights '%s/missing.h5' %s", seg, dir, setv);
    ck_assert_int_eq(akdbench(args), 1);
    ck_assert_msg(strstr(read_text("stderr.txt"), "missing.h5"), "%s", read_text("stderr.txt"));
    snprintf(args, sizeof args, "avatars eval '%s' --weights x.h5 --perturb blur", seg);
    ck_assert_int_eq(akdbench(args), 2);
    ck_assert_msg(strstr(read_text("stderr.txt"), "--perturb blur"), "%s", read_text("stderr.txt"));
    snprintf(args, sizeof args, "avatars eval '%s' --weights x.h5 --p 0.1,1.0 %s", seg, setv);
    ck_assert_int_eq(akdbench(args), 1);
    ck_assert_msg(strstr(read_text("stderr.txt"), "akd.rate = 1"), "%s", read_text("stderr.txt"));
    snprintf(args, sizeof args, "avatars train '%s'", seg);
    ck_assert_int_eq(akdbench(args), 2);
    ck_assert_msg(strstr(read_text("stderr.txt"), "usage: akdbench avatars eval"), "%s", read_text("stderr.txt"));
    free(seg);
    free(det);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("akd_cli_avatars");
    TCase *tc = tcase_create("cli");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, vanilla_row_is_the_teacher_evaluation);
    tcase_add_test(tc, detection_vanilla_row_is_the_teacher_evaluation);
    tcase_add_test(tc, refusals_name_the_problem);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
