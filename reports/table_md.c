/* The Markdown report (report.md): main table, ablation tables, per-class tables, plots, every run
 * of the folder with its state, consistency notes, and the sources of every number. See writers.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reports/writers.h"

static void md_cell(FILE *f, const char *text) {
    fputs(" ", f);
    ak_rep_md(f, text);
    fputs(" |", f);
}

static void main_table(FILE *f, const ak_report_tables *t) {
    fprintf(f, "## Main table\n\n");
    fprintf(f, "| task | model | student | teacher | distiller | inherit | metric | w/o Avatars | w/ Avatars | Δ | "
               "sources |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < t->n_rows; i++) {
        ak_rep_row_text x;
        ak_rep_row_text_of(t, i, AK_STYLE_MD, &x);
        fputs("|", f);
        const char *cells[] = {x.task, x.model, x.student, x.teacher, x.distiller, x.inherit,
                               x.metric, x.off, x.on, x.delta, x.sources};
        for (int c = 0; c < 11; c++)
            md_cell(f, cells[c]);
        fputs("\n", f);
    }
    fputs("\n", f);
}

static void ablation_tables(FILE *f, const ak_report_tables *t) {
    if (t->n_ablations == 0)
        return;
    fprintf(f, "## Ablations\n\n");
    for (int a = 0; a < t->n_ablations; a++) {
        const ak_report_ablation *A = &t->ablations[a];
        char title[1024];
        ak_rep_ablation_title(t, a, title, sizeof title);
        fprintf(f, "### ");
        ak_rep_md(f, title);
        fprintf(f, "\n\n|");
        for (int k = 0; k < A->n_keys; k++)
            md_cell(f, A->keys[k]);
        fprintf(f, " w/o Avatars | w/ Avatars | Δ | sources |\n|");
        for (int k = 0; k < A->n_keys + 4; k++)
            fputs("---|", f);
        fputs("\n", f);
        for (int i = 0; i < A->n_rows; i++) {
            ak_rep_row_text x;
            ak_rep_row_text_of(t, A->rows[i], AK_STYLE_MD, &x);
            fputs("|", f);
            for (int k = 0; k < A->n_keys; k++)
                md_cell(f, A->values[i * A->n_keys + k]);
            md_cell(f, x.off);
            md_cell(f, x.on);
            md_cell(f, x.delta);
            md_cell(f, x.sources);
            fputs("\n", f);
        }
        fputs("\n", f);
        if (A->n_keys != 2)
            continue;
        /* the K x p view: rows = values of the first key, columns = values of the second, w/ Avatars */
        fprintf(f, "w/ Avatars, %s (rows) x %s (columns):\n\n|", A->keys[0], A->keys[1]);
        md_cell(f, "");
        const char *cols[64];
        int n_cols = 0;
        for (int i = 0; i < A->n_rows && n_cols < 64; i++) {
            const char *v = A->values[i * 2 + 1];
            bool seen = false;
            for (int c = 0; c < n_cols && !seen; c++)
                seen = strcmp(cols[c], v) == 0;
            if (!seen)
                cols[n_cols++] = v;
        }
        for (int c = 0; c < n_cols; c++)
            md_cell(f, cols[c]);
        fputs("\n|", f);
        for (int c = 0; c <= n_cols; c++)
            fputs("---|", f);
        fputs("\n", f);
        for (int i = 0; i < A->n_rows; i++) {
            const char *rv = A->values[i * 2];
            bool first = true;
            for (int j = 0; j < i && first; j++)
                first = strcmp(A->values[j * 2], rv) != 0;
            if (!first)
                continue;
            fputs("|", f);
            md_cell(f, rv);
            for (int c = 0; c < n_cols; c++) {
                const char *cell = "—";
                ak_rep_row_text x;
                for (int j = 0; j < A->n_rows; j++)
                    if (strcmp(A->values[j * 2], rv) == 0 && strcmp(A->values[j * 2 + 1], cols[c]) == 0) {
                        ak_rep_row_text_of(t, A->rows[j], AK_STYLE_MD, &x);
                        cell = x.on;
                        break;
                    }
                md_cell(f, cell);
            }
            fputs("\n", f);
        }
        fputs("\n", f);
    }
}

