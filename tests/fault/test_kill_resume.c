/* kill -9 a training run (the real `akdbench train` process) and resume it with --resume, over and
 * over: the finished run file must equal an uninterrupted run's value by value (every logged row,
 * every evaluation, the final metric and weights; ak_run_compare), pass `akdbench h5 check`, and no
 * temporary file may be left behind. The kills land
 *   - after seeded random delays (anywhere: forward, backward, evaluation, writes),
 *   - the moment a checkpoint write starts (RUN.ckpt.h5.tmp appears),
 *   - the moment the run file changes on disk (inside or right after a run-file flush, the window
 *     HDF5 has no journal for),
 *   - exactly at the n-th write system call to the run file or to a checkpoint being written (the
 *     child runs under ptrace, syscall_kill.h): inside a flush, deterministically; sampled (seeded),
 *     or every write in turn with AK_FAULT_EXHAUSTIVE=run-file (or checkpoint, or all);
 *   - at each removal or rename of the run's files in turn (checkpoint and snapshot published or
 *     cleared, the run file published, and the leftovers cleared after it).
 * A kill inside a run-file flush can damage the run file (HDF5 has no journal); resume then falls
 * back to the copy taken at the last checkpoint (store/run_snapshot.h).
 * The seed is printed; AK_FAULT_SEED=N reproduces a sequence of delays. */
#include "fault_util.h"
#include "syscall_kill.h"
#include "store/checkpoint.h"
#include "store/run_compare.h"
#include "store/run_snapshot.h"
#include "store/runfile.h"

typedef enum kill_mode { KILL_RANDOM, KILL_IN_CKPT_WRITE, KILL_ON_RUN_FILE_WRITE } kill_mode;

static const char *mode_name[] = {"random delay", "checkpoint write", "run-file write"};

static char work[4096];
static double t_ref; /* seconds of the uninterrupted run */
static uint64_t seed;

static void setup(void) {
    fault_workdir(work, sizeof work, "kill");
    const char *s = getenv("AK_FAULT_SEED");
    seed = s ? strtoull(s, NULL, 10) : 20240501u;
    fprintf(stderr, "test_kill_resume: AK_FAULT_SEED=%llu\n", (unsigned long long)seed);
    const char *args[] = {"train", fault_tiny_config(), "--out", "full.h5", "--quiet", NULL};
    fault_child_opts o = {"full.log", 0, false};
    double t0 = fault_now();
    int st = fault_run(args, &o, 300);
    char *log = fault_slurp("full.log");
    ck_assert_msg(st == 0, "uninterrupted run failed (%d):\n%s", st, log);
    free(log);
    /* the first run also generated the synthetic dataset: time a second one, which must be equal */
    args[3] = "again.h5";
    t0 = fault_now();
    ck_assert_int_eq(fault_run(args, &o, 300), 0);
    t_ref = fault_now() - t0;
    bool equal = false;
    char diff[1024];
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_run_compare("full.h5", "again.h5", &equal, diff, sizeof diff, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(equal, "two uninterrupted runs differ: %s", diff);
}

static void teardown(void) { fault_workdir_remove(work); }

static bool stat_sig(const char *path, off_t *size, struct timespec *mtime) {
    struct stat st;
    if (stat(path, &st) != 0)
        return false;
    *size = st.st_size;
    *mtime = st.st_mtim;
    return true;
}

/* Watch the child and kill it as `mode` says; false if it exited first. `skip` events are let pass. */
static bool watch_and_kill(pid_t pid, kill_mode mode, int skip, double delay, const char *partial,
                           const char *ckpt_tmp) {
    double t0 = fault_now();
    bool tmp_seen = false, have_sig = false;
    off_t size0 = 0;
    struct timespec m0 = {0, 0};
    for (;;) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            /* exited before the kill: put the status back for fault_wait's caller */
            ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "akdbench train failed before the kill (status %d)",
                          st);
            return false;
        }
        bool fire = false;
        if (mode == KILL_RANDOM) {
            fire = fault_now() - t0 >= delay;
        } else if (mode == KILL_IN_CKPT_WRITE) {
            bool now = fault_exists(ckpt_tmp);
            if (now && !tmp_seen && skip-- <= 0)
                fire = true;
            tmp_seen = now;
        } else {
            off_t size;
            struct timespec m;
            if (stat_sig(partial, &size, &m)) {
                if (have_sig && (size != size0 || m.tv_nsec != m0.tv_nsec || m.tv_sec != m0.tv_sec) && skip-- <= 0)
                    fire = true;
                size0 = size;
                m0 = m;
                have_sig = true;
            }
        }
        if (fire) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return true;
        }
        ck_assert_msg(fault_now() - t0 < 300, "run did not finish");
        fault_sleep(mode == KILL_RANDOM ? 1e-3 : 5e-5);
    }
}

