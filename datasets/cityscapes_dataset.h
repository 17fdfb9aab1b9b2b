/* Cityscapes semantic segmentation dataset: ROOT/leftImg8bit/{split}/{city}/{name}_leftImg8bit.png
 * with ROOT/gtFine/{split}/{city}/{name}_gtFine_labelTrainIds.png when present (values 0..18, 255),
 * otherwise {name}_gtFine_labelIds.png (values 0..33, and 255 for the license plate's id -1) mapped to train ids
 * with the official table (cityscapes_labels.h; everything not evaluated -> 255).
 *
 * Samples are sorted by city, then file name (readdir order is not deterministic). Errors name the
 * path: a missing split folder or no images (empty split) -> AK_EIO / AK_EFORMAT always; an image
 * without a ground-truth file -> AK_EIO, or skipped and counted with on_bad_sample = skip. At decode
 * time: label values outside the table -> AK_ERANGE naming the file, value and pixel, or with skip the
 * pixels become 255 and are counted (*n_bad_pixels); image / label size mismatch -> AK_ESHAPE.
 * Ownership: ak_cityscapes_close frees everything.
 */
#ifndef AK_CITYSCAPES_DATASET_H
#define AK_CITYSCAPES_DATASET_H

#include <stdint.h>

#include "core/error.h"
#include "datasets/bad_sample.h"
#include "datasets/image.h"

typedef struct ak_cityscapes_opts {
    const char *root;  /* folder holding leftImg8bit/ and gtFine/ */
    const char *split; /* "train", "val", "test" */
    ak_bad_sample_policy on_bad_sample;
} ak_cityscapes_opts;

typedef struct ak_cityscapes_record {
    char *image_path, *label_path;
    int train_ids; /* 1: label_path holds train ids already */
} ak_cityscapes_record;

typedef struct ak_cityscapes_dataset {
    char *root, *split;
    int64_t n;
    ak_cityscapes_record *recs;
    ak_bad_sample_log bad;
    ak_bad_sample_policy on_bad_sample;
} ak_cityscapes_dataset;

int ak_cityscapes_open(ak_cityscapes_dataset *ds, const ak_cityscapes_opts *opts, ak_error *err);
void ak_cityscapes_close(ak_cityscapes_dataset *ds);

/* Decode sample i: *img RGB, *lab train ids (1 channel, same size). *n_bad_pixels counts label
 * values outside the table that were mapped to 255 (only with on_bad_sample = skip). */
int ak_cityscapes_decode(const ak_cityscapes_dataset *ds, int64_t i, ak_image *img, ak_image *lab,
                         int64_t *n_bad_pixels, ak_error *err);

/* Map a label map in place: labelIds -> train ids (train_ids = 0) or check train ids (train_ids = 1).
 * Returns the number of invalid values (mapped to 255); *first_bad receives the first invalid
 * pixel's index (or -1). */
int64_t ak_cityscapes_map_labels(uint8_t *lab, int64_t n, int train_ids, int64_t *first_bad);

#endif
