/* HDF5 helpers, part 2: typed attributes (strings, string lists, int64 / uint64 / float64
 * scalars) with class checks on reading; see h5util.h. */
#include "store/h5util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ak_h5_attr_exists(hid_t obj, const char *name) {
    htri_t r = H5Aexists(obj, name);
    H5Eclear2(H5E_DEFAULT);
    return r > 0;
}

/* Create (replacing any existing) attribute and write buf of memory type mtype. */
static int attr_put(hid_t obj, const char *name, hid_t ftype, hid_t mtype, hid_t space, const void *buf,
                    const char *file, ak_error *err) {
    char where[AK_H5_PATH_LEN + 256];
    if (ak_h5_attr_exists(obj, name) && H5Adelete(obj, name) < 0)
        return ak_h5_fail(err, AK_EIO, "%s: attribute '%s': cannot replace",
                          ak_h5_where(where, sizeof where, file, obj, NULL), name);
    hid_t a = H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0)
        return ak_h5_fail(err, AK_EIO, "%s: attribute '%s': cannot create",
                          ak_h5_where(where, sizeof where, file, obj, NULL), name);
    if (buf && H5Awrite(a, mtype, buf) < 0) {
        ak_h5_fail(err, AK_EIO, "%s: attribute '%s': write failed", ak_h5_where(where, sizeof where, file, obj, NULL),
                   name);
        H5Aclose(a);
        return err ? err->code : AK_EIO;
    }
    if (H5Aclose(a) < 0)
        return ak_h5_fail(err, AK_EIO, "%s: attribute '%s': close failed",
                          ak_h5_where(where, sizeof where, file, obj, NULL), name);
    return AK_OK;
}

int ak_h5_attr_put_str(hid_t obj, const char *name, const char *value, const char *file, ak_error *err) {
    hid_t t = ak_h5_vlen_str_type(), s = H5Screate(H5S_SCALAR);
    int rc = (t < 0 || s < 0) ? ak_h5_fail(err, AK_ENOMEM, "%s: attribute '%s': cannot make string type",
                                           file, name)
                              : attr_put(obj, name, t, t, s, &value, file, err);
    ak_h5_close(&t);
    ak_h5_close(&s);
    return rc;
}

int ak_h5_attr_put_strs(hid_t obj, const char *name, const char *const *v, int n, const char *file,
                        ak_error *err) {
    /* An empty list is a null dataspace (HDF5 has no zero-length simple attribute). */
    hsize_t dim = (hsize_t)n;
    hid_t t = ak_h5_vlen_str_type(), s = n > 0 ? H5Screate_simple(1, &dim, NULL) : H5Screate(H5S_NULL);
    int rc = (t < 0 || s < 0) ? ak_h5_fail(err, AK_ENOMEM, "%s: attribute '%s': cannot make string type",
                                           file, name)
                              : attr_put(obj, name, t, t, s, n > 0 ? (const void *)v : NULL, file, err);
    ak_h5_close(&t);
    ak_h5_close(&s);
    return rc;
}

/* Open attribute `name` and check its class; on success *a and *type are open. */
static int attr_open(hid_t obj, const char *name, H5T_class_t want, const char *want_name, hid_t *a, hid_t *type,
                     const char *file, ak_error *err) {
    char where[AK_H5_PATH_LEN + 256];
    *a = *type = H5I_INVALID_HID;
    if (!ak_h5_attr_exists(obj, name))
        return ak_error_set(err, AK_EFORMAT, "%s: missing attribute '%s'",
                            ak_h5_where(where, sizeof where, file, obj, NULL), name);
    *a = H5Aopen(obj, name, H5P_DEFAULT);
    if (*a < 0)
        return ak_h5_fail(err, AK_EFORMAT, "%s: attribute '%s': cannot open",
                          ak_h5_where(where, sizeof where, file, obj, NULL), name);
    *type = H5Aget_type(*a);
    if (*type < 0 || H5Tget_class(*type) != want) {
        char found[64] = "?";
        if (*type >= 0)
            ak_h5_type_name(*type, found, sizeof found);
        ak_h5_close(type);
        ak_h5_close(a);
        return ak_error_set(err, AK_EFORMAT, "%s: attribute '%s' has dtype %s, expected %s",
                            ak_h5_where(where, sizeof where, file, obj, NULL), name, found, want_name);
    }
    return AK_OK;
}

/* Number of elements of an attribute's dataspace (1 for scalar). */
static int64_t attr_numel(hid_t a) {
    hid_t s = H5Aget_space(a);
    if (s < 0)
        return -1;
    hssize_t n = H5Sget_simple_extent_npoints(s);
    H5Sclose(s);
    return (int64_t)n;
}

