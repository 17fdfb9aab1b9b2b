/* The report writers: one document model (tables, per-class data, figures) rendered as Markdown
 * (report.md, and table.md with the main table alone), LaTeX with booktabs (report.tex, a standalone document whose tables can be pasted
 * into a paper) and CSV (main.csv, ablation_<k>.csv, per_class.csv, runs.csv, in long format with
 * the stored values at full precision, for pandas and for checking).
 *
 * Every number a writer prints is either a value stored in a run file or a statistic of such values
 * computed by the table model; each table row names its sources (numbered groups of runs), and the
 * sources section lists, for each number, the run files, run ids, seeds and values behind it,
 * including runs that were not counted (failed, incomplete, missing, unreadable) and why.
 *
 * Errors: AK_EIO naming the output file when it cannot be written. */
#ifndef AK_REPORTS_WRITERS_H
#define AK_REPORTS_WRITERS_H

#include "core/error.h"
#include "reports/capacity.h"
#include "reports/format.h"
#include "reports/table.h"

/* One figure, written as base + ".png" and/or base + ".svg". */
typedef struct ak_report_figure {
    char *base;    /* relative to the output folder ("plots/curves_1_loss_total") */
    char *caption;
    bool png, svg;
} ak_report_figure;

typedef struct ak_report_doc {
    const ak_report_tables *t;
    const ak_rep_per_class *per_class;
    int n_per_class;
    const ak_report_figure *figures;
    int n_figures;
    const ak_report_capacity *capacity; /* the folder's *.capacity.json tables (capacity.h) */
    int n_capacity;
} ak_report_doc;

int ak_report_write_md(const ak_report_doc *d, const char *path, ak_error *err);
/* Only the main table (table.md: what a benchmark run prints at its end). */
int ak_report_write_md_table(const ak_report_doc *d, const char *path, ak_error *err);
int ak_report_write_tex(const ak_report_doc *d, const char *path, ak_error *err);
/* Writes dir/main.csv, dir/runs.csv, dir/per_class.csv, dir/ablation_<k>.csv (k = 1, 2, ...) and,
 * when the folder has capacity tables, dir/capacity.csv. */
int ak_report_write_csv(const ak_report_doc *d, const char *dir, ak_error *err);

/* Shared by the writers: the cells of one main-table row as text. */
typedef struct ak_rep_row_text {
    char task[96], model[48], student[64], teacher[96], distiller[512], inherit[32], metric[8];
    char off[96], on[96], delta[96];
    char sources[64];
} ak_rep_row_text;
void ak_rep_row_text_of(const ak_report_tables *t, int row, ak_rep_style style, ak_rep_row_text *out);
/* Title of an ablation table: "CWD, PSPNet R18 <- R50, Cityscapes seg: akd.num_avatars x akd.rate". */
void ak_rep_ablation_title(const ak_report_tables *t, int ablation, char *buf, size_t len);
/* Open path for writing; AK_EIO naming it. */
int ak_rep_open(FILE **f, const char *path, ak_error *err);
/* Close, reporting a failed write (full disk) as AK_EIO naming path. */
int ak_rep_close(FILE *f, const char *path, ak_error *err);

#endif
