/* Building the table model (see table.h): families, main-table rows and the numbering of sources.
 * Groups of seeds are built in group.c, variant labels and ablation tables in variant.c. */
#include "reports/table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/strbuf.h"
#include "reports/table_internal.h"

static int oom(ak_error *err) { return ak_error_set(err, AK_ENOMEM, "out of memory building the report tables"); }

/* ---- families ---- */

static bool same_net(const ak_report_net *a, const ak_report_net *b) {
    return strcmp(a->arch, b->arch) == 0 && strcmp(a->backbone, b->backbone) == 0 && a->width == b->width &&
           a->dilated == b->dilated;
}

static bool same_family(const ak_report_family *f, const ak_report_run *r) {
    return strcmp(f->task, r->task) == 0 && strcmp(f->dataset, r->dataset) == 0 && f->synthetic == r->synthetic &&
           same_net(&f->student, &r->student) && same_net(&f->teacher, &r->teacher);
}

static int family_of(ak_report_tables *t, const ak_report_run *r, int *cap, ak_error *err) {
    for (int f = 0; f < t->n_families; f++)
        if (same_family(&t->families[f], r))
            return f;
    if (!ak_rep_grow((void **)&t->families, cap, t->n_families, sizeof *t->families))
        return oom(err);
    ak_report_family *f = &t->families[t->n_families];
    memset(f, 0, sizeof *f);
    memcpy(f->task, r->task, sizeof f->task);
    memcpy(f->dataset, r->dataset, sizeof f->dataset);
    memcpy(f->metric, r->metric_name, sizeof f->metric);
    f->synthetic = r->synthetic;
    f->student = r->student;
    f->teacher = r->teacher;
    return t->n_families++;
}

static bool same_student(const ak_report_family *f, const ak_report_run *r) {
    return strcmp(f->task, r->task) == 0 && strcmp(f->dataset, r->dataset) == 0 && f->synthetic == r->synthetic &&
           same_net(&f->student, &r->student);
}

/* A teacher run's own network is its config's student. */
static bool teaches(const ak_report_family *f, const ak_report_run *teacher) {
    return strcmp(f->task, teacher->task) == 0 && strcmp(f->dataset, teacher->dataset) == 0 &&
           f->synthetic == teacher->synthetic && same_net(&f->teacher, &teacher->student);
}

/* ---- rows ---- */

static const char *const method_order[] = {"none", "mse", "cwd", "mgd", "fgd", "pkd", "maskd", "dist"};

int ak_rep_method_rank(const char *m) {
    for (int i = 0; i < (int)(sizeof method_order / sizeof method_order[0]); i++)
        if (strcmp(m, method_order[i]) == 0)
            return i;
    return 100;
}

static int push_row(ak_report_tables *t, int *cap, int family, ak_report_row_kind kind, const ak_report_run *rep,
                    int off, int on, ak_error *err) {
    if (!ak_rep_grow((void **)&t->rows, cap, t->n_rows, sizeof *t->rows))
        return oom(err);
    ak_report_row *r = &t->rows[t->n_rows];
    memset(r, 0, sizeof *r);
    r->family = family;
    r->kind = kind;
    r->off = off;
    r->on = on;
    r->teacher_eval_run = -1;
    r->delta = (ak_stat){0, NAN, NAN};
    if (rep) {
        memcpy(r->method, rep->method, sizeof r->method);
        memcpy(r->inherit, rep->inherit, sizeof r->inherit);
    }
    if (!(r->variant = calloc(1, 1)) || !(r->variant_off = calloc(1, 1)))
        return oom(err);
    t->n_rows++;
    return AK_OK;
}

/* The config of an avatars-on group without its akd.* leaves: equal to the key of its w/o group. */
static char *base_key(const ak_report_group *g) {
    ak_sb b = {0};
    for (const char *line = g->key; *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line + 1) : strlen(line);
        if (strncmp(line, "akd.", 4) != 0 || strncmp(line, "akd.enabled=", 12) == 0)
            ak_sb_appendf(&b, "%.*s", (int)n, line);
        line += n;
    }
    if (b.oom) {
        ak_sb_free(&b);
        return NULL;
    }
    if (!b.s)
        ak_sb_append(&b, "");
    return b.s;
}

