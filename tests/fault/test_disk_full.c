/* A full disk during a training run (the real `akdbench train` process): the run stops with exit
 * status 1 and a message naming the file that could not be written, keeps the last good checkpoint
 * and the run file as of its last flush, and `--resume` (with space again) finishes it equal to an
 * uninterrupted run. The disk is made "full" with RLIMIT_FSIZE (writes past the limit fail with
 * EFBIG, "File too large"; SIGXFSZ ignored): from the start, or set on the running child with
 * prlimit right after its first checkpoint, below the size of a checkpoint (the next checkpoint
 * write fails) or of the run file (its next flush fails). A process that failed to write must not
 * crash on the way out either (it used to: SIGSEGV in HDF5's atexit clean-up). */
#define _GNU_SOURCE /* prlimit */
#include "fault_util.h"
#include "store/checkpoint.h"
#include "store/run_compare.h"
#include "store/run_validate.h"
#include "store/runfile.h"

static char work[4096];

static void setup(void) {
    fault_workdir(work, sizeof work, "diskfull");
    const char *args[] = {"train", fault_tiny_config(), "--out", "full.h5", "--quiet", NULL};
    fault_child_opts o = {"full.log", 0, false};
    ck_assert_int_eq(fault_run(args, &o, 300), 0);
}

static void teardown(void) { fault_workdir_remove(work); }

static off_t file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

typedef enum limit_on { LIMIT_CHECKPOINT, LIMIT_RUN_FILE } limit_on;

/* Start a run into `out`; when its first checkpoint appears, stop it, cap its file size below the
 * checkpoint's size (LIMIT_CHECKPOINT) or just above the run file's (LIMIT_RUN_FILE), continue it.
 * Returns the exit status; *ckpt_iter receives the iteration of the checkpoint seen. */
static int run_until_full(const char *out, limit_on which, int64_t *ckpt_iter) {
    char ckpt[4200], partial[4200], log[4200];
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_run_ckpt_path(out, ckpt, sizeof ckpt, &err), AK_OK);
    ck_assert_int_eq(ak_run_partial_path(out, partial, sizeof partial, &err), AK_OK);
    snprintf(log, sizeof log, "%s.log", out);
    const char *args[] = {"train", fault_tiny_config(), "--out", out, "--quiet", NULL};
    fault_child_opts o = {log, 0, true};
    pid_t pid = fault_spawn(args, &o);
    double t0 = fault_now();
    while (!fault_exists(ckpt)) {
        int st;
        ck_assert_msg(waitpid(pid, &st, WNOHANG) == 0, "%s: the run ended before its first checkpoint", out);
        ck_assert_msg(fault_now() - t0 < 300, "%s: no checkpoint after 300 s", out);
        fault_sleep(0.0005);
    }
    kill(pid, SIGSTOP);
    ak_ckpt_meta meta;
    ck_assert_msg(ak_ckpt_read_meta(ckpt, &meta, &err) == AK_OK, "%s", err.msg);
    *ckpt_iter = meta.iteration;
    off_t limit = which == LIMIT_CHECKPOINT ? file_size(ckpt) / 2 : file_size(partial) + 1024;
    struct rlimit rl = {(rlim_t)limit, (rlim_t)limit};
    ck_assert_msg(prlimit(pid, RLIMIT_FSIZE, &rl, NULL) == 0, "prlimit: %s", strerror(errno));
    kill(pid, SIGCONT);
    return fault_wait(pid, 300);
}

/* After the failure: the checkpoint of iteration `iter` is intact, no temporary is left, the run
 * file is valid with `status` ("failed"; "running" when the failure stopped the run file itself: it
 * keeps its last flush), and --resume finishes the run equal to the uninterrupted one. */
