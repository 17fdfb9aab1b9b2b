/* HDF5 helpers, part 3: datasets (create + write with a storage layout, strict dtype / shape
 * checks on reading, row ranges, 1-D append / resize) and 1-D string datasets; see h5util.h. */
#include "store/h5util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hid_t file_type(ak_h5_dtype t) {
    switch (t) {
    case AK_H5_F32: return H5T_IEEE_F32LE;
    case AK_H5_F64: return H5T_IEEE_F64LE;
    case AK_H5_I64: return H5T_STD_I64LE;
    case AK_H5_U64: return H5T_STD_U64LE;
    }
    return H5I_INVALID_HID;
}

int ak_h5_write(hid_t loc, const char *name, ak_h5_dtype t, int ndim, const int64_t *shape, const void *data,
                const ak_h5_layout *layout, const char *file, ak_error *err) {
    char where[AK_H5_PATH_LEN + 256];
    ak_h5_where(where, sizeof where, file, loc, name);
    if (ndim < 0 || ndim > AK_H5_MAX_DIMS)
        return ak_error_set(err, AK_EINVAL, "%s: %d dimensions (at most %d)", where, ndim, AK_H5_MAX_DIMS);
    if (ak_h5_exists(loc, name))
        return ak_error_set(err, AK_EINVAL, "%s: already exists", where);
    hsize_t dims[AK_H5_MAX_DIMS], maxdims[AK_H5_MAX_DIMS], chunk[AK_H5_MAX_DIMS];
    int64_t numel = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return ak_error_set(err, AK_EINVAL, "%s: negative dimension %d", where, i);
        dims[i] = maxdims[i] = (hsize_t)shape[i];
        numel *= shape[i];
    }
    bool chunked = layout && layout->chunk;
    if (layout && (layout->extendable || layout->deflate >= 0) && !chunked)
        return ak_error_set(err, AK_EINVAL, "%s: extendable or compressed datasets need a chunk shape", where);
    if (chunked && ndim == 0)
        return ak_error_set(err, AK_EINVAL, "%s: a scalar cannot be chunked", where);
    if (layout && layout->extendable)
        maxdims[0] = H5S_UNLIMITED;

    int rc = AK_OK;
    hid_t space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID, dset = H5I_INVALID_HID;
    space = ndim == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(ndim, dims, maxdims);
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (space < 0 || dcpl < 0) {
        rc = ak_h5_fail(err, AK_ENOMEM, "%s: cannot make dataspace", where);
        goto done;
    }
    /* The fill value is never needed (every element is written), so skip writing it at allocation. */
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    if (chunked) {
        for (int i = 0; i < ndim; i++)
            chunk[i] = (hsize_t)(layout->chunk[i] > 0 ? layout->chunk[i] : 1);
        if (H5Pset_chunk(dcpl, ndim, chunk) < 0 || (layout->shuffle && H5Pset_shuffle(dcpl) < 0) ||
            (layout->deflate >= 0 && H5Pset_deflate(dcpl, (unsigned)layout->deflate) < 0)) {
            rc = ak_h5_fail(err, AK_EINVAL, "%s: cannot set chunking / compression", where);
            goto done;
        }
    }
    dset = H5Dcreate2(loc, name, file_type(t), space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dset < 0) {
        rc = ak_h5_fail(err, AK_EIO, "%s: cannot create dataset", where);
        goto done;
    }
    if (numel > 0 && H5Dwrite(dset, ak_h5_mem_type(t), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
        rc = ak_h5_fail(err, AK_EIO, "%s: write failed", where);
        goto done;
    }
    if (H5Dclose(dset) < 0) {
        dset = H5I_INVALID_HID;
        rc = ak_h5_fail(err, AK_EIO, "%s: write failed (closing the dataset)", where);
        goto done;
    }
    dset = H5I_INVALID_HID;
done:
    ak_h5_close(&dset);
    ak_h5_close(&dcpl);
    ak_h5_close(&space);
    return rc;
}

