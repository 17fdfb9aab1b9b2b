/* A sweep's results.h5: one row per run (run id, run file path, status) and its final metrics, as
 * parallel arrays (simple for h5py / h5dump / pandas, unlike compound types with strings):
 *
 *   /                  attrs format="akdbench-results/1", updated (ISO 8601 UTC)
 *   /run_id, /path, /status        1-D variable-length UTF-8 strings, (n_runs)
 *   /metrics/<name>                1-D float64 (n_runs); NaN where the run has no such metric
 *
 * Updates are atomic: the whole index is rewritten to PATH.tmp, fsync'd and renamed over PATH, so a
 * reader or a crash sees the old or the new index, never a mix. ak_results_upsert serialises
 * concurrent writers (sweep worker processes) with a POSIX record lock on PATH.lock (a small file
 * left next to the index).
 *
 * Errors: AK_EIO (missing file, failed write / rename / lock), AK_EFORMAT (malformed index, naming
 * the dataset), AK_EVERSION (other format), AK_EINVAL (bad rows).
 * Threading: HDF5 is not thread-safe; call from the thread that owns HDF5.
 * Ownership: ak_results owns all its strings and arrays until ak_results_free.
 */
#ifndef AK_STORE_RESULTS_INDEX_H
#define AK_STORE_RESULTS_INDEX_H

#include <stdint.h>

#include "core/error.h"

#define AK_RESULTS_FORMAT "akdbench-results/1"

typedef struct ak_results {
    int n_runs;
    char **run_id, **path, **status; /* (n_runs) each */
    int n_metrics;
    char **metric_names; /* (n_metrics), name order */
    double *values;      /* (n_metrics, n_runs): values[m * n_runs + r], NaN = absent */
} ak_results;

/* One run's row for an update. */
typedef struct ak_results_row {
    const char *run_id, *path, *status;
    const char *const *metric_names; /* (n_metrics) */
    const double *metric_values;     /* (n_metrics) */
    int n_metrics;
} ak_results_row;

void ak_results_init(ak_results *r);
void ak_results_free(ak_results *r);
/* Read an index (out is initialised here). */
int ak_results_read(const char *path, ak_results *out, ak_error *err);
/* Write atomically (PATH.tmp + fsync + rename). */
int ak_results_write(const char *path, const ak_results *r, ak_error *err);
/* In memory: replace the row with the same run_id, or append one; metrics the row lacks become NaN
 * for it, new metric names become columns (NaN for the other runs). */
int ak_results_set(ak_results *r, const ak_results_row *row, ak_error *err);
/* Locked read-modify-write of the index at path (created when absent). */
int ak_results_upsert(const char *path, const ak_results_row *row, ak_error *err);
/* Upsert the row of one run file: its run_id, status, and the scalar metrics of its last
 * evaluation step (run_path is stored as given). */
int ak_results_index_run(const char *results_path, const char *run_path, ak_error *err);

/* Row of run_id, or -1. */
int ak_results_find(const ak_results *r, const char *run_id);
/* Value of metric for row `run`, NaN when absent. */
double ak_results_get(const ak_results *r, int run, const char *metric);

#endif
