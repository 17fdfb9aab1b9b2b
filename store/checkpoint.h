/* Checkpoints: everything needed to resume a run bitwise, in HDF5.
 *
 * Contents: every entry of an ak_params registry (trainable parameters AND buffers, float32, shape
 * of the tensor) plus caller-defined extra arrays (optimizer state, RNG / data-loader position,
 * schedule counters), each float32, float64 or int64, in named groups. Layout (SCHEMA.md):
 *
 *   /                 attrs format="akdbench-ckpt/1", run_id, iteration (int64), created
 *   /params/<name>    float32, the tensor's shape; attr kind = "param" | "buffer"
 *   /<group>/<name>   the extra arrays ("optimizer", "rng", "loader", ...)
 *
 * Names are dotted parameter names used as HDF5 link names as they are; '/' and '%' are
 * percent-escaped (ak_h5_escape_name), so any name round-trips.
 *
 * Crash safety (ak_ckpt_save): the checkpoint is written to PATH.tmp, closed, fsync'd, renamed over
 * PATH, and the directory fsync'd. A kill -9 or power loss at any moment leaves either the previous
 * checkpoint or the new one under PATH, never a partial file; loading never looks at PATH.tmp, and
 * the next save overwrites it. A failed save (full disk) returns AK_EIO and removes PATH.tmp.
 * The trainer must flush the run file (ak_run_flush) BEFORE saving a checkpoint, so the run file
 * holds every row the checkpoint's iteration claims.
 *
 * Loading is strict: the stored set of names must equal the requested set. Missing, unexpected and
 * mis-shaped (or wrongly typed) names are all listed in one error message (AK_EFORMAT when a name
 * is missing or unexpected, else AK_ESHAPE), and nothing is copied in that case. A format other
 * than "akdbench-ckpt/1" is AK_EVERSION.
 *
 * Tensors must be host (CPU) memory: device tensors are AK_EUNSUP (copy them to the host first).
 * Threading: HDF5 is not thread-safe; call from the thread that owns HDF5.
 */
#ifndef AK_STORE_CHECKPOINT_H
#define AK_STORE_CHECKPOINT_H

#include <stdint.h>

#include "core/error.h"
#include "core/params.h"
#include "store/runfile.h"

#define AK_CKPT_FORMAT "akdbench-ckpt/1"
#define AK_CKPT_MAX_DIMS 8

typedef enum ak_ckpt_dtype { AK_CKPT_F32, AK_CKPT_F64, AK_CKPT_I64 } ak_ckpt_dtype;

/* An extra named array. For saving, data is read; for loading, data must hold numel elements of
 * dtype and is overwritten. The caller owns data. */
typedef struct ak_ckpt_array {
    const char *group; /* a name without '/', not "params": e.g. "optimizer", "rng", "loader" */
    const char *name;  /* e.g. "exp_avg.backbone.conv1.weight" */
    ak_ckpt_dtype dtype;
    int ndim; /* 0 (scalar) .. AK_CKPT_MAX_DIMS */
    int64_t shape[AK_CKPT_MAX_DIMS];
    void *data;
} ak_ckpt_array;

typedef struct ak_ckpt_meta {
    int64_t iteration;             /* last completed iteration */
    char run_id[AK_RUN_ID_LEN];    /* the run it belongs to (ak_run_info.run_id) */
} ak_ckpt_meta;

/* Crash-safe save to path (see above). */
int ak_ckpt_save(const char *path, const ak_ckpt_meta *meta, const ak_params *params, const ak_ckpt_array *extras,
                 int n_extras, ak_error *err);
/* The same contents into the run file's /checkpoint group (final weights; replaces an existing one).
 * Not atomic by itself: the run file is published only by ak_run_finish. */
int ak_ckpt_save_run(ak_run *run, const ak_ckpt_meta *meta, const ak_params *params, const ak_ckpt_array *extras,
                     int n_extras, ak_error *err);

/* Strict load from a checkpoint file, or from a run file's /checkpoint (recognised by its format).
 * meta may be NULL. params: every entry must be stored with its shape; extras: exactly the stored
 * extra arrays. */
int ak_ckpt_load(const char *path, ak_ckpt_meta *meta, ak_params *params, ak_ckpt_array *extras, int n_extras,
                 ak_error *err);
/* Parameters only (stored extra arrays are ignored): evaluating or fine-tuning from weights. */
int ak_ckpt_load_params(const char *path, ak_ckpt_meta *meta, ak_params *params, ak_error *err);
/* Only the metadata (cheap; tells the trainer where to resume). */
int ak_ckpt_read_meta(const char *path, ak_ckpt_meta *meta, ak_error *err);

#endif