/* Check the open dataset's dtype and report its shape. */
static int dset_shape(hid_t dset, ak_h5_dtype t, int *ndim, int64_t *shape, const char *where, ak_error *err) {
    hid_t type = H5Dget_type(dset);
    if (type < 0)
        return ak_h5_fail(err, AK_EFORMAT, "%s: cannot read dtype", where);
    if (!ak_h5_type_is(type, t)) {
        char found[64];
        ak_h5_type_name(type, found, sizeof found);
        H5Tclose(type);
        return ak_error_set(err, AK_EFORMAT, "%s: dtype %s, expected %s", where, found, ak_h5_dtype_name(t));
    }
    H5Tclose(type);
    hid_t space = H5Dget_space(dset);
    int nd = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    if (nd < 0 || nd > AK_H5_MAX_DIMS) {
        ak_h5_close(&space);
        return ak_h5_fail(err, AK_EFORMAT, "%s: unsupported dataspace", where);
    }
    hsize_t dims[AK_H5_MAX_DIMS];
    H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    *ndim = nd;
    for (int i = 0; i < nd; i++)
        shape[i] = (int64_t)dims[i];
    return AK_OK;
}

static int open_dataset(hid_t loc, const char *name, hid_t *dset, const char *where, ak_error *err) {
    *dset = H5I_INVALID_HID;
    if (!ak_h5_exists(loc, name))
        return ak_error_set(err, AK_EFORMAT, "%s: missing dataset", where);
    H5O_info_t info;
    if (H5Oget_info_by_name(loc, name, &info, H5P_DEFAULT) < 0)
        return ak_h5_fail(err, AK_EFORMAT, "%s: cannot inspect", where);
    if (info.type != H5O_TYPE_DATASET)
        return ak_error_set(err, AK_EFORMAT, "%s: is not a dataset", where);
    *dset = H5Dopen2(loc, name, H5P_DEFAULT);
    if (*dset < 0)
        return ak_h5_fail(err, AK_EFORMAT, "%s: cannot open dataset", where);
    return AK_OK;
}

int ak_h5_shape(hid_t loc, const char *name, ak_h5_dtype t, int *ndim, int64_t shape[AK_H5_MAX_DIMS],
                const char *file, ak_error *err) {
    char where[AK_H5_PATH_LEN + 256];
    ak_h5_where(where, sizeof where, file, loc, name);
    hid_t dset;
    AK_TRY(open_dataset(loc, name, &dset, where, err));
    int rc = dset_shape(dset, t, ndim, shape, where, err);
    ak_h5_close(&dset);
    return rc;
}

