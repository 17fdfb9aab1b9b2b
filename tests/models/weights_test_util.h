/* Helpers shared by the weight import / export tests (header-only: each test file is its own
 * executable): an in-memory state dict (name, shape, float values, stored dtype) written as
 * safetensors or as HDF5 in the h5py layouts (flat datasets at the root, or nested groups), with
 * float64 / float16 / int64 / string datasets for the dtype rules, plus temp paths, and the small
 * detector the weight tests load into. */
#ifndef AK_TESTS_WEIGHTS_TEST_UTIL_H
#define AK_TESTS_WEIGHTS_TEST_UTIL_H

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aktest.h"
#include "core/params.h"
#include "models/detector.h"
#include "models/init.h"
#include "store/safetensors.h"

typedef enum sd_type { SD_F32, SD_F64, SD_F16, SD_I64, SD_STR } sd_type;

typedef struct sd_entry {
    char name[3 * AK_PARAM_NAME_LEN];
    int ndim;
    int64_t shape[8];
    int64_t numel;
    float *data;  /* owned */
    sd_type type; /* how sd_write_h5 stores it (safetensors: always float32) */
} sd_entry;

typedef struct sd {
    sd_entry *e;
    int n, cap;
} sd;

static inline void sd_init(sd *d) { memset(d, 0, sizeof *d); }

static inline void sd_free(sd *d) {
    for (int i = 0; i < d->n; i++)
        free(d->e[i].data);
    free(d->e);
    sd_init(d);
}

/* Add a tensor: data copied, or (data NULL) ak_init_formula values of `formula_name` (name if NULL). */
static inline sd_entry *sd_add(sd *d, const char *name, int ndim, const int64_t *shape, const float *data,
                               const char *formula_name) {
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->e = realloc(d->e, (size_t)d->cap * sizeof *d->e);
        ck_assert_ptr_nonnull(d->e);
    }
    sd_entry *e = &d->e[d->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->ndim = ndim;
    e->numel = 1;
    for (int i = 0; i < ndim; i++) {
        e->shape[i] = shape[i];
        e->numel *= shape[i];
    }
    e->data = malloc((size_t)(e->numel > 0 ? e->numel : 1) * sizeof(float));
    ck_assert_ptr_nonnull(e->data);
    if (data) {
        memcpy(e->data, data, (size_t)e->numel * sizeof(float));
    } else {
        ak_tensor t;
        memset(&t, 0, sizeof t);
        t.ndim = ndim;
        for (int i = 0; i < ndim; i++)
            t.shape[i] = shape[i];
        t.numel = e->numel;
        t.data = e->data;
        ak_init_formula(&t, formula_name ? formula_name : name);
    }
    return e;
}

/* Every registry entry whose name starts with `keep` (may be ""), named without the first `strip`
 * characters, with its current values. */
static inline void sd_from_params(sd *d, const ak_params *ps, const char *keep, size_t strip) {
    for (int i = 0; i < ps->n; i++) {
        const ak_param *p = &ps->items[i];
        if (strncmp(p->name, keep, strlen(keep)) == 0)
            sd_add(d, p->name + strip, p->t->ndim, p->t->shape, p->t->data, NULL);
    }
}

static inline sd_entry *sd_find(sd *d, const char *name) {
    for (int i = 0; i < d->n; i++)
        if (strcmp(d->e[i].name, name) == 0)
            return &d->e[i];
    return NULL;
}

static inline void sd_remove(sd *d, const char *name) {
    sd_entry *e = sd_find(d, name);
    ck_assert_msg(e != NULL, "sd_remove: no %s", name);
    free(e->data);
    *e = d->e[--d->n];
}

static inline void sd_write_safetensors(const sd *d, const char *path) {
    ak_st_write_entry *w = calloc((size_t)(d->n > 0 ? d->n : 1), sizeof *w);
    for (int i = 0; i < d->n; i++) {
        w[i].name = d->e[i].name;
        w[i].ndim = d->e[i].ndim;
        w[i].shape = d->e[i].shape;
        w[i].data = d->e[i].data;
    }
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_safetensors_write_f32(path, w, d->n, NULL, 0, &err) == AK_OK, "%s", err.msg);
    free(w);
}

/* IEEE half as an HDF5 type (h5py's numpy float16). Close with H5Tclose. */
static inline hid_t sd_h5_half(void) {
    hid_t t = H5Tcopy(H5T_IEEE_F32LE);
    H5Tset_fields(t, 15, 10, 5, 0, 10);
    H5Tset_size(t, 2);
    H5Tset_ebias(t, 15);
    return t;
}

