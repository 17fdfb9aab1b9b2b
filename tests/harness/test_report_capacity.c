/* ctest-labels: reports akd
 * Avatar-capacity tables in `akdbench report`: a sweep folder with one run file and three
 * *.capacity.json files - one written by `akdbench avatars eval` on a tiny detection teacher (the
 * command's real output), one segmentation table written here, one broken - gives a report whose
 * Markdown, LaTeX and capacity.csv show every row with the stored values (CSV: bit for bit; Markdown:
 * x100 and the difference to the vanilla row), while the broken file is listed as unreadable and
 * makes the command fail naming it. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "akreport.h"
#include "akscratch.h"
#include "aktest.h"
#include "bench/train/net.h"
#include "reports/capacity.h"
#include "reports/report.h"
#include "store/checkpoint.h"
#include "store/runfile.h"

static char work[4096], sweep[4200];

static void setup(void) {
    ak_scratch_enter(work, sizeof work, "report-capacity");
    snprintf(sweep, sizeof sweep, "%s/sw", work);
    ck_assert_int_eq(mkdir(sweep, 0755), 0);
}

static void teardown(void) { ak_scratch_leave(work); }

/* One complete segmentation run (the report needs at least one run file). */
static void write_run(void) {
    const char *cfg = "akd:\n  enabled: false\ndataset:\n  name: cityscapes\n  synthetic: true\n"
                      "distill:\n  method: none\n"
                      "model:\n  student: {arch: pspnet, backbone: resnet18, dilated: true, width: 1.0}\n"
                      "  teacher: {arch: pspnet, backbone: resnet101, dilated: true, width: 1.0, weights: ''}\n"
                      "output:\n  dir: x\nschedule:\n  max_iters: 1\ntask: seg\ntrain:\n  seed: 0\n";
    char path[4300];
    snprintf(path, sizeof path, "%s/student-s0.h5", sweep);
    ak_run_provenance prov;
    memset(&prov, 0, sizeof prov);
    prov.config = cfg;
    ak_error err;
    ak_error_clear(&err);
    ak_run *run;
    ck_assert_msg(ak_run_create(&run, path, &prov, &err) == AK_OK, "%s", err.msg);
    ak_train_row row = {0, 0.01, 2.0, 1.5, 0.5, 0.0, 0.1, NULL};
    ck_assert_int_eq(ak_run_append_train(run, &row, &err), AK_OK);
    ak_metric m[3] = {{"mIoU", 0.5}, {"aAcc", 0.9}, {"mAcc", 0.55}};
    ck_assert_int_eq(ak_run_write_eval(run, 0, m, 3, NULL, 0, &err), AK_OK);
    ck_assert_msg(ak_run_finish(run, AK_RUN_COMPLETE, &err) == AK_OK, "%s", err.msg);
}

