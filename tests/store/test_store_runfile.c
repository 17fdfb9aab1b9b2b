/* Run files: every field written is read back bitwise; appending across a reopen; truncation on
 * resume gives the same file contents as an uninterrupted run; API misuse errors name the object;
 * h5dump can read the file. */
#include <hdf5.h>
#include <inttypes.h>

#include "aktest.h"
#include "store/checkpoint.h"
#include "store/run_compare.h"
#include "store/run_validate.h"
#include "store_testutil.h"

static const int64_t FSHAPE[4] = {3, 4, 5, 6};

static void fill_features(float *f, int64_t n, uint64_t seed) { ak_test_fill_uniform(f, n, seed, -3.0f, 3.0f); }

static void write_evals(ak_run *run, int64_t step) {
    ak_error err;
    ak_error_clear(&err);
    ak_metric det[AK_EVAL_N_DET];
    for (int i = 0; i < AK_EVAL_N_DET; i++)
        det[i] = (ak_metric){ak_eval_det_metrics[i], st_value(i, step) / 7.0};
    double ap[5];
    int64_t ids[5] = {1, 2, 3, 5, 90};
    for (int i = 0; i < 5; i++)
        ap[i] = st_value(i + 20, step);
    ak_metric_array arr = {"per_category_AP", ap, ids, 5};
    ck_assert_msg(ak_run_write_eval(run, step, det, AK_EVAL_N_DET, &arr, 1, &err) == AK_OK, "%s", err.msg);
}

