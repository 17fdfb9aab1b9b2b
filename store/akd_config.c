/* Resolving akdbench run configs: load + overrides + schema + cross-field checks + canonical text +
 * run id. The key table is akd_config_keys.c. See akd_config.h. */
#include "store/akd_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "KEY (FILE line L)" for messages about a key's current value. */
static void at(char *buf, size_t n, const ak_cfg_node *root, const char *key) {
    const ak_cfg_node *v = root ? ak_cfg_get(root, key) : NULL;
    if (!v) {
        snprintf(buf, n, "%s", key);
        return;
    }
    char where[600];
    ak_cfg_where(where, sizeof where, v->file, v->line);
    snprintf(buf, n, "%s (%s)", key, where);
}

static int fail2(ak_error *err, const ak_cfg_node *root, const char *k1, const char *k2, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail2(ak_error *err, const ak_cfg_node *root, const char *k1, const char *k2, const char *fmt, ...) {
    char a[700], b[700], what[512];
    at(a, sizeof a, root, k1);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (!k2)
        return ak_error_set(err, AK_EINVAL, "config: %s: %s", a, what);
    at(b, sizeof b, root, k2);
    return ak_error_set(err, AK_EINVAL, "config: %s and %s: %s", a, b, what);
}

static int is_det_arch(int a) { return a == AK_ARCH_RETINANET || a == AK_ARCH_FCOS; }

static int arch_fits(int task, int arch) { return (task == AK_TASK_DET) == is_det_arch(arch); }

static int check_schedule(const ak_run_config *c, const ak_cfg_node *root, ak_error *err) {
    const char *len_key = c->schedule.by_epoch ? "schedule.max_epochs" : "schedule.max_iters";
    int len = c->schedule.by_epoch ? c->schedule.max_epochs : c->schedule.max_iters;
    if (len <= 0)
        return fail2(err, root, len_key, "schedule.by_epoch", "the training length must be positive (by_epoch is %s)",
                     c->schedule.by_epoch ? "true" : "false");
    const ak_cfg_int_list *m = &c->schedule.milestones;
    for (int i = 0; i < m->n; i++) {
        if (i > 0 && m->v[i] <= m->v[i - 1])
            return fail2(err, root, "schedule.milestones", NULL, "milestones must increase strictly (%d after %d)",
                         m->v[i], m->v[i - 1]);
        if (m->v[i] >= len)
            return fail2(err, root, "schedule.milestones", len_key, "milestone %d is not before the end (%d)", m->v[i],
                         len);
    }
    return AK_OK;
}

int ak_run_config_check(const ak_run_config *c, const ak_cfg_node *root, ak_error *err) {
    /* task <-> dataset <-> architectures */
    if ((c->task == AK_TASK_DET) != (c->dataset.name == AK_DATASET_COCO))
        return fail2(err, root, "task", "dataset.name", "task %s cannot use the %s format (det: coco, seg: cityscapes)",
                     ak_task_name(c->task), ak_dataset_name(c->dataset.name));
    if (!arch_fits(c->task, c->model.student.arch))
        return fail2(err, root, "task", "model.student.arch", "task %s cannot use a %s model", ak_task_name(c->task),
                     ak_arch_name(c->model.student.arch));
    if (!arch_fits(c->task, c->model.teacher.arch))
        return fail2(err, root, "task", "model.teacher.arch", "task %s cannot use a %s model", ak_task_name(c->task),
                     ak_arch_name(c->model.teacher.arch));

    if (!c->dataset.synthetic && !c->dataset.root[0])
        return fail2(err, root, "dataset.root", "dataset.synthetic",
                     "no dataset folder and no synthetic dataset: set dataset.root (or COCO_ROOT / CITYSCAPES_ROOT)");

    /* Copying the teacher's neck / head needs the same modules of the same width. */
    if (c->model.inherit_from_teacher != AK_INHERIT_NONE) {
        const ak_model_config *s = &c->model.student, *t = &c->model.teacher;
        if (s->arch != t->arch)
            return fail2(err, root, "model.inherit_from_teacher", "model.student.arch",
                         "cannot copy a %s teacher's modules into a %s student", ak_arch_name(t->arch),
                         ak_arch_name(s->arch));
        if (s->neck_channels * s->width != t->neck_channels * t->width)
            return fail2(err, root, "model.inherit_from_teacher", "model.student.width",
                         "student and teacher necks differ in width (%g vs %g channels)", s->neck_channels * s->width,
                         t->neck_channels * t->width);
    }

    /* distillation */
    int method = c->distill.method;
    if (method != AK_DISTILL_NONE && c->distill.taps.n == 0)
        return fail2(err, root, "distill.taps", "distill.method", "method %s needs at least one tap",
                     ak_distill_method_name(method));
    if (c->distill.teacher_taps.n && c->distill.teacher_taps.n != c->distill.taps.n)
        return fail2(err, root, "distill.teacher_taps", "distill.taps", "%d teacher taps for %d student taps",
                     c->distill.teacher_taps.n, c->distill.taps.n);
    if (method == AK_DISTILL_FGD && c->task != AK_TASK_DET)
        return fail2(err, root, "distill.method", "task", "fgd needs ground-truth boxes: only for task det");
    if (c->distill.head.loss != AK_HEAD_NONE && c->distill.head.taps.n == 0)
        return fail2(err, root, "distill.head.taps", "distill.head.loss", "head loss %s needs at least one tap",
                     ak_head_loss_name(c->distill.head.loss));

    /* avatars (METHODS.md Part 0) */
    if (c->akd.enabled && method == AK_DISTILL_NONE)
        return fail2(err, root, "akd.enabled", "distill.method",
                     "avatars wrap a distillation loss: choose a distill.method other than none");
    if (c->akd.enabled && c->akd.uncertainty == AK_UNC_PAPER && c->akd.rate == 0)
        return fail2(err, root, "akd.uncertainty", "akd.rate",
                     "paper mode needs a rate > 0 (sigma would collapse to the eps floor)");
    if (c->akd.enabled && c->akd.perturb != AK_PERTURB_GAUSSIAN && c->akd.rate >= 1)
        return fail2(err, root, "akd.rate", "akd.perturb", "a dropout rate must be below 1 (got %g)", c->akd.rate);

    return check_schedule(c, root, err);
}

int ak_run_config_resolve(ak_cfg *cfg, ak_run_config *out, char **yaml, ak_error *err) {
    if (yaml)
        *yaml = NULL;
    memset(out, 0, sizeof *out);
    AK_TRY(ak_schema_apply(ak_run_config_schema(), cfg, out, err));
    AK_TRY(ak_run_config_check(out, ak_cfg_root(cfg), err));
    char *text = ak_cfg_dump(ak_cfg_root(cfg), NULL, err);
    if (!text)
        return err && err->code ? err->code : AK_ENOMEM;
    ak_run_id_of_config(text, out->run_id);
    if (yaml)
        *yaml = text;
    else
        free(text);
    return AK_OK;
}

int ak_run_config_load(const char *path, const char *const *sets, int n_sets, ak_run_config *out, char **yaml,
                       ak_error *err) {
    if (yaml)
        *yaml = NULL;
    ak_cfg *cfg = ak_cfg_new();
    if (!cfg)
        return ak_error_set(err, AK_ENOMEM, "config: out of memory");
    int rc = ak_cfg_load_file(cfg, path, err);
    for (int i = 0; rc == AK_OK && i < n_sets; i++)
        rc = ak_cfg_set(cfg, sets[i], err);
    if (rc == AK_OK)
        rc = ak_run_config_resolve(cfg, out, yaml, err);
    ak_cfg_free(cfg);
    return rc;
}