/* Train into `out`, killing it `max_kills` times in `mode`, resuming each time; then compare. */
static void trial(const char *out, kill_mode mode, int max_kills) {
    char partial[4200], ckpt[4200], ckpt_tmp[4300], log[4200];
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_run_partial_path(out, partial, sizeof partial, &err), AK_OK);
    ck_assert_int_eq(ak_run_ckpt_path(out, ckpt, sizeof ckpt, &err), AK_OK);
    snprintf(ckpt_tmp, sizeof ckpt_tmp, "%s.tmp", ckpt);
    snprintf(log, sizeof log, "%s.log", out);
    const char *args[] = {"train", fault_tiny_config(), "--out", out, "--resume", "--quiet", NULL};
    fault_child_opts o = {log, 0, false};
    int kills = 0, damaged = 0;
    for (int start = 0;; start++) {
        ck_assert_msg(start < 4 * max_kills + 4, "%s: too many restarts", out);
        pid_t pid = fault_spawn(args, &o);
        if (kills < max_kills) {
            int skip = (int)(fault_rand(&seed) % 2);
            double delay = t_ref * (0.05 + 0.85 * (double)(fault_rand(&seed) % 1000) / 1000.0);
            if (watch_and_kill(pid, mode, skip, delay, partial, ckpt_tmp)) {
                kills++;
                /* a checkpoint is never partial: it reads, or it is absent */
                ak_ckpt_meta meta;
                if (fault_exists(ckpt))
                    ck_assert_msg(ak_ckpt_read_meta(ckpt, &meta, &err) == AK_OK, "%s after kill %d: %s", ckpt, kills,
                                  err.msg);
                /* the run file may be damaged by a kill inside a flush: resume must cope */
                if (fault_exists(partial)) {
                    const char *chk[] = {"h5", "check", partial, NULL};
                    fault_child_opts q = {"damaged.log", 0, false};
                    if (fault_run(chk, &q, 120) != 0) {
                        char *why = fault_slurp("damaged.log");
                        fprintf(stderr, "test_kill_resume: %s after kill %d (%s): %s", partial, kills, mode_name[mode],
                                why);
                        free(why);
                        damaged++;
                    }
                }
                continue;
            }
        } else {
            int st = fault_wait(pid, 300);
            char *text = fault_slurp(log);
            ck_assert_msg(st == 0, "%s: resumed run failed (status %d) after %d kills (%s):\n%s", out, st, kills,
                          mode_name[mode], text);
            free(text);
        }
        break;
    }
    fprintf(stderr, "test_kill_resume: %s: %d kills (%s), run file damaged after %d of them\n", out, kills,
            mode_name[mode], damaged);
    bool equal = false;
    char diff[1024];
    ck_assert_msg(ak_run_compare("full.h5", out, &equal, diff, sizeof diff, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(equal, "%s after %d kills (%s) differs from the uninterrupted run: %s", out, kills, mode_name[mode],
                  diff);
    const char *chk[] = {"h5", "check", out, NULL};
    fault_child_opts q = {"check.log", 0, false};
    ck_assert_msg(fault_run(chk, &q, 120) == 0, "akdbench h5 check %s failed", out);
    ck_assert_msg(!fault_exists(partial) && !fault_exists(ckpt) && !fault_exists(ckpt_tmp),
                  "%s: temporary files left behind (%s %s %s)", out, fault_exists(partial) ? partial : "",
                  fault_exists(ckpt) ? ckpt : "", fault_exists(ckpt_tmp) ? ckpt_tmp : "");
}

/* Compare a finished run with the uninterrupted one, check it, and look for left-over files. */
static void finished_equal(const char *out, const char *what) {
    char partial[4200], ckpt[4200], ckpt_tmp[4300];
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_run_partial_path(out, partial, sizeof partial, &err), AK_OK);
    ck_assert_int_eq(ak_run_ckpt_path(out, ckpt, sizeof ckpt, &err), AK_OK);
    snprintf(ckpt_tmp, sizeof ckpt_tmp, "%s.tmp", ckpt);
    bool equal = false;
    char diff[1024];
    ck_assert_msg(ak_run_compare("full.h5", out, &equal, diff, sizeof diff, &err) == AK_OK, "%s: %s", what, err.msg);
    ck_assert_msg(equal, "%s: differs from the uninterrupted run: %s", what, diff);
    const char *chk[] = {"h5", "check", out, NULL};
    fault_child_opts q = {"check.log", 0, false};
    ck_assert_msg(fault_run(chk, &q, 120) == 0, "%s: akdbench h5 check %s failed", what, out);
    char snap[4200];
    ck_assert_int_eq(ak_run_snapshot_path(out, snap, sizeof snap, &err), AK_OK);
    ck_assert_msg(!fault_exists(partial) && !fault_exists(ckpt) && !fault_exists(ckpt_tmp) && !fault_exists(snap),
                  "%s: temporary files left behind", what);
}

/* The string a traced call must match for the run writing `out`: the suffix of the files written
 * (SK_WRITES), or the run's own file name stem ("w-names-3" of "w-names-3.h5"; SK_NAME_OPS). */
