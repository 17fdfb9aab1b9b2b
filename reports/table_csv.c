/* The CSV report files (see writers.h): long format, one line per number, config names instead of
 * display names, stored fractions at full precision (%.17g reads back to the same double), and the
 * run ids and files behind every number. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reports/strbuf.h"
#include "reports/writers.h"

static void num(FILE *f, double v) {
    if (isnan(v))
        fputs("", f);
    else
        fprintf(f, "%.17g", v);
}

/* "id1;id2" and "file1;file2" of the counted runs of group g. */
static void group_runs(FILE *f, const ak_report_tables *t, int g) {
    ak_sb ids = {0}, files = {0};
    if (g >= 0)
        for (int k = 0; k < t->groups[g].n_used; k++) {
            const ak_report_run *r = &t->sweep->runs[t->groups[g].used[k]];
            ak_sb_appendf(&ids, "%s%s", k ? ";" : "", r->run_id);
            ak_sb_appendf(&files, "%s%s", k ? ";" : "", r->file);
        }
    ak_rep_csv(f, ak_sb_str(&ids));
    fputc(',', f);
    ak_rep_csv(f, ak_sb_str(&files));
    ak_sb_free(&ids);
    ak_sb_free(&files);
}

static void stat_cols(FILE *f, ak_stat s, int n_runs) {
    fprintf(f, "%d,%d,", s.n, n_runs);
    num(f, s.mean);
    fputc(',', f);
    num(f, s.std);
}

static void family_cols(FILE *f, const ak_report_family *F) {
    fprintf(f, "%s,%s,%d,%s,%s,%g,%s,%s,%g,", F->task, F->dataset, F->synthetic, F->student.arch,
            F->student.backbone, F->student.width, F->teacher.arch, F->teacher.backbone, F->teacher.width);
}

static const char *kind_name(ak_report_row_kind k) {
    return k == AK_ROW_TEACHER ? "teacher" : k == AK_ROW_STUDENT ? "student" : "distill";
}

static void main_line(FILE *f, const ak_report_tables *t, int i, const char *side, int g) {
    const ak_report_row *r = &t->rows[i];
    const ak_report_family *F = &t->families[r->family];
    fprintf(f, "%d,", i + 1);
    family_cols(f, F);
    fprintf(f, "%s,%s,%s,", kind_name(r->kind), r->method, r->inherit);
    ak_rep_csv(f, r->variant);
    fprintf(f, ",%s,%s,", side, F->metric);
    if (strcmp(side, "delta") == 0) {
        stat_cols(f, r->delta, r->delta.n);
        fprintf(f, ",%d,,,[%d] [%d]\n", r->paired, t->groups[r->off].ref, t->groups[r->on].ref);
    } else if (g < 0) { /* teacher from a /teacher_eval */
        const ak_report_run *run = &t->sweep->runs[r->teacher_eval_run];
        stat_cols(f, (ak_stat){1, run->teacher_metric, NAN}, 1);
        fprintf(f, ",,%s,%s,[%d]\n", run->run_id, run->file, r->ref);
    } else {
        stat_cols(f, t->groups[g].stat, ak_rep_group_total(t, g));
        fputs(",,", f);
        group_runs(f, t, g);
        fprintf(f, ",[%d]\n", t->groups[g].ref);
    }
}

static int write_main(const ak_report_tables *t, const char *path, ak_error *err) {
    FILE *f;
    AK_TRY(ak_rep_open(&f, path, err));
    fputs("row,task,dataset,synthetic,student_arch,student_backbone,student_width,teacher_arch,teacher_backbone,"
          "teacher_width,kind,method,inherit,variant,side,metric,n,n_runs,mean,std,paired,run_ids,files,sources\n", f);
    for (int i = 0; i < t->n_rows; i++) {
        const ak_report_row *r = &t->rows[i];
        if (r->kind == AK_ROW_TEACHER)
            main_line(f, t, i, "teacher", r->off);
        else if (r->kind == AK_ROW_STUDENT)
            main_line(f, t, i, "student", r->off);
        else {
            if (r->off >= 0)
                main_line(f, t, i, "without", r->off);
            if (r->on >= 0)
                main_line(f, t, i, "with", r->on);
            if (r->off >= 0 && r->on >= 0)
                main_line(f, t, i, "delta", -1);
        }
    }
    return ak_rep_close(f, path, err);
}