/* The w/o key: off groups hold akd.enabled=false, on groups akd.enabled=true. */
static int find_off_group(const ak_report_tables *t, const ak_report_group *on, ak_error *err, int *out) {
    char *b = base_key(on);
    if (!b)
        return oom(err);
    char *p = strstr(b, "akd.enabled=true\n");
    if (p) {
        memmove(p + strlen("akd.enabled=false\n"), p + strlen("akd.enabled=true\n"),
                strlen(p + strlen("akd.enabled=true\n")) + 1);
        memcpy(p, "akd.enabled=false\n", strlen("akd.enabled=false\n"));
    }
    *out = -1;
    for (int g = 0; g < t->n_groups && *out < 0 && p; g++)
        if (!t->groups[g].avatars && !t->groups[g].teacher && strcmp(t->groups[g].key, b) == 0)
            *out = g;
    free(b);
    return AK_OK;
}

static int build_rows(ak_report_tables *t, const ak_report_sweep *s, ak_error *err) {
    int fcap = 0, rcap = 0;
    int *group_family = malloc((size_t)(t->n_groups ? t->n_groups : 1) * sizeof *group_family);
    if (!group_family)
        return oom(err);
    int rc = AK_OK;
    for (int g = 0; rc == AK_OK && g < t->n_groups; g++) {
        group_family[g] = -1;
        const ak_report_run *rep = &s->runs[t->groups[g].rep];
        if (!t->groups[g].teacher && strcmp(rep->method, "none") != 0 &&
            (group_family[g] = family_of(t, rep, &fcap, err)) < 0)
            rc = group_family[g];
    }
    /* The student alone has no teacher (its config's model.teacher is unused): it joins every block
     * of its student network, or gets a block of its own. */
    for (int g = 0; rc == AK_OK && g < t->n_groups; g++) {
        const ak_report_run *rep = &s->runs[t->groups[g].rep];
        if (t->groups[g].teacher || strcmp(rep->method, "none") != 0)
            continue;
        bool found = false;
        for (int f = 0; f < t->n_families && !found; f++)
            found = same_student(&t->families[f], rep);
        if (!found && (group_family[g] = family_of(t, rep, &fcap, err)) < 0)
            rc = group_family[g];
    }
    /* a teacher nobody in the folder distils from still gets its own block */
    for (int g = 0; rc == AK_OK && g < t->n_groups; g++) {
        if (!t->groups[g].teacher)
            continue;
        bool found = false;
        for (int f = 0; f < t->n_families && !found; f++)
            found = teaches(&t->families[f], &s->runs[t->groups[g].rep]);
        if (!found) {
            ak_report_run pseudo = s->runs[t->groups[g].rep];
            pseudo.teacher = pseudo.student;
            if ((group_family[g] = family_of(t, &pseudo, &fcap, err)) < 0)
                rc = group_family[g];
        }
    }
    bool *off_used = calloc((size_t)(t->n_groups ? t->n_groups : 1), sizeof *off_used);
    if (rc == AK_OK && !off_used)
        rc = oom(err);
    for (int f = 0; rc == AK_OK && f < t->n_families; f++) {
        int first = t->n_rows;
        for (int g = 0; rc == AK_OK && g < t->n_groups; g++)
            if (t->groups[g].teacher && teaches(&t->families[f], &s->runs[t->groups[g].rep]))
                rc = push_row(t, &rcap, f, AK_ROW_TEACHER, &s->runs[t->groups[g].rep], g, -1, err);
        if (rc == AK_OK && t->n_rows == first) { /* no teacher run: the teacher evaluation in a distillation run */
            int src = -1;
            for (int g = 0; g < t->n_groups && src < 0; g++)
                if (group_family[g] == f && !t->groups[g].teacher)
                    for (int k = 0; k < t->groups[g].n_used && src < 0; k++)
                        if (s->runs[t->groups[g].used[k]].has_teacher_eval)
                            src = t->groups[g].used[k];
            if (src >= 0 && (rc = push_row(t, &rcap, f, AK_ROW_TEACHER, NULL, -1, -1, err)) == AK_OK) {
                t->rows[t->n_rows - 1].teacher_eval_run = src;
                snprintf(t->rows[t->n_rows - 1].method, sizeof t->rows[0].method, "none");
            }
        }
        for (int m = 0; rc == AK_OK && m <= 100; m++) {
            for (int g = 0; rc == AK_OK && g < t->n_groups; g++) {
                const ak_report_group *G = &t->groups[g];
                const ak_report_run *rep = &s->runs[G->rep];
                if (G->teacher || ak_rep_method_rank(rep->method) != m)
                    continue;
                if (strcmp(rep->method, "none") == 0) {
                    if (same_student(&t->families[f], rep))
                        rc = push_row(t, &rcap, f, AK_ROW_STUDENT, rep, g, -1, err);
                } else if (group_family[g] == f && G->avatars) {
                    int off = -1;
                    if ((rc = find_off_group(t, G, err, &off)) == AK_OK)
                        rc = push_row(t, &rcap, f, AK_ROW_DISTILL, rep, off, g, err);
                    if (off >= 0)
                        off_used[off] = true;
                }
            }
            /* w/o groups no w/ group pairs with: a row of their own */
            for (int g = 0; rc == AK_OK && g < t->n_groups; g++) {
                const ak_report_group *G = &t->groups[g];
                const ak_report_run *rep = &s->runs[G->rep];
                if (group_family[g] == f && !G->teacher && !G->avatars && !off_used[g] &&
                    strcmp(rep->method, "none") != 0 && ak_rep_method_rank(rep->method) == m)
                    rc = push_row(t, &rcap, f, AK_ROW_DISTILL, rep, g, -1, err);
            }
        }
    }
    free(off_used);
    free(group_family);
    for (int i = 0; rc == AK_OK && i < t->n_rows; i++) {
        ak_report_row *r = &t->rows[i];
        if (r->off >= 0 && r->on >= 0) {
            const ak_report_group *a = &t->groups[r->off], *b = &t->groups[r->on];
            r->delta = ak_stat_delta(a->values, a->seeds, a->n_used, b->values, b->seeds, b->n_used, &r->paired);
        }
    }
    return rc;
}

