/* safetensors reader / writer on jansson; see safetensors.h. */
#include "store/safetensors.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_file(const char *path, uint8_t **out, size_t *size, ak_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return ak_error_set(err, AK_EIO, "%s: cannot open (%s)", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return ak_error_set(err, AK_EIO, "%s: cannot seek", path);
    }
    long len = ftell(f);
    rewind(f);
    uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
    if (!buf) {
        fclose(f);
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory (%ld bytes)", path, len);
    }
    if (len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        fclose(f);
        return ak_error_set(err, AK_EIO, "%s: short read", path);
    }
    fclose(f);
    *out = buf;
    *size = (size_t)len;
    return AK_OK;
}

static int parse_dtype(const char *s, ak_st_dtype *d, size_t *elem) {
    static const struct { const char *name; ak_st_dtype d; size_t size; } table[] = {
        {"F32", AK_ST_F32, 4}, {"F64", AK_ST_F64, 8}, {"F16", AK_ST_F16, 2}, {"BF16", AK_ST_BF16, 2},
        {"I64", AK_ST_I64, 8}, {"I32", AK_ST_I32, 4}, {"U8", AK_ST_U8, 1},   {"BOOL", AK_ST_BOOL, 1},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(s, table[i].name) == 0) {
            *d = table[i].d;
            *elem = table[i].size;
            return 1;
        }
    return 0;
}

