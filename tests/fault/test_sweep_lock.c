/* Two sweeps on the same folder (the real `akdbench sweep` processes): the second one refuses with
 * a message naming the folder (exit status 1) while the first holds the folder's lock, and the first
 * finishes untouched: every run file complete and valid, results.h5 with exactly one row per run.
 * Started at the same moment, exactly one of them runs. Once the first has finished, a new sweep on
 * the folder is accepted (the lock is released) and redoes nothing. A sweep that gets SIGTERM starts
 * no further run, stops its running one (which checkpoints), waits for it, exits 1 saying it was
 * interrupted, leaves nothing running, and the same command then finishes the sweep. */
#include <dirent.h>
#include <sys/stat.h>

#include "fault_util.h"
#include "store/results_index.h"
#include "store/run_validate.h"

static char work[4096];

#define N_SEEDS 3

static void setup(void) {
    fault_workdir(work, sizeof work, "sweep");
    FILE *f = fopen("sweep.yaml", "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "name: lock_test\nruns:\n  - {config: %s}\nseeds: [0, 1, 2]\n", fault_tiny_config());
    fclose(f);
}

static void teardown(void) { fault_workdir_remove(work); }

static pid_t start_sweep(const char *dir, const char *log) {
    const char *args[] = {"sweep", "sweep.yaml", "--dir", dir, "--jobs", "1", NULL};
    fault_child_opts o = {log, 0, false};
    return fault_spawn(args, &o);
}

/* The finished sweep: N_SEEDS complete, valid run files, indexed once each. */
static void check_sweep(const char *dir) {
    char path[4300];
    ak_error err;
    ak_error_clear(&err);
    snprintf(path, sizeof path, "%s/results.h5", dir);
    ak_results r;
    ck_assert_msg(ak_results_read(path, &r, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(r.n_runs, N_SEEDS);
    for (int i = 0; i < r.n_runs; i++) {
        ck_assert_str_eq(r.status[i], "complete");
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(r.run_id[i], r.run_id[j]);
        ak_run_summary s;
        ck_assert_msg(ak_run_validate(r.path[i], &s, &err) == AK_OK, "%s: %s", r.path[i], err.msg);
        ck_assert_str_eq(s.status, "complete");
        ck_assert_int_eq(s.rows, 12);
    }
    ak_results_free(&r);
}

static bool refused(const char *log, const char *dir) {
    char *text = fault_slurp(log);
    char want[4400];
    snprintf(want, sizeof want, "%s: another sweep is running on this folder", dir);
    bool yes = strstr(text, want) != NULL;
    free(text);
    return yes;
}

START_TEST(second_sweep_on_a_busy_folder_refuses) {
    pid_t a = start_sweep("runs", "a.log");
    /* wait until the first sweep holds the lock and is training */
    double t0 = fault_now();
    while (!fault_exists("runs/tiny_seg-s0.h5.partial") && !fault_exists("runs/tiny_seg-s0.h5")) {
        int st;
        ck_assert_msg(waitpid(a, &st, WNOHANG) == 0, "the first sweep ended early");
        ck_assert_msg(fault_now() - t0 < 300, "the first sweep did not start a run");
        fault_sleep(0.001);
    }
    const char *args[] = {"sweep", "sweep.yaml", "--dir", "runs", "--jobs", "1", NULL};
    fault_child_opts o = {"b.log", 0, false};
    double tb = fault_now();
    int st_b = fault_run(args, &o, 300);
    ck_assert_msg(st_b == 1, "second sweep: exit status %d, expected 1", st_b);
    ck_assert_msg(refused("b.log", "runs"), "second sweep: no refusal naming the folder");
    ck_assert_msg(fault_now() - tb < 30, "the refusal took %.0f s", fault_now() - tb);
    int st_a = fault_wait(a, 300);
    char *text = fault_slurp("a.log");
    ck_assert_msg(st_a == 0, "first sweep: exit status %d:\n%s", st_a, text);
    free(text);
    check_sweep("runs");

    /* the lock is released: a new sweep is accepted and skips the finished runs */
    ck_assert_int_eq(fault_run(args, &o, 300), 0);
    check_sweep("runs");
}
END_TEST

START_TEST(two_sweeps_started_together_one_runs) {
    pid_t a = start_sweep("both", "a2.log"), b = start_sweep("both", "b2.log");
    int st_a = fault_wait(a, 300), st_b = fault_wait(b, 300);
    bool a_refused = refused("a2.log", "both"), b_refused = refused("b2.log", "both");
    ck_assert_msg((st_a == 0 && st_b == 1 && b_refused && !a_refused) ||
                      (st_b == 0 && st_a == 1 && a_refused && !b_refused),
                  "exit statuses %d / %d, refusals %d / %d: exactly one sweep must run", st_a, st_b, a_refused,
                  b_refused);
    check_sweep("both");
}
END_TEST

/* Sum of the sizes and modification times of the files in dir: changes if anything still writes. */
static double folder_state(const char *dir) {
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    double sum = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (e->d_name[0] != '.' && stat(p, &st) == 0)
            sum += (double)st.st_size + 1e-9 * (double)st.st_mtim.tv_nsec + (double)st.st_mtim.tv_sec;
    }
    closedir(d);
    return sum;
}

START_TEST(interrupted_sweep_stops_cleanly_and_resumes) {
    pid_t a = start_sweep("intr", "i.log");
    double t0 = fault_now();
    while (!fault_exists("intr/tiny_seg-s0.ckpt.h5")) { /* the first run is training */
        int st;
        ck_assert_msg(waitpid(a, &st, WNOHANG) == 0, "the sweep ended early");
        ck_assert_msg(fault_now() - t0 < 300, "the sweep did not start a run");
        fault_sleep(0.002);
    }
    ck_assert_int_eq(kill(a, SIGTERM), 0);
    int st = fault_wait(a, 120);
    char *text = fault_slurp("i.log");
    ck_assert_msg(st == 1, "interrupted sweep: exit status %d, expected 1:\n%s", st, text);
    const char *intr = strstr(text, "interrupted");
    ck_assert_msg(intr != NULL, "no 'interrupted' message:\n%s", text);
    ck_assert_msg(strstr(intr, "sweep: start") == NULL, "a run was started after the stop:\n%s", text);
    ck_assert_msg(strstr(text, "run the same command again to resume") != NULL, "no resume hint:\n%s", text);
    free(text);
    ck_assert_msg(!fault_exists("intr/tiny_seg-s2.h5") && !fault_exists("intr/tiny_seg-s2.h5.partial"),
                  "the last run was started");
    /* nothing still writes into the folder once the sweep has returned */
    const double before = folder_state("intr");
    fault_sleep(1.5);
    ck_assert_msg(folder_state("intr") == before, "files in intr/ still change after the sweep exited");

    const char *args[] = {"sweep", "sweep.yaml", "--dir", "intr", "--jobs", "1", NULL};
    fault_child_opts o = {"i2.log", 0, false};
    ck_assert_int_eq(fault_run(args, &o, 300), 0);
    check_sweep("intr");
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("sweep_lock");
    TCase *tc = tcase_create("lock");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, second_sweep_on_a_busy_folder_refuses);
    tcase_add_test(tc, two_sweeps_started_together_one_runs);
    tcase_add_test(tc, interrupted_sweep_stops_cleanly_and_resumes);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
