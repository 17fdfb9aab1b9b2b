/* `akdbench report SWEEP_DIR`: paper-style tables and plots from the run files of a sweep folder,
 * and nothing else (no training, no evaluation, no config files from outside the runs).
 *
 * Pipeline: collect.h (read every run file and results.h5) -> table.h (groups of seeds, main table,
 * ablations) -> writers.h (report.md, report.tex, *.csv) and figures.h (plots/NAME.png, .svg), into
 * opts->out_dir (default SWEEP_DIR/report, created if missing).
 *
 * Formats: "md,tex,csv,png,svg" in any combination. png / svg need cairo (plot.h): asking for them
 * without it is AK_EUNSUP; the default (ak_report_default_formats) includes png only when cairo is
 * there.
 *
 * Avatar-capacity tables: every SWEEP_DIR/NAME.capacity.json (`akdbench avatars eval --json`) becomes
 * a table of report.md / report.tex and lines of capacity.csv (reports/capacity.h).
 *
 * Unreadable run files (and capacity tables) do not stop the report: they are listed (state
 * "unreadable", with the reason) and counted in summary->n_unreadable; the command line turns that
 * into an error message naming each file and a non-zero exit status.
 *
 * Errors: AK_EINVAL (bad format list, no run files), AK_EIO (unreadable folder, unwritable output,
 * naming the path), AK_EUNSUP (plots without cairo), AK_ENOMEM.
 */
#ifndef AK_REPORTS_REPORT_H
#define AK_REPORTS_REPORT_H

#include <stdbool.h>

#include "core/error.h"

enum {
    AK_REPORT_MD = 1,
    AK_REPORT_TEX = 2,
    AK_REPORT_CSV = 4,
    AK_REPORT_PNG = 8,
    AK_REPORT_SVG = 16,
};

/* Parse "md,tex,csv,png,svg" (any subset, comma separated) into AK_REPORT_* bits. */
int ak_report_parse_formats(const char *list, unsigned *formats, ak_error *err);
/* md, tex, csv, and png when this build can draw. */
unsigned ak_report_default_formats(void);

typedef struct ak_report_opts {
    unsigned formats;    /* AK_REPORT_* bits; 0 -> ak_report_default_formats() */
    const char *out_dir; /* NULL -> SWEEP_DIR/report */
} ak_report_opts;

typedef struct ak_report_summary {
    int n_runs, n_counted, n_not_counted, n_unreadable;
    int n_rows, n_ablations, n_figures;
    int n_capacity; /* *.capacity.json tables found (reports/capacity.h), readable or not */
    char out_dir[4096];
    char unreadable[8][1024]; /* the first reasons (each names its file) */
} ak_report_summary;

int ak_report_generate(const char *sweep_dir, const ak_report_opts *opts, ak_report_summary *summary,
                       ak_error *err);

#endif
