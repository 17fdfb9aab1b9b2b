/* The ak_run handle, shared by the store's run-file sources (runfile.c, run_train.c, run_eval.c,
 * run_features.c, checkpoint.c). Not part of the public API: include store/runfile.h instead. */
#ifndef AK_STORE_RUN_INTERNAL_H
#define AK_STORE_RUN_INTERNAL_H

#include <hdf5.h>

#include "store/runfile.h"

/* /train chunk length: 1024 rows = 8 KiB per column, small for short runs, fine for 100k rows. */
#define AK_RUN_TRAIN_CHUNK 1024

struct ak_run {
    hid_t file;
    char path[AK_RUN_PATH_LEN];       /* the open file */
    char final_path[AK_RUN_PATH_LEN]; /* published name on completion ("" if opened by name) */
    bool writable;
    bool broken; /* a write failed: the handle refuses further writes */

    /* /train: column 0 is "iter" (int64), then AK_TRAIN_N_STD standard float64 columns, then the
     * extra loss terms. Datasets stay open for the life of the handle. */
    int n_cols;
    char **col_names;
    hid_t *cols;
    int64_t rows_on_disk;  /* rows handed to HDF5 (possibly still in its chunk cache) */
    int64_t rows_at_flush; /* rows_on_disk at the last successful flush */
    int64_t last_iter; /* INT64_MIN when no row was logged */

    /* Row buffer, column-major: buf_iter[r], buf_vals[(c - 1) * AK_RUN_ROW_BUFFER + r]. */
    int buf_n;
    int64_t buf_iter[AK_RUN_ROW_BUFFER];
    double *buf_vals;
};

/* Refuse writes on a read-only or broken handle (AK_ESTATE naming the file). */
int ak_run__check_writable(ak_run *run, ak_error *err);
/* run_flush.c: mark the handle broken after a failed write (and stop HDF5 from writing to the
 * file) and return the error's code; write everything out safely (without the fsync). */
int ak_run__broke(ak_run *run, ak_error *err);
int ak_run__flush_file(ak_run *run, ak_error *err);

/* run_train.c: open / create the /train columns, write out the buffer, cut rows. */
int ak_run__train_create(ak_run *run, const char *const *extra, int n_extra, ak_error *err);
int ak_run__train_open(ak_run *run, ak_error *err);
int ak_run__train_write_buffer(ak_run *run, ak_error *err);
int ak_run__train_truncate(ak_run *run, int64_t iteration, ak_error *err);
void ak_run__train_free(ak_run *run);

/* run_eval.c / run_features.c: delete steps after `iteration`. */
int ak_run__eval_truncate(ak_run *run, int64_t iteration, ak_error *err);
int ak_run__features_truncate(ak_run *run, int64_t iteration, ak_error *err);

/* Parse a decimal step group name ("1200"); false for anything else (no sign, no leading zeros). */
bool ak_run__parse_step(const char *name, int64_t *step);
/* Sorted steps of the numeric children of group `group` (absent group: none). */
int ak_run__list_steps(ak_run *run, const char *group, int64_t **steps, int *n, ak_error *err);

#endif
