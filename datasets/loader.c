/* See loader.h. A ring of n_slots = queue_batches + 1 batch slots; batch b lives in slot
 * b % n_slots. Workers claim sample positions in order under the mutex, but only for batches
 * b < released + n_slots (the slot is free), load outside the lock, and the worker that completes a
 * batch collates it and marks it ready. The consumer holds one batch at a time: the next call of
 * ak_loader_next releases it. */
#include "datasets/loader.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/det_transforms.h"

typedef struct slot {
    ak_sample *samples;      /* (batch_size) */
    const ak_sample **ptrs;  /* (batch_size) */
    ak_error *errs;          /* (batch_size) per-sample failure */
    int *substituted;        /* (batch_size) 1 if the sample was replaced */
    char (*why)[256];        /* (batch_size) why it was replaced */
    ak_batch batch;
    int64_t batch_index;     /* batch held by the slot, -1 none */
    int direct;              /* samples are written straight into `batch` (sizes planned) */
    int plan_h, plan_w, plan_lh, plan_lw; /* the batch's padded sizes in direct mode */
    int size, done, ready;
    int status;
    ak_error err;
} slot;

typedef struct worker_arg {
    ak_loader *ld;
    int id;
} worker_arg;

struct ak_loader {
    ak_loader_cfg cfg;
    int64_t n, n_pos, n_batches;
    int64_t *perm;
    int64_t epoch;
    int n_slots;
    slot *slots;
    ak_work *works;          /* one per worker (one when workers == 0) */
    pthread_t *threads;
    worker_arg *args;
    int n_threads;           /* started for the current epoch */
    pthread_mutex_t mu;
    pthread_cond_t can_claim, batch_ready;
    int64_t next_pos;        /* next position to claim */
    int64_t next_batch;      /* next batch to hand out */
    int64_t released;        /* batches < released are free again */
    int64_t held;            /* batch held by the consumer, -1 none */
    int stop, running;
    ak_loader_stats stats;
};

