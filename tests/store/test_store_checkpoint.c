/* Checkpoints: save -> load round trip is bitwise for parameters, buffers and extra arrays of every
 * dtype; strict loading lists missing, unexpected and mis-shaped names and copies nothing; a crash
 * during a save (truncated temp file, SIGKILL at a random moment, full disk) leaves the previous
 * checkpoint loadable; final weights inside the run file load the same way. */
#include <hdf5.h>
#include <time.h>

#include "aktest.h"
#include "store/checkpoint.h"
#include "store/run_validate.h"
#include "store_testutil.h"

/* A small model: weights (with a '/' and a '%' in names), a 0-d buffer, batch-norm buffers. */
static void build_model(ak_params *ps, bool with_extra_param, bool wrong_shape) {
    ak_error err;
    ak_error_clear(&err);
    ak_params_init(ps);
    int64_t conv[4] = {8, 3, 3, 3}, bias[1] = {8}, fc[2] = {wrong_shape ? 5 : 10, 8};
    ck_assert_ptr_nonnull(ak_params_add(ps, "backbone.conv1.weight", 4, conv, &err));
    ck_assert_ptr_nonnull(ak_params_add(ps, "backbone.conv1.bias", 1, bias, &err));
    ck_assert_ptr_nonnull(ak_params_add_buffer(ps, "backbone.bn1.running_mean", 1, bias, &err));
    ck_assert_ptr_nonnull(ak_params_add_buffer(ps, "backbone.bn1.running_var", 1, bias, &err));
    ck_assert_ptr_nonnull(ak_params_add_buffer(ps, "backbone.bn1.num_batches_tracked", 0, NULL, &err));
    ck_assert_ptr_nonnull(ak_params_add(ps, "head/fc.weight%2", 2, fc, &err));
    if (with_extra_param)
        ck_assert_ptr_nonnull(ak_params_add(ps, "connector.proj.weight", 2, (int64_t[]){4, 2}, &err));
}

static void fill_model(ak_params *ps, uint64_t seed) {
    for (int i = 0; i < ps->n; i++)
        ak_test_fill_uniform(ps->items[i].t->data, ps->items[i].t->numel, seed + (uint64_t)i, -2, 2);
}

/* Optimizer state (float32 per parameter), a float64 schedule value, int64 RNG / loader position. */
typedef struct extras {
    float m[8 * 27], v[8];
    double lr_state[2];
    int64_t rng[2], loader;
    ak_ckpt_array a[5];
} extras;

static void make_extras(extras *e, uint64_t seed) {
    ak_test_fill_uniform(e->m, 8 * 27, seed, -1, 1);
    ak_test_fill_uniform(e->v, 8, seed + 1, 0, 1);
    e->lr_state[0] = 1.0 / 3.0;
    e->lr_state[1] = -0.0;
    e->rng[0] = (int64_t)(seed * 0x9E3779B97F4A7C15ULL);
    e->rng[1] = -42;
    e->loader = (int64_t)seed * 1000 + 17;
    e->a[0] = (ak_ckpt_array){"optimizer", "exp_avg.backbone.conv1.weight", AK_CKPT_F32, 4, {8, 3, 3, 3}, e->m};
    e->a[1] = (ak_ckpt_array){"optimizer", "exp_avg_sq.backbone/conv1.bias", AK_CKPT_F32, 1, {8}, e->v};
    e->a[2] = (ak_ckpt_array){"schedule", "lr_state", AK_CKPT_F64, 1, {2}, e->lr_state};
    e->a[3] = (ak_ckpt_array){"rng", "philox_counter", AK_CKPT_I64, 1, {2}, e->rng};
    e->a[4] = (ak_ckpt_array){"loader", "position", AK_CKPT_I64, 0, {0}, &e->loader};
}

static void assert_models_equal(const ak_params *a, const ak_params *b) {
    ck_assert_int_eq(a->n, b->n);
    for (int i = 0; i < a->n; i++)
        ak_assert_bitwise(a->items[i].name, a->items[i].t->data, b->items[i].t->data, a->items[i].t->numel);
}

static void assert_extras_equal(const extras *x, const extras *y) {
    ak_assert_bitwise("exp_avg", x->m, y->m, 8 * 27);
    ak_assert_bitwise("exp_avg_sq", x->v, y->v, 8);
    ck_assert(memcmp(x->lr_state, y->lr_state, sizeof x->lr_state) == 0);
    ck_assert(memcmp(x->rng, y->rng, sizeof x->rng) == 0);
    ck_assert_int_eq(x->loader, y->loader);
}

