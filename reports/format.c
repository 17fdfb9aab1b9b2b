/* Cell formatting, escaping and per-class table data for the report writers (see format.h). */
#include "reports/format.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/cityscapes_labels.h"

void ak_rep_fmt_value(char *buf, size_t len, double v, ak_rep_style style) {
    if (isnan(v))
        snprintf(buf, len, "%s", style == AK_STYLE_TEX ? "--" : "—");
    else
        snprintf(buf, len, "%.*f", AK_REPORT_DECIMALS, v * AK_REPORT_SCALE);
}

void ak_rep_fmt_stat(char *buf, size_t len, ak_stat s, int n_total, int delta, ak_rep_style style) {
    char n[48];
    if (n_total > 0 && n_total != s.n)
        snprintf(n, sizeof n, style == AK_STYLE_TEX ? "(%d of %d)" : "(n=%d of %d)", s.n, n_total);
    else
        snprintf(n, sizeof n, style == AK_STYLE_TEX ? "(%d)" : "(n=%d)", s.n);
    if (s.n == 0 || isnan(s.mean)) {
        snprintf(buf, len, "%s %s", style == AK_STYLE_TEX ? "--" : "—", n);
        return;
    }
    char m[32], sd[32];
    snprintf(m, sizeof m, delta ? "%+.*f" : "%.*f", AK_REPORT_DECIMALS, s.mean * AK_REPORT_SCALE);
    if (isnan(s.std))
        sd[0] = '\0';
    else
        snprintf(sd, sizeof sd, "%.*f", AK_REPORT_DECIMALS, s.std * AK_REPORT_SCALE);
    if (style == AK_STYLE_TEX)
        snprintf(buf, len, "$%s%s%s$ %s", m, sd[0] ? " \\pm " : "", sd, n);
    else
        snprintf(buf, len, "%s%s%s %s", m, sd[0] ? " ± " : "", sd, n);
}

int ak_rep_group_total(const ak_report_tables *t, int group) {
    const ak_report_group *g = &t->groups[group];
    int n = 0;
    for (int i = 0; i < g->n_runs; i++)
        n += t->sweep->runs[g->runs[i]].state != AK_RR_DUPLICATE;
    return n;
}

void ak_rep_md(FILE *f, const char *text) {
    for (const char *p = text; *p; p++) {
        if (*p == '|')
            fputs("\\|", f);
        else if (*p == '\n')
            fputc(' ', f);
        else
            fputc(*p, f);
    }
}

void ak_rep_tex(FILE *f, const char *text) {
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '\\': fputs("\\textbackslash{}", f); break;
        case '{': case '}': case '$': case '&': case '#': case '_': case '%':
            fputc('\\', f);
            fputc(*p, f);
            break;
        case '^': fputs("\\textasciicircum{}", f); break;
        case '~': fputs("\\textasciitilde{}", f); break;
        case '\n': fputc(' ', f); break;
        default: fputc(*p, f);
        }
    }
}

