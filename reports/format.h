/* Formatting shared by the table writers (table_md.c, table_tex.c, table_csv.c): numbers, cells
 * "mean +- std (n)", escaping for Markdown / LaTeX / CSV, and the per-class tables' data.
 *
 * Displayed metrics are percentages (x100) with two decimals, as the papers print mIoU and AP; the
 * CSV files keep the stored fractions at full precision (%.17g, which reads back to the same
 * double). */
#ifndef AK_REPORTS_FORMAT_H
#define AK_REPORTS_FORMAT_H

#include <stdint.h>
#include <stdio.h>

#include "reports/table.h"

#define AK_REPORT_SCALE 100.0
#define AK_REPORT_DECIMALS 2

typedef enum ak_rep_style { AK_STYLE_MD, AK_STYLE_TEX } ak_rep_style;

/* "74.87 ± 0.21 (n=3)", "74.87 (n=1)", "74.87 ± 0.21 (n=2 of 3)", "— (n=0 of 1)"; delta adds a sign.
 * n_total: runs of the group (0: do not show "of"). TeX: "$74.87 \pm 0.21$ (3)". */
void ak_rep_fmt_stat(char *buf, size_t len, ak_stat s, int n_total, int delta, ak_rep_style style);
/* A value x100 with two decimals, or "—" (TeX "--") for NaN. */
void ak_rep_fmt_value(char *buf, size_t len, double v, ak_rep_style style);

/* Runs of a group that are distinct experiments (duplicates excluded): the "of" in "n=2 of 3". */
int ak_rep_group_total(const ak_report_tables *t, int group);

/* Escaped output. */
void ak_rep_md(FILE *f, const char *text);  /* '|' and newlines */
void ak_rep_tex(FILE *f, const char *text); /* \ { } $ & # ^ _ % ~ */
void ak_rep_csv(FILE *f, const char *text); /* quoted when it holds , " or a newline */

/* Per-class tables: for each family and each evaluation array its counted runs hold (per_class_iou,
 * per_category_ap, ...), the mean over seeds of every class (NaN entries skipped: a class absent
 * from the validation set), one column per group of the family in main-table order. Classes are
 * matched by id (by position when the arrays have no ids). */
typedef struct ak_rep_per_class {
    int family;
    char *array;
    int64_t n_classes;
    int64_t *ids;   /* (n_classes) */
    int n_cols;
    int *cols;      /* (n_cols) group indices */
    ak_stat *cells; /* (n_classes * n_cols) */
} ak_rep_per_class;

int ak_rep_per_class_build(const ak_report_tables *t, ak_rep_per_class **out, int *n, ak_error *err);
void ak_rep_per_class_free(ak_rep_per_class *p, int n);
/* The groups of a family in main-table order, each once, into cols (room for 2 * n_rows); returns
 * how many. */
int ak_rep_family_groups(const ak_report_tables *t, int family, int *cols);
/* "road" for Cityscapes train ids, else the id in decimal. */
void ak_rep_class_name(const ak_report_family *f, int64_t id, char *buf, size_t len);
/* Column header of a group in a per-class table: "teacher", "student", "CWD w/o", "CWD w/". */
void ak_rep_group_label(const ak_report_tables *t, int group, char *buf, size_t len);

#endif
