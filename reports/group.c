/* Groups of seeds for the report tables (see table.h): runs whose configs are equal except for the
 * seed and the keys that do not change the experiment, ordered by seed, duplicates marked, and
 * the statistics of their final metrics. Also the small helpers shared by the table-model files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/strbuf.h"
#include "reports/table_internal.h"

int ak_rep_grow(void **p, int *cap, int n, size_t sz) {
    if (n < *cap)
        return 1;
    int c = *cap ? 2 * *cap : 8;
    void *q = realloc(*p, (size_t)c * sz);
    if (!q)
        return 0;
    *p = q;
    *cap = c;
    return 1;
}

bool ak_rep_ignored_key(const char *key, bool avatars) {
    if (strcmp(key, "train.seed") == 0 || strcmp(key, "output.dir") == 0 || strcmp(key, "model.teacher.weights") == 0)
        return true;
    return !avatars && strncmp(key, "akd.", 4) == 0 && strcmp(key, "akd.enabled") != 0;
}

int ak_rep_value_cmp(const char *a, const char *b) {
    char *ea, *eb;
    double x = strtod(a, &ea), y = strtod(b, &eb);
    if (*a && *b && *ea == '\0' && *eb == '\0' && x != y)
        return x < y ? -1 : 1;
    return strcmp(a, b);
}

static int oom(ak_error *err) { return ak_error_set(err, AK_ENOMEM, "out of memory grouping the runs"); }

/* ---- groups ---- */

static char *group_key(const ak_report_run *r) {
    ak_sb b = {0};
    for (int i = 0; i < r->n_kv; i++)
        if (!ak_rep_ignored_key(r->kv[i].key, r->avatars))
            ak_sb_appendf(&b, "%s=%s\n", r->kv[i].key, r->kv[i].value);
    if (b.oom) {
        ak_sb_free(&b);
        return NULL;
    }
    if (!b.s)
        ak_sb_append(&b, "");
    return b.s;
}

static int has_config(const ak_report_run *r) { return r->state != AK_RR_UNREADABLE && r->state != AK_RR_MISSING; }

/* Runs of a group by seed, then file name (qsort_r is not C11: the runs array is passed through a
 * small index struct instead). */
typedef struct run_ref {
    int idx;
    int64_t seed;
    const char *file;
} run_ref;

static int by_seed(const void *a, const void *b) {
    const run_ref *x = a, *y = b;
    if (x->seed != y->seed)
        return x->seed < y->seed ? -1 : 1;
    return strcmp(x->file, y->file);
}

static int finish_group(ak_report_sweep *s, ak_report_group *g, ak_error *err) {
    run_ref *refs = malloc((size_t)g->n_runs * sizeof *refs);
    g->used = malloc((size_t)g->n_runs * sizeof *g->used);
    g->values = malloc((size_t)g->n_runs * sizeof *g->values);
    g->seeds = malloc((size_t)g->n_runs * sizeof *g->seeds);
    if (!refs || !g->used || !g->values || !g->seeds) {
        free(refs);
        return oom(err);
    }
    for (int i = 0; i < g->n_runs; i++)
        refs[i] = (run_ref){g->runs[i], s->runs[g->runs[i]].seed, s->runs[g->runs[i]].file};
    qsort(refs, (size_t)g->n_runs, sizeof *refs, by_seed);
    g->n_used = 0;
    for (int i = 0; i < g->n_runs; i++) {
        int ri = g->runs[i] = refs[i].idx;
        ak_report_run *r = &s->runs[ri];
        if (r->state != AK_RR_COMPLETE)
            continue;
        if (g->n_used > 0 && g->seeds[g->n_used - 1] == r->seed) {
            const ak_report_run *kept = &s->runs[g->used[g->n_used - 1]];
            r->state = AK_RR_DUPLICATE;
            r->duplicate_of = g->used[g->n_used - 1];
            if (memcmp(&kept->metric, &r->metric, sizeof(double)) != 0)
                ak_report_note(s, "%s and %s are the same experiment (seed %lld) but their %s differ: %.17g vs "
                               "%.17g (%s is used)", kept->file, r->file, (long long)r->seed, r->metric_name,
                               kept->metric, r->metric, kept->file);
            continue;
        }
        g->used[g->n_used] = ri;
        g->values[g->n_used] = r->metric;
        g->seeds[g->n_used] = r->seed;
        g->n_used++;
    }
    free(refs);
    g->stat = ak_stat_of(g->values, g->n_used);
    return AK_OK;
}

int ak_rep_build_groups(ak_report_sweep *s, ak_report_tables *t, int *run_group, ak_error *err) {
    int cap = 0;
    for (int i = 0; i < s->n_runs; i++) {
        run_group[i] = -1;
        if (!has_config(&s->runs[i]))
            continue;
        char *key = group_key(&s->runs[i]);
        if (!key)
            return oom(err);
        int g = -1;
        for (int k = 0; k < t->n_groups && g < 0; k++)
            if (t->groups[k].teacher == s->runs[i].is_teacher && strcmp(t->groups[k].key, key) == 0)
                g = k;
        if (g < 0) {
            if (!ak_rep_grow((void **)&t->groups, &cap, t->n_groups, sizeof *t->groups)) {
                free(key);
                return oom(err);
            }
            g = t->n_groups++;
            ak_report_group *ng = &t->groups[g];
            memset(ng, 0, sizeof *ng);
            ng->key = key;
            ng->rep = i;
            ng->avatars = s->runs[i].avatars;
            ng->teacher = s->runs[i].is_teacher;
            if (!(ng->runs = malloc((size_t)s->n_runs * sizeof *ng->runs)))
                return oom(err);
        } else {
            free(key);
        }
        t->groups[g].runs[t->groups[g].n_runs++] = i;
        run_group[i] = g;
    }
    for (int g = 0; g < t->n_groups; g++)
        AK_TRY(finish_group(s, &t->groups[g], err));
    return AK_OK;
}

int ak_report_group_of_run(const ak_report_tables *t, int run) {
    for (int g = 0; g < t->n_groups; g++)
        for (int k = 0; k < t->groups[g].n_runs; k++)
            if (t->groups[g].runs[k] == run)
                return g;
    return -1;
}
