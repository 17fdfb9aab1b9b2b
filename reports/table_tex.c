/* The LaTeX report (report.tex): a standalone article with booktabs tables (main table, ablations,
 * per-class results) and the sources of every number; each table environment can be pasted into a
 * paper that loads booktabs. See writers.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reports/writers.h"

static void cells(FILE *f, const char *const *text, int n, const int *raw) {
    for (int c = 0; c < n; c++) {
        if (c)
            fputs(" & ", f);
        if (raw && raw[c])
            fputs(text[c], f); /* already TeX (math mode numbers) */
        else
            ak_rep_tex(f, text[c]);
    }
    fputs(" \\\\\n", f);
}

static void main_table(FILE *f, const ak_report_tables *t) {
    fputs("\\begin{table*}[t]\n\\centering\\small\n\\caption{Main results (x100, mean $\\pm$ sample std over "
          "seeds; number of seeds in parentheses).}\n\\begin{tabular}{lllllllllll}\n\\toprule\n"
          "Task & Model & Student & Teacher & Distiller & Inherit & Metric & w/o Avatars & w/ Avatars & "
          "$\\Delta$ & Src. \\\\\n\\midrule\n", f);
    int last_family = -1;
    for (int i = 0; i < t->n_rows; i++) {
        ak_rep_row_text x;
        ak_rep_row_text_of(t, i, AK_STYLE_TEX, &x);
        if (last_family >= 0 && t->rows[i].family != last_family)
            fputs("\\midrule\n", f);
        last_family = t->rows[i].family;
        const char *text[] = {x.task, x.model, x.student, x.teacher, x.distiller, x.inherit,
                              x.metric, x.off, x.on, x.delta, x.sources};
        const int raw[] = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0};
        cells(f, text, 11, raw);
    }
    fputs("\\bottomrule\n\\end{tabular}\n\\end{table*}\n\n", f);
}

static void ablations(FILE *f, const ak_report_tables *t) {
    for (int a = 0; a < t->n_ablations; a++) {
        const ak_report_ablation *A = &t->ablations[a];
        char title[1024];
        ak_rep_ablation_title(t, a, title, sizeof title);
        fputs("\\begin{table}[t]\n\\centering\\small\n\\caption{Ablation: ", f);
        ak_rep_tex(f, title);
        fputs(".}\n\\begin{tabular}{", f);
        for (int k = 0; k < A->n_keys + 4; k++)
            fputc('l', f);
        fputs("}\n\\toprule\n", f);
        for (int k = 0; k < A->n_keys; k++) {
            ak_rep_tex(f, A->keys[k]);
            fputs(" & ", f);
        }
        fputs("w/o Avatars & w/ Avatars & $\\Delta$ & Src. \\\\\n\\midrule\n", f);
        for (int i = 0; i < A->n_rows; i++) {
            ak_rep_row_text x;
            ak_rep_row_text_of(t, A->rows[i], AK_STYLE_TEX, &x);
            for (int k = 0; k < A->n_keys; k++) {
                ak_rep_tex(f, A->values[i * A->n_keys + k]);
                fputs(" & ", f);
            }
            const char *text[] = {x.off, x.on, x.delta, x.sources};
            const int raw[] = {1, 1, 1, 0};
            cells(f, text, 4, raw);
        }
        fputs("\\bottomrule\n\\end{tabular}\n\\end{table}\n\n", f);
    }
}

