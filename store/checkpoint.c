/* Checkpoint save (write-temp, fsync, rename) and strict load; see checkpoint.h. The same writer
 * fills a checkpoint file's root or a run file's /checkpoint group. */
#include "store/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/name_list.h"
#include "store/fsutil.h"
#include "store/h5util.h"
#include "store/run_internal.h"

#define NAME_LEN (3 * AK_PARAM_NAME_LEN + 1) /* worst case: every character escaped */

static ak_h5_dtype h5_type(ak_ckpt_dtype t) {
    return t == AK_CKPT_F32 ? AK_H5_F32 : t == AK_CKPT_F64 ? AK_H5_F64 : AK_H5_I64;
}

static bool valid_group(const char *g) {
    return g && g[0] && !strchr(g, '/') && strcmp(g, ".") != 0 && strcmp(g, "params") != 0;
}

static int check_extras(const char *file, const ak_ckpt_array *ex, int n, bool need_data, ak_error *err) {
    if (n < 0 || (n > 0 && !ex))
        return ak_error_set(err, AK_EINVAL, "%s: %d extra arrays but no list", file, n);
    for (int i = 0; i < n; i++) {
        const ak_ckpt_array *a = &ex[i];
        if (!valid_group(a->group))
            return ak_error_set(err, AK_EINVAL, "%s: extra array group '%s' is empty, contains '/' or is 'params'",
                                file, a->group ? a->group : "(null)");
        if (!a->name || !a->name[0])
            return ak_error_set(err, AK_EINVAL, "%s: /%s: extra array with an empty name", file, a->group);
        if (a->ndim < 0 || a->ndim > AK_CKPT_MAX_DIMS)
            return ak_error_set(err, AK_EINVAL, "%s: /%s/%s: %d dimensions", file, a->group, a->name, a->ndim);
        if (a->dtype != AK_CKPT_F32 && a->dtype != AK_CKPT_F64 && a->dtype != AK_CKPT_I64)
            return ak_error_set(err, AK_EINVAL, "%s: /%s/%s: unknown dtype %d", file, a->group, a->name, (int)a->dtype);
        int64_t numel = 1;
        for (int d = 0; d < a->ndim; d++) {
            if (a->shape[d] < 0)
                return ak_error_set(err, AK_EINVAL, "%s: /%s/%s: negative dimension", file, a->group, a->name);
            numel *= a->shape[d];
        }
        if (need_data && numel > 0 && !a->data)
            return ak_error_set(err, AK_EINVAL, "%s: /%s/%s: no data", file, a->group, a->name);
        for (int j = 0; j < i; j++)
            if (strcmp(ex[j].group, a->group) == 0 && strcmp(ex[j].name, a->name) == 0)
                return ak_error_set(err, AK_EINVAL, "%s: /%s/%s: given twice", file, a->group, a->name);
    }
    return AK_OK;
}

/* ---- writing ---- */

