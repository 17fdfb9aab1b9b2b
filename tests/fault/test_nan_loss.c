/* A non-finite loss stops a training run (the real `akdbench train` process) with the loss term and
 * the iteration named, exit status 1, a checkpoint of the last good iteration, and a valid run file
 * marked "failed" whose rows end right before the bad iteration. The NaN is forced without any hook:
 * `--set optim.lr=1e30` on the tiny config (the first step blows the weights up, so the next forward
 * pass produces inf / NaN). Resuming from that checkpoint reproduces the same failure (the run is
 * deterministic), so the checkpoint is usable, e.g. to inspect the weights. */
#include <inttypes.h>
#include <math.h>
#include <stddef.h>

#include "fault_util.h"
#include "store/checkpoint.h"
#include "store/run_validate.h"
#include "store/runfile.h"

static char work[4096];

static void setup(void) { fault_workdir(work, sizeof work, "nan"); }

static void teardown(void) { fault_workdir_remove(work); }

/* The iteration named in "iteration N: loss 'TERM' is not finite", or -1. */
static int64_t named_iteration(const char *text, const char *term) {
    char pattern[128];
    snprintf(pattern, sizeof pattern, ": loss '%s' is not finite", term);
    const char *hit = strstr(text, pattern);
    if (!hit)
        return -1;
    const char *p = hit;
    while (p > text && p[-1] >= '0' && p[-1] <= '9')
        p--;
    const char *kw = "iteration ";
    if (p - text < (ptrdiff_t)strlen(kw) || strncmp(p - strlen(kw), kw, strlen(kw)) != 0)
        return -1;
    return strtoll(p, NULL, 10);
}

static void expect_nan_failure(const char *log, bool resume, int64_t *iter) {
    const char *args[] = {"train", fault_tiny_config(), "--out", "nan.h5", "--set", "optim.lr=1e30", "--quiet",
                          resume ? "--resume" : NULL, NULL};
    fault_child_opts o = {log, 0, false};
    int st = fault_run(args, &o, 300);
    char *text = fault_slurp(log);
    ck_assert_msg(st == 1, "exit status %d (1 expected):\n%s", st, text);
    ck_assert_msg(strstr(text, "akdbench train: iteration ") != NULL, "message does not start with the iteration:\n%s",
                  text);
    *iter = named_iteration(text, "loss_task");
    ck_assert_msg(*iter >= 1, "no iteration / term named:\n%s", text);
    ck_assert_msg(strstr(text, "not finite: nan") || strstr(text, "not finite: inf") || strstr(text, "not finite: -inf"),
                  "the value is not named:\n%s", text);
    free(text);
}

START_TEST(nan_loss_stops_with_term_iteration_and_checkpoint) {
    int64_t iter;
    expect_nan_failure("nan.log", false, &iter);
    ak_error err;
    ak_error_clear(&err);
    ak_ckpt_meta meta;
    ck_assert_msg(ak_ckpt_read_meta("nan.ckpt.h5", &meta, &err) == AK_OK, "no checkpoint left: %s", err.msg);
    ck_assert_int_eq(meta.iteration, iter - 1);
    ak_run_summary sum;
    ck_assert_msg(ak_run_validate("nan.h5.partial", &sum, &err) == AK_OK, "%s", err.msg);
    ck_assert_str_eq(sum.status, "failed");
    ck_assert_int_eq(sum.rows, iter);
    ck_assert_int_eq(sum.last_iter, iter - 1);
    ck_assert(!fault_exists("nan.h5"));
    /* every logged loss is finite */
    ak_run *run;
    ck_assert_int_eq(ak_run_open(&run, "nan.h5.partial", AK_RUN_READ, &err), AK_OK);
    double loss[64];
    ck_assert(sum.rows <= 64);
    ck_assert_int_eq(ak_run_read_train(run, "loss_total", 0, sum.rows, loss, &err), AK_OK);
    for (int64_t i = 0; i < sum.rows; i++)
        ck_assert_msg(isfinite(loss[i]), "row %" PRId64 ": %g", i, loss[i]);
    ak_run_close(run, NULL);

    /* resuming from the checkpoint fails the same way at the same iteration */
    int64_t again;
    expect_nan_failure("nan2.log", true, &again);
    ck_assert_int_eq(again, iter);
    ck_assert_msg(ak_ckpt_read_meta("nan.ckpt.h5", &meta, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(meta.iteration, iter - 1);
}
END_TEST

/* A distillation term: the tiny CWD student of the report tests with a weight of 1e300 (its teacher
 * trained first, 12 iterations) overflows to inf at iteration 0. The term is named by its column;
 * at the very first iteration nothing has been trained, so there is no checkpoint to keep (the
 * weights are the seed's initialisation) and the run file has no rows. */
START_TEST(inf_distillation_term_is_named) {
    const char *teacher[] = {"train", AK_SOURCE_DIR "/tests/fixtures/harness/tiny_seg_teacher.yaml", "--out",
                             "teacher.h5", "--quiet", NULL};
    fault_child_opts o = {"teacher.log", 0, false};
    ck_assert_int_eq(fault_run(teacher, &o, 300), 0);
    const char *args[] = {"train", AK_SOURCE_DIR "/tests/fixtures/harness/tiny_seg_cwd.yaml", "--set",
                          "model.teacher.weights=teacher.h5", "--set", "distill.weight=1e300", "--out", "cwd.h5",
                          "--quiet", NULL};
    fault_child_opts q = {"cwd.log", 0, false};
    int st = fault_run(args, &q, 300);
    char *text = fault_slurp("cwd.log");
    ck_assert_msg(st == 1, "exit status %d (1 expected):\n%s", st, text);
    ck_assert_msg(strstr(text, "akdbench train: iteration 0: loss term cwd:decode.logits is inf"), "message:\n%s",
                  text);
    free(text);
    ak_error err;
    ak_error_clear(&err);
    ak_run_summary sum;
    ck_assert_msg(ak_run_validate("cwd.h5.partial", &sum, &err) == AK_OK, "%s", err.msg);
    ck_assert_str_eq(sum.status, "failed");
    ck_assert_int_eq(sum.rows, 0);
    ck_assert(!fault_exists("cwd.ckpt.h5") && !fault_exists("cwd.h5"));
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("nan_loss");
    TCase *tc = tcase_create("nan");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, nan_loss_stops_with_term_iteration_and_checkpoint);
    tcase_add_test(tc, inf_distillation_term_is_named);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