int ak_safetensors_open(ak_safetensors *st, const char *path, ak_error *err) {
    memset(st, 0, sizeof *st);
    AK_TRY(read_file(path, &st->blob, &st->size, err));
    st->path = strdup(path);
    if (st->size < 8) {
        ak_safetensors_close(st);
        return ak_error_set(err, AK_EFORMAT, "%s: not a safetensors file (only %zu bytes)", path, st->size);
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | st->blob[i];
    if (hlen > st->size - 8) {
        size_t size = st->size;
        ak_safetensors_close(st);
        return ak_error_set(err, AK_EFORMAT, "%s: header length %llu exceeds the file size %zu", path,
                            (unsigned long long)hlen, size);
    }
    json_error_t jerr;
    json_t *root = json_loadb((const char *)st->blob + 8, (size_t)hlen, 0, &jerr);
    if (!root || !json_is_object(root)) {
        ak_error_set(err, AK_EFORMAT, "%s: header is not a JSON object (line %d column %d: %s)", path,
                     jerr.line, jerr.column, root ? "not an object" : jerr.text);
        json_decref(root);
        ak_safetensors_close(st);
        return AK_EFORMAT;
    }
    const uint8_t *data = st->blob + 8 + hlen;
    size_t data_size = st->size - 8 - (size_t)hlen;
    size_t count = json_object_size(root);
    st->entries = calloc(count ? count : 1, sizeof *st->entries);
    const char *key;
    json_t *val;
    int rc = AK_OK;
    json_object_foreach(root, key, val) {
        if (strcmp(key, "__metadata__") == 0) {
            size_t nm = json_object_size(val);
            st->meta = calloc(nm ? nm : 1, sizeof *st->meta);
            const char *mk;
            json_t *mv;
            json_object_foreach(val, mk, mv) {
                if (!json_is_string(mv)) {
                    rc = ak_error_set(err, AK_EFORMAT, "%s: __metadata__.%s is not a string", path, mk);
                    break;
                }
                st->meta[st->n_meta].key = strdup(mk);
                st->meta[st->n_meta].value = strdup(json_string_value(mv));
                st->n_meta++;
            }
            if (rc)
                break;
            continue;
        }
        ak_st_entry *e = &st->entries[st->n];
        json_t *jd = json_object_get(val, "dtype"), *js = json_object_get(val, "shape"),
               *jo = json_object_get(val, "data_offsets");
        size_t elem = 0;
        if (!json_is_string(jd) || !parse_dtype(json_string_value(jd), &e->dtype, &elem)) {
            rc = ak_error_set(err, AK_EFORMAT, "%s: tensor '%s': missing or unsupported dtype", path, key);
            break;
        }
        if (!json_is_array(js) || json_array_size(js) > AK_ST_MAX_DIMS) {
            rc = ak_error_set(err, AK_EFORMAT, "%s: tensor '%s': bad shape", path, key);
            break;
        }
        e->ndim = (int)json_array_size(js);
        e->numel = 1;
        for (int d = 0; d < e->ndim; d++) {
            json_t *x = json_array_get(js, (size_t)d);
            if (!json_is_integer(x) || json_integer_value(x) < 0) {
                rc = ak_error_set(err, AK_EFORMAT, "%s: tensor '%s': shape[%d] is not a size", path, key, d);
                break;
            }
            e->shape[d] = json_integer_value(x);
            if (e->shape[d] > 0 && e->numel > INT64_MAX / e->shape[d]) { /* fuzzing: signed overflow */
                rc = ak_error_set(err, AK_EFORMAT, "%s: tensor '%s': the shape's element count overflows", path, key);
                break;
            }
            e->numel *= e->shape[d];
        }
        if (rc)
            break;
        if (e->numel > (int64_t)(data_size / elem)) { /* else numel * elem below could wrap around */
            rc = ak_error_set(err, AK_EFORMAT, "%s: tensor '%s': %lld elements do not fit the %zu-byte data section",
                              path, key, (long long)e->numel, data_size);
            break;
        }
        if (!json_is_array(jo) || json_array_size(jo) != 2 || !json_is_integer(json_array_get(jo, 0)) ||
            !json_is_integer(json_array_get(jo, 1))) {
            rc = ak_error_set(err, AK_EFORMAT, "%s: tensor '%s': bad data_offsets", path, key);
            break;
        }
        json_int_t b = json_integer_value(json_array_get(jo, 0)), end = json_integer_value(json_array_get(jo, 1));
        if (b < 0 || end < b || (size_t)end > data_size || (size_t)(end - b) != (size_t)e->numel * elem) {
            rc = ak_error_set(err, AK_EFORMAT,
                              "%s: tensor '%s': data_offsets [%lld, %lld] do not fit %lld elements of %zu bytes "
                              "in a %zu-byte data section",
                              path, key, (long long)b, (long long)end, (long long)e->numel, elem, data_size);
            break;
        }
        e->name = strdup(key);
        e->data = data + b;
        e->nbytes = (size_t)(end - b);
        st->n++;
    }
    json_decref(root);
    if (rc)
        ak_safetensors_close(st);
    return rc;
}

void ak_safetensors_close(ak_safetensors *st) {
    for (int i = 0; i < st->n; i++)
        free(st->entries[i].name);
    for (int i = 0; i < st->n_meta; i++) {
        free(st->meta[i].key);
        free(st->meta[i].value);
    }
    free(st->entries);
    free(st->meta);
    free(st->blob);
    free(st->path);
    memset(st, 0, sizeof *st);
}

const ak_st_entry *ak_safetensors_find(const ak_safetensors *st, const char *name) {
    for (int i = 0; i < st->n; i++)
        if (strcmp(st->entries[i].name, name) == 0)
            return &st->entries[i];
    return NULL;
}

const char *ak_safetensors_meta(const ak_safetensors *st, const char *key) {
    for (int i = 0; i < st->n_meta; i++)
        if (strcmp(st->meta[i].key, key) == 0)
            return st->meta[i].value;
    return NULL;
}

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { /* subnormal: renormalise */
            exp = 127 - 15 + 1;
            while (!(mant & 0x400)) {
                mant <<= 1;
                exp--;
            }
            bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static const ak_st_entry *lookup(const ak_safetensors *st, const char *name, int64_t numel, ak_error *err) {
    const ak_st_entry *e = ak_safetensors_find(st, name);
    if (!e) {
        ak_error_set(err, AK_EFORMAT, "%s: no tensor named '%s'", st->path, name);
        return NULL;
    }
    if (e->numel != numel) {
        ak_error_set(err, AK_ESHAPE, "%s: tensor '%s' has %lld elements, expected %lld", st->path, name,
                     (long long)e->numel, (long long)numel);
        return NULL;
    }
    return e;
}

int ak_safetensors_read_f32(const ak_safetensors *st, const char *name, float *out, int64_t numel,
                            ak_error *err) {
    const ak_st_entry *e = lookup(st, name, numel, err);
    if (!e)
        return err ? err->code : AK_EFORMAT;
    const uint8_t *p = e->data;
    for (int64_t i = 0; i < numel; i++) {
        switch (e->dtype) {
        case AK_ST_F32: memcpy(&out[i], p + 4 * i, 4); break;
        case AK_ST_F64: { double d; memcpy(&d, p + 8 * i, 8); out[i] = (float)d; } break;
        case AK_ST_F16: { uint16_t h; memcpy(&h, p + 2 * i, 2); out[i] = half_to_float(h); } break;
        case AK_ST_BF16: { uint16_t h; memcpy(&h, p + 2 * i, 2); uint32_t b = (uint32_t)h << 16; memcpy(&out[i], &b, 4); } break;
        case AK_ST_I64: { int64_t v; memcpy(&v, p + 8 * i, 8); out[i] = (float)v; } break;
        case AK_ST_I32: { int32_t v; memcpy(&v, p + 4 * i, 4); out[i] = (float)v; } break;
        case AK_ST_U8: case AK_ST_BOOL: out[i] = (float)p[i]; break;
        }
    }
    return AK_OK;
}

int ak_safetensors_read_i64(const ak_safetensors *st, const char *name, int64_t *out, int64_t numel,
                            ak_error *err) {
    const ak_st_entry *e = lookup(st, name, numel, err);
    if (!e)
        return err ? err->code : AK_EFORMAT;
    const uint8_t *p = e->data;
    for (int64_t i = 0; i < numel; i++) {
        switch (e->dtype) {
        case AK_ST_I64: memcpy(&out[i], p + 8 * i, 8); break;
        case AK_ST_I32: { int32_t v; memcpy(&v, p + 4 * i, 4); out[i] = v; } break;
        case AK_ST_U8: case AK_ST_BOOL: out[i] = p[i]; break;
        default:
            return ak_error_set(err, AK_EFORMAT, "%s: tensor '%s' is floating point, expected integers",
                                st->path, name);
        }
    }
    return AK_OK;
}

int ak_safetensors_write_f32(const char *path, const ak_st_write_entry *entries, int n,
                             const ak_st_meta *meta, int n_meta, ak_error *err) {
    json_t *root = json_object();
    size_t off = 0;
    /* jansson refuses keys and strings that are not UTF-8 (json_object_set_new fails, json_string
     * returns NULL): check, or such a tensor would be silently missing from the file (fuzzing). */
    if (n_meta) {
        json_t *m = json_object();
        for (int i = 0; i < n_meta; i++)
            if (json_object_set_new(m, meta[i].key, json_string(meta[i].value)) != 0) {
                json_decref(m);
                json_decref(root);
                return ak_error_set(err, AK_EINVAL, "%s: metadata '%s' is not a valid UTF-8 key / value", path,
                                    meta[i].key);
            }
        json_object_set_new(root, "__metadata__", m);
    }
    for (int i = 0; i < n; i++) {
        json_t *e = json_object(), *shape = json_array();
        int64_t numel = 1;
        for (int d = 0; d < entries[i].ndim; d++) {
            json_array_append_new(shape, json_integer(entries[i].shape[d]));
            numel *= entries[i].shape[d];
        }
        json_object_set_new(e, "dtype", json_string("F32"));
        json_object_set_new(e, "shape", shape);
        json_t *offs = json_array();
        json_array_append_new(offs, json_integer((json_int_t)off));
        off += (size_t)numel * 4;
        json_array_append_new(offs, json_integer((json_int_t)off));
        json_object_set_new(e, "data_offsets", offs);
        if (json_object_set_new(root, entries[i].name, e) != 0) {
            json_decref(root);
            return ak_error_set(err, AK_EINVAL, "%s: tensor name '%s' is not valid UTF-8 (safetensors keys are JSON)",
                                path, entries[i].name);
        }
    }
    char *header = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!header)
        return ak_error_set(err, AK_ENOMEM, "%s: cannot encode the header", path);
    size_t hlen = strlen(header), pad = (8 - hlen % 8) % 8; /* align data to 8 bytes */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        free(header);
        return ak_error_set(err, AK_EIO, "%s: cannot create (%s)", tmp, strerror(errno));
    }
    uint8_t len8[8];
    uint64_t total = hlen + pad;
    for (int i = 0; i < 8; i++)
        len8[i] = (uint8_t)(total >> (8 * i));
    int ok = fwrite(len8, 1, 8, f) == 8 && fwrite(header, 1, hlen, f) == hlen &&
             fwrite("        ", 1, pad, f) == pad;
    free(header);
    for (int i = 0; ok && i < n; i++) {
        int64_t numel = 1;
        for (int d = 0; d < entries[i].ndim; d++)
            numel *= entries[i].shape[d];
        ok = fwrite(entries[i].data, 4, (size_t)numel, f) == (size_t)numel;
    }
    if (fclose(f) != 0)
        ok = 0;
    if (!ok) {
        remove(tmp);
        return ak_error_set(err, AK_EIO, "%s: write failed (%s)", tmp, strerror(errno));
    }
    if (rename(tmp, path) != 0)
        return ak_error_set(err, AK_EIO, "%s: cannot rename from %s (%s)", path, tmp, strerror(errno));
    return AK_OK;
}
