/* Internal to `akdbench avatars eval` (bench/cmd_avatars.c: options, segmentation teachers, output;
 * bench/cmd_avatars_det.c: detection teachers): the parsed options and the result table both tasks
 * print and write.
 *
 * Output (both tasks): a Markdown table on stdout, one row per setting (vanilla first, then (p, K) in
 * akd/capacity.h's setting order) with the primary metric, the secondary one and the difference to
 * the vanilla row; with --json, the same numbers at full precision:
 *   {"format": "akdbench-capacity", "version": 1, "task": "seg"|"det", "metric": "mIoU"|"AP",
 *    "metric2": "aAcc"|"AP50", "config": ..., "teacher": WEIGHTS, "arch": ..., "backbone": ...,
 *    "width": ..., "taps": [...], "head": "...", "perturb": ..., "seed": S, "images": N,
 *    "rows": [{"k": K, "p": P, "<metric>": v, "<metric2>": v2 [, "detections": n]}, ...]}
 * (k = 0, p = 0 is the vanilla teacher). Metrics are fractions (0..1) as computed. `akdbench report`
 * reads such files named *.capacity.json in a sweep folder (reports/capacity.h).
 */
#ifndef AK_BENCH_AVATARS_CLI_H
#define AK_BENCH_AVATARS_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "akd/capacity.h"
#include "store/akd_config.h"

#define AK_AVATARS_MAX_SETS 64

typedef struct ak_avatars_cli {
    const char *config, *weights, *json, *sets[AK_AVATARS_MAX_SETS];
    int n_sets;
    int64_t images;
    ak_capacity_cfg cap;
    int seed_given;
    const char *taps; /* --taps a,b,c (detection: neck levels to perturb) or NULL */
} ak_avatars_cli;

typedef struct ak_avatars_table {
    const char *task;            /* "seg" | "det" */
    const char *metric, *metric2; /* "mIoU", "aAcc" | "AP", "AP50" */
    const char *config, *teacher; /* config path, weights path */
    const ak_model_config *model; /* the teacher's model section */
    const char *head;            /* what ran on the avatars, for the table title */
    int n_taps;
    const char *taps[8];
    int64_t images;
    double value[AK_CAPACITY_MAX_SETTINGS][2];
    int64_t detections[AK_CAPACITY_MAX_SETTINGS]; /* det: detections per setting; seg: -1 */
} ak_avatars_table;

void ak_avatars_print(FILE *f, const ak_capacity_cfg *cfg, const ak_avatars_table *t);
int ak_avatars_write_json(const char *path, const ak_capacity_cfg *cfg, const ak_avatars_table *t, ak_error *err);

/* The detection table (bench/cmd_avatars_det.c); cfg is the loaded run config (task det). */
int ak_avatars_run_det(ak_avatars_cli *c, const ak_run_config *cfg, const char *weights, ak_error *err);

#endif