static void check_evals(ak_run *run, int64_t step) {
    ak_error err;
    ak_error_clear(&err);
    for (int i = 0; i < AK_EVAL_N_DET; i++) {
        double v, want = st_value(i, step) / 7.0;
        ck_assert_msg(ak_run_read_eval(run, step, ak_eval_det_metrics[i], &v, &err) == AK_OK, "%s", err.msg);
        ck_assert_msg(memcmp(&v, &want, 8) == 0, "%s at %lld: %.17g != %.17g", ak_eval_det_metrics[i],
                      (long long)step, v, want);
    }
    double *vals;
    int64_t *ids, n;
    ck_assert_msg(ak_run_read_eval_array(run, step, "per_category_AP", &vals, &ids, &n, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(n, 5);
    ck_assert_ptr_nonnull(ids);
    const int64_t want_ids[5] = {1, 2, 3, 5, 90};
    for (int i = 0; i < 5; i++) {
        double want = st_value(i + 20, step);
        ck_assert(memcmp(&vals[i], &want, 8) == 0);
        ck_assert_int_eq(ids[i], want_ids[i]);
    }
    free(vals);
    free(ids);
}

/* The full run of the tests below: provenance, 300 rows (past the 256-row buffer), evaluations at
 * 100 and 299, teacher evaluation, features at 100, final weights. */
static void write_full_run(const char *final_path) {
    ak_error err;
    ak_error_clear(&err);
    ak_run *run;
    ak_run_provenance prov = st_provenance();
    ck_assert_msg(ak_run_create(&run, final_path, &prov, &err) == AK_OK, "%s", err.msg);
    ak_metric seg[3] = {{"mIoU", 0.5123}, {"aAcc", 0.93}, {"mAcc", 1.0 / 3.0}};
    double iou[3] = {0.25, 0.5, 0.75};
    int64_t cls[3] = {0, 7, 18};
    ak_metric_array iou_arr = {"per_class_IoU", iou, cls, 3};
    ck_assert_msg(ak_run_write_eval(run, AK_EVAL_TEACHER, seg, 3, &iou_arr, 1, &err) == AK_OK, "%s", err.msg);
    st_append_rows(run, 0, 101);
    write_evals(run, 100);
    int64_t n = FSHAPE[0] * FSHAPE[1] * FSHAPE[2] * FSHAPE[3];
    float *f = malloc((size_t)n * sizeof *f);
    const char *roles[3] = {"teacher", "avatar_0", "student"};
    for (int r = 0; r < 3; r++) {
        fill_features(f, n, 100 + (uint64_t)r);
        ck_assert_msg(ak_run_write_features(run, 100, roles[r], "p3", FSHAPE, f, &err) == AK_OK, "%s", err.msg);
    }
    free(f);
    st_append_rows(run, 101, 199);
    write_evals(run, 299);
    ak_params ps;
    ak_params_init(&ps);
    int64_t wshape[2] = {4, 3};
    ak_tensor *w = ak_params_add(&ps, "head.cls.weight", 2, wshape, &err);
    ck_assert_ptr_nonnull(w);
    for (int i = 0; i < 12; i++)
        w->data[i] = (float)i * 0.25f - 1.0f;
    ak_ckpt_meta meta = {.iteration = 299};
    ak_run_info info;
    ck_assert_int_eq(ak_run_read_info(run, &info, &err), AK_OK);
    snprintf(meta.run_id, sizeof meta.run_id, "%s", info.run_id);
    ak_run_info_free(&info);
    ck_assert_msg(ak_ckpt_save_run(run, &meta, &ps, NULL, 0, &err) == AK_OK, "%s", err.msg);
    ak_params_free(&ps);
    ck_assert_msg(ak_run_finish(run, AK_RUN_COMPLETE, &err) == AK_OK, "%s", err.msg);
}

static bool iso_utc(const char *s) {
    int y, mo, d, h, mi, sec;
    char z;
    return strlen(s) == 20 && sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &z) == 7 && z == 'Z';
}

START_TEST(write_then_read_every_field) {
    char dir[256], path[512], partial[600];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(path, sizeof path, dir, "run.h5");
    snprintf(partial, sizeof partial, "%s.partial", path);
    write_full_run(path);
    ck_assert_msg(st_file_size(path) > 0, "complete run not published under its final name");
    ck_assert_msg(st_file_size(partial) < 0, "the .partial file is still there after completion");

    ak_error err;
    ak_error_clear(&err);
    ak_run *run;
    ck_assert_msg(ak_run_open(&run, path, AK_RUN_READ, &err) == AK_OK, "%s", err.msg);
    ak_run_info info;
    ck_assert_msg(ak_run_read_info(run, &info, &err) == AK_OK, "%s", err.msg);
    ak_run_provenance prov = st_provenance();
    char want_id[AK_RUN_ID_LEN];
    ak_run_id_of_config(prov.config, want_id);
    ck_assert_str_eq(info.format, AK_RUN_FORMAT);
    ck_assert_str_eq(info.run_id, want_id);
    ck_assert_int_eq(strlen(info.run_id), 16);
    ck_assert_str_eq(info.config, prov.config);
    ck_assert_str_eq(info.git_commit, prov.git_commit);
    ck_assert_str_eq(info.device, "cpu");
    ck_assert_str_eq(info.teacher_weights_hash, prov.teacher_weights_hash);
    ck_assert_str_eq(info.status, "complete");
    ck_assert_str_eq(info.akdbench_version, AK_VERSION);
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    char hv[32];
    snprintf(hv, sizeof hv, "%u.%u.%u", maj, min, rel);
    ck_assert_str_eq(info.hdf5_version, hv);
    ck_assert_msg(info.openblas_core[0] && info.openblas_config[0] && strstr(info.runtime, "OpenBLAS"),
                  "library provenance missing: '%s' '%s' '%s'", info.openblas_core, info.openblas_config, info.runtime);
    ck_assert_int_eq(info.threads, 2);
    ck_assert(info.seed == 0xFEDCBA9876543210ULL);
    ck_assert_msg(iso_utc(info.created) && iso_utc(info.updated), "timestamps '%s' '%s'", info.created, info.updated);
    ck_assert_int_eq(info.n_extra_losses, 2);
    ck_assert_str_eq(info.extra_losses[0], "loss_fgd_attention");
    ck_assert_str_eq(info.extra_losses[1], "loss_fgd_global");
    ak_run_info_free(&info);

    st_check_rows(run, 300);
    int64_t *steps;
    int n;
    ck_assert_int_eq(ak_run_eval_steps(run, &steps, &n, &err), AK_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(steps[0], 100);
    ck_assert_int_eq(steps[1], 299);
    free(steps);
    check_evals(run, 100);
    check_evals(run, 299);
    char **sc, **ar;
    int nsc, nar;
    ck_assert_int_eq(ak_run_eval_names(run, 100, &sc, &nsc, &ar, &nar, &err), AK_OK);
    ck_assert_int_eq(nsc, AK_EVAL_N_DET);
    ck_assert_int_eq(nar, 1);
    ck_assert_str_eq(ar[0], "per_category_AP");
    ak_run_names_free(sc, nsc);
    ak_run_names_free(ar, nar);

    double v;
    ck_assert_int_eq(ak_run_read_eval(run, AK_EVAL_TEACHER, "mAcc", &v, &err), AK_OK);
    ck_assert(v == 1.0 / 3.0);
    double *iou;
    int64_t *cls, ncls;
    ck_assert_int_eq(ak_run_read_eval_array(run, AK_EVAL_TEACHER, "per_class_IoU", &iou, &cls, &ncls, &err), AK_OK);
    ck_assert_int_eq(ncls, 3);
    ck_assert(iou[2] == 0.75 && cls[1] == 7 && cls[2] == 18);
    free(iou);
    free(cls);

    ck_assert_int_eq(ak_run_feature_steps(run, &steps, &n, &err), AK_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(steps[0], 100);
    free(steps);
    char **roles;
    int nroles;
    ck_assert_int_eq(ak_run_feature_roles(run, 100, &roles, &nroles, &err), AK_OK);
    ck_assert_int_eq(nroles, 3);
    ak_run_names_free(roles, nroles);
    int64_t numel = FSHAPE[0] * FSHAPE[1] * FSHAPE[2] * FSHAPE[3];
    float *want = malloc((size_t)numel * sizeof *want);
    const char *rn[3] = {"teacher", "avatar_0", "student"};
    for (int r = 0; r < 3; r++) {
        float *got;
        int64_t shape[4];
        ck_assert_msg(ak_run_read_features(run, 100, rn[r], "p3", shape, &got, &err) == AK_OK, "%s", err.msg);
        for (int i = 0; i < 4; i++)
            ck_assert_int_eq(shape[i], FSHAPE[i]);
        fill_features(want, numel, 100 + (uint64_t)r);
        ak_assert_bitwise(rn[r], got, want, numel);
        free(got);
    }
    free(want);
    ck_assert_int_eq(ak_run_close(run, &err), AK_OK);

    ak_run_summary s;
    ck_assert_msg(ak_run_validate(path, &s, &err) == AK_OK, "%s", err.msg);
    ck_assert_str_eq(s.run_id, want_id);
    ck_assert_str_eq(s.status, "complete");
    ck_assert_int_eq(s.rows, 300);
    ck_assert_int_eq(s.first_iter, 0);
    ck_assert_int_eq(s.last_iter, 299);
    ck_assert_int_eq(s.n_extra_losses, 2);
    ck_assert_int_eq(s.n_eval_steps, 2);
    ck_assert_int_eq(s.last_eval_step, 299);
    ck_assert(s.has_teacher_eval);
    ck_assert_int_eq(s.n_feature_steps, 1);
    ck_assert_int_eq(s.n_feature_maps, 3);
    ck_assert_int_eq(s.feature_bytes, 3 * numel * 4);
    ck_assert(s.has_checkpoint);
    ck_assert_int_eq(s.n_checkpoint_params, 1);
    st_rmdir(dir);
}
END_TEST

START_TEST(append_across_reopen) {
    char dir[256], path[512], partial[600];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(path, sizeof path, dir, "run.h5");
    snprintf(partial, sizeof partial, "%s.partial", path);
    ak_error err;
    ak_error_clear(&err);
    ak_run *run;
    ak_run_provenance prov = st_provenance();
    ck_assert_int_eq(ak_run_create(&run, path, &prov, &err), AK_OK);
    st_append_rows(run, 0, 10);
    ck_assert_int_eq(ak_run_close(run, &err), AK_OK);

    ck_assert_msg(ak_run_open(&run, partial, AK_RUN_APPEND, &err) == AK_OK, "%s", err.msg);
    st_check_rows(run, 10);
    /* An iteration that does not increase is refused, naming the dataset. */
    ak_train_row dup = {.iter = 9};
    double extra[2] = {0, 0};
    dup.extra = extra;
    ck_assert_int_eq(ak_run_append_train(run, &dup, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "/train/iter") && strstr(err.msg, partial), "%s", err.msg);
    ak_error_clear(&err);
    /* Rows with extra terms need them. */
    ak_train_row noextra = {.iter = 10};
    ck_assert_int_eq(ak_run_append_train(run, &noextra, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "extra loss"), "%s", err.msg);
    ak_error_clear(&err);
    st_append_rows(run, 10, 600); /* crosses two buffer flushes */
    st_check_rows(run, 610);      /* reading sees buffered rows */
    ck_assert_int_eq(ak_run_close(run, &err), AK_OK);

    ck_assert_int_eq(ak_run_open(&run, partial, AK_RUN_READ, &err), AK_OK);
    st_check_rows(run, 610);
    /* A read-only handle refuses writes. */
    ak_train_row more = {.iter = 1000, .extra = extra};
    ck_assert_int_eq(ak_run_append_train(run, &more, &err), AK_ESTATE);
    ck_assert_msg(strstr(err.msg, "read-only") && strstr(err.msg, partial), "%s", err.msg);
    ck_assert_int_eq(ak_run_close(run, NULL), AK_OK);
    /* Reading an unknown column names it. */
    ck_assert_int_eq(ak_run_open(&run, partial, AK_RUN_READ, &err), AK_OK);
    ak_error_clear(&err);
    double x;
    ck_assert_int_eq(ak_run_read_train(run, "loss_nope", 0, 1, &x, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "loss_nope"), "%s", err.msg);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_run_read_train(run, "lr", 605, 10, &x, &err), AK_ERANGE);
    ck_assert_int_eq(ak_run_close(run, NULL), AK_OK);
    st_rmdir(dir);
}
END_TEST

/* The part of a run that is logged identically with and without an interruption. */
static void log_run(ak_run *run, int64_t from, int64_t to) {
    for (int64_t it = from; it < to; it++) {
        st_append_rows(run, it, 1);
        if (it % 20 == 0 && it > 0) {
            write_evals(run, it);
            int64_t numel = FSHAPE[0] * FSHAPE[1] * FSHAPE[2] * FSHAPE[3];
            float *f = malloc((size_t)numel * sizeof *f);
            fill_features(f, numel, (uint64_t)it);
            ak_error err;
            ak_error_clear(&err);
            ck_assert_msg(ak_run_write_features(run, it, "student", "c5", FSHAPE, f, &err) == AK_OK, "%s", err.msg);
            free(f);
        }
    }
}

static void assert_same_runs(const char *a, const char *b) {
    ak_error err;
    ak_error_clear(&err);
    ak_run *ra, *rb;
    ck_assert_int_eq(ak_run_open(&ra, a, AK_RUN_READ, &err), AK_OK);
    ck_assert_int_eq(ak_run_open(&rb, b, AK_RUN_READ, &err), AK_OK);
    int64_t na, nb;
    ak_run_train_len(ra, &na, &err);
    ak_run_train_len(rb, &nb, &err);
    ck_assert_int_eq(na, nb);
    double *va = malloc((size_t)na * 8), *vb = malloc((size_t)na * 8);
    for (int c = 0; c < AK_TRAIN_N_STD; c++) {
        ck_assert_int_eq(ak_run_read_train(ra, ak_train_std_columns[c], 0, na, va, &err), AK_OK);
        ck_assert_int_eq(ak_run_read_train(rb, ak_train_std_columns[c], 0, na, vb, &err), AK_OK);
        ck_assert_msg(memcmp(va, vb, (size_t)na * 8) == 0, "column %s differs", ak_train_std_columns[c]);
    }
    free(va);
    free(vb);
    int64_t *sa, *sb;
    int ka, kb;
    ck_assert_int_eq(ak_run_eval_steps(ra, &sa, &ka, &err), AK_OK);
    ck_assert_int_eq(ak_run_eval_steps(rb, &sb, &kb, &err), AK_OK);
    ck_assert_int_eq(ka, kb);
    for (int i = 0; i < ka; i++) {
        ck_assert_int_eq(sa[i], sb[i]);
        check_evals(ra, sa[i]);
        check_evals(rb, sb[i]);
    }
    free(sa);
    free(sb);
    ck_assert_int_eq(ak_run_feature_steps(ra, &sa, &ka, &err), AK_OK);
    ck_assert_int_eq(ak_run_feature_steps(rb, &sb, &kb, &err), AK_OK);
    ck_assert_int_eq(ka, kb);
    for (int i = 0; i < ka; i++) {
        ck_assert_int_eq(sa[i], sb[i]);
        float *fa, *fb;
        int64_t shape_a[4], shape_b[4];
        ck_assert_int_eq(ak_run_read_features(ra, sa[i], "student", "c5", shape_a, &fa, &err), AK_OK);
        ck_assert_int_eq(ak_run_read_features(rb, sb[i], "student", "c5", shape_b, &fb, &err), AK_OK);
        ak_assert_bitwise("features", fa, fb, shape_a[0] * shape_a[1] * shape_a[2] * shape_a[3]);
        free(fa);
        free(fb);
    }
    free(sa);
    free(sb);
    ak_run_close(ra, NULL);
    ak_run_close(rb, NULL);
}

START_TEST(resume_truncates_to_checkpoint) {
    char dir[256], straight[512], resumed[512], partial[600];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(straight, sizeof straight, dir, "straight.h5");
    st_path(resumed, sizeof resumed, dir, "resumed.h5");
    snprintf(partial, sizeof partial, "%s.partial", resumed);
    ak_error err;
    ak_error_clear(&err);
    ak_run_provenance prov = st_provenance();
    ak_run *run;

    ck_assert_int_eq(ak_run_create(&run, straight, &prov, &err), AK_OK);
    log_run(run, 0, 90);
    ck_assert_int_eq(ak_run_finish(run, AK_RUN_COMPLETE, &err), AK_OK);

    /* Interrupted run: checkpoint (flush) at 50, then logging goes on to 77 (rows, an eval and
     * features after the checkpoint) and the process stops. */
    ck_assert_int_eq(ak_run_create(&run, resumed, &prov, &err), AK_OK);
    log_run(run, 0, 51);
    ck_assert_int_eq(ak_run_flush(run, &err), AK_OK);
    log_run(run, 51, 77);
    ck_assert_int_eq(ak_run_close(run, &err), AK_OK);

    ck_assert_msg(ak_run_resume(&run, resumed, 50, &err) == AK_OK, "%s", err.msg);
    int64_t n;
    ak_run_train_len(run, &n, &err);
    ck_assert_int_eq(n, 51);
    ck_assert(ak_run_has_eval(run, 40));
    ck_assert(!ak_run_has_eval(run, 60));
    int64_t *steps;
    int k;
    ck_assert_int_eq(ak_run_feature_steps(run, &steps, &k, &err), AK_OK);
    ck_assert_int_eq(k, 2); /* 20, 40 */
    ck_assert_int_eq(steps[1], 40);
    free(steps);
    ak_run_info info;
    ck_assert_int_eq(ak_run_read_info(run, &info, &err), AK_OK);
    ck_assert_str_eq(info.status, "running");
    ak_run_info_free(&info);
    log_run(run, 51, 90);
    ck_assert_int_eq(ak_run_finish(run, AK_RUN_COMPLETE, &err), AK_OK);

    ck_assert_msg(ak_run_validate(resumed, NULL, &err) == AK_OK, "%s", err.msg);
    assert_same_runs(straight, resumed);
    bool equal;
    char diff[512];
    ck_assert_int_eq(ak_run_compare(straight, resumed, &equal, diff, sizeof diff, &err), AK_OK);
    ck_assert_msg(equal, "resumed run differs: %s", diff);
    ck_assert_int_eq(ak_run_open(&run, resumed, AK_RUN_READ, &err), AK_OK);
    st_check_rows(run, 90);
    ak_run_close(run, NULL);
    st_rmdir(dir);
}
END_TEST

/* ak_run_compare reports the first difference, down to one ulp of one loss value. */
START_TEST(compare_finds_first_difference) {
    char dir[256], a[512], b[512], c[512];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(a, sizeof a, dir, "a.h5");
    st_path(b, sizeof b, dir, "b.h5");
    st_path(c, sizeof c, dir, "c.h5");
    ak_error err;
    ak_error_clear(&err);
    ak_run_provenance prov = st_provenance();
    ak_run *run;
    ck_assert_int_eq(ak_run_create(&run, a, &prov, &err), AK_OK);
    log_run(run, 0, 45);
    ck_assert_int_eq(ak_run_finish(run, AK_RUN_COMPLETE, &err), AK_OK);
    /* b: the same run, except one ulp in loss_task at iteration 17 and a different wall clock. */
    ck_assert_int_eq(ak_run_create(&run, b, &prov, &err), AK_OK);
    for (int64_t it = 0; it < 45; it++) {
        double extra[2] = {st_value(7, it), st_value(8, it)};
        ak_train_row row = {it, st_value(1, it), st_value(2, it), st_value(3, it), st_value(4, it),
                            st_value(5, it), 1000.0 + (double)it, extra};
        if (it == 17)
            row.loss_task = nextafter(row.loss_task, INFINITY);
        ck_assert_int_eq(ak_run_append_train(run, &row, &err), AK_OK);
        if (it == 20 || it == 40) {
            write_evals(run, it);
            int64_t numel = FSHAPE[0] * FSHAPE[1] * FSHAPE[2] * FSHAPE[3];
            float *f = malloc((size_t)numel * sizeof *f);
            fill_features(f, numel, (uint64_t)it);
            ck_assert_int_eq(ak_run_write_features(run, it, "student", "c5", FSHAPE, f, &err), AK_OK);
            free(f);
        }
    }
    ck_assert_int_eq(ak_run_finish(run, AK_RUN_COMPLETE, &err), AK_OK);
    bool equal = true;
    char diff[512];
    ck_assert_int_eq(ak_run_compare(a, b, &equal, diff, sizeof diff, &err), AK_OK);
    ck_assert(!equal);
    ck_assert_msg(strstr(diff, "/train/loss_task row 17"), "%s", diff);
    /* c: a shorter run with the same values is different too. */
    ck_assert_int_eq(ak_run_create(&run, c, &prov, &err), AK_OK);
    log_run(run, 0, 44);
    ck_assert_int_eq(ak_run_finish(run, AK_RUN_COMPLETE, &err), AK_OK);
    ck_assert_int_eq(ak_run_compare(a, c, &equal, diff, sizeof diff, &err), AK_OK);
    ck_assert(!equal);
    ck_assert_msg(strstr(diff, "/train: 45 rows vs 44"), "%s", diff);
    /* A file compares equal to itself; a missing file is an error. */
    ck_assert_int_eq(ak_run_compare(a, a, &equal, diff, sizeof diff, &err), AK_OK);
    ck_assert(equal);
    st_path(c, sizeof c, dir, "none.h5");
    ck_assert_int_eq(ak_run_compare(a, c, &equal, diff, sizeof diff, &err), AK_EIO);
    ck_assert_msg(strstr(err.msg, c), "%s", err.msg);
    st_rmdir(dir);
}
END_TEST

START_TEST(api_misuse_is_reported) {
    char dir[256], path[512];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(path, sizeof path, dir, "run.h5");
    ak_error err;
    ak_error_clear(&err);
    ak_run *run;
    ak_run_provenance prov = st_provenance();

    prov.config = "";
    ck_assert_int_eq(ak_run_create(&run, path, &prov, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "config") && strstr(err.msg, path), "%s", err.msg);
    ak_error_clear(&err);
    prov = st_provenance();
    const char *dup[2] = {"loss_x", "loss_x"};
    prov.extra_losses = dup;
    ck_assert_int_eq(ak_run_create(&run, path, &prov, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "loss_x") && strstr(err.msg, "twice"), "%s", err.msg);
    ak_error_clear(&err);
    const char *std[1] = {"loss_task"};
    prov.extra_losses = std;
    prov.n_extra_losses = 1;
    ck_assert_int_eq(ak_run_create(&run, path, &prov, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "loss_task"), "%s", err.msg);
    ak_error_clear(&err);
    const char *slash[1] = {"a/b"};
    prov.extra_losses = slash;
    ck_assert_int_eq(ak_run_create(&run, path, &prov, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "a/b"), "%s", err.msg);
    ak_error_clear(&err);

    prov = st_provenance();
    ck_assert_int_eq(ak_run_create(&run, path, &prov, &err), AK_OK);
    ak_metric m = {"mIoU", 0.5};
    ck_assert_int_eq(ak_run_write_eval(run, 10, &m, 1, NULL, 0, &err), AK_OK);
    ck_assert_int_eq(ak_run_write_eval(run, 10, &m, 1, NULL, 0, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "/eval/10") && strstr(err.msg, "already"), "%s", err.msg);
    ak_error_clear(&err);
    ak_metric twice[2] = {{"AP", 1}, {"AP", 2}};
    ck_assert_int_eq(ak_run_write_eval(run, 11, twice, 2, NULL, 0, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "/eval/11/AP") && strstr(err.msg, "twice"), "%s", err.msg);
    ak_error_clear(&err);
    ak_metric reserved = {"class_ids", 1};
    ck_assert_int_eq(ak_run_write_eval(run, 12, &reserved, 1, NULL, 0, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "class_ids"), "%s", err.msg);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_run_write_eval(run, -5, &m, 1, NULL, 0, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "-5"), "%s", err.msg);
    ak_error_clear(&err);
    float f[8] = {0};
    int64_t shape[4] = {1, 2, 2, 2};
    ck_assert_int_eq(ak_run_write_features(run, 10, "ghost", "p3", shape, f, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "ghost") && strstr(err.msg, "/features/10"), "%s", err.msg);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_run_write_features(run, 10, "avatar_x", "p3", shape, f, &err), AK_EINVAL);
    ak_error_clear(&err);
    int64_t empty[4] = {1, 0, 2, 2};
    ck_assert_int_eq(ak_run_write_features(run, 10, "avatar_3", "p3", empty, f, &err), AK_ESHAPE);
    ck_assert_msg(strstr(err.msg, "/features/10/avatar_3/p3"), "%s", err.msg);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_run_write_features(run, 10, "avatar_3", "p3", shape, f, &err), AK_OK);
    ck_assert_int_eq(ak_run_write_features(run, 10, "avatar_3", "p3", shape, f, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "already"), "%s", err.msg);
    ak_error_clear(&err);
    float *got;
    int64_t gs[4];
    ck_assert_int_eq(ak_run_read_features(run, 10, "teacher", "p3", gs, &got, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "/features/10/teacher/p3"), "%s", err.msg);
    ak_error_clear(&err);
    double v;
    ck_assert_int_eq(ak_run_read_eval(run, 99, "AP", &v, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "/eval/99"), "%s", err.msg);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_run_read_eval(run, 10, "AP", &v, &err), AK_EFORMAT);
    ck_assert_msg(strstr(err.msg, "/eval/10/AP") && strstr(err.msg, "missing"), "%s", err.msg);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_run_finish(run, AK_RUN_COMPLETE, &err), AK_OK);

    /* A complete run is not overwritten. */
    ck_assert_int_eq(ak_run_create(&run, path, &prov, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "exists"), "%s", err.msg);
    ak_error_clear(&err);
    /* Opening: missing file, not HDF5, another format. */
    char other[512];
    st_path(other, sizeof other, dir, "missing.h5");
    ck_assert_int_eq(ak_run_open(&run, other, AK_RUN_READ, &err), AK_EIO);
    ck_assert_msg(strstr(err.msg, other), "%s", err.msg);
    ak_error_clear(&err);
    st_path(other, sizeof other, dir, "text.h5");
    st_write_text(other, "not an HDF5 file, just text\n");
    ck_assert_int_eq(ak_run_open(&run, other, AK_RUN_READ, &err), AK_EFORMAT);
    ck_assert_msg(strstr(err.msg, other) && strstr(err.msg, "HDF5"), "%s", err.msg);
    ak_error_clear(&err);
    st_path(other, sizeof other, dir, "ckpt.h5");
    ak_params ps;
    ak_params_init(&ps);
    ak_ckpt_meta meta = {.iteration = 1, .run_id = "0000000000000000"};
    ck_assert_int_eq(ak_ckpt_save(other, &meta, &ps, NULL, 0, &err), AK_OK);
    ck_assert_int_eq(ak_run_open(&run, other, AK_RUN_READ, &err), AK_EVERSION);
    ck_assert_msg(strstr(err.msg, other) && strstr(err.msg, AK_CKPT_FORMAT) && strstr(err.msg, AK_RUN_FORMAT), "%s",
                  err.msg);
    st_rmdir(dir);
}
END_TEST