static void check_kept_and_resume(const char *out, int64_t iter, const char *status) {
    char ckpt[4200], partial[4200], tmp[4300], log[4200];
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_run_ckpt_path(out, ckpt, sizeof ckpt, &err), AK_OK);
    ck_assert_int_eq(ak_run_partial_path(out, partial, sizeof partial, &err), AK_OK);
    snprintf(tmp, sizeof tmp, "%s.tmp", ckpt);
    snprintf(log, sizeof log, "%s.log", out);
    ak_ckpt_meta meta;
    ck_assert_msg(ak_ckpt_read_meta(ckpt, &meta, &err) == AK_OK, "%s: the last good checkpoint is gone: %s", ckpt,
                  err.msg);
    ck_assert_int_eq(meta.iteration, iter);
    ck_assert_msg(!fault_exists(tmp), "%s left behind", tmp);
    ak_run_summary sum;
    ck_assert_msg(ak_run_validate(partial, &sum, &err) == AK_OK, "%s after the failure: %s", partial, err.msg);
    ck_assert_str_eq(sum.status, status);
    ck_assert_int_ge(sum.last_iter, iter);

    const char *args[] = {"train", fault_tiny_config(), "--out", out, "--resume", "--quiet", NULL};
    fault_child_opts o = {log, 0, false};
    int st = fault_run(args, &o, 300);
    char *text = fault_slurp(log);
    ck_assert_msg(st == 0, "%s: resume after the full disk failed (%d):\n%s", out, st, text);
    free(text);
    bool equal = false;
    char diff[1024];
    ck_assert_msg(ak_run_compare("full.h5", out, &equal, diff, sizeof diff, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(equal, "%s resumed after a full disk differs from the uninterrupted run: %s", out, diff);
}

START_TEST(full_disk_during_checkpoint_write_keeps_the_previous_one) {
    int64_t iter = -1;
    int st = run_until_full("ck.h5", LIMIT_CHECKPOINT, &iter);
    char *text = fault_slurp("ck.h5.log");
    ck_assert_msg(st == 1, "exit status %d (1 expected):\n%s", st, text);
    ck_assert_msg(strstr(text, "akdbench train: checkpoint ck.ckpt.h5 not saved (the previous one is kept)") &&
                      strstr(text, "ck.ckpt.h5.tmp") && strstr(text, "File too large"),
                  "unclear message:\n%s", text);
    free(text);
    check_kept_and_resume("ck.h5", iter, "failed");
}
END_TEST

START_TEST(full_disk_during_run_file_flush_keeps_the_last_flush) {
    int64_t iter = -1;
    int st = run_until_full("rf.h5", LIMIT_RUN_FILE, &iter);
    char *text = fault_slurp("rf.h5.log");
    ck_assert_msg(st == 1, "exit status %d (1 expected):\n%s", st, text);
    ck_assert_msg(strstr(text, "akdbench train: rf.h5.partial") && strstr(text, "File too large"),
                  "unclear message:\n%s", text);
    free(text);
    check_kept_and_resume("rf.h5", iter, "running");
}
END_TEST

START_TEST(full_disk_from_the_start_fails_cleanly) {
    const char *args[] = {"train", fault_tiny_config(), "--out", "tiny.h5", "--quiet", NULL};
    fault_child_opts o = {"tiny.log", 16 * 1024, true};
    int st = fault_run(args, &o, 300);
    char *text = fault_slurp("tiny.log");
    ck_assert_msg(st == 1, "exit status %d (1 expected; 139 is the crash at exit):\n%s", st, text);
    ck_assert_msg(strstr(text, "akdbench train: tiny.h5.partial") && strstr(text, "File too large"),
                  "unclear message:\n%s", text);
    free(text);
    ck_assert(!fault_exists("tiny.h5"));
    ck_assert(!fault_exists("tiny.ckpt.h5"));
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("disk_full");
    TCase *tc = tcase_create("fsize");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, full_disk_during_checkpoint_write_keeps_the_previous_one);
    tcase_add_test(tc, full_disk_during_run_file_flush_keeps_the_last_flush);
    tcase_add_test(tc, full_disk_from_the_start_fails_cleanly);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