static int write_ablation(const ak_report_tables *t, int a, const char *path, ak_error *err) {
    const ak_report_ablation *A = &t->ablations[a];
    FILE *f;
    AK_TRY(ak_rep_open(&f, path, err));
    for (int k = 0; k < A->n_keys; k++) {
        ak_rep_csv(f, A->keys[k]);
        fputc(',', f);
    }
    fputs("side,metric,n,n_runs,mean,std,paired,run_ids,files,sources\n", f);
    for (int i = 0; i < A->n_rows; i++) {
        const ak_report_row *r = &t->rows[A->rows[i]];
        const char *sides[3] = {"without", "with", "delta"};
        int groups[3] = {r->off, r->on, -1};
        for (int s = 0; s < 3; s++) {
            if ((s < 2 && groups[s] < 0) || (s == 2 && (r->off < 0 || r->on < 0)))
                continue;
            for (int k = 0; k < A->n_keys; k++) {
                ak_rep_csv(f, A->values[i * A->n_keys + k]);
                fputc(',', f);
            }
            fprintf(f, "%s,%s,", sides[s], t->families[r->family].metric);
            if (s == 2) {
                stat_cols(f, r->delta, r->delta.n);
                fprintf(f, ",%d,,,[%d] [%d]\n", r->paired, t->groups[r->off].ref, t->groups[r->on].ref);
            } else {
                stat_cols(f, t->groups[groups[s]].stat, ak_rep_group_total(t, groups[s]));
                fputs(",,", f);
                group_runs(f, t, groups[s]);
                fprintf(f, ",[%d]\n", t->groups[groups[s]].ref);
            }
        }
    }
    return ak_rep_close(f, path, err);
}

static int write_per_class(const ak_report_doc *d, const char *path, ak_error *err) {
    const ak_report_tables *t = d->t;
    FILE *f;
    AK_TRY(ak_rep_open(&f, path, err));
    fputs("task,dataset,synthetic,student_arch,student_backbone,student_width,teacher_arch,teacher_backbone,"
          "teacher_width,array,class_id,class_name,column,n,n_runs,mean,std,sources\n", f);
    for (int p = 0; p < d->n_per_class; p++) {
        const ak_rep_per_class *P = &d->per_class[p];
        const ak_report_family *F = &t->families[P->family];
        for (int64_t j = 0; j < P->n_classes; j++)
            for (int c = 0; c < P->n_cols; c++) {
                char name[64], label[600];
                ak_rep_class_name(F, P->ids[j], name, sizeof name);
                ak_rep_group_label(t, P->cols[c], label, sizeof label);
                family_cols(f, F);
                ak_rep_csv(f, P->array);
                fprintf(f, ",%lld,", (long long)P->ids[j]);
                ak_rep_csv(f, name);
                fputc(',', f);
                ak_rep_csv(f, label);
                fputc(',', f);
                stat_cols(f, P->cells[j * P->n_cols + c], ak_rep_group_total(t, P->cols[c]));
                fprintf(f, ",[%d]\n", t->groups[P->cols[c]].ref);
            }
    }
    return ak_rep_close(f, path, err);
}

static int write_runs(const ak_report_tables *t, const char *path, ak_error *err) {
    const ak_report_sweep *s = t->sweep;
    FILE *f;
    AK_TRY(ak_rep_open(&f, path, err));
    fputs("file,name,run_id,state,status,seed,source,task,method,avatars,teacher_run,last_iter,max_iters,"
          "final_step,metric_name,metric,index_metric,note\n", f);
    for (int i = 0; i < s->n_runs; i++) {
        const ak_report_run *r = &s->runs[i];
        int g = ak_report_group_of_run(t, i);
        ak_rep_csv(f, r->file);
        fputc(',', f);
        ak_rep_csv(f, r->name);
        fprintf(f, ",%s,", r->run_id);
        ak_rep_csv(f, ak_report_state_name(r->state));
        fputc(',', f);
        ak_rep_csv(f, r->status ? r->status : "");
        if (r->config)
            fprintf(f, ",%lld,", (long long)r->seed);
        else
            fputs(",,", f);
        if (g >= 0 && t->groups[g].ref > 0)
            fprintf(f, "[%d]", t->groups[g].ref);
        fprintf(f, ",%s,%s,%d,%d,%lld,%lld,%lld,%s,", r->config ? r->task : "", r->config ? r->method : "",
                r->avatars, r->is_teacher, (long long)r->last_iter, (long long)r->max_iters,
                (long long)r->final_step, r->metric_name);
        num(f, r->metric);
        fputc(',', f);
        num(f, r->index_metric);
        fputc(',', f);
        if (r->error)
            ak_rep_csv(f, r->error);
        else if (r->state == AK_RR_DUPLICATE)
            ak_rep_csv(f, s->runs[r->duplicate_of].file);
        fputc('\n', f);
    }
    return ak_rep_close(f, path, err);
}

int ak_report_write_csv(const ak_report_doc *d, const char *dir, ak_error *err) {
    char path[4200];
    snprintf(path, sizeof path, "%s/main.csv", dir);
    AK_TRY(write_main(d->t, path, err));
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    AK_TRY(write_runs(d->t, path, err));
    snprintf(path, sizeof path, "%s/per_class.csv", dir);
    AK_TRY(write_per_class(d, path, err));
    for (int a = 0; a < d->t->n_ablations; a++) {
        snprintf(path, sizeof path, "%s/ablation_%d.csv", dir, a + 1);
        AK_TRY(write_ablation(d->t, a, path, err));
    }
    return ak_report_capacity_csv(dir, d->capacity, d->n_capacity, err);
}