static void make_order(const ak_loader_cfg *cfg, int64_t n, int64_t epoch, int64_t *perm) {
    for (int64_t i = 0; i < n; i++)
        perm[i] = i;
    if (!cfg->shuffle)
        return;
    /* Fisher-Yates: draw k picks position i's partner among [0, i]. */
    const ak_rng r = {cfg->seed, ak_rng_stream(AK_STREAM_DATA_ORDER, (uint64_t)epoch, 0, 0)};
    for (int64_t i = n - 1, k = 0; i > 0; i--, k++) {
        const int64_t j = (int64_t)ak_rng_below(r, (uint64_t)k, (uint32_t)(i + 1));
        const int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

int64_t ak_loader_order(const ak_loader *ld, int64_t epoch, int64_t pos) {
    if (pos < 0 || pos >= ld->n)
        return -1;
    int64_t *perm = malloc(sizeof *perm * (size_t)ld->n);
    if (!perm)
        return -1;
    make_order(&ld->cfg, ld->n, epoch, perm);
    const int64_t v = perm[pos];
    free(perm);
    return v;
}

int64_t ak_loader_batches(const ak_loader *ld) { return ld->n_batches; }

ak_loader_stats ak_loader_get_stats(const ak_loader *ld) { return ld->stats; }

/* Point sample j of the slot at its slot of the batch (direct) or back at its own buffers. */
static void sample_mode(slot *s, int j, int direct) {
    ak_sample *x = &s->samples[j];
    if (direct) {
        if (!x->ext) { /* its own buffers are not needed any more */
            free(x->image);
            free(x->label);
            x->label_cap = 0;
        }
        const size_t bytes = (size_t)s->plan_h * (size_t)s->plan_w * 3, lplane = (size_t)s->plan_lh * (size_t)s->plan_lw;
        x->ext = 1;
        x->image = s->batch.pixels + (size_t)j * bytes;
        x->image_cap = bytes;
        x->label = lplane ? s->batch.labels + (size_t)j * lplane : NULL;
        x->lab_h = s->plan_lh;
        x->lab_w = s->plan_lw;
    } else if (x->ext) {
        x->ext = 0;
        x->image = NULL;
        x->label = NULL;
        x->image_cap = x->label_cap = 0;
        x->lab_h = x->lab_w = 0;
    }
}

/* Decide how slot s (batch starting at position p0) is filled: when the source can plan every
 * sample's size, reserve the batch at the largest and let the samples write into it. Lock held. */
static void plan_slot(ak_loader *ld, slot *s, int64_t p0) {
    const ak_source *src = &ld->cfg.src;
    int direct = src->plan != NULL, H = 0, W = 0, LH = 0, LW = 0;
    for (int j = 0; j < s->size && direct; j++) {
        int ph, pw, lh, lw;
        direct = src->plan(src->self, ld->perm[p0 + j], &ph, &pw, &lh, &lw);
        H = ph > H ? ph : H, W = pw > W ? pw : W, LH = lh > LH ? lh : LH, LW = lw > LW ? lw : LW;
    }
    ak_error e;
    ak_error_clear(&e);
    if (direct && ak_batch_reserve(&s->batch, s->size, H, W, LH, LW, &e) != AK_OK)
        direct = 0; /* the copying path reports the shortage */
    s->direct = direct;
    s->plan_h = H, s->plan_w = W, s->plan_lh = LH, s->plan_lw = LW;
    for (int j = 0; j < ld->cfg.batch_size; j++)
        sample_mode(s, j, direct);
}

/* In direct mode a substitute must fit the planned batch size. */
static int fits(const ak_loader *ld, const slot *s, int64_t index) {
    if (!s->direct)
        return 1;
    int ph, pw, lh, lw;
    const ak_source *src = &ld->cfg.src;
    return src->plan(src->self, index, &ph, &pw, &lh, &lw) && ph <= s->plan_h && pw <= s->plan_w &&
           lh <= s->plan_lh && lw <= s->plan_lw;
}

/* Load position `pos` into slot s, sample j (no lock held). */
static void load_position(ak_loader *ld, slot *s, int j, int64_t pos, ak_work *w) {
    const ak_loader_cfg *c = &ld->cfg;
    const int64_t idx = ld->perm[pos];
    ak_error *e = &s->errs[j];
    ak_error_clear(e);
    s->substituted[j] = 0;
    s->why[j][0] = '\0';
    int rc = c->src.load(c->src.self, idx, ak_aug_rng(c->seed, ld->epoch, idx), w, &s->samples[j], e);
    if (rc == AK_OK || c->on_bad_sample != AK_BAD_SAMPLE_SKIP)
        return;
    /* Skip mode: the first index after idx that loads takes its place (deterministic). */
    ak_copy_text(s->why[j], sizeof s->why[j], e->msg);
    const int tries = c->max_substitutes > 0 ? c->max_substitutes : 16;
    for (int k = 1; k <= tries && k < ld->n; k++) {
        const int64_t sub = (idx + k) % ld->n;
        if (!fits(ld, s, sub))
            continue;
        ak_error_clear(e);
        rc = c->src.load(c->src.self, sub, ak_aug_rng(c->seed, ld->epoch, sub), w, &s->samples[j], e);
        if (rc == AK_OK) {
            s->substituted[j] = 1;
            return;
        }
    }
    ak_error_clear(e);
    ak_error_set(e, AK_EFORMAT, "sample %lld and the %d samples after it all failed to load; the first: %s",
                 (long long)idx, tries, s->why[j]);
}

/* All samples of slot s are done: find the first failure (lowest position) or collate (no lock). */
static void finish_slot(slot *s) {
    s->status = AK_OK;
    ak_error_clear(&s->err);
    s->batch.n_substituted = 0;
    s->batch.warning[0] = '\0';
    for (int j = 0; j < s->size; j++) {
        if (s->errs[j].code != AK_OK) {
            s->status = s->errs[j].code;
            ak_error_set(&s->err, s->errs[j].code, "%s", s->errs[j].msg);
            return;
        }
        if (s->substituted[j]) {
            if (s->batch.n_substituted++ == 0)
                ak_copy_text(s->batch.warning, sizeof s->batch.warning, s->why[j]);
        }
        s->ptrs[j] = &s->samples[j];
    }
    s->status = ak_batch_collate(&s->batch, s->ptrs, s->size, &s->err);
    s->batch.samples = s->ptrs;
}

/* Claim the next position (lock held). Returns 0 when there is nothing to claim right now. */
static int claim(ak_loader *ld, int64_t *pos, slot **s) {
    const int64_t p = ld->next_pos, b = p / ld->cfg.batch_size;
    if (p >= ld->n_pos || b >= ld->released + ld->n_slots)
        return 0;
    slot *sl = &ld->slots[b % ld->n_slots];
    if (p % ld->cfg.batch_size == 0) { /* first position of batch b: (re)initialise its slot */
        sl->batch_index = b;
        const int64_t left = ld->n_pos - p;
        sl->size = (int)(left < ld->cfg.batch_size ? left : ld->cfg.batch_size);
        sl->done = 0;
        sl->ready = 0;
        sl->batch.epoch = ld->epoch;
        sl->batch.index = b;
        plan_slot(ld, sl, p);
    }
    ld->next_pos++;
    *pos = p;
    *s = sl;
    return 1;
}

static void *worker_main(void *argp) {
    worker_arg *a = argp;
    ak_loader *ld = a->ld;
    ak_work *w = &ld->works[a->id];
    pthread_mutex_lock(&ld->mu);
    for (;;) {
        if (ld->stop || ld->next_pos >= ld->n_pos)
            break;
        int64_t pos;
        slot *s;
        if (!claim(ld, &pos, &s)) {
            pthread_cond_wait(&ld->can_claim, &ld->mu); /* blocks: no spinning */
            continue;
        }
        pthread_mutex_unlock(&ld->mu);
        load_position(ld, s, (int)(pos % ld->cfg.batch_size), pos, w);
        pthread_mutex_lock(&ld->mu);
        if (++s->done == s->size) {
            pthread_mutex_unlock(&ld->mu);
            finish_slot(s);
            pthread_mutex_lock(&ld->mu);
            s->ready = 1;
            pthread_cond_broadcast(&ld->batch_ready);
        }
    }
    pthread_mutex_unlock(&ld->mu);
    return NULL;
}

int ak_loader_open(ak_loader **out, const ak_loader_cfg *cfg, ak_error *err) {
    *out = NULL;
    if (!cfg->src.load || cfg->src.n <= 0)
        return ak_error_set(err, AK_EINVAL, "loader: the source has no samples");
    if (cfg->batch_size <= 0 || cfg->workers < 0 || cfg->queue_batches < 0)
        return ak_error_set(err, AK_EINVAL, "loader: batch_size %d, workers %d, queue_batches %d: expected "
                            "batch_size >= 1, workers >= 0, queue_batches >= 0", cfg->batch_size, cfg->workers,
                            cfg->queue_batches);
    if (cfg->drop_last && cfg->src.n < cfg->batch_size)
        return ak_error_set(err, AK_EINVAL, "loader: %lld samples make no full batch of %d (drop_last)",
                            (long long)cfg->src.n, cfg->batch_size);
    ak_loader *ld = calloc(1, sizeof *ld);
    if (!ld)
        return ak_error_set(err, AK_ENOMEM, "loader: out of memory");
    pthread_mutex_init(&ld->mu, NULL);
    pthread_cond_init(&ld->can_claim, NULL);
    pthread_cond_init(&ld->batch_ready, NULL);
    ld->cfg = *cfg;
    ld->n = cfg->src.n;
    ld->n_batches = cfg->drop_last ? ld->n / cfg->batch_size : (ld->n + cfg->batch_size - 1) / cfg->batch_size;
    ld->n_pos = cfg->drop_last ? ld->n_batches * cfg->batch_size : ld->n;
    ld->n_slots = (cfg->queue_batches > 0 ? cfg->queue_batches : 2) + 1;
    ld->held = -1;
    const int nw = cfg->workers > 0 ? cfg->workers : 1;
    ld->perm = malloc(sizeof *ld->perm * (size_t)ld->n);
    ld->slots = calloc((size_t)ld->n_slots, sizeof *ld->slots);
    ld->works = calloc((size_t)nw, sizeof *ld->works);
    ld->threads = calloc((size_t)nw, sizeof *ld->threads);
    ld->args = calloc((size_t)nw, sizeof *ld->args);
    int ok = ld->perm && ld->slots && ld->works && ld->threads && ld->args;
    for (int i = 0; ok && i < ld->n_slots; i++) {
        slot *s = &ld->slots[i];
        const size_t B = (size_t)cfg->batch_size;
        s->samples = calloc(B, sizeof *s->samples);
        s->ptrs = calloc(B, sizeof *s->ptrs);
        s->errs = calloc(B, sizeof *s->errs);
        s->substituted = calloc(B, sizeof *s->substituted);
        s->why = calloc(B, sizeof *s->why);
        s->batch_index = -1;
        ok = s->samples && s->ptrs && s->errs && s->substituted && s->why;
    }
    if (!ok) {
        ak_loader_close(ld);
        return ak_error_set(err, AK_ENOMEM, "loader: out of memory");
    }
    *out = ld;
    return AK_OK;
}

void ak_loader_stop(ak_loader *ld) {
    if (!ld || !ld->running)
        return;
    pthread_mutex_lock(&ld->mu);
    ld->stop = 1;
    pthread_cond_broadcast(&ld->can_claim);
    pthread_cond_broadcast(&ld->batch_ready);
    pthread_mutex_unlock(&ld->mu);
    for (int i = 0; i < ld->n_threads; i++)
        pthread_join(ld->threads[i], NULL);
    ld->n_threads = 0;
    ld->running = 0;
}

int ak_loader_start(ak_loader *ld, int64_t epoch, ak_error *err) {
    ak_loader_stop(ld);
    make_order(&ld->cfg, ld->n, epoch, ld->perm);
    ld->epoch = epoch;
    ld->next_pos = 0;
    ld->next_batch = 0;
    ld->released = 0;
    ld->held = -1;
    ld->stop = 0;
    for (int i = 0; i < ld->n_slots; i++)
        ld->slots[i].batch_index = -1;
    ld->running = 1;
    for (int i = 0; i < ld->cfg.workers; i++) {
        ld->args[i] = (worker_arg){ld, i};
        if (pthread_create(&ld->threads[i], NULL, worker_main, &ld->args[i]) != 0) {
            ak_loader_stop(ld);
            return ak_error_set(err, AK_ENOMEM, "loader: cannot start worker thread %d of %d", i + 1,
                                ld->cfg.workers);
        }
        ld->n_threads++;
    }
    return AK_OK;
}

/* workers == 0: make batch b in the calling thread with the same code path. */
static void produce_inline(ak_loader *ld) {
    int64_t pos;
    slot *s;
    while (ld->next_pos < ld->n_pos && claim(ld, &pos, &s)) {
        load_position(ld, s, (int)(pos % ld->cfg.batch_size), pos, &ld->works[0]);
        if (++s->done == s->size) {
            finish_slot(s);
            s->ready = 1;
            return;
        }
    }
}

int ak_loader_next(ak_loader *ld, const ak_batch **batch, ak_error *err) {
    *batch = NULL;
    if (!ld->running)
        return ak_error_set(err, AK_ESTATE, "loader: next() before start() (or after a failure / stop)");
    pthread_mutex_lock(&ld->mu);
    if (ld->held >= 0) {
        ld->released = ld->held + 1;
        ld->held = -1;
        pthread_cond_broadcast(&ld->can_claim);
    }
    if (ld->next_batch >= ld->n_batches) {
        pthread_mutex_unlock(&ld->mu);
        return 0;
    }
    slot *s = &ld->slots[ld->next_batch % ld->n_slots];
    if (ld->cfg.workers == 0) {
        pthread_mutex_unlock(&ld->mu);
        produce_inline(ld);
        pthread_mutex_lock(&ld->mu);
    } else {
        while (!(s->batch_index == ld->next_batch && s->ready))
            pthread_cond_wait(&ld->batch_ready, &ld->mu);
    }
    pthread_mutex_unlock(&ld->mu);
    if (s->status != AK_OK) {
        ak_error_set(err, s->status, "%s", s->err.msg);
        ak_error_prefix(err, "loader epoch %lld batch %lld", (long long)ld->epoch, (long long)ld->next_batch);
        const int rc = s->status;
        ak_loader_stop(ld);
        return rc;
    }
    ld->held = ld->next_batch++;
    ak_loader_stats *st = &ld->stats;
    st->batches++;
    st->samples += s->batch.n;
    st->bad_pixels += s->batch.n_bad_pixels;
    if (s->batch.n_substituted && st->substituted == 0)
        ak_copy_text(st->first_warning, sizeof st->first_warning, s->batch.warning);
    if (s->batch.n_bad_pixels && st->bad_pixels == s->batch.n_bad_pixels && !st->first_warning[0])
        snprintf(st->first_warning, sizeof st->first_warning, "%lld label values outside the table in batch %lld",
                 (long long)s->batch.n_bad_pixels, (long long)s->batch.index);
    st->substituted += s->batch.n_substituted;
    *batch = &s->batch;
    return 1;
}

int64_t ak_loader_bytes(const ak_loader *ld) {
    int64_t total = 0;
    for (int i = 0; i < ld->n_slots; i++) {
        const slot *s = &ld->slots[i];
        total += (int64_t)(s->batch.pixels_cap + s->batch.labels_cap);
        for (int j = 0; j < ld->cfg.batch_size; j++) {
            const ak_sample *x = &s->samples[j];
            if (!x->ext) /* in direct mode the image and label map are the batch's */
                total += (int64_t)(x->image_cap + x->label_cap);
            total += (int64_t)(x->box_cap * 4 * sizeof(float) + x->labels_cap * sizeof(int32_t) +
                               x->ign_cap * 4 * sizeof(float));
        }
    }
    const int nw = ld->cfg.workers > 0 ? ld->cfg.workers : 1;
    for (int i = 0; i < nw; i++) {
        const ak_work *w = &ld->works[i];
        total += (int64_t)(w->img.cap + w->tmp.cap + w->lab.cap + w->lab_tmp.cap + w->hsv_cap);
    }
    return total;
}

void ak_loader_close(ak_loader *ld) {
    if (!ld)
        return;
    ak_loader_stop(ld);
    if (ld->slots) {
        for (int i = 0; i < ld->n_slots; i++) {
            slot *s = &ld->slots[i];
            for (int j = 0; s->samples && j < ld->cfg.batch_size; j++)
                ak_sample_free(&s->samples[j]);
            free(s->samples);
            s->batch.samples = NULL; /* points at ptrs, freed below */
            ak_batch_free(&s->batch);
            free(s->ptrs);
            free(s->errs);
            free(s->substituted);
            free(s->why);
        }
    }
    pthread_mutex_destroy(&ld->mu);
    pthread_cond_destroy(&ld->can_claim);
    pthread_cond_destroy(&ld->batch_ready);
    const int nw = ld->cfg.workers > 0 ? ld->cfg.workers : 1;
    for (int i = 0; ld->works && i < nw; i++)
        ak_work_free(&ld->works[i]);
    free(ld->works);
    free(ld->slots);
    free(ld->perm);
    free(ld->threads);
    free(ld->args);
    free(ld);
}
