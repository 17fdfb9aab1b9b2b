/* The per-run distiller: building and validating the (tap, connector, loss) pairs from the run
 * config, and the per-iteration loss with its log; see distiller.h. Teacher helpers: teacher.c. */
#include "baselines/distiller.h"

#include <stdio.h>
#include <string.h>

#include "baselines/registry.h"
#include "core/ops/elementwise.h"
#include "core/ops/shape.h"

ak_rng ak_distill_loss_rng(uint64_t seed, int64_t iteration, int tap, int avatar) {
    ak_rng r = {seed, ak_rng_stream5(AK_STREAM_LOSS_MASK, (uint64_t)iteration, (uint64_t)tap, (uint64_t)avatar, 0)};
    return r;
}

ak_tensor *ak_tap_loss_default(ak_ctx *ctx, ak_distill_loss *loss, const ak_distill_inputs *in,
                               const ak_tap_call *call, void *user) {
    (void)call;
    (void)user;
    return ak_distill_forward(ctx, loss, in);
}

/* "a, b, c" of the taps' names (truncated to buf). */
static const char *tap_list(const ak_taps *taps, char *buf, size_t len) {
    buf[0] = 0;
    for (int i = 0; i < taps->n; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", i ? ", " : "", taps->names[i]);
    }
    return buf;
}

static int add_pair(ak_distiller *d, ak_error *err, const char *what) {
    if (d->n_pairs == AK_DISTILL_MAX_PAIRS)
        return ak_error_set(err, AK_EINVAL, "%s: more than %d distillation pairs", what, AK_DISTILL_MAX_PAIRS);
    memset(&d->pairs[d->n_pairs], 0, sizeof d->pairs[0]);
    return AK_OK;
}

static int build_feature(ak_distiller *d, const ak_run_config *cfg, const ak_taps *st, const ak_taps *tt,
                         ak_params *ps, ak_error *err) {
    const ak_cfg_str_list *taps = &cfg->distill.taps, *ttaps = &cfg->distill.teacher_taps;
    int kind = cfg->distill.connector;
    char list[1024], a[64], b[64];
    for (int i = 0; i < taps->n; i++) {
        const char *sn = taps->v[i], *tn = ttaps->n ? ttaps->v[i] : taps->v[i];
        ak_tensor *s = ak_taps_get(st, sn), *t = ak_taps_get(tt, tn);
        if (!s)
            return ak_error_set(err, AK_EINVAL, "distill.taps: the student has no tap '%s' (available: %s)", sn,
                                tap_list(st, list, sizeof list));
        if (!t)
            return ak_error_set(err, AK_EINVAL, "%s: the teacher has no tap '%s' (available: %s)",
                                ttaps->n ? "distill.teacher_taps" : "distill.taps", tn, tap_list(tt, list, sizeof list));
        if (s->ndim < 2 || t->ndim != s->ndim)
            return ak_error_set(err, AK_EINVAL, "distill.taps: tap '%s' is %s in the student and %s in the teacher", sn,
                                ak_shape_str(s, a, sizeof a), ak_shape_str(t, b, sizeof b));
        int cs = (int)s->shape[1], ct = (int)t->shape[1];
        if (cs != ct && !ak_connector_changes_channels(kind))
            return ak_error_set(err, AK_EINVAL,
                                "distill.connector: tap '%s' has %d student and %d teacher channels; connector %s "
                                "cannot map them (use conv1x1 or conv_bn)", sn, cs, ct, ak_connector_name(kind));
        bool same_hw = true;
        for (int k = 2; k < s->ndim; k++)
            same_hw = same_hw && s->shape[k] == t->shape[k];
        bool resizes = kind == AK_CONNECTOR_RESIZE_STUDENT || kind == AK_CONNECTOR_RESIZE_TEACHER ||
                       cfg->distill.method == AK_DISTILL_PKD;
        if (!same_hw && !resizes)
            return ak_error_set(err, AK_EINVAL,
                                "distill.connector: tap '%s' is %s in the student and %s in the teacher; spatial "
                                "sizes differ (use resize_student or resize_teacher)", sn,
                                ak_shape_str(s, a, sizeof a), ak_shape_str(t, b, sizeof b));
        AK_TRY(add_pair(d, err, "distill.taps"));
        ak_distill_pair *p = &d->pairs[d->n_pairs];
        snprintf(p->student_tap, sizeof p->student_tap, "%s", sn);
        snprintf(p->teacher_tap, sizeof p->teacher_tap, "%s", tn);
        char prefix[AK_PARAM_NAME_LEN];
        snprintf(prefix, sizeof prefix, "distill.%s.align", sn);
        AK_TRY(ak_connector_init(&p->conn, kind, ps, prefix, cs, ct, (uint64_t)cfg->train.seed, err));
        p->loss = ak_distill_loss_create(cfg->distill.method, sn, cfg, ct, ps, err);
        if (!p->loss)
            return err->code ? err->code : AK_EINVAL;
        d->n_pairs++;
        d->n_feature++;
    }
    return AK_OK;
}

