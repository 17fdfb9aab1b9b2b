/* The HDF5 half of ak_weights_file (see weights_file.h): lists the datasets of an h5py-style state
 * dict or the /params group of an akdbench checkpoint / run file, reads them converted to float32
 * (HDF5's own type conversion: float16 / float64 / integers -> float), and writes flat state dicts. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/checkpoint.h"
#include "store/h5util.h"
#include "store/runfile.h"
#include "store/weights_file_internal.h"

_Static_assert(sizeof(hid_t) == sizeof(int64_t), "an hid_t fits ak_weights_file.h5");

/* Fill kind, dtype, ndim, shape, numel of the dataset `rel` (relative to loc). */
static int describe(const ak_weights_file *wf, hid_t loc, const char *rel, ak_wf_entry *e, ak_error *err) {
    hid_t d = H5Dopen2(loc, rel, H5P_DEFAULT);
    hid_t type = d < 0 ? H5I_INVALID_HID : H5Dget_type(d);
    hid_t space = d < 0 ? H5I_INVALID_HID : H5Dget_space(d);
    int rc = AK_OK;
    if (d < 0 || type < 0 || space < 0) {
        rc = ak_h5_fail(err, AK_EFORMAT, "%s: %s: cannot open the dataset (corrupt file?)", wf->path, e->where);
        goto done;
    }
    ak_h5_type_name(type, e->dtype, sizeof e->dtype);
    H5T_class_t c = H5Tget_class(type);
    e->kind = c == H5T_FLOAT ? AK_WF_FLOAT : c == H5T_INTEGER ? AK_WF_INT : AK_WF_OTHER;
    H5S_class_t sc = H5Sget_simple_extent_type(space);
    int nd = H5Sget_simple_extent_ndims(space);
    if (sc == H5S_NULL) {
        e->kind = AK_WF_OTHER;
        snprintf(e->dtype, sizeof e->dtype, "null dataspace");
        e->ndim = 0;
        e->numel = 0;
        goto done;
    }
    if (nd < 0 || nd > AK_WF_MAX_DIMS) {
        rc = ak_h5_fail(err, AK_EFORMAT, "%s: %s: %d dimensions (at most %d)", wf->path, e->where, nd, AK_WF_MAX_DIMS);
        goto done;
    }
    hsize_t dims[AK_WF_MAX_DIMS];
    if (nd > 0 && H5Sget_simple_extent_dims(space, dims, NULL) < 0) {
        rc = ak_h5_fail(err, AK_EFORMAT, "%s: %s: cannot read the shape", wf->path, e->where);
        goto done;
    }
    e->ndim = nd;
    e->numel = 1;
    for (int i = 0; i < nd; i++) {
        if (dims[i] > (hsize_t)INT64_MAX || (dims[i] > 0 && e->numel > INT64_MAX / (int64_t)dims[i])) {
            rc = ak_error_set(err, AK_EFORMAT, "%s: %s: the shape's element count overflows", wf->path, e->where);
            goto done;
        }
        e->shape[i] = (int64_t)dims[i];
        e->numel *= e->shape[i];
    }
done:
    ak_h5_close(&space);
    ak_h5_close(&type);
    ak_h5_close(&d);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

typedef struct visit_ctx {
    ak_weights_file *wf;
    hid_t root;
    ak_error *err;
    int rc;
} visit_ctx;

/* h5py layout: every dataset; key = path with '/' -> '.'. */
static herr_t visit(hid_t obj, const char *name, const H5O_info_t *info, void *data) {
    (void)obj;
    visit_ctx *v = data;
    if (info->type != H5O_TYPE_DATASET)
        return 0;
    size_t len = strlen(name);
    char *key = malloc(len + 1), *where = malloc(len + 2);
    if (!key || !where) {
        free(key);
        free(where);
        v->rc = ak_error_set(v->err, AK_ENOMEM, "%s: out of memory", v->wf->path);
        return -1;
    }
    for (size_t i = 0; i <= len; i++)
        key[i] = name[i] == '/' ? '.' : name[i];
    snprintf(where, len + 2, "/%s", name);
    ak_wf_entry e;
    memset(&e, 0, sizeof e);
    e.name = key;
    e.where = where;
    v->rc = describe(v->wf, v->root, name, &e, v->err);
    if (v->rc == AK_OK)
        v->rc = ak__wf_add(v->wf, &e, v->err);
    free(key);
    free(where);
    return v->rc == AK_OK ? 0 : -1;
}

/* akdbench layout: the datasets directly in `group` (path for messages), names unescaped. */
static int list_params(ak_weights_file *wf, hid_t file, const char *group, ak_error *err) {
    hid_t g;
    if (!ak_h5_exists(file, group + 1))
        return ak_error_set(err, AK_EFORMAT, "%s: %s format but no %s group", wf->path, wf->layout, group);
    AK_TRY(ak_h5_group(file, group + 1, false, &g, wf->path, err));
    char **names = NULL;
    int n = 0;
    int rc = ak_h5_children(g, &names, &n, wf->path, err);
    for (int i = 0; rc == AK_OK && i < n; i++) {
        char key[3 * 512 + 1], where[4 * 512];
        rc = ak_h5_unescape_name(names[i], key, sizeof key, err);
        if (rc != AK_OK) {
            ak_error_prefix(err, "%s: %s/%s", wf->path, group, names[i]);
            break;
        }
        snprintf(where, sizeof where, "%s/%s", group, names[i]);
        ak_wf_entry e;
        memset(&e, 0, sizeof e);
        e.name = key;
        e.where = where;
        rc = describe(wf, g, names[i], &e, err);
        if (rc == AK_OK)
            rc = ak__wf_add(wf, &e, err);
    }
    ak_h5_strs_free(names, n);
    ak_h5_close(&g);
    return rc;
}

/* The root's (or a group's) `format` attribute when it is a readable string, else "". */
static void format_of(hid_t obj, char *out, size_t len) {
    out[0] = '\0';
    if (!ak_h5_attr_exists(obj, "format"))
        return;
    char *s = NULL;
    ak_error e;
    ak_error_clear(&e);
    if (ak_h5_attr_get_str(obj, "format", &s, "", &e) == AK_OK)
        snprintf(out, len, "%s", s);
    free(s);
    H5Eclear2(H5E_DEFAULT);
}

int ak__wf_h5_open(ak_weights_file *wf, ak_error *err) {
    ak_h5_quiet();
    hid_t file = ak_h5_file_open(wf->path, H5F_ACC_RDONLY);
    if (file < 0)
        return ak_h5_fail(err, AK_EFORMAT, "%s: cannot open as HDF5 (corrupt or truncated)", wf->path);
    wf->h5 = file;
    /* The format attribute is a variable-length string, and libhdf5 1.10 crashes or hangs reading
     * some corrupt ones (tests/fuzz/README.md): read it only where an akdbench layout is possible,
     * so that plain state dicts from elsewhere never take that path. */
    char format[64] = "";
    if (ak_h5_exists(file, "params") || ak_h5_exists(file, "checkpoint") || ak_h5_exists(file, "train"))
        format_of(file, format, sizeof format);
    int rc = AK_OK;
    if (strcmp(format, AK_CKPT_FORMAT) == 0) {
        snprintf(wf->layout, sizeof wf->layout, "%s", format);
        rc = list_params(wf, file, "/params", err);
    } else if (strcmp(format, AK_RUN_FORMAT) == 0) {
        snprintf(wf->layout, sizeof wf->layout, "%s", format);
        char inner[64] = "";
        hid_t g = H5I_INVALID_HID;
        if (!ak_h5_exists(file, "checkpoint"))
            rc = ak_error_set(err, AK_EFORMAT, "%s: run file without final weights (/checkpoint: the run did not "
                              "complete)", wf->path);
        else if ((rc = ak_h5_group(file, "checkpoint", false, &g, wf->path, err)) == AK_OK)
            format_of(g, inner, sizeof inner);
        ak_h5_close(&g);
        if (rc == AK_OK && strcmp(inner, AK_CKPT_FORMAT) != 0)
            rc = ak_error_set(err, AK_EVERSION, "%s: /checkpoint format '%s', expected '%s'", wf->path, inner,
                              AK_CKPT_FORMAT);
        if (rc == AK_OK)
            rc = list_params(wf, file, "/checkpoint/params", err);
    } else if (strncmp(format, "akdbench-", 9) == 0 && strcmp(format, AK_WEIGHTS_FORMAT) != 0) {
        rc = ak_error_set(err, AK_EVERSION, "%s: format '%s' is not a weight file this version reads (%s, %s, %s; "
                          "re-export it with this akdbench)", wf->path, format, AK_CKPT_FORMAT, AK_RUN_FORMAT,
                          AK_WEIGHTS_FORMAT);
    } else {
        snprintf(wf->layout, sizeof wf->layout, "%s", format[0] ? format : "h5py");
        visit_ctx v = {wf, file, err, AK_OK};
        herr_t h = H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, visit, &v, H5O_INFO_BASIC);
        rc = v.rc;
        if (rc == AK_OK && h < 0)
            rc = ak_h5_fail(err, AK_EFORMAT, "%s: cannot walk the file's groups (corrupt file?)", wf->path);
    }
    H5Eclear2(H5E_DEFAULT);
    if (rc != AK_OK)
        ak__wf_h5_close(wf);
    return rc;
}

