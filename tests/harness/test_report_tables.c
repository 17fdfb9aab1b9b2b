/* ctest-labels: reports
 * The report's table model and files on sweep folders written here with the store API (known
 * metrics, configs written by hand): grouping by config except the seed, pairing w/o and w/
 * Avatars, teacher and student rows, failed / interrupted / missing / unreadable / duplicate runs
 * listed and not counted, results.h5 cross-check, ablation tables over the keys that vary (K x p and
 * perturbation type), per-class means, and the Markdown and CSV numbers equal to the values read
 * back from the run files. Error paths name the file or folder. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "akreport.h"
#include "akscratch.h"
#include "aktest.h"
#include "reports/collect.h"
#include "reports/plot.h"
#include "reports/report.h"
#include "reports/table.h"
#include "store/results_index.h"
#include "store/runfile.h"

static char work[4096];

static void setup(void) {
    ak_scratch_enter(work, sizeof work, "report-tables");
}

/* To look at the reports: AK_TEST_KEEP=1 ./test_report_tables */
static void teardown(void) { ak_scratch_leave(work); }

typedef struct spec {
    const char *name, *method, *student;
    bool avatars;
    int K;
    const char *rate, *perturb;
    int seed;
    double miou;
    ak_run_status status;
    const char *teacher_weights;
    bool features;
    bool det;            /* COCO detection (RetinaNet R50 <- R101, AP) instead of segmentation */
    double teacher_eval; /* > 0: the teacher's own metric in /teacher_eval */
} spec;

static void sub(char *out, size_t len, const char *dir, const char *name) { snprintf(out, len, "%s/%s", dir, name); }

static void write_run(const char *dir, spec s) {
    char cfg[2048], path[4200];
    snprintf(cfg, sizeof cfg,
             "akd:\n  enabled: %s\n  num_avatars: %d\n  perturb: %s\n  rate: %s\n  uncertainty: code\n"
             "dataset:\n  name: %s\n  synthetic: true\ndistill:\n  method: %s\n"
             "model:\n  inherit_from_teacher: none\n"
             "  student: {arch: %s, backbone: %s, dilated: %s, width: 1.0}\n"
             "  teacher: {arch: %s, backbone: resnet101, dilated: %s, width: 1.0, weights: '%s'}\n"
             "output:\n  dir: %s\nschedule:\n  max_iters: 4\ntask: %s\ntrain:\n  seed: %d\n",
             s.avatars ? "true" : "false", s.K ? s.K : 1, s.perturb ? s.perturb : "dropout", s.rate ? s.rate : "0.1",
             s.det ? "coco" : "cityscapes", s.method, s.det ? "retinanet" : "pspnet",
             s.student ? s.student : (s.det ? "resnet50" : "resnet18"), s.det ? "false" : "true",
             s.det ? "retinanet" : "pspnet", s.det ? "false" : "true", s.teacher_weights ? s.teacher_weights : "",
             s.name, s.det ? "det" : "seg", s.seed);
    snprintf(path, sizeof path, "%s/%s.h5", dir, s.name);
    ak_run_provenance prov;
    memset(&prov, 0, sizeof prov);
    prov.config = cfg;
    prov.seed = (uint64_t)s.seed;
    ak_error err;
    ak_error_clear(&err);
    ak_run *run;
    ck_assert_msg(ak_run_create(&run, path, &prov, &err) == AK_OK, "%s", err.msg);
    int64_t last = s.status == AK_RUN_COMPLETE ? 3 : 1;
    for (int64_t i = 0; i <= last; i++) {
        ak_train_row row = {i, 0.01, 2.0 - 0.1 * i + 0.01 * s.seed, 1.5 - 0.1 * i, 0.5, s.avatars ? 0.9 : 0.0, 0.1,
                            NULL};
        ck_assert_int_eq(ak_run_append_train(run, &row, &err), AK_OK);
    }
    if (s.det && s.status == AK_RUN_COMPLETE) {
        ak_metric m[12];
        for (int i = 0; i < 12; i++)
            m[i] = (ak_metric){ak_eval_det_metrics[i], i == 0 ? s.miou : 0.5};
        const int64_t ids[2] = {1, 3};
        double ap[2] = {s.miou - 0.05, s.miou + 0.05};
        ak_metric_array arr = {"per_category_ap", ap, ids, 2};
        ck_assert_int_eq(ak_run_write_eval(run, last, m, 12, &arr, 1, &err), AK_OK);
        if (s.teacher_eval > 0) {
            m[0].value = s.teacher_eval;
            ck_assert_int_eq(ak_run_write_eval(run, AK_EVAL_TEACHER, m, 12, NULL, 0, &err), AK_OK);
        }
    } else if (s.status == AK_RUN_COMPLETE) {
        ak_metric m[3] = {{"mIoU", s.miou}, {"aAcc", 0.9}, {"mAcc", s.miou + 0.05}};
        const int64_t ids[3] = {0, 1, 2};
        /* per-class IoU: class 1 absent (NaN) for seed 1 */
        double iou[3] = {s.miou - 0.1, s.seed == 1 ? NAN : s.miou, s.miou + 0.1};
        ak_metric_array arr = {"per_class_iou", iou, ids, 3};
        ck_assert_int_eq(ak_run_write_eval(run, last, m, 3, &arr, 1, &err), AK_OK);
    }
    if (s.features) {
        float data[2 * 2 * 4 * 4];
        for (int i = 0; i < 64; i++)
            data[i] = (float)(i % 16) - 3.0f;
        const int64_t shape[4] = {2, 2, 4, 4};
        const char *roles[] = {"student", "teacher", "avatar_0"};
        for (int r = 0; r < 3; r++)
            ck_assert_int_eq(ak_run_write_features(run, last, roles[r], "p3", shape, data, &err), AK_OK);
    }
    ck_assert_msg(ak_run_finish(run, s.status, &err) == AK_OK, "%s", err.msg);
}

