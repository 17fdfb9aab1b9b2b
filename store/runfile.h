/* The HDF5 run file: one file per training run holding its provenance, per-iteration losses,
 * evaluations, sampled features and final weights. The full schema is in store/SCHEMA.md; in short:
 *
 *   /                    attrs format="akdbench-run/1", run_id, config, git_commit, hdf5_version,
 *                        openblas_core, openblas_config, akdbench_version, runtime, device, threads,
 *                        seed, teacher_weights_hash, status, created, updated
 *   /train/<column>      extendable 1-D, chunked: iter (int64), lr, loss_total, loss_task,
 *                        loss_distill, avatar_weight, time_s and the declared extra loss terms
 *                        (float64); attr extra_losses lists the extra terms in declared order
 *   /eval/<step>/        attr step; scalar float64 datasets (AP, ..., mIoU, ...); 1-D float64
 *                        arrays with int64 "<name>_ids" (per-class IoU, per-category AP)
 *   /teacher_eval/       the teacher's own evaluation, same layout as one /eval/<step>
 *   /features/<step>/<role>/<level>   float32 (N,C,H,W), chunk (1,C,H,W), shuffle + deflate;
 *                        role = teacher | student | avatar_<k>
 *   /checkpoint/         final weights, same layout as a checkpoint file (store/checkpoint.h)
 *
 * Life cycle (the trainer's view):
 *   ak_run_create(&run, "out/RUN.h5", &prov)   -> writes out/RUN.h5.partial, status "running"
 *   per iteration: ak_run_append_train(run, &row)   (buffered in memory, written in blocks)
 *   at evaluations / feature dumps: ak_run_write_eval, ak_run_write_features
 *   at a checkpoint: ak_run_flush(run) FIRST, then ak_ckpt_save(...) (checkpoint.h), so that every
 *       logged row up to the checkpoint's iteration is on disk before the checkpoint claims it
 *   at the end: ak_ckpt_save_run(run, ...) (final weights), then
 *       ak_run_finish(run, AK_RUN_COMPLETE) -> status "complete", renamed to out/RUN.h5
 *       (failed / interrupted runs keep the .partial name with that status, so a file under the
 *       final name is always a complete run)
 *   resume: ak_ckpt_load(...) gives iteration K; ak_run_resume(&run, "out/RUN.h5", K) reopens the
 *       .partial file and drops rows, evaluations and features after K (see
 *       ak_run_truncate_after), so the finished file holds the same values as an uninterrupted
 *       run (ak_run_compare in store/run_compare.h checks that).
 *
 * Durability: the file is flushed and fsync'd by ak_run_flush and ak_run_finish, and HDF5 writes
 * its metadata only then (the run file's metadata cache never evicts), so a kill between two
 * flushes leaves the file as of the first one (tested with kill -9). HDF5 1.10 has no journal: a
 * kill *during* a flush (milliseconds per checkpoint) can leave a damaged file, which
 * ak_run_resume detects and replaces by the copy the trainer takes at each checkpoint
 * (store/run_snapshot.h), refusing only when that is damaged too. Checkpoints are the crash-safe
 * state (separate file, atomic rename). A failed write (full disk, I/O error) returns AK_EIO naming the file and dataset; the
 * space a flush needs is reserved first, and after a failure the handle stops HDF5 from writing to
 * the file at all, so the file keeps its state of the last flush. The handle then refuses further
 * writes (AK_ESTATE) and should be closed. See SCHEMA.md ("Durability and crash behaviour").
 *
 * Related: store/run_validate.h (schema check, `akdbench h5 check`), store/run_compare.h
 * (value-by-value comparison of two runs), store/checkpoint.h, store/results_index.h.
 *
 * Threading: libhdf5 is not thread-safe; call this API from one thread only (the one that owns
 * HDF5). Data loaders hand buffers to that thread.
 *
 * Ownership: ak_run handles are opaque, created by ak_run_create / _open / _resume and freed by
 * ak_run_close / ak_run_finish (always, even when they return an error). Strings and arrays
 * returned through pointers are malloc'd and owned by the caller unless stated otherwise.
 */
#ifndef AK_STORE_RUNFILE_H
#define AK_STORE_RUNFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "store/hash.h"

#define AK_RUN_FORMAT "akdbench-run/1"
#define AK_RUN_PATH_LEN 4096
/* Step value that addresses /teacher_eval in the eval functions. */
#define AK_EVAL_TEACHER (-1)
/* Rows kept in memory before they are written (also written by flush / close). */
#define AK_RUN_ROW_BUFFER 256

typedef struct ak_run ak_run;

typedef enum ak_run_status { AK_RUN_RUNNING, AK_RUN_COMPLETE, AK_RUN_FAILED, AK_RUN_INTERRUPTED } ak_run_status;
const char *ak_run_status_name(ak_run_status s);
/* Parse "running" | "complete" | "failed" | "interrupted"; AK_EINVAL otherwise. */
int ak_run_status_parse(const char *s, ak_run_status *out);

