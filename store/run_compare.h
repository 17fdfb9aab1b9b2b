/* Compare two run files value by value: the check behind "a resumed run equals an uninterrupted
 * one bitwise" and "the same config and seed reproduce the same run".
 *
 * Compared (bitwise): run_id, config, seed; every /train column except time_s (wall clock) with the
 * same rows; every evaluation (/eval steps and /teacher_eval: the same metric names, values, arrays
 * and ids); every feature map (same steps, roles, levels, shapes, values); the final weights in
 * /checkpoint (same names, dtypes, shapes, values) when either file has them. Not compared:
 * timestamps, status, git commit, library versions, device, threads (they describe the process,
 * not the result).
 *
 * *equal says whether they match; when not, diff receives the first difference, naming the object
 * and the element ("/train/loss_task row 41: 0.5 vs 0.50000001"). The return value is an error
 * only when a file cannot be read (AK_EIO / AK_EFORMAT / AK_EVERSION as in ak_run_open).
 * Threading: HDF5 is not thread-safe; call from the thread that owns HDF5.
 */
#ifndef AK_STORE_RUN_COMPARE_H
#define AK_STORE_RUN_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

int ak_run_compare(const char *path_a, const char *path_b, bool *equal, char *diff, size_t diff_len, ak_error *err);

#endif
