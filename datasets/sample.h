/* One transformed training / evaluation sample, the scratch a worker needs to make one, and a batch
 * of them (mmcv's collate: images padded to the largest size in the batch, label maps padded with
 * 255).
 *
 * Images stay uint8 until the network's input step: a sample holds its RGB pixels after the
 * geometric transforms and the photometric distortion, and the flip, mmcv's Normalize and the zero
 * padding happen in one pass when the batch becomes the network's input tensor (batch_input.h).
 * That keeps the loader's output a quarter of the float32 size (the memory traffic of writing
 * normalised floats cost a third of the decode time) and gives the same float32 values.
 *
 * Buffers grow on demand and are reused: the loader keeps a fixed number of samples and batches
 * alive, so memory is bounded by the queue size times the largest sample seen. A sample's buffers
 * belong to the sample (ak_sample_free releases them) unless `ext`; a batch's `samples` pointers
 * refer to loader slots and are valid until the batch is released.
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
    int img_h, img_w;       /* size of `image`: after the geometric transforms (mmdet's img_shape) */
    int pad_h, pad_w;       /* mmdet / mmseg pad_shape: the image padded alone (to the size divisor or
                             * the Pad size); a batch pads further, to its largest sample */
    float scale_w, scale_h; /* resize factors new / old (mmdet's scale_factor, float32) */
    int flipped;            /* mirrored left-right: boxes and label map already are, the image is
                             * mirrored by the input step (fused into the normalisation) */
    double mean[3], std[3]; /* the pipeline's Normalize (RGB), applied by the input step */
    uint8_t *image;         /* (img_h, img_w, 3) RGB after resize / crop / photometric distortion;
                             * not yet flipped, normalised or padded */
    /* detection targets, in the coordinates of the (flipped) padded image */
    int n_boxes;
    float *boxes;           /* (n_boxes, 4) x1 y1 x2 y2 */
    int32_t *labels;        /* (n_boxes) contiguous labels 0 .. n_classes-1 */
    int n_ignore;
    float *ignore;          /* (n_ignore, 4) crowd regions */
    /* segmentation target */
    int lab_h, lab_w;       /* 0 when there is no label map */
    uint8_t *label;         /* (lab_h, lab_w) train ids, 255 = ignore / padding; already flipped */
    int64_t n_bad_pixels;   /* label ids outside the table, mapped to 255 (on_bad_sample = skip) */
    size_t image_cap;       /* bytes of `image` */
    size_t box_cap, labels_cap, ign_cap, label_cap; /* elements (boxes) allocated */
    /* ext = 1: `image` (image_cap bytes) and `label` (lab_h x lab_w, the batch's label size) are
     * slots of a batch set up by the loader; the transforms write there (the label map padded to
     * that size) and fail with AK_ESHAPE if the sample does not fit. Not owned by the sample. */
    int ext;
} ak_sample;

/* Per-worker scratch: decoded inputs and intermediate images. */
typedef struct ak_work {
    ak_image img, tmp, lab, lab_tmp;
    uint8_t *hsv;
    size_t hsv_cap;
} ak_work;

/* Make room for an (h, w, 3) image / (h, w) label map; with `ext` only check that it fits. */
int ak_sample_reserve_image(ak_sample *s, int h, int w, ak_error *err);
int ak_sample_reserve_boxes(ak_sample *s, int n_boxes, int n_ignore, ak_error *err);
int ak_sample_reserve_label(ak_sample *s, int h, int w, ak_error *err);
void ak_sample_free(ak_sample *s);
int ak_work_reserve_hsv(ak_work *w, size_t bytes, ak_error *err);
void ak_work_free(ak_work *w);

typedef struct ak_batch {
    int64_t epoch, index;    /* batch `index` of epoch `epoch` */
    int n;                   /* samples in this batch (the last one may be smaller) */
    int h, w;                /* padded image size: at least every sample's pad_h / pad_w */
    uint8_t *pixels;         /* n slots of h * w * 3 bytes: sample i's image (img_h, img_w, 3), packed
                              * at the start of slot i. ak_batch_input makes the (n, 3, h, w) float
                              * input of it (batch_input.h) */
    int lab_h, lab_w;        /* 0 when the samples carry no label maps */
    uint8_t *labels;         /* (n, lab_h, lab_w), 255 padding */
    const ak_sample **samples; /* (n) metadata and detection targets, in batch order */
    int n_substituted;       /* samples that failed and were replaced (on_bad_sample = skip) */
    int64_t n_bad_pixels;    /* sum over the samples */
    char warning[256];       /* the first skip reason in this batch ("" if none) */
    size_t pixels_cap, labels_cap; /* bytes */
} ak_batch;

/* Collate samples[0..n) into b. Samples with `ext` already live in b (ak_batch_reserve set its
 * sizes): they are only checked to fit (AK_ESHAPE naming the sample otherwise); other samples are
 * copied into b's buffers, grown to the largest pad_h / pad_w and label map of the batch. */
int ak_batch_collate(ak_batch *b, const ak_sample **samples, int n, ak_error *err);
/* Size b for n images padded to (h, w) and label maps (lab_h, lab_w), growing its buffers (the
 * loader's direct mode: the samples are then written straight into their slots). */
int ak_batch_reserve(ak_batch *b, int n, int h, int w, int lab_h, int lab_w, ak_error *err);
void ak_batch_free(ak_batch *b);

#endif
