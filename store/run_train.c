/* The per-iteration log /train: one extendable 1-D dataset per column ("iter" int64, the standard
 * float64 columns, then the declared extra loss terms), all created when the run file is created
 * (SWMR-style readers need every dataset to exist before writing starts). Rows are buffered in
 * memory and written AK_RUN_ROW_BUFFER at a time (and on flush / close), which keeps HDF5 calls out
 * of the per-iteration path. */
#include "store/run_internal.h"

#include <stdlib.h>
#include <string.h>

#include "store/h5util.h"

void ak_run__train_free(ak_run *run) {
    if (run->cols)
        for (int c = 0; c < run->n_cols; c++)
            ak_h5_close(&run->cols[c]);
    free(run->cols);
    ak_h5_strs_free(run->col_names, run->n_cols);
    free(run->buf_vals);
    run->cols = NULL;
    run->col_names = NULL;
    run->buf_vals = NULL;
    run->n_cols = 0;
}

/* Column names and buffers for the given extra terms. */
static int alloc_columns(ak_run *run, const char *const *extra, int n_extra, ak_error *err) {
    run->n_cols = 1 + AK_TRAIN_N_STD + n_extra;
    run->col_names = calloc((size_t)run->n_cols, sizeof *run->col_names);
    run->cols = malloc((size_t)run->n_cols * sizeof *run->cols);
    run->buf_vals = malloc((size_t)(run->n_cols - 1) * AK_RUN_ROW_BUFFER * sizeof *run->buf_vals);
    if (!run->col_names || !run->cols || !run->buf_vals) {
        ak_run__train_free(run);
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", run->path);
    }
    for (int c = 0; c < run->n_cols; c++) {
        run->cols[c] = H5I_INVALID_HID;
        const char *name = c == 0 ? "iter" : c <= AK_TRAIN_N_STD ? ak_train_std_columns[c - 1]
                                                                  : extra[c - 1 - AK_TRAIN_N_STD];
        if (!(run->col_names[c] = strdup(name))) {
            ak_run__train_free(run);
            return ak_error_set(err, AK_ENOMEM, "%s: out of memory", run->path);
        }
    }
    return AK_OK;
}

static ak_h5_dtype col_type(int c) { return c == 0 ? AK_H5_I64 : AK_H5_F64; }

int ak_run__train_create(ak_run *run, const char *const *extra, int n_extra, ak_error *err) {
    AK_TRY(alloc_columns(run, extra, n_extra, err));
    hid_t g;
    AK_TRY(ak_h5_group(run->file, "train", true, &g, run->path, err));
    int rc = ak_h5_attr_put_strs(g, "extra_losses", extra, n_extra, run->path, err);
    const int64_t zero = 0, chunk = AK_RUN_TRAIN_CHUNK;
    const ak_h5_layout layout = {.chunk = &chunk, .extendable = true, .deflate = -1};
    for (int c = 0; rc == AK_OK && c < run->n_cols; c++) {
        rc = ak_h5_write(g, run->col_names[c], col_type(c), 1, &zero, NULL, &layout, run->path, err);
        if (rc == AK_OK && (run->cols[c] = H5Dopen2(g, run->col_names[c], H5P_DEFAULT)) < 0)
            rc = ak_h5_fail(err, AK_EIO, "%s: /train/%s: cannot open", run->path, run->col_names[c]);
    }
    ak_h5_close(&g);
    return rc;
}

int ak_run__train_open(ak_run *run, ak_error *err) {
    hid_t g;
    AK_TRY(ak_h5_group(run->file, "train", false, &g, run->path, err));
    char **extra = NULL;
    int n_extra = 0;
    int rc = ak_h5_attr_get_strs(g, "extra_losses", &extra, &n_extra, run->path, err);
    if (rc == AK_OK)
        rc = alloc_columns(run, (const char *const *)extra, n_extra, err);
    ak_h5_strs_free(extra, n_extra);
    int64_t min_len = INT64_MAX;
    for (int c = 0; rc == AK_OK && c < run->n_cols; c++) {
        int nd;
        int64_t shape[AK_H5_MAX_DIMS];
        rc = ak_h5_shape(g, run->col_names[c], col_type(c), &nd, shape, run->path, err);
        if (rc == AK_OK && nd != 1)
            rc = ak_error_set(err, AK_EFORMAT, "%s: /train/%s: %d dimensions, expected 1", run->path,
                              run->col_names[c], nd);
        if (rc == AK_OK && (run->cols[c] = H5Dopen2(g, run->col_names[c], H5P_DEFAULT)) < 0)
            rc = ak_h5_fail(err, AK_EFORMAT, "%s: /train/%s: cannot open", run->path, run->col_names[c]);
        if (rc == AK_OK && shape[0] < min_len)
            min_len = shape[0];
    }
    ak_h5_close(&g);
    if (rc != AK_OK)
        return rc;
    /* Columns of unequal length (a write failed midway) are usable up to the shortest; appending
     * cuts them to it first. */
    run->rows_on_disk = run->rows_at_flush = min_len;
    if (min_len > 0)
        rc = ak_h5_read_rows(run->cols[0], AK_H5_I64, min_len - 1, 1, &run->last_iter, run->path, err);
    return rc;
}