/* Sources are numbered in the order the main table shows them, then ablation-only groups. */
static int number_sources(ak_report_tables *t, ak_error *err) {
    int n = t->n_groups + t->n_rows;
    t->source_group = malloc((size_t)(n ? n : 1) * sizeof *t->source_group);
    t->source_row = malloc((size_t)(n ? n : 1) * sizeof *t->source_row);
    if (!t->source_group || !t->source_row)
        return oom(err);
    for (int i = 0; i < t->n_rows; i++) {
        ak_report_row *r = &t->rows[i];
        if (r->teacher_eval_run >= 0) {
            t->source_group[t->n_sources] = -1;
            t->source_row[t->n_sources] = i;
            r->ref = ++t->n_sources;
        }
        int sides[2] = {r->off, r->on};
        for (int k = 0; k < 2; k++)
            if (sides[k] >= 0 && t->groups[sides[k]].ref == 0) {
                t->source_group[t->n_sources] = sides[k];
                t->source_row[t->n_sources] = -1;
                t->groups[sides[k]].ref = ++t->n_sources;
            }
    }
    return AK_OK;
}

int ak_report_tables_build(ak_report_sweep *s, ak_report_tables *t, ak_error *err) {
    memset(t, 0, sizeof *t);
    t->sweep = s;
    int *run_group = malloc((size_t)(s->n_runs ? s->n_runs : 1) * sizeof *run_group);
    if (!run_group)
        return oom(err);
    int rc = ak_rep_build_groups(s, t, run_group, err);
    free(run_group);
    AK_TRY(rc);
    AK_TRY(build_rows(t, s, err));
    AK_TRY(ak_rep_variants(t, err));
    return number_sources(t, err);
}

void ak_report_tables_free(ak_report_tables *t) {
    for (int g = 0; g < t->n_groups; g++) {
        ak_report_group *G = &t->groups[g];
        free(G->key);
        free(G->runs);
        free(G->used);
        free(G->values);
        free(G->seeds);
    }
    free(t->groups);
    free(t->families);
    for (int i = 0; i < t->n_rows; i++) {
        free(t->rows[i].variant);
        free(t->rows[i].variant_off);
    }
    free(t->rows);
    for (int a = 0; a < t->n_ablations; a++) {
        ak_report_ablation *A = &t->ablations[a];
        for (int k = 0; k < A->n_keys; k++)
            free(A->keys[k]);
        free(A->keys);
        for (int i = 0; i < A->n_rows * A->n_keys; i++)
            free(A->values[i]);
        free(A->values);
        free(A->rows);
    }
    free(t->ablations);
    free(t->source_group);
    free(t->source_row);
    memset(t, 0, sizeof *t);
}