START_TEST(round_trip_is_bitwise) {
    char dir[256], path[512];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(path, sizeof path, dir, "run.ckpt.h5");
    ak_error err;
    ak_error_clear(&err);
    ak_params src, dst;
    build_model(&src, false, false);
    build_model(&dst, false, false);
    fill_model(&src, 11);
    extras es, ed;
    make_extras(&es, 5);
    memset(&ed, 0, sizeof ed);
    make_extras(&ed, 999); /* same layout, different values */
    ak_ckpt_meta meta = {.iteration = 1234, .run_id = "0123456789abcdef"}, got;
    ck_assert_msg(ak_ckpt_save(path, &meta, &src, es.a, 5, &err) == AK_OK, "%s", err.msg);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ck_assert_msg(st_file_size(tmp) < 0, "temporary file left behind");
    ck_assert_msg(ak_ckpt_load(path, &got, &dst, ed.a, 5, &err) == AK_OK, "%s", err.msg);
    assert_models_equal(&src, &dst);
    assert_extras_equal(&es, &ed);
    ck_assert_int_eq(got.iteration, 1234);
    ck_assert_str_eq(got.run_id, "0123456789abcdef");
    ak_ckpt_meta only;
    ck_assert_int_eq(ak_ckpt_read_meta(path, &only, &err), AK_OK);
    ck_assert_int_eq(only.iteration, 1234);
    /* Names with '/' and '%' are stored escaped and come back exactly; h5py sees the layout. */
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert(H5Lexists(f, "/params/head%2Ffc.weight%252", H5P_DEFAULT) > 0);
    ck_assert(H5Lexists(f, "/params/backbone.bn1.num_batches_tracked", H5P_DEFAULT) > 0);
    ck_assert(H5Lexists(f, "/optimizer/exp_avg_sq.backbone%2Fconv1.bias", H5P_DEFAULT) > 0);
    H5Fclose(f);
    /* Weights only: extras are ignored. */
    ak_params w;
    build_model(&w, false, false);
    ck_assert_msg(ak_ckpt_load_params(path, NULL, &w, &err) == AK_OK, "%s", err.msg);
    assert_models_equal(&src, &w);
    ak_params_free(&w);
    ak_params_free(&src);
    ak_params_free(&dst);
    st_rmdir(dir);
}
END_TEST

