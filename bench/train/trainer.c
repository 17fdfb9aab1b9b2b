/* The training loop; see trainer.h. */
#include "bench/train/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/train/det_batch.h"
#include "bench/train/distill_step.h"
#include "bench/train/det_eval.h"
#include "bench/train/maskd_stage.h"
#include "bench/train/net.h"
#include "bench/train/seg_eval.h"
#include "bench/train/train_data.h"
#include "core/cpu/conv2d.h"
#include "core/ops/elementwise.h"
#include "core/ops/loss.h"
#include "core/optim.h"
#include "core/runtime.h"
#include "core/schedule.h"
#include "datasets/batch_input.h"
#include "store/akd_config.h"
#include "store/checkpoint.h"
#include "store/fsutil.h"
#include "store/hash.h"
#include "store/run_snapshot.h"

typedef struct trainer {
    const ak_train_opts *opts;
    ak_run_config cfg;
    char *yaml;
    char run_path[4096], ckpt_path[4200];
    ak_train_data data;
    ak_net student, teacher;
    bool has_teacher;
    char teacher_hash[AK_SHA256_HEX_LEN];
    ak_optim opt;
    ak_lr_schedule sched;
    ak_ctx ctx;
    ak_run *run;
    ak_train_distill td; /* when distilling */
    double *extra;       /* td.n_cols values of the extra log columns */
    ak_coco val_gt; /* det: the validation annotations */
    bool has_val_gt;
    int64_t iters_per_epoch, max_iters, start_iter;
} trainer;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int build_schedule(trainer *t, ak_error *err) {
    const ak_run_config *c = &t->cfg;
    ak_lr_schedule *s = &t->sched;
    memset(s, 0, sizeof *s);
    static const ak_lr_policy policies[] = {[AK_SCHED_STEP] = AK_LR_STEP, [AK_SCHED_POLY] = AK_LR_POLY,
                                            [AK_SCHED_COSINE] = AK_LR_COSINE};
    s->policy = policies[c->schedule.policy];
    s->by_epoch = c->schedule.by_epoch;
    s->iters_per_epoch = t->iters_per_epoch;
    t->max_iters = c->schedule.max_iters > 0 ? c->schedule.max_iters
                                             : (int64_t)c->schedule.max_epochs * t->iters_per_epoch;
    s->max_progress = s->by_epoch ? c->schedule.max_epochs : t->max_iters;
    s->n_milestones = c->schedule.milestones.n;
    for (int i = 0; i < s->n_milestones && i < AK_LR_MAX_MILESTONES; i++)
        s->milestones[i] = c->schedule.milestones.v[i];
    s->gamma = c->schedule.gamma;
    s->power = c->schedule.power;
    s->min_lr = c->schedule.min_lr;
    static const ak_lr_warmup warmups[] = {[AK_WARMUP_NONE] = AK_LR_WARMUP_NONE,
                                           [AK_WARMUP_LINEAR] = AK_LR_WARMUP_LINEAR,
                                           [AK_WARMUP_CONSTANT] = AK_LR_WARMUP_CONSTANT};
    s->warmup = warmups[c->schedule.warmup];
    s->warmup_iters = c->schedule.warmup_iters;
    s->warmup_ratio = c->schedule.warmup_ratio;
    if (t->max_iters <= 0)
        return ak_error_set(err, AK_EINVAL, "schedule: max_iters / max_epochs give no iterations");
    return ak_lr_schedule_check(s, err);
}

static int build_optimizer(trainer *t, ak_error *err) {
    const ak_run_config *c = &t->cfg;
    ak_optim_config oc = c->optim.type == AK_OPTIM_ADAMW ? ak_optim_adamw_config(c->optim.lr, c->optim.weight_decay)
                                                         : ak_optim_sgd_config(c->optim.lr, c->optim.momentum,
                                                                               c->optim.weight_decay);
    oc.nesterov = c->optim.nesterov;
    if (c->optim.type == AK_OPTIM_ADAMW && c->optim.betas.n == 2) {
        oc.beta1 = c->optim.betas.v[0];
        oc.beta2 = c->optim.betas.v[1];
        oc.eps = c->optim.eps;
    }
    ak_paramwise pw = {c->optim.bias_lr_mult, c->optim.bias_decay_mult, c->optim.norm_decay_mult, NULL, 0};
    AK_TRY(ak_params_apply_paramwise(&t->student.ps, &pw, err));
    return ak_optim_init(&t->opt, &t->student.ps, &oc, err);
}