static void write_garbage(const char *path) {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("this is not an HDF5 file\n", f);
    fclose(f);
}

static char dir_a[4200];

/* Sweep A: teacher, student alone, CWD and MGD w/o and w/ Avatars, with every kind of trouble. */
static void make_sweep_a(void) {
    sub(dir_a, sizeof dir_a, work, "a");
    mkdir(dir_a, 0755);
    char tw[4300];
    sub(tw, sizeof tw, dir_a, "teacher.h5");
    const ak_run_status OK = AK_RUN_COMPLETE;
    spec runs[] = {
        {"teacher", "none", "resnet101", false, 1, NULL, NULL, 0, 0.78, OK, NULL, false, false, 0},
        {"none-s0", "none", NULL, false, 1, NULL, NULL, 0, 0.70, OK, tw, false, false, 0},
        {"none-s1", "none", NULL, false, 1, NULL, NULL, 1, 0.71, OK, tw, false, false, 0},
        {"none-s2", "none", NULL, false, 1, NULL, NULL, 2, 0.72, OK, tw, false, false, 0},
        {"cwd-s0", "cwd", NULL, false, 1, NULL, NULL, 0, 0.73, OK, tw, false, false, 0},
        {"cwd-s1", "cwd", NULL, false, 1, NULL, NULL, 1, 0.74, OK, tw, false, false, 0},
        {"cwd-s2", "cwd", NULL, false, 1, NULL, NULL, 2, 0.75, OK, tw, false, false, 0},
        {"cwd-avatars-s0", "cwd", NULL, true, 1, NULL, NULL, 0, 0.76, OK, tw, true, false, 0},
        {"cwd-avatars-s1", "cwd", NULL, true, 1, NULL, NULL, 1, 0.77, OK, tw, false, false, 0},
        {"cwd-avatars-s2", "cwd", NULL, true, 1, NULL, NULL, 2, 0.0, AK_RUN_FAILED, tw, false, false, 0},
        /* the same experiment as cwd-s0: akd.* is unused while akd.enabled is false */
        {"cwd-s0_K4", "cwd", NULL, false, 4, NULL, NULL, 0, 0.73, OK, tw, false, false, 0},
        {"mgd-s0", "mgd", NULL, false, 1, NULL, NULL, 0, 0.72, OK, tw, false, false, 0},
        {"mgd-s1", "mgd", NULL, false, 1, NULL, NULL, 1, 0.73, OK, tw, false, false, 0},
        {"mgd-avatars-s0", "mgd", NULL, true, 1, NULL, NULL, 0, 0.745, OK, tw, false, false, 0},
        {"mgd-avatars-s1", "mgd", NULL, true, 1, NULL, NULL, 1, 0.755, OK, tw, false, false, 0},
        {"mgd-avatars-s2", "mgd", NULL, true, 1, NULL, NULL, 2, 0.0, AK_RUN_INTERRUPTED, tw, false, false, 0},
    };
    int n = (int)(sizeof runs / sizeof runs[0]);
    char results[4300];
    sub(results, sizeof results, dir_a, "results.h5");
    ak_error err;
    ak_error_clear(&err);
    for (int i = 0; i < n; i++) {
        write_run(dir_a, runs[i]);
        if (runs[i].status == OK) {
            char p[4300];
            snprintf(p, sizeof p, "%s/%s.h5", dir_a, runs[i].name);
            ck_assert_msg(ak_results_index_run(results, p, &err) == AK_OK, "%s", err.msg);
        }
    }
    /* an index row whose file is gone, and one that disagrees with its run file */
    const char *names[] = {"mIoU"};
    double v = 0.5;
    ak_results_row gone = {"00000000deadbeef", "elsewhere/gone-s9.h5", "complete", names, &v, 1};
    ck_assert_int_eq(ak_results_upsert(results, &gone, &err), AK_OK);
    char id[AK_RUN_ID_LEN], p[4300];
    ak_test_run_miou(dir_a, "none-s0.h5", id);
    snprintf(p, sizeof p, "%s/none-s0.h5", dir_a);
    ak_results_row wrong = {id, p, "complete", names, &v, 1};
    ck_assert_int_eq(ak_results_upsert(results, &wrong, &err), AK_OK);
    char broken[4300];
    sub(broken, sizeof broken, dir_a, "broken.h5");
    write_garbage(broken);
}

