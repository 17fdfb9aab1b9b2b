/* The store's building blocks: SHA-256 against FIPS 180-4 test vectors, run ids, tensor-name
 * escaping, HDF5 errors captured into ak_error (and never printed), typed attribute helpers with
 * dtype checks, and path helpers. */
#include <fcntl.h>
#include <hdf5.h>

#include "aktest.h"
#include "store/fsutil.h"
#include "store/h5util.h"
#include "store/hash.h"
#include "store/runfile.h"
#include "store_testutil.h"

START_TEST(sha256_known_answers) {
    char hex[AK_SHA256_HEX_LEN];
    ak_sha256_hex("", 0, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ak_sha256_hex("abc", 3, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ak_sha256_hex(two, strlen(two), hex);
    ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* One million 'a', fed in uneven pieces (exercises the block buffering). */
    ak_sha256 s;
    ak_sha256_init(&s);
    char a[1000];
    memset(a, 'a', sizeof a);
    int64_t fed = 0;
    for (int piece = 1; fed < 1000000; piece = piece % 997 + 1) {
        int64_t n = 1000000 - fed < piece ? 1000000 - fed : piece;
        ak_sha256_update(&s, a, (size_t)n);
        fed += n;
    }
    uint8_t d[32];
    ak_sha256_final(&s, d);
    char got[65];
    for (int i = 0; i < 32; i++)
        snprintf(got + 2 * i, 3, "%02x", d[i]);
    ck_assert_str_eq(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

START_TEST(file_hash_and_run_id) {
    char dir[256], path[512];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(path, sizeof path, dir, "w.bin");
    st_write_text(path, "abc");
    char hex[AK_SHA256_HEX_LEN];
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_sha256_file_hex(path, hex, &err), AK_OK);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    st_path(path, sizeof path, dir, "none.bin");
    ck_assert_int_eq(ak_sha256_file_hex(path, hex, &err), AK_EIO);
    ck_assert_msg(strstr(err.msg, path), "%s", err.msg);
    char id[AK_RUN_ID_LEN];
    ak_run_id_of_config("abc", id);
    ck_assert_str_eq(id, "ba7816bf8f01cfea");
    st_rmdir(dir);
}
END_TEST

START_TEST(name_escaping_round_trips) {
    const char *names[] = {"backbone.layer1.0.conv1.weight", "a/b", "100%", "%2F", "/", ".", "..", "x.y/z%w"};
    const char *want[] = {"backbone.layer1.0.conv1.weight", "a%2Fb", "100%25", "%252F", "%2F", "%2E", "..",
                          "x.y%2Fz%25w"};
    ak_error err;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char esc[64], back[64];
        ak_error_clear(&err);
        ck_assert_int_eq(ak_h5_escape_name(names[i], esc, sizeof esc, &err), AK_OK);
        ck_assert_str_eq(esc, want[i]);
        ck_assert(strchr(esc, '/') == NULL);
        ck_assert_int_eq(ak_h5_unescape_name(esc, back, sizeof back, &err), AK_OK);
        ck_assert_str_eq(back, names[i]);
    }
    char out[8];
    ak_error_clear(&err);
    ck_assert_int_eq(ak_h5_escape_name("", out, sizeof out, &err), AK_EINVAL);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_h5_escape_name("a/very/long/name", out, sizeof out, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "a/very/long/name"), "%s", err.msg);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_h5_unescape_name("bad%zz", out, sizeof out, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "bad%zz"), "%s", err.msg);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_h5_unescape_name("cut%2", out, sizeof out, &err), AK_EINVAL);
}
END_TEST

