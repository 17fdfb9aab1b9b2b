/* One transformed training / evaluation sample, the scratch a worker needs to make one, and a batch
 * of them collated into tensors (mmcv's collate: images zero-padded to the largest size in the
 * batch, label maps padded with 255).
 *
 * Buffers grow on demand and are reused: the loader keeps a fixed number of samples and batches
 * alive, so memory is bounded by the queue size times the largest sample seen. A sample's buffers
 * belong to the sample (ak_sample_free releases them); a batch's `samples` pointers refer to loader
 * slots and are valid until the batch is released.
 */
#ifndef AK_SAMPLE_H
#define AK_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "datasets/image.h"

typedef struct ak_sample {
    int64_t index;          /* dataset index */
    int64_t image_id;       /* COCO image id; -1 when the dataset has none */
    int ori_h, ori_w;       /* decoded image size */
    int img_h, img_w;       /* after the geometric transforms (mmdet's img_shape), before padding */
    int pad_h, pad_w;       /* size of `image` (the batch's size when `ext`) */
    float scale_w, scale_h; /* resize factors new / old (mmdet's scale_factor, float32) */
    int flipped;
    float *image;           /* (3, pad_h, pad_w) normalised RGB, padding 0 */
    /* detection targets, in the coordinates of `image` */
    int n_boxes;
    float *boxes;           /* (n_boxes, 4) x1 y1 x2 y2 */
    int32_t *labels;        /* (n_boxes) contiguous labels 0 .. n_classes-1 */
    int n_ignore;
    float *ignore;          /* (n_ignore, 4) crowd regions */
    /* segmentation target */
    int lab_h, lab_w;       /* 0 when there is no label map */
    uint8_t *label;         /* (lab_h, lab_w) train ids, 255 = ignore / padding */
    int64_t n_bad_pixels;   /* label ids outside the table, mapped to 255 (on_bad_sample = skip) */
    size_t image_cap, box_cap, labels_cap, ign_cap, label_cap; /* elements (boxes) allocated */
    /* ext = 1: `image` (and `label` when lab_h > 0) are slices of a batch set up by the loader with
     * the batch's padded size in pad_h / pad_w (lab_h / lab_w); the transforms write there, padding
     * to that size, and fail with AK_ESHAPE if the sample does not fit. Not owned by the sample. */
    int ext;
} ak_sample;

/* Per-worker scratch: decoded inputs and intermediate images. */
typedef struct ak_work {
    ak_image img, tmp, lab, lab_tmp;
    uint8_t *hsv;
    size_t hsv_cap;
} ak_work;

/* Make room for a (3, pad_h, pad_w) image / (h, w) label map; with `ext` only check that it fits. */
int ak_sample_reserve_image(ak_sample *s, int pad_h, int pad_w, ak_error *err);
int ak_sample_reserve_boxes(ak_sample *s, int n_boxes, int n_ignore, ak_error *err);
int ak_sample_reserve_label(ak_sample *s, int h, int w, ak_error *err);
void ak_sample_free(ak_sample *s);
int ak_work_reserve_hsv(ak_work *w, size_t bytes, ak_error *err);
void ak_work_free(ak_work *w);

typedef struct ak_batch {
    int64_t epoch, index;    /* batch `index` of epoch `epoch` */
    int n;                   /* samples in this batch (the last one may be smaller) */
    int h, w;                /* padded image size */
    float *images;           /* (n, 3, h, w) */
    int lab_h, lab_w;        /* 0 when the samples carry no label maps */
    uint8_t *labels;         /* (n, lab_h, lab_w), 255 padding */
    const ak_sample **samples; /* (n) metadata and detection targets, in batch order */
    int n_substituted;       /* samples that failed and were replaced (on_bad_sample = skip) */
    int64_t n_bad_pixels;    /* sum over the samples */
    char warning[256];       /* the first skip reason in this batch ("" if none) */
    size_t images_cap, labels_cap;
} ak_batch;

/* Collate samples[0..n) into b (growing its buffers). Samples with `ext` already live in b and are
 * not copied. */
int ak_batch_collate(ak_batch *b, const ak_sample **samples, int n, ak_error *err);
/* Grow b's buffers for n images (3, h, w) and label maps (lab_h, lab_w) (the loader's direct mode). */
int ak_batch_reserve(ak_batch *b, int n, int h, int w, int lab_h, int lab_w, ak_error *err);
void ak_batch_free(ak_batch *b);

#endif
