/* Evaluation results in the run file: /eval/<step>/ (and /teacher_eval/ for the teacher's own
 * evaluation). Scalars are float64 scalar datasets, per-class / per-category values 1-D float64
 * datasets with an optional int64 "<name>_ids" companion. Each group carries its step as an int64
 * attribute "step" (AK_EVAL_TEACHER for /teacher_eval), so readers never parse names. */
#include "store/run_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/h5util.h"

#define IDS_SUFFIX "_ids"

/* "/eval/1200" or "/teacher_eval". */
static int group_path(const ak_run *run, int64_t step, char *buf, size_t len, ak_error *err) {
    if (step == AK_EVAL_TEACHER)
        snprintf(buf, len, "/teacher_eval");
    else if (step < 0)
        return ak_error_set(err, AK_EINVAL, "%s: evaluation step %lld is negative", run->path, (long long)step);
    else
        snprintf(buf, len, "/eval/%lld", (long long)step);
    return AK_OK;
}

/* Non-empty, no '/', and not ending in "_ids" (reserved for the id companions). */
static bool valid_name(const char *name) {
    if (!name || !name[0] || strchr(name, '/') || strcmp(name, ".") == 0)
        return false;
    size_t n = strlen(name), s = strlen(IDS_SUFFIX);
    return !(n >= s && strcmp(name + n - s, IDS_SUFFIX) == 0);
}

/* Every link name the call would create must be valid and unique. */
static int check_names(const ak_run *run, const char *group, const ak_metric *scalars, int n_scalars,
                       const ak_metric_array *arrays, int n_arrays, ak_error *err) {
    int total = n_scalars + 2 * n_arrays;
    char **names = calloc((size_t)(total > 0 ? total : 1), sizeof *names);
    if (!names)
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", run->path);
    int k = 0, rc = AK_OK;
    for (int i = 0; rc == AK_OK && i < n_scalars; i++) {
        if (!valid_name(scalars[i].name))
            rc = ak_error_set(err, AK_EINVAL, "%s: %s: metric name '%s' is empty, contains '/' or ends in _ids",
                              run->path, group, scalars[i].name ? scalars[i].name : "(null)");
        else
            names[k++] = strdup(scalars[i].name);
    }
    for (int i = 0; rc == AK_OK && i < n_arrays; i++) {
        const ak_metric_array *a = &arrays[i];
        if (!valid_name(a->name))
            rc = ak_error_set(err, AK_EINVAL,
                              "%s: %s: metric array name '%s' is empty, contains '/' or ends in _ids", run->path,
                              group, a->name ? a->name : "(null)");
        else if (a->n < 0 || (a->n > 0 && !a->values))
            rc = ak_error_set(err, AK_EINVAL, "%s: %s/%s: no values for n=%lld", run->path, group, a->name,
                              (long long)a->n);
        else {
            names[k++] = strdup(a->name);
            if (a->ids) {
                size_t len = strlen(a->name) + sizeof IDS_SUFFIX;
                if ((names[k] = malloc(len)))
                    snprintf(names[k], len, "%s%s", a->name, IDS_SUFFIX);
                k++;
            }
        }
    }
    for (int i = 0; rc == AK_OK && i < k; i++) {
        if (!names[i]) {
            rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", run->path);
            break;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0) {
                rc = ak_error_set(err, AK_EINVAL, "%s: %s/%s: given twice", run->path, group, names[i]);
                break;
            }
    }
    ak_h5_strs_free(names, k);
    return rc;
}

