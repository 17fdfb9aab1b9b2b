/* The last good copy of a run file: what makes a run resumable after a kill inside a flush.
 *
 * HDF5 1.10 has no journal: a process killed while H5Fflush writes the run file's metadata can
 * leave it damaged (tests/fault/test_kill_resume.c kills the trainer at every kind of write and
 * finds such files). So at each checkpoint, right after the flush that precedes the checkpoint
 * (when the file on disk is complete and consistent), the trainer copies RUN.h5.partial to
 * RUN.h5.partial.good (through RUN.h5.partial.good.tmp: written, fsync'd, renamed, directory
 * fsync'd). The copy is never older than the checkpoint, which is written after it, so when
 * ak_run_resume finds the run file damaged (ak_run_validate_isolated) it restores the copy
 * (ak_run_snapshot_restore) and cuts it back to the checkpoint's iteration as usual: the resumed run
 * equals an uninterrupted one.
 *
 * Cost: one copy of the run file per checkpoint (disk space x2 for the run file while it runs);
 * ak_run_create and a completed ak_run_finish remove the copy (ak_run_remove_leftovers, store/runfile.h).
 *
 * Errors: AK_EIO naming the file (a full disk while copying: the previous copy is kept).
 * Threading: plain file I/O; call from the thread that owns the run handle.
 */
#ifndef AK_STORE_RUN_SNAPSHOT_H
#define AK_STORE_RUN_SNAPSHOT_H

#include <stddef.h>

#include "core/error.h"
#include "store/runfile.h"

/* final_path + ".partial.good". */
int ak_run_snapshot_path(const char *final_path, char *out, size_t len, ak_error *err);

/* Copy the open run file (flush it first) to its snapshot. */
int ak_run_snapshot(ak_run *run, ak_error *err);

/* Replace the damaged final_path + ".partial" by its snapshot when there is one that validates.
 * Returns AK_OK and clears err (the caller's validation error) after a restore; otherwise returns
 * err's code (AK_EFORMAT when err is NULL) with err unchanged apart from a note when the snapshot
 * itself is damaged. */
int ak_run_snapshot_restore(const char *final_path, ak_error *err);

/* Delete the snapshot and its temporary (absent is fine). */
int ak_run_snapshot_remove(const char *final_path, ak_error *err);

/* ak_run_validate(path, NULL, err) in a forked child process: libhdf5 1.10 itself can crash or
 * loop forever on a damaged file (fuzzing: SIGSEGV and endless loops reading variable-length
 * strings from a corrupt global heap), and a run damaged by a kill is exactly such a file. A crash
 * of the child, or no answer within 120 s + 1 s per 10 MB, is AK_EFORMAT ("PATH: HDF5 crashed /
 * hung reading it (signal N): the file is damaged"); otherwise the child's status and message are
 * returned. The child runs only the validator and leaves with _exit. */
int ak_run_validate_isolated(const char *path, ak_error *err);

#endif
