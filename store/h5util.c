/* HDF5 helpers, part 1: error capture, id closing, dtypes, links and groups, name escaping; see
 * h5util.h (attributes are in h5attr.c, datasets in h5dataset.c). Every helper captures HDF5's
 * error message immediately after the failing call (any later HDF5 API call clears the error
 * stack) and only then releases ids. */
#include "store/h5util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Also: no HDF5 clean-up at exit. A file whose last writes failed (full disk) cannot be closed:
 * H5Fclose fails and leaves the file id open, and HDF5's atexit handler then closes it again and
 * crashes (SIGSEGV in H5F__close_cb, after the error was reported). Every file the store opens is
 * closed explicitly, so the handler has nothing else to do. H5dont_atexit only works before the
 * library initialises, which the first store call does (later calls return an error: ignored). */
void ak_h5_quiet(void) {
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

typedef struct walk_data {
    char inner[400], outer[400];
    int n;
} walk_data;

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data) {
    walk_data *w = data;
    char minor[256] = "";
    const char *desc = e->desc;
    if (!desc || !desc[0]) {
        H5E_type_t type;
        if (H5Eget_msg(e->min_num, &type, minor, sizeof minor) < 0)
            minor[0] = '\0';
        desc = minor;
    }
    /* Walking upward: entry 0 is where the error was detected, the last one is the API call. */
    if (n == 0)
        snprintf(w->inner, sizeof w->inner, "%s", desc);
    snprintf(w->outer, sizeof w->outer, "%s", desc);
    w->n++;
    return 0;
}

int ak_h5_fail(ak_error *err, int code, const char *fmt, ...) {
    walk_data w;
    memset(&w, 0, sizeof w);
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, &w);
    H5Eclear2(H5E_DEFAULT);
    if (!err || err->code != AK_OK)
        return code;
    char msg[AK_ERROR_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* HDF5's messages embed ctime() strings: keep the message on one line. */
    for (char *p = w.inner; *p; p++)
        if (*p == '\n')
            *p = ' ';
    for (char *p = w.outer; *p; p++)
        if (*p == '\n')
            *p = ' ';
    if (w.n == 0)
        return ak_error_set(err, code, "%s", msg);
    if (w.n == 1 || strcmp(w.inner, w.outer) == 0)
        return ak_error_set(err, code, "%s: HDF5: %s", msg, w.inner);
    return ak_error_set(err, code, "%s: HDF5: %s (%s)", msg, w.outer, w.inner);
}

const char *ak_h5_where(char *buf, size_t len, const char *file, hid_t loc, const char *name) {
    char path[AK_H5_PATH_LEN] = "";
    if (loc >= 0 && H5Iget_name(loc, path, sizeof path) < 0)
        path[0] = '\0';
    H5Eclear2(H5E_DEFAULT);
    if (!path[0])
        snprintf(path, sizeof path, "/");
    bool root = strcmp(path, "/") == 0;
    if (name && name[0])
        snprintf(buf, len, "%s: %s%s%s", file ? file : "?", path, root ? "" : "/", name);
    else
        snprintf(buf, len, "%s: %s", file ? file : "?", path);
    return buf;
}

static hid_t strong_fapl(void) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0)
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    return fapl;
}

hid_t ak_h5_file_open(const char *path, unsigned flags) {
    hid_t fapl = strong_fapl();
    hid_t f = H5Fopen(path, flags, fapl);
    ak_h5_close(&fapl);
    return f;
}

hid_t ak_h5_file_create(const char *path) {
    hid_t fapl = strong_fapl();
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    ak_h5_close(&fapl);
    return f;
}

void ak_h5_close(hid_t *id) {
    if (*id < 0)
        return;
    switch (H5Iget_type(*id)) {
    case H5I_FILE: H5Fclose(*id); break;
    case H5I_GROUP: H5Gclose(*id); break;
    case H5I_DATASET: H5Dclose(*id); break;
    case H5I_DATASPACE: H5Sclose(*id); break;
    case H5I_DATATYPE: H5Tclose(*id); break;
    case H5I_ATTR: H5Aclose(*id); break;
    case H5I_GENPROP_LST: H5Pclose(*id); break;
    default: break;
    }
    *id = H5I_INVALID_HID;
}

void ak_h5_type_name(hid_t type, char *buf, size_t len) {
    H5T_class_t c = H5Tget_class(type);
    size_t size = H5Tget_size(type);
    switch (c) {
    case H5T_FLOAT: snprintf(buf, len, "float%zu", size * 8); break;
    case H5T_INTEGER:
        snprintf(buf, len, "%sint%zu", H5Tget_sign(type) == H5T_SGN_NONE ? "u" : "", size * 8);
        break;
    case H5T_STRING: snprintf(buf, len, "string"); break;
    case H5T_COMPOUND: snprintf(buf, len, "compound"); break;
    case H5T_ENUM: snprintf(buf, len, "enum"); break;
    case H5T_VLEN: snprintf(buf, len, "vlen"); break;
    case H5T_ARRAY: snprintf(buf, len, "array"); break;
    default: snprintf(buf, len, "type class %d", (int)c); break;
    }
}

const char *ak_h5_dtype_name(ak_h5_dtype t) {
    switch (t) {
    case AK_H5_F32: return "float32";
    case AK_H5_F64: return "float64";
    case AK_H5_I64: return "int64";
    case AK_H5_U64: return "uint64";
    }
    return "?";
}

