/* Schema validation of a run file (`akdbench h5 check`): opens the file read-only, checks every
 * group, attribute and dataset that store/SCHEMA.md defines (presence, dtype, rank, consistency
 * such as equal column lengths, increasing iterations, run_id = hash of the config, metric sets
 * complete) and reads every data element once, so a truncated or corrupted file is caught.
 *
 * Errors: the first problem found, with a message naming the file and the object path:
 * AK_EIO (missing file), AK_EFORMAT (not HDF5 / truncated / a schema violation / unreadable data),
 * AK_EVERSION (format attribute is not "akdbench-run/1").
 * Threading: HDF5 is not thread-safe; call from the thread that owns HDF5.
 */
#ifndef AK_STORE_RUN_VALIDATE_H
#define AK_STORE_RUN_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "store/runfile.h"

typedef struct ak_run_summary {
    char run_id[AK_RUN_ID_LEN];
    char status[16];
    int n_extra_losses;
    int64_t rows;                  /* /train rows */
    int64_t first_iter, last_iter; /* -1 when there are no rows */
    int n_eval_steps;
    int64_t last_eval_step; /* -1 when none */
    bool has_teacher_eval;
    int n_feature_steps;
    int n_feature_maps; /* datasets under /features */
    int64_t feature_bytes; /* uncompressed */
    bool has_checkpoint; /* /checkpoint (final weights) present */
    int n_checkpoint_params;
} ak_run_summary;

/* summary may be NULL. */
int ak_run_validate(const char *path, ak_run_summary *summary, ak_error *err);

#endif
