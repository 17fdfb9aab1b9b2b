/* See distill_step.h. */
#include "bench/train/distill_step.h"

#include "akd/avatars.h"
#include "core/ops/shape.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int forward_taps(ak_ctx *ctx, const ak_net *n, ak_tensor *x, ak_taps *taps, bool teacher) {
    if (teacher)
        return n->task == AK_TASK_DET ? ak_teacher_forward_detector(ctx, &n->det, x, taps)
                                      : ak_teacher_forward_segmentor(ctx, &n->seg, x, taps);
    bool rec = ak_ctx_set_record(ctx, false);
    int rc;
    if (n->task == AK_TASK_DET) {
        ak_dense_out out;
        rc = ak_detector_forward(ctx, &n->det, x, false, &out, taps);
    } else {
        ak_seg_outputs out;
        ak_rng unused = {0, 0};
        /* train = true would update BN statistics; eval mode has the same tap shapes except the
         * auxiliary head, which only runs in training: run it explicitly for its taps. */
        rc = ak_segmentor_forward(ctx, &n->seg, x, false, unused, &out, taps);
        if (rc == AK_OK && n->seg.cfg.has_aux) {
            ak_tensor *c4 = ak_taps_get(taps, "backbone.c4");
            if (c4 && !ak_seg_head_forward(ctx, &n->seg.aux, c4, false, unused, taps))
                rc = ctx->err.code;
        }
    }
    ak_ctx_set_record(ctx, rec);
    return rc;
}

int ak_train_distill_init(ak_train_distill *td, const ak_run_config *cfg, ak_ctx *ctx, ak_net *student,
                          const ak_net *teacher, int probe_h, int probe_w, ak_error *err) {
    memset(td, 0, sizeof *td);
    ak_taps s_probe, t_probe;
    ak_taps_clear(&s_probe);
    ak_taps_clear(&t_probe);
    int64_t shape[4] = {2, 3, probe_h, probe_w};
    ak_ctx_reset(ctx);
    ak_tensor *x = ak_tensor_zeros(ctx, "probe", 4, shape);
    if (!x || forward_taps(ctx, student, x, &s_probe, false) != AK_OK ||
        forward_taps(ctx, teacher, x, &t_probe, true) != AK_OK)
        return ak_error_set(err, ctx->err.code, "distillation probe forward: %s", ctx->err.msg);
    int rc = ak_distiller_init(&td->d, cfg, &s_probe, &t_probe, cfg->task == AK_TASK_DET, &student->ps, err);
    ak_ctx_reset(ctx);
    AK_TRY(rc);
    for (int i = 0; i < td->d.n_pairs && td->n_cols < AK_TD_MAX_COLS; i++) {
        const ak_distill_pair *p = &td->d.pairs[i];
        /* The distiller logs "<method>/<tap>"; HDF5 names cannot hold '/', so the column is "<method>:<tap>". */
        snprintf(td->cols[td->n_cols++], AK_DISTILL_LOG_NAME, "%s:%s", p->loss->ops->method, p->student_tap);
    }
    if (cfg->akd.enabled) {
        ak_akd_opts o = ak_akd_opts_from_config(cfg);
        AK_TRY(ak_akd_hook_init(&td->hook, &o, true, err));
        td->akd_on = true;
        const char *taps[AK_DISTILL_MAX_PAIRS];
        for (int i = 0; i < td->d.n_feature; i++)
            taps[i] = td->d.pairs[i].student_tap;
        char names[AK_TD_MAX_COLS * AK_DISTILL_LOG_NAME];
        int room = AK_TD_MAX_COLS - td->n_cols;
        int n = ak_akd_log_columns(taps, td->d.n_feature, o.num_avatars, names, AK_DISTILL_LOG_NAME, room);
        if (n > room)
            return ak_error_set(err, AK_EINVAL, "akd: %d log columns, at most %d fit", n, room);
        for (int i = 0; i < n; i++)
            snprintf(td->cols[td->n_cols++], AK_DISTILL_LOG_NAME, "%s", names + (size_t)i * AK_DISTILL_LOG_NAME);
        td->n_akd_cols = n;
    }
    for (int i = 0; i < td->n_cols; i++)
        td->col_ptrs[i] = td->cols[i];
    return AK_OK;
}

void ak_train_distill_free(ak_train_distill *td) { ak_distiller_free(&td->d); }

