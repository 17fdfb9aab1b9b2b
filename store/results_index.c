/* The sweep index results.h5; see results_index.h. The index is small (one row per run), so every
 * update reads it whole, changes it in memory and rewrites it atomically. */
#include "store/results_index.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/fsutil.h"
#include "store/h5util.h"
#include "store/runfile.h"

void ak_results_init(ak_results *r) { memset(r, 0, sizeof *r); }

void ak_results_free(ak_results *r) {
    ak_h5_strs_free(r->run_id, r->n_runs);
    ak_h5_strs_free(r->path, r->n_runs);
    ak_h5_strs_free(r->status, r->n_runs);
    ak_h5_strs_free(r->metric_names, r->n_metrics);
    free(r->values);
    memset(r, 0, sizeof *r);
}

int ak_results_find(const ak_results *r, const char *run_id) {
    for (int i = 0; i < r->n_runs; i++)
        if (strcmp(r->run_id[i], run_id) == 0)
            return i;
    return -1;
}

static int metric_index(const ak_results *r, const char *name) {
    for (int m = 0; m < r->n_metrics; m++)
        if (strcmp(r->metric_names[m], name) == 0)
            return m;
    return -1;
}

double ak_results_get(const ak_results *r, int run, const char *metric) {
    int m = metric_index(r, metric);
    if (m < 0 || run < 0 || run >= r->n_runs)
        return NAN;
    return r->values[(size_t)m * (size_t)r->n_runs + (size_t)run];
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int check_row(const ak_results_row *row, ak_error *err) {
    if (!row->run_id || !row->run_id[0] || !row->path || !row->status)
        return ak_error_set(err, AK_EINVAL, "results row: run_id, path and status are required");
    if (row->n_metrics < 0 || (row->n_metrics > 0 && (!row->metric_names || !row->metric_values)))
        return ak_error_set(err, AK_EINVAL, "results row %s: metrics missing", row->run_id);
    for (int i = 0; i < row->n_metrics; i++) {
        const char *n = row->metric_names[i];
        if (!n || !n[0] || strchr(n, '/') || strcmp(n, ".") == 0)
            return ak_error_set(err, AK_EINVAL, "results row %s: metric name '%s' is empty or contains '/'",
                                row->run_id, n ? n : "(null)");
        for (int j = 0; j < i; j++)
            if (strcmp(n, row->metric_names[j]) == 0)
                return ak_error_set(err, AK_EINVAL, "results row %s: metric '%s' given twice", row->run_id, n);
    }
    return AK_OK;
}

int ak_results_set(ak_results *r, const ak_results_row *row, ak_error *err) {
    AK_TRY(check_row(row, err));
    int run = ak_results_find(r, row->run_id);
    int n_runs = run >= 0 ? r->n_runs : r->n_runs + 1;
    /* The union of metric names, sorted. */
    char **names = calloc((size_t)(r->n_metrics + row->n_metrics + 1), sizeof *names);
    if (!names)
        return ak_error_set(err, AK_ENOMEM, "results: out of memory");
    int nm = 0;
    for (int m = 0; m < r->n_metrics; m++)
        names[nm++] = r->metric_names[m];
    for (int i = 0; i < row->n_metrics; i++)
        if (metric_index(r, row->metric_names[i]) < 0)
            names[nm++] = (char *)row->metric_names[i];
    qsort(names, (size_t)nm, sizeof *names, cmp_str);
    double *values = malloc((size_t)(nm > 0 ? nm : 1) * (size_t)n_runs * sizeof *values);
    char **owned = calloc((size_t)nm + 1, sizeof *owned);
    char *id = strdup(row->run_id), *path = strdup(row->path), *status = strdup(row->status);
    char **run_ids = n_runs > r->n_runs ? realloc(r->run_id, (size_t)n_runs * sizeof *run_ids) : r->run_id;
    if (run_ids)
        r->run_id = run_ids;
    char **paths = n_runs > r->n_runs ? realloc(r->path, (size_t)n_runs * sizeof *paths) : r->path;
    if (paths)
        r->path = paths;
    char **statuses = n_runs > r->n_runs ? realloc(r->status, (size_t)n_runs * sizeof *statuses) : r->status;
    if (statuses)
        r->status = statuses;
    bool ok = values && owned && id && path && status && run_ids && paths && statuses;
    for (int m = 0; ok && m < nm; m++)
        ok = (owned[m] = strdup(names[m])) != NULL;
    if (!ok) {
        free(values);
        ak_h5_strs_free(owned, nm);
        free(names);
        free(id), free(path), free(status);
        return ak_error_set(err, AK_ENOMEM, "results: out of memory");
    }
    for (int m = 0; m < nm; m++) {
        int old = metric_index(r, owned[m]);
        for (int i = 0; i < n_runs; i++)
            values[(size_t)m * n_runs + i] =
                old >= 0 && i < r->n_runs ? r->values[(size_t)old * r->n_runs + i] : NAN;
    }
    if (run < 0) {
        run = r->n_runs;
        r->run_id[run] = r->path[run] = r->status[run] = NULL;
    }
    /* The row's metrics replace the run's whole set: absent ones become NaN. */
    for (int m = 0; m < nm; m++) {
        double v = NAN;
        for (int i = 0; i < row->n_metrics; i++)
            if (strcmp(row->metric_names[i], owned[m]) == 0)
                v = row->metric_values[i];
        values[(size_t)m * n_runs + run] = v;
    }
    free(r->run_id[run]), free(r->path[run]), free(r->status[run]);
    r->run_id[run] = id;
    r->path[run] = path;
    r->status[run] = status;
    ak_h5_strs_free(r->metric_names, r->n_metrics);
    free(r->values);
    free(names);
    r->metric_names = owned;
    r->n_metrics = nm;
    r->values = values;
    r->n_runs = n_runs;
    return AK_OK;
}

int ak_results_read(const char *path, ak_results *out, ak_error *err) {
    ak_h5_quiet();
    ak_results_init(out);
    if (!ak_file_exists(path))
        return ak_error_set(err, AK_EIO, "%s: no such results index", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return ak_h5_fail(err, AK_EFORMAT, "%s: cannot open as HDF5", path);
    char *format = NULL;
    int rc = ak_h5_attr_get_str(f, "format", &format, path, err);
    if (rc == AK_OK && strcmp(format, AK_RESULTS_FORMAT) != 0)
        rc = ak_error_set(err, AK_EVERSION, "%s: / attribute 'format' is '%s', expected '%s' (re-index the sweep)",
                          path, format, AK_RESULTS_FORMAT);
    free(format);
    int64_t n_id = 0, n_path = 0, n_status = 0;
    if (rc == AK_OK)
        rc = ak_h5_read_strs(f, "run_id", &out->run_id, &n_id, path, err);
    if (rc == AK_OK)
        rc = ak_h5_read_strs(f, "path", &out->path, &n_path, path, err);
    if (rc == AK_OK)
        rc = ak_h5_read_strs(f, "status", &out->status, &n_status, path, err);
    out->n_runs = (int)n_id;
    if (rc == AK_OK && (n_path != n_id || n_status != n_id))
        rc = ak_error_set(err, AK_EFORMAT, "%s: /run_id, /path and /status lengths differ (%lld, %lld, %lld)", path,
                          (long long)n_id, (long long)n_path, (long long)n_status);
    hid_t g = H5I_INVALID_HID;
    if (rc == AK_OK)
        rc = ak_h5_group(f, "metrics", false, &g, path, err);
    if (rc == AK_OK)
        rc = ak_h5_children(g, &out->metric_names, &out->n_metrics, path, err);
    if (rc == AK_OK && !(out->values = malloc((size_t)(out->n_metrics > 0 ? out->n_metrics : 1) *
                                               (size_t)(n_id > 0 ? n_id : 1) * sizeof *out->values)))
        rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", path);
    for (int m = 0; rc == AK_OK && m < out->n_metrics; m++)
        rc = ak_h5_read(g, out->metric_names[m], AK_H5_F64, n_id, out->values + (size_t)m * n_id, path, err);
    ak_h5_close(&g);
    H5Fclose(f);
    if (rc != AK_OK) {
        /* n_runs may disagree with a partially read array: free each list by its own length. */
        ak_h5_strs_free(out->path, (int)n_path);
        ak_h5_strs_free(out->status, (int)n_status);
        out->path = out->status = NULL;
        ak_h5_strs_free(out->run_id, (int)n_id);
        out->run_id = NULL;
        out->n_runs = 0;
        ak_results_free(out);
    }
    return rc;
}

int ak_results_write(const char *path, const ak_results *r, ak_error *err) {
    ak_h5_quiet();
    char tmp[AK_RUN_PATH_LEN + 8], now[32];
    AK_TRY(ak_path_with_suffix(tmp, sizeof tmp, path, ".tmp", err));
    ak_run_timestamp(now);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        return ak_h5_fail(err, AK_EIO, "%s: cannot create", tmp);
    int64_t n = r->n_runs;
    int rc = ak_h5_attr_put_str(f, "format", AK_RESULTS_FORMAT, tmp, err);
    if (rc == AK_OK)
        rc = ak_h5_attr_put_str(f, "updated", now, tmp, err);
    if (rc == AK_OK)
        rc = ak_h5_write_strs(f, "run_id", (const char *const *)r->run_id, n, tmp, err);
    if (rc == AK_OK)
        rc = ak_h5_write_strs(f, "path", (const char *const *)r->path, n, tmp, err);
    if (rc == AK_OK)
        rc = ak_h5_write_strs(f, "status", (const char *const *)r->status, n, tmp, err);
    hid_t g = H5I_INVALID_HID;
    if (rc == AK_OK)
        rc = ak_h5_group(f, "metrics", true, &g, tmp, err);
    for (int m = 0; rc == AK_OK && m < r->n_metrics; m++)
        rc = ak_h5_write(g, r->metric_names[m], AK_H5_F64, 1, &n, r->values + (size_t)m * n, NULL, tmp, err);
    ak_h5_close(&g);
    if (H5Fclose(f) < 0 && rc == AK_OK)
        rc = ak_h5_fail(err, AK_EIO, "%s: close failed", tmp);
    if (rc == AK_OK)
        rc = ak_publish_file(tmp, path, err);
    if (rc != AK_OK)
        unlink(tmp);
    return rc;
}

/* Exclusive POSIX record lock on path + ".lock" (blocks until granted); returns the fd or -1. */
static int lock_index(const char *path, ak_error *err) {
    char lock[AK_RUN_PATH_LEN + 8];
    if (ak_path_with_suffix(lock, sizeof lock, path, ".lock", err) != AK_OK)
        return -1;
    int fd = open(lock, O_RDWR | O_CREAT, 0644);
    if (fd < 0) {
        ak_error_set(err, AK_EIO, "%s: cannot open lock file: %s", lock, strerror(errno));
        return -1;
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    while (fcntl(fd, F_SETLKW, &fl) != 0) {
        if (errno == EINTR)
            continue;
        ak_error_set(err, AK_EIO, "%s: cannot lock: %s", lock, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int ak_results_upsert(const char *path, const ak_results_row *row, ak_error *err) {
    AK_TRY(check_row(row, err));
    int lock = lock_index(path, err);
    if (lock < 0)
        return err ? err->code : AK_EIO;
    ak_results r;
    ak_results_init(&r);
    int rc = ak_file_exists(path) ? ak_results_read(path, &r, err) : AK_OK;
    if (rc == AK_OK)
        rc = ak_results_set(&r, row, err);
    if (rc == AK_OK)
        rc = ak_results_write(path, &r, err);
    ak_results_free(&r);
    close(lock); /* releases the lock */
    return rc;
}

int ak_results_index_run(const char *results_path, const char *run_path, ak_error *err) {
    ak_run *run;
    AK_TRY(ak_run_open(&run, run_path, AK_RUN_READ, err));
    ak_run_info info;
    int64_t *steps = NULL;
    int n_steps = 0, n_scalars = 0, n_arrays = 0;
    char **scalars = NULL, **arrays = NULL;
    double *values = NULL;
    int rc = ak_run_read_info(run, &info, err);
    if (rc != AK_OK) {
        ak_run_close(run, NULL);
        return rc;
    }
    rc = ak_run_eval_steps(run, &steps, &n_steps, err);
    if (rc == AK_OK && n_steps > 0)
        rc = ak_run_eval_names(run, steps[n_steps - 1], &scalars, &n_scalars, &arrays, &n_arrays, err);
    if (rc == AK_OK && !(values = malloc((size_t)(n_scalars > 0 ? n_scalars : 1) * sizeof *values)))
        rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", run_path);
    for (int i = 0; rc == AK_OK && i < n_scalars; i++)
        rc = ak_run_read_eval(run, steps[n_steps - 1], scalars[i], &values[i], err);
    ak_run_close(run, NULL);
    if (rc == AK_OK) {
        ak_results_row row = {info.run_id, run_path, info.status, (const char *const *)scalars, values, n_scalars};
        rc = ak_results_upsert(results_path, &row, err);
    }
    free(values);
    free(steps);
    ak_run_names_free(scalars, n_scalars);
    ak_run_names_free(arrays, n_arrays);
    ak_run_info_free(&info);
    return rc;
}
