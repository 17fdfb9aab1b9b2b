/* COCO accumulation for one category (pycocotools COCOeval.accumulate, one k).
 *
 * pycocotools concatenates, per area range and maxDets m, the first m detections of every image (in
 * ascending image order) and stable-sorts them by score. Since a detection's position in that
 * concatenation orders it the same way for every m, one stable sort of all detections serves all
 * three m: the list for m is the sorted list without the detections of rank >= m.
 *
 * For each threshold: tp / fp running counts (exact small integers in double), recall tp / npig,
 * precision tp / (tp + fp + 2^-52), precision made non-increasing from the end, and for each recall
 * threshold the precision at the first position whose recall reaches it (numpy searchsorted
 * 'left'); 0 when recall never reaches it.
 *
 * Only true positives need a division: recall grows only at a true positive, so the first position
 * reaching a recall threshold r > 0 is one; precision falls between true positives, so the running
 * max from the end at a true positive is the max over it and the later true positives; and the
 * first position (r = 0) sees the max over all of them. Ignored detections repeat their
 * predecessor's values (or 0 before any count) and change none of these maxima. The numbers are the
 * same doubles pycocotools computes, just fewer of them.
 */
#include <float.h>
#include <string.h>

#include "eval/coco_internal.h"

static const int max_dets[AK_COCO_M] = {1, 10, 100};

static size_t p_index(int t, int r, int64_t k, int a, int m, int64_t K) {
    return ((((size_t)t * AK_COCO_R + (size_t)r) * (size_t)K + (size_t)k) * AK_COCO_A + (size_t)a) * AK_COCO_M +
           (size_t)m;
}

static size_t r_index(int t, int64_t k, int a, int m, int64_t K) {
    return (((size_t)t * (size_t)K + (size_t)k) * AK_COCO_A + (size_t)a) * AK_COCO_M + (size_t)m;
}

int ak__coco_accumulate(const ak__coco_cat *c, int64_t k, int64_t K, double *precision, double *recall,
                        ak__coco_scratch *s) {
    /* Per threshold t, the false-positive count at each true positive: tp_fp[t * npig + j] for the
     * (j + 1)-th true positive (a threshold never has more true positives than ground truths). */
    int64_t max_npig = 0;
    for (int a = 0; a < AK_COCO_A; a++)
        max_npig = c->npig[a] > max_npig ? c->npig[a] : max_npig;
    AK_TRY(ak__coco_scratch_reserve_n(s, max_npig * AK_COCO_T > c->n ? max_npig * AK_COCO_T : c->n));
    double *tp_fp = s->rc, *best = s->pr;
    int64_t *sorted = s->perm;
    for (int64_t i = 0; i < c->n; i++)
        sorted[i] = i;
    ak__coco_sort_desc(c->score, sorted, c->n, s->tmp);
    double rec_thr[AK_COCO_R];
    for (int r = 0; r < AK_COCO_R; r++)
        rec_thr[r] = ak_coco_recall_threshold(r);

    int64_t *sel = s->tmp; /* the sort no longer needs it */
    for (int m = 0; m < AK_COCO_M; m++) {
        int64_t nd = 0;
        for (int64_t i = 0; i < c->n; i++)
            if (c->rank[sorted[i]] < max_dets[m])
                sel[nd++] = sorted[i];
        for (int a = 0; a < AK_COCO_A; a++) {
            if (c->npig[a] == 0)
                continue; /* undefined: stays -1 */
            const int64_t G = c->npig[a];
            const double npig = (double)G;
            int64_t ntp[AK_COCO_T] = {0}, fp[AK_COCO_T] = {0};
            const uint16_t *tpm = c->tp[a], *igm = c->ig[a];
            for (int64_t i = 0; i < nd; i++) {
                int64_t d = sel[i];
                unsigned tpb = tpm[d], fpb = ~(tpb | igm[d]);
                for (int t = 0; t < AK_COCO_T; t++) {
                    fp[t] += (fpb >> t) & 1u;
                    if ((tpb >> t) & 1u) {
                        if (ntp[t] == G)
                            return AK_ESTATE; /* impossible: more true positives than objects */
                        tp_fp[t * G + ntp[t]++] = (double)fp[t];
                    }
                }
            }
            for (int t = 0; t < AK_COCO_T; t++) {
                recall[r_index(t, k, a, m, K)] = nd ? (double)ntp[t] / npig : 0;
                /* precision at the j-th true positive, then its running max from the end */
                const double *f = tp_fp + t * G;
                for (int64_t j = ntp[t] - 1; j >= 0; j--) {
                    double tp = (double)(j + 1), pr = tp / (f[j] + tp + DBL_EPSILON);
                    best[j] = j + 1 < ntp[t] && best[j + 1] > pr ? best[j + 1] : pr;
                }
                int64_t j = 0;
                for (int r = 0; r < AK_COCO_R; r++) {
                    while (j < ntp[t] && (double)(j + 1) / npig < rec_thr[r])
                        j++;
                    precision[p_index(t, r, k, a, m, K)] = j < ntp[t] ? best[j] : 0;
                }
            }
        }
    }
    return AK_OK;
}