/* The standard /train columns after "iter", in file order. */
#define AK_TRAIN_N_STD 6
extern const char *const ak_train_std_columns[AK_TRAIN_N_STD]; /* lr, loss_total, loss_task, ... */

/* The standard evaluation scalars (detection: COCO; segmentation: mmseg's). */
#define AK_EVAL_N_DET 12
#define AK_EVAL_N_SEG 3
extern const char *const ak_eval_det_metrics[AK_EVAL_N_DET]; /* AP AP50 AP75 APs APm APl AR1 ... ARl */
extern const char *const ak_eval_seg_metrics[AK_EVAL_N_SEG]; /* mIoU aAcc mAcc */

/* File names derived from the final run path P ("out/RUN.h5"): P + ".partial" while running; the
 * checkpoint is P without a trailing ".h5" + ".ckpt.h5" ("out/RUN.ckpt.h5"). AK_EINVAL if too long. */
int ak_run_partial_path(const char *final_path, char *out, size_t len, ak_error *err);
int ak_run_ckpt_path(const char *final_path, char *out, size_t len, ak_error *err);
/* Remove what an attempt at the run left beside P: its checkpoint (and a checkpoint being written)
 * and the run file snapshot. ak_run_create and a completing ak_run_finish call it; a kill between
 * publishing P and this leaves them behind, and the trainer calls it again when it finds P complete.
 * Absent files are fine; AK_EIO naming the file that cannot be removed. */
int ak_run_remove_leftovers(const char *final_path, ak_error *err);

/* ---- writing ---- */

typedef struct ak_run_provenance {
    const char *config;               /* fully resolved config, YAML text; required, non-empty */
    const char *git_commit;           /* NULL -> "unknown" */
    const char *device;               /* e.g. "cpu"; NULL -> "cpu" */
    int threads;                      /* <= 0 -> the current OpenMP thread count */
    uint64_t seed;
    const char *teacher_weights_hash; /* SHA-256 hex of the teacher weights; NULL -> "" (trained) */
    const char *const *extra_losses;  /* names of extra per-iteration loss terms (may be NULL) */
    int n_extra_losses;
} ak_run_provenance;

/* Start a new run: creates final_path + ".partial" (replacing a stale one) with every /train
 * dataset, writes the provenance (run_id = ak_run_id_of_config(config); library versions, runtime
 * and timestamps are filled in here), status "running". Stale checkpoint files of this run path
 * are deleted (they belong to the replaced run). Errors: AK_EINVAL (missing config, bad or
 * duplicate extra loss names, final_path already exists), AK_EIO (cannot create / write). */
int ak_run_create(ak_run **out, const char *final_path, const ak_run_provenance *prov, ak_error *err);

/* One logged iteration. `iter` must be larger than every iter logged before (AK_EINVAL). */
typedef struct ak_train_row {
    int64_t iter;
    double lr, loss_total, loss_task, loss_distill, avatar_weight, time_s;
    const double *extra; /* n_extra_losses values in declared order; may be NULL if there are none */
} ak_train_row;
int ak_run_append_train(ak_run *run, const ak_train_row *row, ak_error *err);

/* Evaluation results at `step` (AK_EVAL_TEACHER: the teacher's own evaluation). Each scalar is a
 * float64 scalar dataset; each array a 1-D float64 dataset, plus "<name>_ids" (int64) when ids is
 * given. Names must be unique, non-empty, without '/' and not end in "_ids" (reserved for the id
 * companions). Use the standard names (ak_eval_det_metrics / ak_eval_seg_metrics): a group with
 * "AP" must have all twelve, one with "mIoU" all three, or validation fails. A step written
 * before is AK_EINVAL. */
typedef struct ak_metric {
    const char *name;
    double value;
} ak_metric;
typedef struct ak_metric_array {
    const char *name;
    const double *values; /* (n) */
    const int64_t *ids;   /* (n) class / category ids, or NULL */
    int64_t n;
} ak_metric_array;
int ak_run_write_eval(ak_run *run, int64_t step, const ak_metric *scalars, int n_scalars,
                      const ak_metric_array *arrays, int n_arrays, ak_error *err);

/* Sampled feature maps: data (N,C,H,W) float32 at /features/<step>/<role>/<level>, one chunk per
 * sample, shuffle + deflate(4). role: "teacher", "student" or "avatar_<k>"; level: a name without
 * '/' (e.g. "p3"). Writing the same (step, role, level) twice is AK_EINVAL. */
int ak_run_write_features(ak_run *run, int64_t step, const char *role, const char *level,
                          const int64_t shape[4], const float *data, ak_error *err);

