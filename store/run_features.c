/* Sampled feature maps in the run file: /features/<step>/<role>/<level>, float32 (N,C,H,W) for a few
 * fixed images. Chunked along the sample axis with one whole feature map per chunk (1,C,H,W), so a
 * reader that wants image n touches exactly one chunk and HDF5's 1 MiB default chunk cache never
 * has to hold partial chunks; byte-shuffle + deflate level 4 (floats compress poorly without
 * shuffle). The step group carries an int64 attribute "step". */
#include "store/run_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/h5util.h"

#define FEATURE_DEFLATE 4
/* HDF5 chunks are limited to 4 GiB. */
#define MAX_CHUNK_BYTES 0xffffffffLL

static bool valid_role(const char *role) {
    if (!role)
        return false;
    if (strcmp(role, "teacher") == 0 || strcmp(role, "student") == 0)
        return true;
    if (strncmp(role, "avatar_", 7) != 0 || !role[7])
        return false;
    int64_t k;
    return ak_run__parse_step(role + 7, &k);
}

static bool valid_level(const char *level) {
    return level && level[0] && !strchr(level, '/') && strcmp(level, ".") != 0;
}

static int check_args(const ak_run *run, int64_t step, const char *role, const char *level, ak_error *err) {
    if (step < 0)
        return ak_error_set(err, AK_EINVAL, "%s: /features: step %lld is negative", run->path, (long long)step);
    if (!valid_role(role))
        return ak_error_set(err, AK_EINVAL, "%s: /features/%lld: role '%s', expected teacher, student or avatar_<k>",
                            run->path, (long long)step, role ? role : "(null)");
    if (!valid_level(level))
        return ak_error_set(err, AK_EINVAL, "%s: /features/%lld/%s: level name '%s' is empty or contains '/'",
                            run->path, (long long)step, role, level ? level : "(null)");
    return AK_OK;
}

/* Open /features/<step>/<role>, creating the groups when `create`. */
static int open_role(ak_run *run, int64_t step, const char *role, bool create, hid_t *out, ak_error *err) {
    char name[32];
    snprintf(name, sizeof name, "%lld", (long long)step);
    hid_t f = H5I_INVALID_HID, s = H5I_INVALID_HID;
    *out = H5I_INVALID_HID;
    int rc = ak_h5_group(run->file, "features", create, &f, run->path, err);
    if (rc == AK_OK) {
        bool fresh = !ak_h5_exists(f, name);
        rc = ak_h5_group(f, name, create, &s, run->path, err);
        if (rc == AK_OK && fresh)
            rc = ak_h5_attr_put_i64(s, "step", step, run->path, err);
    }
    if (rc == AK_OK)
        rc = ak_h5_group(s, role, create, out, run->path, err);
    ak_h5_close(&s);
    ak_h5_close(&f);
    return rc;
}

int ak_run_write_features(ak_run *run, int64_t step, const char *role, const char *level,
                          const int64_t shape[4], const float *data, ak_error *err) {
    AK_TRY(ak_run__check_writable(run, err));
    AK_TRY(check_args(run, step, role, level, err));
    char where[AK_H5_PATH_LEN];
    snprintf(where, sizeof where, "/features/%lld/%s/%s", (long long)step, role, level);
    int64_t map = 4;
    for (int i = 0; i < 4; i++) {
        if (shape[i] <= 0)
            return ak_error_set(err, AK_ESHAPE, "%s: %s: shape (%lld,%lld,%lld,%lld) has an empty dimension",
                                run->path, where, (long long)shape[0], (long long)shape[1], (long long)shape[2],
                                (long long)shape[3]);
        if (i > 0)
            map *= shape[i];
    }
    if (map > MAX_CHUNK_BYTES)
        return ak_error_set(err, AK_EINVAL, "%s: %s: one feature map is %lld bytes, over HDF5's 4 GiB chunk limit",
                            run->path, where, (long long)map);
    if (!data)
        return ak_error_set(err, AK_EINVAL, "%s: %s: no data", run->path, where);
    if (ak_h5_exists(run->file, "features") && ak_h5_exists(run->file, where))
        return ak_error_set(err, AK_EINVAL, "%s: %s: already written", run->path, where);
    hid_t g;
    if (open_role(run, step, role, true, &g, err) != AK_OK)
        return ak_run__broke(run, err);
    const int64_t chunk[4] = {1, shape[1], shape[2], shape[3]};
    const ak_h5_layout layout = {.chunk = chunk, .extendable = false, .deflate = FEATURE_DEFLATE, .shuffle = true};
    int rc = ak_h5_write(g, level, AK_H5_F32, 4, shape, data, &layout, run->path, err);
    ak_h5_close(&g);
    return rc == AK_OK ? AK_OK : ak_run__broke(run, err);
}

