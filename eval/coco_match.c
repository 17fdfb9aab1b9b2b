/* COCO matching of one image and category (pycocotools computeIoU + evaluateImg), plus the
 * scratch buffers and the stable sort the evaluator shares.
 *
 * IoU follows the official C code (maskApi.c bbIou) operation for operation, so that ties at a
 * threshold resolve exactly as there: w = min(x+w) - max(x), zero when <= 0, likewise h; union =
 * det area + gt area - intersection, or the det area alone for a crowd region.
 * Matching follows COCOeval.evaluateImg: per threshold, detections in score order each take the
 * best still-free ground truth (crowds never get used up), non-ignored ground truth first.
 */
#include <stdlib.h>
#include <string.h>

#include "eval/coco_internal.h"

void ak__coco_area_range(int a, double *lo, double *hi) {
    static const double lo_[AK_COCO_A] = {0, 0, 1024, 9216}, hi_[AK_COCO_A] = {1e10, 1024, 9216, 1e10};
    *lo = lo_[a];
    *hi = hi_[a];
}

static int grow(void **p, size_t elem, int64_t need) {
    void *q = realloc(*p, (size_t)need * elem);
    if (!q)
        return AK_ENOMEM;
    *p = q;
    return AK_OK;
}

int ak__coco_scratch_reserve_g(ak__coco_scratch *s, int64_t d, int64_t g) {
    if (d * g > s->cap_iou) {
        int64_t cap = d * g * 2;
        AK_TRY(grow((void **)&s->iou, sizeof(double), cap));
        s->cap_iou = cap;
    }
    if (g > s->cap_g) {
        int64_t cap = g * 2;
        AK_TRY(grow((void **)&s->taken, 1, cap));
        AK_TRY(grow((void **)&s->gt_ig, 1, cap));
        AK_TRY(grow((void **)&s->gt_order, sizeof(int64_t), cap));
        s->cap_g = cap;
    }
    return AK_OK;
}

int ak__coco_scratch_reserve_n(ak__coco_scratch *s, int64_t n) {
    if (n > s->cap_n) {
        int64_t cap = n + n / 2 + 16;
        AK_TRY(grow((void **)&s->perm, sizeof(int64_t), cap));
        AK_TRY(grow((void **)&s->tmp, sizeof(int64_t), cap));
        AK_TRY(grow((void **)&s->rc, sizeof(double), cap));
        AK_TRY(grow((void **)&s->pr, sizeof(double), cap));
        s->cap_n = cap;
    }
    return AK_OK;
}

void ak__coco_scratch_free(ak__coco_scratch *s) {
    free(s->iou);
    free(s->taken);
    free(s->gt_ig);
    free(s->gt_order);
    free(s->perm);
    free(s->tmp);
    free(s->rc);
    free(s->pr);
    memset(s, 0, sizeof *s);
}

/* Bottom-up merge sort: insertion sort on runs of 16, then merges that take from the left run on
 * equal keys, which keeps the sort stable. */
void ak__coco_sort_desc(const double *key, int64_t *idx, int64_t n, int64_t *tmp) {
    enum { RUN = 16 };
    for (int64_t lo = 0; lo < n; lo += RUN) {
        int64_t hi = lo + RUN < n ? lo + RUN : n;
        for (int64_t i = lo + 1; i < hi; i++) {
            int64_t v = idx[i], j = i;
            while (j > lo && key[idx[j - 1]] < key[v]) {
                idx[j] = idx[j - 1];
                j--;
            }
            idx[j] = v;
        }
    }
    int64_t *src = idx, *dst = tmp;
    for (int64_t width = RUN; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            int64_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            int64_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi)
                dst[o++] = key[src[j]] > key[src[i]] ? src[j++] : src[i++];
            while (i < mid)
                dst[o++] = src[i++];
            while (j < hi)
                dst[o++] = src[j++];
        }
        int64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != idx)
        memcpy(idx, src, (size_t)n * sizeof *idx);
}

/* fmin / fmax for the finite values the evaluator accepts (the libm calls would cost more than the
 * rest of the IoU; for non-NaN inputs the results are identical). */
static inline double min2(double a, double b) { return b < a ? b : a; }
static inline double max2(double a, double b) { return b > a ? b : a; }