/* Optimizer state and the iteration travel in the checkpoint as extra arrays. */
static int ckpt_arrays(trainer *t, ak_ckpt_array **out, int *n, ak_error *err) {
    ak_params *st = &t->opt.state;
    ak_ckpt_array *a = calloc((size_t)(st->n > 0 ? st->n : 1), sizeof *a);
    if (!a)
        return ak_error_set(err, AK_ENOMEM, "checkpoint: out of memory");
    for (int i = 0; i < st->n; i++) {
        a[i].group = "optimizer";
        a[i].name = st->items[i].name;
        a[i].dtype = AK_CKPT_F32;
        a[i].ndim = st->items[i].t->ndim;
        for (int d = 0; d < a[i].ndim; d++)
            a[i].shape[d] = st->items[i].t->shape[d];
        a[i].data = st->items[i].t->data;
    }
    *out = a;
    *n = st->n;
    return AK_OK;
}

static int save_checkpoint(trainer *t, int64_t iteration, ak_error *err) {
    AK_TRY(ak_run_flush(t->run, err));
    AK_TRY(ak_run_snapshot(t->run, err)); /* what resume falls back to after a kill inside a flush */
    ak_ckpt_meta meta;
    memset(&meta, 0, sizeof meta);
    meta.iteration = iteration;
    snprintf(meta.run_id, sizeof meta.run_id, "%s", t->cfg.run_id);
    ak_ckpt_array *a;
    int n;
    AK_TRY(ckpt_arrays(t, &a, &n, err));
    int rc = ak_ckpt_save(t->ckpt_path, &meta, &t->student.ps, a, n, err);
    free(a);
    return rc;
}

static int load_checkpoint(trainer *t, int64_t *iteration, ak_error *err) {
    ak_ckpt_meta meta;
    ak_ckpt_array *a;
    int n;
    AK_TRY(ckpt_arrays(t, &a, &n, err));
    int rc = ak_ckpt_load(t->ckpt_path, &meta, &t->student.ps, a, n, err);
    free(a);
    if (rc == AK_OK && strcmp(meta.run_id, t->cfg.run_id) != 0)
        return ak_error_set(err, AK_ESTATE,
                            "%s: the checkpoint belongs to run %s but the config now gives run %s (the config "
                            "changed since the run started: restore it, or delete the checkpoint to start over)",
                            t->ckpt_path, meta.run_id, t->cfg.run_id);
    if (rc == AK_OK)
        *iteration = meta.iteration;
    return rc;
}

static int evaluate_seg(trainer *t, const ak_net *net, int64_t step, double *metric, ak_error *err) {
    ak_seg_metrics m;
    AK_TRY(ak_seg_evaluate(&t->ctx, net, t->data.val, t->cfg.model.num_classes, t->cfg.eval.images, &m,
                           err));
    ak_metric scalars[3] = {{"mIoU", m.miou}, {"aAcc", m.aacc}, {"mAcc", m.macc}};
    int64_t ids[AK_SEG_MAX_CLASSES];
    for (int c = 0; c < m.num_classes; c++)
        ids[c] = c;
    ak_metric_array arrays[2] = {{"per_class_iou", m.iou, ids, m.num_classes},
                                 {"per_class_acc", m.acc, ids, m.num_classes}};
    *metric = m.miou;
    return ak_run_write_eval(t->run, step, scalars, 3, arrays, 2, err);
}