int ak_run_feature_steps(ak_run *run, int64_t **steps, int *n, ak_error *err) {
    return ak_run__list_steps(run, "features", steps, n, err);
}

static int list_children(ak_run *run, const char *path, char ***names, int *n, ak_error *err) {
    *names = NULL;
    *n = 0;
    if (!ak_h5_exists(run->file, "features") || !ak_h5_exists(run->file, path))
        return ak_error_set(err, AK_EINVAL, "%s: %s: no such feature group", run->path, path);
    hid_t g;
    AK_TRY(ak_h5_group(run->file, path, false, &g, run->path, err));
    int rc = ak_h5_children(g, names, n, run->path, err);
    ak_h5_close(&g);
    return rc;
}

int ak_run_feature_roles(ak_run *run, int64_t step, char ***roles, int *n, ak_error *err) {
    char path[64];
    snprintf(path, sizeof path, "/features/%lld", (long long)step);
    return list_children(run, path, roles, n, err);
}

int ak_run_feature_levels(ak_run *run, int64_t step, const char *role, char ***levels, int *n, ak_error *err) {
    *levels = NULL;
    *n = 0;
    AK_TRY(check_args(run, step, role, "x", err));
    char path[AK_H5_PATH_LEN];
    snprintf(path, sizeof path, "/features/%lld/%s", (long long)step, role);
    char step_path[64];
    snprintf(step_path, sizeof step_path, "/features/%lld", (long long)step);
    if (ak_h5_exists(run->file, "features") && !ak_h5_exists(run->file, step_path))
        return ak_error_set(err, AK_EINVAL, "%s: %s: no such feature group", run->path, step_path);
    return list_children(run, path, levels, n, err);
}

int ak_run_read_features(ak_run *run, int64_t step, const char *role, const char *level, int64_t shape[4],
                         float **data, ak_error *err) {
    *data = NULL;
    AK_TRY(check_args(run, step, role, level, err));
    char path[AK_H5_PATH_LEN];
    snprintf(path, sizeof path, "/features/%lld/%s/%s", (long long)step, role, level);
    char step_path[64], role_path[AK_H5_PATH_LEN];
    snprintf(step_path, sizeof step_path, "/features/%lld", (long long)step);
    snprintf(role_path, sizeof role_path, "%s/%s", step_path, role);
    if (!ak_h5_exists(run->file, "features") || !ak_h5_exists(run->file, step_path) ||
        !ak_h5_exists(run->file, role_path) || !ak_h5_exists(run->file, path))
        return ak_error_set(err, AK_EINVAL, "%s: %s: no such feature map", run->path, path);
    int nd;
    int64_t s[AK_H5_MAX_DIMS];
    AK_TRY(ak_h5_shape(run->file, path, AK_H5_F32, &nd, s, run->path, err));
    if (nd != 4)
        return ak_error_set(err, AK_EFORMAT, "%s: %s: %d dimensions, expected 4 (N,C,H,W)", run->path, path, nd);
    int64_t numel = s[0] * s[1] * s[2] * s[3];
    float *out = malloc((size_t)(numel > 0 ? numel : 1) * sizeof *out);
    if (!out)
        return ak_error_set(err, AK_ENOMEM, "%s: %s: out of memory (%lld floats)", run->path, path, (long long)numel);
    int rc = ak_h5_read(run->file, path, AK_H5_F32, numel, out, run->path, err);
    if (rc != AK_OK) {
        free(out);
        return rc;
    }
    memcpy(shape, s, 4 * sizeof *shape);
    *data = out;
    return AK_OK;
}

int ak_run__features_truncate(ak_run *run, int64_t iteration, ak_error *err) {
    int64_t *steps;
    int n;
    AK_TRY(ak_run__list_steps(run, "features", &steps, &n, err));
    int rc = AK_OK;
    for (int i = 0; rc == AK_OK && i < n; i++) {
        if (steps[i] <= iteration)
            continue;
        char path[64];
        snprintf(path, sizeof path, "/features/%lld", (long long)steps[i]);
        if (H5Ldelete(run->file, path, H5P_DEFAULT) < 0)
            rc = ak_h5_fail(err, AK_EIO, "%s: %s: cannot delete", run->path, path);
    }
    free(steps);
    return rc;
}