int ak_run_write_eval(ak_run *run, int64_t step, const ak_metric *scalars, int n_scalars,
                      const ak_metric_array *arrays, int n_arrays, ak_error *err) {
    AK_TRY(ak_run__check_writable(run, err));
    char path[64];
    AK_TRY(group_path(run, step, path, sizeof path, err));
    AK_TRY(check_names(run, path, scalars, n_scalars, arrays, n_arrays, err));
    if (ak_run_has_eval(run, step))
        return ak_error_set(err, AK_EINVAL, "%s: %s: already written", run->path, path);
    hid_t parent = H5I_INVALID_HID, g = H5I_INVALID_HID;
    int rc = AK_OK;
    if (step != AK_EVAL_TEACHER) {
        rc = ak_h5_group(run->file, "eval", true, &parent, run->path, err);
        if (rc == AK_OK)
            rc = ak_h5_group(parent, path + strlen("/eval/"), true, &g, run->path, err);
    } else {
        rc = ak_h5_group(run->file, path + 1, true, &g, run->path, err);
    }
    if (rc == AK_OK)
        rc = ak_h5_attr_put_i64(g, "step", step, run->path, err);
    for (int i = 0; rc == AK_OK && i < n_scalars; i++)
        rc = ak_h5_write(g, scalars[i].name, AK_H5_F64, 0, NULL, &scalars[i].value, NULL, run->path, err);
    for (int i = 0; rc == AK_OK && i < n_arrays; i++) {
        const ak_metric_array *a = &arrays[i];
        rc = ak_h5_write(g, a->name, AK_H5_F64, 1, &a->n, a->values, NULL, run->path, err);
        if (rc == AK_OK && a->ids) {
            char ids[AK_H5_PATH_LEN];
            snprintf(ids, sizeof ids, "%s%s", a->name, IDS_SUFFIX);
            rc = ak_h5_write(g, ids, AK_H5_I64, 1, &a->n, a->ids, NULL, run->path, err);
        }
    }
    ak_h5_close(&g);
    ak_h5_close(&parent);
    return rc == AK_OK ? AK_OK : ak_run__broke(run, err);
}

int ak_run_eval_steps(ak_run *run, int64_t **steps, int *n, ak_error *err) {
    return ak_run__list_steps(run, "eval", steps, n, err);
}

bool ak_run_has_eval(ak_run *run, int64_t step) {
    char path[64];
    if (group_path(run, step, path, sizeof path, NULL) != AK_OK)
        return false;
    return (step == AK_EVAL_TEACHER || ak_h5_exists(run->file, "eval")) && ak_h5_exists(run->file, path);
}

static int open_step(ak_run *run, int64_t step, hid_t *g, ak_error *err) {
    char path[64];
    *g = H5I_INVALID_HID;
    AK_TRY(group_path(run, step, path, sizeof path, err));
    if (!ak_run_has_eval(run, step))
        return ak_error_set(err, AK_EINVAL, "%s: %s: no such evaluation", run->path, path);
    return ak_h5_group(run->file, path, false, g, run->path, err);
}

/* Rank of dataset `name` in g, or -1 when it is not a dataset. */
static int rank_of(hid_t g, const char *name) {
    H5O_info_t info;
    if (H5Oget_info_by_name(g, name, &info, H5P_DEFAULT) < 0 || info.type != H5O_TYPE_DATASET) {
        H5Eclear2(H5E_DEFAULT);
        return -1;
    }
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    hid_t s = d < 0 ? H5I_INVALID_HID : H5Dget_space(d);
    int r = s < 0 ? -1 : H5Sget_simple_extent_ndims(s);
    ak_h5_close(&s);
    ak_h5_close(&d);
    H5Eclear2(H5E_DEFAULT);
    return r;
}

static bool is_ids_companion(hid_t g, const char *name) {
    size_t n = strlen(name), s = strlen(IDS_SUFFIX);
    if (n <= s || strcmp(name + n - s, IDS_SUFFIX) != 0)
        return false;
    char base[AK_H5_PATH_LEN];
    snprintf(base, sizeof base, "%.*s", (int)(n - s), name);
    return ak_h5_exists(g, base) && rank_of(g, base) == 1;
}