int ak__wf_h5_read_f32(const ak_weights_file *wf, const ak_wf_entry *e, float *out, ak_error *err) {
    hid_t d = H5Dopen2((hid_t)wf->h5, e->where, H5P_DEFAULT);
    int rc = AK_OK;
    /* H5S_ALL: the whole dataset, whose element count open() recorded and the caller checked. */
    if (d < 0 || (e->numel > 0 && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0))
        rc = ak_h5_fail(err, AK_EFORMAT, "%s: %s: cannot read %s as float32 (corrupt data, or a compression "
                        "filter this HDF5 lacks)", wf->path, e->where, e->dtype);
    ak_h5_close(&d);
    return rc;
}

void ak__wf_h5_close(ak_weights_file *wf) {
    hid_t f = (hid_t)wf->h5;
    ak_h5_close(&f);
    wf->h5 = -1;
}

int ak__wf_h5_write(const char *tmp, const ak_st_write_entry *entries, int n, const ak_st_meta *meta, int n_meta,
                    ak_error *err) {
    ak_h5_quiet();
    for (int i = 0; i < n; i++)
        if (!entries[i].name || !entries[i].name[0] || strchr(entries[i].name, '/') || strcmp(entries[i].name, ".") == 0)
            return ak_error_set(err, AK_EINVAL, "%s: tensor name '%s' cannot be an HDF5 dataset name (empty, '.' or "
                                "contains '/')", tmp, entries[i].name ? entries[i].name : "(null)");
    hid_t f = ak_h5_file_create(tmp);
    if (f < 0)
        return ak_h5_fail(err, AK_EIO, "%s: cannot create", tmp);
    hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
    int rc = root < 0 ? ak_h5_fail(err, AK_EIO, "%s: cannot open /", tmp) : AK_OK;
    for (int i = 0; rc == AK_OK && i < n_meta; i++)
        rc = ak_h5_attr_put_str(root, meta[i].key, meta[i].value, tmp, err);
    for (int i = 0; rc == AK_OK && i < n; i++)
        rc = ak_h5_write(root, entries[i].name, AK_H5_F32, entries[i].ndim, entries[i].shape, entries[i].data, NULL,
                         tmp, err);
    ak_h5_close(&root);
    if (H5Fclose(f) < 0 && rc == AK_OK)
        rc = ak_h5_fail(err, AK_EIO, "%s: close failed (disk full?)", tmp);
    return rc;
}
