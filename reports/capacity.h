/* Avatar-capacity tables in a report (issue 8's "avatar-capacity table"): every file named
 * *.capacity.json in the sweep folder - the --json output of `akdbench avatars eval` (format in
 * bench/avatars_cli.h: a teacher evaluated with K averaged avatars of its features per (K, p),
 * vanilla row first; segmentation mIoU / aAcc or detection AP / AP50) - read and rendered as one
 * table per file in report.md, report.tex and capacity.csv.
 *
 * To include a table: `akdbench avatars eval CONFIG --weights TEACHER --json SWEEP_DIR/NAME.capacity.json`,
 * then `akdbench report SWEEP_DIR`. Numbers are shown x100 with the difference to the vanilla row;
 * capacity.csv keeps the stored fractions at full precision (%.17g) with the file they came from.
 *
 * A file that cannot be read (not JSON, wrong format name or version, missing fields, no vanilla
 * row first) is kept with `error` naming the file and the problem; the report lists it and the
 * command line counts it as unreadable, like a run file.
 * Ownership: ak_report_capacity_free releases what collect / read allocated.
 * Errors: AK_EIO when the folder cannot be listed, AK_ENOMEM; a bad file is not an error here.
 */
#ifndef AK_REPORTS_CAPACITY_H
#define AK_REPORTS_CAPACITY_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

typedef struct ak_report_capacity_row {
    int k;            /* 0: the vanilla teacher */
    double p;
    double metric, metric2;
    int64_t detections; /* -1 when the file has none (segmentation) */
} ak_report_capacity_row;

typedef struct ak_report_capacity {
    char *file;  /* base name in the folder */
    char *error; /* why the file is unreadable (names it); NULL when read */
    char task[8], metric[16], metric2[16], perturb[24], arch[24], backbone[24];
    double width;
    char *teacher, *taps, *head; /* weights path; "neck.p3, neck.p4"; what ran on the avatars */
    uint64_t seed;
    int64_t images;
    int n_rows;
    ak_report_capacity_row *rows;
} ak_report_capacity;

/* Read one file into c (zeroed first). Bad content sets c->error and returns AK_OK; AK_ENOMEM only. */
int ak_report_capacity_read(const char *path, ak_report_capacity *c, ak_error *err);
/* Every *.capacity.json of dir, sorted by file name, into *out (n entries, NULL when none). */
int ak_report_capacity_collect(const char *dir, ak_report_capacity **out, int *n, ak_error *err);
void ak_report_capacity_free(ak_report_capacity *c, int n);

/* The renderings (nothing when n == 0). */
void ak_report_capacity_md(FILE *f, const ak_report_capacity *c, int n);
void ak_report_capacity_tex(FILE *f, const ak_report_capacity *c, int n);
/* dir/capacity.csv: one line per (file, row); written only when n > 0. AK_EIO naming the file. */
int ak_report_capacity_csv(const char *dir, const ak_report_capacity *c, int n, ak_error *err);

#endif