START_TEST(hdf5_errors_are_captured_not_printed) {
    char dir[256], path[512], log[512];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(path, sizeof path, dir, "none.h5");
    st_path(log, sizeof log, dir, "stderr.txt");
    /* Send stderr to a file while HDF5 fails. */
    fflush(stderr);
    int saved = dup(2);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    dup2(fd, 2);
    close(fd);
    ak_h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ak_error err;
    ak_error_clear(&err);
    int rc = ak_h5_fail(&err, AK_EIO, "%s: cannot open", path);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ck_assert_int_lt(f, 0);
    ck_assert_int_eq(rc, AK_EIO);
    ck_assert_int_eq(err.code, AK_EIO);
    ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "HDF5: unable to open file") &&
                      strstr(err.msg, "No such file or directory"),
                  "%s", err.msg);
    ck_assert_msg(!strchr(err.msg, '\n'), "message spans lines: %s", err.msg);
    char printed[4096];
    st_read_text(log, printed, sizeof printed);
    ck_assert_msg(printed[0] == '\0', "HDF5 printed to stderr:\n%s", printed);
    /* Sticky: a later failure does not overwrite the first message. */
    ck_assert_int_eq(ak_h5_fail(&err, AK_EFORMAT, "second"), AK_EFORMAT);
    ck_assert_int_eq(err.code, AK_EIO);
    /* Without an HDF5 error on the stack, only our message. */
    ak_error_clear(&err);
    ak_h5_fail(&err, AK_EINVAL, "plain");
    ck_assert_str_eq(err.msg, "plain");
    st_rmdir(dir);
}
END_TEST

START_TEST(typed_attributes) {
    char dir[256], path[512];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(path, sizeof path, dir, "a.h5");
    ak_h5_quiet();
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    ak_error err;
    ak_error_clear(&err);
    /* A config far over HDF5's 64 KiB compact-attribute limit: variable-length strings avoid it. */
    size_t big_len = 200000;
    char *big = malloc(big_len + 1);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (char)('a' + i % 26);
    big[big_len] = '\0';
    ck_assert_msg(ak_h5_attr_put_str(f, "config", big, path, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(ak_h5_attr_put_str(f, "status", "running", path, &err), AK_OK);
    ck_assert_int_eq(ak_h5_attr_put_str(f, "status", "complete", path, &err), AK_OK); /* replace */
    ck_assert_int_eq(ak_h5_attr_put_i64(f, "threads", -7, path, &err), AK_OK);
    ck_assert_int_eq(ak_h5_attr_put_u64(f, "seed", UINT64_MAX, path, &err), AK_OK);
    ck_assert_int_eq(ak_h5_attr_put_f64(f, "lr", 1.0 / 3.0, path, &err), AK_OK);
    const char *list[3] = {"x", "", "zz"};
    ck_assert_int_eq(ak_h5_attr_put_strs(f, "list", list, 3, path, &err), AK_OK);
    ck_assert_int_eq(ak_h5_attr_put_strs(f, "empty", NULL, 0, path, &err), AK_OK);
    char *s = NULL;
    ck_assert_int_eq(ak_h5_attr_get_str(f, "config", &s, path, &err), AK_OK);
    ck_assert_int_eq(strlen(s), big_len);
    ck_assert(strcmp(s, big) == 0);
    free(s);
    ck_assert_int_eq(ak_h5_attr_get_str(f, "status", &s, path, &err), AK_OK);
    ck_assert_str_eq(s, "complete");
    free(s);
    int64_t i64;
    uint64_t u64;
    double f64;
    ck_assert_int_eq(ak_h5_attr_get_i64(f, "threads", &i64, path, &err), AK_OK);
    ck_assert_int_eq(i64, -7);
    ck_assert_int_eq(ak_h5_attr_get_u64(f, "seed", &u64, path, &err), AK_OK);
    ck_assert(u64 == UINT64_MAX);
    ck_assert_int_eq(ak_h5_attr_get_f64(f, "lr", &f64, path, &err), AK_OK);
    ck_assert(f64 == 1.0 / 3.0);
    char **v;
    int n;
    ck_assert_int_eq(ak_h5_attr_get_strs(f, "list", &v, &n, path, &err), AK_OK);
    ck_assert_int_eq(n, 3);
    ck_assert_str_eq(v[0], "x");
    ck_assert_str_eq(v[1], "");
    ck_assert_str_eq(v[2], "zz");
    ak_h5_strs_free(v, n);
    ck_assert_int_eq(ak_h5_attr_get_strs(f, "empty", &v, &n, path, &err), AK_OK);
    ck_assert_int_eq(n, 0);
    ak_h5_strs_free(v, n);
    /* Wrong class and missing attributes name the attribute and the object. */
    ck_assert_int_eq(ak_h5_attr_get_i64(f, "lr", &i64, path, &err), AK_EFORMAT);
    ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "'lr' has dtype float64, expected integer"), "%s", err.msg);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_h5_attr_get_str(f, "seed", &s, path, &err), AK_EFORMAT);
    ck_assert_msg(strstr(err.msg, "'seed' has dtype uint64, expected string"), "%s", err.msg);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_h5_attr_get_f64(f, "nope", &f64, path, &err), AK_EFORMAT);
    ck_assert_msg(strstr(err.msg, "missing attribute 'nope'"), "%s", err.msg);
    ak_error_clear(&err);
    /* Datasets: dtype checks and element counts. */
    int64_t shape[2] = {2, 3};
    float data[6] = {1, 2, 3, 4, 5, 6}, back[6];
    ck_assert_int_eq(ak_h5_write(f, "m", AK_H5_F32, 2, shape, data, NULL, path, &err), AK_OK);
    ck_assert_int_eq(ak_h5_write(f, "m", AK_H5_F32, 2, shape, data, NULL, path, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "/m: already exists"), "%s", err.msg);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_h5_read(f, "m", AK_H5_F32, 6, back, path, &err), AK_OK);
    ak_assert_bitwise("m", back, data, 6);
    ck_assert_int_eq(ak_h5_read(f, "m", AK_H5_F64, 6, back, path, &err), AK_EFORMAT);
    ck_assert_msg(strstr(err.msg, "/m: dtype float32, expected float64"), "%s", err.msg);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_h5_read(f, "m", AK_H5_F32, 5, back, path, &err), AK_ESHAPE);
    ck_assert_msg(strstr(err.msg, "6 elements, expected 5"), "%s", err.msg);
    free(big);
    H5Fclose(f);
    st_rmdir(dir);
}
END_TEST

