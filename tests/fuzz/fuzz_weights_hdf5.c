/* Fuzz target: HDF5 weight files (model.*.pretrained / model.*.weights, `akdbench export` inputs):
 * h5py state dicts in any layout, and akdbench checkpoints / run files read as weights. The input
 * goes through ak_weights_file_open, a float32 read of every entry, then ak_load_weights into a
 * registry holding exactly the file's names and shapes, then a re-export of that registry (HDF5 and
 * safetensors, ak_weights_file_write) and a re-import of each.
 * Invariants beyond "no crash, no leak": failures name the file and leave no HDF5 object open; an
 * opened file's keys are unique, have 0..8 dimensions whose product is numel; entries that are not
 * numbers cannot be read; the strict load succeeds exactly when every entry is a float (or an
 * integer num_batches_tracked) that reads, and then gives the direct reads' bits, and a refused load
 * leaves the registry untouched; export -> import round-trips those bits in both formats.
 * Returns the status of ak_weights_file_open. */
#include <hdf5.h>

#include "core/params.h"
#include "fuzz_support.h"
#include "models/weights.h"
#include "store/weights_file.h"

int ak_fuzz_weights_hdf5(const uint8_t *data, size_t size, ak_error *err);

#define WH_FZ_MAX_NUMEL (1 << 16) /* per entry and in total: the registry stays small */

static void wh_fz_no_open_objects(const char *after) {
    ssize_t n = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
    AK_FUZZ_CHECK(n == 0, "%zd HDF5 objects still open after %s", n, after);
}

static bool wh_fz_counter(const char *name) {
    size_t n = strlen(name), k = strlen("num_batches_tracked");
    return n >= k && strcmp(name + n - k, "num_batches_tracked") == 0;
}

/* Import `path` into a zeroed registry shaped like `like` and compare with `want` bitwise. */
static void wh_fz_reimport(const char *path, const ak_params *like, float *const *want) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error e;
    ak_error_clear(&e);
    for (int i = 0; i < like->n; i++)
        AK_FUZZ_CHECK(ak_params_add_buffer(&ps, like->items[i].name, like->items[i].t->ndim, like->items[i].t->shape, &e),
                      "registry: %s", e.msg);
    ak_weights_opts o = {"", AK_KEYS_OURS, NULL, 0};
    AK_FUZZ_CHECK(ak_load_weights(&ps, path, &o, NULL, &e) == AK_OK, "re-import of %s: %s", path, e.msg);
    wh_fz_no_open_objects("the re-import");
    for (int i = 0; i < ps.n; i++)
        AK_FUZZ_CHECK(memcmp(ps.items[i].t->data, want[i], (size_t)ps.items[i].t->numel * sizeof(float)) == 0,
                      "%s: '%s' changed in the export -> import round trip", path, ps.items[i].name);
    ak_params_free(&ps);
}

/* Registry of the file's entries, strict load, round trips. Returns without checking when the file
 * does not fit a registry (long names, > AK_MAX_DIMS dims, empty or large tensors). */
static void wh_fz_load(const ak_wf_entry *entries, int n, const char *path, float *const *direct, bool all_read) {
    int64_t total = 0;
    bool acceptable = all_read, slash = false, meta_name = false;
    for (int i = 0; i < n; i++) {
        const ak_wf_entry *en = &entries[i];
        if (strlen(en->name) >= AK_PARAM_NAME_LEN || en->ndim > AK_MAX_DIMS || en->numel < 1 ||
            en->numel > WH_FZ_MAX_NUMEL || (total += en->numel) > WH_FZ_MAX_NUMEL)
            return;
        acceptable = acceptable && (en->kind == AK_WF_FLOAT || (en->kind == AK_WF_INT && wh_fz_counter(en->name)));
        slash = slash || strchr(en->name, '/') || strcmp(en->name, ".") == 0 || !en->name[0];
        meta_name = meta_name || strcmp(en->name, "__metadata__") == 0;
    }
    ak_params ps;
    ak_params_init(&ps);
    ak_error e;
    ak_error_clear(&e);
    for (int i = 0; i < n; i++) {
        ak_tensor *t = ak_params_add_buffer(&ps, entries[i].name, entries[i].ndim, entries[i].shape, &e);
        AK_FUZZ_CHECK(t, "registry: %s", e.msg);
        for (int64_t j = 0; j < t->numel; j++)
            t->data[j] = -7.0f; /* a refused load must not touch these */
    }
    ak_weights_opts o = {"", AK_KEYS_OURS, NULL, 0};
    ak_weights_info info;
    int rc = ak_load_weights(&ps, path, &o, &info, &e);
    wh_fz_no_open_objects("ak_load_weights");
    if (rc != AK_OK) {
        ak_fuzz_check_failure(rc, &e, path);
        AK_FUZZ_CHECK(!acceptable, "a file of readable floats was refused: %s", e.msg);
        if (rc == AK_EFORMAT && strstr(e.msg, "weights do not match"))
            for (int i = 0; i < ps.n; i++)
                for (int64_t j = 0; j < ps.items[i].t->numel; j++)
                    AK_FUZZ_CHECK(ps.items[i].t->data[j] == -7.0f, "refused load changed '%s'", ps.items[i].name);
        ak_params_free(&ps);
        return;
    }
    AK_FUZZ_CHECK(acceptable, "a load with non-float entries succeeded");
    AK_FUZZ_CHECK(info.loaded == ps.n, "%d of %d entries loaded", info.loaded, ps.n);
    for (int i = 0; i < ps.n; i++)
        AK_FUZZ_CHECK(memcmp(ps.items[i].t->data, direct[i], (size_t)ps.items[i].t->numel * sizeof(float)) == 0,
                      "'%s' loads other bits than a direct read", ps.items[i].name);
    /* export -> import: both formats */
    ak_st_write_entry *w = calloc((size_t)(ps.n > 0 ? ps.n : 1), sizeof *w);
    AK_FUZZ_CHECK(w, "out of memory");
    for (int i = 0; i < ps.n; i++) {
        w[i].name = ps.items[i].name;
        w[i].ndim = ps.items[i].t->ndim;
        w[i].shape = ps.items[i].t->shape;
        w[i].data = ps.items[i].t->data;
    }
    for (int fmt = 0; fmt < 2; fmt++) {
        if ((fmt == 1 && slash) || (fmt == 0 && meta_name))
            continue; /* a name the format cannot hold (ak_weights_file_write refuses it) */
        const char *out = ak_fuzz_temp_path(fmt ? "export.h5" : "export.safetensors");
        ak_error_clear(&e);
        int rw = ak_weights_file_write(out, fmt ? AK_WF_HDF5 : AK_WF_SAFETENSORS, w, ps.n, NULL, 0, &e);
        wh_fz_no_open_objects("the export");
        if (rw != AK_OK) { /* only a name safetensors cannot hold (not UTF-8): refused, never dropped */
            AK_FUZZ_CHECK(rw == AK_EINVAL && fmt == 0 && strstr(e.msg, "not valid UTF-8"), "export: %s", e.msg);
            ak_fuzz_check_failure(rw, &e, out);
            continue;
        }
        wh_fz_reimport(out, &ps, direct);
    }
    free(w);
    ak_params_free(&ps);
}

