/* Reading one run file into an ak_report_run (see collect.h): provenance, the config flattened to
 * dotted leaves, the identity fields the tables group by, and the last evaluation. A file that
 * cannot be read becomes a run with state AK_RR_UNREADABLE and the reason, never a silent skip. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/collect.h"
#include "reports/strbuf.h"
#include "store/config.h"
#include "store/runfile.h"

const char *ak_report_state_name(ak_report_state s) {
    switch (s) {
    case AK_RR_COMPLETE: return "complete";
    case AK_RR_NO_EVAL: return "complete, no evaluation";
    case AK_RR_INCOMPLETE: return "incomplete";
    case AK_RR_FAILED: return "failed";
    case AK_RR_UNREADABLE: return "unreadable";
    case AK_RR_MISSING: return "missing";
    case AK_RR_DUPLICATE: return "duplicate";
    }
    return "?";
}

static char *dup_str(const char *s) {
    size_t n = strlen(s ? s : "") + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s ? s : "", n);
    return d;
}

/* ---- config leaves ---- */

typedef struct kv_list {
    ak_report_kv *kv;
    int n, cap, oom;
} kv_list;

static void render(const ak_cfg_node *n, ak_sb *b) {
    if (n->kind == AK_CFG_SCALAR) {
        ak_sb_append(b, n->text);
    } else if (n->kind == AK_CFG_SEQ) {
        ak_sb_append(b, "[");
        for (int i = 0; i < n->n; i++) {
            if (i)
                ak_sb_append(b, ", ");
            render(n->items[i], b);
        }
        ak_sb_append(b, "]");
    } else {
        ak_sb_append(b, "{");
        for (int i = 0; i < n->n; i++) {
            ak_sb_appendf(b, "%s%s: ", i ? ", " : "", n->entries[i].key);
            render(n->entries[i].val, b);
        }
        ak_sb_append(b, "}");
    }
}

static void push_leaf(kv_list *l, const char *key, const ak_cfg_node *val) {
    if (l->oom)
        return;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        ak_report_kv *kv = realloc(l->kv, (size_t)cap * sizeof *kv);
        if (!kv) {
            l->oom = 1;
            return;
        }
        l->kv = kv;
        l->cap = cap;
    }
    ak_sb b = {0};
    render(val, &b);
    char *k = dup_str(key);
    if (b.oom || !k) {
        free(k);
        ak_sb_free(&b);
        l->oom = 1;
        return;
    }
    l->kv[l->n].key = k;
    l->kv[l->n].value = b.s ? b.s : dup_str("");
    l->n++;
}

/* Maps become dotted paths; anything else is a leaf. */
static void flatten(const ak_cfg_node *n, const char *prefix, kv_list *l) {
    if (n->kind != AK_CFG_MAP) {
        push_leaf(l, prefix, n);
        return;
    }
    for (int i = 0; i < n->n; i++) {
        ak_sb path = {0};
        ak_sb_appendf(&path, "%s%s%s", prefix, prefix[0] ? "." : "", n->entries[i].key);
        if (path.oom)
            l->oom = 1;
        else
            flatten(n->entries[i].val, ak_sb_str(&path), l);
        ak_sb_free(&path);
    }
}

const char *ak_report_run_get(const ak_report_run *r, const char *key) {
    for (int i = 0; i < r->n_kv; i++)
        if (strcmp(r->kv[i].key, key) == 0)
            return r->kv[i].value;
    return NULL;
}

static void copy_leaf(const ak_report_run *r, const char *key, char *out, size_t len, const char *def) {
    const char *v = ak_report_run_get(r, key);
    snprintf(out, len, "%s", v ? v : def);
}

static void read_net(const ak_report_run *r, const char *which, ak_report_net *net) {
    char key[64], v[32];
    snprintf(key, sizeof key, "model.%s.arch", which);
    copy_leaf(r, key, net->arch, sizeof net->arch, "?");
    snprintf(key, sizeof key, "model.%s.backbone", which);
    copy_leaf(r, key, net->backbone, sizeof net->backbone, "?");
    snprintf(key, sizeof key, "model.%s.width", which);
    copy_leaf(r, key, v, sizeof v, "1");
    net->width = atof(v);
    snprintf(key, sizeof key, "model.%s.dilated", which);
    copy_leaf(r, key, v, sizeof v, "false");
    net->dilated = strcmp(v, "true") == 0;
}

