/* Training-curve figures (see figures.h): for each family and loss term, one line per experiment,
 * the mean over its counted seeds of the logged values (seeds whose logged iterations differ from
 * the first seed's are left out of the mean), thinned to at most AK_CURVE_POINTS points by averaging
 * consecutive rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/figures.h"
#include "reports/format.h"
#include "store/runfile.h"

#define AK_CURVE_POINTS 1000
#define AK_LEGEND_MAX 12

typedef struct series {
    double *x, *y;
    int n;
    char label[700];
    int color;
    bool dashed;
} series;

typedef struct curves {
    char title[512], ylabel[64];
    int n;
    series *s;
} curves;

static int draw(ak_plot *p, const void *vctx, ak_error *err) {
    const curves *c = vctx;
    ak_axes a = {90, 40, 660, 390, 0, 1, 0, 1, NULL, 0};
    ak_range r;
    ak_range_init(&r);
    for (int i = 0; i < c->n; i++)
        ak_range_add(&r, c->s[i].x, c->s[i].y, NULL, c->s[i].n);
    ak_axes_set_range(&a, &r);
    ak_plot_axes(p, &a, c->title, "iteration", c->ylabel);
    const char *labels[AK_LEGEND_MAX];
    int colors[AK_LEGEND_MAX];
    bool dashed[AK_LEGEND_MAX];
    int nl = 0;
    for (int i = 0; i < c->n; i++) {
        ak_plot_line(p, &a, c->s[i].x, c->s[i].y, c->s[i].n, c->s[i].color, c->s[i].dashed);
        if (nl < AK_LEGEND_MAX) {
            labels[nl] = c->s[i].label;
            colors[nl] = c->s[i].color;
            dashed[nl++] = c->s[i].dashed;
        }
    }
    ak_plot_legend(p, &a, labels, colors, dashed, nl);
    return AK_OK;
}

/* iters and column `term` of a run file; *n = 0 when the run has no such column. */
static int read_column(const char *path, const char *term, int64_t **iters, double **vals, int64_t *n,
                       ak_error *err) {
    *iters = NULL;
    *vals = NULL;
    *n = 0;
    ak_run *run;
    AK_TRY(ak_run_open(&run, path, AK_RUN_READ, err));
    int64_t len = 0;
    int rc = ak_run_train_len(run, &len, err);
    if (rc == AK_OK && len > 0) {
        *iters = malloc((size_t)len * sizeof **iters);
        *vals = malloc((size_t)len * sizeof **vals);
        if (!*iters || !*vals)
            rc = ak_error_set(err, AK_ENOMEM, "out of memory reading %s", path);
        if (rc == AK_OK)
            rc = ak_run_read_train_iters(run, 0, len, *iters, err);
        if (rc == AK_OK)
            rc = ak_run_read_train(run, term, 0, len, *vals, err);
        if (rc == AK_OK)
            *n = len;
    }
    ak_run_close(run, NULL);
    if (rc != AK_OK) {
        free(*iters);
        free(*vals);
        *iters = NULL;
        *vals = NULL;
    }
    return rc;
}

static bool run_has_term(const ak_report_run *r, const char *term) {
    for (int i = 0; i < AK_TRAIN_N_STD; i++)
        if (strcmp(ak_train_std_columns[i], term) == 0)
            return true;
    for (int i = 0; i < r->n_extra_losses; i++)
        if (strcmp(r->extra_losses[i], term) == 0)
            return true;
    return false;
}

/* The mean curve of group g, thinned; s->n = 0 when no counted run logs the term. */
static int group_curve(const ak_report_tables *t, int g, const char *term, series *s, ak_error *err) {
    const ak_report_group *G = &t->groups[g];
    int64_t *ref = NULL, n = 0;
    double *sum = NULL;
    int used = 0, rc = AK_OK;
    for (int k = 0; rc == AK_OK && k < G->n_used; k++) {
        const ak_report_run *r = &t->sweep->runs[G->used[k]];
        if (!run_has_term(r, term))
            continue;
        int64_t *it, m;
        double *v;
        if ((rc = read_column(r->path, term, &it, &v, &m, err)) != AK_OK)
            break;
        if (used == 0 && m > 0) {
            ref = it;
            sum = v;
            n = m;
            used = 1;
            continue;
        }
        if (m == n && m > 0 && memcmp(it, ref, (size_t)n * sizeof *it) == 0) {
            for (int64_t i = 0; i < n; i++)
                sum[i] += v[i];
            used++;
        }
        free(it);
        free(v);
    }
    s->n = 0;
    if (rc == AK_OK && used > 0) {
        int64_t bin = (n + AK_CURVE_POINTS - 1) / AK_CURVE_POINTS, nb = (n + bin - 1) / bin;
        s->x = malloc((size_t)nb * sizeof *s->x);
        s->y = malloc((size_t)nb * sizeof *s->y);
        if (!s->x || !s->y)
            rc = ak_error_set(err, AK_ENOMEM, "out of memory drawing curves");
        for (int64_t b = 0; rc == AK_OK && b < nb; b++) {
            double sx = 0, sy = 0;
            int64_t cnt = 0;
            for (int64_t i = b * bin; i < n && i < (b + 1) * bin; i++, cnt++) {
                sx += (double)ref[i];
                sy += sum[i] / used;
            }
            s->x[b] = sx / (double)cnt;
            s->y[b] = sy / (double)cnt;
        }
        if (rc == AK_OK)
            s->n = (int)nb;
        char label[600];
        ak_rep_group_label(t, g, label, sizeof label);
        snprintf(s->label, sizeof s->label, "%s (n=%d)", label, used);
    }
    free(ref);
    free(sum);
    return rc;
}

