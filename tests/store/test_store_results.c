/* The sweep index results.h5: rows are added and replaced by run id, metric columns are the union
 * (NaN where a run lacks a metric), updates are atomic, concurrent writers (processes) do not lose
 * rows, a run file is indexed from its last evaluation, and errors name the file. */
#include <hdf5.h>

#include "aktest.h"
#include "store/results_index.h"
#include "store_testutil.h"

START_TEST(upsert_and_read_back) {
    char dir[256], path[512], tmp[600];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(path, sizeof path, dir, "results.h5");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ak_error err;
    ak_error_clear(&err);
    const char *m1[2] = {"mIoU", "aAcc"};
    double v1[2] = {0.625, 1.0 / 3.0};
    ak_results_row r1 = {"aaaa000000000001", "runs/a.h5", "complete", m1, v1, 2};
    ck_assert_msg(ak_results_upsert(path, &r1, &err) == AK_OK, "%s", err.msg);
    const char *m2[2] = {"mIoU", "mAcc"};
    double v2[2] = {0.5, 0.75};
    ak_results_row r2 = {"bbbb000000000002", "runs/b.h5", "running", m2, v2, 2};
    ck_assert_msg(ak_results_upsert(path, &r2, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(st_file_size(tmp) < 0, "temporary file left behind");

    ak_results r;
    ck_assert_msg(ak_results_read(path, &r, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(r.n_runs, 2);
    ck_assert_int_eq(r.n_metrics, 3);
    ck_assert_str_eq(r.metric_names[0], "aAcc"); /* name order */
    ck_assert_str_eq(r.metric_names[1], "mAcc");
    ck_assert_str_eq(r.metric_names[2], "mIoU");
    int a = ak_results_find(&r, "aaaa000000000001"), b = ak_results_find(&r, "bbbb000000000002");
    ck_assert_int_eq(a, 0);
    ck_assert_int_eq(b, 1);
    ck_assert_str_eq(r.path[b], "runs/b.h5");
    ck_assert_str_eq(r.status[b], "running");
    ck_assert(ak_results_get(&r, a, "aAcc") == 1.0 / 3.0);
    ck_assert(ak_results_get(&r, a, "mIoU") == 0.625);
    ck_assert(isnan(ak_results_get(&r, a, "mAcc")));
    ck_assert(isnan(ak_results_get(&r, b, "aAcc")));
    ck_assert(ak_results_get(&r, b, "mAcc") == 0.75);
    ck_assert(isnan(ak_results_get(&r, b, "AP")));
    ck_assert_int_eq(ak_results_find(&r, "cccc"), -1);
    ak_results_free(&r);

    /* Replacing b's row: its status and metrics change, a is untouched. */
    double v3[2] = {0.55, 0.8};
    ak_results_row r3 = {"bbbb000000000002", "runs/b.h5", "complete", m2, v3, 2};
    ck_assert_int_eq(ak_results_upsert(path, &r3, &err), AK_OK);
    ck_assert_int_eq(ak_results_read(path, &r, &err), AK_OK);
    ck_assert_int_eq(r.n_runs, 2);
    ck_assert_str_eq(r.status[1], "complete");
    ck_assert(ak_results_get(&r, 1, "mIoU") == 0.55);
    ck_assert(ak_results_get(&r, 0, "mIoU") == 0.625);
    ak_results_free(&r);

    /* Readable by h5dump-style tools: plain string and float64 arrays. */
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert(H5Lexists(f, "/metrics/mIoU", H5P_DEFAULT) > 0);
    H5Fclose(f);

    /* Bad rows. */
    ak_results_row bad = {"", "x", "complete", NULL, NULL, 0};
    ck_assert_int_eq(ak_results_upsert(path, &bad, &err), AK_EINVAL);
    ak_error_clear(&err);
    const char *dup[2] = {"AP", "AP"};
    ak_results_row bad2 = {"cccc", "x", "complete", dup, v1, 2};
    ck_assert_int_eq(ak_results_upsert(path, &bad2, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "'AP' given twice"), "%s", err.msg);
    ak_error_clear(&err);
    /* Missing / foreign files. */
    char other[600];
    snprintf(other, sizeof other, "%s/none.h5", dir);
    ck_assert_int_eq(ak_results_read(other, &r, &err), AK_EIO);
    ck_assert_msg(strstr(err.msg, other), "%s", err.msg);
    ak_error_clear(&err);
    st_write_text(other, "junk");
    ck_assert_int_eq(ak_results_read(other, &r, &err), AK_EFORMAT);
    ck_assert_msg(strstr(err.msg, other), "%s", err.msg);
    st_rmdir(dir);
}
END_TEST

START_TEST(empty_index_round_trip) {
    char dir[256], path[512];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(path, sizeof path, dir, "results.h5");
    ak_error err;
    ak_error_clear(&err);
    ak_results r;
    ak_results_init(&r);
    ck_assert_msg(ak_results_write(path, &r, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_results_read(path, &r, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(r.n_runs, 0);
    ck_assert_int_eq(r.n_metrics, 0);
    ak_results_free(&r);
    st_rmdir(dir);
}
END_TEST

/* Child: add 10 rows to the index, one upsert each. */
typedef struct writer_arg {
    const char *path;
    int who;
} writer_arg;

static int add_rows(void *p) {
    writer_arg *w = p;
    for (int i = 0; i < 10; i++) {
        char id[32];
        snprintf(id, sizeof id, "w%d_row%02d", w->who, i);
        const char *names[1] = {"AP"};
        double v[1] = {w->who * 100.0 + i};
        ak_results_row row = {id, "p.h5", "complete", names, v, 1};
        ak_error err;
        ak_error_clear(&err);
        if (ak_results_upsert(w->path, &row, &err) != AK_OK)
            return 1;
    }
    return 0;
}

START_TEST(concurrent_writers_lose_nothing) {
    char dir[256], path[512];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(path, sizeof path, dir, "results.h5");
    fflush(NULL);
    pid_t pids[3];
    writer_arg args[3];
    for (int w = 0; w < 3; w++) {
        args[w] = (writer_arg){path, w};
        pids[w] = fork();
        ck_assert_int_ge(pids[w], 0);
        if (pids[w] == 0)
            _exit(add_rows(&args[w]));
    }
    for (int w = 0; w < 3; w++) {
        int status;
        waitpid(pids[w], &status, 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d failed", w);
    }
    ak_error err;
    ak_error_clear(&err);
    ak_results r;
    ck_assert_msg(ak_results_read(path, &r, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(r.n_runs, 30);
    for (int w = 0; w < 3; w++)
        for (int i = 0; i < 10; i++) {
            char id[32];
            snprintf(id, sizeof id, "w%d_row%02d", w, i);
            int row = ak_results_find(&r, id);
            ck_assert_msg(row >= 0, "row %s lost", id);
            ck_assert(ak_results_get(&r, row, "AP") == w * 100.0 + i);
        }
    ak_results_free(&r);
    st_rmdir(dir);
}
END_TEST

START_TEST(index_a_run_file) {
    char dir[256], run_path[512], path[512];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(run_path, sizeof run_path, dir, "run.h5");
    st_path(path, sizeof path, dir, "results.h5");
    ak_error err;
    ak_error_clear(&err);
    ak_run *run;
    ak_run_provenance prov = st_provenance();
    ck_assert_int_eq(ak_run_create(&run, run_path, &prov, &err), AK_OK);
    ak_metric early[3] = {{"mIoU", 0.1}, {"aAcc", 0.2}, {"mAcc", 0.3}};
    ak_metric last[3] = {{"mIoU", 0.4}, {"aAcc", 0.5}, {"mAcc", 0.6}};
    double iou[2] = {0.3, 0.5};
    ak_metric_array arr = {"per_class_IoU", iou, NULL, 2};
    ck_assert_int_eq(ak_run_write_eval(run, 9, early, 3, NULL, 0, &err), AK_OK);
    ck_assert_int_eq(ak_run_write_eval(run, 100, last, 3, &arr, 1, &err), AK_OK);
    ck_assert_int_eq(ak_run_finish(run, AK_RUN_COMPLETE, &err), AK_OK);
    ck_assert_msg(ak_results_index_run(path, run_path, &err) == AK_OK, "%s", err.msg);
    ak_results r;
    ck_assert_int_eq(ak_results_read(path, &r, &err), AK_OK);
    ck_assert_int_eq(r.n_runs, 1);
    char id[AK_RUN_ID_LEN];
    ak_run_id_of_config(prov.config, id);
    ck_assert_str_eq(r.run_id[0], id);
    ck_assert_str_eq(r.path[0], run_path);
    ck_assert_str_eq(r.status[0], "complete");
    ck_assert_int_eq(r.n_metrics, 3); /* scalars of the last evaluation only */
    ck_assert(ak_results_get(&r, 0, "mIoU") == 0.4);
    ck_assert(ak_results_get(&r, 0, "mAcc") == 0.6);
    ak_results_free(&r);
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.h5", dir);
    ck_assert_int_eq(ak_results_index_run(path, missing, &err), AK_EIO);
    ck_assert_msg(strstr(err.msg, missing), "%s", err.msg);
    st_rmdir(dir);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("store_results");
    TCase *tc = tcase_create("results");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, upsert_and_read_back);
    tcase_add_test(tc, empty_index_round_trip);
    tcase_add_test(tc, concurrent_writers_lose_nothing);
    tcase_add_test(tc, index_a_run_file);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(make_suite)