static void read_identity(ak_report_run *r) {
    char v[64];
    copy_leaf(r, "task", r->task, sizeof r->task, "?");
    copy_leaf(r, "dataset.name", r->dataset, sizeof r->dataset, "?");
    copy_leaf(r, "dataset.synthetic", v, sizeof v, "false");
    r->synthetic = strcmp(v, "true") == 0;
    copy_leaf(r, "distill.method", r->method, sizeof r->method, "none");
    copy_leaf(r, "model.inherit_from_teacher", r->inherit, sizeof r->inherit, "none");
    copy_leaf(r, "akd.enabled", v, sizeof v, "false");
    r->avatars = strcmp(v, "true") == 0;
    copy_leaf(r, "train.seed", v, sizeof v, "0");
    r->seed = atoll(v);
    copy_leaf(r, "schedule.max_iters", v, sizeof v, "0");
    r->max_iters = atoll(v);
    read_net(r, "student", &r->student);
    read_net(r, "teacher", &r->teacher);
    snprintf(r->metric_name, sizeof r->metric_name, "%s", strcmp(r->task, "det") == 0 ? "AP" : "mIoU");
}

/* ---- the file ---- */

static int unreadable(ak_report_run *r, const char *why, ak_error *err) {
    r->state = AK_RR_UNREADABLE;
    ak_sb b = {0};
    if (strstr(why, r->path))
        ak_sb_append(&b, why);
    else
        ak_sb_appendf(&b, "%s: %s", r->path, why);
    size_t n = strlen(r->path);
    if (n > 8 && strcmp(r->path + n - 8, ".partial") == 0) /* HDF5 locks a file while it is written */
        ak_sb_append(&b, " (if this run is still training, its writer holds the file: report again later)");
    if (b.oom)
        return ak_error_set(err, AK_ENOMEM, "out of memory reading %s", r->path);
    free(r->error);
    r->error = b.s;
    return AK_OK;
}

static int read_eval(ak_run *run, ak_report_run *r, ak_error *e) {
    int64_t *steps = NULL;
    int n_steps = 0;
    char **arrays = NULL;
    int n_arrays = 0;
    AK_TRY(ak_run_eval_steps(run, &steps, &n_steps, e));
    int rc = AK_OK;
    if (n_steps > 0) {
        r->final_step = steps[n_steps - 1];
        rc = ak_run_eval_names(run, r->final_step, &r->scalar_names, &r->n_scalars, &arrays, &n_arrays, e);
        if (rc == AK_OK && r->n_scalars > 0 && !(r->scalars = calloc((size_t)r->n_scalars, sizeof *r->scalars)))
            rc = ak_error_set(e, AK_ENOMEM, "out of memory");
        for (int i = 0; rc == AK_OK && i < r->n_scalars; i++) {
            rc = ak_run_read_eval(run, r->final_step, r->scalar_names[i], &r->scalars[i], e);
            if (rc == AK_OK && strcmp(r->scalar_names[i], r->metric_name) == 0)
                r->metric = r->scalars[i];
        }
        if (rc == AK_OK && n_arrays > 0 && !(r->arrays = calloc((size_t)n_arrays, sizeof *r->arrays)))
            rc = ak_error_set(e, AK_ENOMEM, "out of memory");
        for (int i = 0; rc == AK_OK && i < n_arrays; i++) {
            ak_report_array *a = &r->arrays[i];
            r->n_arrays = i + 1;
            if (!(a->name = dup_str(arrays[i])))
                rc = ak_error_set(e, AK_ENOMEM, "out of memory");
            else
                rc = ak_run_read_eval_array(run, r->final_step, arrays[i], &a->values, &a->ids, &a->n, e);
        }
    }
    if (rc == AK_OK && ak_run_has_eval(run, AK_EVAL_TEACHER)) {
        /* A teacher evaluation without the metric is left out rather than failing the run. */
        ak_error e2;
        ak_error_clear(&e2);
        r->has_teacher_eval = ak_run_read_eval(run, AK_EVAL_TEACHER, r->metric_name, &r->teacher_metric, &e2) == AK_OK;
    }
    free(steps);
    ak_run_names_free(arrays, n_arrays);
    return rc;
}

