/* The list of report figures and drawing one figure in each format (see figures.h). */
#include "reports/figures.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void ak_report_figures_free(ak_report_figures *figs) {
    for (int i = 0; i < figs->n; i++) {
        free(figs->items[i].base);
        free(figs->items[i].caption);
    }
    free(figs->items);
    memset(figs, 0, sizeof *figs);
}

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

int ak_rep_figure(ak_report_figures *figs, const char *out_dir, const char *name, const char *caption, bool png,
                  bool svg, int w, int h, ak_rep_draw_fn draw, const void *ctx, ak_error *err) {
    char clean[256];
    snprintf(clean, sizeof clean, "%s", name);
    for (char *c = clean; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
              *c == '-' || *c == '_'))
            *c = '_';
    const ak_plot_format fmts[2] = {AK_PLOT_PNG, AK_PLOT_SVG};
    const bool want[2] = {png, svg};
    for (int k = 0; k < 2; k++) {
        if (!want[k])
            continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/plots/%s.%s", out_dir, clean, k == 0 ? "png" : "svg");
        ak_plot *p;
        AK_TRY(ak_plot_begin(&p, path, fmts[k], w, h, err));
        int rc = draw(p, ctx, err);
        int rc2 = ak_plot_end(p, err);
        AK_TRY(rc);
        AK_TRY(rc2);
    }
    if (figs->n == figs->cap) {
        int cap = figs->cap ? 2 * figs->cap : 16;
        ak_report_figure *items = realloc(figs->items, (size_t)cap * sizeof *items);
        if (!items)
            return ak_error_set(err, AK_ENOMEM, "out of memory listing figures");
        figs->items = items;
        figs->cap = cap;
    }
    char base[300];
    snprintf(base, sizeof base, "plots/%s", clean);
    ak_report_figure *f = &figs->items[figs->n];
    f->base = dup_str(base);
    f->caption = dup_str(caption);
    f->png = png;
    f->svg = svg;
    if (!f->base || !f->caption) {
        free(f->base);
        free(f->caption);
        return ak_error_set(err, AK_ENOMEM, "out of memory listing figures");
    }
    figs->n++;
    return AK_OK;
}

int ak_report_plot_all(const ak_report_tables *t, const char *out_dir, bool png, bool svg,
                       ak_report_figures *figs, ak_error *err) {
    memset(figs, 0, sizeof *figs);
    if (!png && !svg)
        return AK_OK;
    if (!ak_plot_available()) {
        ak_plot *p;
        return ak_plot_begin(&p, out_dir, AK_PLOT_PNG, 1, 1, err); /* the AK_EUNSUP message */
    }
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/plots", out_dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return ak_error_set(err, AK_EIO, "%s: cannot create the plot folder (%s)", dir, strerror(errno));
    AK_TRY(ak_rep_plot_curves(t, out_dir, png, svg, figs, err));
    AK_TRY(ak_rep_plot_ablations(t, out_dir, png, svg, figs, err));
    return ak_rep_plot_features(t, out_dir, png, svg, figs, err);
}