/* Write buffered rows, refresh the "updated" attribute, H5Fflush and fsync the file. */
int ak_run_flush(ak_run *run, ak_error *err);
/* Set the status attribute (and "updated"); does not flush. */
int ak_run_set_status(ak_run *run, ak_run_status status, ak_error *err);
/* Set the status, flush, close and free the handle; AK_RUN_COMPLETE also renames the .partial file
 * to the final path (durably), then removes the run's checkpoint and snapshot
 * (ak_run_remove_leftovers). On error the handle is freed all the same. */
int ak_run_finish(ak_run *run, ak_run_status status, ak_error *err);
/* Write buffered rows (if writable) and close; frees the handle even on error. NULL is a no-op. */
int ak_run_close(ak_run *run, ak_error *err);

/* ---- reopening ---- */

typedef enum ak_run_mode { AK_RUN_READ, AK_RUN_APPEND } ak_run_mode;
/* Open an existing run file (either name). The format attribute must be AK_RUN_FORMAT
 * (AK_EVERSION otherwise) and /train must hold the declared columns (AK_EFORMAT). A missing file is
 * AK_EIO; a file that is not HDF5 or is truncated is AK_EFORMAT. */
int ak_run_open(ak_run **out, const char *path, ak_run_mode mode, ak_error *err);
/* Reopen final_path + ".partial" for appending after a checkpoint at `iteration`: validates the
 * file (in a child process; a damaged file is replaced by its last good copy, store/run_snapshot.h,
 * or refused with the reason), truncates everything logged
 * after `iteration` (ak_run_truncate_after), sets status "running" and flushes. The caller checks
 * that the checkpoint's run_id (ak_ckpt_meta) equals the run file's (ak_run_read_info). */
int ak_run_resume(ak_run **out, const char *final_path, int64_t iteration, ak_error *err);
/* Drop train rows with iter > iteration (H5Dset_extent; columns of unequal length left by a
 * failed write are cut to the shortest), /eval and /features steps > iteration, and /checkpoint
 * (final weights) if present. Space of deleted groups is not reclaimed (HDF5 does not). */
int ak_run_truncate_after(ak_run *run, int64_t iteration, ak_error *err);

/* ---- reading ---- */

typedef struct ak_run_info {
    char *format, *run_id, *config, *git_commit, *hdf5_version, *openblas_core, *openblas_config,
        *akdbench_version, *runtime, *device, *teacher_weights_hash, *status, *created, *updated;
    int64_t threads;
    uint64_t seed;
    char **extra_losses; /* declared extra loss terms */
    int n_extra_losses;
} ak_run_info;
int ak_run_read_info(ak_run *run, ak_run_info *info, ak_error *err);
void ak_run_info_free(ak_run_info *info);

/* The path of the open file (the .partial name while running). Owned by the handle. */
const char *ak_run_path(const ak_run *run);

/* Number of logged rows (buffered rows included). */
int ak_run_train_len(ak_run *run, int64_t *n, ak_error *err);
/* Rows [start, start+count) of "iter", or of a float64 column (a standard name or an extra term;
 * AK_EINVAL for an unknown column). */
int ak_run_read_train_iters(ak_run *run, int64_t start, int64_t count, int64_t *out, ak_error *err);
int ak_run_read_train(ak_run *run, const char *column, int64_t start, int64_t count, double *out,
                      ak_error *err);

/* Evaluated steps, ascending (teacher evaluation excluded). */
int ak_run_eval_steps(ak_run *run, int64_t **steps, int *n, ak_error *err);
bool ak_run_has_eval(ak_run *run, int64_t step);
/* Names of the scalar metrics at step (name order) and of the arrays ("_ids" companions excluded). */
int ak_run_eval_names(ak_run *run, int64_t step, char ***scalars, int *n_scalars, char ***arrays, int *n_arrays,
                      ak_error *err);
void ak_run_names_free(char **names, int n);
int ak_run_read_eval(ak_run *run, int64_t step, const char *name, double *value, ak_error *err);
/* values (n) and ids (n, or NULL when the array has no ids) malloc'd. */
int ak_run_read_eval_array(ak_run *run, int64_t step, const char *name, double **values, int64_t **ids,
                           int64_t *n, ak_error *err);

/* Steps with stored features, ascending; the roles at a step and the levels of a role (name order). */
int ak_run_feature_steps(ak_run *run, int64_t **steps, int *n, ak_error *err);
int ak_run_feature_roles(ak_run *run, int64_t step, char ***roles, int *n, ak_error *err);
int ak_run_feature_levels(ak_run *run, int64_t step, const char *role, char ***levels, int *n, ak_error *err);
/* data (N*C*H*W floats) malloc'd; shape filled. */
int ak_run_read_features(ak_run *run, int64_t step, const char *role, const char *level, int64_t shape[4],
                         float **data, ak_error *err);

/* ISO 8601 UTC timestamp of now, "2024-05-01T12:00:00Z". */
void ak_run_timestamp(char buf[32]);

#endif
