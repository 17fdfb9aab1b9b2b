/* COCO detection dataset: an instances JSON (annotations/instances_{train,val}2017.json) and its
 * image folder, turned into samples the way mmdet's CocoDataset does.
 *
 * - Labels: the category ids present in categories[] sorted ascending map to 0 .. n_classes-1
 *   (COCO's 80 ids 1..90 with gaps -> 0..79).
 * - Boxes: xywh -> xyxy (x1, y1, x1 + w, y1 + h) in float32. Crowd annotations (iscrowd = 1) become
 *   ignore regions. As in mmdet, annotations with 0 < w < 1, 0 < h < 1 or area <= 0 are dropped
 *   (counted in n_tiny_dropped, not an error: real COCO has a few).
 * - train = 1 keeps only images with at least one usable (non-crowd) box (mmdet's filter_empty_gt
 *   keeps images with any annotation, crowd included; here the stricter rule of the suite's spec);
 *   train = 0 (evaluation) keeps every image. Samples keep the order of images[] in the file.
 * - Bad input (each message names the file and the field):
 *     annotations[i].image_id not in images[], annotations[i].category_id not in categories[],
 *     annotations[i].bbox with w <= 0 or h <= 0 or non-finite, or reaching more than 1 pixel outside
 *     its image, images[i].width / height <= 0, images[i].file_name missing on disk (check_files),
 *     -> AK_EFORMAT / AK_EIO, or with on_bad_sample = skip the image (or the orphan annotation) is
 *     dropped and counted in `bad`. Duplicate image ids and an empty result are always errors.
 *   Decode-time problems (truncated / corrupt file, size different from the JSON) surface from
 *   ak_coco_dataset_decode; the loader applies the policy there.
 * Ownership: ak_coco_dataset_close frees everything.
 */
#ifndef AK_COCO_DATASET_H
#define AK_COCO_DATASET_H

#include <stdint.h>

#include "core/error.h"
#include "datasets/bad_sample.h"
#include "datasets/image.h"

typedef struct ak_coco_dataset_opts {
    const char *ann_file;              /* instances JSON */
    const char *img_dir;               /* folder holding images[].file_name */
    int train;                         /* 1: skip images without usable boxes */
    ak_bad_sample_policy on_bad_sample;
    int check_files;                   /* 1: every image file must exist at open time */
} ak_coco_dataset_opts;

typedef struct ak_coco_record {
    int64_t image_id;
    char *path;          /* img_dir/file_name */
    int width, height;   /* from the JSON */
    int64_t box0;        /* first box in ak_coco_dataset.boxes */
    int n_boxes;
    int64_t ign0;        /* first ignore region in ak_coco_dataset.ignore */
    int n_ignore;
    int64_t json_index;  /* index in images[] (for messages) */
} ak_coco_record;

typedef struct ak_coco_dataset {
    char *ann_file, *img_dir;
    int n_classes;
    int64_t *cat_ids;    /* (n_classes) COCO id of each label, ascending */
    char **cat_names;    /* (n_classes) */
    int64_t n;           /* samples */
    ak_coco_record *recs;
    float *boxes;        /* (total boxes, 4) xyxy, original pixels */
    int32_t *labels;     /* (total boxes) */
    float *ignore;       /* (total ignore regions, 4) */
    int64_t n_json_images, n_json_anns;
    int64_t n_empty_skipped; /* train: images without usable boxes */
    int64_t n_tiny_dropped;  /* mmdet's w < 1 / h < 1 / area <= 0 rule */
    ak_bad_sample_log bad;   /* on_bad_sample = skip */
    ak_bad_sample_policy on_bad_sample;
} ak_coco_dataset;

int ak_coco_dataset_open(ak_coco_dataset *ds, const ak_coco_dataset_opts *opts, ak_error *err);
void ak_coco_dataset_close(ak_coco_dataset *ds);

/* Label of a COCO category id, or -1. */
int ak_coco_dataset_label(const ak_coco_dataset *ds, int64_t category_id);

/* Decode sample i's image into *img (RGB) and check its size against the JSON (AK_EFORMAT naming
 * the file and images[k].width/height on mismatch). */
int ak_coco_dataset_decode(const ak_coco_dataset *ds, int64_t i, ak_image *img, ak_error *err);
/* The same into a caller's destination (image.h's ak_image_read_to): reserve is asked for
 * (recs[i].height, recs[i].width, 3) only, a mismatching file fails before that. */
int ak_coco_dataset_decode_to(const ak_coco_dataset *ds, int64_t i, ak_image_reserve_fn reserve, void *ctx,
                              ak_error *err);

/* One line: "coco: 118287 images, 117266 samples, 80 classes; skipped: 1021 without boxes, ..." */
void ak_coco_dataset_summary(const ak_coco_dataset *ds, char *buf, int len);

#endif