void ak_rep_csv(FILE *f, const char *text) {
    if (!strpbrk(text, ",\"\n\r")) {
        fputs(text, f);
        return;
    }
    fputc('"', f);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

void ak_rep_class_name(const ak_report_family *f, int64_t id, char *buf, size_t len) {
    const char *name = NULL;
    if (strcmp(f->dataset, "cityscapes") == 0 && id >= 0 && id < AK_CITYSCAPES_CLASSES)
        name = ak_cityscapes_class_name((int)id);
    if (name)
        snprintf(buf, len, "%s", name);
    else
        snprintf(buf, len, "%lld", (long long)id);
}

void ak_rep_group_label(const ak_report_tables *t, int group, char *buf, size_t len) {
    for (int i = 0; i < t->n_rows; i++) {
        const ak_report_row *r = &t->rows[i];
        if (r->off != group && r->on != group)
            continue;
        char label[512];
        ak_report_row_label(r, label, sizeof label);
        if (r->kind == AK_ROW_DISTILL) {
            char m[32];
            ak_report_method_label(r->method, m, sizeof m);
            const char *v = r->on == group ? r->variant : r->variant_off;
            snprintf(buf, len, "%s %s%s%s%s", m, r->on == group ? "w/" : "w/o", v[0] ? " (" : "", v, v[0] ? ")" : "");
        } else {
            snprintf(buf, len, "%s", label);
        }
        return;
    }
    snprintf(buf, len, "group %d", group);
}

/* ---- per-class tables ---- */

static const ak_report_array *array_of(const ak_report_run *r, const char *name) {
    for (int i = 0; i < r->n_arrays; i++)
        if (strcmp(r->arrays[i].name, name) == 0)
            return &r->arrays[i];
    return NULL;
}

static double class_value(const ak_report_array *a, int64_t pos, int64_t id) {
    if (!a)
        return NAN;
    if (!a->ids)
        return pos < a->n ? a->values[pos] : NAN;
    for (int64_t i = 0; i < a->n; i++)
        if (a->ids[i] == id)
            return a->values[i];
    return NAN;
}

int ak_rep_family_groups(const ak_report_tables *t, int family, int *cols) {
    int n = 0;
    for (int i = 0; i < t->n_rows; i++) {
        const ak_report_row *r = &t->rows[i];
        int sides[2] = {r->off, r->on};
        for (int k = 0; k < 2 && r->family == family; k++) {
            bool seen = sides[k] < 0;
            for (int j = 0; j < n && !seen; j++)
                seen = cols[j] == sides[k];
            if (!seen)
                cols[n++] = sides[k];
        }
    }
    return n;
}

static int build_one(const ak_report_tables *t, int family, const char *name, const int *cols, int n_cols,
                     ak_rep_per_class *p, ak_error *err) {
    const ak_report_sweep *s = t->sweep;
    const ak_report_array *first = NULL;
    for (int c = 0; c < n_cols && !first; c++)
        for (int k = 0; k < t->groups[cols[c]].n_used && !first; k++)
            first = array_of(&s->runs[t->groups[cols[c]].used[k]], name);
    memset(p, 0, sizeof *p);
    p->family = family;
    p->n_classes = first->n;
    p->n_cols = n_cols;
    p->array = strdup(name);
    p->ids = malloc((size_t)(first->n ? first->n : 1) * sizeof *p->ids);
    p->cols = malloc((size_t)n_cols * sizeof *p->cols);
    p->cells = malloc((size_t)(first->n * n_cols > 0 ? first->n * n_cols : 1) * sizeof *p->cells);
    int max_used = 1;
    for (int c = 0; c < n_cols; c++)
        if (t->groups[cols[c]].n_used > max_used)
            max_used = t->groups[cols[c]].n_used;
    double *x = malloc((size_t)max_used * sizeof *x);
    if (!p->array || !p->ids || !p->cols || !p->cells || !x) {
        free(x);
        return ak_error_set(err, AK_ENOMEM, "out of memory building the per-class tables");
    }
    memcpy(p->cols, cols, (size_t)n_cols * sizeof *cols);
    for (int64_t j = 0; j < first->n; j++) {
        p->ids[j] = first->ids ? first->ids[j] : j;
        for (int c = 0; c < n_cols; c++) {
            const ak_report_group *g = &t->groups[cols[c]];
            for (int k = 0; k < g->n_used; k++)
                x[k] = class_value(array_of(&s->runs[g->used[k]], name), j, p->ids[j]);
            p->cells[j * n_cols + c] = ak_stat_of_nan(x, g->n_used);
        }
    }
    free(x);
    return AK_OK;
}

int ak_rep_per_class_build(const ak_report_tables *t, ak_rep_per_class **out, int *n, ak_error *err) {
    *out = NULL;
    *n = 0;
    int cap = 0, rc = AK_OK;
    int *cols = malloc((size_t)(2 * t->n_rows + 1) * sizeof *cols);
    if (!cols)
        return ak_error_set(err, AK_ENOMEM, "out of memory building the per-class tables");
    for (int f = 0; rc == AK_OK && f < t->n_families; f++) {
        int n_cols = ak_rep_family_groups(t, f, cols);
        /* the array names, in order of first appearance */
        for (int c = 0; rc == AK_OK && c < n_cols; c++) {
            const ak_report_group *g = &t->groups[cols[c]];
            for (int k = 0; rc == AK_OK && k < g->n_used; k++) {
                const ak_report_run *r = &t->sweep->runs[g->used[k]];
                for (int a = 0; rc == AK_OK && a < r->n_arrays; a++) {
                    bool known = false;
                    for (int i = 0; i < *n && !known; i++)
                        known = (*out)[i].family == f && strcmp((*out)[i].array, r->arrays[a].name) == 0;
                    if (known)
                        continue;
                    ak_rep_per_class *grown = *out;
                    if (*n == cap) {
                        cap = cap ? 2 * cap : 4;
                        if (!(grown = realloc(*out, (size_t)cap * sizeof *grown))) {
                            rc = ak_error_set(err, AK_ENOMEM, "out of memory building the per-class tables");
                            break;
                        }
                        *out = grown;
                    }
                    rc = build_one(t, f, r->arrays[a].name, cols, n_cols, &(*out)[*n], err);
                    (*n)++;
                }
            }
        }
    }
    free(cols);
    return rc;
}

void ak_rep_per_class_free(ak_rep_per_class *p, int n) {
    for (int i = 0; p && i < n; i++) {
        free(p[i].array);
        free(p[i].ids);
        free(p[i].cols);
        free(p[i].cells);
    }
    free(p);
}
