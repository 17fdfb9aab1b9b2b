/* See weights_export.h. */
#include "models/weights_export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/params.h"
#include "models/weight_keys.h"

static const char *const model_modules[] = {"backbone.",      "neck.",       "bbox_head.", "decode_head.",
                                            "auxiliary_head.", "classifier.", "aux_classifier."};

/* The model name of a stored key ("student." removed), or NULL when it is not a model tensor. */
static const char *model_name(const char *key) {
    if (strncmp(key, "student.", 8) == 0)
        key += 8;
    for (size_t m = 0; m < sizeof model_modules / sizeof model_modules[0]; m++)
        if (strncmp(key, model_modules[m], strlen(model_modules[m])) == 0)
            return key;
    return NULL;
}

typedef struct export_buf {
    ak_st_write_entry *e;
    char (*names)[3 * AK_PARAM_NAME_LEN];
    float **data;
    int n;
} export_buf;

static void buf_free(export_buf *b) {
    for (int i = 0; b->data && i < b->n; i++)
        free(b->data[i]);
    free(b->e);
    free(b->names);
    free(b->data);
}

int ak_export_student_weights(const char *in, const char *out, const ak_export_opts *o, ak_export_info *info,
                              ak_error *err) {
    ak_key_style style = o->style == AK_KEYS_AUTO ? AK_KEYS_OURS : o->style;
    if (style < 0 || style >= AK_KEYS_COUNT)
        return ak_error_set(err, AK_EINVAL, "%s: unknown key style %d", out, (int)o->style);
    if (o->format != AK_WF_SAFETENSORS && o->format != AK_WF_HDF5)
        return ak_error_set(err, AK_EINVAL, "%s: unknown output format %d", out, (int)o->format);
    ak_weights_file wf;
    AK_TRY(ak_weights_file_open(&wf, in, err));
    ak_key_model model;
    ak_key_model_init(&model);
    int keep = 0, rc = AK_OK;
    for (int k = 0; k < wf.n; k++) {
        const char *name = model_name(wf.entries[k].name);
        if (name) {
            ak_key_model_add(&model, name);
            keep++;
        }
    }
    if (keep == 0)
        rc = ak_error_set(err, AK_EFORMAT, "%s (%s): no model tensors (backbone., neck., bbox_head., decode_head., "
                          "auxiliary_head.) among its %d tensors", in, wf.layout, wf.n);
    if (rc == AK_OK)
        rc = ak_key_style_check(style, &model, out, err);
    export_buf b = {0};
    if (rc == AK_OK) {
        b.e = calloc((size_t)keep, sizeof *b.e);
        b.names = calloc((size_t)keep, sizeof *b.names);
        b.data = calloc((size_t)keep, sizeof *b.data);
        if (!b.e || !b.names || !b.data)
            rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", in);
    }
    char nomap[256] = "", bad[256] = "";
    int n_nomap = 0, n_bad = 0;
    for (int k = 0; rc == AK_OK && k < wf.n; k++) {
        const ak_wf_entry *e = &wf.entries[k];
        const char *name = model_name(e->name);
        if (!name)
            continue;
        if (e->kind == AK_WF_OTHER || (e->kind == AK_WF_INT && !strstr(name, "num_batches_tracked"))) {
            if (n_bad++ < 4)
                snprintf(bad + strlen(bad), sizeof bad - strlen(bad), "%s%s is %s", n_bad > 1 ? ", " : "", e->name,
                         e->dtype);
            continue;
        }
        if (ak_key_to_style(style, &model, name, b.names[b.n], sizeof b.names[b.n]) != AK_OK) {
            if (n_nomap++ < 4)
                snprintf(nomap + strlen(nomap), sizeof nomap - strlen(nomap), "%s%s", n_nomap > 1 ? ", " : "", name);
            continue;
        }
        b.data[b.n] = malloc((size_t)(e->numel > 0 ? e->numel : 1) * sizeof(float));
        if (!b.data[b.n]) {
            rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory (%s)", in, e->name);
            break;
        }
        rc = ak_weights_file_read_f32(&wf, k, b.data[b.n], e->numel, err);
        b.e[b.n].name = b.names[b.n];
        b.e[b.n].ndim = e->ndim;
        b.e[b.n].shape = e->shape;
        b.e[b.n].data = b.data[b.n];
        b.n++;
    }
    if (rc == AK_OK && n_bad)
        rc = ak_error_set(err, AK_EFORMAT, "%s: %d model tensors are not float [%s%s]", in, n_bad, bad,
                          n_bad > 4 ? ", ..." : "");
    if (rc == AK_OK && n_nomap)
        rc = ak_error_set(err, AK_EINVAL, "%s: %d tensors of the %s have no %s name [%s%s]", out, n_nomap,
                          ak_key_model_kind(&model), ak_key_style_name(style), nomap, n_nomap > 4 ? ", ..." : "");
    if (rc == AK_OK) {
        ak_st_meta meta[3] = {{(char *)"source", (char *)in},
                              {(char *)"source_layout", wf.layout},
                              {(char *)"key_style", (char *)ak_key_style_name(style)}};
        rc = ak_weights_file_write(out, o->format, b.e, b.n, meta, 3, err);
    }
    if (rc == AK_OK && info) {
        memset(info, 0, sizeof *info);
        snprintf(info->layout, sizeof info->layout, "%s", wf.layout);
        snprintf(info->model, sizeof info->model, "%s", ak_key_model_kind(&model));
        info->written = b.n;
        info->dropped = wf.n - keep;
    }
    buf_free(&b);
    ak_weights_file_close(&wf);
    return rc;
}
