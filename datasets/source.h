/* A sample source for the loader: a dataset plus the transform pipeline that turns its sample
 * `index` into an ak_sample, given the sample's augmentation stream. The adapters below wire the
 * COCO dataset to the mmdet pipeline and Cityscapes to the mmseg pipeline.
 *
 * load() must be a pure function of (index, rng) and the files: the loader calls it from several
 * threads at once (each with its own ak_work and output sample) and relies on that for
 * thread-count-independent batches. Errors name the file (the dataset readers do).
 * Ownership: the adapter structs are owned by the caller and must outlive the loader.
 */
#ifndef AK_SOURCE_H
#define AK_SOURCE_H

#include <stdint.h>

#include "core/error.h"
#include "core/rng.h"
#include "datasets/cityscapes_dataset.h"
#include "datasets/coco_dataset.h"
#include "datasets/det_transforms.h"
#include "datasets/sample.h"
#include "datasets/seg_transforms.h"

typedef int (*ak_source_load_fn)(void *self, int64_t index, ak_rng rng, ak_work *w, ak_sample *out, ak_error *err);
/* The padded output size of sample `index` without decoding it, when the pipeline makes it
 * predictable (keep-ratio resize from the annotated size, fixed crop + pad): returns 1 and the sizes
 * (lab 0 x 0 when there is no label map), or 0 when unknown. Lets the loader write samples straight
 * into the batch tensor instead of copying them there. May be NULL. */
typedef int (*ak_source_plan_fn)(void *self, int64_t index, int *pad_h, int *pad_w, int *lab_h, int *lab_w);

typedef struct ak_source {
    void *self;
    int64_t n; /* samples */
    ak_source_load_fn load;
    ak_source_plan_fn plan;
} ak_source;

typedef struct ak_det_source {
    const ak_coco_dataset *ds;
    ak_det_aug aug;
} ak_det_source;
ak_source ak_det_source_make(ak_det_source *s);

typedef struct ak_seg_source {
    const ak_cityscapes_dataset *ds;
    ak_seg_aug aug;
} ak_seg_source;
ak_source ak_seg_source_make(ak_seg_source *s);

#endif
