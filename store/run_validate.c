/* Run-file schema validation; see run_validate.h and SCHEMA.md. Works on the raw HDF5 objects
 * rather than through ak_run, so that it reports exactly which object is wrong. */
#include "store/run_validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/checkpoint.h"
#include "store/fsutil.h"
#include "store/h5util.h"
#include "store/run_internal.h"

typedef struct vctx {
    const char *path;
    hid_t file;
    ak_run_summary *sum;
    ak_error *err;
} vctx;

static const char *const root_strings[] = {"run_id", "config", "git_commit", "hdf5_version", "openblas_core",
                                           "openblas_config", "akdbench_version", "runtime", "device",
                                           "teacher_weights_hash", "status", "created", "updated"};

static bool iso_utc(const char *s) {
    /* YYYY-MM-DDTHH:MM:SSZ */
    static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
    if (strlen(s) != sizeof pat - 1)
        return false;
    for (size_t i = 0; pat[i]; i++)
        if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
            return false;
    return true;
}

static int check_root(vctx *v) {
    char *s = NULL;
    AK_TRY(ak_h5_attr_get_str(v->file, "format", &s, v->path, v->err));
    if (strcmp(s, AK_RUN_FORMAT) != 0) {
        int rc = ak_error_set(v->err, AK_EVERSION, "%s: / attribute 'format' is '%s', expected '%s'", v->path, s,
                              AK_RUN_FORMAT);
        free(s);
        return rc;
    }
    free(s);
    char *vals[sizeof root_strings / sizeof root_strings[0]] = {0};
    int rc = AK_OK;
    size_t n = sizeof root_strings / sizeof root_strings[0];
    for (size_t i = 0; rc == AK_OK && i < n; i++)
        rc = ak_h5_attr_get_str(v->file, root_strings[i], &vals[i], v->path, v->err);
    int64_t threads;
    uint64_t seed;
    if (rc == AK_OK)
        rc = ak_h5_attr_get_i64(v->file, "threads", &threads, v->path, v->err);
    if (rc == AK_OK)
        rc = ak_h5_attr_get_u64(v->file, "seed", &seed, v->path, v->err);
    if (rc == AK_OK) {
        const char *run_id = vals[0], *config = vals[1], *status = vals[10], *created = vals[11], *updated = vals[12];
        char want[AK_RUN_ID_LEN];
        ak_run_id_of_config(config, want);
        ak_run_status st;
        if (strcmp(run_id, want) != 0)
            rc = ak_error_set(v->err, AK_EFORMAT, "%s: / attribute 'run_id' is '%s' but the stored config hashes to '%s'",
                              v->path, run_id, want);
        else if (ak_run_status_parse(status, &st) != AK_OK)
            rc = ak_error_set(v->err, AK_EFORMAT,
                              "%s: / attribute 'status' is '%s', expected running, complete, failed or interrupted",
                              v->path, status);
        else if (!iso_utc(created) || !iso_utc(updated))
            rc = ak_error_set(v->err, AK_EFORMAT, "%s: / attributes 'created' / 'updated' ('%s', '%s') are not "
                              "ISO 8601 UTC (YYYY-MM-DDTHH:MM:SSZ)", v->path, created, updated);
        else if (threads < 1)
            rc = ak_error_set(v->err, AK_EFORMAT, "%s: / attribute 'threads' is %lld", v->path, (long long)threads);
        if (rc == AK_OK && v->sum) {
            snprintf(v->sum->run_id, sizeof v->sum->run_id, "%s", run_id);
            snprintf(v->sum->status, sizeof v->sum->status, "%s", status);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(vals[i]);
    return rc;
}

static int check_train(vctx *v) {
    hid_t g;
    AK_TRY(ak_h5_group(v->file, "train", false, &g, v->path, v->err));
    char **extra = NULL;
    int n_extra = 0;
    int rc = ak_h5_attr_get_strs(g, "extra_losses", &extra, &n_extra, v->path, v->err);
    int n_cols = 1 + AK_TRAIN_N_STD + n_extra;
    int64_t rows = -1;
    int64_t *iters = NULL;
    double *vals = NULL;
    for (int c = 0; rc == AK_OK && c < n_cols; c++) {
        const char *name = c == 0 ? "iter" : c <= AK_TRAIN_N_STD ? ak_train_std_columns[c - 1]
                                                                  : extra[c - 1 - AK_TRAIN_N_STD];
        ak_h5_dtype t = c == 0 ? AK_H5_I64 : AK_H5_F64;
        int nd;
        int64_t shape[AK_H5_MAX_DIMS];
        rc = ak_h5_shape(g, name, t, &nd, shape, v->path, v->err);
        if (rc != AK_OK)
            break;
        if (nd != 1) {
            rc = ak_error_set(v->err, AK_EFORMAT, "%s: /train/%s: %d dimensions, expected 1", v->path, name, nd);
            break;
        }
        if (c == 0) {
            rows = shape[0];
            iters = malloc((size_t)(rows > 0 ? rows : 1) * sizeof *iters);
            vals = malloc((size_t)(rows > 0 ? rows : 1) * sizeof *vals);
            if (!iters || !vals) {
                rc = ak_error_set(v->err, AK_ENOMEM, "%s: out of memory", v->path);
                break;
            }
            rc = ak_h5_read(g, name, t, rows, iters, v->path, v->err);
            for (int64_t r = 1; rc == AK_OK && r < rows; r++)
                if (iters[r] <= iters[r - 1])
                    rc = ak_error_set(v->err, AK_EFORMAT,
                                      "%s: /train/iter: not increasing at row %lld (%lld after %lld)", v->path,
                                      (long long)r, (long long)iters[r], (long long)iters[r - 1]);
        } else if (shape[0] != rows) {
            rc = ak_error_set(v->err, AK_EFORMAT, "%s: /train/%s: %lld rows, but /train/iter has %lld", v->path, name,
                              (long long)shape[0], (long long)rows);
        } else {
            rc = ak_h5_read(g, name, t, rows, vals, v->path, v->err);
        }
    }
    if (rc == AK_OK && v->sum) {
        v->sum->rows = rows;
        v->sum->n_extra_losses = n_extra;
        v->sum->first_iter = rows > 0 ? iters[0] : -1;
        v->sum->last_iter = rows > 0 ? iters[rows - 1] : -1;
    }
    free(iters);
    free(vals);
    ak_h5_strs_free(extra, n_extra);
    ak_h5_close(&g);
    return rc;
}

/* One evaluation group (an /eval/<step> or /teacher_eval). */
static int check_eval_group(vctx *v, hid_t g, const char *gpath, int64_t step) {
    int64_t stored;
    AK_TRY(ak_h5_attr_get_i64(g, "step", &stored, v->path, v->err));
    if (stored != step)
        return ak_error_set(v->err, AK_EFORMAT, "%s: %s: attribute 'step' is %lld, expected %lld", v->path, gpath,
                            (long long)stored, (long long)step);
    char **names = NULL;
    int n = 0;
    AK_TRY(ak_h5_children(g, &names, &n, v->path, v->err));
    int rc = AK_OK;
    for (int i = 0; rc == AK_OK && i < n; i++) {
        const char *name = names[i];
        size_t len = strlen(name);
        bool ids = len > 4 && strcmp(name + len - 4, "_ids") == 0;
        int nd;
        int64_t shape[AK_H5_MAX_DIMS];
        if (ids) {
            char base[AK_H5_PATH_LEN];
            snprintf(base, sizeof base, "%.*s", (int)(len - 4), name);
            int bnd;
            int64_t bshape[AK_H5_MAX_DIMS];
            rc = ak_h5_shape(g, name, AK_H5_I64, &nd, shape, v->path, v->err);
            if (rc == AK_OK && !ak_h5_exists(g, base))
                rc = ak_error_set(v->err, AK_EFORMAT, "%s: %s/%s: ids without a '%s' array", v->path, gpath, name,
                                  base);
            if (rc == AK_OK)
                rc = ak_h5_shape(g, base, AK_H5_F64, &bnd, bshape, v->path, v->err);
            if (rc == AK_OK && (nd != 1 || bnd != 1 || shape[0] != bshape[0]))
                rc = ak_error_set(v->err, AK_EFORMAT, "%s: %s/%s: ids must be 1-D and as long as '%s'", v->path, gpath,
                                  name, base);
        } else {
            rc = ak_h5_shape(g, name, AK_H5_F64, &nd, shape, v->path, v->err);
            if (rc == AK_OK && nd > 1)
                rc = ak_error_set(v->err, AK_EFORMAT, "%s: %s/%s: %d dimensions, expected a scalar or 1-D", v->path,
                                  gpath, name, nd);
        }
        if (rc == AK_OK) {
            int64_t numel = nd == 0 ? 1 : shape[0];
            void *buf = malloc((size_t)(numel > 0 ? numel : 1) * 8);
            rc = !buf ? ak_error_set(v->err, AK_ENOMEM, "%s: out of memory", v->path)
                      : ak_h5_read(g, name, ids ? AK_H5_I64 : AK_H5_F64, numel, buf, v->path, v->err);
            free(buf);
        }
    }
    /* A metric family, once started, must be complete. */
    const char *const *fams[2] = {ak_eval_det_metrics, ak_eval_seg_metrics};
    const int fam_n[2] = {AK_EVAL_N_DET, AK_EVAL_N_SEG};
    for (int f = 0; rc == AK_OK && f < 2; f++) {
        if (!ak_h5_exists(g, fams[f][0]))
            continue;
        for (int k = 1; rc == AK_OK && k < fam_n[f]; k++)
            if (!ak_h5_exists(g, fams[f][k]))
                rc = ak_error_set(v->err, AK_EFORMAT, "%s: %s: has '%s' but misses '%s'", v->path, gpath, fams[f][0],
                                  fams[f][k]);
    }
    ak_h5_strs_free(names, n);
    return rc;
}

/* Children of a group whose names are steps; everything else is a schema error. */
static int step_children(vctx *v, hid_t g, const char *gpath, char ***names, int *n, int64_t **steps) {
    AK_TRY(ak_h5_children(g, names, n, v->path, v->err));
    *steps = malloc((size_t)(*n > 0 ? *n : 1) * sizeof **steps);
    if (!*steps) {
        ak_h5_strs_free(*names, *n);
        return ak_error_set(v->err, AK_ENOMEM, "%s: out of memory", v->path);
    }
    for (int i = 0; i < *n; i++)
        if (!ak_run__parse_step((*names)[i], &(*steps)[i])) {
            int rc = ak_error_set(v->err, AK_EFORMAT, "%s: %s/%s: expected a step number as the group name", v->path,
                                  gpath, (*names)[i]);
            ak_h5_strs_free(*names, *n);
            free(*steps);
            return rc;
        }
    return AK_OK;
}

static int check_evals(vctx *v) {
    int rc = AK_OK;
    if (ak_h5_exists(v->file, "teacher_eval")) {
        hid_t g;
        AK_TRY(ak_h5_group(v->file, "teacher_eval", false, &g, v->path, v->err));
        rc = check_eval_group(v, g, "/teacher_eval", AK_EVAL_TEACHER);
        ak_h5_close(&g);
        if (v->sum)
            v->sum->has_teacher_eval = true;
    }
    if (rc != AK_OK || !ak_h5_exists(v->file, "eval"))
        return rc;
    hid_t ev;
    AK_TRY(ak_h5_group(v->file, "eval", false, &ev, v->path, v->err));
    char **names;
    int n;
    int64_t *steps;
    rc = step_children(v, ev, "/eval", &names, &n, &steps);
    if (rc != AK_OK) {
        ak_h5_close(&ev);
        return rc;
    }
    int64_t last = -1;
    for (int i = 0; rc == AK_OK && i < n; i++) {
        hid_t g;
        char gpath[64];
        snprintf(gpath, sizeof gpath, "/eval/%s", names[i]);
        rc = ak_h5_group(ev, names[i], false, &g, v->path, v->err);
        if (rc == AK_OK)
            rc = check_eval_group(v, g, gpath, steps[i]);
        ak_h5_close(&g);
        if (steps[i] > last)
            last = steps[i];
    }
    if (rc == AK_OK && v->sum) {
        v->sum->n_eval_steps = n;
        v->sum->last_eval_step = last;
    }
    ak_h5_strs_free(names, n);
    free(steps);
    ak_h5_close(&ev);
    return rc;
}

/* A feature map: float32, 4-D, every sample readable. */
static int check_feature_map(vctx *v, hid_t g, const char *name, const char *where) {
    int nd;
    int64_t shape[AK_H5_MAX_DIMS];
    AK_TRY(ak_h5_shape(g, name, AK_H5_F32, &nd, shape, v->path, v->err));
    if (nd != 4)
        return ak_error_set(v->err, AK_EFORMAT, "%s: %s: %d dimensions, expected 4 (N,C,H,W)", v->path, where, nd);
    int64_t map = shape[1] * shape[2] * shape[3];
    float *buf = malloc((size_t)(map > 0 ? map : 1) * sizeof *buf);
    if (!buf)
        return ak_error_set(v->err, AK_ENOMEM, "%s: %s: out of memory", v->path, where);
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    int rc = d < 0 ? ak_h5_fail(v->err, AK_EFORMAT, "%s: %s: cannot open", v->path, where) : AK_OK;
    for (int64_t i = 0; rc == AK_OK && i < shape[0]; i++)
        rc = ak_h5_read_rows(d, AK_H5_F32, i, 1, buf, v->path, v->err);
    ak_h5_close(&d);
    free(buf);
    if (rc == AK_OK && v->sum) {
        v->sum->n_feature_maps++;
        v->sum->feature_bytes += shape[0] * map * 4;
    }
    return rc;
}

static int check_feature_step(vctx *v, hid_t s, const char *spath, int64_t step) {
    int64_t stored;
    AK_TRY(ak_h5_attr_get_i64(s, "step", &stored, v->path, v->err));
    if (stored != step)
        return ak_error_set(v->err, AK_EFORMAT, "%s: %s: attribute 'step' is %lld, expected %lld", v->path, spath,
                            (long long)stored, (long long)step);
    char **roles;
    int nr;
    AK_TRY(ak_h5_children(s, &roles, &nr, v->path, v->err));
    int rc = AK_OK;
    for (int r = 0; rc == AK_OK && r < nr; r++) {
        int64_t k;
        if (strcmp(roles[r], "teacher") != 0 && strcmp(roles[r], "student") != 0 &&
            !(strncmp(roles[r], "avatar_", 7) == 0 && ak_run__parse_step(roles[r] + 7, &k))) {
            rc = ak_error_set(v->err, AK_EFORMAT, "%s: %s/%s: role must be teacher, student or avatar_<k>", v->path,
                              spath, roles[r]);
            break;
        }
        hid_t g;
        rc = ak_h5_group(s, roles[r], false, &g, v->path, v->err);
        char **levels = NULL;
        int nl = 0;
        if (rc == AK_OK)
            rc = ak_h5_children(g, &levels, &nl, v->path, v->err);
        for (int l = 0; rc == AK_OK && l < nl; l++) {
            char where[AK_H5_PATH_LEN];
            snprintf(where, sizeof where, "%s/%s/%s", spath, roles[r], levels[l]);
            rc = check_feature_map(v, g, levels[l], where);
        }
        ak_h5_strs_free(levels, nl);
        ak_h5_close(&g);
    }
    ak_h5_strs_free(roles, nr);
    return rc;
}

static int check_features(vctx *v) {
    if (!ak_h5_exists(v->file, "features"))
        return AK_OK;
    hid_t fg;
    AK_TRY(ak_h5_group(v->file, "features", false, &fg, v->path, v->err));
    char **names;
    int n;
    int64_t *steps;
    int rc = step_children(v, fg, "/features", &names, &n, &steps);
    if (rc != AK_OK) {
        ak_h5_close(&fg);
        return rc;
    }
    for (int i = 0; rc == AK_OK && i < n; i++) {
        hid_t s;
        char spath[64];
        snprintf(spath, sizeof spath, "/features/%s", names[i]);
        rc = ak_h5_group(fg, names[i], false, &s, v->path, v->err);
        if (rc == AK_OK)
            rc = check_feature_step(v, s, spath, steps[i]);
        ak_h5_close(&s);
    }
    if (rc == AK_OK && v->sum)
        v->sum->n_feature_steps = n;
    ak_h5_strs_free(names, n);
    free(steps);
    ak_h5_close(&fg);
    return rc;
}

/* /checkpoint: format, run id of this run, float32 params, every array readable. */
static int check_checkpoint(vctx *v) {
    if (!ak_h5_exists(v->file, "checkpoint"))
        return AK_OK;
    hid_t c;
    AK_TRY(ak_h5_group(v->file, "checkpoint", false, &c, v->path, v->err));
    char *format = NULL, *id = NULL, *root_id = NULL;
    int64_t iteration;
    int rc = ak_h5_attr_get_str(c, "format", &format, v->path, v->err);
    if (rc == AK_OK && strcmp(format, AK_CKPT_FORMAT) != 0)
        rc = ak_error_set(v->err, AK_EVERSION, "%s: /checkpoint: format '%s', expected '%s'", v->path, format,
                          AK_CKPT_FORMAT);
    if (rc == AK_OK)
        rc = ak_h5_attr_get_str(c, "run_id", &id, v->path, v->err);
    if (rc == AK_OK)
        rc = ak_h5_attr_get_str(v->file, "run_id", &root_id, v->path, v->err);
    if (rc == AK_OK && strcmp(id, root_id) != 0)
        rc = ak_error_set(v->err, AK_EFORMAT, "%s: /checkpoint: attribute 'run_id' is '%s', the run's is '%s'", v->path,
                          id, root_id);
    if (rc == AK_OK)
        rc = ak_h5_attr_get_i64(c, "iteration", &iteration, v->path, v->err);
    char **groups = NULL;
    int ng = 0;
    if (rc == AK_OK && !ak_h5_exists(c, "params"))
        rc = ak_error_set(v->err, AK_EFORMAT, "%s: /checkpoint/params: missing group", v->path);
    if (rc == AK_OK)
        rc = ak_h5_children(c, &groups, &ng, v->path, v->err);
    for (int i = 0; rc == AK_OK && i < ng; i++) {
        hid_t g;
        rc = ak_h5_group(c, groups[i], false, &g, v->path, v->err);
        char **names = NULL;
        int n = 0;
        if (rc == AK_OK)
            rc = ak_h5_children(g, &names, &n, v->path, v->err);
        for (int j = 0; rc == AK_OK && j < n; j++) {
            hid_t d = H5Dopen2(g, names[j], H5P_DEFAULT), t = d < 0 ? H5I_INVALID_HID : H5Dget_type(d);
            char where[AK_H5_PATH_LEN];
            snprintf(where, sizeof where, "/checkpoint/%s/%s", groups[i], names[j]);
            bool is_params = strcmp(groups[i], "params") == 0;
            ak_h5_dtype want = AK_H5_F32;
            if (t < 0)
                rc = ak_h5_fail(v->err, AK_EFORMAT, "%s: %s: not a readable dataset", v->path, where);
            else if (!is_params && ak_h5_type_is(t, AK_H5_F64))
                want = AK_H5_F64;
            else if (!is_params && ak_h5_type_is(t, AK_H5_I64))
                want = AK_H5_I64;
            ak_h5_close(&t);
            ak_h5_close(&d);
            int nd;
            int64_t shape[AK_H5_MAX_DIMS];
            if (rc == AK_OK)
                rc = ak_h5_shape(g, names[j], want, &nd, shape, v->path, v->err);
            if (rc == AK_OK) {
                int64_t numel = 1;
                for (int k = 0; k < nd; k++)
                    numel *= shape[k];
                void *buf = malloc((size_t)(numel > 0 ? numel : 1) * ak_h5_dtype_size(want));
                rc = !buf ? ak_error_set(v->err, AK_ENOMEM, "%s: %s: out of memory", v->path, where)
                          : ak_h5_read(g, names[j], want, numel, buf, v->path, v->err);
                free(buf);
            }
            if (rc == AK_OK && is_params && v->sum)
                v->sum->n_checkpoint_params++;
        }
        ak_h5_strs_free(names, n);
        ak_h5_close(&g);
    }
    if (rc == AK_OK && v->sum)
        v->sum->has_checkpoint = true;
    ak_h5_strs_free(groups, ng);
    free(format);
    free(id);
    free(root_id);
    ak_h5_close(&c);
    return rc;
}

int ak_run_validate(const char *path, ak_run_summary *summary, ak_error *err) {
    ak_h5_quiet();
    if (summary) {
        memset(summary, 0, sizeof *summary);
        summary->first_iter = summary->last_iter = summary->last_eval_step = -1;
    }
    if (!ak_file_exists(path))
        return ak_error_set(err, AK_EIO, "%s: no such file", path);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        return ak_h5_fail(err, AK_EFORMAT, "%s: cannot open as HDF5 (not an HDF5 file, truncated or locked)", path);
    vctx v = {path, file, summary, err};
    int rc = check_root(&v);
    if (rc == AK_OK)
        rc = check_train(&v);
    if (rc == AK_OK)
        rc = check_evals(&v);
    if (rc == AK_OK)
        rc = check_features(&v);
    if (rc == AK_OK)
        rc = check_checkpoint(&v);
    if (H5Fclose(file) < 0 && rc == AK_OK)
        rc = ak_h5_fail(err, AK_EFORMAT, "%s: close failed", path);
    return rc;
}
