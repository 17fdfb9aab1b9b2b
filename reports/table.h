/* The table model of a report: runs grouped into experiments, the paper-style main table, the
 * ablation tables, and the sources of every number. Writers (table_md.c, table_tex.c,
 * table_csv.c) and plots only format this model; all arithmetic happens here (and in stats.h).
 *
 * Groups. Runs whose resolved configs are equal except for train.seed form a group (one experiment,
 * several seeds). Keys that do not change the experiment are left out of that comparison:
 * output.dir, model.teacher.weights (a path; the sweep names the teacher run), and every akd.* key
 * when akd.enabled is false (avatar settings are unused then, so an ablation grid crossed with
 * "avatars off" gives one baseline, not one per grid point). Two counted runs of a group with the same
 * seed are the same experiment: the later file is marked AK_RR_DUPLICATE (and a note is added if
 * their metrics differ), so n counts distinct seeds. Runs that are not complete stay in their group
 * (listed next to the number) but do not enter the mean.
 *
 * Families. The main table has one block per (task, dataset, student network, teacher network)
 * ("network" = architecture, backbone, width, dilation): its teacher row (the runs other runs name
 * as their teacher weights, else the teacher evaluation stored in the distillation runs), its
 * student-alone rows (distill.method none), and one row per distiller, inherit-from-teacher mode
 * and variant, with the "w/o Avatars" group (akd.enabled false), the "w/ Avatars" group and their
 * difference. The w/o side of a row is the group with the same config but for akd.* (paired by
 * config, not by name).
 *
 * Variants and ablations. Within one (family, distiller, inherit) the rows whose configs differ in
 * other keys (an ablation grid: akd.num_avatars, akd.rate, akd.perturb, akd.uncertainty, ...) get
 * a variant label naming those keys, and the block becomes an ablation table over exactly the keys
 * that vary.
 *
 * Metric: mIoU for task seg, AP for det, as fractions (0..1) exactly as stored; writers scale.
 *
 * Ownership: ak_report_tables owns its arrays and strings; it points into the sweep it was built
 * from (run indices), which must outlive it. ak_report_tables_build marks duplicate runs in the
 * sweep and may add notes to it. Errors: AK_ENOMEM only.
 */
#ifndef AK_REPORTS_TABLE_H
#define AK_REPORTS_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "reports/collect.h"
#include "reports/stats.h"

typedef struct ak_report_group {
    char *key;      /* the compared config leaves, "key=value\n" lines in key order */
    int rep;        /* a run of the group: the first by file name (its config names the group) */
    bool avatars;   /* akd.enabled */
    bool teacher;   /* its runs are teacher runs (ak_report_run.is_teacher) */
    int n_runs;
    int *runs;      /* (n_runs) every run of the group, any state, by seed then file name */
    int n_used;
    int *used;      /* (n_used) the counted runs (AK_RR_COMPLETE), by seed then file name */
    double *values; /* (n_used) their final metrics */
    int64_t *seeds; /* (n_used) their seeds */
    ak_stat stat;   /* of values */
    int ref;        /* number in the sources list (1-based); 0 when no table shows the group */
} ak_report_group;

typedef struct ak_report_family {
    char task[16], dataset[24], metric[8];
    bool synthetic;
    ak_report_net student, teacher;
} ak_report_family;

typedef enum ak_report_row_kind { AK_ROW_TEACHER, AK_ROW_STUDENT, AK_ROW_DISTILL } ak_report_row_kind;

typedef struct ak_report_row {
    int family;
    ak_report_row_kind kind;
    char method[24], inherit[24];
    char *variant;  /* "" or "akd.num_avatars=2, akd.rate=0.1": the keys that vary in this block */
    char *variant_off; /* the same without akd.* keys (unused by the w/o Avatars side) */
    int off, on;    /* groups w/o and w/ Avatars (-1: none); teacher and student rows use off */
    ak_stat delta;  /* on - off (stats.h: paired by seed when both sides have the same seeds) */
    int paired;
    int teacher_eval_run; /* teacher row from the /teacher_eval of this run (-1: from a group) */
    int ref;              /* sources number of teacher_eval_run (0 otherwise) */
} ak_report_row;

typedef struct ak_report_ablation {
    int family;
    char method[24], inherit[24];
    int n_keys;
    char **keys;    /* (n_keys) the config keys that vary, in key order */
    int n_rows;
    int *rows;      /* (n_rows) main-table rows, in the order of their key values */
    char **values;  /* (n_rows * n_keys) values[r * n_keys + k] */
} ak_report_ablation;

typedef struct ak_report_tables {
    const ak_report_sweep *sweep;
    int n_groups;
    ak_report_group *groups;
    int n_families;
    ak_report_family *families;
    int n_rows;
    ak_report_row *rows; /* the main table, family by family: teacher, student, distillers */
    int n_ablations;
    ak_report_ablation *ablations;
    int n_sources;
    int *source_group; /* (n_sources) group of source i+1, or -1 for a teacher-eval row */
    int *source_row;   /* (n_sources) that row (teacher-eval sources), or -1 */
} ak_report_tables;

int ak_report_tables_build(ak_report_sweep *sweep, ak_report_tables *t, ak_error *err);
void ak_report_tables_free(ak_report_tables *t);

/* The group of run i, or -1 (unreadable / missing runs have none). */
int ak_report_group_of_run(const ak_report_tables *t, int run);

/* Display names: "CWD", "PSPNet", "R18-D8 x0.25" (width shown when not 1), "Cityscapes seg
 * (synthetic)". buf gets a NUL-terminated string. */
void ak_report_method_label(const char *method, char *buf, int len);
void ak_report_arch_label(const char *arch, char *buf, int len);
void ak_report_net_label(const ak_report_net *n, char *buf, int len);
void ak_report_task_label(const ak_report_family *f, char *buf, int len);
/* The row's distiller cell: "teacher", "student", "CWD", "CWD (akd.num_avatars=2)". */
void ak_report_row_label(const ak_report_row *r, char *buf, int len);

#endif
