/* COCO bbox evaluation: the per-category parallel loop and the summaries. Input checks and
 * bucketing live in coco_prepare.c, the matching rules in coco_match.c, the precision / recall in
 * coco_accumulate.c, the means in coco_summary.c.
 */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "eval/coco_internal.h"

static void cat_free(ak__coco_cat *c) {
    free(c->score);
    free(c->rank);
    for (int a = 0; a < AK_COCO_A; a++) {
        free(c->tp[a]);
        free(c->ig[a]);
    }
}

static int cat_alloc(ak__coco_cat *c, int64_t n) {
    memset(c, 0, sizeof *c);
    size_t m = (size_t)(n ? n : 1);
    c->score = malloc(m * sizeof *c->score);
    c->rank = malloc(m);
    int ok = c->score && c->rank;
    for (int a = 0; a < AK_COCO_A; a++) {
        c->tp[a] = malloc(m * sizeof(uint16_t));
        c->ig[a] = malloc(m * sizeof(uint16_t));
        ok = ok && c->tp[a] && c->ig[a];
    }
    return ok ? AK_OK : AK_ENOMEM;
}

/* Per-image gather buffers: boxes copied contiguous for the matcher. */
typedef struct gather {
    double (*gt_box)[4], *gt_area, (*dt_box)[4], *dt_score;
    uint8_t *gt_crowd;
    int64_t *dt_idx, *tmp;
    int64_t cap_g, cap_d;
} gather;

static int gather_reserve(gather *g, int64_t ng, int64_t nd) {
    if (ng > g->cap_g) {
        int64_t cap = ng * 2;
        void *a = realloc(g->gt_box, (size_t)cap * sizeof *g->gt_box);
        if (a) g->gt_box = a;
        void *b = realloc(g->gt_area, (size_t)cap * sizeof *g->gt_area);
        if (b) g->gt_area = b;
        void *c = realloc(g->gt_crowd, (size_t)cap);
        if (c) g->gt_crowd = c;
        if (!a || !b || !c)
            return AK_ENOMEM;
        g->cap_g = cap;
    }
    if (nd > g->cap_d) {
        int64_t cap = nd * 2;
        void *a = realloc(g->dt_box, (size_t)cap * sizeof *g->dt_box);
        if (a) g->dt_box = a;
        void *b = realloc(g->dt_score, (size_t)cap * sizeof *g->dt_score);
        if (b) g->dt_score = b;
        void *c = realloc(g->dt_idx, (size_t)cap * sizeof *g->dt_idx);
        if (c) g->dt_idx = c;
        void *d = realloc(g->tmp, (size_t)cap * sizeof *g->tmp);
        if (d) g->tmp = d;
        if (!a || !b || !c || !d)
            return AK_ENOMEM;
        g->cap_d = cap;
    }
    return AK_OK;
}

static void gather_free(gather *g) {
    free(g->gt_box);
    free(g->gt_area);
    free(g->gt_crowd);
    free(g->dt_box);
    free(g->dt_score);
    free(g->dt_idx);
    free(g->tmp);
}

/* Match every image of category k and fill its slice of precision / recall. */
static int eval_category(const ak__coco_prep *p, int64_t k, ak_coco_eval *out, ak__coco_scratch *s, gather *ga) {
    int64_t g0 = p->g.start[k], g1 = p->g.start[k + 1], d0 = p->d.start[k], d1 = p->d.start[k + 1];
    ak__coco_cat c;
    int rc = cat_alloc(&c, d1 - d0);
    while (rc == AK_OK && (g0 < g1 || d0 < d1)) {
        int64_t im = g0 < g1 ? p->g.img[g0] : INT64_MAX;
        if (d0 < d1 && p->d.img[d0] < im)
            im = p->d.img[d0];
        int64_t ng = 0, nd = 0;
        while (g0 + ng < g1 && p->g.img[g0 + ng] == im)
            ng++;
        while (d0 + nd < d1 && p->d.img[d0 + nd] == im)
            nd++;
        if ((rc = gather_reserve(ga, ng, nd)) != AK_OK)
            break;
        for (int64_t i = 0; i < ng; i++) {
            const ak_coco_ann *a = &p->gt->anns[p->g.order[g0 + i]];
            memcpy(ga->gt_box[i], a->bbox, sizeof a->bbox);
            ga->gt_area[i] = a->area;
            ga->gt_crowd[i] = a->iscrowd != 0;
        }
        for (int64_t i = 0; i < nd; i++) {
            ga->dt_score[i] = p->dets->dets[p->d.order[d0 + i]].score;
            ga->dt_idx[i] = i;
        }
        ak__coco_sort_desc(ga->dt_score, ga->dt_idx, nd, ga->tmp);
        int64_t keep = nd < AK_COCO_MAX_DETS ? nd : AK_COCO_MAX_DETS;
        for (int64_t i = 0; i < keep; i++) {
            const ak_coco_det *d = &p->dets->dets[p->d.order[d0 + ga->dt_idx[i]]];
            memcpy(ga->dt_box[i], d->bbox, sizeof d->bbox);
            c.score[c.n + i] = d->score;
            c.rank[c.n + i] = (uint8_t)i;
        }
        ak__coco_image_in in = {ng, keep, (const double(*)[4])ga->gt_box, ga->gt_area, ga->gt_crowd,
                                (const double(*)[4])ga->dt_box};
        uint16_t *tp[AK_COCO_A], *ig[AK_COCO_A];
        for (int a = 0; a < AK_COCO_A; a++) {
            tp[a] = c.tp[a] + c.n;
            ig[a] = c.ig[a] + c.n;
        }
        rc = ak__coco_match_image(&in, s, tp, ig, c.npig);
        c.n += keep;
        g0 += ng;
        d0 += nd;
    }
    if (rc == AK_OK)
        rc = ak__coco_accumulate(&c, k, out->n_cats, out->precision, out->recall, s);
    cat_free(&c);
    return rc;
}

