/* Weight files: format dispatch by content, the safetensors half, key-style names; the HDF5 half is
 * weights_file_h5.c. See weights_file.h. */
#include "store/weights_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/fsutil.h"
#include "store/weights_file_internal.h"

static const char *const key_style_names[] = {"auto", "ours", "torchvision", "mmdet", "mmseg"};
_Static_assert(sizeof key_style_names / sizeof key_style_names[0] == AK_KEYS_COUNT, "key style names");

const char *ak_key_style_name(int style) {
    return style >= 0 && style < AK_KEYS_COUNT ? key_style_names[style] : "?";
}

int ak_key_style_parse(const char *name, ak_key_style *out, ak_error *err) {
    for (int i = 0; i < AK_KEYS_COUNT; i++)
        if (name && strcmp(name, key_style_names[i]) == 0) {
            *out = (ak_key_style)i;
            return AK_OK;
        }
    return ak_error_set(err, AK_EINVAL, "key style '%s': expected auto, ours, torchvision, mmdet or mmseg",
                        name ? name : "(null)");
}

int ak__wf_add(ak_weights_file *wf, const ak_wf_entry *e, ak_error *err) {
    if (wf->n >= AK_WF_MAX_ENTRIES)
        return ak_error_set(err, AK_EFORMAT, "%s: more than %d tensors", wf->path, AK_WF_MAX_ENTRIES);
    if ((wf->n & (wf->n - 1)) == 0) { /* grow at powers of two */
        ak_wf_entry *v = realloc(wf->entries, (size_t)(wf->n ? 2 * wf->n : 16) * sizeof *v);
        if (!v)
            return ak_error_set(err, AK_ENOMEM, "%s: out of memory", wf->path);
        wf->entries = v;
    }
    ak_wf_entry *d = &wf->entries[wf->n];
    *d = *e;
    d->name = strdup(e->name);
    d->where = strdup(e->where);
    if (!d->name || !d->where) {
        free(d->name);
        free(d->where);
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", wf->path);
    }
    wf->n++;
    return AK_OK;
}

/* The HDF5 signature sits at offset 0, or at 512, 1024, 2048, ... when the file has a user block. */
static bool has_hdf5_signature(const char *path) {
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    bool found = false;
    for (long off = 0; !found && off <= (1L << 30); off = off ? 2 * off : 512) {
        unsigned char buf[8];
        if (fseek(f, off, SEEK_SET) != 0 || fread(buf, 1, 8, f) != 8)
            break;
        found = memcmp(buf, sig, 8) == 0;
    }
    fclose(f);
    return found;
}

static const char *st_dtype_name(ak_st_dtype d, ak_wf_kind *kind) {
    switch (d) {
    case AK_ST_F32: *kind = AK_WF_FLOAT; return "float32";
    case AK_ST_F64: *kind = AK_WF_FLOAT; return "float64";
    case AK_ST_F16: *kind = AK_WF_FLOAT; return "float16";
    case AK_ST_BF16: *kind = AK_WF_FLOAT; return "bfloat16";
    case AK_ST_I64: *kind = AK_WF_INT; return "int64";
    case AK_ST_I32: *kind = AK_WF_INT; return "int32";
    case AK_ST_U8: *kind = AK_WF_INT; return "uint8";
    case AK_ST_BOOL: *kind = AK_WF_INT; return "bool";
    }
    *kind = AK_WF_OTHER;
    return "?";
}

static int open_safetensors(ak_weights_file *wf, ak_error *err) {
    if (ak_safetensors_open(&wf->st, wf->path, err) != AK_OK) {
        ak_error_prefix(err, "%s: no HDF5 signature, and not a valid safetensors file either", wf->path);
        return err ? err->code : AK_EFORMAT;
    }
    snprintf(wf->layout, sizeof wf->layout, "safetensors");
    for (int i = 0; i < wf->st.n; i++) {
        const ak_st_entry *s = &wf->st.entries[i];
        ak_wf_entry e;
        memset(&e, 0, sizeof e);
        e.name = s->name;
        e.where = s->name;
        e.ndim = s->ndim;
        memcpy(e.shape, s->shape, sizeof e.shape);
        e.numel = s->numel;
        snprintf(e.dtype, sizeof e.dtype, "%s", st_dtype_name(s->dtype, &e.kind));
        AK_TRY(ak__wf_add(wf, &e, err));
    }
    return AK_OK;
}