static int build_head(ak_distiller *d, const ak_run_config *cfg, const ak_taps *st, const ak_taps *tt,
                      ak_error *err) {
    const ak_cfg_str_list *taps = &cfg->distill.head.taps;
    char list[1024], a[64], b[64];
    for (int i = 0; i < taps->n; i++) {
        const char *h = taps->v[i];
        size_t hl = strlen(h);
        int matched = 0;
        for (int j = 0; j < st->n; j++) {
            const char *name = st->names[j];
            bool exact = strcmp(name, h) == 0;
            bool prefixed = !ak_taps_get(st, h) && strncmp(name, h, hl) == 0 && name[hl] == '.';
            if (!exact && !prefixed)
                continue;
            ak_tensor *s = st->t[j], *t = ak_taps_get(tt, name);
            if (!t)
                return ak_error_set(err, AK_EINVAL, "distill.head.taps: the teacher has no tap '%s' (available: %s)",
                                    name, tap_list(tt, list, sizeof list));
            if (!ak_same_shape(s, t))
                return ak_error_set(err, AK_EINVAL, "distill.head.taps: tap '%s' is %s in the student and %s in the "
                                    "teacher; head terms need equal shapes", name, ak_shape_str(s, a, sizeof a),
                                    ak_shape_str(t, b, sizeof b));
            AK_TRY(add_pair(d, err, "distill.head.taps"));
            ak_distill_pair *p = &d->pairs[d->n_pairs];
            snprintf(p->student_tap, sizeof p->student_tap, "%s", name);
            snprintf(p->teacher_tap, sizeof p->teacher_tap, "%s", name);
            p->head = true;
            p->loss = ak_head_loss_create(cfg->distill.head.loss, name, cfg, err);
            if (!p->loss)
                return err->code ? err->code : AK_EINVAL;
            d->n_pairs++;
            matched++;
        }
        if (!matched)
            return ak_error_set(err, AK_EINVAL, "distill.head.taps: the student has no tap '%s' or '%s.*' (available: %s)",
                                h, h, tap_list(st, list, sizeof list));
    }
    return AK_OK;
}

int ak_distiller_init(ak_distiller *d, const ak_run_config *cfg, const ak_taps *student_probe,
                      const ak_taps *teacher_probe, bool has_boxes, ak_params *ps, ak_error *err) {
    memset(d, 0, sizeof *d);
    d->method = cfg->distill.method;
    d->needs_boxes = d->method == AK_DISTILL_FGD;
    if (d->needs_boxes && !has_boxes)
        return ak_error_set(err, AK_EINVAL, "distill.method: fgd needs ground-truth boxes, which this task (%s) "
                            "does not provide", ak_task_name(cfg->task));
    int rc = AK_OK;
    if (d->method != AK_DISTILL_NONE)
        rc = build_feature(d, cfg, student_probe, teacher_probe, ps, err);
    if (rc == AK_OK && cfg->distill.head.loss != AK_HEAD_NONE)
        rc = build_head(d, cfg, student_probe, teacher_probe, err);
    if (rc != AK_OK)
        ak_distiller_free(d);
    return rc;
}