static int read_open(ak_run *run, ak_report_run *r, ak_error *e) {
    ak_run_info info;
    AK_TRY(ak_run_read_info(run, &info, e));
    int rc = AK_OK;
    snprintf(r->run_id, sizeof r->run_id, "%s", info.run_id ? info.run_id : "");
    free(r->status);
    if (!(r->status = dup_str(info.status)) || !(r->config = dup_str(info.config)))
        rc = ak_error_set(e, AK_ENOMEM, "out of memory");
    if (rc == AK_OK && info.n_extra_losses > 0) {
        if (!(r->extra_losses = calloc((size_t)info.n_extra_losses, sizeof *r->extra_losses)))
            rc = ak_error_set(e, AK_ENOMEM, "out of memory");
        for (int i = 0; rc == AK_OK && i < info.n_extra_losses; i++) {
            r->n_extra_losses = i + 1;
            if (!(r->extra_losses[i] = dup_str(info.extra_losses[i])))
                rc = ak_error_set(e, AK_ENOMEM, "out of memory");
        }
    }
    ak_run_info_free(&info);
    AK_TRY(rc);

    ak_cfg *cfg = ak_cfg_new();
    if (!cfg)
        return ak_error_set(e, AK_ENOMEM, "out of memory");
    rc = ak_cfg_load_string(cfg, r->config, r->path, e);
    if (rc != AK_OK) {
        ak_error_prefix(e, "the config attribute: ");
    } else {
        kv_list l = {0};
        flatten(ak_cfg_root(cfg), "", &l);
        r->kv = l.kv;
        r->n_kv = l.n;
        if (l.oom)
            rc = ak_error_set(e, AK_ENOMEM, "out of memory");
    }
    ak_cfg_free(cfg);
    AK_TRY(rc);
    read_identity(r);

    AK_TRY(ak_run_train_len(run, &r->train_rows, e));
    if (r->train_rows > 0)
        AK_TRY(ak_run_read_train_iters(run, r->train_rows - 1, 1, &r->last_iter, e));
    return read_eval(run, r, e);
}

int ak_report_run_init(ak_report_run *r, const char *path, ak_error *err) {
    memset(r, 0, sizeof *r);
    r->final_step = r->last_iter = -1;
    r->metric = r->teacher_metric = r->index_metric = NAN;
    r->duplicate_of = -1;
    r->state = AK_RR_UNREADABLE;
    const char *slash = strrchr(path, '/');
    if (!(r->path = dup_str(path)) || !(r->file = dup_str(slash ? slash + 1 : path)) || !(r->name = dup_str(r->file)) ||
        !(r->status = dup_str("")) || !(r->teacher_weights = dup_str("")))
        return ak_error_set(err, AK_ENOMEM, "out of memory reading %s", path);
    size_t n = strlen(r->name);
    if (n > 11 && strcmp(r->name + n - 11, ".h5.partial") == 0)
        r->name[n - 11] = '\0';
    else if (n > 3 && strcmp(r->name + n - 3, ".h5") == 0)
        r->name[n - 3] = '\0';
    snprintf(r->metric_name, sizeof r->metric_name, "mIoU");
    return AK_OK;
}

int ak_report_read_run(const char *path, ak_report_run *r, ak_error *err) {
    AK_TRY(ak_report_run_init(r, path, err));
    ak_error e;
    ak_error_clear(&e);
    ak_run *run = NULL;
    int rc = ak_run_open(&run, path, AK_RUN_READ, &e);
    if (rc == AK_OK) {
        rc = read_open(run, r, &e);
        ak_run_close(run, NULL);
    }
    if (rc == AK_ENOMEM)
        return ak_error_set(err, AK_ENOMEM, "out of memory reading %s", path);
    if (rc != AK_OK)
        return unreadable(r, e.msg, err);

    const char *w = ak_report_run_get(r, "model.teacher.weights");
    free(r->teacher_weights);
    if (!(r->teacher_weights = dup_str(w ? w : "")))
        return ak_error_set(err, AK_ENOMEM, "out of memory reading %s", path);
    if (strcmp(r->status, "complete") == 0)
        r->state = isnan(r->metric) ? AK_RR_NO_EVAL : AK_RR_COMPLETE;
    else if (strcmp(r->status, "failed") == 0)
        r->state = AK_RR_FAILED;
    else
        r->state = AK_RR_INCOMPLETE;
    return AK_OK;
}

void ak_report_run_free(ak_report_run *r) {
    free(r->path);
    free(r->file);
    free(r->name);
    free(r->status);
    free(r->error);
    free(r->config);
    free(r->teacher_weights);
    for (int i = 0; i < r->n_kv; i++) {
        free(r->kv[i].key);
        free(r->kv[i].value);
    }
    free(r->kv);
    ak_run_names_free(r->scalar_names, r->n_scalars);
    free(r->scalars);
    for (int i = 0; i < r->n_arrays; i++) {
        free(r->arrays[i].name);
        free(r->arrays[i].values);
        free(r->arrays[i].ids);
    }
    free(r->arrays);
    for (int i = 0; i < r->n_extra_losses; i++)
        free(r->extra_losses[i]);
    free(r->extra_losses);
    memset(r, 0, sizeof *r);
}
