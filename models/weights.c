/* Strict weight import: one matching path for every file format and key scheme. See weights.h. */
#include "models/weights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/name_list.h"
#include "models/weight_keys.h"

static bool starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

static bool is_counter(const char *name) {
    size_t n = strlen(name), k = strlen("num_batches_tracked");
    return n >= k && strcmp(name + n - k, "num_batches_tracked") == 0;
}



/* Same shape, a 0-d scalar and a one-element 1-d tensor counting as the same (PyTorch versions differ). */
static bool same_shape(const ak_wf_entry *e, const ak_tensor *t) {
    if (e->numel != t->numel)
        return false;
    if (e->ndim != t->ndim)
        return t->numel == 1 && e->ndim <= 1 && t->ndim <= 1;
    for (int d = 0; d < t->ndim; d++)
        if (e->shape[d] != t->shape[d])
            return false;
    return true;
}

/* The file-key prefix of a sub-module scope (see weights.h): the first candidate that starts a key. */
static const char *scope_prefix(const ak_weights_file *wf, const char *scope) {
    const char *cand[2] = {strcmp(scope, "backbone.") == 0 ? "backbone.body." : NULL, scope};
    for (int c = 0; c < 2; c++)
        for (int k = 0; cand[c] && k < wf->n; k++)
            if (starts(wf->entries[k].name, cand[c]))
                return cand[c];
    return "";
}

static ak_key_style resolve_style(const ak_weights_file *wf, ak_key_style style, bool ours_layout, ak_error *err,
                                  int *rc) {
    if (style != AK_KEYS_AUTO)
        return style;
    if (ours_layout)
        return AK_KEYS_OURS;
    const char **keys = malloc((size_t)(wf->n > 0 ? wf->n : 1) * sizeof *keys);
    if (!keys) {
        *rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", wf->path);
        return AK_KEYS_OURS;
    }
    for (int k = 0; k < wf->n; k++)
        keys[k] = wf->entries[k].name;
    ak_key_style s = ak_key_style_detect(keys, wf->n);
    free(keys);
    return s;
}

typedef struct match {
    int *src;   /* per registry entry: file entry, or -1 */
    bool *used; /* per file entry */
    ak_name_list missing, unexpected, misshaped, dtype, nomap;
    int skipped;
} match;

static void match_entry(match *mt, const ak_weights_file *wf, const ak_param *p, int i, const char *want) {
    int k = ak_weights_file_find(wf, want);
    if (k < 0) {
        if (!is_counter(p->name)) {
            if (strcmp(want, p->name) == 0)
                ak_name_list_add(&mt->missing, "%s", p->name);
            else
                ak_name_list_add(&mt->missing, "%s as '%s'", p->name, want);
        }
        return;
    }
    const ak_wf_entry *e = &wf->entries[k];
    mt->used[k] = true;
    mt->src[i] = k;
    if (!same_shape(e, p->t)) {
        char a[96], b[96];
        ak_dims_str(e->ndim, e->shape, a, sizeof a);
        ak_dims_str(p->t->ndim, p->t->shape, b, sizeof b);
        ak_name_list_add(&mt->misshaped, "%s: file %s, model %s", e->name, a, b);
    }
    if (e->kind == AK_WF_OTHER || (e->kind == AK_WF_INT && !is_counter(p->name)))
        ak_name_list_add(&mt->dtype, "%s is %s", e->name, e->dtype);
}