/* h5py layouts: each tensor a dataset at the root named by its key, or (nested) at the path with
 * '.' -> '/' (groups created on the way). root_format: a root attribute "format" when not NULL. */
static inline void sd_write_h5(const sd *d, const char *path, int nested, const char *root_format) {
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    for (int i = 0; i < d->n; i++) {
        const sd_entry *e = &d->e[i];
        char link[sizeof e->name];
        snprintf(link, sizeof link, "%s", e->name);
        for (char *c = link; nested && *c; c++)
            if (*c == '.')
                *c = '/';
        hsize_t dims[8];
        for (int k = 0; k < e->ndim; k++)
            dims[k] = (hsize_t)e->shape[k];
        hid_t space = e->ndim ? H5Screate_simple(e->ndim, dims, NULL) : H5Screate(H5S_SCALAR);
        hid_t ftype = e->type == SD_F64 ? H5Tcopy(H5T_IEEE_F64LE) : e->type == SD_F16 ? sd_h5_half()
                      : e->type == SD_I64 ? H5Tcopy(H5T_STD_I64LE) : e->type == SD_STR ? H5Tcopy(H5T_C_S1)
                                                                                     : H5Tcopy(H5T_IEEE_F32LE);
        if (e->type == SD_STR)
            H5Tset_size(ftype, 8);
        hid_t ds = H5Dcreate2(f, link, ftype, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
        ck_assert_msg(ds >= 0, "%s: cannot create %s", path, link);
        herr_t w;
        if (e->type == SD_I64) {
            int64_t *v = malloc((size_t)(e->numel ? e->numel : 1) * sizeof *v);
            for (int64_t k = 0; k < e->numel; k++)
                v[k] = (int64_t)e->data[k];
            w = H5Dwrite(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
            free(v);
        } else if (e->type == SD_STR) {
            char *v = calloc((size_t)(e->numel ? e->numel : 1), 8);
            w = H5Dwrite(ds, ftype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
            free(v);
        } else {
            w = H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, e->data);
        }
        ck_assert_msg(w >= 0, "%s: cannot write %s", path, link);
        H5Dclose(ds);
        H5Tclose(ftype);
        H5Sclose(space);
    }
    if (root_format) {
        hid_t st = H5Tcopy(H5T_C_S1);
        H5Tset_size(st, strlen(root_format));
        hid_t sp = H5Screate(H5S_SCALAR);
        hid_t a = H5Acreate2(f, "format", st, sp, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, st, root_format);
        H5Aclose(a);
        H5Sclose(sp);
        H5Tclose(st);
    }
    H5Pclose(lcpl);
    ck_assert_int_ge(H5Fclose(f), 0);
}

/* A fresh temp file path "/tmp/akd_<tag>_XXXXXX" (created empty; the test unlinks it). */
static inline void wt_temp(char *path, size_t len, const char *tag) {
    snprintf(path, len, "/tmp/akd_%s_XXXXXX", tag);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
}

/* Registry values bitwise equal, entry by entry (same names in the same order). */
static inline void wt_assert_params_equal(const ak_params *a, const ak_params *b) {
    ck_assert_int_eq(a->n, b->n);
    for (int i = 0; i < a->n; i++) {
        ck_assert_str_eq(a->items[i].name, b->items[i].name);
        ck_assert_int_eq(a->items[i].t->numel, b->items[i].t->numel);
        ak_assert_bitwise(a->items[i].name, a->items[i].t->data, b->items[i].t->data, a->items[i].t->numel);
    }
}

/* A small detector of the parity tests' structure: ResNet-50 at width 1/16, 16-channel FPN and head. */
static inline void wt_build_det(ak_detector *det, ak_params *ps, ak_det_head_kind kind, ak_det_style style,
                                uint64_t seed) {
    ak_params_init(ps);
    ak_detector_cfg c = ak_detector_cfg_preset(kind, style, 50, 80);
    c.backbone.width_mult = 0.0625f;
    c.neck.out_channels = 16;
    c.retina.in_channels = c.retina.feat_channels = 16;
    c.fcos.in_channels = c.fcos.feat_channels = 16;
    c.fcos.gn_groups = 8;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_detector_init(det, ps, &c, seed, &err) == AK_OK, "%s", err.msg);
}

#endif
