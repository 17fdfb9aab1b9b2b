/* One training run from a config to a complete HDF5 run file: data, student (and frozen teacher when
 * distilling), optimizer and schedule, the training loop with per-iteration logging, periodic
 * evaluation and crash-safe checkpoints, resumption, and the final evaluation.
 *
 * Run file: opts->run_path, or "<output.dir>/<run_id>.h5" (run_id = hash of the resolved config).
 * Written as "<path>.partial" until complete; checkpoints go to the store's checkpoint path. With
 * opts->resume and a checkpoint present the run continues from it and the result is bitwise the
 * one of an uninterrupted run (same seed, same thread count).
 * Interruption: when *opts->stop becomes non-zero (SIGINT) or after opts->stop_after iterations, the
 * trainer checkpoints, marks the run "interrupted" and returns AK_OK with result->complete = false.
 * A non-finite loss term stops the run with AK_ENAN naming the term and iteration, after saving a
 * checkpoint; the run is marked "failed".
 */
#ifndef AK_TRAINER_H
#define AK_TRAINER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "store/runfile.h"

typedef struct ak_train_opts {
    const char *config_path;
    const char *const *sets; /* "key=value" overrides */
    int n_sets;
    const char *run_path;    /* NULL: <output.dir>/<run_id>.h5 */
    bool resume;             /* continue from the run's checkpoint when there is one */
    bool progress;           /* live progress line on stderr */
    volatile sig_atomic_t *stop;
    int64_t stop_after;      /* > 0: stop as if interrupted after this many iterations (tests) */
} ak_train_opts;

typedef struct ak_train_result {
    char run_path[4096];
    char run_id[AK_RUN_ID_LEN];
    bool complete;
    int64_t iterations;      /* completed iterations */
    double metric;           /* final mIoU (seg) / AP (det); NaN when not evaluated */
    bool skipped;            /* the run file already existed complete: nothing was done */
} ak_train_result;

int ak_train(const ak_train_opts *opts, ak_train_result *result, ak_error *err);

#endif