int ak_load_weights(ak_params *ps, const char *path, const ak_weights_opts *o, ak_weights_info *info, ak_error *err) {
    const char *scope = o && o->scope ? o->scope : "";
    if (scope[0] && scope[strlen(scope) - 1] != '.')
        return ak_error_set(err, AK_EINVAL, "%s: weight scope '%s' must be '' or end with '.'", path, scope);
    ak_weights_file wf;
    AK_TRY(ak_weights_file_open(&wf, path, err));
    bool ours_layout = starts(wf.layout, "akdbench-") && strcmp(wf.layout, AK_WEIGHTS_FORMAT) != 0;
    int rc = AK_OK;
    ak_key_style style = resolve_style(&wf, o ? o->style : AK_KEYS_AUTO, ours_layout, err, &rc);
    ak_key_model model;
    ak_key_model_init(&model);
    for (int i = 0; i < ps->n; i++)
        ak_key_model_add(&model, ps->items[i].name);
    if (rc == AK_OK && !scope[0])
        rc = ak_key_style_check(style, &model, path, err);
    const char *fp = scope[0] ? scope_prefix(&wf, scope) : "";
    size_t slen = strlen(scope);

    match mt;
    memset(&mt, 0, sizeof mt);
    mt.src = malloc((size_t)(ps->n > 0 ? ps->n : 1) * sizeof *mt.src);
    mt.used = calloc((size_t)(wf.n > 0 ? wf.n : 1), sizeof *mt.used);
    if (rc == AK_OK && (!mt.src || !mt.used))
        rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", path);
    for (int i = 0; rc == AK_OK && i < ps->n; i++) {
        mt.src[i] = -1;
        const ak_param *p = &ps->items[i];
        if (!starts(p->name, scope))
            continue;
        char want[3 * AK_PARAM_NAME_LEN];
        if (!scope[0]) {
            if (ak_key_to_style(style, &model, p->name, want, sizeof want) != AK_OK) {
                ak_name_list_add(&mt.nomap, "%s", p->name);
                continue;
            }
        } else {
            snprintf(want, sizeof want, "%s%s", fp, p->name + slen);
        }
        match_entry(&mt, &wf, p, i, want);
    }
    for (int k = 0; rc == AK_OK && k < wf.n; k++) {
        const char *key = wf.entries[k].name;
        if (mt.used[k])
            continue;
        bool skip = (fp[0] && !starts(key, fp)) || (ours_layout && starts(key, "distill."));
        for (int j = 0; !skip && o && j < o->n_ignore; j++)
            skip = starts(key, o->ignore[j]);
        if (skip)
            mt.skipped++;
        else
            ak_name_list_add(&mt.unexpected, "%s", key);
    }
    if (rc == AK_OK && (mt.missing.n || mt.unexpected.n || mt.misshaped.n || mt.dtype.n || mt.nomap.n)) {
        char detail[AK_ERROR_MSG_LEN] = "", nomap[64];
        snprintf(nomap, sizeof nomap, "without a %s counterpart", ak_key_style_name(style));
        ak_name_list_emit(detail, sizeof detail, "missing", &mt.missing);
        ak_name_list_emit(detail, sizeof detail, "unexpected", &mt.unexpected);
        ak_name_list_emit(detail, sizeof detail, "mis-shaped", &mt.misshaped);
        ak_name_list_emit(detail, sizeof detail, "not float", &mt.dtype);
        ak_name_list_emit(detail, sizeof detail, nomap, &mt.nomap);
        rc = ak_error_set(err, AK_EFORMAT, "%s (%s, %s keys): weights do not match the model under '%s': %s", path,
                          wf.layout, ak_key_style_name(style), scope, detail);
    }
    int loaded = 0;
    for (int i = 0; rc == AK_OK && i < ps->n; i++)
        if (mt.src[i] >= 0) {
            rc = ak_weights_file_read_f32(&wf, mt.src[i], ps->items[i].t->data, ps->items[i].t->numel, err);
            loaded++;
        }
    if (rc == AK_OK && info) {
        memset(info, 0, sizeof *info);
        snprintf(info->layout, sizeof info->layout, "%s", wf.layout);
        info->style = style;
        info->loaded = loaded;
        info->skipped = mt.skipped;
        rc = ak_sha256_file_hex(path, info->sha256, err);
    }
    free(mt.src);
    free(mt.used);
    ak_weights_file_close(&wf);
    return rc;
}
