/* Kill a child at an exact system call: run `akdbench ARGS` under ptrace and SIGKILL it just before
 * the n-th matching call reaches the kernel. Two kinds of call are counted:
 *   - SK_WRITES: write, pwrite64, writev, pwritev to files whose path ends with a given suffix
 *     (".h5.partial": the run file; ".ckpt.h5.tmp": a checkpoint being written). This puts a kill -9
 *     inside a run-file flush or a checkpoint write deterministically, where a timer almost never lands.
 *   - SK_NAME_OPS: unlink, unlinkat, rename, renameat, renameat2 with a path that contains a given
 *     string (the run's file name stem): a checkpoint or snapshot published, the run file published,
 *     the leftovers cleared. A kill between two of them leaves a state a timer rarely finds.
 * A run with n = 0 only counts.
 *
 * Only the main thread is traced (libhdf5 is called from the main thread; OpenMP workers do not
 * write files). x86-64 Linux only: elsewhere sk_supported() is false and the tests skip.
 * Test code only.
 */
#ifndef AK_SYSCALL_KILL_H
#define AK_SYSCALL_KILL_H

#include "fault_util.h"

#if defined(__linux__) && defined(__x86_64__)
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#define SK_SUPPORTED 1
#else
#define SK_SUPPORTED 0
#endif

/* Exit status of a child that could not be traced. */
#define SK_NO_PTRACE 126

static inline bool sk_supported(void) { return SK_SUPPORTED; }

typedef enum sk_calls { SK_WRITES, SK_NAME_OPS } sk_calls;

typedef struct sk_result {
    int status;     /* exit status, or 128 + signal */
    long calls;     /* matching calls seen (the fatal one included) */
    bool killed;    /* killed at the n-th call */
} sk_result;

#if SK_SUPPORTED
static inline bool sk_fd_matches(pid_t pid, long fd, const char *suffix) {
    char link[64], target[4096];
    snprintf(link, sizeof link, "/proc/%d/fd/%ld", (int)pid, fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0)
        return false;
    target[n] = '\0';
    size_t ls = strlen(suffix);
    return (size_t)n >= ls && strcmp(target + n - ls, suffix) == 0;
}

/* Does the NUL-terminated path at `addr` in the child contain `part`? (read word by word) */
static inline bool sk_path_contains(pid_t pid, unsigned long long addr, const char *part) {
    char path[4096];
    size_t n = 0;
    while (n + sizeof(long) < sizeof path) {
        errno = 0;
        long word = ptrace(PTRACE_PEEKDATA, pid, (void *)(addr + n), NULL);
        if (errno != 0)
            return false;
        memcpy(path + n, &word, sizeof word);
        if (memchr(&word, 0, sizeof word))
            return strstr(path, part) != NULL;
        n += sizeof word;
    }
    return false;
}

static inline bool sk_call_matches(pid_t pid, const struct user_regs_struct *r, sk_calls kind, const char *what) {
    long nr = (long)r->orig_rax;
    if (kind == SK_WRITES)
        return (nr == SYS_write || nr == SYS_pwrite64 || nr == SYS_writev || nr == SYS_pwritev) &&
               sk_fd_matches(pid, (long)r->rdi, what);
    switch (nr) {
    case SYS_unlink:
        return sk_path_contains(pid, r->rdi, what);
    case SYS_unlinkat:
        return sk_path_contains(pid, r->rsi, what);
    case SYS_rename:
        return sk_path_contains(pid, r->rdi, what) || sk_path_contains(pid, r->rsi, what);
    case SYS_renameat:
    case SYS_renameat2:
        return sk_path_contains(pid, r->rsi, what) || sk_path_contains(pid, r->r10, what);
    default:
        return false;
    }
}
#endif

/* Run to the end, or kill before the n-th call of `kind` matching `what` (n >= 1). */
static inline sk_result sk_run(const char *const *args, const char *log, sk_calls kind, const char *what, long n,
                               double timeout_s) {
    sk_result r = {0, 0, false};
#if SK_SUPPORTED
    const char *argv[FAULT_MAX_ARGS + 2];
    int k = 0;
    argv[k++] = FAULT_AKDBENCH;
    for (; args[k - 1] && k <= FAULT_MAX_ARGS; k++)
        argv[k] = args[k - 1];
    argv[k] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        /* no re-exec by the runtime bootstrap: the traced image stays the same */
        setenv("AKD_BOOTSTRAPPED", "1", 1);
        if (!getenv("OMP_WAIT_POLICY"))
            setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
        /* ASan builds: LeakSanitizer cannot run in a traced process (it exits with status 1) */
        char asan[1024];
        const char *prev = getenv("ASAN_OPTIONS");
        snprintf(asan, sizeof asan, "%s%sdetect_leaks=0", prev ? prev : "", prev && *prev ? ":" : "");
        setenv("ASAN_OPTIONS", asan, 1);
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
            _exit(SK_NO_PTRACE);
        raise(SIGSTOP);
        execv(FAULT_AKDBENCH, (char *const *)argv);
        _exit(127);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    if (WIFEXITED(st)) { /* ptrace refused (a container's seccomp policy): the caller skips */
        r.status = WEXITSTATUS(st);
        return r;
    }
    ck_assert_msg(WIFSTOPPED(st), "child did not stop");
    ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
    double t0 = fault_now();
    bool in_call = false;
    int sig = 0;
    for (;;) {
        ck_assert_msg(fault_now() - t0 < timeout_s, "traced akdbench still running after %.0f s", timeout_s);
        ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig);
        sig = 0;
        if (waitpid(pid, &st, 0) != pid)
            continue;
        if (WIFEXITED(st)) {
            r.status = WEXITSTATUS(st);
            return r;
        }
        if (WIFSIGNALED(st)) {
            r.status = 128 + WTERMSIG(st);
            return r;
        }
        if (!WIFSTOPPED(st))
            continue;
        if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
            int s = WSTOPSIG(st);
            sig = s == SIGTRAP || s == SIGSTOP ? 0 : s; /* pass real signals on */
            continue;
        }
        in_call = !in_call;
        if (!in_call)
            continue;
        struct user_regs_struct regs;
        ptrace(PTRACE_GETREGS, pid, NULL, &regs);
        if (sk_call_matches(pid, &regs, kind, what)) {
            r.calls++;
            if (n > 0 && r.calls == n) {
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
                r.status = 128 + SIGKILL;
                r.killed = true;
                return r;
            }
        }
    }
#else
    (void)args;
    (void)log;
    (void)kind;
    (void)what;
    (void)n;
    (void)timeout_s;
    return r;
#endif
}

#endif