typedef struct cat_work {
    int64_t work, k;
} cat_work;

static int cmp_work(const void *a, const void *b) {
    const cat_work *x = a, *y = b;
    if (x->work != y->work)
        return x->work < y->work ? 1 : -1;
    return (x->k > y->k) - (x->k < y->k);
}

void ak_coco_eval_free(ak_coco_eval *ev) {
    if (!ev)
        return;
    free(ev->cat_ids);
    free(ev->cat_ap);
    free(ev->cat_stats);
    free(ev->precision);
    free(ev->recall);
    memset(ev, 0, sizeof *ev);
}

int ak_coco_evaluate(const ak_coco *gt, const ak_coco_dets *dets, const ak_coco_eval_opts *opts, ak_coco_eval *out,
                     ak_error *err) {
    memset(out, 0, sizeof *out);
    ak__coco_prep p;
    memset(&p, 0, sizeof p);
    int64_t *img_ids = NULL;
    int rc = ak__coco_prepare(gt, dets, opts, out, &img_ids, &p, err);
    const int64_t K = out->n_cats;
    if (rc == AK_OK) {
        size_t np = (size_t)AK_COCO_T * AK_COCO_R * (size_t)K * AK_COCO_A * AK_COCO_M;
        size_t nr = (size_t)AK_COCO_T * (size_t)K * AK_COCO_A * AK_COCO_M;
        out->precision = malloc((np ? np : 1) * sizeof(double));
        out->recall = malloc((nr ? nr : 1) * sizeof(double));
        out->cat_ap = malloc((size_t)(K ? K : 1) * sizeof(double));
        out->cat_stats = malloc((size_t)(K ? K : 1) * AK_COCO_STATS * sizeof(double));
        if (!out->precision || !out->recall || !out->cat_ap || !out->cat_stats)
            rc = ak_error_set(err, AK_ENOMEM, "coco eval: out of memory for %lld categories", (long long)K);
        for (size_t i = 0; rc == AK_OK && i < np; i++)
            out->precision[i] = -1;
        for (size_t i = 0; rc == AK_OK && i < nr; i++)
            out->recall[i] = -1;
    }
    /* Largest categories first, so that with dynamic scheduling no thread is left with a big one at
     * the end. Only the schedule depends on this order, never a number. */
    cat_work *order = rc == AK_OK ? malloc((size_t)(K ? K : 1) * sizeof *order) : NULL;
    if (rc == AK_OK && !order)
        rc = ak_error_set(err, AK_ENOMEM, "coco eval: out of memory");
    for (int64_t k = 0; rc == AK_OK && k < K; k++) {
        order[k].k = k;
        order[k].work = (p.d.start[k + 1] - p.d.start[k]) + (p.g.start[k + 1] - p.g.start[k]);
    }
    if (rc == AK_OK)
        qsort(order, (size_t)K, sizeof *order, cmp_work);
    if (rc == AK_OK) {
        int failed = 0;
#pragma omp parallel reduction(| : failed)
        {
            ak__coco_scratch s;
            gather ga;
            memset(&s, 0, sizeof s);
            memset(&ga, 0, sizeof ga);
            /* Each category writes only its own slices: the schedule cannot change a result. */
#pragma omp for schedule(dynamic, 1)
            for (int64_t i = 0; i < K; i++)
                failed |= eval_category(&p, order[i].k, out, &s, &ga) != AK_OK;
            ak__coco_scratch_free(&s);
            gather_free(&ga);
        }
        if (failed)
            rc = ak_error_set(err, AK_ENOMEM, "coco eval: out of memory while matching");
    }
    if (rc == AK_OK && ak__coco_summarize(out->precision, out->recall, K, 0, K, out->stats) != AK_OK)
        rc = ak_error_set(err, AK_ENOMEM, "coco eval: out of memory");
    for (int64_t k = 0; rc == AK_OK && k < K; k++) {
        if (ak__coco_summarize(out->precision, out->recall, K, k, k + 1, out->cat_stats + k * AK_COCO_STATS) != AK_OK)
            rc = ak_error_set(err, AK_ENOMEM, "coco eval: out of memory");
        else
            out->cat_ap[k] = out->cat_stats[k * AK_COCO_STATS];
    }
    free(order);
    free(img_ids);
    ak__coco_buckets_free(&p.g);
    ak__coco_buckets_free(&p.d);
    if (rc != AK_OK)
        ak_coco_eval_free(out);
    return rc;
}