static void per_class_tables(FILE *f, const ak_report_doc *d) {
    const ak_report_tables *t = d->t;
    if (d->n_per_class == 0)
        return;
    fprintf(f, "## Per-class results\n\nMean over the counted seeds (x100); a class absent from every "
               "evaluation is —.\n\n");
    for (int p = 0; p < d->n_per_class; p++) {
        const ak_rep_per_class *P = &d->per_class[p];
        const ak_report_family *fam = &t->families[P->family];
        char task[96], arch[32], s[64], te[64];
        ak_report_task_label(fam, task, sizeof task);
        ak_report_arch_label(fam->student.arch, arch, sizeof arch);
        ak_report_net_label(&fam->student, s, sizeof s);
        ak_report_net_label(&fam->teacher, te, sizeof te);
        fprintf(f, "### %s, %s %s <- %s, %s\n\n| class | id |", P->array, arch, s, te, task);
        for (int c = 0; c < P->n_cols; c++) {
            char label[600], cell[700];
            ak_rep_group_label(t, P->cols[c], label, sizeof label);
            snprintf(cell, sizeof cell, "%s [%d]", label, t->groups[P->cols[c]].ref);
            md_cell(f, cell);
        }
        fputs("\n|---|---|", f);
        for (int c = 0; c < P->n_cols; c++)
            fputs("---|", f);
        fputs("\n", f);
        for (int64_t j = 0; j < P->n_classes; j++) {
            char name[64], v[32];
            ak_rep_class_name(fam, P->ids[j], name, sizeof name);
            fprintf(f, "| %s | %lld |", name, (long long)P->ids[j]);
            for (int c = 0; c < P->n_cols; c++) {
                ak_rep_fmt_value(v, sizeof v, P->cells[j * P->n_cols + c].mean, AK_STYLE_MD);
                md_cell(f, v);
            }
            fputs("\n", f);
        }
        fputs("\n", f);
    }
}

static void figures(FILE *f, const ak_report_doc *d) {
    if (d->n_figures == 0)
        return;
    fprintf(f, "## Plots\n\n");
    for (int i = 0; i < d->n_figures; i++) {
        fprintf(f, "![");
        ak_rep_md(f, d->figures[i].caption);
        const ak_report_figure *g = &d->figures[i];
        fprintf(f, "](%s.%s)", g->base, g->png ? "png" : "svg");
        if (g->png && g->svg)
            fprintf(f, " ([SVG](%s.svg))", g->base);
        fputs("\n\n", f);
    }
}

static void runs_table(FILE *f, const ak_report_tables *t) {
    const ak_report_sweep *s = t->sweep;
    fprintf(f, "## Runs\n\nEvery run file of the folder (and every run results.h5 lists), counted or not.\n\n"
               "| file | run id | state | status | seed | source | iterations | final step | metric | note |\n"
               "|---|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < s->n_runs; i++) {
        const ak_report_run *r = &s->runs[i];
        int g = ak_report_group_of_run(t, i);
        char src[32] = "—", seed[32] = "—", it[32] = "—", step[32] = "—", metric[64] = "—", note[1400] = "";
        if (g >= 0 && t->groups[g].ref > 0)
            snprintf(src, sizeof src, "[%d]", t->groups[g].ref);
        if (r->config) {
            snprintf(seed, sizeof seed, "%lld", (long long)r->seed);
            snprintf(it, sizeof it, "%lld/%lld", (long long)(r->last_iter + 1), (long long)r->max_iters);
        }
        if (r->final_step >= 0)
            snprintf(step, sizeof step, "%lld", (long long)r->final_step);
        if (!isnan(r->metric))
            snprintf(metric, sizeof metric, "%s %.10g", r->metric_name, r->metric);
        if (r->error)
            snprintf(note, sizeof note, "%s", r->error);
        else if (r->state == AK_RR_DUPLICATE)
            snprintf(note, sizeof note, "same experiment and seed as %s (counted once)", s->runs[r->duplicate_of].file);
        else if (r->is_teacher)
            snprintf(note, sizeof note, "teacher of other runs");
        fputs("|", f);
        const char *cells[] = {r->file, r->run_id[0] ? r->run_id : "—", ak_report_state_name(r->state),
                               r->status && r->status[0] ? r->status : "—", seed, src, it, step, metric, note};
        for (int c = 0; c < 10; c++)
            md_cell(f, cells[c]);
        fputs("\n", f);
    }
    fputs("\n", f);
}

static void notes(FILE *f, const ak_report_sweep *s) {
    if (s->n_notes == 0 && !s->index_error)
        return;
    fprintf(f, "## Notes\n\n");
    if (s->index_error)
        fprintf(f, "- results.h5 could not be read: %s\n", s->index_error);
    for (int i = 0; i < s->n_notes; i++) {
        fprintf(f, "- ");
        ak_rep_md(f, s->notes[i]);
        fputs("\n", f);
    }
    fputs("\n", f);
}

