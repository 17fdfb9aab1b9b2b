/* Fuzz target: safetensors weight files (imported backbone weights, model.*.pretrained, and the
 * reference fixtures) through ak_safetensors_open and every reader: each entry read as float32 and
 * as int64, metadata looked up.
 * Invariants: failures name the file; an opened file's entries have a shape whose product is numel,
 * data inside the file's data section with nbytes = numel * element size, and unique names that
 * ak_safetensors_find returns; a float read of an F32 entry gives its bytes back. */
#include "fuzz_support.h"
#include "store/safetensors.h"

int ak_fuzz_safetensors(const uint8_t *data, size_t size, ak_error *err);

static size_t st_fz_elem(ak_st_dtype d) {
    switch (d) {
    case AK_ST_F32: case AK_ST_I32: return 4;
    case AK_ST_F64: case AK_ST_I64: return 8;
    case AK_ST_F16: case AK_ST_BF16: return 2;
    case AK_ST_U8: case AK_ST_BOOL: return 1;
    }
    return 0;
}

int ak_fuzz_safetensors(const uint8_t *data, size_t size, ak_error *err) {
    const char *path = ak_fuzz_temp_file("weights.safetensors", data, size);
    ak_safetensors st;
    int rc = ak_safetensors_open(&st, path, err);
    if (rc != AK_OK) {
        ak_fuzz_check_failure(rc, err, path);
        return rc;
    }
    AK_FUZZ_CHECK(st.size == size, "size %zu of %zu", st.size, size);
    for (int i = 0; i < st.n; i++) {
        const ak_st_entry *e = &st.entries[i];
        AK_FUZZ_CHECK(e->name && e->ndim >= 0 && e->ndim <= AK_ST_MAX_DIMS, "entry %d", i);
        int64_t numel = 1;
        for (int d = 0; d < e->ndim; d++)
            numel *= e->shape[d];
        AK_FUZZ_CHECK(numel == e->numel && numel >= 0, "'%s': shape product %lld, numel %lld", e->name,
                      (long long)numel, (long long)e->numel);
        AK_FUZZ_CHECK(e->nbytes == (size_t)e->numel * st_fz_elem(e->dtype), "'%s': %zu bytes for %lld elements",
                      e->name, e->nbytes, (long long)e->numel);
        AK_FUZZ_CHECK(e->data >= st.blob + 8 && e->data + e->nbytes <= st.blob + st.size, "'%s': data outside the file",
                      e->name);
        AK_FUZZ_CHECK(ak_safetensors_find(&st, e->name) == e, "'%s' is not unique", e->name);
        float *f = malloc((size_t)(e->numel ? e->numel : 1) * sizeof *f);
        int64_t *q = malloc((size_t)(e->numel ? e->numel : 1) * sizeof *q);
        AK_FUZZ_CHECK(f && q, "out of memory");
        ak_error e2;
        ak_error_clear(&e2);
        AK_FUZZ_CHECK(ak_safetensors_read_f32(&st, e->name, f, e->numel, &e2) == AK_OK, "read_f32 '%s': %s", e->name,
                      e2.msg);
        if (e->dtype == AK_ST_F32 && e->numel > 0)
            AK_FUZZ_CHECK(memcmp(f, e->data, e->nbytes) == 0, "'%s': float32 read changed the bytes", e->name);
        ak_error_clear(&e2);
        int rq = ak_safetensors_read_i64(&st, e->name, q, e->numel, &e2);
        int is_int = e->dtype == AK_ST_I64 || e->dtype == AK_ST_I32 || e->dtype == AK_ST_U8 || e->dtype == AK_ST_BOOL;
        if (rq != AK_OK)
            ak_fuzz_check_failure(rq, &e2, path);
        AK_FUZZ_CHECK((rq == AK_OK) == (is_int || e->numel == 0), "read_i64 '%s' of dtype %d: %d", e->name,
                      (int)e->dtype, rq);
        ak_error_clear(&e2);
        int rw = ak_safetensors_read_f32(&st, e->name, f, e->numel + 1, &e2);
        AK_FUZZ_CHECK(rw == AK_ESHAPE, "read_f32 with a wrong count: %d", rw);
        ak_fuzz_check_failure(rw, &e2, path);
        free(f);
        free(q);
    }
    for (int i = 0; i < st.n_meta; i++)
        AK_FUZZ_CHECK(ak_safetensors_meta(&st, st.meta[i].key) != NULL, "metadata '%s' not found", st.meta[i].key);
    ak_safetensors_close(&st);
    return AK_OK;
}

AK_FUZZ_ENTRY(ak_fuzz_safetensors)
