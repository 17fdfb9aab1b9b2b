/* HDF5 helpers shared by the store: quiet error handling that turns HDF5's error stack into an
 * ak_error message, typed attribute and dataset I/O with strict dtype checks, and escaping of
 * tensor names into HDF5 link names.
 *
 * Threading: libhdf5 (Debian's serial build) is not thread-safe. Every function here, and every
 * store/ function built on them, must be called from one thread, the one that owns HDF5.
 *
 * Errors: every fallible helper returns AK_OK or an ak_code and fills err with a message that names
 * `file` and the object path inside it ("run.h5: /train/lr: ..."), followed by the innermost and
 * outermost HDF5 error descriptions when HDF5 reported one. HDF5's automatic stack printing is
 * switched off by ak_h5_quiet() (called by every entry point of the store), so nothing is printed.
 * Missing objects and wrong dtypes / shapes are AK_EFORMAT; failed reads and writes are AK_EIO.
 *
 * Ownership: strings returned through char ** are malloc'd and owned by the caller (free()).
 *
 * Implemented in h5util.c (errors, ids, dtypes, groups, names), h5attr.c (attributes) and
 * h5dataset.c (datasets).
 */
#ifndef AK_STORE_H5UTIL_H
#define AK_STORE_H5UTIL_H

#include <hdf5.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define AK_H5_MAX_DIMS 8
#define AK_H5_PATH_LEN 512

/* The dtypes the store writes. Files are little-endian IEEE / two's complement. */
typedef enum ak_h5_dtype { AK_H5_F32, AK_H5_F64, AK_H5_I64, AK_H5_U64 } ak_h5_dtype;

/* Switch off HDF5's automatic error printing (idempotent; per-library setting). */
void ak_h5_quiet(void);

/* Record an error: the formatted message, then ": HDF5: <outer> (<inner>)" from the current HDF5
 * error stack when it is not empty; the stack is cleared. Returns code. */
