/* COCO bounding-box evaluation, exactly as the official COCO API (pycocotools COCOeval, iouType
 * "bbox", default parameters) computes it, to the last bit on every reference case (means are summed
 * in numpy's order); the rules are written out in tests/fixtures/eval/coco_eval/README.md.
 *
 * Input: ground truth (ak_coco) and detections (ak_coco_dets) as read by datasets/coco_json.h.
 * Output: the 12 summary numbers, per-category AP and per-category summaries, and the full
 * precision / recall arrays in pycocotools' layout.
 *
 * Validation (errors name the record index):
 *  - a detection whose image_id is not an image of the ground truth: AK_ERANGE (pycocotools asserts
 *    "Results do not correspond to current coco set");
 *  - a non-finite score or box value: AK_ENAN; a negative box width or height: AK_EFORMAT;
 *  - duplicate image or category ids in the ground truth: AK_EFORMAT; a non-finite ground-truth box
 *    or area: AK_ENAN;
 *  - a detection whose category_id is not a category of the ground truth: pycocotools keeps it
 *    out of the evaluation without a word (the fixtures pin that down); we do the same but count
 *    them (n_dets_unknown_category, first_unknown_det) so the caller can warn, and with
 *    opts.strict_categories it is an AK_ERANGE error instead.
 *  Ground-truth annotations whose image or category is not listed are left out (as pycocotools
 *  does) and counted in n_anns_skipped. Annotation ids are not used (pycocotools keeps them as
 *  match markers, so an annotation id 0 would count as "unmatched" there; COCO ids start at 1).
 *  No detections at all is not an error: every defined AP and AR is then 0.
 *
 * Threads: OpenMP over categories; every number is computed by one thread in a fixed order, and
 * means are summed serially afterwards, so results are bitwise identical for any thread count.
 * Ownership: ak_coco_eval_free releases the arrays in *out.
 */
#ifndef AK_COCO_EVAL_H
#define AK_COCO_EVAL_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "datasets/coco_json.h"

#define AK_COCO_T 10 /* IoU thresholds .50:.05:.95 */
#define AK_COCO_R 101 /* recall thresholds 0:.01:1 */
#define AK_COCO_A 4  /* area ranges all, small, medium, large */
#define AK_COCO_M 3  /* maxDets 1, 10, 100 */
#define AK_COCO_STATS 12

typedef struct ak_coco_eval_opts {
    int strict_categories; /* 1: detections with unknown category ids are an error */
} ak_coco_eval_opts;

typedef struct ak_coco_eval {
    int64_t n_cats;
    int64_t *cat_ids;   /* (K) ascending, the order of every per-category array */
    double stats[AK_COCO_STATS]; /* AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl; -1 undefined */
    double *cat_ap;     /* (K) AP@[.50:.95] area all, maxDets 100 of each category; -1 undefined */
    double *cat_stats;  /* (K, 12) the 12 numbers restricted to one category */
    double *precision;  /* (T, R, K, A, M) as COCOeval.eval['precision']; -1 where undefined */
    double *recall;     /* (T, K, A, M) as COCOeval.eval['recall'] */
    int64_t n_dets_used;             /* detections that took part (known category) */
    int64_t n_dets_unknown_category; /* dropped: category_id not in the ground truth */
    int64_t first_unknown_det;       /* index of the first such detection, -1 if none */
    int64_t n_anns_skipped;          /* ground truth on unlisted images / categories */
} ak_coco_eval;

/* The thresholds, computed as numpy.linspace does (see README rules). */
double ak_coco_iou_threshold(int t);
double ak_coco_recall_threshold(int r);

/* opts may be NULL (defaults). On failure *out is left empty (safe to free). */
int ak_coco_evaluate(const ak_coco *gt, const ak_coco_dets *dets, const ak_coco_eval_opts *opts, ak_coco_eval *out,
                     ak_error *err);
void ak_coco_eval_free(ak_coco_eval *ev);

/* One line of pycocotools' summary, i in 0..11, e.g.
 * " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.367". */
void ak_coco_summary_line(int i, double value, char *buf, size_t len);
/* All 12 lines to f. */
void ak_coco_print_summary(const ak_coco_eval *ev, FILE *f);

#endif
