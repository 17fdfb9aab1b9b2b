/* `akdbench eval-seg GT_DIR PRED_DIR [--json OUT]`: Cityscapes mIoU / aAcc / mAcc over label PNG
 * folders (pairing rules in eval/seg_files.h), with the 19-class table.
 *
 * --json OUT writes {"mIoU", "aAcc", "mAcc", "per_class_iou": {"<train id>": IoU}} with round-trip
 * doubles; an undefined value (NaN: class absent from both ground truth and prediction, or no
 * valid pixel at all) is written as null. The table prints percentages with two decimals, as
 * mmsegmentation does, and "nan" for undefined classes.
 */
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench/commands.h"
#include "datasets/cityscapes_labels.h"
#include "datasets/coco_json.h"
#include "eval/seg_files.h"
#include "eval/seg_metrics.h"

static int write_json(const char *path, const ak_seg_metrics *m, ak_error *err) {
    char tmp[4096], a[32], b[32], c[32];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return ak_error_set(err, AK_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    fprintf(f, "{\"mIoU\": %s, \"aAcc\": %s, \"mAcc\": %s,\n \"per_class_iou\": {", ak_json_double(m->miou, a),
            ak_json_double(m->aacc, b), ak_json_double(m->macc, c));
    for (int k = 0; k < m->num_classes; k++)
        fprintf(f, "%s\"%d\": %s", k ? ", " : "", k, ak_json_double(m->iou[k], a));
    fputs("}}\n", f);
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return ak_error_set(err, AK_EIO, "%s: write failed", path);
    }
    return AK_OK;
}

static void print_table(const ak_seg_metrics *m, int64_t n_pairs, double seconds) {
    printf("%-15s %8s %8s\n", "class", "IoU", "Acc");
    for (int k = 0; k < m->num_classes; k++)
        printf("%-15s %8.2f %8.2f\n", ak_cityscapes_class_name(k), 100 * m->iou[k], 100 * m->acc[k]);
    printf("%-15s %8s %8s\n", "", "", "");
    printf("aAcc %.2f  mIoU %.2f  mAcc %.2f  (%lld pairs, %lld valid pixels)\n", 100 * m->aacc, 100 * m->miou,
           100 * m->macc, (long long)n_pairs, (long long)m->valid_pixels);
    fprintf(stderr, "eval-seg: %lld pairs in %.3f s (%d threads)\n", (long long)n_pairs, seconds,
            omp_get_max_threads());
}

int ak_cmd_eval_seg(int argc, char **argv) {
    const char *dirs[2] = {NULL, NULL}, *json_out = NULL;
    int n_dirs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
            json_out = argv[++i];
        else if (argv[i][0] == '-' || n_dirs == 2)
            n_dirs = 3;
        else
            dirs[n_dirs++] = argv[i];
    }
    if (n_dirs != 2) {
        fprintf(stderr, "usage: akdbench eval-seg GT_DIR PRED_DIR [--json OUT]\n");
        return 2;
    }
    ak_error err;
    ak_error_clear(&err);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ak_seg_pairs pairs;
    ak_seg_acc acc;
    int rc = ak_seg_find_pairs(dirs[0], dirs[1], &pairs, &err);
    if (rc == AK_OK) {
        ak_seg_acc_init(&acc, AK_CITYSCAPES_CLASSES, NULL);
        rc = ak_seg_eval_pairs(&pairs, &acc, &err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (rc == AK_OK) {
            ak_seg_metrics m;
            ak_seg_compute(&acc, &m);
            print_table(&m, pairs.n, (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
            if (json_out)
                rc = write_json(json_out, &m, &err);
        }
        ak_seg_pairs_free(&pairs);
    }
    if (rc != AK_OK) {
        fprintf(stderr, "akdbench eval-seg: %s\n", err.msg);
        return 1;
    }
    return 0;
}
