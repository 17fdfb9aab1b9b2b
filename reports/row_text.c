/* The text of main-table rows and ablation titles, shared by the Markdown and LaTeX writers, and
 * checked file output (see writers.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reports/writers.h"

int ak_rep_open(FILE **f, const char *path, ak_error *err) {
    if (!(*f = fopen(path, "w")))
        return ak_error_set(err, AK_EIO, "%s: cannot write the report (%s)", path, strerror(errno));
    return AK_OK;
}

int ak_rep_close(FILE *f, const char *path, ak_error *err) {
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return ak_error_set(err, AK_EIO, "%s: writing the report failed (%s)", path, strerror(errno));
    return AK_OK;
}

static void side(const ak_report_tables *t, int g, ak_rep_style style, char *buf, size_t len) {
    if (g < 0)
        snprintf(buf, len, "%s", style == AK_STYLE_TEX ? "--" : "—");
    else
        ak_rep_fmt_stat(buf, len, t->groups[g].stat, ak_rep_group_total(t, g), 0, style);
}

void ak_rep_row_text_of(const ak_report_tables *t, int row, ak_rep_style style, ak_rep_row_text *o) {
    const ak_report_row *r = &t->rows[row];
    const ak_report_family *f = &t->families[r->family];
    const char *dash = style == AK_STYLE_TEX ? "--" : "—";
    memset(o, 0, sizeof *o);
    ak_report_task_label(f, o->task, sizeof o->task);
    ak_report_arch_label(f->student.arch, o->model, sizeof o->model);
    ak_report_net_label(&f->student, o->student, sizeof o->student);
    char tnet[64], tarch[32];
    ak_report_net_label(&f->teacher, tnet, sizeof tnet);
    ak_report_arch_label(f->teacher.arch, tarch, sizeof tarch);
    if (strcmp(f->teacher.arch, f->student.arch) != 0)
        snprintf(o->teacher, sizeof o->teacher, "%s %s", tarch, tnet);
    else
        snprintf(o->teacher, sizeof o->teacher, "%s", tnet);
    ak_report_row_label(r, o->distiller, sizeof o->distiller);
    snprintf(o->inherit, sizeof o->inherit, "%s", r->inherit[0] ? r->inherit : "none");
    snprintf(o->metric, sizeof o->metric, "%s", f->metric);
    if (r->kind == AK_ROW_TEACHER) {
        snprintf(o->model, sizeof o->model, "%s", tarch);
        snprintf(o->student, sizeof o->student, "%s", dash);
        snprintf(o->inherit, sizeof o->inherit, "%s", dash);
    } else if (r->kind == AK_ROW_STUDENT) {
        snprintf(o->teacher, sizeof o->teacher, "%s", dash);
    }
    if (r->teacher_eval_run >= 0) {
        ak_stat s = {1, t->sweep->runs[r->teacher_eval_run].teacher_metric, NAN};
        ak_rep_fmt_stat(o->off, sizeof o->off, s, 0, 0, style);
    } else {
        side(t, r->off, style, o->off, sizeof o->off);
    }
    side(t, r->on, style, o->on, sizeof o->on);
    if (r->off >= 0 && r->on >= 0) {
        ak_rep_fmt_stat(o->delta, sizeof o->delta, r->delta, 0, 1, style);
        size_t n = strlen(o->delta);
        if (!r->paired && n > 0 && o->delta[n - 1] == ')' && n + 10 < sizeof o->delta)
            memcpy(o->delta + n - 1, ", unpaired)", 12); /* the two sides ran different seeds */
    } else
        snprintf(o->delta, sizeof o->delta, "%s", dash);
    size_t n = 0;
    int refs[3] = {r->ref, r->off >= 0 ? t->groups[r->off].ref : 0, r->on >= 0 ? t->groups[r->on].ref : 0};
    for (int k = 0; k < 3; k++)
        if (refs[k] > 0 && n < sizeof o->sources)
            n += (size_t)snprintf(o->sources + n, sizeof o->sources - n, "%s[%d]", n ? " " : "", refs[k]);
}

void ak_rep_ablation_title(const ak_report_tables *t, int ablation, char *buf, size_t len) {
    const ak_report_ablation *a = &t->ablations[ablation];
    const ak_report_family *f = &t->families[a->family];
    char m[32], arch[32], s[64], te[64], task[96];
    ak_report_method_label(a->method, m, sizeof m);
    ak_report_arch_label(f->student.arch, arch, sizeof arch);
    ak_report_net_label(&f->student, s, sizeof s);
    ak_report_net_label(&f->teacher, te, sizeof te);
    ak_report_task_label(f, task, sizeof task);
    size_t n = (size_t)snprintf(buf, len, "%s, %s %s <- %s, %s%s%s: ", m, arch, s, te, task,
                                strcmp(a->inherit, "none") ? ", inherit " : "", strcmp(a->inherit, "none") ? a->inherit : "");
    for (int k = 0; k < a->n_keys && n < len; k++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", k ? " x " : "", a->keys[k]);
}