int ak_h5_read(hid_t loc, const char *name, ak_h5_dtype t, int64_t numel, void *out, const char *file,
               ak_error *err) {
    char where[AK_H5_PATH_LEN + 256];
    ak_h5_where(where, sizeof where, file, loc, name);
    hid_t dset;
    AK_TRY(open_dataset(loc, name, &dset, where, err));
    int nd;
    int64_t shape[AK_H5_MAX_DIMS];
    int rc = dset_shape(dset, t, &nd, shape, where, err);
    if (rc == AK_OK) {
        int64_t n = 1;
        for (int i = 0; i < nd; i++)
            n *= shape[i];
        if (n != numel)
            rc = ak_error_set(err, AK_ESHAPE, "%s: %lld elements, expected %lld", where, (long long)n,
                              (long long)numel);
        else if (n > 0 && H5Dread(dset, ak_h5_mem_type(t), H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
            rc = ak_h5_fail(err, AK_EIO, "%s: read failed", where);
    }
    ak_h5_close(&dset);
    return rc;
}

int ak_h5_read_scalar(hid_t loc, const char *name, ak_h5_dtype t, void *out, const char *file, ak_error *err) {
    return ak_h5_read(loc, name, t, 1, out, file, err);
}

int ak_h5_len(hid_t dset, int64_t *len, const char *file, ak_error *err) {
    char where[AK_H5_PATH_LEN + 256];
    hid_t space = H5Dget_space(dset);
    hsize_t dims[AK_H5_MAX_DIMS];
    int nd = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    if (nd < 1 || nd > AK_H5_MAX_DIMS || H5Sget_simple_extent_dims(space, dims, NULL) < 0) {
        ak_h5_fail(err, AK_EFORMAT, "%s: expected an array", ak_h5_where(where, sizeof where, file, dset, NULL));
        ak_h5_close(&space);
        return err ? err->code : AK_EFORMAT;
    }
    H5Sclose(space);
    *len = (int64_t)dims[0];
    return AK_OK;
}

int ak_h5_read_rows(hid_t dset, ak_h5_dtype t, int64_t start, int64_t count, void *out, const char *file,
                    ak_error *err) {
    char where[AK_H5_PATH_LEN + 256];
    ak_h5_where(where, sizeof where, file, dset, NULL);
    hid_t fspace = H5Dget_space(dset), mspace = H5I_INVALID_HID;
    int rc = AK_OK;
    hsize_t dims[AK_H5_MAX_DIMS], off[AK_H5_MAX_DIMS] = {0}, cnt[AK_H5_MAX_DIMS];
    int nd = fspace < 0 ? -1 : H5Sget_simple_extent_ndims(fspace);
    if (nd < 1 || nd > AK_H5_MAX_DIMS) {
        rc = ak_h5_fail(err, AK_EFORMAT, "%s: expected an array", where);
        goto done;
    }
    H5Sget_simple_extent_dims(fspace, dims, NULL);
    if (start < 0 || count < 0 || (hsize_t)(start + count) > dims[0]) {
        rc = ak_error_set(err, AK_ERANGE, "%s: rows [%lld, %lld) outside [0, %llu)", where, (long long)start,
                          (long long)(start + count), (unsigned long long)dims[0]);
        goto done;
    }
    if (count == 0)
        goto done;
    memcpy(cnt, dims, sizeof dims);
    off[0] = (hsize_t)start;
    cnt[0] = (hsize_t)count;
    mspace = H5Screate_simple(nd, cnt, NULL);
    if (mspace < 0 || H5Sselect_hyperslab(fspace, H5S_SELECT_SET, off, NULL, cnt, NULL) < 0) {
        rc = ak_h5_fail(err, AK_ENOMEM, "%s: cannot select rows", where);
        goto done;
    }
    if (H5Dread(dset, ak_h5_mem_type(t), mspace, fspace, H5P_DEFAULT, out) < 0)
        rc = ak_h5_fail(err, AK_EIO, "%s: read of rows [%lld, %lld) failed", where, (long long)start,
                        (long long)(start + count));
done:
    ak_h5_close(&mspace);
    ak_h5_close(&fspace);
    return rc;
}

int ak_h5_append_1d(hid_t dset, ak_h5_dtype t, const void *data, int64_t n, int64_t *len, const char *file,
                    ak_error *err) {
    char where[AK_H5_PATH_LEN + 256];
    ak_h5_where(where, sizeof where, file, dset, NULL);
    int64_t old;
    AK_TRY(ak_h5_len(dset, &old, file, err));
    if (len)
        *len = old;
    if (n == 0)
        return AK_OK;
    hsize_t size = (hsize_t)(old + n), off = (hsize_t)old, cnt = (hsize_t)n;
    if (H5Dset_extent(dset, &size) < 0)
        return ak_h5_fail(err, AK_EIO, "%s: cannot extend to %lld rows", where, (long long)(old + n));
    hid_t fspace = H5Dget_space(dset), mspace = H5Screate_simple(1, &cnt, NULL);
    int rc = AK_OK;
    if (fspace < 0 || mspace < 0 || H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &off, NULL, &cnt, NULL) < 0)
        rc = ak_h5_fail(err, AK_ENOMEM, "%s: cannot select rows", where);
    else if (H5Dwrite(dset, ak_h5_mem_type(t), mspace, fspace, H5P_DEFAULT, data) < 0)
        rc = ak_h5_fail(err, AK_EIO, "%s: append of %lld rows failed", where, (long long)n);
    ak_h5_close(&mspace);
    ak_h5_close(&fspace);
    if (rc == AK_OK && len)
        *len = old + n;
    return rc;
}

int ak_h5_resize_1d(hid_t dset, int64_t len, const char *file, ak_error *err) {
    char where[AK_H5_PATH_LEN + 256];
    hsize_t size = (hsize_t)len;
    if (len < 0 || H5Dset_extent(dset, &size) < 0)
        return ak_h5_fail(err, AK_EIO, "%s: cannot resize to %lld rows",
                          ak_h5_where(where, sizeof where, file, dset, NULL), (long long)len);
    return AK_OK;
}

/* ---- string datasets ---- */

int ak_h5_write_strs(hid_t loc, const char *name, const char *const *v, int64_t n, const char *file, ak_error *err) {
    char where[AK_H5_PATH_LEN + 256];
    ak_h5_where(where, sizeof where, file, loc, name);
    if (ak_h5_exists(loc, name))
        return ak_error_set(err, AK_EINVAL, "%s: already exists", where);
    hsize_t dim = (hsize_t)n;
    hid_t t = ak_h5_vlen_str_type(), s = H5Screate_simple(1, &dim, NULL), d = H5I_INVALID_HID;
    int rc = AK_OK;
    if (t < 0 || s < 0)
        rc = ak_h5_fail(err, AK_ENOMEM, "%s: cannot make string type", where);
    else if ((d = H5Dcreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
        rc = ak_h5_fail(err, AK_EIO, "%s: cannot create dataset", where);
    else if (n > 0 && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
        rc = ak_h5_fail(err, AK_EIO, "%s: write failed", where);
    ak_h5_close(&d);
    ak_h5_close(&s);
    ak_h5_close(&t);
    return rc;
}

int ak_h5_read_strs(hid_t loc, const char *name, char ***out, int64_t *n_out, const char *file, ak_error *err) {
    char where[AK_H5_PATH_LEN + 256];
    ak_h5_where(where, sizeof where, file, loc, name);
    *out = NULL;
    *n_out = 0;
    hid_t d;
    AK_TRY(open_dataset(loc, name, &d, where, err));
    hid_t type = H5Dget_type(d), space = H5Dget_space(d), mt = H5I_INVALID_HID;
    int rc = AK_OK;
    int64_t n = 0;
    char **v = NULL;
    if (type < 0 || space < 0 || H5Tget_class(type) != H5T_STRING) {
        char found[64] = "?";
        if (type >= 0)
            ak_h5_type_name(type, found, sizeof found);
        rc = ak_error_set(err, AK_EFORMAT, "%s: dtype %s, expected string", where, found);
        goto done;
    }
    if (H5Sget_simple_extent_ndims(space) != 1) {
        rc = ak_error_set(err, AK_EFORMAT, "%s: expected a 1-D array of strings", where);
        goto done;
    }
    n = (int64_t)H5Sget_simple_extent_npoints(space);
    v = calloc((size_t)(n > 0 ? n : 1), sizeof *v);
    if (!v) {
        rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", where);
        goto done;
    }
    if (n == 0)
        goto done;
    if (H5Tis_variable_str(type) > 0) {
        mt = ak_h5_vlen_str_type();
        char **tmp = calloc((size_t)n, sizeof *tmp);
        if (mt < 0 || !tmp)
            rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", where);
        else if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp) < 0)
            rc = ak_h5_fail(err, AK_EIO, "%s: read failed", where);
        for (int64_t i = 0; tmp && i < n; i++) {
            if (rc == AK_OK && !(v[i] = strdup(tmp[i] ? tmp[i] : "")))
                rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", where);
            H5free_memory(tmp[i]);
        }
        free(tmp);
    } else {
        size_t size = H5Tget_size(type);
        char *buf = malloc((size_t)n * (size + 1));
        mt = H5Tcopy(H5T_C_S1);
        if (!buf || mt < 0 || H5Tset_size(mt, size + 1) < 0)
            rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", where);
        else if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
            rc = ak_h5_fail(err, AK_EIO, "%s: read failed", where);
        for (int64_t i = 0; rc == AK_OK && i < n; i++) {
            buf[(size_t)i * (size + 1) + size] = '\0';
            if (!(v[i] = strdup(buf + (size_t)i * (size + 1))))
                rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", where);
        }
        free(buf);
    }
done:
    ak_h5_close(&mt);
    ak_h5_close(&space);
    ak_h5_close(&type);
    ak_h5_close(&d);
    if (rc != AK_OK) {
        ak_h5_strs_free(v, (int)n);
        return rc;
    }
    *out = v;
    *n_out = n;
    return AK_OK;
}