static int write_contents(hid_t base, const char *file, const ak_ckpt_meta *meta, const ak_params *ps,
                          const ak_ckpt_array *ex, int n_ex, ak_error *err) {
    char now[32], esc[NAME_LEN];
    ak_run_timestamp(now);
    AK_TRY(ak_h5_attr_put_str(base, "format", AK_CKPT_FORMAT, file, err));
    AK_TRY(ak_h5_attr_put_str(base, "run_id", meta->run_id, file, err));
    AK_TRY(ak_h5_attr_put_i64(base, "iteration", meta->iteration, file, err));
    AK_TRY(ak_h5_attr_put_str(base, "created", now, file, err));
    hid_t g;
    AK_TRY(ak_h5_group(base, "params", true, &g, file, err));
    int rc = AK_OK;
    for (int i = 0; rc == AK_OK && ps && i < ps->n; i++) {
        const ak_param *p = &ps->items[i];
        if (p->t->device != AK_DEV_CPU) {
            rc = ak_error_set(err, AK_EUNSUP, "%s: /params/%s: tensor is not in host memory", file, p->name);
            break;
        }
        rc = ak_h5_escape_name(p->name, esc, sizeof esc, err);
        if (rc == AK_OK)
            rc = ak_h5_write(g, esc, AK_H5_F32, p->t->ndim, p->t->shape, p->t->data, NULL, file, err);
        if (rc == AK_OK) {
            hid_t d = H5Dopen2(g, esc, H5P_DEFAULT);
            if (d < 0)
                rc = ak_h5_fail(err, AK_EIO, "%s: /params/%s: cannot reopen", file, esc);
            else
                rc = ak_h5_attr_put_str(d, "kind", p->is_buffer ? "buffer" : "param", file, err);
            ak_h5_close(&d);
        }
    }
    ak_h5_close(&g);
    for (int i = 0; rc == AK_OK && i < n_ex; i++) {
        const ak_ckpt_array *a = &ex[i];
        rc = ak_h5_group(base, a->group, true, &g, file, err);
        if (rc == AK_OK)
            rc = ak_h5_escape_name(a->name, esc, sizeof esc, err);
        if (rc == AK_OK)
            rc = ak_h5_write(g, esc, h5_type(a->dtype), a->ndim, a->shape, a->data, NULL, file, err);
        ak_h5_close(&g);
    }
    return rc;
}

int ak_ckpt_save(const char *path, const ak_ckpt_meta *meta, const ak_params *params, const ak_ckpt_array *extras,
                 int n_extras, ak_error *err) {
    ak_h5_quiet();
    AK_TRY(check_extras(path, extras, n_extras, true, err));
    char tmp[AK_RUN_PATH_LEN + 8];
    AK_TRY(ak_path_with_suffix(tmp, sizeof tmp, path, ".tmp", err));
    hid_t f = ak_h5_file_create(tmp);
    if (f < 0)
        return ak_h5_fail(err, AK_EIO, "%s: cannot create checkpoint", tmp);
    hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
    int rc = root < 0 ? ak_h5_fail(err, AK_EIO, "%s: cannot open /", tmp)
                      : write_contents(root, tmp, meta, params, extras, n_extras, err);
    ak_h5_close(&root);
    if (H5Fclose(f) < 0 && rc == AK_OK)
        rc = ak_h5_fail(err, AK_EIO, "%s: close failed (disk full?)", tmp);
    if (rc == AK_OK)
        rc = ak_publish_file(tmp, path, err);
    if (rc != AK_OK) {
        unlink(tmp); /* best effort: the previous checkpoint at path is untouched */
        ak_error_prefix(err, "checkpoint %s not saved (the previous one is kept)", path);
    }
    return rc;
}

int ak_ckpt_save_run(ak_run *run, const ak_ckpt_meta *meta, const ak_params *params, const ak_ckpt_array *extras,
                     int n_extras, ak_error *err) {
    AK_TRY(ak_run__check_writable(run, err));
    AK_TRY(check_extras(run->path, extras, n_extras, true, err));
    if (ak_h5_exists(run->file, "checkpoint") && H5Ldelete(run->file, "checkpoint", H5P_DEFAULT) < 0) {
        ak_h5_fail(err, AK_EIO, "%s: /checkpoint: cannot replace", run->path);
        return ak_run__broke(run, err);
    }
    hid_t g;
    if (ak_h5_group(run->file, "checkpoint", true, &g, run->path, err) != AK_OK)
        return ak_run__broke(run, err);
    int rc = write_contents(g, run->path, meta, params, extras, n_extras, err);
    ak_h5_close(&g);
    return rc == AK_OK ? AK_OK : ak_run__broke(run, err);
}

/* ---- loading ---- */

