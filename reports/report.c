/* The report pipeline: collect -> tables -> writers and figures (see report.h). */
#include "reports/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "reports/collect.h"
#include "reports/figures.h"
#include "reports/table.h"
#include "reports/writers.h"

int ak_report_parse_formats(const char *list, unsigned *formats, ak_error *err) {
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"md", AK_REPORT_MD}, {"tex", AK_REPORT_TEX}, {"csv", AK_REPORT_CSV},
                 {"png", AK_REPORT_PNG}, {"svg", AK_REPORT_SVG}};
    *formats = 0;
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        unsigned bit = 0;
        for (int i = 0; i < 5 && !bit; i++)
            if (strlen(names[i].name) == n && strncmp(p, names[i].name, n) == 0)
                bit = names[i].bit;
        if (!bit)
            return ak_error_set(err, AK_EINVAL, "--format: unknown format '%.*s' in '%s' (known: md, tex, csv, png, svg)",
                                (int)n, p, list);
        *formats |= bit;
        p += n + (end ? 1 : 0);
    }
    if (*formats == 0)
        return ak_error_set(err, AK_EINVAL, "--format: empty format list");
    return AK_OK;
}

unsigned ak_report_default_formats(void) {
    return AK_REPORT_MD | AK_REPORT_TEX | AK_REPORT_CSV | (ak_plot_available() ? AK_REPORT_PNG : 0u);
}

static int make_dir(const char *path, ak_error *err) {
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return ak_error_set(err, AK_EIO, "%s: cannot create the report folder (%s)", path, strerror(errno));
    return AK_OK;
}

static int write_all(const ak_report_tables *t, const ak_report_capacity *cap, int n_cap, unsigned formats,
                     const char *out, ak_report_summary *sum, ak_error *err) {
    ak_rep_per_class *pc = NULL;
    int n_pc = 0;
    ak_report_figures figs = {0};
    int rc = ak_rep_per_class_build(t, &pc, &n_pc, err);
    if (rc == AK_OK)
        rc = ak_report_plot_all(t, out, formats & AK_REPORT_PNG, formats & AK_REPORT_SVG, &figs, err);
    ak_report_doc d = {t, pc, n_pc, figs.items, figs.n, cap, n_cap};
    char path[4200];
    if (rc == AK_OK && (formats & AK_REPORT_MD)) {
        snprintf(path, sizeof path, "%s/report.md", out);
        rc = ak_report_write_md(&d, path, err);
        snprintf(path, sizeof path, "%s/table.md", out);
        if (rc == AK_OK)
            rc = ak_report_write_md_table(&d, path, err);
    }
    if (rc == AK_OK && (formats & AK_REPORT_TEX)) {
        snprintf(path, sizeof path, "%s/report.tex", out);
        rc = ak_report_write_tex(&d, path, err);
    }
    if (rc == AK_OK && (formats & AK_REPORT_CSV))
        rc = ak_report_write_csv(&d, out, err);
    sum->n_figures = figs.n;
    ak_report_figures_free(&figs);
    ak_rep_per_class_free(pc, n_pc);
    return rc;
}

int ak_report_generate(const char *sweep_dir, const ak_report_opts *opts, ak_report_summary *sum, ak_error *err) {
    memset(sum, 0, sizeof *sum);
    unsigned formats = opts && opts->formats ? opts->formats : ak_report_default_formats();
    if ((formats & (AK_REPORT_PNG | AK_REPORT_SVG)) && !ak_plot_available()) {
        ak_plot *p;
        return ak_plot_begin(&p, "plots", AK_PLOT_PNG, 1, 1, err); /* the AK_EUNSUP message */
    }
    if (opts && opts->out_dir)
        snprintf(sum->out_dir, sizeof sum->out_dir, "%s", opts->out_dir);
    else
        snprintf(sum->out_dir, sizeof sum->out_dir, "%s/report", sweep_dir);

    ak_report_sweep s;
    int rc = ak_report_collect(sweep_dir, &s, err);
    ak_report_tables t = {0};
    ak_report_capacity *cap = NULL;
    int n_cap = 0;
    if (rc == AK_OK)
        rc = ak_report_tables_build(&s, &t, err);
    if (rc == AK_OK)
        rc = ak_report_capacity_collect(sweep_dir, &cap, &n_cap, err);
    if (rc == AK_OK)
        rc = make_dir(sum->out_dir, err);
    if (rc == AK_OK)
        rc = write_all(&t, cap, n_cap, formats, sum->out_dir, sum, err);
    if (rc == AK_OK) {
        sum->n_runs = s.n_runs;
        sum->n_unreadable = s.n_unreadable;
        for (int i = 0; i < s.n_runs; i++)
            sum->n_counted += s.runs[i].state == AK_RR_COMPLETE;
        sum->n_not_counted = s.n_runs - sum->n_counted;
        sum->n_rows = t.n_rows;
        sum->n_ablations = t.n_ablations;
        int k = 0;
        if (s.index_error)
            snprintf(sum->unreadable[k++], sizeof sum->unreadable[0], "%s", s.index_error);
        for (int i = 0; i < s.n_runs && k < 8; i++)
            if (s.runs[i].state == AK_RR_UNREADABLE)
                snprintf(sum->unreadable[k++], sizeof sum->unreadable[0], "%s", s.runs[i].error);
        /* capacity tables that cannot be read count like unreadable run files */
        sum->n_capacity = n_cap;
        for (int i = 0; i < n_cap; i++)
            if (cap[i].error) {
                sum->n_unreadable++;
                if (k < 8)
                    snprintf(sum->unreadable[k++], sizeof sum->unreadable[0], "%s", cap[i].error);
            }
    }
    ak_report_capacity_free(cap, n_cap);
    ak_report_tables_free(&t);
    ak_report_sweep_free(&s);
    return rc;
}