int ak_weights_file_open(ak_weights_file *wf, const char *path, ak_error *err) {
    memset(wf, 0, sizeof *wf);
    wf->h5 = -1;
    if (access(path, R_OK) != 0)
        return ak_error_set(err, AK_EIO, "%s: cannot read the weight file (%s)", path, strerror(errno));
    wf->path = strdup(path);
    if (!wf->path)
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", path);
    wf->format = has_hdf5_signature(path) ? AK_WF_HDF5 : AK_WF_SAFETENSORS;
    int rc = wf->format == AK_WF_HDF5 ? ak__wf_h5_open(wf, err) : open_safetensors(wf, err);
    /* Keys are looked up by name: a file with one key twice is ambiguous. Sorting would be faster;
     * state dicts have at most a few thousand keys, so the quadratic check stays in milliseconds. */
    for (int i = 0; rc == AK_OK && i < wf->n; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(wf->entries[i].name, wf->entries[j].name) == 0) {
                rc = ak_error_set(err, AK_EFORMAT, "%s: key '%s' appears twice (%s and %s)", path,
                                  wf->entries[i].name, wf->entries[j].where, wf->entries[i].where);
                break;
            }
    if (rc != AK_OK)
        ak_weights_file_close(wf);
    return rc;
}

void ak_weights_file_close(ak_weights_file *wf) {
    if (wf->format == AK_WF_HDF5)
        ak__wf_h5_close(wf);
    ak_safetensors_close(&wf->st);
    for (int i = 0; i < wf->n; i++) {
        free(wf->entries[i].name);
        free(wf->entries[i].where);
    }
    free(wf->entries);
    free(wf->path);
    memset(wf, 0, sizeof *wf);
    wf->h5 = -1;
}

int ak_weights_file_find(const ak_weights_file *wf, const char *name) {
    for (int i = 0; i < wf->n; i++)
        if (strcmp(wf->entries[i].name, name) == 0)
            return i;
    return -1;
}

int ak_weights_file_read_f32(const ak_weights_file *wf, int i, float *out, int64_t numel, ak_error *err) {
    if (i < 0 || i >= wf->n)
        return ak_error_set(err, AK_EINVAL, "%s: no entry %d (%d entries)", wf->path, i, wf->n);
    const ak_wf_entry *e = &wf->entries[i];
    if (e->kind == AK_WF_OTHER)
        return ak_error_set(err, AK_EFORMAT, "%s: %s: stored as %s, not numbers", wf->path, e->where, e->dtype);
    if (e->numel != numel)
        return ak_error_set(err, AK_ESHAPE, "%s: %s has %lld elements, expected %lld", wf->path, e->where,
                            (long long)e->numel, (long long)numel);
    if (wf->format == AK_WF_HDF5)
        return ak__wf_h5_read_f32(wf, e, out, err);
    return ak_safetensors_read_f32(&wf->st, e->name, out, numel, err);
}

int ak_weights_file_write(const char *path, ak_wf_format format, const ak_st_write_entry *entries, int n,
                          const ak_st_meta *meta, int n_meta, ak_error *err) {
    if (n < 0 || (n > 0 && !entries) || n_meta < 0 || (n_meta > 0 && !meta))
        return ak_error_set(err, AK_EINVAL, "%s: %d tensors / %d metadata entries without a list", path, n, n_meta);
    for (int i = 0; format == AK_WF_SAFETENSORS && i < n; i++)
        if (entries[i].name && strcmp(entries[i].name, "__metadata__") == 0) /* the header's metadata key */
            return ak_error_set(err, AK_EINVAL, "%s: a tensor named '__metadata__' cannot be stored in safetensors",
                                path);
    ak_st_meta *all = calloc((size_t)n_meta + 1, sizeof *all);
    if (!all)
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", path);
    all[0].key = (char *)"format";
    all[0].value = (char *)AK_WEIGHTS_FORMAT;
    int m = 1;
    for (int i = 0; i < n_meta; i++)
        if (strcmp(meta[i].key, "format") != 0)
            all[m++] = meta[i];
    int rc;
    if (format == AK_WF_SAFETENSORS) {
        rc = ak_safetensors_write_f32(path, entries, n, all, m, err); /* .tmp + rename itself */
    } else {
        char tmp[4096];
        rc = ak_path_with_suffix(tmp, sizeof tmp, path, ".tmp", err);
        if (rc == AK_OK)
            rc = ak__wf_h5_write(tmp, entries, n, all, m, err);
        if (rc == AK_OK)
            rc = ak_publish_file(tmp, path, err);
        if (rc != AK_OK)
            unlink(tmp);
    }
    free(all);
    return rc;
}
