/* COCO instances (ground truth) and results (detections) JSON, parsed with jansson.
 *
 * One reader for the whole suite: the evaluator and the training data loader both use it.
 * Fields kept are the ones the COCO API uses; everything else (segmentation polygons, licenses,
 * info) is skipped. Malformed JSON is an AK_EFORMAT error with the file, line and column; a field of
 * the wrong type names the record index and the field ("annotations[12].bbox: expected 4 numbers").
 * Ownership: ak_coco_free / ak_coco_dets_free release everything.
 */
#ifndef AK_COCO_JSON_H
#define AK_COCO_JSON_H

#include <stdint.h>

#include "core/error.h"

typedef struct ak_coco_image {
    int64_t id;
    int width, height;
    char *file_name;
} ak_coco_image;

typedef struct ak_coco_ann {
    int64_t id, image_id, category_id;
    double bbox[4]; /* x, y, w, h as in the file */
    double area;    /* the annotation's `area` field (segmentation area), not w*h */
    int iscrowd;
} ak_coco_ann;

typedef struct ak_coco_category {
    int64_t id;
    char *name, *supercategory;
} ak_coco_category;

typedef struct ak_coco {
    char *path;
    ak_coco_image *images;
    int64_t n_images;
    ak_coco_ann *anns;
    int64_t n_anns;
    ak_coco_category *cats; /* in file order */
    int64_t n_cats;
} ak_coco;

typedef struct ak_coco_det {
    int64_t image_id, category_id;
    double bbox[4]; /* x, y, w, h */
    double score;
} ak_coco_det;

typedef struct ak_coco_dets {
    char *path;
    ak_coco_det *dets; /* in file order (ties in score keep it) */
    int64_t n;
} ak_coco_dets;

int ak_coco_load(ak_coco *gt, const char *path, ak_error *err);
void ak_coco_free(ak_coco *gt);
int ak_coco_dets_load(ak_coco_dets *dets, const char *path, ak_error *err);
void ak_coco_dets_free(ak_coco_dets *dets);
/* Write results in the COCO results format (full double precision). */
int ak_coco_dets_save(const ak_coco_dets *dets, const char *path, ak_error *err);
/* Write an instances file (used by the synthetic generator). */
int ak_coco_save(const ak_coco *gt, const char *path, ak_error *err);

/* Format a finite double as the shortest of %.15g / %.16g / %.17g that reads back to the same bits
 * (JSON has no NaN / Infinity: those are written as `null`). buf needs 32 bytes. Returns buf. */
char *ak_json_double(double v, char *buf);

#endif