static int run_index(const ak_report_sweep *s, const char *file) {
    for (int i = 0; i < s->n_runs; i++)
        if (strcmp(s->runs[i].file, file) == 0)
            return i;
    ck_abort_msg("run %s not listed", file);
    return -1;
}

static const ak_report_row *row_of(const ak_report_tables *t, ak_report_row_kind kind, const char *method) {
    for (int i = 0; i < t->n_rows; i++)
        if (t->rows[i].kind == kind && strcmp(t->rows[i].method, method) == 0)
            return &t->rows[i];
    ck_abort_msg("no row %d %s", kind, method);
    return NULL;
}

START_TEST(groups_rows_and_states) {
    make_sweep_a();
    ak_error err;
    ak_error_clear(&err);
    ak_report_sweep s;
    ck_assert_msg(ak_report_collect(dir_a, &s, &err) == AK_OK, "%s", err.msg);
    ak_report_tables t;
    ck_assert_msg(ak_report_tables_build(&s, &t, &err) == AK_OK, "%s", err.msg);

    ck_assert_int_eq(s.n_runs, 16 + 1 + 1); /* 16 written, broken.h5, the missing one */
    ck_assert_int_eq(s.n_unreadable, 1);
    const ak_report_run *broken = &s.runs[run_index(&s, "broken.h5")];
    ck_assert_int_eq(broken->state, AK_RR_UNREADABLE);
    ck_assert_msg(strstr(broken->error, "broken.h5") != NULL, "%s", broken->error);
    ck_assert_int_eq(s.runs[run_index(&s, "gone-s9.h5")].state, AK_RR_MISSING);
    ck_assert_int_eq(s.runs[run_index(&s, "cwd-avatars-s2.h5.partial")].state, AK_RR_FAILED);
    ck_assert_int_eq(s.runs[run_index(&s, "mgd-avatars-s2.h5.partial")].state, AK_RR_INCOMPLETE);
    const ak_report_run *dup = &s.runs[run_index(&s, "cwd-s0_K4.h5")];
    ck_assert_int_eq(dup->state, AK_RR_DUPLICATE);
    ck_assert_int_eq(dup->duplicate_of, run_index(&s, "cwd-s0.h5"));
    ck_assert(s.runs[run_index(&s, "teacher.h5")].is_teacher);
    bool noted = false;
    for (int i = 0; i < s.n_notes; i++)
        noted |= strstr(s.notes[i], "none-s0.h5") && strstr(s.notes[i], "0.5");
    ck_assert_msg(noted, "no note about results.h5 disagreeing on none-s0.h5");

    /* one block: teacher, student, CWD, MGD, in that order */
    ck_assert_int_eq(t.n_families, 1);
    ck_assert_int_eq(t.n_rows, 4);
    ck_assert_int_eq(t.rows[0].kind, AK_ROW_TEACHER);
    ck_assert_int_eq(t.rows[1].kind, AK_ROW_STUDENT);
    ck_assert_str_eq(t.rows[2].method, "cwd");
    ck_assert_str_eq(t.rows[3].method, "mgd");
    ck_assert_int_eq(t.n_ablations, 0);

    double mean, std;
    const char *teacher[] = {"teacher.h5"};
    ak_test_runs_stat(dir_a, teacher, 1, &mean, &std);
    ck_assert(t.groups[t.rows[0].off].stat.mean == mean && t.groups[t.rows[0].off].stat.n == 1);

    const char *student[] = {"none-s0.h5", "none-s1.h5", "none-s2.h5"};
    ak_test_runs_stat(dir_a, student, 3, &mean, &std);
    const ak_report_group *g = &t.groups[row_of(&t, AK_ROW_STUDENT, "none")->off];
    ck_assert(g->stat.mean == mean && g->stat.std == std && g->stat.n == 3);

    const ak_report_row *cwd = row_of(&t, AK_ROW_DISTILL, "cwd");
    const char *cwd_off[] = {"cwd-s0.h5", "cwd-s1.h5", "cwd-s2.h5"}, *cwd_on[] = {"cwd-avatars-s0.h5",
                                                                                  "cwd-avatars-s1.h5"};
    double m_off, s_off, m_on, s_on;
    ak_test_runs_stat(dir_a, cwd_off, 3, &m_off, &s_off);
    ak_test_runs_stat(dir_a, cwd_on, 2, &m_on, &s_on);
    ck_assert(t.groups[cwd->off].stat.mean == m_off && t.groups[cwd->off].stat.std == s_off);
    ck_assert_int_eq(t.groups[cwd->off].n_used, 3); /* the duplicate is not a fourth seed */
    ck_assert(t.groups[cwd->on].stat.mean == m_on && t.groups[cwd->on].stat.std == s_on);
    ck_assert_int_eq(t.groups[cwd->on].n_used, 2);
    ck_assert_int_eq(t.groups[cwd->on].n_runs, 3); /* the failed seed is listed in the group */
    ck_assert_int_eq(cwd->paired, 0);               /* seeds {0,1,2} vs {0,1} */
    ck_assert_double_eq_tol(cwd->delta.mean, m_on - m_off, 1e-15);
    ck_assert_double_eq_tol(cwd->delta.std, sqrt(s_off * s_off + s_on * s_on), 1e-15);

    const ak_report_row *mgd = row_of(&t, AK_ROW_DISTILL, "mgd");
    ck_assert_int_eq(mgd->paired, 1);
    double d0 = ak_test_run_miou(dir_a, "mgd-avatars-s0.h5", NULL) - ak_test_run_miou(dir_a, "mgd-s0.h5", NULL);
    double d1 = ak_test_run_miou(dir_a, "mgd-avatars-s1.h5", NULL) - ak_test_run_miou(dir_a, "mgd-s1.h5", NULL);
    ck_assert(mgd->delta.mean == (d0 + d1) / 2);
    ck_assert_int_eq(t.groups[mgd->on].n_runs, 3); /* the interrupted seed is listed */

    ak_report_tables_free(&t);
    ak_report_sweep_free(&s);
}
END_TEST

