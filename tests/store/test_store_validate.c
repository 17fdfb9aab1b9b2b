/* Schema validation (ak_run_validate, used by `akdbench h5 check`): a good file passes; each kind of
 * damage (missing group / attribute / dataset, wrong dtype, wrong format version, inconsistent
 * contents, truncated or foreign file) fails with the right code and a message naming the file and
 * the object path. Damage is made with raw HDF5 calls on copies of a good file. */
#include <hdf5.h>

#include "aktest.h"
#include "store/run_validate.h"
#include "store_testutil.h"

typedef struct fixture {
    char dir[256], good[512], bad[512];
} fixture;

static void make_good(fixture *fx) {
    st_mkdir(fx->dir, sizeof fx->dir, "/tmp");
    st_path(fx->good, sizeof fx->good, fx->dir, "good.h5");
    st_path(fx->bad, sizeof fx->bad, fx->dir, "bad.h5");
    ak_error err;
    ak_error_clear(&err);
    ak_run *run;
    ak_run_provenance prov = st_provenance();
    ck_assert_int_eq(ak_run_create(&run, fx->good, &prov, &err), AK_OK);
    st_append_rows(run, 0, 10);
    ak_metric det[AK_EVAL_N_DET];
    for (int i = 0; i < AK_EVAL_N_DET; i++)
        det[i] = (ak_metric){ak_eval_det_metrics[i], 0.1 * i};
    ck_assert_int_eq(ak_run_write_eval(run, 5, det, AK_EVAL_N_DET, NULL, 0, &err), AK_OK);
    float f[2 * 3 * 4 * 4];
    ak_test_fill_uniform(f, 96, 1, -1, 1);
    int64_t shape[4] = {2, 3, 4, 4};
    ck_assert_int_eq(ak_run_write_features(run, 5, "avatar_1", "p4", shape, f, &err), AK_OK);
    ck_assert_int_eq(ak_run_finish(run, AK_RUN_COMPLETE, &err), AK_OK);
    ck_assert_msg(ak_run_validate(fx->good, NULL, &err) == AK_OK, "good file rejected: %s", err.msg);
}

/* Copy good -> bad and open bad read-write. */
static hid_t open_copy(fixture *fx) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", fx->good, fx->bad);
    ck_assert_int_eq(system(cmd), 0);
    hid_t f = H5Fopen(fx->bad, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    return f;
}

/* Validate bad: expect code and every given substring (plus the file name) in the message. */
static void expect_invalid(fixture *fx, int code, const char *s1, const char *s2) {
    ak_error err;
    ak_error_clear(&err);
    int rc = ak_run_validate(fx->bad, NULL, &err);
    ck_assert_msg(rc == code, "validate returned %d (%s), expected %d: %s", rc, ak_strerror(rc), code, err.msg);
    ck_assert_msg(strstr(err.msg, fx->bad), "message lacks the file name: %s", err.msg);
    ck_assert_msg(!s1 || strstr(err.msg, s1), "message lacks '%s': %s", s1, err.msg);
    ck_assert_msg(!s2 || strstr(err.msg, s2), "message lacks '%s': %s", s2, err.msg);
}

static void put_str_attr(hid_t obj, const char *name, const char *value) {
    if (H5Aexists(obj, name) > 0)
        H5Adelete(obj, name);
    hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR);
    H5Tset_size(t, H5T_VARIABLE);
    hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(a, 0);
    ck_assert_int_ge(H5Awrite(a, t, &value), 0);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
}

START_TEST(missing_group) {
    fixture fx;
    make_good(&fx);
    hid_t f = open_copy(&fx);
    ck_assert_int_ge(H5Ldelete(f, "/train", H5P_DEFAULT), 0);
    H5Fclose(f);
    expect_invalid(&fx, AK_EFORMAT, "/train", "missing group");
    st_rmdir(fx.dir);
}
END_TEST

START_TEST(missing_attribute) {
    fixture fx;
    make_good(&fx);
    hid_t f = open_copy(&fx);
    ck_assert_int_ge(H5Adelete(f, "seed"), 0);
    H5Fclose(f);
    expect_invalid(&fx, AK_EFORMAT, "missing attribute 'seed'", NULL);
    f = open_copy(&fx);
    ck_assert_int_ge(H5Adelete(f, "git_commit"), 0);
    H5Fclose(f);
    expect_invalid(&fx, AK_EFORMAT, "missing attribute 'git_commit'", NULL);
    st_rmdir(fx.dir);
}
END_TEST