int ak_fuzz_weights_hdf5(const uint8_t *data, size_t size, ak_error *err) {
    const char *path = ak_fuzz_temp_file("weights.h5", data, size);
    ak_weights_file wf;
    int rc = ak_weights_file_open(&wf, path, err);
    if (rc != AK_OK) {
        ak_fuzz_check_failure(rc, err, path);
        wh_fz_no_open_objects("a failed ak_weights_file_open");
        return rc;
    }
    float **direct = calloc((size_t)(wf.n > 0 ? wf.n : 1), sizeof *direct);
    AK_FUZZ_CHECK(direct, "out of memory");
    bool all_read = true;
    for (int i = 0; i < wf.n; i++) {
        const ak_wf_entry *en = &wf.entries[i];
        AK_FUZZ_CHECK(en->ndim >= 0 && en->ndim <= AK_WF_MAX_DIMS, "'%s': %d dims", en->name, en->ndim);
        int64_t numel = 1;
        for (int d = 0; d < en->ndim; d++)
            numel *= en->shape[d];
        AK_FUZZ_CHECK(en->numel == (en->kind == AK_WF_OTHER && en->numel == 0 ? 0 : numel),
                      "'%s': numel %lld, shape product %lld", en->name, (long long)en->numel, (long long)numel);
        AK_FUZZ_CHECK(ak_weights_file_find(&wf, en->name) == i, "'%s' is not unique", en->name);
        if (en->numel > WH_FZ_MAX_NUMEL) {
            all_read = false;
            continue;
        }
        direct[i] = malloc((size_t)(en->numel > 0 ? en->numel : 1) * sizeof(float));
        AK_FUZZ_CHECK(direct[i], "out of memory");
        ak_error e;
        ak_error_clear(&e);
        int rr = ak_weights_file_read_f32(&wf, i, direct[i], en->numel, &e);
        if (rr != AK_OK) {
            ak_fuzz_check_failure(rr, &e, path);
            all_read = false;
        }
        AK_FUZZ_CHECK(en->kind != AK_WF_OTHER || rr != AK_OK, "'%s' (%s) read as numbers", en->name, en->dtype);
        ak_error_clear(&e);
        AK_FUZZ_CHECK(ak_weights_file_read_f32(&wf, i, direct[i], en->numel + 1, &e) != AK_OK,
                      "'%s': a read with a wrong count succeeded", en->name);
        ak_fuzz_check_failure(e.code, &e, path);
    }
    /* The loader opens the file itself: keep the entries' names and shapes, close ours. */
    int n = wf.n;
    ak_wf_entry *entries = calloc((size_t)(n > 0 ? n : 1), sizeof *entries);
    AK_FUZZ_CHECK(entries, "out of memory");
    for (int i = 0; i < n; i++) {
        entries[i] = wf.entries[i];
        entries[i].name = strdup(wf.entries[i].name);
        entries[i].where = NULL;
        AK_FUZZ_CHECK(entries[i].name, "out of memory");
    }
    ak_weights_file_close(&wf);
    wh_fz_no_open_objects("ak_weights_file_close");
    wh_fz_load(entries, n, path, direct, all_read);
    for (int i = 0; i < n; i++) {
        free(direct[i]);
        free(entries[i].name);
    }
    free(direct);
    free(entries);
    wh_fz_no_open_objects("the weight readers");
    return AK_OK;
}

AK_FUZZ_ENTRY(ak_fuzz_weights_hdf5)
