/* ctest-labels: reports
 * End to end: `akdbench sweep` on a tiny synthetic sweep (a teacher, the student alone, CWD without
 * and with Avatars, 2 seeds; 12 iterations per run), one more student run interrupted midway, then
 * `akdbench report`: every number of main.csv equals the statistic of the values stored in the run
 * files, the interrupted run is listed and not counted, the plots are real images, and an
 * unreadable run file makes the command fail naming it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "akreport.h"
#include "akscratch.h"
#include "aktest.h"
#include "bench/train/trainer.h"
#include "datasets/png_io.h"
#include "reports/plot.h"
#include "reports/stats.h"

static char work[4096], sweep_dir[4200], out_dir[4200];

static void setup(void) {
    ak_scratch_enter(work, sizeof work, "report-e2e");
    snprintf(sweep_dir, sizeof sweep_dir, "%s/sw", work);
    snprintf(out_dir, sizeof out_dir, "%s/rep", work);
}

static void teardown(void) { ak_scratch_leave(work); }

static int sh(const char *fmt, const char *a, const char *b, const char *c) {
    char cmd[16384];
    snprintf(cmd, sizeof cmd, fmt, a, b, c);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void check_mean(const char *csv, const char *method, const char *side, const char *const *files, int n) {
    const char *keys[] = {"method", "side"}, *vals[] = {method, side};
    char v[4096];
    ck_assert_msg(ak_test_csv_find(csv, keys, vals, 2, "mean", v, sizeof v), "no %s/%s line", method, side);
    double mean, std;
    ak_test_runs_stat(sweep_dir, files, n, &mean, &std);
    ck_assert_msg(strtod(v, NULL) == mean, "%s %s mean: report %s, run files %.17g", method, side, v, mean);
    ck_assert(ak_test_csv_find(csv, keys, vals, 2, "std", v, sizeof v));
    if (n > 1)
        ck_assert_msg(strtod(v, NULL) == std, "%s %s std: report %s, run files %.17g", method, side, v, std);
    else
        ck_assert_str_eq(v, "");
    ck_assert(ak_test_csv_find(csv, keys, vals, 2, "n", v, sizeof v));
    ck_assert_int_eq(atoi(v), n);
}

START_TEST(sweep_then_report) {
    char fixture[4200], akdbench[4200];
    snprintf(fixture, sizeof fixture, "%s/tests/fixtures/harness/tiny_sweep.yaml", AK_SOURCE_DIR);
    snprintf(akdbench, sizeof akdbench, "%s/akdbench", AK_BUILD_DIR);
    ck_assert_int_eq(sh("'%s' sweep '%s' --dir '%s' > sweep.log 2>&1", akdbench, fixture, sweep_dir), 0);

    /* a third student seed, stopped after 5 of its 12 iterations */
    char cfg[4200], run_path[4300];
    snprintf(cfg, sizeof cfg, "%s/tests/fixtures/harness/tiny_seg.yaml", AK_SOURCE_DIR);
    snprintf(run_path, sizeof run_path, "%s/tiny_seg-s2.h5", sweep_dir);
    const char *sets[] = {"train.seed=2"};
    ak_train_opts o;
    memset(&o, 0, sizeof o);
    o.config_path = cfg;
    o.sets = sets;
    o.n_sets = 1;
    o.run_path = run_path;
    o.stop_after = 5;
    ak_train_result res;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_train(&o, &res, &err) == AK_OK, "%s", err.msg);
    ck_assert(!res.complete);

    const char *formats = ak_plot_available() ? "md,csv,png" : "md,csv";
    ck_assert_int_eq(sh("'%s' report '%s' --format %s --out rep > report.log 2>&1", akdbench, sweep_dir, formats), 0);

    char path[4400];
    snprintf(path, sizeof path, "%s/main.csv", out_dir);
    char *csv = ak_test_slurp(path);
    const char *teacher[] = {"tiny_seg_teacher.h5"};
    const char *student[] = {"tiny_seg-s0.h5", "tiny_seg-s1.h5"};
    const char *cwd_off[] = {"tiny_seg_cwd-s0.h5", "tiny_seg_cwd-s1.h5"};
    const char *cwd_on[] = {"tiny_seg_cwd-avatars-s0.h5", "tiny_seg_cwd-avatars-s1.h5"};
    check_mean(csv, "none", "teacher", teacher, 1);
    check_mean(csv, "none", "student", student, 2);
    check_mean(csv, "cwd", "without", cwd_off, 2);
    check_mean(csv, "cwd", "with", cwd_on, 2);
    /* Δ: the same seeds on both sides, so per-seed differences */
    double d[2];
    for (int i = 0; i < 2; i++)
        d[i] = ak_test_run_miou(sweep_dir, cwd_on[i], NULL) - ak_test_run_miou(sweep_dir, cwd_off[i], NULL);
    ak_stat want = ak_stat_of(d, 2);
    const char *keys[] = {"method", "side"}, *vals[] = {"cwd", "delta"};
    char v[4096];
    ck_assert(ak_test_csv_find(csv, keys, vals, 2, "mean", v, sizeof v));
    ck_assert_msg(strtod(v, NULL) == (d[0] + d[1]) / 2, "delta %s vs %.17g", v, (d[0] + d[1]) / 2);
    ck_assert(ak_test_csv_find(csv, keys, vals, 2, "std", v, sizeof v));
    ck_assert(strtod(v, NULL) == want.std);
    ck_assert(ak_test_csv_find(csv, keys, vals, 2, "paired", v, sizeof v));
    ck_assert_str_eq(v, "1");
    /* the student cell knows about the interrupted third seed */
    const char *skeys[] = {"method", "side"}, *svals[] = {"none", "student"};
    ck_assert(ak_test_csv_find(csv, skeys, svals, 2, "n_runs", v, sizeof v));
    ck_assert_str_eq(v, "3");
    free(csv);

    snprintf(path, sizeof path, "%s/runs.csv", out_dir);
    csv = ak_test_slurp(path);
    const char *fk[] = {"file"}, *fv[] = {"tiny_seg-s2.h5.partial"};
    ck_assert(ak_test_csv_find(csv, fk, fv, 1, "state", v, sizeof v));
    ck_assert_str_eq(v, "incomplete");
    ck_assert(ak_test_csv_find(csv, fk, fv, 1, "status", v, sizeof v));
    ck_assert_str_eq(v, "interrupted");
    const char *tv[] = {"tiny_seg_teacher.h5"};
    ck_assert(ak_test_csv_find(csv, fk, tv, 1, "teacher_run", v, sizeof v));
    ck_assert_str_eq(v, "1");
    free(csv);

    snprintf(path, sizeof path, "%s/report.md", out_dir);
    char *md = ak_test_slurp(path);
    double mean, std;
    ak_test_runs_stat(sweep_dir, student, 2, &mean, &std);
    char cell[128];
    snprintf(cell, sizeof cell, "| %.2f ± %.2f (n=2 of 3) |", mean * 100, std * 100);
    ck_assert_msg(strstr(md, cell) != NULL, "student cell %s not in report.md", cell);
    ck_assert(strstr(md, "tiny_seg-s2.h5.partial") != NULL);
    free(md);

    if (ak_plot_available()) {
        snprintf(path, sizeof path, "%s/plots/curves_1_loss_total.png", out_dir);
        uint8_t *px;
        int h, w;
        ck_assert_msg(ak_png_read(path, 3, &px, &h, &w, &err) == AK_OK, "%s", err.msg);
        ck_assert(w == 800 && h == 500);
        int colored = 0; /* the curves are drawn: pixels that are neither grey nor white */
        for (int i = 0; i < w * h; i++)
            colored += !(px[3 * i] == px[3 * i + 1] && px[3 * i + 1] == px[3 * i + 2]);
        ck_assert_msg(colored > 500, "only %d coloured pixels", colored);
        free(px);
        snprintf(path, sizeof path, "%s/plots/curves_1_avatar_weight.png", out_dir);
        ck_assert_msg(access(path, R_OK) == 0, "%s missing", path);
    }

    /* an unreadable run file: the report is still written, the command fails naming the file */
    snprintf(path, sizeof path, "%s/junk.h5", sweep_dir);
    FILE *f = fopen(path, "w");
    fputs("not hdf5", f);
    fclose(f);
    ck_assert_int_eq(sh("'%s' report '%s' --format md --out rep2 > %s 2>&1", akdbench, sweep_dir, "report2.log"), 1);
    char *log = ak_test_slurp("report2.log");
    ck_assert_msg(strstr(log, "junk.h5") != NULL, "%s", log);
    free(log);
    ck_assert_int_eq(access("rep2/report.md", R_OK), 0);
    ck_assert_int_eq(sh("'%s' report '%s' --format pdf > %s 2>&1", akdbench, sweep_dir, "report3.log"), 2);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("report_e2e");
    TCase *tc = tcase_create("e2e");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, sweep_then_report);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