/* Open path and the group holding the checkpoint (root of a checkpoint file, /checkpoint of a run). */
static int open_base(const char *path, hid_t *file, hid_t *base, ak_error *err) {
    ak_h5_quiet();
    *file = *base = H5I_INVALID_HID;
    if (!ak_file_exists(path))
        return ak_error_set(err, AK_EIO, "%s: no such checkpoint file", path);
    *file = ak_h5_file_open(path, H5F_ACC_RDONLY);
    if (*file < 0)
        return ak_h5_fail(err, AK_EFORMAT, "%s: cannot open as HDF5 (not an HDF5 file or truncated)", path);
    char *format = NULL;
    int rc = ak_h5_attr_get_str(*file, "format", &format, path, err);
    if (rc == AK_OK && strcmp(format, AK_RUN_FORMAT) == 0) {
        if (!ak_h5_exists(*file, "checkpoint"))
            rc = ak_error_set(err, AK_EFORMAT, "%s: run file has no /checkpoint (final weights are written when the "
                              "run completes)", path);
        else
            rc = ak_h5_group(*file, "checkpoint", false, base, path, err);
        free(format);
        format = NULL;
        if (rc == AK_OK)
            rc = ak_h5_attr_get_str(*base, "format", &format, path, err);
    } else if (rc == AK_OK) {
        *base = H5Gopen2(*file, "/", H5P_DEFAULT);
        if (*base < 0)
            rc = ak_h5_fail(err, AK_EFORMAT, "%s: cannot open /", path);
    }
    if (rc == AK_OK && strcmp(format, AK_CKPT_FORMAT) != 0)
        rc = ak_error_set(err, AK_EVERSION, "%s: checkpoint format '%s', expected '%s' (written by another akdbench "
                          "version: resume with that version or restart the run)", path, format, AK_CKPT_FORMAT);
    free(format);
    if (rc != AK_OK) {
        ak_h5_close(base);
        ak_h5_close(file);
    }
    return rc;
}

static int read_meta(hid_t base, const char *path, ak_ckpt_meta *meta, ak_error *err) {
    char *id = NULL;
    AK_TRY(ak_h5_attr_get_str(base, "run_id", &id, path, err));
    snprintf(meta->run_id, sizeof meta->run_id, "%s", id);
    free(id);
    return ak_h5_attr_get_i64(base, "iteration", &meta->iteration, path, err);
}

int ak_ckpt_read_meta(const char *path, ak_ckpt_meta *meta, ak_error *err) {
    hid_t f, base;
    AK_TRY(open_base(path, &f, &base, err));
    int rc = read_meta(base, path, meta, err);
    ak_h5_close(&base);
    ak_h5_close(&f);
    return rc;
}



/* What is stored under one dataset: dtype and shape. */
typedef struct stored_item {
    char *group;   /* "params" or an extra group */
    char *link;    /* escaped link name */
    char *name;    /* unescaped */
    bool matched;
} stored_item;

typedef struct stored_set {
    stored_item *items;
    int n, cap;
} stored_set;

static void stored_free(stored_set *s) {
    for (int i = 0; i < s->n; i++) {
        free(s->items[i].group);
        free(s->items[i].link);
        free(s->items[i].name);
    }
    free(s->items);
    memset(s, 0, sizeof *s);
}

static int stored_add_group(stored_set *s, hid_t base, const char *group, const char *path, ak_error *err) {
    if (!ak_h5_exists(base, group))
        return AK_OK;
    hid_t g;
    AK_TRY(ak_h5_group(base, group, false, &g, path, err));
    char **names = NULL;
    int n = 0;
    int rc = ak_h5_children(g, &names, &n, path, err);
    ak_h5_close(&g);
    for (int i = 0; rc == AK_OK && i < n; i++) {
        if (s->n == s->cap) {
            int cap = s->cap ? 2 * s->cap : 64;
            stored_item *items = realloc(s->items, (size_t)cap * sizeof *items);
            if (!items) {
                rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", path);
                break;
            }
            s->items = items;
            s->cap = cap;
        }
        char name[NAME_LEN];
        rc = ak_h5_unescape_name(names[i], name, sizeof name, err);
        if (rc != AK_OK)
            break;
        stored_item *it = &s->items[s->n];
        it->group = strdup(group);
        it->link = strdup(names[i]);
        it->name = strdup(name);
        it->matched = false;
        s->n++;
        if (!it->group || !it->link || !it->name)
            rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", path);
    }
    ak_h5_strs_free(names, n);
    return rc;
}