static int evaluate_det(trainer *t, const ak_net *net, int64_t step, double *metric, ak_error *err) {
    ak_coco_eval ev;
    AK_TRY(ak_det_evaluate(&t->ctx, net, t->data.val, &t->data.coco_val, &t->val_gt, &ev, err));
    static const char *names[AK_COCO_STATS] = {"AP",  "AP50", "AP75",  "APs", "APm", "APl",
                                               "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};
    ak_metric scalars[AK_COCO_STATS];
    for (int i = 0; i < AK_COCO_STATS; i++) {
        scalars[i].name = names[i];
        scalars[i].value = ev.stats[i];
    }
    ak_metric_array arrays[1] = {{"per_category_ap", ev.cat_ap, ev.cat_ids, ev.n_cats}};
    *metric = ev.stats[0];
    int rc = ak_run_write_eval(t->run, step, scalars, AK_COCO_STATS, arrays, 1, err);
    ak_coco_eval_free(&ev);
    return rc;
}

static int evaluate_net(trainer *t, const ak_net *net, int64_t step, double *metric, ak_error *err) {
    return t->cfg.task == AK_TASK_DET ? evaluate_det(t, net, step, metric, err)
                                      : evaluate_seg(t, net, step, metric, err);
}

static int evaluate(trainer *t, int64_t step, double *metric, ak_error *err) {
    return evaluate_net(t, &t->student, step, metric, err);
}

static void progress_line(const trainer *t, int64_t it, double rate, double loss, double task, double distill,
                          double lr) {
    double eta = rate > 0 ? (double)(t->max_iters - it - 1) / rate : 0;
    fprintf(stderr, "\r[%s] it %lld/%lld  %.2f it/s  ETA %d:%02d  loss %.4f (task %.4f distill %.4f)  lr %.3g   ",
            t->cfg.run_id, (long long)(it + 1), (long long)t->max_iters, rate, (int)(eta / 60), (int)eta % 60, loss,
            task, distill, lr);
    fflush(stderr);
}

/* The student's forward with the tape on and its task loss (scalar); taps may be NULL. */
static ak_tensor *task_loss(trainer *t, const ak_batch *b, int64_t it, ak_tensor *x, ak_taps *taps) {
    ak_ctx *ctx = &t->ctx;
    if (t->cfg.task == AK_TASK_DET) {
        ak_det_image *imgs;
        ak_det_target *tg;
        ak_det_losses l;
        if (ak_det_batch_targets(ctx, b, &imgs, &tg) != AK_OK ||
            ak_detector_loss(ctx, &t->student.det, x, imgs, tg, &l, taps, NULL) != AK_OK)
            return NULL;
        return l.total;
    }
    ak_rng drop = {(uint64_t)t->cfg.train.seed, ak_rng_stream(AK_STREAM_DROPOUT, (uint64_t)it, 0, 0)};
    ak_seg_outputs out;
    ak_seg_losses l;
    if (ak_segmentor_forward(ctx, &t->student.seg, x, true, drop, &out, taps) != AK_OK ||
        ak_segmentor_loss(ctx, &t->student.seg, &out, b->labels, b->lab_h, b->lab_w, &l) != AK_OK)
        return NULL;
    return l.total;
}

static int train_step(trainer *t, const ak_batch *b, int64_t it, ak_train_row *row, ak_error *err) {
    ak_ctx *ctx = &t->ctx;
    ak_ctx_reset(ctx);
    ak_tensor *x = ak_batch_input(ctx, b); /* flip + normalise + pad: the network's first step */
    ak_taps s_taps;
    ak_taps_clear(&s_taps);
    ak_tensor *task = x ? task_loss(t, b, it, x, t->has_teacher ? &s_taps : NULL) : NULL;
    if (!task)
        return ak_error_set(err, ctx->err.code, "iteration %lld: %s", (long long)it, ctx->err.msg);
    if (ak_check_finite(ctx, task, "loss_task") != AK_OK)
        return ak_error_set(err, AK_ENAN, "iteration %lld: %s", (long long)it, ctx->err.msg);
    ak_tensor *total = task;
    double distill = 0.0;
    if (t->has_teacher) {
        ak_taps t_taps;
        ak_tensor *ld = ak_train_distill_loss(&t->td, ctx, &t->cfg, &t->teacher, b, x, &s_taps, &t_taps, it);
        if (!ld)
            return ak_error_set(err, ctx->err.code, "iteration %lld: distillation: %s", (long long)it, ctx->err.msg);
        ak_train_distill_values(&t->td, t->extra);
        for (int i = 0; i < t->td.n_cols; i++)
            if (!isfinite(t->extra[i]) && i < t->td.n_cols - t->td.n_akd_cols)
                return ak_error_set(err, AK_ENAN, "iteration %lld: loss term %s is %g", (long long)it,
                                    t->td.cols[i], t->extra[i]);
        if (ak_check_finite(ctx, ld, "loss_distill") != AK_OK)
            return ak_error_set(err, AK_ENAN, "iteration %lld: %s", (long long)it, ctx->err.msg);
        distill = ld->data[0];
        for (int k = 0; k < t->cfg.train.feature_steps.n; k++)
            if (t->cfg.train.feature_steps.v[k] == it && t->cfg.train.feature_images > 0)
                AK_TRY(ak_train_distill_write_features(&t->td, ctx, &t->cfg, t->run, &s_taps, &t_taps, it,
                                                       t->cfg.train.feature_images, err));
        total = ak_add(ctx, task, ld);
        if (!total)
            return ak_error_set(err, ctx->err.code, "iteration %lld: %s", (long long)it, ctx->err.msg);
    }
    ak_params_zero_grad(&t->student.ps);
    if (ak_backward(ctx, total) != AK_OK)
        return ak_error_set(err, ctx->err.code, "iteration %lld: %s", (long long)it, ctx->err.msg);
    if (t->cfg.optim.grad_clip > 0) {
        float norm;
        AK_TRY(ak_clip_grad_norm(&t->student.ps, t->cfg.optim.grad_clip, &norm, err));
    }
    AK_TRY(ak_optim_step_at(&t->opt, &t->sched, it, err));
    row->iter = it;
    row->lr = ak_lr_at(&t->sched, t->cfg.optim.lr, it);
    row->loss_total = total->data[0];
    row->loss_task = task->data[0];
    row->loss_distill = distill;
    row->extra = t->extra;
    row->avatar_weight = t->cfg.akd.enabled ? 1.0 : 0.0;
    return AK_OK;
}

/* SHA-256 over every teacher tensor's name and bytes: what the run's numbers depend on. */
static void params_hash(const ak_params *ps, char hex[AK_SHA256_HEX_LEN]) {
    ak_sha256 h;
    ak_sha256_init(&h);
    for (int i = 0; i < ps->n; i++) {
        ak_sha256_update(&h, ps->items[i].name, strlen(ps->items[i].name) + 1);
        ak_sha256_update(&h, ps->items[i].t->data, (size_t)ps->items[i].t->numel * sizeof(float));
    }
    uint8_t d[32];
    ak_sha256_final(&h, d);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* The frozen teacher: built from model.teacher, weights loaded strictly and hashed, its neck / head
 * copied into the student when model.inherit_from_teacher says so. */
static int load_teacher(trainer *t, ak_error *err) {
    const ak_run_config *c = &t->cfg;
    if (!c->model.teacher.weights[0])
        return ak_error_set(err, AK_EINVAL,
                            "%s: model.teacher.weights is empty: %s needs a trained teacher (the sweep trains it "
                            "first; or give a run file / checkpoint)", t->opts->config_path,
                            c->distill.method != AK_DISTILL_NONE ? "distillation" : "model.inherit_from_teacher");
    AK_TRY(ak_net_build(&t->teacher, &c->model.teacher, c, (uint64_t)c->train.seed + 7777u, err));
    t->has_teacher = true;
    if (ak_net_load_weights(&t->teacher, &c->model.teacher, c->model.teacher.weights, NULL, err) != AK_OK) {
        ak_error_prefix(err, "model.teacher.weights");
        return err->code;
    }
    ak_teacher_freeze(&t->teacher.ps);
    params_hash(&t->teacher.ps, t->teacher_hash);
    if (c->model.inherit_from_teacher != AK_INHERIT_NONE)
        AK_TRY(ak_inherit_from_teacher(&t->student.ps, &t->teacher.ps, c->model.inherit_from_teacher, NULL, err));
    return AK_OK;
}

/* The teacher of a distillation run: loaded as above, then the distiller. */
static int setup_teacher(trainer *t, ak_error *err) {
    const ak_run_config *c = &t->cfg;
    AK_TRY(load_teacher(t, err));
    int ph = c->dataset.crop_size.n == 2 && c->dataset.crop_size.v[0] > 0 ? c->dataset.crop_size.v[0] : 64;
    int pw = c->dataset.crop_size.n == 2 && c->dataset.crop_size.v[1] > 0 ? c->dataset.crop_size.v[1] : 64;
    if (c->task == AK_TASK_DET)
        ph = pw = 128;
    AK_TRY(ak_train_distill_init(&t->td, c, &t->ctx, &t->student, &t->teacher, ph, pw, err));
    /* MasKD tokens: learned on the frozen teacher (or loaded) before the student trains; a resumed or
     * already complete run gets them from its checkpoint instead (maskd_stage.h). */
    bool restored = ak_file_exists(t->run_path) || (t->opts->resume && ak_file_exists(t->ckpt_path));
    AK_TRY(ak_train_maskd_tokens(&t->td, c, &t->ctx, &t->teacher, &t->data, restored, NULL, err));
    t->extra = calloc((size_t)(t->td.n_cols > 0 ? t->td.n_cols : 1), sizeof *t->extra);
    return t->extra ? AK_OK : ak_error_set(err, AK_ENOMEM, "trainer: out of memory");
}

static int setup(trainer *t, ak_error *err) {
    const ak_train_opts *o = t->opts;
    AK_TRY(ak_run_config_load(o->config_path, o->sets, o->n_sets, &t->cfg, &t->yaml, err));
    if (o->run_path)
        snprintf(t->run_path, sizeof t->run_path, "%s", o->run_path);
    else
        snprintf(t->run_path, sizeof t->run_path, "%s/%s.h5", t->cfg.output.dir, t->cfg.run_id);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", t->run_path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        AK_TRY(ak_mkdir_p(dir, err));
    }
    AK_TRY(ak_run_ckpt_path(t->run_path, t->ckpt_path, sizeof t->ckpt_path, err));
    if (t->cfg.train.threads > 0)
        ak_runtime_set_threads(t->cfg.train.threads);
    AK_TRY(ak_train_data_open(&t->data, &t->cfg, t->cfg.train.loader_threads, err));
    t->iters_per_epoch = ak_loader_batches(t->data.train);
    if (t->iters_per_epoch <= 0)
        return ak_error_set(err, AK_EINVAL, "train.batch_size %d is larger than the %lld training images",
                            t->cfg.train.batch_size, (long long)t->data.n_train);
    if (t->cfg.task == AK_TASK_DET) {
        if (t->data.coco_train.n_classes != t->cfg.model.num_classes)
            return ak_error_set(err, AK_EINVAL, "%s: model.num_classes is %d but %s has %d categories",
                                o->config_path, t->cfg.model.num_classes, t->data.coco_train.ann_file,
                                t->data.coco_train.n_classes);
        AK_TRY(ak_coco_load(&t->val_gt, t->data.coco_val.ann_file, err));
        t->has_val_gt = true;
    }
    AK_TRY(ak_net_build(&t->student, &t->cfg.model.student, &t->cfg, (uint64_t)t->cfg.train.seed, err));
    if (ak_ctx_init(&t->ctx, 0, 0) != AK_OK)
        return ak_error_set(err, AK_ENOMEM, "cannot create the execution context");
    t->ctx.conv_impl = t->cfg.train.conv == AK_CONV_ALGO_DIRECT ? AK_CONV2D_IMPL_DIRECT : AK_CONV2D_IMPL_AUTO;
    if (t->cfg.distill.method != AK_DISTILL_NONE)
        AK_TRY(setup_teacher(t, err));
    else if (t->cfg.model.inherit_from_teacher != AK_INHERIT_NONE) {
        /* no distillation: the teacher only gives its neck / head (and its hash to the run file) */
        AK_TRY(load_teacher(t, err));
        ak_net_free(&t->teacher);
        t->has_teacher = false;
    }
    AK_TRY(build_schedule(t, err));
    return build_optimizer(t, err);
}

static int open_run(trainer *t, ak_error *err) {
    t->start_iter = 0;
    if (t->opts->resume && ak_file_exists(t->ckpt_path)) {
        int64_t done = -1;
        AK_TRY(load_checkpoint(t, &done, err));
        AK_TRY(ak_run_resume(&t->run, t->run_path, done, err));
        t->start_iter = done + 1;
        return AK_OK;
    }
    char partial[4200];
    AK_TRY(ak_run_partial_path(t->run_path, partial, sizeof partial, err));
    unlink(partial);
    ak_run_provenance prov;
    memset(&prov, 0, sizeof prov);
    prov.config = t->yaml;
    prov.git_commit = getenv("AKD_GIT_COMMIT");
    prov.device = "cpu";
    prov.threads = ak_runtime_threads();
    prov.seed = (uint64_t)t->cfg.train.seed;
    prov.teacher_weights_hash = t->teacher_hash[0] ? t->teacher_hash : NULL;
    prov.extra_losses = t->has_teacher ? t->td.col_ptrs : NULL;
    prov.n_extra_losses = t->has_teacher ? t->td.n_cols : 0;
    AK_TRY(ak_run_create(&t->run, t->run_path, &prov, err));
    if (t->has_teacher) { /* the teacher's own metric, recorded before the student trains */
        double m;
        AK_TRY(evaluate_net(t, &t->teacher, AK_EVAL_TEACHER, &m, err));
    }
    return AK_OK;
}

static int loop(trainer *t, ak_train_result *res, ak_error *err) {
    const ak_run_config *c = &t->cfg;
    int64_t it = t->start_iter;
    int64_t epoch = it / t->iters_per_epoch, pos = it % t->iters_per_epoch;
    AK_TRY(ak_loader_start(t->data.train, epoch, err));
    /* Resuming mid-epoch: the loader has no seek, so the batches before `pos` are drawn and dropped. */
    const ak_batch *b;
    for (int64_t k = 0; k < pos; k++)
        if (ak_loader_next(t->data.train, &b, err) != 1)
            return err->code ? err->code : ak_error_set(err, AK_ESTATE, "resume: epoch ended early");
    double t_start = now_s(), metric = NAN;
    int64_t done_here = 0;
    for (; it < t->max_iters; it++) {
        if ((t->opts->stop && *t->opts->stop) || (t->opts->stop_after > 0 && done_here >= t->opts->stop_after)) {
            AK_TRY(save_checkpoint(t, it - 1, err));
            res->iterations = it;
            ak_run *r = t->run;
            t->run = NULL; /* finish frees the handle, even on error */
            return ak_run_finish(r, AK_RUN_INTERRUPTED, err);
        }
        int got = ak_loader_next(t->data.train, &b, err);
        if (got == 0) {
            AK_TRY(ak_loader_start(t->data.train, ++epoch, err));
            got = ak_loader_next(t->data.train, &b, err);
        }
        if (got != 1)
            return got < 0 ? got : ak_error_set(err, AK_ESTATE, "the training loader produced no batch");
        double t0 = now_s();
        ak_train_row row;
        memset(&row, 0, sizeof row);
        int rc = train_step(t, b, it, &row, err);
        if (rc != AK_OK) {
            if (rc == AK_ENAN && it > t->start_iter)
                save_checkpoint(t, it - 1, NULL);
            return rc;
        }
        row.time_s = now_s() - t0;
        AK_TRY(ak_run_append_train(t->run, &row, err));
        done_here++;
        if (t->opts->progress && (c->train.log_interval <= 0 || (it + 1) % c->train.log_interval == 0 ||
                                  it + 1 == t->max_iters))
            progress_line(t, it, (double)done_here / (now_s() - t_start), row.loss_total, row.loss_task,
                          row.loss_distill, row.lr);
        bool last = it + 1 == t->max_iters;
        if (!last && c->train.eval_interval > 0 && (it + 1) % c->train.eval_interval == 0)
            AK_TRY(evaluate(t, it, &metric, err));
        if (!last && c->train.checkpoint_interval > 0 && (it + 1) % c->train.checkpoint_interval == 0)
            AK_TRY(save_checkpoint(t, it, err));
    }
    if (t->opts->progress)
        fprintf(stderr, "\n");
    AK_TRY(evaluate(t, t->max_iters - 1, &metric, err));
    ak_ckpt_meta meta;
    memset(&meta, 0, sizeof meta);
    meta.iteration = t->max_iters - 1;
    snprintf(meta.run_id, sizeof meta.run_id, "%s", c->run_id);
    AK_TRY(ak_ckpt_save_run(t->run, &meta, &t->student.ps, NULL, 0, err));
    res->metric = metric;
    res->iterations = t->max_iters;
    res->complete = true;
    ak_run *r = t->run;
    t->run = NULL; /* finish frees the handle, even on error */
    return ak_run_finish(r, AK_RUN_COMPLETE, err); /* also removes the checkpoint */
}

static void teardown(trainer *t) {
    if (t->run) {
        ak_run_close(t->run, NULL);
        t->run = NULL;
    }
    ak_optim_free(&t->opt);
    ak_net_free(&t->student);
    if (t->has_teacher) {
        ak_train_distill_free(&t->td);
        ak_net_free(&t->teacher);
    }
    free(t->extra);
    ak_train_data_close(&t->data);
    if (t->has_val_gt)
        ak_coco_free(&t->val_gt);
    ak_ctx_free(&t->ctx);
    free(t->yaml);
}

int ak_train(const ak_train_opts *opts, ak_train_result *res, ak_error *err) {
    memset(res, 0, sizeof *res);
    res->metric = NAN;
    trainer *t = calloc(1, sizeof *t);
    if (!t)
        return ak_error_set(err, AK_ENOMEM, "trainer: out of memory");
    t->opts = opts;
    int rc = setup(t, err);
    if (rc == AK_OK) {
        snprintf(res->run_path, sizeof res->run_path, "%s", t->run_path);
        snprintf(res->run_id, sizeof res->run_id, "%s", t->cfg.run_id);
        if (ak_file_exists(t->run_path)) {
            /* Finished already: nothing to do, unless the file is another run's (the config changed). */
            ak_run *old = NULL;
            ak_run_info info;
            rc = ak_run_open(&old, t->run_path, AK_RUN_READ, err);
            if (rc == AK_OK && (rc = ak_run_read_info(old, &info, err)) == AK_OK) {
                if (strcmp(info.run_id, t->cfg.run_id) != 0)
                    rc = ak_error_set(err, AK_ESTATE,
                                      "%s holds run %s but %s now gives run %s (the config changed): move the old "
                                      "file away or write elsewhere (--out / --dir)",
                                      t->run_path, info.run_id, opts->config_path, t->cfg.run_id);
                ak_run_info_free(&info);
            }
            if (old)
                ak_run_close(old, NULL);
            /* killed after publishing the run file but before clearing its checkpoint: clear it now */
            if (rc == AK_OK)
                rc = ak_run_remove_leftovers(t->run_path, err);
            res->skipped = res->complete = rc == AK_OK;
        } else if ((rc = open_run(t, err)) == AK_OK) {
            rc = loop(t, res, err);
            if (rc != AK_OK && t->run) {
                ak_run_finish(t->run, AK_RUN_FAILED, NULL);
                t->run = NULL;
            }
        }
    }
    teardown(t);
    free(t);
    return rc;
}