int ak_run_eval_names(ak_run *run, int64_t step, char ***scalars, int *n_scalars, char ***arrays, int *n_arrays,
                      ak_error *err) {
    *scalars = *arrays = NULL;
    *n_scalars = *n_arrays = 0;
    hid_t g;
    AK_TRY(open_step(run, step, &g, err));
    char **names = NULL;
    int n = 0;
    int rc = ak_h5_children(g, &names, &n, run->path, err);
    char **s = rc == AK_OK ? calloc((size_t)n + 1, sizeof *s) : NULL;
    char **a = rc == AK_OK ? calloc((size_t)n + 1, sizeof *a) : NULL;
    if (rc == AK_OK && (!s || !a))
        rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", run->path);
    int ns = 0, na = 0;
    for (int i = 0; rc == AK_OK && i < n; i++) {
        int r = rank_of(g, names[i]);
        if (r == 0)
            s[ns++] = names[i], names[i] = NULL;
        else if (r == 1 && !is_ids_companion(g, names[i]))
            a[na++] = names[i], names[i] = NULL;
    }
    ak_h5_strs_free(names, n);
    ak_h5_close(&g);
    if (rc != AK_OK) {
        ak_h5_strs_free(s, ns);
        ak_h5_strs_free(a, na);
        return rc;
    }
    *scalars = s;
    *n_scalars = ns;
    *arrays = a;
    *n_arrays = na;
    return AK_OK;
}

int ak_run_read_eval(ak_run *run, int64_t step, const char *name, double *value, ak_error *err) {
    hid_t g;
    AK_TRY(open_step(run, step, &g, err));
    int rc = ak_h5_read_scalar(g, name, AK_H5_F64, value, run->path, err);
    ak_h5_close(&g);
    return rc;
}

int ak_run_read_eval_array(ak_run *run, int64_t step, const char *name, double **values, int64_t **ids,
                           int64_t *n, ak_error *err) {
    *values = NULL;
    *ids = NULL;
    *n = 0;
    hid_t g;
    AK_TRY(open_step(run, step, &g, err));
    int nd;
    int64_t shape[AK_H5_MAX_DIMS];
    int rc = ak_h5_shape(g, name, AK_H5_F64, &nd, shape, run->path, err);
    if (rc == AK_OK && nd != 1)
        rc = ak_error_set(err, AK_EFORMAT, "%s: %s: %d dimensions, expected 1", run->path, name, nd);
    double *v = NULL;
    int64_t *id = NULL;
    if (rc == AK_OK && !(v = malloc((size_t)(shape[0] > 0 ? shape[0] : 1) * sizeof *v)))
        rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", run->path);
    if (rc == AK_OK)
        rc = ak_h5_read(g, name, AK_H5_F64, shape[0], v, run->path, err);
    char ids_name[AK_H5_PATH_LEN];
    snprintf(ids_name, sizeof ids_name, "%s%s", name, IDS_SUFFIX);
    if (rc == AK_OK && ak_h5_exists(g, ids_name)) {
        if (!(id = malloc((size_t)(shape[0] > 0 ? shape[0] : 1) * sizeof *id)))
            rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", run->path);
        else
            rc = ak_h5_read(g, ids_name, AK_H5_I64, shape[0], id, run->path, err);
    }
    ak_h5_close(&g);
    if (rc != AK_OK) {
        free(v);
        free(id);
        return rc;
    }
    *values = v;
    *ids = id;
    *n = shape[0];
    return AK_OK;
}

int ak_run__eval_truncate(ak_run *run, int64_t iteration, ak_error *err) {
    int64_t *steps;
    int n;
    AK_TRY(ak_run__list_steps(run, "eval", &steps, &n, err));
    int rc = AK_OK;
    for (int i = 0; rc == AK_OK && i < n; i++) {
        if (steps[i] <= iteration)
            continue;
        char path[64];
        snprintf(path, sizeof path, "/eval/%lld", (long long)steps[i]);
        if (H5Ldelete(run->file, path, H5P_DEFAULT) < 0)
            rc = ak_h5_fail(err, AK_EIO, "%s: %s: cannot delete", run->path, path);
    }
    free(steps);
    return rc;
}