START_TEST(strict_load_lists_every_problem) {
    char dir[256], path[512];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(path, sizeof path, dir, "run.ckpt.h5");
    ak_error err;
    ak_error_clear(&err);
    ak_params saved;
    build_model(&saved, false, false);
    fill_model(&saved, 3);
    ak_params_add(&saved, "old.layer.weight", 1, (int64_t[]){4}, &err);
    extras e;
    make_extras(&e, 1);
    ak_ckpt_meta meta = {.iteration = 7, .run_id = "aaaaaaaaaaaaaaaa"};
    ck_assert_int_eq(ak_ckpt_save(path, &meta, &saved, e.a, 5, &err), AK_OK);

    /* Model with one parameter the file lacks, one shape changed, and lacking one stored name. */
    ak_params model;
    build_model(&model, true, true);
    extras el;
    make_extras(&el, 2);
    ck_assert_int_eq(ak_ckpt_load(path, NULL, &model, el.a, 5, &err), AK_EFORMAT);
    ck_assert_msg(strstr(err.msg, path), "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "1 missing [connector.proj.weight]"), "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "1 unexpected [old.layer.weight]"), "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "1 mis-shaped [head/fc.weight%2 stored float32 (10,8), expected float32 (5,8)]"),
                  "%s", err.msg);
    for (int i = 0; i < model.n; i++)
        for (int64_t j = 0; j < model.items[i].t->numel; j++)
            ck_assert_msg(model.items[i].t->data[j] == 0.0f, "%s was modified by a failed load", model.items[i].name);
    ak_params_free(&model);

    /* Only shapes / dtypes wrong: AK_ESHAPE; extras are checked the same way. */
    ak_error_clear(&err);
    build_model(&model, false, false);
    ak_params_add(&model, "old.layer.weight", 1, (int64_t[]){4}, &err);
    el.a[3].dtype = AK_CKPT_F64; /* rng stored as int64 */
    el.a[1].shape[0] = 9;
    ck_assert_int_eq(ak_ckpt_load(path, NULL, &model, el.a, 5, &err), AK_ESHAPE);
    ck_assert_msg(strstr(err.msg, "rng/philox_counter stored int64 (2), expected float64 (2)"), "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "optimizer/exp_avg_sq.backbone/conv1.bias stored float32 (8), expected float32 (9)"),
                  "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "2 mis-shaped"), "%s", err.msg);

    /* Extras missing from the request are unexpected; requested extras absent are missing. */
    ak_error_clear(&err);
    make_extras(&el, 2);
    ak_ckpt_array fewer[4] = {el.a[0], el.a[1], el.a[2], el.a[3]};
    ak_ckpt_array more[6] = {el.a[0], el.a[1], el.a[2], el.a[3], el.a[4],
                             {"optimizer", "momentum", AK_CKPT_F32, 1, {8}, el.v}};
    ck_assert_int_eq(ak_ckpt_load(path, NULL, &model, fewer, 4, &err), AK_EFORMAT);
    ck_assert_msg(strstr(err.msg, "1 unexpected [loader/position]"), "%s", err.msg);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_ckpt_load(path, NULL, &model, more, 6, &err), AK_EFORMAT);
    ck_assert_msg(strstr(err.msg, "1 missing [optimizer/momentum]"), "%s", err.msg);
    ak_error_clear(&err);
    /* Bad requests are refused before touching the file. */
    ak_ckpt_array dup[2] = {el.a[0], el.a[0]};
    ck_assert_int_eq(ak_ckpt_load(path, NULL, &model, dup, 2, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "twice"), "%s", err.msg);
    ak_error_clear(&err);
    ak_ckpt_array bad_group = el.a[0];
    bad_group.group = "params";
    ck_assert_int_eq(ak_ckpt_save(path, &meta, &saved, &bad_group, 1, &err), AK_EINVAL);
    ak_error_clear(&err);
    /* Missing file / wrong format. */
    char other[600];
    snprintf(other, sizeof other, "%s/none.h5", dir);
    ck_assert_int_eq(ak_ckpt_load(other, NULL, &model, NULL, 0, &err), AK_EIO);
    ck_assert_msg(strstr(err.msg, other), "%s", err.msg);
    ak_error_clear(&err);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    H5Adelete(f, "format");
    hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR);
    H5Tset_size(t, H5T_VARIABLE);
    hid_t a = H5Acreate2(f, "format", t, s, H5P_DEFAULT, H5P_DEFAULT);
    const char *v0 = "akdbench-ckpt/0";
    H5Awrite(a, t, &v0);
    H5Aclose(a), H5Sclose(s), H5Tclose(t), H5Fclose(f);
    ck_assert_int_eq(ak_ckpt_load_params(path, NULL, &model, &err), AK_EVERSION);
    ck_assert_msg(strstr(err.msg, "akdbench-ckpt/0") && strstr(err.msg, path), "%s", err.msg);
    ak_params_free(&model);
    ak_params_free(&saved);
    st_rmdir(dir);
}
END_TEST

/* Every float of the model and every extra holds the iteration number: a loaded checkpoint must be
 * one complete save, never a mix. */
static void fill_constant(ak_params *ps, extras *e, float v) {
    for (int i = 0; i < ps->n; i++)
        for (int64_t j = 0; j < ps->items[i].t->numel; j++)
            ps->items[i].t->data[j] = v;
    for (int j = 0; j < 8 * 27; j++)
        e->m[j] = v;
    for (int j = 0; j < 8; j++)
        e->v[j] = v;
    e->loader = (int64_t)v;
}

static void assert_consistent(const ak_params *ps, const extras *e, int64_t iteration) {
    for (int i = 0; i < ps->n; i++)
        for (int64_t j = 0; j < ps->items[i].t->numel; j++)
            ck_assert_msg(ps->items[i].t->data[j] == (float)iteration, "%s[%lld] = %g in checkpoint of iteration %lld",
                          ps->items[i].name, (long long)j, ps->items[i].t->data[j], (long long)iteration);
    ck_assert_int_eq(e->loader, iteration);
    ck_assert(e->m[8 * 27 - 1] == (float)iteration);
}

