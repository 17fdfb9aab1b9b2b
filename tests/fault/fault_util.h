/* Helpers of the fault tests (ctest label `fault`): run the real `akdbench` binary in a child
 * process (fork + exec, output to a log file), wait for it with a deadline, kill it, read its log,
 * and a scratch folder per test process under the build folder.
 *
 * Children inherit the environment: the tests set AKD_DATA_DIR to the scratch folder so that the
 * synthetic datasets are generated there once and shared by every run of a test.
 * Test code only (libcheck assertions on failure).
 */
#ifndef AK_FAULT_UTIL_H
#define AK_FAULT_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "akscratch.h"
#include "aktest.h"

#define FAULT_AKDBENCH AK_BUILD_DIR "/akdbench"
#define FAULT_MAX_ARGS 32

typedef struct fault_child_opts {
    const char *log;    /* stdout + stderr go here (truncated first) */
    rlim_t fsize_limit; /* > 0: RLIMIT_FSIZE in the child (writes past it fail with EFBIG) */
    bool ignore_xfsz;   /* SIGXFSZ ignored in the child (implied by fsize_limit > 0), so that a file
                         * size limit set later (prlimit) also makes writes fail instead of killing */
} fault_child_opts;

static inline double fault_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static inline void fault_sleep(double s) {
    struct timespec t = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&t, NULL);
}

/* Start `akdbench args...` (args NULL-terminated, without the program name). */
static inline pid_t fault_spawn(const char *const *args, const fault_child_opts *o) {
    const char *argv[FAULT_MAX_ARGS + 2];
    int n = 0;
    argv[n++] = FAULT_AKDBENCH;
    for (; args[n - 1] && n <= FAULT_MAX_ARGS; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(o && o->log ? o->log : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        if (o && o->fsize_limit > 0) {
            struct rlimit rl = {o->fsize_limit, o->fsize_limit};
            setrlimit(RLIMIT_FSIZE, &rl);
        }
        if (o && (o->fsize_limit > 0 || o->ignore_xfsz))
            signal(SIGXFSZ, SIG_IGN);
        execv(FAULT_AKDBENCH, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Wait for pid; returns the exit status, or 128 + signal when killed by one. Fails the test after
 * timeout_s seconds (and kills the child). */
static inline int fault_wait(pid_t pid, double timeout_s) {
    double t0 = fault_now();
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        ck_assert_msg(r == 0, "waitpid: %s", strerror(errno));
        if (fault_now() - t0 > timeout_s) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            ck_abort_msg("akdbench (pid %d) still running after %.0f s", (int)pid, timeout_s);
        }
        fault_sleep(0.002);
    }
}

/* Run to completion; returns the exit status. */
static inline int fault_run(const char *const *args, const fault_child_opts *o, double timeout_s) {
    return fault_wait(fault_spawn(args, o), timeout_s);
}

/* The whole log (malloc'd, NUL-terminated; "" when absent). */
static inline char *fault_slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    char *s = NULL;
    size_t n = 0, cap = 0;
    if (f) {
        for (;;) {
            if (cap - n < 4096) {
                cap = cap ? 2 * cap : 8192;
                s = realloc(s, cap);
                ck_assert_ptr_nonnull(s);
            }
            size_t got = fread(s + n, 1, cap - n - 1, f);
            n += got;
            if (got == 0)
                break;
        }
        fclose(f);
    }
    if (!s) {
        s = malloc(1);
        ck_assert_ptr_nonnull(s);
    }
    s[n] = '\0';
    return s;
}

static inline bool fault_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* A fresh scratch folder AK_BUILD_DIR/fault-<name>-<pid>, made the working directory and
 * AKD_DATA_DIR. `dir` receives its path. */
static inline void fault_workdir(char *dir, size_t len, const char *name) {
    char tag[256];
    snprintf(tag, sizeof tag, "fault-%s", name);
    ak_scratch_enter(dir, len, tag);
}

static inline void fault_workdir_remove(const char *dir) { ak_scratch_leave(dir); }

/* The tiny segmentation config of the harness tests (12 iterations, checkpoints every 4). */
static inline const char *fault_tiny_config(void) { return AK_SOURCE_DIR "/tests/fixtures/harness/tiny_seg.yaml"; }

/* xorshift64*: the seeded delays of the kill tests (seed printed, AK_FAULT_SEED overrides). */
static inline uint64_t fault_rand(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

#endif