/* Read n strings (VL or fixed-length) of attribute a into malloc'd copies. */
static int attr_read_strings(hid_t a, hid_t type, int64_t n, char **out, const char *what, ak_error *err) {
    if (H5Tis_variable_str(type) > 0) {
        hid_t mt = ak_h5_vlen_str_type();
        char **tmp = calloc((size_t)(n > 0 ? n : 1), sizeof *tmp);
        if (mt < 0 || !tmp) {
            ak_h5_close(&mt);
            free(tmp);
            return ak_error_set(err, AK_ENOMEM, "%s: out of memory", what);
        }
        if (H5Aread(a, mt, tmp) < 0) {
            ak_h5_close(&mt);
            free(tmp);
            return ak_h5_fail(err, AK_EIO, "%s: read failed", what);
        }
        int rc = AK_OK;
        for (int64_t i = 0; i < n; i++) {
            out[i] = strdup(tmp[i] ? tmp[i] : "");
            if (!out[i])
                rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", what);
            H5free_memory(tmp[i]);
        }
        ak_h5_close(&mt);
        free(tmp);
        return rc;
    }
    size_t size = H5Tget_size(type);
    hid_t mt = H5Tcopy(H5T_C_S1);
    char *buf = malloc((size_t)(n > 0 ? n : 1) * (size + 1));
    if (mt < 0 || !buf || H5Tset_size(mt, size + 1) < 0 || H5Tset_strpad(mt, H5T_STR_NULLTERM) < 0) {
        ak_h5_close(&mt);
        free(buf);
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", what);
    }
    int rc = AK_OK;
    if (H5Aread(a, mt, buf) < 0)
        rc = ak_h5_fail(err, AK_EIO, "%s: read failed", what);
    for (int64_t i = 0; rc == AK_OK && i < n; i++) {
        buf[(size_t)i * (size + 1) + size] = '\0';
        out[i] = strdup(buf + (size_t)i * (size + 1));
        if (!out[i])
            rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", what);
    }
    ak_h5_close(&mt);
    free(buf);
    return rc;
}

int ak_h5_attr_get_str(hid_t obj, const char *name, char **out, const char *file, ak_error *err) {
    hid_t a, t;
    *out = NULL;
    AK_TRY(attr_open(obj, name, H5T_STRING, "string", &a, &t, file, err));
    char where[AK_H5_PATH_LEN + 256], what[AK_H5_PATH_LEN + 320];
    snprintf(what, sizeof what, "%s: attribute '%s'", ak_h5_where(where, sizeof where, file, obj, NULL), name);
    int rc;
    if (attr_numel(a) != 1)
        rc = ak_error_set(err, AK_EFORMAT, "%s: expected a single string", what);
    else
        rc = attr_read_strings(a, t, 1, out, what, err);
    ak_h5_close(&t);
    ak_h5_close(&a);
    return rc;
}

int ak_h5_attr_get_strs(hid_t obj, const char *name, char ***out, int *n, const char *file, ak_error *err) {
    hid_t a, t;
    *out = NULL;
    *n = 0;
    AK_TRY(attr_open(obj, name, H5T_STRING, "string", &a, &t, file, err));
    char where[AK_H5_PATH_LEN + 256], what[AK_H5_PATH_LEN + 320];
    snprintf(what, sizeof what, "%s: attribute '%s'", ak_h5_where(where, sizeof where, file, obj, NULL), name);
    int64_t count = attr_numel(a);
    char **v = calloc((size_t)(count > 0 ? count : 1), sizeof *v);
    int rc = count < 0 ? ak_h5_fail(err, AK_EFORMAT, "%s: bad dataspace", what)
             : !v      ? ak_error_set(err, AK_ENOMEM, "%s: out of memory", what)
             : count == 0 ? AK_OK
                       : attr_read_strings(a, t, count, v, what, err);
    ak_h5_close(&t);
    ak_h5_close(&a);
    if (rc != AK_OK) {
        ak_h5_strs_free(v, (int)(count > 0 ? count : 0));
        return rc;
    }
    *out = v;
    *n = (int)count;
    return AK_OK;
}

static int attr_put_num(hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *v, const char *file,
                        ak_error *err) {
    hid_t s = H5Screate(H5S_SCALAR);
    if (s < 0)
        return ak_h5_fail(err, AK_ENOMEM, "%s: attribute '%s': cannot make dataspace", file, name);
    int rc = attr_put(obj, name, ftype, mtype, s, v, file, err);
    ak_h5_close(&s);
    return rc;
}

static int attr_get_num(hid_t obj, const char *name, H5T_class_t cls, const char *cls_name, hid_t mtype, void *v,
                        const char *file, ak_error *err) {
    hid_t a, t;
    AK_TRY(attr_open(obj, name, cls, cls_name, &a, &t, file, err));
    char where[AK_H5_PATH_LEN + 256];
    int rc = AK_OK;
    if (attr_numel(a) != 1)
        rc = ak_error_set(err, AK_EFORMAT, "%s: attribute '%s': expected a scalar",
                          ak_h5_where(where, sizeof where, file, obj, NULL), name);
    else if (H5Aread(a, mtype, v) < 0)
        rc = ak_h5_fail(err, AK_EIO, "%s: attribute '%s': read failed",
                        ak_h5_where(where, sizeof where, file, obj, NULL), name);
    ak_h5_close(&t);
    ak_h5_close(&a);
    return rc;
}

int ak_h5_attr_put_i64(hid_t obj, const char *name, int64_t v, const char *file, ak_error *err) {
    return attr_put_num(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v, file, err);
}
int ak_h5_attr_get_i64(hid_t obj, const char *name, int64_t *v, const char *file, ak_error *err) {
    return attr_get_num(obj, name, H5T_INTEGER, "integer", H5T_NATIVE_INT64, v, file, err);
}
int ak_h5_attr_put_u64(hid_t obj, const char *name, uint64_t v, const char *file, ak_error *err) {
    return attr_put_num(obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v, file, err);
}
int ak_h5_attr_get_u64(hid_t obj, const char *name, uint64_t *v, const char *file, ak_error *err) {
    return attr_get_num(obj, name, H5T_INTEGER, "integer", H5T_NATIVE_UINT64, v, file, err);
}
int ak_h5_attr_put_f64(hid_t obj, const char *name, double v, const char *file, ak_error *err) {
    return attr_put_num(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v, file, err);
}
int ak_h5_attr_get_f64(hid_t obj, const char *name, double *v, const char *file, ak_error *err) {
    return attr_get_num(obj, name, H5T_FLOAT, "float", H5T_NATIVE_DOUBLE, v, file, err);
}
