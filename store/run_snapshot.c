/* Last good copies of run files; see run_snapshot.h. */
#include "store/run_snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/fsutil.h"
#include "store/run_validate.h"

int ak_run_snapshot_path(const char *final_path, char *out, size_t len, ak_error *err) {
    return ak_path_with_suffix(out, len, final_path, ".partial.good", err);
}

/* Copy from -> to.tmp, fsync, rename over to, fsync the directory; the .tmp is removed on failure. */
static int copy_durably(const char *from, const char *to, ak_error *err) {
    char tmp[AK_RUN_PATH_LEN + 16];
    AK_TRY(ak_path_with_suffix(tmp, sizeof tmp, to, ".tmp", err));
    int in = open(from, O_RDONLY);
    if (in < 0)
        return ak_error_set(err, AK_EIO, "%s: cannot open to copy it: %s", from, strerror(errno));
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) {
        int e = errno;
        close(in);
        return ak_error_set(err, AK_EIO, "%s: cannot create: %s", tmp, strerror(e));
    }
    enum { BUF = 1 << 20 };
    char *buf = malloc(BUF);
    int rc = buf ? AK_OK : ak_error_set(err, AK_ENOMEM, "%s: out of memory for the copy", to);
    while (rc == AK_OK) {
        ssize_t n = read(in, buf, BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ak_error_set(err, AK_EIO, "%s: read failed: %s", from, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        for (ssize_t done = 0; done < n && rc == AK_OK;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                rc = ak_error_set(err, AK_EIO, "%s: write failed (disk full?): %s", tmp,
                                  w < 0 ? strerror(errno) : "no progress");
            else
                done += w;
        }
    }
    free(buf);
    close(in);
    if (rc == AK_OK && fsync(out) != 0)
        rc = ak_error_set(err, AK_EIO, "%s: fsync failed: %s", tmp, strerror(errno));
    if (close(out) != 0 && rc == AK_OK)
        rc = ak_error_set(err, AK_EIO, "%s: close failed: %s", tmp, strerror(errno));
    if (rc == AK_OK)
        rc = ak_publish_file(tmp, to, err);
    if (rc != AK_OK)
        unlink(tmp);
    return rc;
}

int ak_run_snapshot(ak_run *run, ak_error *err) {
    char snap[AK_RUN_PATH_LEN + 16];
    AK_TRY(ak_path_with_suffix(snap, sizeof snap, ak_run_path(run), ".good", err));
    int rc = copy_durably(ak_run_path(run), snap, err);
    if (rc != AK_OK)
        ak_error_prefix(err, "run file snapshot %s not saved (the previous one is kept)", snap);
    return rc;
}

int ak_run_snapshot_restore(const char *final_path, ak_error *err) {
    int code = err && err->code ? err->code : AK_EFORMAT;
    char partial[AK_RUN_PATH_LEN], snap[AK_RUN_PATH_LEN + 16];
    ak_error local;
    ak_error_clear(&local);
    if (ak_run_partial_path(final_path, partial, sizeof partial, &local) != AK_OK ||
        ak_run_snapshot_path(final_path, snap, sizeof snap, &local) != AK_OK || !ak_file_exists(snap))
        return code;
    if (ak_run_validate_isolated(snap, &local) != AK_OK) {
        ak_error_prefix(err, "(its snapshot %s is damaged too: %s)", snap, local.msg);
        return code;
    }
    if (copy_durably(snap, partial, &local) != AK_OK) {
        ak_error_prefix(err, "(restoring its snapshot failed: %s)", local.msg);
        return code;
    }
    if (err)
        ak_error_clear(err);
    return AK_OK;
}

int ak_run_snapshot_remove(const char *final_path, ak_error *err) {
    char snap[AK_RUN_PATH_LEN + 16], tmp[AK_RUN_PATH_LEN + 32];
    AK_TRY(ak_run_snapshot_path(final_path, snap, sizeof snap, err));
    AK_TRY(ak_path_with_suffix(tmp, sizeof tmp, snap, ".tmp", err));
    if ((unlink(snap) != 0 && errno != ENOENT) || (unlink(tmp) != 0 && errno != ENOENT))
        return ak_error_set(err, AK_EIO, "%s: cannot remove the run file snapshot: %s", snap, strerror(errno));
    return AK_OK;
}

int ak_run_validate_isolated(const char *path, ak_error *err) {
    int fds[2];
    if (pipe(fds) != 0)
        return ak_error_set(err, AK_EIO, "%s: cannot validate (pipe: %s)", path, strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return ak_error_set(err, AK_EIO, "%s: cannot validate (fork: %s)", path, strerror(errno));
    }
    if (pid == 0) { /* the child: validate, send the error back, leave without atexit handlers */
        close(fds[0]);
        /* libhdf5 can also loop forever on a corrupt global heap (fuzzing): give up after 2 minutes
         * plus 1 s per 10 MB (validation reads every element once) */
        struct stat st;
        alarm((unsigned)(120 + (stat(path, &st) == 0 ? st.st_size / 10000000 : 0)));
        ak_error e;
        ak_error_clear(&e);
        ak_run_validate(path, NULL, &e);
        ssize_t w = write(fds[1], &e, sizeof e);
        _exit(w == (ssize_t)sizeof e ? 0 : 1);
    }
    close(fds[1]);
    ak_error got;
    size_t have = 0;
    while (have < sizeof got) {
        ssize_t n = read(fds[0], (char *)&got + have, sizeof got - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    close(fds[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(st))
        return ak_error_set(err, AK_EFORMAT, "%s: HDF5 %s reading it (signal %d): the file is damaged", path,
                            WTERMSIG(st) == SIGALRM ? "hung" : "crashed", WTERMSIG(st));
    if (have != sizeof got) /* died without an answer (a sanitizer's report ends with exit 1) */
        return ak_error_set(err, AK_EFORMAT, "%s: HDF5 failed reading it (exit status %d): the file is damaged", path,
                            WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    if (got.code == AK_OK)
        return AK_OK;
    got.msg[sizeof got.msg - 1] = '\0';
    return ak_error_set(err, got.code, "%s", got.msg);
}