static double box_iou(const double *d, const double *g, int crowd) {
    double ga = g[2] * g[3], da = d[2] * d[3];
    double w = min2(d[2] + d[0], g[2] + g[0]) - max2(d[0], g[0]);
    if (w <= 0)
        return 0;
    double h = min2(d[3] + d[1], g[3] + g[1]) - max2(d[1], g[1]);
    if (h <= 0)
        return 0;
    double i = w * h, u = crowd ? da : da + ga - i;
    return i / u;
}

int ak__coco_match_image(const ak__coco_image_in *in, ak__coco_scratch *s, uint16_t *tp[AK_COCO_A],
                         uint16_t *ig[AK_COCO_A], int64_t npig[AK_COCO_A]) {
    const int64_t G = in->n_gt, D = in->n_dt;
    if (D > AK_COCO_MAX_DETS)
        return AK_EINVAL;
    AK_TRY(ak__coco_scratch_reserve_g(s, D, G));
    double thr[AK_COCO_T];
    for (int t = 0; t < AK_COCO_T; t++)
        thr[t] = min2(ak_coco_iou_threshold(t), 1 - 1e-10); /* pycocotools: min([t, 1-1e-10]) */
    /* A detection whose best IoU is below a threshold cannot match there, whatever the area range:
     * only the candidates (best IoU >= the lowest threshold) enter the matching loops, and those
     * skip the thresholds above their best IoU. Skipping a detection never changes which ground
     * truths are taken, so the matches are exactly those of the full loop. */
    double best_iou[AK_COCO_MAX_DETS], area[AK_COCO_MAX_DETS];
    int64_t cand[AK_COCO_MAX_DETS], n_cand = 0;
    for (int64_t d = 0; d < D; d++) {
        double mx = 0;
        for (int64_t g = 0; g < G; g++) {
            double v = box_iou(in->dt_box[d], in->gt_box[g], in->gt_crowd[g]);
            s->iou[d * G + g] = v;
            mx = v > mx ? v : mx;
        }
        best_iou[d] = mx;
        area[d] = in->dt_box[d][2] * in->dt_box[d][3];
        if (mx >= thr[0])
            cand[n_cand++] = d;
    }
    const uint16_t all = (uint16_t)((1u << AK_COCO_T) - 1);

    for (int a = 0; a < AK_COCO_A; a++) {
        double lo, hi;
        ak__coco_area_range(a, &lo, &hi);
        /* Ground truth order: non-ignored first, each group in file order (stable argsort). */
        int64_t n_ok = 0;
        for (int64_t g = 0; g < G; g++) {
            s->gt_ig[g] = in->gt_crowd[g] || in->gt_area[g] < lo || in->gt_area[g] > hi;
            n_ok += !s->gt_ig[g];
        }
        npig[a] += n_ok;
        for (int64_t g = 0, i = 0, j = n_ok; g < G; g++)
            s->gt_order[s->gt_ig[g] ? j++ : i++] = g;
        /* Unmatched detections outside the area range are ignored; matches below override. */
        for (int64_t d = 0; d < D; d++) {
            tp[a][d] = 0;
            ig[a][d] = area[d] < lo || area[d] > hi ? all : 0;
        }
        for (int t = 0; t < AK_COCO_T; t++) {
            if (G)
                memset(s->taken, 0, (size_t)G);
            const uint16_t bit = (uint16_t)(1u << t);
            for (int64_t c = 0; c < n_cand; c++) {
                const int64_t d = cand[c];
                if (best_iou[d] < thr[t])
                    continue;
                const double *row = s->iou + d * G;
                double best = thr[t];
                int64_t m = -1;
                for (int64_t j = 0; j < G; j++) {
                    int64_t g = s->gt_order[j];
                    if (s->taken[g] && !in->gt_crowd[g])
                        continue;
                    if (m > -1 && !s->gt_ig[m] && s->gt_ig[g])
                        break; /* holding a regular match: never move to an ignored one */
                    if (row[g] < best)
                        continue;
                    best = row[g]; /* >=: on equal IoU the later ground truth wins */
                    m = g;
                }
                if (m == -1)
                    continue;
                s->taken[m] = 1;
                if (s->gt_ig[m]) {
                    ig[a][d] |= bit;
                } else {
                    tp[a][d] |= bit;
                    ig[a][d] &= (uint16_t)~bit; /* matched: the area range no longer applies */
                }
            }
        }
    }
    return AK_OK;
}