hid_t ak_h5_mem_type(ak_h5_dtype t) {
    switch (t) {
    case AK_H5_F32: return H5T_NATIVE_FLOAT;
    case AK_H5_F64: return H5T_NATIVE_DOUBLE;
    case AK_H5_I64: return H5T_NATIVE_INT64;
    case AK_H5_U64: return H5T_NATIVE_UINT64;
    }
    return H5I_INVALID_HID;
}

size_t ak_h5_dtype_size(ak_h5_dtype t) { return t == AK_H5_F32 ? 4 : 8; }

bool ak_h5_type_is(hid_t type, ak_h5_dtype t) {
    H5T_class_t c = H5Tget_class(type);
    size_t size = H5Tget_size(type);
    switch (t) {
    case AK_H5_F32: return c == H5T_FLOAT && size == 4;
    case AK_H5_F64: return c == H5T_FLOAT && size == 8;
    case AK_H5_I64: return c == H5T_INTEGER && size == 8 && H5Tget_sign(type) == H5T_SGN_2;
    case AK_H5_U64: return c == H5T_INTEGER && size == 8 && H5Tget_sign(type) == H5T_SGN_NONE;
    }
    return false;
}

hid_t ak_h5_vlen_str_type(void) {
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

/* ---- links and groups ---- */

bool ak_h5_exists(hid_t loc, const char *name) {
    htri_t r = H5Lexists(loc, name, H5P_DEFAULT);
    H5Eclear2(H5E_DEFAULT);
    return r > 0;
}

int ak_h5_group(hid_t loc, const char *name, bool create, hid_t *out, const char *file, ak_error *err) {
    char where[AK_H5_PATH_LEN + 256];
    *out = H5I_INVALID_HID;
    if (ak_h5_exists(loc, name)) {
        H5O_info_t info;
        if (H5Oget_info_by_name(loc, name, &info, H5P_DEFAULT) < 0)
            return ak_h5_fail(err, AK_EFORMAT, "%s: cannot inspect",
                              ak_h5_where(where, sizeof where, file, loc, name));
        if (info.type != H5O_TYPE_GROUP)
            return ak_error_set(err, AK_EFORMAT, "%s: is not a group",
                                ak_h5_where(where, sizeof where, file, loc, name));
        *out = H5Gopen2(loc, name, H5P_DEFAULT);
        if (*out < 0)
            return ak_h5_fail(err, AK_EFORMAT, "%s: cannot open group",
                              ak_h5_where(where, sizeof where, file, loc, name));
        return AK_OK;
    }
    if (!create)
        return ak_error_set(err, AK_EFORMAT, "%s: missing group", ak_h5_where(where, sizeof where, file, loc, name));
    *out = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (*out < 0)
        return ak_h5_fail(err, AK_EIO, "%s: cannot create group", ak_h5_where(where, sizeof where, file, loc, name));
    return AK_OK;
}

typedef struct children_data {
    char **names;
    int n, cap;
    bool oom;
} children_data;

static herr_t children_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
    (void)g;
    (void)info;
    children_data *c = data;
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 16;
        char **names = realloc(c->names, (size_t)cap * sizeof *names);
        if (!names) {
            c->oom = true;
            return -1;
        }
        c->names = names;
        c->cap = cap;
    }
    c->names[c->n] = strdup(name);
    if (!c->names[c->n]) {
        c->oom = true;
        return -1;
    }
    c->n++;
    return 0;
}

int ak_h5_children(hid_t loc, char ***names, int *n, const char *file, ak_error *err) {
    children_data c = {0};
    hsize_t idx = 0;
    herr_t rc = H5Literate(loc, H5_INDEX_NAME, H5_ITER_INC, &idx, children_cb, &c);
    if (rc < 0 || c.oom) {
        ak_h5_strs_free(c.names, c.n);
        char where[AK_H5_PATH_LEN + 256];
        if (c.oom)
            return ak_error_set(err, AK_ENOMEM, "%s: out of memory listing children",
                                ak_h5_where(where, sizeof where, file, loc, NULL));
        return ak_h5_fail(err, AK_EFORMAT, "%s: cannot list children",
                          ak_h5_where(where, sizeof where, file, loc, NULL));
    }
    *names = c.names;
    *n = c.n;
    return AK_OK;
}

void ak_h5_strs_free(char **v, int n) {
    if (!v)
        return;
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* ---- names ---- */

int ak_h5_escape_name(const char *name, char *out, size_t len, ak_error *err) {
    if (!name[0])
        return ak_error_set(err, AK_EINVAL, "empty tensor name");
    if (strcmp(name, ".") == 0) {
        if (len < 4)
            return ak_error_set(err, AK_EINVAL, "tensor name '.' too long to escape");
        strcpy(out, "%2E");
        return AK_OK;
    }
    size_t o = 0;
    for (const char *p = name; *p; p++) {
        const char *rep = *p == '%' ? "%25" : *p == '/' ? "%2F" : NULL;
        size_t need = rep ? 3 : 1;
        if (o + need >= len)
            return ak_error_set(err, AK_EINVAL, "tensor name too long: %s", name);
        if (rep)
            memcpy(out + o, rep, 3);
        else
            out[o] = *p;
        o += need;
    }
    out[o] = '\0';
    return AK_OK;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int ak_h5_unescape_name(const char *link, char *out, size_t len, ak_error *err) {
    size_t o = 0;
    for (const char *p = link; *p; p++) {
        char c = *p;
        if (c == '%') {
            int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return ak_error_set(err, AK_EINVAL, "malformed escape in stored name '%s'", link);
            c = (char)(hi * 16 + lo);
            p += 2;
        }
        if (o + 1 >= len)
            return ak_error_set(err, AK_EINVAL, "stored name too long: %s", link);
        out[o++] = c;
    }
    out[o] = '\0';
    return AK_OK;
}