START_TEST(failed_and_interrupted_runs_keep_partial_name) {
    char dir[256], path[512], partial[600];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(path, sizeof path, dir, "run.h5");
    snprintf(partial, sizeof partial, "%s.partial", path);
    ak_error err;
    ak_error_clear(&err);
    ak_run *run;
    ak_run_provenance prov = st_provenance();
    ck_assert_int_eq(ak_run_create(&run, path, &prov, &err), AK_OK);
    st_append_rows(run, 0, 5);
    ck_assert_int_eq(ak_run_finish(run, AK_RUN_INTERRUPTED, &err), AK_OK);
    ck_assert(st_file_size(path) < 0 && st_file_size(partial) > 0);
    ck_assert_int_eq(ak_run_open(&run, partial, AK_RUN_READ, &err), AK_OK);
    ak_run_info info;
    ck_assert_int_eq(ak_run_read_info(run, &info, &err), AK_OK);
    ck_assert_str_eq(info.status, "interrupted");
    ak_run_info_free(&info);
    st_check_rows(run, 5);
    ak_run_close(run, NULL);
    /* Creating the run again starts over (a stale .partial is replaced). */
    ck_assert_int_eq(ak_run_create(&run, path, &prov, &err), AK_OK);
    st_check_rows(run, 0);
    ck_assert_int_eq(ak_run_finish(run, AK_RUN_FAILED, &err), AK_OK);
    ck_assert_msg(ak_run_validate(partial, NULL, &err) == AK_OK, "%s", err.msg);
    st_rmdir(dir);
}
END_TEST

