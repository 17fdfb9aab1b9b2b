/* safetensors files (https://github.com/huggingface/safetensors format): an 8-byte little-endian
 * header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}},
 * then the raw little-endian tensor bytes. Used for imported weights and for the PyTorch reference
 * fixtures that tools/ writes (metadata "format" names the fixture format and version).
 *
 * Reading loads the whole file into memory (fixtures and weights are read once). Every malformed
 * header, out-of-range offset or unsupported dtype is an AK_EFORMAT error naming the file and entry.
 * Ownership: ak_safetensors owns its blob and entries until ak_safetensors_close.
 */
#ifndef AK_SAFETENSORS_H
#define AK_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define AK_ST_MAX_DIMS 8

typedef enum ak_st_dtype { AK_ST_F32, AK_ST_F64, AK_ST_F16, AK_ST_BF16, AK_ST_I64, AK_ST_I32, AK_ST_U8, AK_ST_BOOL } ak_st_dtype;

typedef struct ak_st_entry {
    char *name;
    ak_st_dtype dtype;
    int ndim;
    int64_t shape[AK_ST_MAX_DIMS];
    int64_t numel;
    const uint8_t *data; /* points into the blob */
    size_t nbytes;
} ak_st_entry;

typedef struct ak_st_meta {
    char *key, *value;
} ak_st_meta;

typedef struct ak_safetensors {
    char *path;
    uint8_t *blob;
    size_t size;
    ak_st_entry *entries;
    int n;
    ak_st_meta *meta;
    int n_meta;
} ak_safetensors;

int ak_safetensors_open(ak_safetensors *st, const char *path, ak_error *err);
void ak_safetensors_close(ak_safetensors *st);
const ak_st_entry *ak_safetensors_find(const ak_safetensors *st, const char *name);
/* Metadata value or NULL. */
const char *ak_safetensors_meta(const ak_safetensors *st, const char *key);
/* Copy entry `name` converted to float32 into out (exactly `numel` elements expected). */
int ak_safetensors_read_f32(const ak_safetensors *st, const char *name, float *out, int64_t numel,
                            ak_error *err);
/* Same converted to int64 (integer dtypes and bool only). */
int ak_safetensors_read_i64(const ak_safetensors *st, const char *name, int64_t *out, int64_t numel,
                            ak_error *err);

/* Writing: tensors given as float32 host arrays. */
typedef struct ak_st_write_entry {
    const char *name;
    int ndim;
    const int64_t *shape;
    const float *data;
} ak_st_write_entry;
/* meta: n_meta key/value pairs (may be 0). Written to path + ".tmp" then renamed. Names, keys and
 * values must be valid UTF-8 (JSON): AK_EINVAL naming the offending one otherwise. */
int ak_safetensors_write_f32(const char *path, const ak_st_write_entry *entries, int n,
                             const ak_st_meta *meta, int n_meta, ak_error *err);

#endif