static const char *call_match(sk_calls kind, const char *suffix, const char *out, char *buf, size_t len) {
    if (kind == SK_WRITES)
        return suffix;
    snprintf(buf, len, "%.*s", (int)(strlen(out) - 3), out);
    return buf;
}

/* Kill at the k-th call of `kind` (k drawn from 1..total), then resume. */
static void kill_at_calls(sk_calls kind, const char *suffix, const char *what, int samples) {
    if (!sk_supported())
        return;
    char count_out[64], match[64];
    snprintf(count_out, sizeof count_out, "count-%s.h5", what);
    const char *count_args[] = {"train", fault_tiny_config(), "--out", count_out, "--quiet", NULL};
    sk_result c = sk_run(count_args, "count.log", kind, call_match(kind, suffix, count_out, match, sizeof match), 0, 300);
    if (c.status == SK_NO_PTRACE) {
        fprintf(stderr, "test_kill_resume: ptrace not permitted here: %s kills skipped\n", what);
        return;
    }
    ck_assert_msg(c.status == 0 && c.calls > 0, "traced run: status %d, %ld %s calls", c.status, c.calls, what);
    /* AK_FAULT_EXHAUSTIVE=run-file|checkpoint|names|all: every call in turn (minutes) instead of a sample */
    const char *ex = getenv("AK_FAULT_EXHAUSTIVE");
    bool all = samples <= 0 || (ex && (strcmp(ex, what) == 0 || strcmp(ex, "all") == 0));
    if (all)
        samples = (int)c.calls;
    for (int i = 0; i < samples; i++) {
        long k = all ? i + 1 : 1 + (long)(fault_rand(&seed) % (uint64_t)c.calls);
        char out[64], log[80], label[160];
        snprintf(out, sizeof out, "w-%s-%d.h5", what, i);
        snprintf(log, sizeof log, "w-%s-%d.log", what, i);
        snprintf(label, sizeof label, "killed at %s call %ld of %ld", what, k, c.calls);
        const char *args[] = {"train", fault_tiny_config(), "--out", out, "--resume", "--quiet", NULL};
        sk_result r = sk_run(args, log, kind, call_match(kind, suffix, out, match, sizeof match), k, 300);
        ck_assert_msg(r.killed, "%s: the run ended first (status %d)", label, r.status);
        fault_child_opts o = {log, 0, false};
        int st = fault_run(args, &o, 300);
        char *text = fault_slurp(log);
        ck_assert_msg(st == 0, "%s: resume failed (status %d):\n%s", label, st, text);
        free(text);
        finished_equal(out, label);
    }
    fprintf(stderr, "test_kill_resume: %d kills at %s calls (of %ld), all resumed equal\n", samples, what, c.calls);
}

START_TEST(kills_inside_run_file_flushes_then_resume_equal_uninterrupted) {
    kill_at_calls(SK_WRITES, ".h5.partial", "run-file", 8);
}
END_TEST

START_TEST(kills_inside_checkpoint_file_writes_then_resume_equal_uninterrupted) {
    kill_at_calls(SK_WRITES, ".ckpt.h5.tmp", "checkpoint", 4);
}
END_TEST

/* Every removal and rename of the run's files in turn (samples 0: all of them): checkpoints and
 * snapshots published, stale ones cleared, the run file published, its checkpoint cleared after. */
START_TEST(kills_at_each_file_rename_or_removal_then_resume_equal_uninterrupted) {
    kill_at_calls(SK_NAME_OPS, NULL, "names", 0);
}
END_TEST

START_TEST(random_kills_then_resume_equal_uninterrupted) {
    trial("random_a.h5", KILL_RANDOM, 3);
    trial("random_b.h5", KILL_RANDOM, 3);
}
END_TEST

START_TEST(kills_during_checkpoint_writes_then_resume_equal_uninterrupted) {
    trial("ckpt.h5", KILL_IN_CKPT_WRITE, 2);
}
END_TEST

START_TEST(kills_during_run_file_writes_then_resume_equal_uninterrupted) {
    trial("flush_a.h5", KILL_ON_RUN_FILE_WRITE, 3);
    trial("flush_b.h5", KILL_ON_RUN_FILE_WRITE, 3);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("kill_resume");
    TCase *tc = tcase_create("kill9");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, random_kills_then_resume_equal_uninterrupted);
    tcase_add_test(tc, kills_during_checkpoint_writes_then_resume_equal_uninterrupted);
    tcase_add_test(tc, kills_during_run_file_writes_then_resume_equal_uninterrupted);
    tcase_add_test(tc, kills_inside_run_file_flushes_then_resume_equal_uninterrupted);
    tcase_add_test(tc, kills_inside_checkpoint_file_writes_then_resume_equal_uninterrupted);
    tcase_add_test(tc, kills_at_each_file_rename_or_removal_then_resume_equal_uninterrupted);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
