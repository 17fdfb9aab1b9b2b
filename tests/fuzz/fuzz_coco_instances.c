/* Fuzz target: COCO instances (ground-truth) JSON, the file `akdbench eval-coco GT.json ...` and the
 * detection trainer read. The input goes through everything that consumes such a file:
 * ak_coco_load (datasets/coco_json.h), the training / evaluation dataset views (coco_dataset.h,
 * both bad-sample policies) and the COCO evaluator with the annotations as detections. Returns the
 * status of ak_coco_load, or when it loads, of the training dataset view (policy "error").
 * Invariants: failures carry a message naming the file; a loaded file has consistent counts, every
 * dataset box is finite with positive size and a label in range, and evaluating the ground truth
 * against itself gives statistics in [0, 1] or -1 (undefined). */
#include <math.h>

#include "datasets/coco_dataset.h"
#include "datasets/coco_json.h"
#include "eval/coco_eval.h"
#include "fuzz_support.h"

int ak_fuzz_coco_instances(const uint8_t *data, size_t size, ak_error *err);

/* Open the file as a dataset; returns the status (the error in *e). */
static int coco_inst_check_dataset(const ak_coco *gt, const char *path, int train, ak_bad_sample_policy pol,
                                   ak_error *e) {
    ak_coco_dataset ds;
    ak_coco_dataset_opts o = {path, "/nonexistent-akfuzz-images", train, pol, 0};
    int rc = ak_coco_dataset_open(&ds, &o, e);
    if (rc != AK_OK) {
        ak_fuzz_check_failure(rc, e, path);
        return rc;
    }
    AK_FUZZ_CHECK(ds.n >= 1 && ds.n <= gt->n_images, "%lld samples from %lld images", (long long)ds.n,
                  (long long)gt->n_images);
    for (int64_t i = 0; i < ds.n; i++) {
        const ak_coco_record *r = &ds.recs[i];
        AK_FUZZ_CHECK(r->width > 0 && r->height > 0, "record %lld: %dx%d", (long long)i, r->width, r->height);
        for (int b = 0; b < r->n_boxes; b++) {
            const float *x = &ds.boxes[4 * (r->box0 + b)];
            AK_FUZZ_CHECK(isfinite(x[0]) && isfinite(x[1]) && isfinite(x[2]) && isfinite(x[3]) && x[2] > x[0] &&
                              x[3] > x[1],
                          "record %lld box %d: [%g %g %g %g]", (long long)i, b, x[0], x[1], x[2], x[3]);
            int32_t label = ds.labels[r->box0 + b];
            AK_FUZZ_CHECK(label >= 0 && label < ds.n_classes, "record %lld box %d: label %d of %d", (long long)i, b,
                          label, ds.n_classes);
        }
    }
    ak_coco_dataset_close(&ds);
    return AK_OK;
}

/* Evaluate the ground truth with its own boxes as detections (score 1). */
static void coco_inst_check_eval(const ak_coco *gt, const char *path) {
    ak_coco_dets dets = {NULL, NULL, 0};
    dets.dets = calloc((size_t)(gt->n_anns ? gt->n_anns : 1), sizeof *dets.dets);
    AK_FUZZ_CHECK(dets.dets != NULL, "out of memory");
    for (int64_t i = 0; i < gt->n_anns; i++) {
        dets.dets[i].image_id = gt->anns[i].image_id;
        dets.dets[i].category_id = gt->anns[i].category_id;
        memcpy(dets.dets[i].bbox, gt->anns[i].bbox, sizeof dets.dets[i].bbox);
        dets.dets[i].score = 1.0;
    }
    dets.n = gt->n_anns;
    ak_coco_eval ev;
    ak_error e;
    ak_error_clear(&e);
    int rc = ak_coco_evaluate(gt, &dets, NULL, &ev, &e);
    if (rc == AK_OK) {
        for (int s = 0; s < AK_COCO_STATS; s++)
            AK_FUZZ_CHECK(ev.stats[s] == -1.0 || (ev.stats[s] >= 0.0 && ev.stats[s] <= 1.0), "stats[%d] = %g", s,
                          ev.stats[s]);
        ak_coco_eval_free(&ev);
    } else {
        ak_fuzz_check_failure(rc, &e, NULL);
    }
    (void)path;
    free(dets.dets);
}

int ak_fuzz_coco_instances(const uint8_t *data, size_t size, ak_error *err) {
    const char *path = ak_fuzz_temp_file("instances.json", data, size);
    ak_coco gt;
    int rc = ak_coco_load(&gt, path, err);
    if (rc != AK_OK) {
        ak_fuzz_check_failure(rc, err, path);
        return rc;
    }
    AK_FUZZ_CHECK(gt.n_images >= 0 && gt.n_anns >= 0 && gt.n_cats >= 0, "negative counts");
    for (int64_t i = 0; i < gt.n_images; i++)
        AK_FUZZ_CHECK(gt.images[i].width >= 0 && gt.images[i].height >= 0, "images[%lld] size", (long long)i);
    rc = coco_inst_check_dataset(&gt, path, 1, AK_BAD_SAMPLE_ERROR, err);
    ak_error skip;
    ak_error_clear(&skip);
    coco_inst_check_dataset(&gt, path, 0, AK_BAD_SAMPLE_SKIP, &skip);
    coco_inst_check_eval(&gt, path);
    ak_coco_free(&gt);
    return rc;
}

AK_FUZZ_ENTRY(ak_fuzz_coco_instances)
