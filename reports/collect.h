/* Reading a sweep folder for a report: every run file in it (complete, unfinished, failed or
 * unreadable), each reduced to what the tables and plots need, plus a cross-check against the
 * sweep's results.h5 index.
 *
 * A sweep folder (bench/train/sweep.h) holds NAME.h5 (complete runs), NAME.h5.partial (running,
 * interrupted or failed runs), NAME.ckpt.h5 (checkpoints: ignored) and results.h5 (the index).
 * Reports read only these files; the configuration of a run is the resolved YAML stored in it.
 *
 * Every run file found becomes one ak_report_run, whatever its state: a run that cannot be read is
 * kept with state AK_RR_UNREADABLE and the reason (naming the file) in `error`, and a run the
 * index lists but whose file is gone is kept as AK_RR_MISSING, so that a report lists it instead of
 * silently dropping it. Only AK_RR_COMPLETE runs enter means.
 *
 * Ownership: ak_report_sweep owns every string and array reachable from it (ak_report_sweep_free).
 * Errors: AK_EIO (folder cannot be listed), AK_EINVAL (no run file in the folder), AK_ENOMEM.
 * A run file that cannot be read is not an error of ak_report_collect (see n_unreadable); the
 * caller decides. Threading: HDF5 calls; use from the thread that owns HDF5.
 */
#ifndef AK_REPORTS_COLLECT_H
#define AK_REPORTS_COLLECT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "store/hash.h"

typedef enum ak_report_state {
    AK_RR_COMPLETE,   /* status complete with an evaluation: its final metric is counted */
    AK_RR_NO_EVAL,    /* status complete but no evaluation stored */
    AK_RR_INCOMPLETE, /* status running or interrupted (a .partial file) */
    AK_RR_FAILED,     /* status failed */
    AK_RR_UNREADABLE, /* the file (or its config) could not be read: see error */
    AK_RR_MISSING,    /* listed in results.h5, but no run file in the folder */
    AK_RR_DUPLICATE,  /* same experiment and seed as another run (see ak_report_tables_build) */
} ak_report_state;

/* Short name of a state ("complete", "failed", ...). */
const char *ak_report_state_name(ak_report_state s);

/* One leaf of the resolved config, dotted path and canonical scalar text ("akd.rate" = "0.1"; a
 * sequence is written "[a, b]"). */
typedef struct ak_report_kv {
    char *key, *value;
} ak_report_kv;

/* A 1-D evaluation array (per-class IoU, per-category AP). ids may be NULL. */
typedef struct ak_report_array {
    char *name;
    int64_t n;
    double *values; /* (n) */
    int64_t *ids;   /* (n) or NULL */
} ak_report_array;

/* One network as the config names it. */
typedef struct ak_report_net {
    char arch[24], backbone[24];
    double width;
    bool dilated;
} ak_report_net;

typedef struct ak_report_run {
    char *path; /* as found in the folder (or as the index names it, when missing) */
    char *file; /* base name of path */
    char *name; /* run name: file without ".h5" / ".h5.partial" */
    ak_report_state state;
    char *status;                /* the file's status attribute; "" when unknown */
    char *error;                 /* why the run is unreadable (names the file); NULL otherwise */
    char run_id[AK_RUN_ID_LEN];  /* "" when unknown */
    char *config;                /* resolved YAML text; NULL when unreadable */
    int n_kv;
    ak_report_kv *kv; /* every config leaf, in canonical (sorted) order */
    /* identity, from the config */
    char task[16], dataset[24], method[24], inherit[24];
    bool synthetic;
    ak_report_net student, teacher;
    bool avatars;
    int64_t seed;
    char *teacher_weights; /* model.teacher.weights ("" when trained by the suite) */
    /* progress */
    int64_t train_rows, last_iter, max_iters; /* last_iter -1 when nothing was logged */
    /* the last evaluation */
    int64_t final_step;      /* -1: none */
    char metric_name[8];     /* "mIoU" (seg) or "AP" (det) */
    double metric;           /* that scalar at final_step; NaN when absent */
    int n_scalars;
    char **scalar_names;     /* (n_scalars) */
    double *scalars;         /* (n_scalars) */
    int n_arrays;
    ak_report_array *arrays; /* (n_arrays) */
    /* the teacher's own evaluation stored in a distillation run (/teacher_eval) */
    bool has_teacher_eval;
    double teacher_metric;
    /* extra loss terms declared by the run (training-curve plots) */
    int n_extra_losses;
    char **extra_losses;
    /* filled by ak_report_collect */
    bool is_teacher;        /* another run of the folder names this run's file as its teacher weights */
    bool in_index;          /* results.h5 has a row for this run */
    double index_metric;    /* the metric results.h5 records for it (NaN if none) */
    int duplicate_of;       /* AK_RR_DUPLICATE: index of the run kept; -1 otherwise */
} ak_report_run;

typedef struct ak_report_sweep {
    char *dir;
    int n_runs;
    ak_report_run *runs; /* sorted by file name; missing runs last */
    int n_unreadable;    /* runs with state AK_RR_UNREADABLE (results.h5 problems included) */
    bool has_index;      /* results.h5 was present and read */
    char *index_error;   /* why results.h5 could not be read; NULL otherwise */
    int n_notes;
    char **notes;        /* consistency remarks (index disagreements, duplicates that differ) */
} ak_report_sweep;

/* Set r to an unread run of that path: names derived from it, state AK_RR_UNREADABLE, metrics NaN,
 * steps -1 (zeroed first; free with ak_report_run_free). AK_ENOMEM only. */
int ak_report_run_init(ak_report_run *r, const char *path, ak_error *err);
/* Read one run file into r (zeroed first). A run that cannot be read is not an error here: r->state
 * is AK_RR_UNREADABLE, r->error says why (naming the file); AK_ENOMEM only on allocation failure.
 * Free r with ak_report_run_free in every case. */
int ak_report_read_run(const char *path, ak_report_run *r, ak_error *err);
void ak_report_run_free(ak_report_run *r);

/* Value of a config leaf of r, or NULL. */
const char *ak_report_run_get(const ak_report_run *r, const char *key);

/* Read every run file of dir (see top of file) and results.h5 when present. */
int ak_report_collect(const char *dir, ak_report_sweep *out, ak_error *err);
void ak_report_sweep_free(ak_report_sweep *s);

/* Append a formatted note to s (best effort: dropped on allocation failure). */
void ak_report_note(ak_report_sweep *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