static bool all_zero(const curves *c) {
    for (int i = 0; i < c->n; i++)
        for (int k = 0; k < c->s[i].n; k++)
            if (c->s[i].y[k] != 0.0 && !isnan(c->s[i].y[k]))
                return false;
    return true;
}

static void free_curves(curves *c) {
    for (int i = 0; i < c->n; i++) {
        free(c->s[i].x);
        free(c->s[i].y);
    }
    free(c->s);
    c->s = NULL;
    c->n = 0;
}

/* Colour of a group: that of the first main-table row showing it (so w/o and w/ share a colour). */
static int group_color(const ak_report_tables *t, int family, int g) {
    int c = 0;
    for (int i = 0; i < t->n_rows; i++) {
        if (t->rows[i].family != family)
            continue;
        if (t->rows[i].off == g || t->rows[i].on == g)
            return c;
        c++;
    }
    return 0;
}

static int family_terms(const ak_report_tables *t, const int *cols, int n_cols, const char ***terms, int *n) {
    int cap = AK_TRAIN_N_STD + 8;
    const char **v = malloc((size_t)cap * sizeof *v);
    if (!v)
        return 0;
    *n = 0;
    const char *std_terms[] = {"loss_total", "loss_task", "loss_distill", "avatar_weight"};
    for (int i = 0; i < 4; i++)
        v[(*n)++] = std_terms[i];
    for (int c = 0; c < n_cols; c++)
        for (int k = 0; k < t->groups[cols[c]].n_used; k++) {
            const ak_report_run *r = &t->sweep->runs[t->groups[cols[c]].used[k]];
            for (int e = 0; e < r->n_extra_losses; e++) {
                bool known = false;
                for (int j = 0; j < *n && !known; j++)
                    known = strcmp(v[j], r->extra_losses[e]) == 0;
                if (known)
                    continue;
                if (*n == cap) {
                    const char **w = realloc(v, (size_t)(2 * cap) * sizeof *v);
                    if (!w) {
                        free(v);
                        return 0;
                    }
                    v = w;
                    cap *= 2;
                }
                v[(*n)++] = r->extra_losses[e];
            }
        }
    *terms = v;
    return 1;
}

int ak_rep_plot_curves(const ak_report_tables *t, const char *out_dir, bool png, bool svg, ak_report_figures *figs,
                       ak_error *err) {
    int *cols = malloc((size_t)(2 * t->n_rows + 1) * sizeof *cols);
    if (!cols)
        return ak_error_set(err, AK_ENOMEM, "out of memory drawing curves");
    int rc = AK_OK;
    for (int f = 0; rc == AK_OK && f < t->n_families; f++) {
        int n_cols = ak_rep_family_groups(t, f, cols), n_terms = 0;
        const char **terms = NULL;
        if (!family_terms(t, cols, n_cols, &terms, &n_terms)) {
            rc = ak_error_set(err, AK_ENOMEM, "out of memory drawing curves");
            break;
        }
        const ak_report_family *F = &t->families[f];
        char arch[32], s[64], te[64], task[96];
        ak_report_arch_label(F->student.arch, arch, sizeof arch);
        ak_report_net_label(&F->student, s, sizeof s);
        ak_report_net_label(&F->teacher, te, sizeof te);
        ak_report_task_label(F, task, sizeof task);
        for (int k = 0; rc == AK_OK && k < n_terms; k++) {
            curves c = {0};
            if (!(c.s = calloc((size_t)(n_cols ? n_cols : 1), sizeof *c.s))) {
                rc = ak_error_set(err, AK_ENOMEM, "out of memory drawing curves");
                break;
            }
            for (int g = 0; rc == AK_OK && g < n_cols; g++) {
                series *sr = &c.s[c.n];
                if ((rc = group_curve(t, cols[g], terms[k], sr, err)) != AK_OK || sr->n == 0) {
                    free(sr->x);
                    free(sr->y);
                    memset(sr, 0, sizeof *sr);
                    continue;
                }
                sr->color = group_color(t, f, cols[g]);
                sr->dashed = !t->groups[cols[g]].avatars && !t->groups[cols[g]].teacher &&
                             strcmp(t->sweep->runs[t->groups[cols[g]].rep].method, "none") != 0;
                c.n++;
            }
            if (rc == AK_OK && c.n > 0 && !all_zero(&c)) {
                snprintf(c.title, sizeof c.title, "%s: %s %s <- %s, %s", terms[k], arch, s, te, task);
                snprintf(c.ylabel, sizeof c.ylabel, "%s", terms[k]);
                char name[160], caption[700];
                snprintf(name, sizeof name, "curves_%d_%s", f + 1, terms[k]);
                snprintf(caption, sizeof caption, "Training curve of %s (%s %s <- %s, %s), mean over the counted "
                         "seeds of each experiment; dashed = w/o Avatars", terms[k], arch, s, te, task);
                rc = ak_rep_figure(figs, out_dir, name, caption, png, svg, 800, 500, draw, &c, err);
            }
            free_curves(&c);
        }
        free(terms);
    }
    free(cols);
    return rc;
}