static void sources(FILE *f, const ak_report_tables *t) {
    const ak_report_sweep *s = t->sweep;
    fprintf(f, "## Sources\n\nEach number above is the mean (± sample std) of the final metric of the runs "
               "listed here (value as stored, a fraction), over the runs marked counted.\n\n");
    for (int k = 0; k < t->n_sources; k++) {
        int g = t->source_group[k];
        if (g < 0) {
            const ak_report_run *r = &s->runs[t->rows[t->source_row[k]].teacher_eval_run];
            fprintf(f, "**[%d]** teacher: its own evaluation recorded in `%s` (run `%s`, /teacher_eval): %s %.10g\n\n",
                    k + 1, r->file, r->run_id, r->metric_name, r->teacher_metric);
            continue;
        }
        const ak_report_group *G = &t->groups[g];
        char label[600], stat[96];
        ak_rep_group_label(t, g, label, sizeof label);
        ak_rep_fmt_stat(stat, sizeof stat, G->stat, ak_rep_group_total(t, g), 0, AK_STYLE_MD);
        const ak_report_run *rep = &s->runs[G->rep];
        char net[64], arch[32], task[96];
        ak_report_net_label(&rep->student, net, sizeof net);
        ak_report_arch_label(rep->student.arch, arch, sizeof arch);
        ak_report_family fam;
        memset(&fam, 0, sizeof fam);
        memcpy(fam.task, rep->task, sizeof fam.task);
        memcpy(fam.dataset, rep->dataset, sizeof fam.dataset);
        fam.synthetic = rep->synthetic;
        ak_report_task_label(&fam, task, sizeof task);
        fprintf(f, "**[%d]** ", k + 1);
        ak_rep_md(f, label);
        fprintf(f, " — trained network %s %s, %s: %s %s\n\n", arch, net, task, rep->metric_name, stat);
        for (int i = 0; i < G->n_runs; i++) {
            const ak_report_run *r = &s->runs[G->runs[i]];
            fprintf(f, "- seed %lld: ", (long long)r->seed);
            if (r->state == AK_RR_COMPLETE)
                fprintf(f, "%s %.10g, counted", r->metric_name, r->metric);
            else if (r->state == AK_RR_DUPLICATE)
                fprintf(f, "%s %.10g, not counted (same experiment as `%s`)", r->metric_name, r->metric,
                        s->runs[r->duplicate_of].file);
            else
                fprintf(f, "not counted: %s (status %s, %lld of %lld iterations)", ak_report_state_name(r->state),
                        r->status, (long long)(r->last_iter + 1), (long long)r->max_iters);
            fprintf(f, " — `%s`, run `%s`\n", r->file, r->run_id);
        }
        fputs("\n", f);
    }
}

int ak_report_write_md_table(const ak_report_doc *d, const char *path, ak_error *err) {
    FILE *f;
    AK_TRY(ak_rep_open(&f, path, err));
    fprintf(f, "Main table of `%s` (x100, mean ± sample std over seeds; sources and every run in report.md).\n\n",
            d->t->sweep->dir);
    main_table(f, d->t);
    return ak_rep_close(f, path, err);
}

int ak_report_write_md(const ak_report_doc *d, const char *path, ak_error *err) {
    const ak_report_tables *t = d->t;
    const ak_report_sweep *s = t->sweep;
    FILE *f;
    AK_TRY(ak_rep_open(&f, path, err));
    int counted = 0;
    for (int i = 0; i < s->n_runs; i++)
        counted += s->runs[i].state == AK_RR_COMPLETE;
    fprintf(f, "# akdbench report: %s\n\n", s->dir);
    fprintf(f, "Built from the run files of `%s` only: %d runs, %d counted (complete), %d not counted; "
               "results.h5 %s.\n", s->dir, s->n_runs, counted, s->n_runs - counted,
            s->has_index ? "cross-checked" : s->index_error ? "unreadable (see Notes)" : "absent");
    fprintf(f, "Metrics x100 as mean ± sample std over seeds (n = seeds counted, \"of\" = runs found); "
               "Δ = w/ − w/o Avatars, per seed when both sides ran the same seeds (else \"unpaired\": difference of the means, std sqrt(s_w/o² + s_w/²)). [k] = sources, at the end.\n\n");
    main_table(f, t);
    ablation_tables(f, t);
    ak_report_capacity_md(f, d->capacity, d->n_capacity);
    per_class_tables(f, d);
    figures(f, d);
    runs_table(f, t);
    notes(f, s);
    sources(f, t);
    return ak_rep_close(f, path, err);
}