static stored_item *stored_find(stored_set *s, const char *group, const char *name) {
    for (int i = 0; i < s->n; i++)
        if (!s->items[i].matched && strcmp(s->items[i].group, group) == 0 && strcmp(s->items[i].name, name) == 0)
            return &s->items[i];
    return NULL;
}

/* Compare the stored dataset with the expected dtype and shape; on mismatch add it to `bad`. */
static void check_item(hid_t base, const stored_item *it, ak_h5_dtype t, int ndim, const int64_t *shape,
                       ak_name_list *bad) {
    char path[2 * NAME_LEN + 4], want[128], got[128] = "?", got_type[32] = "?";
    snprintf(path, sizeof path, "%s/%s", it->group, it->link);
    ak_dims_str(ndim, shape, want, sizeof want);
    hid_t d = H5Dopen2(base, path, H5P_DEFAULT);
    hid_t type = d < 0 ? H5I_INVALID_HID : H5Dget_type(d);
    hid_t space = d < 0 ? H5I_INVALID_HID : H5Dget_space(d);
    bool ok = d >= 0 && type >= 0 && space >= 0;
    if (type >= 0)
        ak_h5_type_name(type, got_type, sizeof got_type);
    if (ok) {
        hsize_t dims[AK_H5_MAX_DIMS];
        int nd = H5Sget_simple_extent_ndims(space);
        if (nd >= 0 && nd <= AK_H5_MAX_DIMS && H5Sget_simple_extent_dims(space, dims, NULL) >= 0) {
            int64_t s64[AK_H5_MAX_DIMS] = {0};
            for (int i = 0; i < nd; i++)
                s64[i] = (int64_t)dims[i];
            ak_dims_str(nd, s64, got, sizeof got);
            ok = ak_h5_type_is(type, t) && nd == ndim;
            for (int i = 0; ok && i < nd; i++)
                ok = s64[i] == shape[i];
        } else {
            ok = false;
        }
    }
    ak_h5_close(&space);
    ak_h5_close(&type);
    ak_h5_close(&d);
    H5Eclear2(H5E_DEFAULT);
    if (!ok)
        ak_name_list_add(bad, "%s%s%s stored %s %s, expected %s %s", strcmp(it->group, "params") ? it->group : "",
                 strcmp(it->group, "params") ? "/" : "", it->name, got_type, got, ak_h5_dtype_name(t), want);
}

