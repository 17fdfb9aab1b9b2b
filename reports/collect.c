/* Reading a sweep folder (see collect.h): list the run files, read each, mark the teacher runs,
 * and cross-check the results.h5 index (runs it lists that are gone, metrics that disagree). */
#include "reports/collect.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/strbuf.h"
#include "store/results_index.h"

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Run files: NAME.h5 and NAME.h5.partial, but not the index, checkpoints or temporaries. */
static int is_run_file(const char *name) {
    if (name[0] == '.' || strcmp(name, "results.h5") == 0 || ends_with(name, ".ckpt.h5"))
        return 0;
    return ends_with(name, ".h5") || ends_with(name, ".h5.partial");
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

void ak_report_note(ak_report_sweep *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char **notes = realloc(s->notes, (size_t)(s->n_notes + 1) * sizeof *notes);
    if (n < 0 || !notes)
        return;
    s->notes = notes;
    char *t = malloc((size_t)n + 1);
    if (!t)
        return;
    va_start(ap, fmt);
    vsnprintf(t, (size_t)n + 1, fmt, ap);
    va_end(ap);
    s->notes[s->n_notes++] = t;
}

static int by_file(const void *a, const void *b) {
    const ak_report_run *x = a, *y = b;
    if ((x->state == AK_RR_MISSING) != (y->state == AK_RR_MISSING))
        return x->state == AK_RR_MISSING ? 1 : -1;
    return strcmp(x->file, y->file);
}

static int push_run(ak_report_sweep *s, ak_report_run *r, ak_error *err) {
    ak_report_run *runs = realloc(s->runs, (size_t)(s->n_runs + 1) * sizeof *runs);
    if (!runs) {
        ak_report_run_free(r);
        return ak_error_set(err, AK_ENOMEM, "out of memory reading %s", s->dir);
    }
    s->runs = runs;
    s->runs[s->n_runs++] = *r;
    return AK_OK;
}

static int list_runs(ak_report_sweep *s, ak_error *err) {
    DIR *d = opendir(s->dir);
    if (!d)
        return ak_error_set(err, AK_EIO, "%s: cannot list the sweep folder (%s)", s->dir, strerror(errno));
    int rc = AK_OK;
    struct dirent *e;
    while (rc == AK_OK && (e = readdir(d))) {
        if (!is_run_file(e->d_name))
            continue;
        ak_sb path = {0};
        ak_sb_appendf(&path, "%s/%s", s->dir, e->d_name);
        if (path.oom) {
            rc = ak_error_set(err, AK_ENOMEM, "out of memory reading %s", s->dir);
            break;
        }
        ak_report_run r;
        rc = ak_report_read_run(ak_sb_str(&path), &r, err);
        ak_sb_free(&path);
        if (rc != AK_OK)
            ak_report_run_free(&r);
        else
            rc = push_run(s, &r, err);
    }
    closedir(d);
    return rc;
}

/* A .partial next to the complete file of the same run is a leftover of an attempt that was
 * superseded: the complete file is the run. Dropped, with a note. */
static void drop_superseded(ak_report_sweep *s) {
    for (int i = 0; i < s->n_runs; i++) {
        if (!ends_with(s->runs[i].file, ".partial"))
            continue;
        for (int j = 0; j < s->n_runs; j++)
            if (j != i && strcmp(s->runs[j].name, s->runs[i].name) == 0 && !ends_with(s->runs[j].file, ".partial")) {
                ak_report_note(s, "%s is a leftover of %s (the complete run file is used)", s->runs[i].file,
                               s->runs[j].file);
                ak_report_run_free(&s->runs[i]);
                s->runs[i] = s->runs[--s->n_runs];
                i--;
                break;
            }
    }
}

/* A run is a teacher when another run's model.teacher.weights names its file (the sweep passes the
 * teacher run's final path). */
static void mark_teachers(ak_report_sweep *s) {
    for (int i = 0; i < s->n_runs; i++) {
        const char *w = s->runs[i].teacher_weights;
        if (!w || !w[0])
            continue;
        for (int j = 0; j < s->n_runs; j++) {
            char final_name[4096];
            snprintf(final_name, sizeof final_name, "%s.h5", s->runs[j].name);
            if (j != i && strcmp(base_name(w), final_name) == 0)
                s->runs[j].is_teacher = true;
        }
    }
}

static int find_by_file(const ak_report_sweep *s, const char *path) {
    const char *b = base_name(path);
    for (int i = 0; i < s->n_runs; i++) {
        char final_name[4096];
        snprintf(final_name, sizeof final_name, "%s.h5", s->runs[i].name);
        if (strcmp(s->runs[i].file, b) == 0 || strcmp(final_name, b) == 0)
            return i;
    }
    return -1;
}

static int add_missing(ak_report_sweep *s, const ak_results *ix, int row, ak_error *err) {
    ak_report_run r;
    int rc = ak_report_run_init(&r, ix->path[row], err);
    if (rc != AK_OK) {
        ak_report_run_free(&r);
        return rc;
    }
    r.state = AK_RR_MISSING;
    free(r.error);
    ak_sb b = {0};
    ak_sb_appendf(&b, "%s/results.h5 lists run %s (%s, status %s) but %s is not in the folder", s->dir,
                  ix->run_id[row], ix->path[row], ix->status[row], base_name(ix->path[row]));
    r.error = b.s;
    snprintf(r.run_id, sizeof r.run_id, "%s", ix->run_id[row]);
    free(r.status);
    r.status = NULL;
    size_t n = strlen(ix->status[row]) + 1;
    if ((r.status = malloc(n)))
        memcpy(r.status, ix->status[row], n);
    r.in_index = true;
    if (b.oom || !r.status) {
        ak_report_run_free(&r);
        return ak_error_set(err, AK_ENOMEM, "out of memory reading %s/results.h5", s->dir);
    }
    return push_run(s, &r, err);
}

static int cross_check_index(ak_report_sweep *s, ak_error *err) {
    ak_sb path = {0};
    ak_sb_appendf(&path, "%s/results.h5", s->dir);
    if (path.oom)
        return ak_error_set(err, AK_ENOMEM, "out of memory");
    FILE *f = fopen(ak_sb_str(&path), "rb");
    if (!f) { /* no index: a folder of run files is enough for a report */
        ak_sb_free(&path);
        return AK_OK;
    }
    fclose(f);
    ak_results ix;
    ak_error e;
    ak_error_clear(&e);
    if (ak_results_read(ak_sb_str(&path), &ix, &e) != AK_OK) {
        ak_sb b = {0};
        ak_sb_appendf(&b, "%s%s%s", strstr(e.msg, ak_sb_str(&path)) ? "" : ak_sb_str(&path),
                      strstr(e.msg, ak_sb_str(&path)) ? "" : ": ", e.msg);
        s->index_error = b.s;
        s->n_unreadable++;
        ak_results_free(&ix);
        ak_sb_free(&path);
        return b.oom ? ak_error_set(err, AK_ENOMEM, "out of memory") : AK_OK;
    }
    ak_sb_free(&path);
    s->has_index = true;
    int n_found = s->n_runs, rc = AK_OK;
    for (int row = 0; rc == AK_OK && row < ix.n_runs; row++) {
        int i = find_by_file(s, ix.path[row]);
        if (i < 0 || i >= n_found) {
            rc = add_missing(s, &ix, row, err);
            continue;
        }
        ak_report_run *r = &s->runs[i];
        r->in_index = true;
        r->index_metric = ak_results_get(&ix, row, r->metric_name);
        if (r->state == AK_RR_UNREADABLE)
            continue;
        if (strcmp(r->run_id, ix.run_id[row]) != 0)
            ak_report_note(s, "results.h5 lists %s with run id %s but the file holds run %s (the file is used)",
                           r->file, ix.run_id[row], r->run_id);
        else if (!(isnan(r->index_metric) && isnan(r->metric)) &&
                 memcmp(&r->index_metric, &r->metric, sizeof(double)) != 0)
            ak_report_note(s, "results.h5 records %s = %.17g for %s but the run file says %.17g (the file is used)",
                           r->metric_name, r->index_metric, r->file, r->metric);
    }
    for (int i = 0; i < n_found; i++)
        if (s->runs[i].state == AK_RR_COMPLETE && !s->runs[i].in_index)
            ak_report_note(s, "%s is complete but not indexed in results.h5 (the run file is used)", s->runs[i].file);
    ak_results_free(&ix);
    return rc;
}

int ak_report_collect(const char *dir, ak_report_sweep *out, ak_error *err) {
    memset(out, 0, sizeof *out);
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (!(out->dir = malloc(n + 1)))
        return ak_error_set(err, AK_ENOMEM, "out of memory");
    memcpy(out->dir, dir, n);
    out->dir[n] = '\0';
    AK_TRY(list_runs(out, err));
    drop_superseded(out);
    if (out->n_runs == 0)
        return ak_error_set(err, AK_EINVAL, "%s: no run files (*.h5, *.h5.partial) in the sweep folder", out->dir);
    qsort(out->runs, (size_t)out->n_runs, sizeof *out->runs, by_file);
    mark_teachers(out);
    AK_TRY(cross_check_index(out, err));
    qsort(out->runs, (size_t)out->n_runs, sizeof *out->runs, by_file);
    for (int i = 0; i < out->n_runs; i++)
        if (out->runs[i].state == AK_RR_UNREADABLE)
            out->n_unreadable++;
    return AK_OK;
}

void ak_report_sweep_free(ak_report_sweep *s) {
    for (int i = 0; i < s->n_runs; i++)
        ak_report_run_free(&s->runs[i]);
    free(s->runs);
    for (int i = 0; i < s->n_notes; i++)
        free(s->notes[i]);
    free(s->notes);
    free(s->index_error);
    free(s->dir);
    memset(s, 0, sizeof *s);
}
