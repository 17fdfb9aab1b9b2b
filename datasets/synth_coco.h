/* Synthetic COCO-format detection data: DIR/{split}2017/%012d.jpg and
 * DIR/annotations/instances_{split}2017.json, readable by coco_dataset.h unchanged.
 *
 * Eight real COCO categories (ids with gaps: 1 person, 2 bicycle, 3 car, 6 bus, 13 stop sign,
 * 37 sports ball, 44 bottle, 85 clock), each drawn from class-specific shape, colour palette and
 * texture with intra-class variation (sub-types, aspect, rotation, colours, patterns, mirroring). Box
 * areas are log-uniform from 10x10 to a quarter of the image, so COCO's small / medium / large ranges
 * are all populated at COCO-like image sizes. Scenes have textured backgrounds, unlabelled clutter
 * (distractors, some in class colours with the wrong shape), occlusion (objects and clutter drawn
 * over objects), a few crowd regions (a cluster of small persons annotated once with iscrowd = 1),
 * global tone changes and sensor noise, then JPEG compression (quality 90).
 * Boxes and areas come from the rendered instance map: bbox = tight box of the visible pixels, area =
 * visible pixel count (an instance with fewer than 10 visible pixels is not annotated).
 *
 * Deterministic: image i is a pure function of (seed, i, size); same options -> same bytes. Images
 * are rendered in parallel (OpenMP), files are written under temporary names and renamed.
 */
#ifndef AK_SYNTH_COCO_H
#define AK_SYNTH_COCO_H

#include <stdint.h>

#include "core/error.h"
#include "datasets/synth_draw.h"

#define AK_SYNTH_COCO_CLASSES 8
#define AK_SYNTH_COCO_MAX_ANNS 96

/* The category ids and names used (ascending ids). */
extern const int64_t ak_synth_coco_cat_ids[AK_SYNTH_COCO_CLASSES];
extern const char *const ak_synth_coco_cat_names[AK_SYNTH_COCO_CLASSES];

typedef struct ak_synth_ann {
    int cat;         /* index into ak_synth_coco_cat_ids */
    double bbox[4];  /* x, y, w, h */
    double area;     /* visible pixels */
    int iscrowd;
} ak_synth_ann;

/* Render image `index` of the dataset o describes (seed, size and the scene options; out_dir and
 * n_images are not used) into rgb (h, w, 3) with ids (h, w) scratch; write up to
 * AK_SYNTH_COCO_MAX_ANNS annotations. Returns the number of annotations. */
int ak_synth_coco_render(const ak_synth_opts *o, int64_t index, uint8_t *rgb, int32_t *ids, ak_synth_ann *anns);

typedef struct ak_synth_coco_stats {
    int64_t images, anns, crowd, small, medium, large; /* COCO area ranges of the non-crowd boxes */
    int64_t per_class[AK_SYNTH_COCO_CLASSES];
} ak_synth_coco_stats;

/* Write the dataset (stats may be NULL). */
int ak_synth_coco(const ak_synth_opts *opts, ak_synth_coco_stats *stats, ak_error *err);

#endif
