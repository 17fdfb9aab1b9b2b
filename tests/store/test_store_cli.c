/* `akdbench h5 check` / `akdbench h5 show` on real files: exit status 0 with a summary for a good
 * file, non-zero with a message naming the file for a truncated or damaged one, 2 for bad usage. */
#include <sys/wait.h>

#include "aktest.h"
#include "store/checkpoint.h"
#include "store_testutil.h"

typedef struct cli_out {
    int status;
    char out[8192], err[4096];
} cli_out;

static void run_cli(const char *dir, const char *args, cli_out *o) {
    char cmd[2048], out_path[512], err_path[512];
    st_path(out_path, sizeof out_path, dir, "stdout.txt");
    st_path(err_path, sizeof err_path, dir, "stderr.txt");
    snprintf(cmd, sizeof cmd, "'%s/akdbench' %s > '%s' 2> '%s'", AK_BUILD_DIR, args, out_path, err_path);
    int rc = system(cmd);
    ck_assert_msg(rc != -1 && WIFEXITED(rc), "could not run %s", cmd);
    o->status = WEXITSTATUS(rc);
    st_read_text(out_path, o->out, sizeof o->out);
    st_read_text(err_path, o->err, sizeof o->err);
}

static void make_run(const char *path) {
    ak_error err;
    ak_error_clear(&err);
    ak_run *run;
    ak_run_provenance prov = st_provenance();
    ck_assert_int_eq(ak_run_create(&run, path, &prov, &err), AK_OK);
    st_append_rows(run, 0, 12);
    ak_metric seg[3] = {{"mIoU", 0.4375}, {"aAcc", 0.875}, {"mAcc", 0.5}};
    double iou[3] = {0.25, 0.5, 0.625};
    int64_t ids[3] = {0, 1, 18};
    ak_metric_array arr = {"per_class_IoU", iou, ids, 3};
    ck_assert_int_eq(ak_run_write_eval(run, 11, seg, 3, &arr, 1, &err), AK_OK);
    ck_assert_int_eq(ak_run_write_eval(run, AK_EVAL_TEACHER, seg, 3, NULL, 0, &err), AK_OK);
    float f[2 * 4 * 8 * 8];
    ak_test_fill_uniform(f, 512, 3, -1, 1);
    int64_t shape[4] = {2, 4, 8, 8};
    ck_assert_int_eq(ak_run_write_features(run, 11, "teacher", "p3", shape, f, &err), AK_OK);
    ck_assert_int_eq(ak_run_write_features(run, 11, "avatar_0", "p3", shape, f, &err), AK_OK);
    ck_assert_int_eq(ak_run_finish(run, AK_RUN_COMPLETE, &err), AK_OK);
}

START_TEST(check_good_and_damaged_files) {
    char dir[256], good[512], bad[512], args[1200];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(good, sizeof good, dir, "good.h5");
    st_path(bad, sizeof bad, dir, "bad.h5");
    make_run(good);
    cli_out o;
    snprintf(args, sizeof args, "h5 check '%s'", good);
    run_cli(dir, args, &o);
    ck_assert_msg(o.status == 0, "status %d, stderr: %s", o.status, o.err);
    char id[AK_RUN_ID_LEN], want[128];
    ak_run_provenance prov = st_provenance();
    ak_run_id_of_config(prov.config, id);
    snprintf(want, sizeof want, "run_id %s, status complete", id);
    ck_assert_msg(strstr(o.out, ": ok (akdbench-run/1)") && strstr(o.out, want), "%s", o.out);
    ck_assert_msg(strstr(o.out, "train: 12 rows, iter 0..11, 2 extra loss terms"), "%s", o.out);
    ck_assert_msg(strstr(o.out, "eval: 1 steps (last 11), teacher eval: yes"), "%s", o.out);
    ck_assert_msg(strstr(o.out, "features: 1 steps, 2 maps"), "%s", o.out);

    /* truncate(2) to a third of the file. */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", good, bad);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(truncate(bad, st_file_size(bad) / 3), 0);
    snprintf(args, sizeof args, "h5 check '%s'", bad);
    run_cli(dir, args, &o);
    ck_assert_int_eq(o.status, 1);
    ck_assert_msg(strstr(o.err, bad) && strstr(o.err, "truncated file"), "stderr: %s", o.err);
    /* Several files: one bad one fails the command, the good one is still reported. */
    snprintf(args, sizeof args, "h5 check '%s' '%s'", good, bad);
    run_cli(dir, args, &o);
    ck_assert_int_eq(o.status, 1);
    ck_assert_msg(strstr(o.out, good), "%s", o.out);
    /* Garbage that keeps the file's size. */
    snprintf(cmd, sizeof cmd, "head -c %ld /dev/zero > '%s'", st_file_size(good), bad);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(args, sizeof args, "h5 check '%s'", bad);
    run_cli(dir, args, &o);
    ck_assert_int_eq(o.status, 1);
    ck_assert_msg(strstr(o.err, bad), "stderr: %s", o.err);
    st_rmdir(dir);
}
END_TEST

START_TEST(show_prints_provenance_and_metrics) {
    char dir[256], good[512], args[1200];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(good, sizeof good, dir, "good.h5");
    make_run(good);
    cli_out o;
    snprintf(args, sizeof args, "h5 show '%s'", good);
    run_cli(dir, args, &o);
    ck_assert_msg(o.status == 0, "status %d, stderr: %s", o.status, o.err);
    ak_run_provenance prov = st_provenance();
    char id[AK_RUN_ID_LEN];
    ak_run_id_of_config(prov.config, id);
    ck_assert_msg(strstr(o.out, id) && strstr(o.out, prov.git_commit) && strstr(o.out, prov.teacher_weights_hash),
                  "%s", o.out);
    ck_assert_msg(strstr(o.out, "seed                 18364758544493064720"), "%s", o.out);
    ck_assert_msg(strstr(o.out, "train: 12 rows") && strstr(o.out, "loss_fgd_global"), "%s", o.out);
    ck_assert_msg(strstr(o.out, "eval at step 11") && strstr(o.out, "mIoU           0.4375"), "%s", o.out);
    ck_assert_msg(strstr(o.out, "per_class_IoU  [3] 0:0.25 1:0.5 18:0.625"), "%s", o.out);
    ck_assert_msg(strstr(o.out, "teacher eval:"), "%s", o.out);
    ck_assert_msg(strstr(o.out, "config:\n  model: retinanet\n"), "%s", o.out);

    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.h5", dir);
    snprintf(args, sizeof args, "h5 show '%s'", missing);
    run_cli(dir, args, &o);
    ck_assert_int_eq(o.status, 1);
    ck_assert_msg(strstr(o.err, missing), "stderr: %s", o.err);
    run_cli(dir, "h5", &o);
    ck_assert_int_eq(o.status, 2);
    ck_assert_msg(strstr(o.err, "usage: akdbench h5 check"), "%s", o.err);
    run_cli(dir, "h5 frobnicate x.h5", &o);
    ck_assert_int_eq(o.status, 2);
    st_rmdir(dir);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("store_cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, check_good_and_damaged_files);
    tcase_add_test(tc, show_prints_provenance_and_metrics);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(make_suite)