START_TEST(h5dump_reads_run_file) {
    if (access("/usr/bin/h5dump", X_OK) != 0) {
        fprintf(stderr, "h5dump_reads_run_file: /usr/bin/h5dump not installed (hdf5-tools), skipped\n");
        return;
    }
    char dir[256], path[512], cmd[1200], out[512];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(path, sizeof path, dir, "run.h5");
    write_full_run(path);
    st_path(out, sizeof out, dir, "dump.txt");
    snprintf(cmd, sizeof cmd,
             "/usr/bin/h5dump -a /run_id -d /train/iter -d /eval/100/AP -d /features/100/teacher/p3 '%s' > '%s' 2>&1",
             path, out);
    int rc = system(cmd);
    char text[1 << 16];
    st_read_text(out, text, sizeof text);
    ck_assert_msg(rc == 0, "h5dump failed (%d):\n%.2000s", rc, text);
    ak_run_provenance prov = st_provenance();
    char id[AK_RUN_ID_LEN];
    ak_run_id_of_config(prov.config, id);
    ck_assert_msg(strstr(text, id), "run id %s not in h5dump output", id);
    /* h5dump prints 6 significant digits; the values themselves are checked bitwise elsewhere. */
    ck_assert_msg(strstr(text, "( 300 ) / ( H5S_UNLIMITED )") && strstr(text, "(299): 299"),
                  "iterations not in h5dump output:\n%.3000s", text);
    ck_assert_msg(strstr(text, "(0): 4.7619"), "AP not in h5dump output");
    ck_assert_msg(strstr(text, "( 3, 4, 5, 6 )") && strstr(text, "(2,3,4,0):"), "features not dumped");
    st_rmdir(dir);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("store_runfile");
    TCase *tc = tcase_create("runfile");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, write_then_read_every_field);
    tcase_add_test(tc, append_across_reopen);
    tcase_add_test(tc, resume_truncates_to_checkpoint);
    tcase_add_test(tc, compare_finds_first_difference);
    tcase_add_test(tc, api_misuse_is_reported);
    tcase_add_test(tc, failed_and_interrupted_runs_keep_partial_name);
    tcase_add_test(tc, h5dump_reads_run_file);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(make_suite)
