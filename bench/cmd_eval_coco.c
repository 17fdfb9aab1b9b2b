/* `akdbench eval-coco GT.json DETS.json [--json OUT] [--strict-categories]`: the official COCO bbox
 * evaluation of a results file (eval/coco_eval.h); prints pycocotools' 12-line summary.
 *
 * --json OUT writes {"stats": [12 numbers], "per_category_ap": {"<category id>": AP}} with
 * round-trip doubles. Undefined values are written as -1, exactly as pycocotools reports them (and
 * as the reference fixtures store them), never as null, so the file compares 1:1 with COCOeval.stats.
 * Detections whose category id is not in GT.json are dropped with a warning on stderr (the official
 * API drops them silently); --strict-categories makes them an error. Timings go to stderr.
 */
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench/commands.h"
#include "datasets/coco_json.h"
#include "eval/coco_eval.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int write_json(const char *path, const ak_coco_eval *ev, ak_error *err) {
    char tmp[4096], num[32];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return ak_error_set(err, AK_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    fputs("{\"stats\": [", f);
    for (int i = 0; i < AK_COCO_STATS; i++)
        fprintf(f, "%s%s", i ? ", " : "", ak_json_double(ev->stats[i], num));
    fputs("],\n \"per_category_ap\": {", f);
    for (int64_t k = 0; k < ev->n_cats; k++)
        fprintf(f, "%s\"%lld\": %s", k ? ", " : "", (long long)ev->cat_ids[k], ak_json_double(ev->cat_ap[k], num));
    fputs("}}\n", f);
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return ak_error_set(err, AK_EIO, "%s: write failed", path);
    }
    return AK_OK;
}

static int usage(void) {
    fprintf(stderr, "usage: akdbench eval-coco GT.json DETS.json [--json OUT] [--strict-categories]\n");
    return 2;
}

int ak_cmd_eval_coco(int argc, char **argv) {
    const char *files[2] = {NULL, NULL}, *json_out = NULL;
    int n_files = 0;
    ak_coco_eval_opts opts = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
            json_out = argv[++i];
        else if (strcmp(argv[i], "--strict-categories") == 0)
            opts.strict_categories = 1;
        else if (argv[i][0] == '-' || n_files == 2)
            return usage();
        else
            files[n_files++] = argv[i];
    }
    if (n_files != 2)
        return usage();
    ak_error err;
    ak_error_clear(&err);
    ak_coco gt;
    ak_coco_dets dets;
    ak_coco_eval ev;
    double t0 = now_s();
    /* The two files are independent: read them side by side when there are threads to spare. */
    ak_error gerr, derr;
    ak_error_clear(&gerr);
    ak_error_clear(&derr);
    int grc = AK_OK, drc = AK_OK;
#pragma omp parallel sections num_threads(2) if (omp_get_max_threads() > 1)
    {
#pragma omp section
        grc = ak_coco_load(&gt, files[0], &gerr);
#pragma omp section
        drc = ak_coco_dets_load(&dets, files[1], &derr);
    }
    if (grc != AK_OK || drc != AK_OK) {
        fprintf(stderr, "akdbench eval-coco: %s\n", grc != AK_OK ? gerr.msg : derr.msg);
        if (grc == AK_OK)
            ak_coco_free(&gt);
        if (drc == AK_OK)
            ak_coco_dets_free(&dets);
        return 1;
    }
    double t1 = now_s();
    int rc = ak_coco_evaluate(&gt, &dets, &opts, &ev, &err);
    double t2 = now_s();
    if (rc == AK_OK) {
        if (ev.n_dets_unknown_category)
            fprintf(stderr,
                    "akdbench eval-coco: warning: %lld detections have a category id that is not in %s and were "
                    "left out (first: detections[%lld], category_id %lld); --strict-categories refuses them\n",
                    (long long)ev.n_dets_unknown_category, files[0], (long long)ev.first_unknown_det,
                    (long long)dets.dets[ev.first_unknown_det].category_id);
        if (ev.n_anns_skipped)
            fprintf(stderr, "akdbench eval-coco: note: %lld annotations of %s are on unlisted images or categories\n",
                    (long long)ev.n_anns_skipped, files[0]);
        ak_coco_print_summary(&ev, stdout);
        fprintf(stderr, "eval-coco: %lld images, %lld categories, %lld annotations, %lld detections; "
                        "load %.3f s, evaluate %.3f s (%d threads)\n",
                (long long)gt.n_images, (long long)gt.n_cats, (long long)gt.n_anns, (long long)dets.n, t1 - t0,
                t2 - t1, omp_get_max_threads());
        if (json_out)
            rc = write_json(json_out, &ev, &err);
        ak_coco_eval_free(&ev);
    }
    if (rc != AK_OK)
        fprintf(stderr, "akdbench eval-coco: %s\n", err.msg);
    ak_coco_free(&gt);
    ak_coco_dets_free(&dets);
    return rc == AK_OK ? 0 : 1;
}