START_TEST(paths_and_publication) {
    char dir[256], a[512], b[512], out[64];
    st_mkdir(dir, sizeof dir, "/tmp");
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_run_partial_path("out/r.h5", out, sizeof out, &err), AK_OK);
    ck_assert_str_eq(out, "out/r.h5.partial");
    ck_assert_int_eq(ak_run_ckpt_path("out/r.h5", out, sizeof out, &err), AK_OK);
    ck_assert_str_eq(out, "out/r.ckpt.h5");
    ck_assert_int_eq(ak_run_ckpt_path("out/r.hdf5", out, sizeof out, &err), AK_OK);
    ck_assert_str_eq(out, "out/r.hdf5.ckpt.h5");
    char tiny[8];
    ck_assert_int_eq(ak_run_partial_path("out/r.h5", tiny, sizeof tiny, &err), AK_EINVAL);
    ak_error_clear(&err);
    st_path(a, sizeof a, dir, "a.txt");
    st_path(b, sizeof b, dir, "b.txt");
    st_write_text(a, "new");
    st_write_text(b, "old");
    ck_assert_int_eq(ak_publish_file(a, b, &err), AK_OK);
    char text[16];
    st_read_text(b, text, sizeof text);
    ck_assert_str_eq(text, "new");
    ck_assert(!ak_file_exists(a));
    ck_assert_int_eq(ak_publish_file(a, b, &err), AK_EIO);
    ck_assert_msg(strstr(err.msg, a), "%s", err.msg);
    st_rmdir(dir);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("store_h5util");
    TCase *tc = tcase_create("h5util");
    tcase_add_test(tc, sha256_known_answers);
    tcase_add_test(tc, file_hash_and_run_id);
    tcase_add_test(tc, name_escaping_round_trips);
    tcase_add_test(tc, hdf5_errors_are_captured_not_printed);
    tcase_add_test(tc, typed_attributes);
    tcase_add_test(tc, paths_and_publication);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(make_suite)
