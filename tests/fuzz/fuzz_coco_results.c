/* Fuzz target: COCO results (detections) JSON, the file `akdbench eval-coco GT.json DETS.json` reads.
 * The input is parsed by both parsers of datasets/coco_json.c (the fast scanner and jansson) and,
 * when it parses, written back with ak_coco_dets_save, re-read, and evaluated against a fixed small
 * ground truth with the COCO evaluator.
 * Invariants: failures name the file; whenever the fast scanner accepts a file, jansson gives the
 * same records bit for bit (the scanner's documented contract); save -> load is the identity; an
 * evaluation that succeeds gives statistics in [0, 1] or -1 (undefined). */
#include <math.h>

#include "datasets/coco_json.h"
#include "datasets/coco_json_internal.h"
#include "eval/coco_eval.h"
#include "fuzz_support.h"

int ak_fuzz_coco_results(const uint8_t *data, size_t size, ak_error *err);

static int coco_res_same(const ak_coco_dets *a, const ak_coco_dets *b) {
    return a->n == b->n && (a->n == 0 || memcmp(a->dets, b->dets, (size_t)a->n * sizeof *a->dets) == 0);
}

static void coco_res_fixed_gt(ak_coco *gt, ak_coco_image im[2], ak_coco_ann an[3], ak_coco_category ca[2]) {
    memset(gt, 0, sizeof *gt);
    memset(im, 0, 2 * sizeof *im);
    memset(an, 0, 3 * sizeof *an);
    memset(ca, 0, 2 * sizeof *ca);
    im[0] = (ak_coco_image){1, 100, 80, "a.jpg"};
    im[1] = (ak_coco_image){2, 64, 64, "b.jpg"};
    an[0] = (ak_coco_ann){1, 1, 1, {10, 10, 30, 20}, 600, 0};
    an[1] = (ak_coco_ann){2, 1, 3, {50, 40, 20, 30}, 600, 0};
    an[2] = (ak_coco_ann){3, 2, 1, {0, 0, 64, 64}, 4096, 1};
    ca[0] = (ak_coco_category){1, "a", "x"};
    ca[1] = (ak_coco_category){3, "b", "x"};
    gt->path = "fixed-gt";
    gt->images = im;
    gt->n_images = 2;
    gt->anns = an;
    gt->n_anns = 3;
    gt->cats = ca;
    gt->n_cats = 2;
}

int ak_fuzz_coco_results(const uint8_t *data, size_t size, ak_error *err) {
    const char *path = ak_fuzz_temp_file("results.json", data, size);
    ak_coco_dets fast, slow;
    int rc = ak_coco_dets_load(&fast, path, err);
    ak_error e2;
    ak_error_clear(&e2);
    int rc2 = ak__coco_dets_parse(path, (const char *)data, size, 0, &slow, &e2);
    if (rc != AK_OK) {
        ak_fuzz_check_failure(rc, err, path);
        AK_FUZZ_CHECK(rc2 == rc && strcmp(err->msg, e2.msg) == 0, "jansson-only parse differs: %d %s vs %d %s", rc2,
                      e2.msg, rc, err->msg);
        return rc;
    }
    AK_FUZZ_CHECK(rc2 == AK_OK, "the fast scanner accepted what jansson refuses: %s", e2.msg);
    AK_FUZZ_CHECK(coco_res_same(&fast, &slow), "fast scanner and jansson differ (%lld vs %lld records)",
                  (long long)fast.n, (long long)slow.n);
    ak_coco_dets_free(&slow);

    const char *copy = ak_fuzz_temp_path("results-copy.json");
    ak_error e3;
    ak_error_clear(&e3);
    AK_FUZZ_CHECK(ak_coco_dets_save(&fast, copy, &e3) == AK_OK, "save: %s", e3.msg);
    ak_coco_dets back;
    AK_FUZZ_CHECK(ak_coco_dets_load(&back, copy, &e3) == AK_OK, "reload: %s", e3.msg);
    AK_FUZZ_CHECK(coco_res_same(&fast, &back), "save -> load changed the records");
    ak_coco_dets_free(&back);

    ak_coco gt;
    ak_coco_image im[2];
    ak_coco_ann an[3];
    ak_coco_category ca[2];
    coco_res_fixed_gt(&gt, im, an, ca);
    ak_coco_eval ev;
    ak_error_clear(&e3);
    int rce = ak_coco_evaluate(&gt, &fast, NULL, &ev, &e3);
    if (rce == AK_OK) {
        for (int s = 0; s < AK_COCO_STATS; s++)
            AK_FUZZ_CHECK(ev.stats[s] == -1.0 || (ev.stats[s] >= 0.0 && ev.stats[s] <= 1.0), "stats[%d] = %g", s,
                          ev.stats[s]);
        ak_coco_eval_free(&ev);
    } else {
        ak_fuzz_check_failure(rce, &e3, NULL);
    }
    ak_coco_dets_free(&fast);
    return AK_OK;
}

AK_FUZZ_ENTRY(ak_fuzz_coco_results)
