/* COCO summary numbers (pycocotools COCOeval.summarize for bbox) and their printed form.
 *
 * Each number is the mean of the defined (> -1) entries of a slice of precision or recall, taken in
 * numpy's C order of the slice (threshold, recall threshold, category) and summed in numpy's
 * pairwise order, so it agrees with pycocotools to the last bit. A slice with no defined entry is -1.
 * The IoU=.50 / .75 rows select thresholds by exact equality, as numpy.where(iouThr == iouThrs).
 */
#include <stdio.h>
#include <stdlib.h>

#include "eval/coco_internal.h"
#include "eval/np_sum.h"

double ak_coco_iou_threshold(int t) {
    if (t >= AK_COCO_T - 1)
        return 0.95;
    return (double)t * ((0.95 - 0.5) / 9.0) + 0.5; /* numpy.linspace: i * step + start */
}

double ak_coco_recall_threshold(int r) {
    if (r >= AK_COCO_R - 1)
        return 1.0;
    return (double)r * (1.0 / 100.0) + 0.0;
}

/* The 12 rows: ap (1) or ar (0), IoU threshold (< 0: all), area index, maxDets index. */
typedef struct row {
    int ap;
    double iou;
    int area, mdet;
} row;
static const row rows[AK_COCO_STATS] = {
    {1, -1, 0, 2}, {1, .5, 0, 2}, {1, .75, 0, 2}, {1, -1, 1, 2}, {1, -1, 2, 2}, {1, -1, 3, 2},
    {0, -1, 0, 0}, {0, -1, 0, 1}, {0, -1, 0, 2}, {0, -1, 1, 2}, {0, -1, 2, 2}, {0, -1, 3, 2},
};

int ak__coco_summarize(const double *precision, const double *recall, int64_t K, int64_t k0, int64_t k1,
                       double stats[AK_COCO_STATS]) {
    double *vals = malloc((size_t)(AK_COCO_T * AK_COCO_R) * (size_t)(k1 > k0 ? k1 - k0 : 1) * sizeof *vals);
    if (!vals)
        return AK_ENOMEM;
    for (int i = 0; i < AK_COCO_STATS; i++) {
        const row *q = &rows[i];
        int64_t n = 0;
        for (int t = 0; t < AK_COCO_T; t++) {
            if (q->iou >= 0 && !(ak_coco_iou_threshold(t) == q->iou))
                continue;
            if (q->ap) {
                for (int r = 0; r < AK_COCO_R; r++)
                    for (int64_t k = k0; k < k1; k++) {
                        double v = precision[((((size_t)t * AK_COCO_R + (size_t)r) * (size_t)K + (size_t)k) *
                                                  AK_COCO_A + (size_t)q->area) * AK_COCO_M + (size_t)q->mdet];
                        if (v > -1)
                            vals[n++] = v;
                    }
            } else {
                for (int64_t k = k0; k < k1; k++) {
                    double v = recall[(((size_t)t * (size_t)K + (size_t)k) * AK_COCO_A + (size_t)q->area) *
                                          AK_COCO_M + (size_t)q->mdet];
                    if (v > -1)
                        vals[n++] = v;
                }
            }
        }
        stats[i] = n ? ak_np_sum(vals, n) / (double)n : -1;
    }
    free(vals);
    return AK_OK;
}

void ak_coco_summary_line(int i, double value, char *buf, size_t len) {
    static const char *areas[AK_COCO_A] = {"all", "small", "medium", "large"};
    static const int mdets[AK_COCO_M] = {1, 10, 100};
    if (i < 0 || i >= AK_COCO_STATS) {
        snprintf(buf, len, "(no summary line %d)", i);
        return;
    }
    const row *q = &rows[i];
    char iou[16];
    if (q->iou < 0)
        snprintf(iou, sizeof iou, "%0.2f:%0.2f", ak_coco_iou_threshold(0), ak_coco_iou_threshold(AK_COCO_T - 1));
    else
        snprintf(iou, sizeof iou, "%0.2f", q->iou);
    snprintf(buf, len, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f",
             q->ap ? "Average Precision" : "Average Recall", q->ap ? "(AP)" : "(AR)", iou, areas[q->area],
             mdets[q->mdet], value);
}

void ak_coco_print_summary(const ak_coco_eval *ev, FILE *f) {
    char line[128];
    for (int i = 0; i < AK_COCO_STATS; i++) {
        ak_coco_summary_line(i, ev->stats[i], line, sizeof line);
        fprintf(f, "%s\n", line);
    }
}
