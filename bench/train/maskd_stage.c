/* The MasKD token stage of a training run; see maskd_stage.h. */
#include "bench/train/maskd_stage.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "baselines/maskd_det.h"
#include "baselines/maskd_seg.h"
#include "bench/train/det_batch.h"
#include "datasets/batch_input.h"

/* The stage's own loader and its position. */
typedef struct stage_data {
    ak_loader *ld;
    int64_t epoch;
} stage_data;

/* The next batch, starting the next (offset) epoch when one ends. Errors go to ctx->err. */
static const ak_batch *next_batch(ak_ctx *ctx, stage_data *s) {
    ak_error e;
    ak_error_clear(&e);
    const ak_batch *b = NULL;
    int got = ak_loader_next(s->ld, &b, &e);
    if (got == 0 && ak_loader_start(s->ld, ++s->epoch, &e) == AK_OK)
        got = ak_loader_next(s->ld, &b, &e);
    if (got == 1)
        return b;
    ak_error_set(&ctx->err, e.code ? e.code : AK_ESTATE, "token-stage loader: %s",
                 e.code ? e.msg : "an epoch produced no batch");
    return NULL;
}

static ak_tensor *batch_images(ak_ctx *ctx, const ak_batch *b) { return ak_batch_input(ctx, b); }

static int seg_batch(ak_ctx *ctx, void *user, int64_t iter, ak_tensor **x, const uint8_t **labels, int64_t *lab_h,
                     int64_t *lab_w) {
    (void)iter; /* batches come in order: iteration i takes the i-th batch of the stage's loader */
    const ak_batch *b = next_batch(ctx, user);
    if (!b)
        return ctx->err.code;
    if (!b->labels || b->lab_h <= 0 || b->lab_w <= 0)
        return ak_error_set(&ctx->err, AK_EINVAL, "token-stage loader: a segmentation batch without label maps");
    *x = batch_images(ctx, b);
    *labels = b->labels;
    *lab_h = b->lab_h;
    *lab_w = b->lab_w;
    return *x ? AK_OK : ctx->err.code;
}

static int det_batch(ak_ctx *ctx, void *user, int64_t iter, ak_tensor **x, const ak_det_image **imgs,
                     const ak_det_target **targets) {
    (void)iter;
    const ak_batch *b = next_batch(ctx, user);
    if (!b)
        return ctx->err.code;
    ak_det_image *im;
    ak_det_target *tg;
    AK_TRY(ak_det_batch_targets(ctx, b, &im, &tg));
    *imgs = im;
    *targets = tg;
    *x = batch_images(ctx, b);
    return *x ? AK_OK : ctx->err.code;
}

/* ak_maskd_det_task applies level l to FPN output l: the pairs must name the FPN levels in order. */
static int check_det_taps(const ak_detector *d, const char *const *taps, int n, ak_error *err) {
    for (int l = 0; l < n; l++) {
        char want[96];
        snprintf(want, sizeof want, "%s.p%d", d->neck.prefix, d->neck.cfg.start_level + 2 + l);
        if (strcmp(taps[l], want) != 0)
            return ak_error_set(err, AK_EINVAL, "distill.teacher_taps: MasKD token learning needs the teacher's "
                                "FPN levels in order (level %d must be %s, got %s)", l, want, taps[l]);
    }
    return AK_OK;
}

static int open_stage_loader(stage_data *s, const ak_run_config *cfg, ak_train_data *data, ak_error *err) {
    ak_loader_cfg lc;
    memset(&lc, 0, sizeof lc);
    lc.src = cfg->task == AK_TASK_DET ? ak_det_source_make(&data->det_train) : ak_seg_source_make(&data->seg_train);
    lc.batch_size = cfg->train.batch_size;
    lc.shuffle = 1;
    lc.drop_last = 1;
    lc.seed = (uint64_t)cfg->train.seed;
    lc.workers = cfg->train.loader_threads;
    lc.queue_batches = 2;
    lc.on_bad_sample = AK_BAD_SAMPLE_ERROR;
    AK_TRY(ak_loader_open(&s->ld, &lc, err));
    s->epoch = AK_MASKD_TOKEN_EPOCH0;
    return ak_loader_start(s->ld, s->epoch, err);
}