START_TEST(interrupted_save_keeps_previous) {
    char dir[256], path[512], tmp[600];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(path, sizeof path, dir, "run.ckpt.h5");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ak_error err;
    ak_error_clear(&err);
    ak_params ps;
    build_model(&ps, false, false);
    extras e;
    make_extras(&e, 1);
    fill_constant(&ps, &e, 10);
    ak_ckpt_meta meta = {.iteration = 10, .run_id = "bbbbbbbbbbbbbbbb"};
    ck_assert_int_eq(ak_ckpt_save(path, &meta, &ps, e.a, 5, &err), AK_OK);
    /* A save of iteration 20 that died midway: its temp file is half written. */
    meta.iteration = 20;
    fill_constant(&ps, &e, 20);
    char save20[600];
    snprintf(save20, sizeof save20, "%s/20.h5", dir);
    ck_assert_int_eq(ak_ckpt_save(save20, &meta, &ps, e.a, 5, &err), AK_OK);
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "head -c %ld '%s' > '%s'", st_file_size(save20) / 2, save20, tmp);
    ck_assert_int_eq(system(cmd), 0);
    fill_constant(&ps, &e, 0);
    ak_ckpt_meta got;
    ck_assert_msg(ak_ckpt_load(path, &got, &ps, e.a, 5, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(got.iteration, 10);
    assert_consistent(&ps, &e, 10);
    /* The next save replaces the stale temp file. */
    fill_constant(&ps, &e, 30);
    meta.iteration = 30;
    ck_assert_int_eq(ak_ckpt_save(path, &meta, &ps, e.a, 5, &err), AK_OK);
    fill_constant(&ps, &e, 0);
    ck_assert_int_eq(ak_ckpt_load(path, &got, &ps, e.a, 5, &err), AK_OK);
    ck_assert_int_eq(got.iteration, 30);
    assert_consistent(&ps, &e, 30);
    ak_params_free(&ps);
    st_rmdir(dir);
}
END_TEST

/* Child: save checkpoints of a ~4 MB model in a loop (iteration 1, 2, ...) until killed. */
static int save_forever(void *arg) {
    const char *path = arg;
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    int64_t big[2] = {1024, 1024};
    ak_params_add(&ps, "big.weight", 2, big, &err);
    extras e;
    make_extras(&e, 1);
    for (int64_t it = 1;; it++) {
        for (int64_t j = 0; j < ps.items[0].t->numel; j++)
            ps.items[0].t->data[j] = (float)it;
        for (int j = 0; j < 8 * 27; j++)
            e.m[j] = (float)it;
        e.loader = it;
        ak_ckpt_meta meta = {.iteration = it, .run_id = "cccccccccccccccc"};
        if (ak_ckpt_save(path, &meta, &ps, e.a, 5, &err) != AK_OK)
            return 3;
    }
}

START_TEST(kill_during_save_keeps_a_whole_checkpoint) {
    char dir[256], path[512];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(path, sizeof path, dir, "run.ckpt.h5");
    for (int trial = 0; trial < 3; trial++) {
        fflush(NULL);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0)
            _exit(save_forever(path));
        /* Let it get through at least one save, then kill it at an arbitrary point. */
        struct timespec tick = {0, 5000000L};
        for (int waited = 0; st_file_size(path) < 0 && waited < 2000; waited++)
            nanosleep(&tick, NULL);
        struct timespec ts = {0, (long)(20 + 37 * trial) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        ck_assert_msg(WIFSIGNALED(status), "saver exited by itself (status %d)", status);
        ak_params ps;
        ak_params_init(&ps);
        ak_error err;
        ak_error_clear(&err);
        ak_params_add(&ps, "big.weight", 2, (int64_t[]){1024, 1024}, &err);
        extras e;
        make_extras(&e, 1);
        ak_ckpt_meta got;
        ck_assert_msg(ak_ckpt_load(path, &got, &ps, e.a, 5, &err) == AK_OK, "trial %d: %s", trial, err.msg);
        ck_assert_int_ge(got.iteration, 1);
        assert_consistent(&ps, &e, got.iteration);
        ak_params_free(&ps);
    }
    st_rmdir(dir);
}
END_TEST

/* Child: with the file size limited, a save must fail with AK_EIO naming the file. */
typedef struct full_disk_arg {
    const char *path, *report;
} full_disk_arg;

static int save_on_full_disk(void *p) {
    full_disk_arg *a = p;
    st_limit_file_size(64 * 1024);
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    ak_params_add(&ps, "big.weight", 2, (int64_t[]){1024, 1024}, &err);
    extras e;
    make_extras(&e, 1);
    ak_ckpt_meta meta = {.iteration = 99, .run_id = "dddddddddddddddd"};
    int rc = ak_ckpt_save(a->path, &meta, &ps, e.a, 5, &err);
    st_write_text(a->report, err.msg);
    return rc == AK_EIO ? 0 : 10 + (rc < 0 ? -rc : rc);
}

START_TEST(full_disk_during_save) {
    char dir[256], path[512], report[512], tmp[600];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(path, sizeof path, dir, "run.ckpt.h5");
    st_path(report, sizeof report, dir, "report.txt");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ak_error err;
    ak_error_clear(&err);
    ak_params ps;
    build_model(&ps, false, false);
    extras e;
    make_extras(&e, 1);
    fill_constant(&ps, &e, 5);
    ak_ckpt_meta meta = {.iteration = 5, .run_id = "dddddddddddddddd"};
    ck_assert_int_eq(ak_ckpt_save(path, &meta, &ps, e.a, 5, &err), AK_OK);
    ak_params_free(&ps);

    full_disk_arg a = {path, report};
    int code = st_in_child(save_on_full_disk, &a);
    char msg[2048];
    st_read_text(report, msg, sizeof msg);
    ck_assert_msg(code == 0, "child status %d, message: %s", code, msg);
    ck_assert_msg(strstr(msg, path) && strstr(msg, "previous one is kept"), "%s", msg);
    ck_assert_msg(strstr(msg, "File too large") || strstr(msg, "No space"), "%s", msg);
    ck_assert_msg(st_file_size(tmp) < 0, "temporary file left behind");
    build_model(&ps, false, false);
    ak_ckpt_meta got;
    ck_assert_msg(ak_ckpt_load(path, &got, &ps, e.a, 5, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(got.iteration, 5);
    assert_consistent(&ps, &e, 5);
    ak_params_free(&ps);
    st_rmdir(dir);
}
END_TEST

START_TEST(final_weights_in_run_file) {
    char dir[256], path[512];
    st_mkdir(dir, sizeof dir, "/tmp");
    st_path(path, sizeof path, dir, "run.h5");
    ak_error err;
    ak_error_clear(&err);
    ak_run *run;
    ak_run_provenance prov = st_provenance();
    ck_assert_int_eq(ak_run_create(&run, path, &prov, &err), AK_OK);
    st_append_rows(run, 0, 3);
    ak_params src, dst;
    build_model(&src, false, false);
    fill_model(&src, 77);
    extras es, ed;
    make_extras(&es, 8);
    make_extras(&ed, 9);
    ak_run_info info;
    ck_assert_int_eq(ak_run_read_info(run, &info, &err), AK_OK);
    ak_ckpt_meta meta = {.iteration = 2};
    snprintf(meta.run_id, sizeof meta.run_id, "%s", info.run_id);
    ck_assert_msg(ak_ckpt_save_run(run, &meta, &src, es.a, 5, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_ckpt_save_run(run, &meta, &src, es.a, 5, &err) == AK_OK, "replacing: %s", err.msg);
    ck_assert_int_eq(ak_run_finish(run, AK_RUN_COMPLETE, &err), AK_OK);
    build_model(&dst, false, false);
    ak_ckpt_meta got;
    ck_assert_msg(ak_ckpt_load(path, &got, &dst, ed.a, 5, &err) == AK_OK, "%s", err.msg);
    assert_models_equal(&src, &dst);
    assert_extras_equal(&es, &ed);
    ck_assert_str_eq(got.run_id, info.run_id);
    ak_run_summary s;
    ck_assert_msg(ak_run_validate(path, &s, &err) == AK_OK, "%s", err.msg);
    ck_assert(s.has_checkpoint);
    ck_assert_int_eq(s.n_checkpoint_params, src.n);
    /* A run file without final weights says so. */
    char other[512];
    st_path(other, sizeof other, dir, "other.h5");
    prov.config = "other: 1\n";
    ck_assert_int_eq(ak_run_create(&run, other, &prov, &err), AK_OK);
    ck_assert_int_eq(ak_run_finish(run, AK_RUN_COMPLETE, &err), AK_OK);
    ck_assert_int_eq(ak_ckpt_load_params(other, NULL, &dst, &err), AK_EFORMAT);
    ck_assert_msg(strstr(err.msg, "/checkpoint") && strstr(err.msg, other), "%s", err.msg);
    ak_run_info_free(&info);
    ak_params_free(&src);
    ak_params_free(&dst);
    st_rmdir(dir);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("store_checkpoint");
    TCase *tc = tcase_create("checkpoint");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, round_trip_is_bitwise);
    tcase_add_test(tc, strict_load_lists_every_problem);
    tcase_add_test(tc, interrupted_save_keeps_previous);
    tcase_add_test(tc, kill_during_save_keeps_a_whole_checkpoint);
    tcase_add_test(tc, full_disk_during_save);
    tcase_add_test(tc, final_weights_in_run_file);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(make_suite)
