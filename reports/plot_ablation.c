/* Ablation figures (see figures.h): the metric (x100) against the ablation's first varying key, one
 * series per combination of the other keys; w/ Avatars as points with error bars (sample std over
 * seeds) joined by a line, w/o Avatars dashed in the same colour. A key whose values are not all
 * numbers is drawn as categories, in table order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/figures.h"
#include "reports/format.h"
#include "reports/strbuf.h"

#define AK_ABL_SERIES 10

typedef struct abl_series {
    char label[512];
    int n;
    double *x, *on, *on_sd, *off; /* (n) */
} abl_series;

typedef struct abl_plot {
    char title[1100], xlabel[128], ylabel[64];
    const char *const *xcat;
    int n_xcat;
    int n;
    abl_series s[AK_ABL_SERIES];
} abl_plot;

static int draw(ak_plot *p, const void *vctx, ak_error *err) {
    const abl_plot *c = vctx;
    ak_axes a = {90, 40, 660, 390, 0, 1, 0, 1, c->xcat, c->n_xcat};
    ak_range r;
    ak_range_init(&r);
    for (int i = 0; i < c->n; i++) {
        ak_range_add(&r, c->s[i].x, c->s[i].on, c->s[i].on_sd, c->s[i].n);
        ak_range_add(&r, c->s[i].x, c->s[i].off, NULL, c->s[i].n);
    }
    ak_axes_set_range(&a, &r);
    double span = a.xmax - a.xmin; /* room for the end markers */
    a.xmin -= 0.05 * span;
    a.xmax += 0.05 * span;
    ak_plot_axes(p, &a, c->title, c->xlabel, c->ylabel);
    const char *labels[2 * AK_ABL_SERIES];
    int colors[2 * AK_ABL_SERIES];
    bool dashed[2 * AK_ABL_SERIES];
    int nl = 0;
    for (int i = 0; i < c->n; i++) {
        const abl_series *s = &c->s[i];
        ak_plot_line(p, &a, s->x, s->on, s->n, i, false);
        ak_plot_points(p, &a, s->x, s->on, s->on_sd, s->n, i);
        ak_plot_line(p, &a, s->x, s->off, s->n, i, true);
        labels[nl] = s->label;
        colors[nl] = i;
        dashed[nl++] = false;
    }
    labels[nl] = "w/o Avatars (dashed)";
    colors[nl] = 7;
    dashed[nl++] = true;
    ak_plot_legend(p, &a, labels, colors, dashed, nl);
    return AK_OK;
}

static bool all_numeric(const ak_report_ablation *A) {
    for (int i = 0; i < A->n_rows; i++) {
        char *end;
        const char *v = A->values[i * A->n_keys];
        strtod(v, &end);
        if (!*v || *end)
            return false;
    }
    return true;
}

/* Label of the other keys of row i ("akd.rate=0.1"), or "w/ Avatars" for a one-key ablation. */
static void rest_label(const ak_report_ablation *A, int i, char *buf, size_t len) {
    size_t n = 0;
    buf[0] = '\0';
    for (int k = 1; k < A->n_keys && n < len; k++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s=%s", k > 1 ? ", " : "", A->keys[k], A->values[i * A->n_keys + k]);
    if (A->n_keys == 1)
        snprintf(buf, len, "w/ Avatars");
}

static void free_plot(abl_plot *c) {
    for (int i = 0; i < c->n; i++) {
        free(c->s[i].x);
        free(c->s[i].on);
        free(c->s[i].on_sd);
        free(c->s[i].off);
    }
}

static int one(const ak_report_tables *t, int a, const char *out_dir, bool png, bool svg, ak_report_figures *figs,
               ak_error *err) {
    const ak_report_ablation *A = &t->ablations[a];
    abl_plot c;
    memset(&c, 0, sizeof c);
    const char **cats = calloc((size_t)A->n_rows, sizeof *cats);
    if (!cats)
        return ak_error_set(err, AK_ENOMEM, "out of memory drawing ablations");
    bool numeric = all_numeric(A);
    int n_cats = 0;
    if (!numeric)
        for (int i = 0; i < A->n_rows; i++) {
            bool seen = false;
            for (int j = 0; j < n_cats && !seen; j++)
                seen = strcmp(cats[j], A->values[i * A->n_keys]) == 0;
            if (!seen)
                cats[n_cats++] = A->values[i * A->n_keys];
        }
    int rc = AK_OK;
    for (int i = 0; rc == AK_OK && i < A->n_rows; i++) {
        char label[512];
        rest_label(A, i, label, sizeof label);
        int s = -1;
        for (int k = 0; k < c.n && s < 0; k++)
            if (strcmp(c.s[k].label, label) == 0)
                s = k;
        if (s < 0) {
            if (c.n == AK_ABL_SERIES)
                continue; /* more combinations than colours: the table has them all */
            s = c.n++;
            snprintf(c.s[s].label, sizeof c.s[s].label, "%s", label);
            abl_series *S = &c.s[s];
            S->x = malloc((size_t)A->n_rows * sizeof *S->x);
            S->on = malloc((size_t)A->n_rows * sizeof *S->on);
            S->on_sd = malloc((size_t)A->n_rows * sizeof *S->on_sd);
            S->off = malloc((size_t)A->n_rows * sizeof *S->off);
            if (!S->x || !S->on || !S->on_sd || !S->off) {
                rc = ak_error_set(err, AK_ENOMEM, "out of memory drawing ablations");
                break;
            }
        }
        abl_series *S = &c.s[s];
        const ak_report_row *r = &t->rows[A->rows[i]];
        const char *xv = A->values[i * A->n_keys];
        S->x[S->n] = numeric ? strtod(xv, NULL) : 0.0;
        for (int j = 0; !numeric && j < n_cats; j++)
            if (strcmp(cats[j], xv) == 0)
                S->x[S->n] = j;
        S->on[S->n] = r->on >= 0 ? t->groups[r->on].stat.mean * AK_REPORT_SCALE : NAN;
        S->on_sd[S->n] = r->on >= 0 ? t->groups[r->on].stat.std * AK_REPORT_SCALE : NAN;
        S->off[S->n] = r->off >= 0 ? t->groups[r->off].stat.mean * AK_REPORT_SCALE : NAN;
        S->n++;
    }
    if (rc == AK_OK) {
        ak_rep_ablation_title(t, a, c.title, sizeof c.title);
        snprintf(c.xlabel, sizeof c.xlabel, "%s", A->keys[0]);
        snprintf(c.ylabel, sizeof c.ylabel, "%s (x100)", t->families[A->family].metric);
        c.xcat = numeric ? NULL : cats;
        c.n_xcat = numeric ? 0 : n_cats;
        char name[64], caption[1400];
        snprintf(name, sizeof name, "ablation_%d", a + 1);
        snprintf(caption, sizeof caption, "Ablation %d: %s; mean over seeds, error bars = sample std", a + 1, c.title);
        rc = ak_rep_figure(figs, out_dir, name, caption, png, svg, 800, 500, draw, &c, err);
    }
    free_plot(&c);
    free(cats);
    return rc;
}

int ak_rep_plot_ablations(const ak_report_tables *t, const char *out_dir, bool png, bool svg,
                          ak_report_figures *figs, ak_error *err) {
    for (int a = 0; a < t->n_ablations; a++)
        AK_TRY(one(t, a, out_dir, png, svg, figs, err));
    return AK_OK;
}