static int learn(ak_distill_loss *const *levels, const char *const *taps, int n, const ak_run_config *cfg,
                 ak_ctx *ctx, const ak_net *teacher, ak_train_data *data, ak_maskd_stage_report *rep,
                 ak_error *err) {
    ak_maskd_token_cfg tc = ak_maskd_token_defaults();
    tc.iters = cfg->distill.maskd.token_iters;
    tc.lr = cfg->distill.maskd.token_lr;
    tc.weight_decay = cfg->distill.maskd.token_wd;
    if (cfg->task == AK_TASK_DET)
        AK_TRY(check_det_taps(&teacher->det, taps, n, err));
    stage_data sd = {NULL, 0};
    int rc = tc.iters > 0 ? open_stage_loader(&sd, cfg, data, err) : AK_OK;
    if (rc == AK_OK) {
        ak_maskd_det_task dt = {&teacher->det, det_batch, &sd, NULL, NULL, NULL};
        ak_maskd_seg_task st;
        memset(&st, 0, sizeof st);
        st.teacher = &teacher->seg;
        st.taps = taps;
        st.n_taps = n;
        st.batch = seg_batch;
        st.user = &sd;
        ak_maskd_task task = cfg->task == AK_TASK_DET ? ak_maskd_det_task_get(&dt) : ak_maskd_seg_task_get(&st);
        rc = ak_maskd_learn_tokens(ctx, levels, n, &tc, &task, &rep->log, err);
    }
    if (sd.ld)
        ak_loader_close(sd.ld);
    AK_TRY(rc);
    rep->iters = tc.iters;
    return AK_OK;
}

int ak_train_maskd_tokens(ak_train_distill *td, const ak_run_config *cfg, ak_ctx *ctx, const ak_net *teacher,
                          ak_train_data *data, bool restored, ak_maskd_stage_report *report, ak_error *err) {
    ak_maskd_stage_report local;
    ak_maskd_stage_report *rep = report ? report : &local;
    memset(rep, 0, sizeof *rep);
    if (cfg->distill.method != AK_DISTILL_MASKD)
        return AK_OK;
    ak_distill_loss *levels[AK_DISTILL_MAX_PAIRS];
    const char *taps[AK_DISTILL_MAX_PAIRS];
    int n = 0;
    for (int i = 0; i < td->d.n_pairs; i++) {
        const ak_distill_pair *p = &td->d.pairs[i];
        if (!p->head && strcmp(p->loss->ops->method, "maskd") == 0) {
            levels[n] = p->loss;
            taps[n++] = p->teacher_tap;
        }
    }
    rep->n_levels = n;
    if (n == 0)
        return AK_OK;
    if (restored) {
        rep->action = AK_MASKD_STAGE_RESTORED;
        return AK_OK;
    }
    if (cfg->distill.maskd.tokens[0]) {
        rep->action = AK_MASKD_STAGE_LOADED;
        if (ak_maskd_load_tokens(levels, n, cfg->distill.maskd.tokens, err) != AK_OK) {
            ak_error_prefix(err, "distill.maskd.tokens");
            return err->code;
        }
        return AK_OK;
    }
    rep->action = AK_MASKD_STAGE_LEARNED;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = learn(levels, taps, n, cfg, ctx, teacher, data, rep, err);
    ak_ctx_reset(ctx);
    if (rc != AK_OK) {
        ak_error_prefix(err, "maskd token stage");
        return rc;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (rep->iters == 0)
        fprintf(stderr, "[%s] maskd token stage: %d level(s), 0 iterations (distill.maskd.token_iters): the tokens "
                "keep their initial values\n", cfg->run_id, n);
    else
        fprintf(stderr, "[%s] maskd token stage: %d level(s), %lld iterations on the frozen teacher, loss %.4f -> "
                "%.4f (last: task %.4f, dice %.4f), %.1f s\n", cfg->run_id, n, (long long)rep->iters,
                rep->log.first_total, rep->log.last_total, rep->log.task, rep->log.dice, secs);
    return AK_OK;
}