static void per_class(FILE *f, const ak_report_doc *d) {
    const ak_report_tables *t = d->t;
    for (int p = 0; p < d->n_per_class; p++) {
        const ak_rep_per_class *P = &d->per_class[p];
        const ak_report_family *F = &t->families[P->family];
        char task[96], s[64], te[64];
        ak_report_task_label(F, task, sizeof task);
        ak_report_net_label(&F->student, s, sizeof s);
        ak_report_net_label(&F->teacher, te, sizeof te);
        fputs("\\begin{table}[t]\n\\centering\\scriptsize\n\\caption{", f);
        ak_rep_tex(f, P->array);
        fprintf(f, " (x100, mean over seeds), ");
        ak_rep_tex(f, s);
        fputs(" $\\leftarrow$ ", f);
        ak_rep_tex(f, te);
        fputs(", ", f);
        ak_rep_tex(f, task);
        fputs(".}\n\\begin{tabular}{l", f);
        for (int c = 0; c < P->n_cols; c++)
            fputc('r', f);
        fputs("}\n\\toprule\nClass", f);
        for (int c = 0; c < P->n_cols; c++) {
            char label[600];
            ak_rep_group_label(t, P->cols[c], label, sizeof label);
            fputs(" & ", f);
            ak_rep_tex(f, label);
            fprintf(f, " [%d]", t->groups[P->cols[c]].ref);
        }
        fputs(" \\\\\n\\midrule\n", f);
        for (int64_t j = 0; j < P->n_classes; j++) {
            char name[64], v[32];
            ak_rep_class_name(F, P->ids[j], name, sizeof name);
            ak_rep_tex(f, name);
            for (int c = 0; c < P->n_cols; c++) {
                ak_rep_fmt_value(v, sizeof v, P->cells[j * P->n_cols + c].mean, AK_STYLE_TEX);
                fprintf(f, " & %s", v);
            }
            fputs(" \\\\\n", f);
        }
        fputs("\\bottomrule\n\\end{tabular}\n\\end{table}\n\n", f);
    }
}

static void sources(FILE *f, const ak_report_tables *t) {
    const ak_report_sweep *s = t->sweep;
    fputs("\\section*{Sources}\nFinal metric of each run as stored (a fraction); counted runs enter the "
          "means.\n\\begin{description}\\small\n", f);
    for (int k = 0; k < t->n_sources; k++) {
        int g = t->source_group[k];
        if (g < 0) {
            const ak_report_run *r = &s->runs[t->rows[t->source_row[k]].teacher_eval_run];
            fprintf(f, "\\item[{[%d]}] teacher evaluation recorded in \\texttt{", k + 1);
            ak_rep_tex(f, r->file);
            fprintf(f, "} (run \\texttt{%s}): %s %.10g\n", r->run_id, r->metric_name, r->teacher_metric);
            continue;
        }
        const ak_report_group *G = &t->groups[g];
        char label[600];
        ak_rep_group_label(t, g, label, sizeof label);
        fprintf(f, "\\item[{[%d]}] ", k + 1);
        ak_rep_tex(f, label);
        fputs(":", f);
        for (int i = 0; i < G->n_runs; i++) {
            const ak_report_run *r = &s->runs[G->runs[i]];
            fprintf(f, "%s seed %lld ", i ? ";" : "", (long long)r->seed);
            if (r->state == AK_RR_COMPLETE)
                fprintf(f, "%.10g", r->metric);
            else
                fprintf(f, "(not counted: %s)", ak_report_state_name(r->state));
            fputs(" \\texttt{", f);
            ak_rep_tex(f, r->file);
            fprintf(f, "} \\texttt{%s}", r->run_id);
        }
        fputs("\n", f);
    }
    fputs("\\end{description}\n", f);
}

int ak_report_write_tex(const ak_report_doc *d, const char *path, ak_error *err) {
    FILE *f;
    AK_TRY(ak_rep_open(&f, path, err));
    fputs("% akdbench report: generated from run files by `akdbench report`; tables need \\usepackage{booktabs}.\n"
          "\\documentclass{article}\n\\usepackage[margin=1.5cm,landscape]{geometry}\n\\usepackage{booktabs}\n"
          "\\usepackage[T1]{fontenc}\n\\begin{document}\n\\section*{akdbench report: \\texttt{", f);
    ak_rep_tex(f, d->t->sweep->dir);
    fputs("}}\n\n", f);
    main_table(f, d->t);
    ablations(f, d->t);
    ak_report_capacity_tex(f, d->capacity, d->n_capacity);
    per_class(f, d);
    sources(f, d->t);
    fputs("\\end{document}\n", f);
    return ak_rep_close(f, path, err);
}
