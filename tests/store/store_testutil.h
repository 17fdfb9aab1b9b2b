/* Helpers shared by the store tests: scratch directories, a run file with known contents, and
 * running a function in a forked child (for full-disk and crash simulations). Header-only. */
#ifndef AK_STORE_TESTUTIL_H
#define AK_STORE_TESTUTIL_H

#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/runfile.h"

/* A fresh directory under base ("/tmp" or "/dev/shm"); removed by st_rmdir. */
static inline void st_mkdir(char *out, size_t len, const char *base) {
    snprintf(out, len, "%s/akstore.XXXXXX", base);
    ck_assert_msg(mkdtemp(out) != NULL, "mkdtemp under %s failed", base);
}

static inline void st_rmdir(const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static inline void st_path(char *out, size_t len, const char *dir, const char *name) {
    snprintf(out, len, "%s/%s", dir, name);
}

static inline long st_file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Known values: column c of row r (non-trivial doubles: thirds, tiny and negative values). */
static inline double st_value(int c, int64_t r) {
    switch (c % 4) {
    case 0: return (double)r / 3.0 + c;
    case 1: return -1e-300 * (double)(r + 1) - c;
    case 2: return exp(-(double)r / 17.0) * (c + 1);
    default: return sin((double)r * 0.37 + c) * 1e6;
    }
}

static const char *const st_extra[] = {"loss_fgd_attention", "loss_fgd_global"};

static inline ak_run_provenance st_provenance(void) {
    ak_run_provenance p = {
        .config = "model: retinanet\nstudent: r18\nteacher: r50\nlr: 0.01\nseed: 3\n",
        .git_commit = "0123456789abcdef0123456789abcdef01234567",
        .device = "cpu",
        .threads = 2,
        .seed = 0xFEDCBA9876543210ULL,
        .teacher_weights_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        .extra_losses = st_extra,
        .n_extra_losses = 2,
    };
    return p;
}

/* Append rows with iter = first .. first+n-1 (every 1), values st_value(column, iter). */
static inline void st_append_rows(ak_run *run, int64_t first, int64_t n) {
    ak_error err;
    for (int64_t it = first; it < first + n; it++) {
        double extra[2] = {st_value(7, it), st_value(8, it)};
        ak_train_row row = {it, st_value(1, it), st_value(2, it), st_value(3, it), st_value(4, it),
                            st_value(5, it), st_value(6, it), extra};
        ak_error_clear(&err);
        ck_assert_msg(ak_run_append_train(run, &row, &err) == AK_OK, "append iter %lld: %s", (long long)it, err.msg);
    }
}

/* Check rows [0, n) of an open run against st_value, bitwise. */
static inline void st_check_rows(ak_run *run, int64_t n) {
    ak_error err;
    ak_error_clear(&err);
    int64_t len;
    ck_assert_int_eq(ak_run_train_len(run, &len, &err), AK_OK);
    ck_assert_int_eq(len, n);
    int64_t *iters = malloc((size_t)(n + 1) * sizeof *iters);
    double *v = malloc((size_t)(n + 1) * sizeof *v);
    ck_assert_msg(ak_run_read_train_iters(run, 0, n, iters, &err) == AK_OK, "%s", err.msg);
    for (int64_t r = 0; r < n; r++)
        ck_assert_int_eq(iters[r], r);
    const char *cols[8] = {"lr", "loss_total", "loss_task", "loss_distill", "avatar_weight", "time_s",
                           "loss_fgd_attention", "loss_fgd_global"};
    for (int c = 0; c < 8; c++) {
        ck_assert_msg(ak_run_read_train(run, cols[c], 0, n, v, &err) == AK_OK, "%s", err.msg);
        for (int64_t r = 0; r < n; r++) {
            double want = st_value(c + 1, r);
            ck_assert_msg(memcmp(&v[r], &want, sizeof want) == 0, "%s row %lld: %.17g != %.17g", cols[c],
                          (long long)r, v[r], want);
        }
    }
    free(iters);
    free(v);
}

/* Run fn(arg) in a forked child and return its exit status (-1 if it died from a signal). The child
 * must report through its exit code (libcheck assertions do not work across this fork). */
static inline int st_in_child(int (*fn)(void *), void *arg) {
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(fn(arg));
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* In a child: limit the size of files this process writes to `bytes` (writes past it fail with
 * EFBIG instead of raising SIGXFSZ): a disk that is full at that size. */
static inline void st_limit_file_size(long bytes) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl;
    getrlimit(RLIMIT_FSIZE, &rl);
    rl.rlim_cur = (rlim_t)bytes;
    setrlimit(RLIMIT_FSIZE, &rl);
}

/* Write msg to path (the child's report to the parent). */
static inline void st_write_text(const char *path, const char *msg) {
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(msg, f);
        fclose(f);
    }
}

static inline void st_read_text(const char *path, char *out, size_t len) {
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(out, 1, len - 1, f);
    out[n] = '\0';
    fclose(f);
}

#endif
