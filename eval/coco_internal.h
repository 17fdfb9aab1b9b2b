/* Internal pieces of the COCO evaluator (eval/coco_*.c); not part of the public API.
 *
 * Flow: coco_prepare.c validates and buckets the input by (category, image); per category (one OpenMP
 * task each, driven by coco_eval.c) coco_match.c matches every image's detections to its ground truth and
 * coco_accumulate.c turns the matches into precision / recall; coco_summary.c takes the means.
 */
#ifndef AK_COCO_INTERNAL_H
#define AK_COCO_INTERNAL_H

#include <stdint.h>

#include "eval/coco_eval.h"

#define AK_COCO_MAX_DETS 100 /* largest maxDets: detections per image AND category that count */

/* Records bucketed by (category, image): order[] holds record indices, start[k]..start[k+1] the
 * records of category k, img[i] the image index of order[i]. */
typedef struct ak__coco_buckets {
    int64_t *order, *start, *img;
} ak__coco_buckets;
void ak__coco_buckets_free(ak__coco_buckets *b);

/* Everything the per-category workers read. */
typedef struct ak__coco_prep {
    const ak_coco *gt;
    const ak_coco_dets *dets;
    int64_t NI, NK;
    ak__coco_buckets g, d;
} ak__coco_prep;

/* Check the input (see coco_eval.h for the errors), fill out->cat_ids / n_cats and the counters,
 * *img_ids (sorted, malloc'd) and the buckets of p. */
int ak__coco_prepare(const ak_coco *gt, const ak_coco_dets *dets, const ak_coco_eval_opts *opts, ak_coco_eval *out,
                     int64_t **img_ids, ak__coco_prep *p, ak_error *err);

/* Area range a (0 all, 1 small, 2 medium, 3 large), both ends inclusive. */
void ak__coco_area_range(int a, double *lo, double *hi);

/* Growable per-thread scratch buffers (no malloc per image in the steady state). */
typedef struct ak__coco_scratch {
    double *iou;      /* (D, G) */
    uint8_t *taken;   /* (G) */
    uint8_t *gt_ig;   /* (G) */
    int64_t *gt_order; /* (G) */
    int64_t cap_iou, cap_g;
    int64_t *perm, *tmp; /* sort buffers */
    double *rc, *pr;
    int64_t cap_n;
} ak__coco_scratch;

int ak__coco_scratch_reserve_g(ak__coco_scratch *s, int64_t d, int64_t g);
int ak__coco_scratch_reserve_n(ak__coco_scratch *s, int64_t n);
void ak__coco_scratch_free(ak__coco_scratch *s);

/* One image and category, detections already in score order and truncated to AK_COCO_MAX_DETS.
 * Writes, for each area range a and detection d, bit t of tp[a][d] (true positive at IoU threshold
 * t) and of ig[a][d] (ignored at t); a detection with neither bit is a false positive. Adds the
 * number of non-ignored ground truths of each area range to npig[a]. */
typedef struct ak__coco_image_in {
    int64_t n_gt, n_dt;
    const double (*gt_box)[4]; /* (G, 4) x, y, w, h */
    const double *gt_area;     /* (G) annotation `area` */
    const uint8_t *gt_crowd;   /* (G) */
    const double (*dt_box)[4]; /* (D, 4) */
} ak__coco_image_in;
int ak__coco_match_image(const ak__coco_image_in *in, ak__coco_scratch *s, uint16_t *tp[AK_COCO_A],
                         uint16_t *ig[AK_COCO_A], int64_t npig[AK_COCO_A]);

/* All matched detections of one category, concatenated in ascending image order, each image's in
 * score order: score, rank within its image, and the tp / ig bit masks per area range. */
typedef struct ak__coco_cat {
    int64_t n;
    double *score;
    uint8_t *rank;
    uint16_t *tp[AK_COCO_A], *ig[AK_COCO_A];
    int64_t npig[AK_COCO_A];
} ak__coco_cat;

/* Fill precision[:, :, k, :, :] and recall[:, k, :, :] (pycocotools layouts, K categories). */
int ak__coco_accumulate(const ak__coco_cat *c, int64_t k, int64_t K, double *precision, double *recall,
                        ak__coco_scratch *s);

/* Stable sort of idx[0..n) by key[idx[i]] descending (numpy argsort(-key, kind='mergesort')). */
void ak__coco_sort_desc(const double *key, int64_t *idx, int64_t n, int64_t *tmp);

/* stats[12] from precision / recall restricted to categories [k0, k1), as COCOeval.summarize. */
int ak__coco_summarize(const double *precision, const double *recall, int64_t K, int64_t k0, int64_t k1,
                       double stats[AK_COCO_STATS]);

#endif