static int load(const char *path, ak_ckpt_meta *meta, ak_params *ps, ak_ckpt_array *ex, int n_ex, bool params_only,
                ak_error *err) {
    if (!params_only)
        AK_TRY(check_extras(path, ex, n_ex, true, err));
    hid_t f, base;
    AK_TRY(open_base(path, &f, &base, err));
    ak_ckpt_meta m;
    stored_set st = {0};
    int rc = read_meta(base, path, &m, err);
    if (rc == AK_OK)
        rc = stored_add_group(&st, base, "params", path, err);
    if (rc == AK_OK && !params_only) {
        char **groups = NULL;
        int ng = 0;
        rc = ak_h5_children(base, &groups, &ng, path, err);
        for (int i = 0; rc == AK_OK && i < ng; i++)
            if (strcmp(groups[i], "params") != 0)
                rc = stored_add_group(&st, base, groups[i], path, err);
        ak_h5_strs_free(groups, ng);
    }
    /* Match every requested name to a stored one, collecting every problem before failing. */
    ak_name_list missing = {0}, unexpected = {0}, bad = {0};
    stored_item **p_items = NULL, **e_items = NULL;
    if (rc == AK_OK) {
        p_items = calloc((size_t)(ps ? ps->n : 0) + 1, sizeof *p_items);
        e_items = calloc((size_t)n_ex + 1, sizeof *e_items);
        if (!p_items || !e_items)
            rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", path);
    }
    for (int i = 0; rc == AK_OK && ps && i < ps->n; i++) {
        const ak_param *p = &ps->items[i];
        if (p->t->device != AK_DEV_CPU)
            rc = ak_error_set(err, AK_EUNSUP, "%s: parameter %s is not in host memory", path, p->name);
        else if (!(p_items[i] = stored_find(&st, "params", p->name)))
            ak_name_list_add(&missing, "%s", p->name);
        else {
            p_items[i]->matched = true;
            check_item(base, p_items[i], AK_H5_F32, p->t->ndim, p->t->shape, &bad);
        }
    }
    for (int i = 0; rc == AK_OK && !params_only && i < n_ex; i++) {
        if (!(e_items[i] = stored_find(&st, ex[i].group, ex[i].name)))
            ak_name_list_add(&missing, "%s/%s", ex[i].group, ex[i].name);
        else {
            e_items[i]->matched = true;
            check_item(base, e_items[i], h5_type(ex[i].dtype), ex[i].ndim, ex[i].shape, &bad);
        }
    }
    for (int i = 0; rc == AK_OK && i < st.n; i++)
        if (!st.items[i].matched)
            ak_name_list_add(&unexpected, "%s%s%s", strcmp(st.items[i].group, "params") ? st.items[i].group : "",
                     strcmp(st.items[i].group, "params") ? "/" : "", st.items[i].name);
    if (rc == AK_OK && (missing.n || unexpected.n || bad.n)) {
        char detail[AK_ERROR_MSG_LEN] = "";
        ak_name_list_emit(detail, sizeof detail, "missing", &missing);
        ak_name_list_emit(detail, sizeof detail, "unexpected", &unexpected);
        ak_name_list_emit(detail, sizeof detail, "mis-shaped", &bad);
        rc = ak_error_set(err, missing.n || unexpected.n ? AK_EFORMAT : AK_ESHAPE,
                          "%s: checkpoint does not match the model: %s", path, detail);
    }
    /* All names match: copy the data. */
    char where[2 * NAME_LEN + 4];
    for (int i = 0; rc == AK_OK && ps && i < ps->n; i++) {
        snprintf(where, sizeof where, "params/%s", p_items[i]->link);
        rc = ak_h5_read(base, where, AK_H5_F32, ps->items[i].t->numel, ps->items[i].t->data, path, err);
    }
    for (int i = 0; rc == AK_OK && !params_only && i < n_ex; i++) {
        int64_t numel = 1;
        for (int d = 0; d < ex[i].ndim; d++)
            numel *= ex[i].shape[d];
        snprintf(where, sizeof where, "%s/%s", e_items[i]->group, e_items[i]->link);
        rc = ak_h5_read(base, where, h5_type(ex[i].dtype), numel, ex[i].data, path, err);
    }
    if (rc == AK_OK && meta)
        *meta = m;
    free(p_items);
    free(e_items);
    stored_free(&st);
    ak_h5_close(&base);
    ak_h5_close(&f);
    return rc;
}

int ak_ckpt_load(const char *path, ak_ckpt_meta *meta, ak_params *params, ak_ckpt_array *extras, int n_extras,
                 ak_error *err) {
    return load(path, meta, params, extras, n_extras, false, err);
}

int ak_ckpt_load_params(const char *path, ak_ckpt_meta *meta, ak_params *params, ak_error *err) {
    return load(path, meta, params, NULL, 0, true, err);
}