START_TEST(missing_dataset) {
    fixture fx;
    make_good(&fx);
    hid_t f = open_copy(&fx);
    ck_assert_int_ge(H5Ldelete(f, "/train/loss_fgd_global", H5P_DEFAULT), 0);
    H5Fclose(f);
    expect_invalid(&fx, AK_EFORMAT, "/train/loss_fgd_global", "missing dataset");
    st_rmdir(fx.dir);
}
END_TEST

START_TEST(wrong_dtype) {
    fixture fx;
    make_good(&fx);
    /* A dataset: /train/lr as int32. */
    hid_t f = open_copy(&fx);
    ck_assert_int_ge(H5Ldelete(f, "/train/lr", H5P_DEFAULT), 0);
    hsize_t n = 10;
    hid_t s = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(f, "/train/lr", H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(d, 0);
    H5Dclose(d);
    H5Sclose(s);
    H5Fclose(f);
    expect_invalid(&fx, AK_EFORMAT, "/train/lr", "dtype int32, expected float64");
    /* An attribute: threads as a string. */
    f = open_copy(&fx);
    put_str_attr(f, "threads", "two");
    H5Fclose(f);
    expect_invalid(&fx, AK_EFORMAT, "attribute 'threads' has dtype string, expected integer", NULL);
    /* Features stored as float64. */
    f = open_copy(&fx);
    ck_assert_int_ge(H5Ldelete(f, "/features/5/avatar_1/p4", H5P_DEFAULT), 0);
    hsize_t dims[4] = {2, 3, 4, 4};
    s = H5Screate_simple(4, dims, NULL);
    d = H5Dcreate2(f, "/features/5/avatar_1/p4", H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(d, 0);
    H5Dclose(d);
    H5Sclose(s);
    H5Fclose(f);
    expect_invalid(&fx, AK_EFORMAT, "/features/5/avatar_1/p4", "dtype float64, expected float32");
    st_rmdir(fx.dir);
}
END_TEST

START_TEST(wrong_format_version) {
    fixture fx;
    make_good(&fx);
    hid_t f = open_copy(&fx);
    put_str_attr(f, "format", "akdbench-run/0");
    H5Fclose(f);
    expect_invalid(&fx, AK_EVERSION, "'akdbench-run/0'", "expected 'akdbench-run/1'");
    /* The reader refuses it the same way. */
    ak_error err;
    ak_error_clear(&err);
    ak_run *run;
    ck_assert_int_eq(ak_run_open(&run, fx.bad, AK_RUN_READ, &err), AK_EVERSION);
    ck_assert_msg(strstr(err.msg, "akdbench-run/0") && strstr(err.msg, fx.bad), "%s", err.msg);
    st_rmdir(fx.dir);
}
END_TEST

START_TEST(inconsistent_contents) {
    fixture fx;
    make_good(&fx);
    /* run_id that is not the hash of the config. */
    hid_t f = open_copy(&fx);
    put_str_attr(f, "run_id", "0000000000000000");
    H5Fclose(f);
    expect_invalid(&fx, AK_EFORMAT, "'run_id'", "hashes to");
    /* Unknown status. */
    f = open_copy(&fx);
    put_str_attr(f, "status", "done");
    H5Fclose(f);
    expect_invalid(&fx, AK_EFORMAT, "'status' is 'done'", NULL);
    /* Columns of different length. */
    f = open_copy(&fx);
    hid_t d = H5Dopen2(f, "/train/loss_task", H5P_DEFAULT);
    hsize_t n = 7;
    ck_assert_int_ge(H5Dset_extent(d, &n), 0);
    H5Dclose(d);
    H5Fclose(f);
    expect_invalid(&fx, AK_EFORMAT, "/train/loss_task: 7 rows", "has 10");
    /* Iterations that go backwards. */
    f = open_copy(&fx);
    d = H5Dopen2(f, "/train/iter", H5P_DEFAULT);
    int64_t iters[10] = {0, 1, 2, 3, 4, 5, 6, 6, 8, 9};
    ck_assert_int_ge(H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, iters), 0);
    H5Dclose(d);
    H5Fclose(f);
    expect_invalid(&fx, AK_EFORMAT, "/train/iter: not increasing at row 7", NULL);
    /* An incomplete detection metric set. */
    f = open_copy(&fx);
    ck_assert_int_ge(H5Ldelete(f, "/eval/5/AR100", H5P_DEFAULT), 0);
    H5Fclose(f);
    expect_invalid(&fx, AK_EFORMAT, "/eval/5", "misses 'AR100'");
    /* A step group with a non-numeric name, and a wrong feature role. */
    f = open_copy(&fx);
    ck_assert_int_ge(H5Lmove(f, "/eval/5", f, "/eval/last", H5P_DEFAULT, H5P_DEFAULT), 0);
    H5Fclose(f);
    expect_invalid(&fx, AK_EFORMAT, "/eval/last", "step number");
    f = open_copy(&fx);
    ck_assert_int_ge(H5Lmove(f, "/features/5/avatar_1", f, "/features/5/ghost", H5P_DEFAULT, H5P_DEFAULT), 0);
    H5Fclose(f);
    expect_invalid(&fx, AK_EFORMAT, "/features/5/ghost", "role");
    st_rmdir(fx.dir);
}
END_TEST

START_TEST(truncated_and_foreign_files) {
    fixture fx;
    make_good(&fx);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", fx.good, fx.bad);
    ck_assert_int_eq(system(cmd), 0);
    long size = st_file_size(fx.bad);
    ck_assert_int_eq(truncate(fx.bad, size / 2), 0);
    expect_invalid(&fx, AK_EFORMAT, "cannot open as HDF5", "truncated file: eof");
    st_write_text(fx.bad, "model: x\n");
    expect_invalid(&fx, AK_EFORMAT, "cannot open as HDF5", NULL);
    ak_error err;
    ak_error_clear(&err);
    char missing[600];
    snprintf(missing, sizeof missing, "%s/nope.h5", fx.dir);
    ck_assert_int_eq(ak_run_validate(missing, NULL, &err), AK_EIO);
    ck_assert_msg(strstr(err.msg, missing), "%s", err.msg);
    st_rmdir(fx.dir);
}
END_TEST

START_TEST(corrupted_chunk_is_caught) {
    /* Flip bytes inside the compressed feature chunks: opening still works, reading must fail. */
    fixture fx;
    make_good(&fx);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", fx.good, fx.bad);
    ck_assert_int_eq(system(cmd), 0);
    hid_t f = H5Fopen(fx.bad, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/features/5/avatar_1/p4", H5P_DEFAULT);
    hid_t space = H5Dget_space(d);
    hsize_t off[4], csize = 0;
    haddr_t addr = 0;
    unsigned mask;
    ck_assert_int_ge(H5Dget_chunk_info(d, space, 1, off, &mask, &addr, &csize), 0);
    ck_assert_int_eq(off[0], 1); /* the second sample's chunk */
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(f);
    /* Garble the middle of that deflate stream. */
    FILE *fp = fopen(fx.bad, "r+b");
    ck_assert_ptr_nonnull(fp);
    unsigned char junk[16];
    memset(junk, 0xa5, sizeof junk);
    ck_assert_int_eq(fseek(fp, (long)(addr + csize / 2), SEEK_SET), 0);
    ck_assert_int_eq(fwrite(junk, 1, sizeof junk, fp), sizeof junk);
    fclose(fp);
    expect_invalid(&fx, AK_EIO, "/features/5/avatar_1/p4", "read");
    st_rmdir(fx.dir);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("store_validate");
    TCase *tc = tcase_create("validate");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, missing_group);
    tcase_add_test(tc, missing_attribute);
    tcase_add_test(tc, missing_dataset);
    tcase_add_test(tc, wrong_dtype);
    tcase_add_test(tc, wrong_format_version);
    tcase_add_test(tc, inconsistent_contents);
    tcase_add_test(tc, truncated_and_foreign_files);
    tcase_add_test(tc, corrupted_chunk_is_caught);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(make_suite)
