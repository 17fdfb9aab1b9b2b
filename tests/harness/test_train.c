/* The trainer end to end on a tiny synthetic set: a complete run file; a run stopped midway and
 * resumed equals an uninterrupted run bitwise (every logged row and every final weight); a finished
 * run is not redone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "akscratch.h"
#include "aktest.h"
#include "bench/train/net.h"
#include "bench/train/trainer.h"
#include "core/params.h"
#include "store/checkpoint.h"
#include "store/run_snapshot.h"
#include "store/runfile.h"

static char cfg_path[4096], work[4096];

static void setup(void) {
    snprintf(cfg_path, sizeof cfg_path, "%s/tests/fixtures/harness/tiny_seg.yaml", AK_SOURCE_DIR);
    ak_scratch_enter(work, sizeof work, "harness-work");
}

static void teardown(void) { ak_scratch_leave(work); }

static void train(const char *out, bool resume, int64_t stop_after, ak_train_result *r) {
    ak_train_opts o;
    memset(&o, 0, sizeof o);
    o.config_path = cfg_path;
    o.run_path = out;
    o.resume = resume;
    o.stop_after = stop_after;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_train(&o, r, &err) == AK_OK, "train %s: %s", out, err.msg);
}

static void read_column(const char *path, const char *col, double *out, int64_t n) {
    ak_run *run;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_run_open(&run, path, AK_RUN_READ, &err) == AK_OK, "%s", err.msg);
    int64_t len;
    ck_assert_int_eq(ak_run_train_len(run, &len, &err), AK_OK);
    ck_assert_int_eq(len, n);
    ck_assert_int_eq(ak_run_read_train(run, col, 0, n, out, &err), AK_OK);
    ak_run_close(run, &err);
}

START_TEST(interrupted_and_resumed_equals_uninterrupted) {
    ak_train_result a, b;
    train("full.h5", false, 0, &a);
    ck_assert(a.complete);
    ck_assert_int_eq(a.iterations, 12);
    ck_assert(a.metric >= 0.0 && a.metric <= 1.0);

    train("split.h5", false, 7, &b);
    ck_assert(!b.complete);
    ck_assert_int_eq(access("split.h5", F_OK), -1); /* not published while unfinished */
    train("split.h5", true, 0, &b);
    ck_assert(b.complete);
    ck_assert_int_eq(b.iterations, 12);

    const char *cols[] = {"loss_total", "loss_task", "lr"};
    for (int c = 0; c < 3; c++) {
        double x[12], y[12];
        read_column("full.h5", cols[c], x, 12);
        read_column("split.h5", cols[c], y, 12);
        for (int i = 0; i < 12; i++)
            ck_assert_msg(memcmp(&x[i], &y[i], sizeof(double)) == 0, "%s[%d]: %.17g vs %.17g", cols[c], i, x[i],
                          y[i]);
    }
    ck_assert(memcmp(&a.metric, &b.metric, sizeof(double)) == 0);
    /* final weights bitwise equal: load both into the student network of the config */
    ak_error err;
    ak_error_clear(&err);
    ak_run_config cfg;
    ck_assert_msg(ak_run_config_load(cfg_path, NULL, 0, &cfg, NULL, &err) == AK_OK, "%s", err.msg);
    ak_net na, nb;
    ck_assert_int_eq(ak_net_build(&na, &cfg.model.student, &cfg, 99, &err), AK_OK);
    ck_assert_int_eq(ak_net_build(&nb, &cfg.model.student, &cfg, 98, &err), AK_OK);
    ck_assert_msg(ak_ckpt_load_params("full.h5", NULL, &na.ps, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_ckpt_load_params("split.h5", NULL, &nb.ps, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(na.ps.n, nb.ps.n);
    for (int i = 0; i < na.ps.n; i++)
        ak_assert_bitwise(na.ps.items[i].name, na.ps.items[i].t->data, nb.ps.items[i].t->data, na.ps.items[i].t->numel);
    ak_net_free(&na);
    ak_net_free(&nb);
}
END_TEST

START_TEST(finished_run_is_not_redone) {
    ak_train_result a, b;
    train("once.h5", false, 0, &a);
    ck_assert(a.complete && !a.skipped);
    train("once.h5", false, 0, &b);
    ck_assert(b.skipped);
    /* A kill after the run file was published but before its checkpoint was cleared leaves them
     * behind: the next --resume finds the run complete, clears them and leaves the run file alone. */
    char ckpt[4200], ckpt_tmp[4300], snap[4200];
    ak_error e;
    ak_error_clear(&e);
    ck_assert_int_eq(ak_run_ckpt_path("once.h5", ckpt, sizeof ckpt, &e), AK_OK);
    snprintf(ckpt_tmp, sizeof ckpt_tmp, "%s.tmp", ckpt);
    ck_assert_int_eq(ak_run_snapshot_path("once.h5", snap, sizeof snap, &e), AK_OK);
    const char *left[] = {ckpt, ckpt_tmp, snap};
    for (int i = 0; i < 3; i++) {
        FILE *f = fopen(left[i], "wb");
        ck_assert_ptr_nonnull(f);
        fputs("left over", f);
        fclose(f);
    }
    struct stat before, after;
    ck_assert_int_eq(stat("once.h5", &before), 0);
    train("once.h5", true, 0, &b);
    ck_assert(b.skipped && b.complete);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(access(left[i], F_OK) == -1, "%s left behind", left[i]);
    ck_assert_int_eq(stat("once.h5", &after), 0);
    ck_assert(before.st_size == after.st_size && before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
              before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
    /* The same file under a changed config is another run: refused, not silently reused. */
    ak_train_opts o;
    memset(&o, 0, sizeof o);
    o.config_path = cfg_path;
    o.run_path = "once.h5";
    const char *sets[] = {"optim.lr=0.02"};
    o.sets = sets;
    o.n_sets = 1;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_train(&o, &b, &err), AK_ESTATE);
    ck_assert_msg(strstr(err.msg, "once.h5") && strstr(err.msg, "config changed"), "%s", err.msg);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("e2e");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, interrupted_and_resumed_equals_uninterrupted);
    tcase_add_test(tc, finished_run_is_not_redone);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
