/* See weights.h. */
#include "models/weights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/hash.h"
#include "store/safetensors.h"

static bool ignored(const char *key, const char *const *ignore, int n) {
    for (int i = 0; i < n; i++)
        if (strncmp(key, ignore[i], strlen(ignore[i])) == 0)
            return true;
    return false;
}

/* Append "name" to a bounded comma list, counting everything. */
static void note(char *list, size_t cap, int *count, const char *name) {
    if (*count < 6) {
        size_t len = strlen(list);
        snprintf(list + len, cap - len, "%s%s", len ? ", " : "", name);
    }
    (*count)++;
}

int ak_load_weights_safetensors(ak_params *ps, const char *prefix, const char *path, const char *const *ignore_prefixes,
                                int n_ignore, char *sha256_hex, ak_error *err) {
    ak_safetensors st;
    AK_TRY(ak_safetensors_open(&st, path, err));
    size_t plen = strlen(prefix);
    int *src = malloc((size_t)(ps->n > 0 ? ps->n : 1) * sizeof *src); /* file entry of each param */
    bool *used = calloc((size_t)(st.n > 0 ? st.n : 1), sizeof *used);
    char missing[512] = "", unexpected[512] = "", misshaped[512] = "";
    int n_missing = 0, n_unexpected = 0, n_misshaped = 0;
    for (int i = 0; i < ps->n; i++) {
        src[i] = -1;
        const char *name = ps->items[i].name;
        if (strncmp(name, prefix, plen) != 0)
            continue;
        for (int k = 0; k < st.n && src[i] < 0; k++)
            if (strcmp(st.entries[k].name, name + plen) == 0 || strcmp(st.entries[k].name, name) == 0)
                src[i] = k;
        if (src[i] < 0) {
            if (!strstr(name, "num_batches_tracked"))
                note(missing, sizeof missing, &n_missing, name);
            continue;
        }
        const ak_st_entry *e = &st.entries[src[i]];
        const ak_tensor *t = ps->items[i].t;
        bool same = e->numel == t->numel && (e->ndim == t->ndim || (e->ndim == 0 && t->numel == 1));
        for (int d = 0; same && d < t->ndim && d < e->ndim; d++)
            same = e->shape[d] == t->shape[d];
        if (!same)
            note(misshaped, sizeof misshaped, &n_misshaped, name);
        used[src[i]] = true;
    }
    for (int k = 0; k < st.n; k++)
        if (!used[k] && !ignored(st.entries[k].name, ignore_prefixes, n_ignore))
            note(unexpected, sizeof unexpected, &n_unexpected, st.entries[k].name);
    int rc = AK_OK;
    if (n_missing || n_unexpected || n_misshaped)
        rc = ak_error_set(err, AK_EFORMAT,
                          "%s: weights do not match the model under '%s': %d missing [%s]; %d unexpected [%s]; "
                          "%d mis-shaped [%s]",
                          path, prefix, n_missing, missing, n_unexpected, unexpected, n_misshaped, misshaped);
    for (int i = 0; rc == AK_OK && i < ps->n; i++)
        if (src[i] >= 0)
            rc = ak_safetensors_read_f32(&st, st.entries[src[i]].name, ps->items[i].t->data, ps->items[i].t->numel,
                                         err);
    if (rc == AK_OK && sha256_hex)
        rc = ak_sha256_file_hex(path, sha256_hex, err);
    free(src);
    free(used);
    ak_safetensors_close(&st);
    return rc;
}