static void write_text(const char *name, const char *text) {
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", sweep, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static const char *seg_json =
    "{\"format\": \"akdbench-capacity\", \"version\": 1, \"task\": \"seg\", \"metric\": \"mIoU\", \"metric2\": "
    "\"aAcc\", \"config\": \"c.yaml\", \"teacher\": \"t.h5\", \"arch\": \"pspnet\", \"backbone\": \"resnet18\", "
    "\"width\": 0.5, \"taps\": [\"backbone.c5\"], \"head\": \"decode head\", \"perturb\": \"dropout\", \"seed\": 3, "
    "\"images\": 7, \"rows\": [\n"
    "{\"k\": 0, \"p\": 0, \"mIoU\": 0.26041234567890123, \"aAcc\": 0.81},\n"
    "{\"k\": 1, \"p\": 0.100000001, \"mIoU\": 0.25012345678901234, \"aAcc\": 0.8},\n"
    "{\"k\": 4, \"p\": 0.100000001, \"mIoU\": 0.27123456789012345, \"aAcc\": 0.82}]}\n";

/* field `col` of the capacity.csv line of (file, k, p) */
static double csv_value(const char *csv, const char *file, const char *k, const char *p, const char *col) {
    const char *keys[] = {"file", "k", "p"}, *vals[] = {file, k, p};
    char v[256];
    ck_assert_msg(ak_test_csv_find(csv, keys, vals, 3, col, v, sizeof v), "capacity.csv: no line %s k %s p %s", file,
                  k, p);
    return strtod(v, NULL);
}

START_TEST(report_shows_capacity_tables) {
    write_run();
    /* the command's own output on a tiny random-init RetinaNet teacher */
    char *cfg_path = ak_source_path("tests/fixtures/harness/tiny_det.yaml");
    const char *sets[] = {"eval.score_thr=0.001"};
    ak_run_config cfg;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_run_config_load(cfg_path, sets, 1, &cfg, NULL, &err) == AK_OK, "%s", err.msg);
    ak_net net;
    memset(&net, 0, sizeof net);
    ck_assert_msg(ak_net_build(&net, &cfg.model.teacher, &cfg, 13, &err) == AK_OK, "%s", err.msg);
    ak_ckpt_meta meta = {0, ""};
    ck_assert_msg(ak_ckpt_save("teacher.ckpt.h5", &meta, &net.ps, NULL, 0, &err) == AK_OK, "%s", err.msg);
    ak_net_free(&net);
    ck_assert_int_eq(ak_cli(work,
                            "avatars eval '%s' --weights teacher.ckpt.h5 --set eval.score_thr=0.001 --k 1,2 --p 0.3 "
                            "--json '%s/det.capacity.json'",
                            cfg_path, sweep),
                     0);
    free(cfg_path);
    write_text("seg.capacity.json", seg_json);
    write_text("broken.capacity.json", "{\"format\": \"akdbench-capacity\", \"version\": 1, \"rows\": 3}");

    ak_report_opts o = {AK_REPORT_MD | AK_REPORT_TEX | AK_REPORT_CSV, NULL};
    ak_report_summary sum;
    ck_assert_msg(ak_report_generate(sweep, &o, &sum, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(sum.n_capacity, 3);
    ck_assert_int_eq(sum.n_unreadable, 1);
    ck_assert_msg(strstr(sum.unreadable[0], "broken.capacity.json") && strstr(sum.unreadable[0], "rows"), "%s",
                  sum.unreadable[0]);

    /* capacity.csv = the JSON values, bit for bit */
    char path[4400];
    snprintf(path, sizeof path, "%s/report/capacity.csv", sweep);
    char *csv = ak_test_slurp(path);
    ck_assert(csv_value(csv, "seg.capacity.json", "0", "0", "value") == 0.26041234567890123);
    ck_assert(csv_value(csv, "seg.capacity.json", "4", "0.100000001", "value") == 0.27123456789012345);
    ck_assert(csv_value(csv, "seg.capacity.json", "1", "0.100000001", "value2") == 0.8);
    snprintf(path, sizeof path, "%s/det.capacity.json", sweep);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    ck_assert_msg(root != NULL, "%s", je.text);
    json_t *rows = json_object_get(root, "rows");
    ck_assert_int_eq(json_array_size(rows), 3);
    for (size_t r = 0; r < 3; r++) {
        json_t *row = json_array_get(rows, r);
        char k[16], p[32];
        snprintf(k, sizeof k, "%lld", (long long)json_integer_value(json_object_get(row, "k")));
        snprintf(p, sizeof p, "%.9g", json_number_value(json_object_get(row, "p")));
        ck_assert(csv_value(csv, "det.capacity.json", k, p, "value") == json_number_value(json_object_get(row, "AP")));
        ck_assert(csv_value(csv, "det.capacity.json", k, p, "value2") ==
                  json_number_value(json_object_get(row, "AP50")));
        ck_assert(csv_value(csv, "det.capacity.json", k, p, "detections") ==
                  (double)json_integer_value(json_object_get(row, "detections")));
    }
    const double det_v = json_number_value(json_object_get(json_array_get(rows, 0), "AP"));
    const double det_2 = json_number_value(json_object_get(json_array_get(rows, 2), "AP"));
    json_decref(root);
    free(csv);

    /* report.md: one section, a table per readable file, the broken one listed */
    snprintf(path, sizeof path, "%s/report/report.md", sweep);
    char *md = ak_test_slurp(path);
    ck_assert_msg(strstr(md, "## Avatar capacity"), "%s", md);
    ck_assert_msg(strstr(md, "| p | K | AP | AP50 | AP − vanilla | detections |"), "%s", md);
    ck_assert_msg(strstr(md, "| p | K | mIoU | aAcc | mIoU − vanilla |"), "%s", md);
    ck_assert_msg(strstr(md, "| - | vanilla | 26.04 | 81.00 | - |"), "%s", md);
    ck_assert_msg(strstr(md, "| 0.1 | 4 | 27.12 | 82.00 | +1.08 |"), "%s", md);
    ck_assert_msg(strstr(md, "| 0.1 | 1 | 25.01 | 80.00 | -1.03 |"), "%s", md);
    ck_assert_msg(strstr(md, "backbone.c5") && strstr(md, "neck.p3, neck.p4, neck.p5, neck.p6, neck.p7"), "%s", md);
    char want[128];
    snprintf(want, sizeof want, "| 0.3 | 2 | %.2f |", 100 * det_2);
    ck_assert_msg(strstr(md, want), "no '%s' in\n%s", want, md);
    snprintf(want, sizeof want, "| - | vanilla | %.2f |", 100 * det_v);
    ck_assert_msg(strstr(md, want), "no '%s' in\n%s", want, md);
    ck_assert_msg(strstr(md, "`broken.capacity.json`") && strstr(md, "unreadable"), "%s", md);
    free(md);
    snprintf(path, sizeof path, "%s/report/report.tex", sweep);
    char *tex = ak_test_slurp(path);
    ck_assert_msg(strstr(tex, "Avatar capacity") && strstr(tex, "0.1 & 4 & 27.12 & 82.00 & +1.08"), "%s", tex);
    free(tex);

    /* the command line fails naming the broken file */
    ck_assert_int_ne(ak_cli(work, "report '%s' --format md", sweep), 0);
    ck_assert_msg(strstr(ak_scratch_text(work, "stderr.txt"), "broken.capacity.json"), "%s",
                  ak_scratch_text(work, "stderr.txt"));
}
END_TEST

START_TEST(bad_files_are_named) {
    static const char *const cases[][2] = {
        {"not json", "not a capacity table"},
        {"{\"format\": \"other\"}", "akdbench-capacity"},
        {"{\"format\": \"akdbench-capacity\", \"version\": 2}", "version\" 2"},
        {"{\"format\": \"akdbench-capacity\", \"version\": 1, \"task\": \"seg\", \"metric\": \"mIoU\", \"metric2\": "
         "\"aAcc\", \"perturb\": \"dropout\", \"taps\": [], \"rows\": [{\"k\": 1, \"p\": 0.1, \"mIoU\": 0.1, "
         "\"aAcc\": 0.2}]}",
         "vanilla row"},
        {"{\"format\": \"akdbench-capacity\", \"version\": 1, \"task\": \"seg\", \"metric\": \"mIoU\", \"metric2\": "
         "\"aAcc\", \"perturb\": \"dropout\", \"taps\": [], \"rows\": [{\"k\": 0, \"p\": 0, \"mIoU\": 0.1}]}",
         "rows[0]: expected k, p, mIoU and aAcc"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_text("x.capacity.json", cases[i][0]);
        char path[4300];
        snprintf(path, sizeof path, "%s/x.capacity.json", sweep);
        ak_report_capacity *c = malloc(sizeof *c);
        ak_error err;
        ak_error_clear(&err);
        ck_assert_int_eq(ak_report_capacity_read(path, c, &err), AK_OK);
        ck_assert_msg(c->error && strstr(c->error, "x.capacity.json") && strstr(c->error, cases[i][1]),
                      "case %zu: %s", i, c->error ? c->error : "(read)");
        ak_report_capacity_free(c, 1);
    }
    ak_report_capacity *all;
    int n;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_report_capacity_collect("/nonexistent-folder", &all, &n, &err), AK_EIO);
    ck_assert_msg(strstr(err.msg, "/nonexistent-folder"), "%s", err.msg);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("report_capacity");
    TCase *tc = tcase_create("capacity");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, report_shows_capacity_tables);
    tcase_add_test(tc, bad_files_are_named);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