int ak_h5_fail(ak_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "file: /group/name" (name may be NULL or "" for the object itself). Returns buf. */
const char *ak_h5_where(char *buf, size_t len, const char *file, hid_t loc, const char *name);

/* Open (H5F_ACC_RDONLY / H5F_ACC_RDWR) or create (truncating) a file with close degree STRONG:
 * closing the file closes every object still open in it, so no error path leaves it half-open.
 * Negative on failure, with the HDF5 error stack left for ak_h5_fail (callers word the message). */
hid_t ak_h5_file_open(const char *path, unsigned flags);
hid_t ak_h5_file_create(const char *path);

/* Close any kind of HDF5 id (file, group, dataset, dataspace, datatype, attribute, property list)
 * and set it to H5I_INVALID_HID; a negative id is ignored. */
void ak_h5_close(hid_t *id);

/* A new variable-length UTF-8 string datatype (close it with ak_h5_close); negative on failure. */
hid_t ak_h5_vlen_str_type(void);

/* Human-readable name of a file datatype ("float32", "int64", "string", ...). */
void ak_h5_type_name(hid_t type, char *buf, size_t len);
const char *ak_h5_dtype_name(ak_h5_dtype t);
hid_t ak_h5_mem_type(ak_h5_dtype t);
/* Whether a file datatype is t (same class, size and signedness; any byte order). */
bool ak_h5_type_is(hid_t type, ak_h5_dtype t);
size_t ak_h5_dtype_size(ak_h5_dtype t);

/* ---- links and groups ---- */
/* Whether a link `name` (one component or a relative path whose parents exist) exists in loc. */
bool ak_h5_exists(hid_t loc, const char *name);
/* Open group `name` in loc, creating it when `create` is set and it is absent. */
int ak_h5_group(hid_t loc, const char *name, bool create, hid_t *out, const char *file, ak_error *err);
/* Names of the direct children of group loc, in HDF5 name order; *names malloc'd (free with
 * ak_h5_strs_free). */
int ak_h5_children(hid_t loc, char ***names, int *n, const char *file, ak_error *err);
void ak_h5_strs_free(char **v, int n);

/* ---- attributes (on any object) ---- */
bool ak_h5_attr_exists(hid_t obj, const char *name);
/* Strings are written as variable-length UTF-8 (h5py reads them as str, and there is no 64 KiB
 * attribute-size limit for the config text); fixed-length strings are accepted when reading. */
int ak_h5_attr_put_str(hid_t obj, const char *name, const char *value, const char *file, ak_error *err);
int ak_h5_attr_get_str(hid_t obj, const char *name, char **out, const char *file, ak_error *err);
int ak_h5_attr_put_strs(hid_t obj, const char *name, const char *const *v, int n, const char *file,
                        ak_error *err);
int ak_h5_attr_get_strs(hid_t obj, const char *name, char ***out, int *n, const char *file, ak_error *err);
/* Scalar numbers; reading requires the attribute's class (integer / float) to match. */
int ak_h5_attr_put_i64(hid_t obj, const char *name, int64_t v, const char *file, ak_error *err);
int ak_h5_attr_get_i64(hid_t obj, const char *name, int64_t *v, const char *file, ak_error *err);
int ak_h5_attr_put_u64(hid_t obj, const char *name, uint64_t v, const char *file, ak_error *err);
int ak_h5_attr_get_u64(hid_t obj, const char *name, uint64_t *v, const char *file, ak_error *err);
int ak_h5_attr_put_f64(hid_t obj, const char *name, double v, const char *file, ak_error *err);
int ak_h5_attr_get_f64(hid_t obj, const char *name, double *v, const char *file, ak_error *err);

/* ---- datasets ---- */
/* Storage of a new dataset. chunk == NULL: contiguous (or compact-free contiguous for scalars).
 * extendable: dimension 0 is unlimited (requires chunk). deflate: 0-9, or -1 for none (requires
 * chunk); shuffle: byte-shuffle before deflate (helps floats compress). */
typedef struct ak_h5_layout {
    const int64_t *chunk;
    bool extendable;
    int deflate;
    bool shuffle;
} ak_h5_layout;

/* Create dataset `name` of shape (ndim; 0 = scalar) and write data (may be NULL when numel == 0).
 * layout may be NULL (contiguous). An existing link of that name is an AK_EINVAL error. */
int ak_h5_write(hid_t loc, const char *name, ak_h5_dtype t, int ndim, const int64_t *shape, const void *data,
                const ak_h5_layout *layout, const char *file, ak_error *err);
/* Shape of dataset `name`, which must exist and have dtype t (class and size): AK_EFORMAT
 * otherwise, naming the path, the found and the expected dtype. */
int ak_h5_shape(hid_t loc, const char *name, ak_h5_dtype t, int *ndim, int64_t shape[AK_H5_MAX_DIMS],
                const char *file, ak_error *err);
/* Read the whole dataset (dtype t, exactly numel elements, else AK_EFORMAT / AK_ESHAPE). */
int ak_h5_read(hid_t loc, const char *name, ak_h5_dtype t, int64_t numel, void *out, const char *file,
               ak_error *err);
/* Read a scalar dataset (or a 1-element one). */
int ak_h5_read_scalar(hid_t loc, const char *name, ak_h5_dtype t, void *out, const char *file, ak_error *err);
/* Read elements [start, start+count) along dimension 0 of an open dataset (all other dims whole). */
int ak_h5_read_rows(hid_t dset, ak_h5_dtype t, int64_t start, int64_t count, void *out, const char *file,
                    ak_error *err);
/* Append n elements to an open 1-D extendable dataset; length after is returned in *len (may be NULL). */
int ak_h5_append_1d(hid_t dset, ak_h5_dtype t, const void *data, int64_t n, int64_t *len, const char *file,
                    ak_error *err);
/* Set the length of an open 1-D extendable dataset (truncate or grow with fill value 0). */
int ak_h5_resize_1d(hid_t dset, int64_t len, const char *file, ak_error *err);
/* Length along dimension 0 of an open dataset. */
int ak_h5_len(hid_t dset, int64_t *len, const char *file, ak_error *err);

/* 1-D datasets of variable-length UTF-8 strings (fixed-length ones are accepted when reading). */
int ak_h5_write_strs(hid_t loc, const char *name, const char *const *v, int64_t n, const char *file, ak_error *err);
int ak_h5_read_strs(hid_t loc, const char *name, char ***v, int64_t *n, const char *file, ak_error *err);

/* ---- names ---- */
/* Tensor names become link names: '%' -> "%25", '/' -> "%2F", and the name "." -> "%2E", so that any
 * non-empty parameter name round-trips (dots are kept: "backbone.conv1.weight" stays as it is).
 * AK_EINVAL for an empty name, when out is too small, or (unescape) for a malformed escape. */
int ak_h5_escape_name(const char *name, char *out, size_t len, ak_error *err);
int ak_h5_unescape_name(const char *link, char *out, size_t len, ak_error *err);

#endif