void ak_distiller_free(ak_distiller *d) {
    for (int i = 0; i < d->n_pairs; i++)
        ak_distill_loss_destroy(d->pairs[i].loss);
    d->n_pairs = d->n_feature = 0;
}

static void log_add(ak_distill_log *log, const char *name, double v) {
    for (int i = 0; i < log->n; i++)
        if (strcmp(log->names[i], name) == 0) {
            log->values[i] += v;
            return;
        }
    if (log->n == AK_DISTILL_LOG_MAX)
        return;
    snprintf(log->names[log->n], AK_DISTILL_LOG_NAME, "%s", name);
    log->values[log->n++] = v;
}

ak_tensor *ak_distiller_loss(ak_ctx *ctx, ak_distiller *d, const ak_taps *student, const ak_taps *teacher,
                             const ak_gt_boxes *gt, int64_t iteration, uint64_t seed, const ak_tap_hook *hook) {
    if (!ak_ok(ctx))
        return NULL;
    memset(&d->log, 0, sizeof d->log);
    if (d->needs_boxes && !gt)
        return ak_fail(ctx, AK_EINVAL, "distiller: fgd needs ground-truth boxes and none were given");
    ak_tensor *total = NULL;
    int feature_idx = 0;
    for (int i = 0; i < d->n_pairs; i++) {
        ak_distill_pair *p = &d->pairs[i];
        ak_tensor *s = ak_taps_get(student, p->student_tap), *t = ak_taps_get(teacher, p->teacher_tap);
        if (!s)
            return ak_fail(ctx, AK_EINVAL, "distiller: the student's forward produced no tap '%s'", p->student_tap);
        if (!t)
            return ak_fail(ctx, AK_EINVAL, "distiller: the teacher's forward produced no tap '%s'", p->teacher_tap);
        if (t->requires_grad)
            t = ak_detach(ctx, t); /* the teacher is a constant, whatever produced it */
        ak_distill_inputs in = {0};
        in.gt = gt;
        in.iteration = iteration;
        ak_tensor *l;
        if (p->head) {
            in.student = s;
            in.teacher = t;
            l = ak_distill_forward(ctx, p->loss, &in);
        } else {
            if (ak_connector_apply(ctx, &p->conn, &s, &t) != AK_OK)
                return NULL;
            in.student = s;
            in.teacher = t;
            in.rng = ak_distill_loss_rng(seed, iteration, feature_idx, 0);
            ak_tap_call call = {feature_idx, p->student_tap, p->teacher_tap, seed, iteration};
            l = hook && hook->fn ? hook->fn(ctx, p->loss, &in, &call, hook->user)
                                 : ak_tap_loss_default(ctx, p->loss, &in, &call, NULL);
            feature_idx++;
        }
        if (!l)
            return ak_ok(ctx) ? ak_fail(ctx, AK_EINVAL, "distiller: loss of tap '%s' returned nothing", p->student_tap)
                              : NULL;
        char name[AK_DISTILL_LOG_NAME];
        snprintf(name, sizeof name, "%s/%s", p->loss->ops->method, p->student_tap);
        log_add(&d->log, name, l->data[0]);
        for (int k = 0; p->loss->n_terms > 1 && k < p->loss->n_terms; k++) {
            snprintf(name, sizeof name, "%s.%s", p->loss->ops->method, p->loss->term_names[k]);
            log_add(&d->log, name, p->loss->term_values[k]);
        }
        d->log.total += l->data[0];
        total = total ? ak_add(ctx, total, l) : l;
    }
    if (!total)
        total = ak_tensor_zeros(ctx, "distiller", 0, NULL);
    return ak_ok(ctx) ? total : NULL;
}