/* Cut every column to rows_on_disk if a failed write left them ragged. */
static int make_even(ak_run *run, ak_error *err) {
    for (int c = 0; c < run->n_cols; c++) {
        int64_t len;
        AK_TRY(ak_h5_len(run->cols[c], &len, run->path, err));
        if (len != run->rows_on_disk)
            AK_TRY(ak_h5_resize_1d(run->cols[c], run->rows_on_disk, run->path, err));
    }
    return AK_OK;
}

int ak_run__train_write_buffer(ak_run *run, ak_error *err) {
    if (run->buf_n == 0)
        return AK_OK;
    if (make_even(run, err) != AK_OK)
        return ak_run__broke(run, err);
    for (int c = 0; c < run->n_cols; c++) {
        const void *src = c == 0 ? (const void *)run->buf_iter
                                 : (const void *)(run->buf_vals + (size_t)(c - 1) * AK_RUN_ROW_BUFFER);
        if (ak_h5_append_1d(run->cols[c], col_type(c), src, run->buf_n, NULL, run->path, err) != AK_OK)
            return ak_run__broke(run, err);
    }
    run->rows_on_disk += run->buf_n;
    run->buf_n = 0;
    return AK_OK;
}

int ak_run_append_train(ak_run *run, const ak_train_row *row, ak_error *err) {
    AK_TRY(ak_run__check_writable(run, err));
    int n_extra = run->n_cols - 1 - AK_TRAIN_N_STD;
    if (n_extra > 0 && !row->extra)
        return ak_error_set(err, AK_EINVAL, "%s: /train: row at iter %lld lacks the %d extra loss values", run->path,
                            (long long)row->iter, n_extra);
    if (run->last_iter != INT64_MIN && row->iter <= run->last_iter)
        return ak_error_set(err, AK_EINVAL,
                            "%s: /train/iter: row at iter %lld after iter %lld (iterations must increase; "
                            "truncate after a resume)",
                            run->path, (long long)row->iter, (long long)run->last_iter);
    const double std[AK_TRAIN_N_STD] = {row->lr,           row->loss_total,    row->loss_task,
                                        row->loss_distill, row->avatar_weight, row->time_s};
    int r = run->buf_n;
    run->buf_iter[r] = row->iter;
    for (int c = 0; c < AK_TRAIN_N_STD; c++)
        run->buf_vals[(size_t)c * AK_RUN_ROW_BUFFER + r] = std[c];
    for (int e = 0; e < n_extra; e++)
        run->buf_vals[(size_t)(AK_TRAIN_N_STD + e) * AK_RUN_ROW_BUFFER + r] = row->extra[e];
    run->buf_n++;
    run->last_iter = row->iter;
    if (run->buf_n == AK_RUN_ROW_BUFFER)
        return ak_run__train_write_buffer(run, err);
    return AK_OK;
}

int ak_run__train_truncate(ak_run *run, int64_t iteration, ak_error *err) {
    AK_TRY(ak_run__train_write_buffer(run, err));
    int64_t n = run->rows_on_disk;
    int64_t *iters = malloc((size_t)(n > 0 ? n : 1) * sizeof *iters);
    if (!iters)
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", run->path);
    int rc = ak_h5_read_rows(run->cols[0], AK_H5_I64, 0, n, iters, run->path, err);
    int64_t keep = 0;
    while (rc == AK_OK && keep < n && iters[keep] <= iteration) {
        if (keep > 0 && iters[keep] <= iters[keep - 1])
            rc = ak_error_set(err, AK_EFORMAT, "%s: /train/iter: not increasing at row %lld (%lld after %lld)",
                              run->path, (long long)keep, (long long)iters[keep], (long long)iters[keep - 1]);
        else
            keep++;
    }
    if (rc == AK_OK) {
        run->rows_on_disk = keep;
        if (run->rows_at_flush > keep)
            run->rows_at_flush = keep;
        run->last_iter = keep > 0 ? iters[keep - 1] : INT64_MIN;
        rc = make_even(run, err);
    }
    free(iters);
    return rc;
}

/* Reads see buffered rows too: write them out first. */
static int sync_for_read(ak_run *run, ak_error *err) {
    if (run->buf_n > 0 && run->writable && !run->broken)
        return ak_run__train_write_buffer(run, err);
    return AK_OK;
}

int ak_run_train_len(ak_run *run, int64_t *n, ak_error *err) {
    *n = run->rows_on_disk + run->buf_n;
    (void)err;
    return AK_OK;
}

static int read_col(ak_run *run, int c, int64_t start, int64_t count, void *out, ak_error *err) {
    AK_TRY(sync_for_read(run, err));
    if (start < 0 || count < 0 || start + count > run->rows_on_disk)
        return ak_error_set(err, AK_ERANGE, "%s: /train/%s: rows [%lld, %lld) outside [0, %lld)", run->path,
                            run->col_names[c], (long long)start, (long long)(start + count),
                            (long long)run->rows_on_disk);
    return ak_h5_read_rows(run->cols[c], col_type(c), start, count, out, run->path, err);
}

int ak_run_read_train_iters(ak_run *run, int64_t start, int64_t count, int64_t *out, ak_error *err) {
    return read_col(run, 0, start, count, out, err);
}

int ak_run_read_train(ak_run *run, const char *column, int64_t start, int64_t count, double *out, ak_error *err) {
    for (int c = 1; c < run->n_cols; c++)
        if (strcmp(run->col_names[c], column) == 0)
            return read_col(run, c, start, count, out, err);
    return ak_error_set(err, AK_EINVAL, "%s: /train has no float column '%s'", run->path, column);
}