/* FGD's boxes: the batch's targets in input pixels. */
static const ak_gt_boxes *batch_boxes(ak_ctx *ctx, const ak_batch *b, ak_gt_boxes *gt) {
    int *count = ak_scratch(ctx, "gt boxes", (size_t)b->n * sizeof *count);
    int *img_hw = ak_scratch(ctx, "gt boxes", (size_t)b->n * 2 * sizeof *img_hw);
    const float **xyxy = ak_scratch(ctx, "gt boxes", (size_t)b->n * sizeof *xyxy);
    if (!count || !img_hw || !xyxy)
        return NULL;
    memset(gt, 0, sizeof *gt);
    for (int i = 0; i < b->n; i++) {
        count[i] = b->samples[i]->n_boxes;
        xyxy[i] = b->samples[i]->boxes;
        img_hw[2 * i] = b->samples[i]->img_h; /* mmdet img_shape: per image under keep-ratio resizing */
        img_hw[2 * i + 1] = b->samples[i]->img_w;
    }
    gt->img_hw = img_hw;
    gt->n_images = b->n;
    gt->count = count;
    gt->xyxy = (const float *const *)xyxy;
    gt->img_h = b->samples[0]->img_h;
    gt->img_w = b->samples[0]->img_w;
    return gt;
}

ak_tensor *ak_train_distill_loss(ak_train_distill *td, ak_ctx *ctx, const ak_run_config *cfg, const ak_net *teacher,
                                 const ak_batch *b, ak_tensor *x, const ak_taps *s_taps, ak_taps *t_taps,
                                 int64_t iteration) {
    ak_taps_clear(t_taps);
    if (forward_taps(ctx, teacher, x, t_taps, true) != AK_OK)
        return NULL;
    ak_gt_boxes gt_storage;
    const ak_gt_boxes *gt = cfg->task == AK_TASK_DET ? batch_boxes(ctx, b, &gt_storage) : NULL;
    if (cfg->task == AK_TASK_DET && !gt)
        return NULL;
    ak_tap_hook hook = ak_akd_hook_get(&td->hook);
    return ak_distiller_loss(ctx, &td->d, s_taps, t_taps, gt, iteration, (uint64_t)cfg->train.seed,
                             td->akd_on ? &hook : NULL);
}

void ak_train_distill_values(const ak_train_distill *td, double *values) {
    int n_pairs = td->n_cols - td->n_akd_cols;
    for (int i = 0; i < n_pairs; i++) {
        values[i] = NAN;
        char name[AK_DISTILL_LOG_NAME];
        snprintf(name, sizeof name, "%s", td->cols[i]);
        char *colon = strchr(name, ':');
        if (colon)
            *colon = '/';
        for (int k = 0; k < td->d.log.n; k++)
            if (strcmp(td->d.log.names[k], name) == 0) {
                values[i] = td->d.log.values[k];
                break;
            }
    }
    if (td->akd_on)
        ak_akd_log_values(td->hook.stats, td->d.n_feature, values + n_pairs, td->n_akd_cols);
}

static int write_one(ak_ctx *ctx, ak_run *run, int64_t step, const char *role, const char *tap, ak_tensor *t,
                     int n_images, ak_error *err) {
    if (!t || t->ndim != 4)
        return AK_OK; /* only feature maps */
    int64_t n = t->shape[0] < n_images ? t->shape[0] : n_images;
    ak_tensor *first = ak_slice(ctx, t, 0, 0, n, 1);
    if (!first)
        return ak_error_set(err, ctx->err.code, "features: %s", ctx->err.msg);
    return ak_run_write_features(run, step, role, tap, first->shape, first->data, err);
}

int ak_train_distill_write_features(const ak_train_distill *td, ak_ctx *ctx, const ak_run_config *cfg, ak_run *run,
                                    const ak_taps *s_taps, const ak_taps *t_taps, int64_t step, int n_images,
                                    ak_error *err) {
    bool rec = ak_ctx_set_record(ctx, false);
    int rc = AK_OK;
    for (int i = 0; rc == AK_OK && i < td->d.n_feature; i++) {
        const ak_distill_pair *p = &td->d.pairs[i];
        ak_tensor *T = ak_taps_get(t_taps, p->teacher_tap);
        rc = write_one(ctx, run, step, "student", p->student_tap, ak_taps_get(s_taps, p->student_tap), n_images, err);
        if (rc == AK_OK)
            rc = write_one(ctx, run, step, "teacher", p->student_tap, T, n_images, err);
        if (rc != AK_OK || !td->akd_on || !T)
            continue;
        int K = td->hook.opts.num_avatars;
        ak_tensor *av[64];
        if (K > 64 || ak_avatars_make(ctx, T, td->hook.opts.perturb, td->hook.opts.rate, (uint64_t)cfg->train.seed,
                                      step, i, K, av) != AK_OK) {
            rc = ak_error_set(err, ctx->err.code ? ctx->err.code : AK_EINVAL, "features: avatars of %s: %s",
                              p->student_tap, ctx->err.msg);
            break;
        }
        for (int k = 0; rc == AK_OK && k < K; k++) {
            char role[32];
            snprintf(role, sizeof role, "avatar_%d", k);
            rc = write_one(ctx, run, step, role, p->student_tap, av[k], n_images, err);
        }
    }
    ak_ctx_set_record(ctx, rec);
    return rc;
}