START_TEST(files_equal_run_values) {
    make_sweep_a();
    char out[4300];
    sub(out, sizeof out, work, "out-a");
    ak_report_opts o = {AK_REPORT_MD | AK_REPORT_CSV | AK_REPORT_TEX |
                            (ak_plot_available() ? AK_REPORT_PNG | AK_REPORT_SVG : 0u),
                        out};
    ak_report_summary sum;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_report_generate(dir_a, &o, &sum, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(sum.n_unreadable, 1);
    ck_assert_msg(strstr(sum.unreadable[0], "broken.h5") != NULL, "%s", sum.unreadable[0]);
    ck_assert_int_eq(sum.n_counted, 13);

    /* main.csv: each mean, std, n and run id list equals what the run files hold */
    char path[4400];
    snprintf(path, sizeof path, "%s/main.csv", out);
    char *csv = ak_test_slurp(path);
    const char *keys[] = {"method", "side"};
    char v[4096];
    const char *cwd_on[] = {"cwd-avatars-s0.h5", "cwd-avatars-s1.h5"};
    double mean, std;
    ak_test_runs_stat(dir_a, cwd_on, 2, &mean, &std);
    const char *with[] = {"cwd", "with"};
    ck_assert(ak_test_csv_find(csv, keys, with, 2, "mean", v, sizeof v));
    ck_assert_msg(strtod(v, NULL) == mean, "%s vs %.17g", v, mean);
    ck_assert(ak_test_csv_find(csv, keys, with, 2, "std", v, sizeof v));
    ck_assert(strtod(v, NULL) == std);
    ck_assert(ak_test_csv_find(csv, keys, with, 2, "n", v, sizeof v));
    ck_assert_str_eq(v, "2");
    ck_assert(ak_test_csv_find(csv, keys, with, 2, "n_runs", v, sizeof v));
    ck_assert_str_eq(v, "3");
    char id0[AK_RUN_ID_LEN], id1[AK_RUN_ID_LEN], ids[64];
    ak_test_run_miou(dir_a, "cwd-avatars-s0.h5", id0);
    ak_test_run_miou(dir_a, "cwd-avatars-s1.h5", id1);
    snprintf(ids, sizeof ids, "%s;%s", id0, id1);
    ck_assert(ak_test_csv_find(csv, keys, with, 2, "run_ids", v, sizeof v));
    ck_assert_str_eq(v, ids);
    const char *teacher[] = {"none", "teacher"};
    ck_assert(ak_test_csv_find(csv, keys, teacher, 2, "mean", v, sizeof v));
    ck_assert(strtod(v, NULL) == ak_test_run_miou(dir_a, "teacher.h5", NULL));
    const char *delta[] = {"mgd", "delta"};
    ck_assert(ak_test_csv_find(csv, keys, delta, 2, "paired", v, sizeof v));
    ck_assert_str_eq(v, "1");
    free(csv);

    /* runs.csv lists every run with its state */
    snprintf(path, sizeof path, "%s/runs.csv", out);
    csv = ak_test_slurp(path);
    const char *fk[] = {"file"};
    const char *expect[][2] = {{"broken.h5", "unreadable"},       {"gone-s9.h5", "missing"},
                               {"cwd-avatars-s2.h5.partial", "failed"}, {"mgd-avatars-s2.h5.partial", "incomplete"},
                               {"cwd-s0_K4.h5", "duplicate"},   {"cwd-s1.h5", "complete"}};
    for (int i = 0; i < 6; i++) {
        const char *fv[] = {expect[i][0]};
        ck_assert_msg(ak_test_csv_find(csv, fk, fv, 1, "state", v, sizeof v), "%s not in runs.csv", expect[i][0]);
        ck_assert_str_eq(v, expect[i][1]);
    }
    const char *bv[] = {"broken.h5"};
    ck_assert(ak_test_csv_find(csv, fk, bv, 1, "note", v, sizeof v));
    ck_assert_msg(strstr(v, "broken.h5") != NULL, "%s", v);
    free(csv);

    /* per_class.csv: class 1 of CWD w/ is the mean of the seeds that have it (seed 1 is NaN) */
    snprintf(path, sizeof path, "%s/per_class.csv", out);
    csv = ak_test_slurp(path);
    const char *pk[] = {"class_id", "column"};
    const char *pv[] = {"1", "CWD w/"};
    ck_assert(ak_test_csv_find(csv, pk, pv, 2, "n", v, sizeof v));
    ck_assert_str_eq(v, "1");
    ck_assert(ak_test_csv_find(csv, pk, pv, 2, "mean", v, sizeof v));
    ck_assert(strtod(v, NULL) == ak_test_run_miou(dir_a, "cwd-avatars-s0.h5", NULL));
    const char *pv0[] = {"0", "CWD w/"};
    ck_assert(ak_test_csv_find(csv, pk, pv0, 2, "mean", v, sizeof v));
    ck_assert(strtod(v, NULL) == ((0.0 + (0.76 - 0.1)) + (0.77 - 0.1)) / 2);
    free(csv);

    /* report.md: the displayed cells are the rounded statistics, with n and "of" */
    snprintf(path, sizeof path, "%s/report.md", out);
    char *md = ak_test_slurp(path);
    const char *cwd_off[] = {"cwd-s0.h5", "cwd-s1.h5", "cwd-s2.h5"};
    double m_off, s_off;
    ak_test_runs_stat(dir_a, cwd_off, 3, &m_off, &s_off);
    char cell_off[96], cell_on[96];
    snprintf(cell_off, sizeof cell_off, "| %.2f ± %.2f (n=3) |", m_off * 100, s_off * 100);
    snprintf(cell_on, sizeof cell_on, " %.2f ± %.2f (n=2 of 3) |", mean * 100, std * 100);
    char *line = strstr(md, "| CWD |");
    ck_assert_msg(line != NULL, "no CWD row in report.md");
    char *eol = strchr(line, '\n');
    *eol = '\0';
    ck_assert_msg(strstr(line, cell_off) && strstr(line, cell_on), "CWD row: %s (want %s and %s)", line, cell_off,
                  cell_on);
    ck_assert_msg(strstr(line, "(n=2, unpaired) |") != NULL, "CWD delta not marked unpaired: %s", line);
    *eol = '\n';
    ck_assert(strstr(md, "| broken.h5 | — | unreadable |") != NULL);
    ck_assert(strstr(md, "| gone-s9.h5 | 00000000deadbeef | missing |") != NULL);
    ck_assert(strstr(md, "not counted: failed") != NULL);
    ck_assert(strstr(md, id0) != NULL && strstr(md, id1) != NULL); /* every number traces to its run ids */
    free(md);

    snprintf(path, sizeof path, "%s/report.tex", out);
    char *tex = ak_test_slurp(path);
    ck_assert(strstr(tex, "\\toprule") && strstr(tex, "\\bottomrule") && strstr(tex, "\\usepackage{booktabs}"));
    snprintf(cell_off, sizeof cell_off, "$%.2f \\pm %.2f$ (3)", m_off * 100, s_off * 100);
    ck_assert_msg(strstr(tex, cell_off) != NULL, "%s not in report.tex", cell_off);
    free(tex);

    if (ak_plot_available()) { /* figures: curves, and the stored features of cwd-avatars-s0 */
        const char *figs[] = {"plots/curves_1_loss_total.png", "plots/curves_1_avatar_weight.svg",
                              "plots/features_cwd-avatars-s0_p3.png"};
        for (int i = 0; i < 3; i++) {
            snprintf(path, sizeof path, "%s/%s", out, figs[i]);
            ck_assert_msg(access(path, R_OK) == 0, "%s was not written", path);
        }
    }
}
END_TEST

/* Sweep B: an ablation grid K x p for CWD (crossed with avatars off too, as the sweep runner does)
 * and a perturbation-type ablation for MGD. */
START_TEST(ablation_tables) {
    char dir[4200];
    sub(dir, sizeof dir, work, "b");
    mkdir(dir, 0755);
    const int Ks[] = {1, 2};
    const char *rates[] = {"0.05", "0.1"};
    char name[64];
    for (int k = 0; k < 2; k++)
        for (int r = 0; r < 2; r++)
            for (int seed = 0; seed < 2; seed++)
                for (int av = 0; av < 2; av++) {
                    snprintf(name, sizeof name, "cwd%s-s%d-K=%d-p=%s", av ? "-avatars" : "", seed, Ks[k], rates[r]);
                    double m = av ? 0.71 + 0.01 * Ks[k] + atof(rates[r]) + 0.001 * seed : 0.70 + 0.01 * seed;
                    spec s = {name, "cwd", NULL, av, Ks[k], rates[r], NULL, seed, m, AK_RUN_COMPLETE, "t.h5", false, false, 0};
                    write_run(dir, s);
                }
    const char *perturb[] = {"dropout", "gaussian"};
    for (int p = 0; p < 2; p++)
        for (int seed = 0; seed < 2; seed++) {
            snprintf(name, sizeof name, "mgd-avatars-s%d-%s", seed, perturb[p]);
            spec s = {name, "mgd", NULL, true, 1, NULL, perturb[p], seed, 0.6 + 0.1 * p + 0.01 * seed,
                      AK_RUN_COMPLETE, "t.h5", false, false, 0};
            write_run(dir, s);
        }

    ak_error err;
    ak_error_clear(&err);
    ak_report_sweep s;
    ck_assert_msg(ak_report_collect(dir, &s, &err) == AK_OK, "%s", err.msg);
    ak_report_tables t;
    ck_assert_msg(ak_report_tables_build(&s, &t, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(t.n_ablations, 2);
    const ak_report_ablation *A = &t.ablations[0];
    ck_assert_str_eq(A->method, "cwd");
    ck_assert_int_eq(A->n_keys, 2);
    ck_assert_str_eq(A->keys[0], "akd.num_avatars");
    ck_assert_str_eq(A->keys[1], "akd.rate");
    ck_assert_int_eq(A->n_rows, 4);
    const char *order[4][2] = {{"1", "0.05"}, {"1", "0.1"}, {"2", "0.05"}, {"2", "0.1"}};
    for (int i = 0; i < 4; i++) {
        ck_assert_str_eq(A->values[i * 2], order[i][0]);
        ck_assert_str_eq(A->values[i * 2 + 1], order[i][1]);
        const ak_report_row *r = &t.rows[A->rows[i]];
        char f0[96], f1[96];
        snprintf(f0, sizeof f0, "cwd-avatars-s0-K=%s-p=%s.h5", order[i][0], order[i][1]);
        snprintf(f1, sizeof f1, "cwd-avatars-s1-K=%s-p=%s.h5", order[i][0], order[i][1]);
        const char *on[] = {f0, f1};
        double mean, std;
        ak_test_runs_stat(dir, on, 2, &mean, &std);
        ck_assert(t.groups[r->on].stat.mean == mean && t.groups[r->on].stat.std == std);
        /* one baseline for every grid point: avatars off does not depend on K or p */
        ck_assert_int_eq(r->off, t.rows[A->rows[0]].off);
        ck_assert_int_eq(t.groups[r->off].n_used, 2);
        ck_assert_int_eq(t.groups[r->off].n_runs, 8); /* 2 seeds x 4 grid points, 6 of them duplicates */
        ck_assert_int_eq(r->paired, 1);
    }
    const ak_report_ablation *B = &t.ablations[1];
    ck_assert_str_eq(B->method, "mgd");
    ck_assert_int_eq(B->n_keys, 1);
    ck_assert_str_eq(B->keys[0], "akd.perturb");
    ck_assert_str_eq(B->values[0], "dropout");
    ck_assert_str_eq(B->values[1], "gaussian");
    ck_assert_int_eq(t.rows[B->rows[0]].off, -1); /* no w/o run for MGD in this sweep */

    char out[4300];
    sub(out, sizeof out, work, "out-b");
    ak_report_opts o = {AK_REPORT_MD | AK_REPORT_CSV | (ak_plot_available() ? AK_REPORT_PNG : 0u), out};
    ak_report_summary sum;
    ck_assert_msg(ak_report_generate(dir, &o, &sum, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(sum.n_ablations, 2);
    char path[4400], v[256];
    snprintf(path, sizeof path, "%s/ablation_1.csv", out);
    char *csv = ak_test_slurp(path);
    const char *keys[] = {"akd.num_avatars", "akd.rate", "side"};
    const char *vals[] = {"2", "0.1", "with"};
    ck_assert(ak_test_csv_find(csv, keys, vals, 3, "mean", v, sizeof v));
    const char *on[] = {"cwd-avatars-s0-K=2-p=0.1.h5", "cwd-avatars-s1-K=2-p=0.1.h5"};
    double mean, std;
    ak_test_runs_stat(dir, on, 2, &mean, &std);
    ck_assert(strtod(v, NULL) == mean);
    free(csv);
    snprintf(path, sizeof path, "%s/report.md", out);
    char *md = ak_test_slurp(path);
    ck_assert(strstr(md, "w/ Avatars, akd.num_avatars (rows) x akd.rate (columns)") != NULL);
    const char *on005[] = {"cwd-avatars-s0-K=2-p=0.05.h5", "cwd-avatars-s1-K=2-p=0.05.h5"};
    ak_test_runs_stat(dir, on005, 2, &mean, &std);
    char cell[128];
    snprintf(cell, sizeof cell, "| 2 | %.2f ± %.2f (n=2) |", mean * 100, std * 100);
    ck_assert_msg(strstr(md, cell) != NULL, "pivot row %s missing", cell);
    free(md);
    if (ak_plot_available()) {
        snprintf(path, sizeof path, "%s/plots/ablation_1.png", out);
        ck_assert_msg(access(path, R_OK) == 0, "%s was not written", path);
        snprintf(path, sizeof path, "%s/plots/ablation_2.png", out);
        ck_assert_msg(access(path, R_OK) == 0, "%s was not written", path);
    }
    ak_report_tables_free(&t);
    ak_report_sweep_free(&s);
}
END_TEST

START_TEST(errors_name_the_file) {
    ak_error err;
    ak_error_clear(&err);
    ak_report_sweep s;
    char missing[4300];
    sub(missing, sizeof missing, work, "no-such-sweep");
    ck_assert_int_eq(ak_report_collect(missing, &s, &err), AK_EIO);
    ck_assert_msg(strstr(err.msg, "no-such-sweep") != NULL, "%s", err.msg);
    ak_report_sweep_free(&s);

    char empty[4300];
    sub(empty, sizeof empty, work, "empty");
    mkdir(empty, 0755);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_report_collect(empty, &s, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "empty") && strstr(err.msg, "no run files"), "%s", err.msg);
    ak_report_sweep_free(&s);

    /* a corrupt results.h5 is reported (naming it), the run files are still used */
    char dir[4300], path[4400];
    sub(dir, sizeof dir, work, "c");
    mkdir(dir, 0755);
    spec one = {"none-s0", "none", NULL, false, 1, NULL, NULL, 0, 0.5, AK_RUN_COMPLETE, NULL, false, false, 0};
    write_run(dir, one);
    snprintf(path, sizeof path, "%s/results.h5", dir);
    write_garbage(path);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_report_collect(dir, &s, &err), AK_OK);
    ck_assert_int_eq(s.n_unreadable, 1);
    ck_assert_msg(s.index_error && strstr(s.index_error, "results.h5"), "%s", s.index_error ? s.index_error : "");
    ck_assert_int_eq(s.runs[0].state, AK_RR_COMPLETE);
    ak_report_sweep_free(&s);

    /* an output folder that cannot be created */
    snprintf(path, sizeof path, "%s/none-s0.h5/report", dir);
    ak_report_opts o = {AK_REPORT_MD, path};
    ak_report_summary sum;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_report_generate(dir, &o, &sum, &err), AK_EIO);
    ck_assert_msg(strstr(err.msg, path) != NULL, "%s", err.msg);
}
END_TEST

/* Detection: the metric is AP; without a teacher run file the teacher row comes from the teacher
 * evaluation stored in the distillation runs. */
START_TEST(detection_and_teacher_eval) {
    char dir[4200];
    sub(dir, sizeof dir, work, "det");
    mkdir(dir, 0755);
    for (int seed = 0; seed < 2; seed++) {
        char name[64];
        snprintf(name, sizeof name, "fgd-avatars-s%d", seed);
        spec s = {name, "fgd", NULL, true, 1, NULL, NULL, seed, 0.36 + 0.01 * seed, AK_RUN_COMPLETE, "teacher.pth",
                  false, true, 0.41};
        write_run(dir, s);
    }
    ak_error err;
    ak_error_clear(&err);
    ak_report_sweep s;
    ck_assert_msg(ak_report_collect(dir, &s, &err) == AK_OK, "%s", err.msg);
    ak_report_tables t;
    ck_assert_msg(ak_report_tables_build(&s, &t, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(t.n_families, 1);
    ck_assert_str_eq(t.families[0].metric, "AP");
    char task[96];
    ak_report_task_label(&t.families[0], task, sizeof task);
    ck_assert_str_eq(task, "COCO det (synthetic)");
    ck_assert_int_eq(t.n_rows, 2);
    ck_assert_int_eq(t.rows[0].kind, AK_ROW_TEACHER);
    ck_assert_int_eq(t.rows[0].teacher_eval_run, 0); /* fgd-avatars-s0, the first counted run */
    ck_assert(s.runs[0].teacher_metric == 0.41);
    ck_assert(t.rows[0].ref == 1);
    const ak_report_group *g = &t.groups[t.rows[1].on];
    ck_assert(g->stat.mean == (0.36 + 0.37) / 2);
    ck_assert_int_eq(t.rows[1].off, -1);

    char out[4300], path[4400], v[256];
    sub(out, sizeof out, work, "out-det");
    ak_report_opts o = {AK_REPORT_CSV | AK_REPORT_MD, out};
    ak_report_summary sum;
    ck_assert_msg(ak_report_generate(dir, &o, &sum, &err) == AK_OK, "%s", err.msg);
    snprintf(path, sizeof path, "%s/per_class.csv", out);
    char *csv = ak_test_slurp(path);
    const char *keys[] = {"array", "class_id"}, *vals[] = {"per_category_ap", "3"};
    ck_assert(ak_test_csv_find(csv, keys, vals, 2, "mean", v, sizeof v));
    ck_assert(strtod(v, NULL) == ((0.0 + (0.36 + 0.05)) + (0.37 + 0.05)) / 2);
    free(csv);
    snprintf(path, sizeof path, "%s/main.csv", out);
    csv = ak_test_slurp(path);
    const char *mk[] = {"side"}, *mv[] = {"teacher"};
    ck_assert(ak_test_csv_find(csv, mk, mv, 1, "mean", v, sizeof v));
    ck_assert(strtod(v, NULL) == 0.41);
    ck_assert(ak_test_csv_find(csv, mk, mv, 1, "metric", v, sizeof v));
    ck_assert_str_eq(v, "AP");
    free(csv);
    ak_report_tables_free(&t);
    ak_report_sweep_free(&s);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("report_tables");
    TCase *tc = tcase_create("sweeps");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, groups_rows_and_states);
    tcase_add_test(tc, files_equal_run_values);
    tcase_add_test(tc, ablation_tables);
    tcase_add_test(tc, detection_and_teacher_eval);
    tcase_add_test(tc, errors_name_the_file);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
