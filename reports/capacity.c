/* Avatar-capacity tables of a report; see capacity.h. */
#include "reports/capacity.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports/format.h"
#include "reports/strbuf.h"
#include "reports/writers.h"

#define SUFFIX ".capacity.json"

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* c->error = "FILE: problem"; AK_ENOMEM only. */
static int bad(ak_report_capacity *c, const char *path, const char *what, ak_error *err) {
    ak_sb sb = {0};
    ak_sb_appendf(&sb, "%s: %s", path, what);
    c->error = dup_str(ak_sb_str(&sb));
    ak_sb_free(&sb);
    return c->error ? AK_OK : ak_error_set(err, AK_ENOMEM, "report: out of memory");
}

static bool get_str(json_t *o, const char *key, char *out, size_t len) {
    const char *s = json_string_value(json_object_get(o, key));
    if (!s)
        return false;
    snprintf(out, len, "%s", s);
    return true;
}

int ak_report_capacity_read(const char *path, ak_report_capacity *c, ak_error *err) {
    memset(c, 0, sizeof *c);
    const char *base = strrchr(path, '/');
    c->file = dup_str(base ? base + 1 : path);
    if (!c->file)
        return ak_error_set(err, AK_ENOMEM, "report: out of memory");
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        char what[256];
        snprintf(what, sizeof what, "not a capacity table: %s (line %d)", je.text, je.line);
        return bad(c, path, what, err);
    }
    char fmt[32] = "", msg[256] = "";
    json_t *rows = json_object_get(root, "rows"), *taps = json_object_get(root, "taps");
    if (!get_str(root, "format", fmt, sizeof fmt) || strcmp(fmt, "akdbench-capacity") != 0)
        snprintf(msg, sizeof msg,
                 "\"format\" is not \"akdbench-capacity\" (write it with `akdbench avatars eval --json`)");
    else if (json_integer_value(json_object_get(root, "version")) != 1)
        snprintf(msg, sizeof msg, "\"version\" %lld, this report reads version 1",
                 (long long)json_integer_value(json_object_get(root, "version")));
    else if (!get_str(root, "task", c->task, sizeof c->task) || !get_str(root, "metric", c->metric, sizeof c->metric) ||
             !get_str(root, "metric2", c->metric2, sizeof c->metric2) ||
             !get_str(root, "perturb", c->perturb, sizeof c->perturb) || !json_is_array(rows) ||
             json_array_size(rows) < 1 || !json_is_array(taps))
        snprintf(msg, sizeof msg, "missing task, metric, metric2, perturb, taps or rows");
    if (msg[0]) {
        json_decref(root);
        return bad(c, path, msg, err);
    }
    get_str(root, "arch", c->arch, sizeof c->arch);
    get_str(root, "backbone", c->backbone, sizeof c->backbone);
    c->width = json_number_value(json_object_get(root, "width"));
    c->seed = (uint64_t)json_integer_value(json_object_get(root, "seed"));
    c->images = json_integer_value(json_object_get(root, "images"));
    const char *teacher = json_string_value(json_object_get(root, "teacher")),
               *head = json_string_value(json_object_get(root, "head"));
    ak_sb tl = {0};
    for (size_t i = 0; i < json_array_size(taps); i++) {
        const char *tap = json_string_value(json_array_get(taps, i));
        ak_sb_appendf(&tl, "%s%s", i ? ", " : "", tap ? tap : "?");
    }
    c->teacher = dup_str(teacher ? teacher : "");
    c->head = dup_str(head ? head : "");
    c->taps = dup_str(ak_sb_str(&tl));
    ak_sb_free(&tl);
    c->n_rows = (int)json_array_size(rows);
    c->rows = calloc((size_t)c->n_rows, sizeof *c->rows);
    if (!c->teacher || !c->head || !c->taps || !c->rows) {
        json_decref(root);
        return ak_error_set(err, AK_ENOMEM, "report: out of memory");
    }
    for (int r = 0; r < c->n_rows && !msg[0]; r++) {
        json_t *row = json_array_get(rows, (size_t)r);
        json_t *k = json_object_get(row, "k"), *p = json_object_get(row, "p"), *m = json_object_get(row, c->metric),
               *m2 = json_object_get(row, c->metric2), *d = json_object_get(row, "detections");
        if (!json_is_integer(k) || !json_is_number(p) || !json_is_number(m) || !json_is_number(m2))
            snprintf(msg, sizeof msg, "rows[%d]: expected k, p, %s and %s", r, c->metric, c->metric2);
        else if ((r == 0) != (json_integer_value(k) == 0))
            snprintf(msg, sizeof msg, "rows[%d]: the vanilla row (k 0) must come first, and only once", r);
        else
            c->rows[r] = (ak_report_capacity_row){(int)json_integer_value(k), json_number_value(p),
                                                  json_number_value(m), json_number_value(m2),
                                                  json_is_integer(d) ? json_integer_value(d) : -1};
    }
    json_decref(root);
    return msg[0] ? bad(c, path, msg, err) : AK_OK;
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const ak_report_capacity *)a)->file, ((const ak_report_capacity *)b)->file);
}

int ak_report_capacity_collect(const char *dir, ak_report_capacity **out, int *n, ak_error *err) {
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return ak_error_set(err, AK_EIO, "%s: cannot list the folder (%s)", dir, strerror(errno));
    int rc = AK_OK, cap = 0;
    struct dirent *e;
    const size_t ls = strlen(SUFFIX);
    while (rc == AK_OK && (e = readdir(d))) {
        const size_t len = strlen(e->d_name);
        if (len <= ls || strcmp(e->d_name + len - ls, SUFFIX) != 0)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 4;
            ak_report_capacity *p = realloc(*out, (size_t)cap * sizeof *p);
            if (!p) {
                rc = ak_error_set(err, AK_ENOMEM, "report: out of memory");
                break;
            }
            *out = p;
        }
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        rc = ak_report_capacity_read(path, &(*out)[*n], err);
        (*n)++;
    }
    closedir(d);
    if (rc == AK_OK && *n > 1)
        qsort(*out, (size_t)*n, sizeof **out, by_name);
    if (rc != AK_OK) {
        ak_report_capacity_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

void ak_report_capacity_free(ak_report_capacity *c, int n) {
    for (int i = 0; c && i < n; i++) {
        free(c[i].file);
        free(c[i].error);
        free(c[i].teacher);
        free(c[i].taps);
        free(c[i].head);
        free(c[i].rows);
    }
    free(c);
}

/* "RetinaNet R18 x0.5 teacher (neck.p3, ...; dropout avatars, 64 images, seed 0)" */
static void title(const ak_report_capacity *c, char *buf, size_t len) {
    char arch[32], net[64];
    ak_report_arch_label(c->arch, arch, sizeof arch);
    ak_report_net n = {{0}, {0}, c->width, false};
    snprintf(n.arch, sizeof n.arch, "%s", c->arch);
    snprintf(n.backbone, sizeof n.backbone, "%s", c->backbone);
    ak_report_net_label(&n, net, sizeof net);
    snprintf(buf, len, "%s %s teacher, %s: %s avatars of %s, %lld images, seed %llu (`%s`)", arch, net,
             strcmp(c->task, "det") ? "segmentation" : "detection", c->perturb, c->taps, (long long)c->images,
             (unsigned long long)c->seed, c->file);
}

/* Cells of row r: p, K, metric, metric2, delta (x100); detections in det_cell ("" without). */
static void cells(const ak_report_capacity *c, int r, ak_rep_style style, char (*out)[48], char *det_cell) {
    const ak_report_capacity_row *w = &c->rows[r];
    if (r == 0) {
        snprintf(out[0], 48, "%s", style == AK_STYLE_TEX ? "--" : "-");
        snprintf(out[1], 48, "vanilla");
        snprintf(out[4], 48, "%s", style == AK_STYLE_TEX ? "--" : "-");
    } else {
        snprintf(out[0], 48, "%g", w->p);
        snprintf(out[1], 48, "%d", w->k);
        snprintf(out[4], 48, "%+.*f", AK_REPORT_DECIMALS, AK_REPORT_SCALE * (w->metric - c->rows[0].metric));
    }
    ak_rep_fmt_value(out[2], 48, w->metric, style);
    ak_rep_fmt_value(out[3], 48, w->metric2, style);
    if (w->detections >= 0)
        snprintf(det_cell, 32, "%lld", (long long)w->detections);
    else
        det_cell[0] = '\0';
}

void ak_report_capacity_md(FILE *f, const ak_report_capacity *c, int n) {
    if (n == 0)
        return;
    fprintf(f, "## Avatar capacity\n\nThe teacher evaluated with K avatars of its distilled features (head outputs "
               "averaged over K) against the vanilla teacher (x100; `akdbench avatars eval`, one table per "
               "*.capacity.json of the folder).\n\n");
    for (int i = 0; i < n; i++) {
        if (c[i].error) {
            fprintf(f, "### `%s`\n\nunreadable: ", c[i].file);
            ak_rep_md(f, c[i].error);
            fputs("\n\n", f);
            continue;
        }
        char t[1024];
        title(&c[i], t, sizeof t);
        fputs("### ", f);
        ak_rep_md(f, t);
        const bool det = c[i].rows[0].detections >= 0;
        fprintf(f, "\n\n| p | K | %s | %s | %s − vanilla |%s\n|---|---|---|---|---|%s\n", c[i].metric, c[i].metric2,
                c[i].metric, det ? " detections |" : "", det ? "---|" : "");
        for (int r = 0; r < c[i].n_rows; r++) {
            char x[5][48], dc[32];
            cells(&c[i], r, AK_STYLE_MD, x, dc);
            fprintf(f, "| %s | %s | %s | %s | %s |", x[0], x[1], x[2], x[3], x[4]);
            if (det)
                fprintf(f, " %s |", dc);
            fputc('\n', f);
        }
        fputc('\n', f);
    }
}

void ak_report_capacity_tex(FILE *f, const ak_report_capacity *c, int n) {
    for (int i = 0; i < n; i++) {
        if (c[i].error)
            continue;
        char t[1024];
        title(&c[i], t, sizeof t);
        fputs("\\begin{table}[t]\n\\centering\\small\n\\caption{Avatar capacity (x100; head outputs averaged over K): ",
              f);
        ak_rep_tex(f, t);
        fputs(".}\n\\begin{tabular}{llrrr}\n\\toprule\n$p$ & $K$ & ", f);
        ak_rep_tex(f, c[i].metric);
        fputs(" & ", f);
        ak_rep_tex(f, c[i].metric2);
        fputs(" & $\\Delta$ \\\\\n\\midrule\n", f);
        for (int r = 0; r < c[i].n_rows; r++) {
            char x[5][48], dc[32];
            cells(&c[i], r, AK_STYLE_TEX, x, dc);
            fprintf(f, "%s & %s & %s & %s & %s \\\\\n", x[0], x[1], x[2], x[3], x[4]);
            if (r == 0)
                fputs("\\midrule\n", f);
        }
        fputs("\\bottomrule\n\\end{tabular}\n\\end{table}\n\n", f);
    }
}

static void num(FILE *f, double v) {
    if (!isnan(v))
        fprintf(f, "%.17g", v);
}

int ak_report_capacity_csv(const char *dir, const ak_report_capacity *c, int n, ak_error *err) {
    if (n == 0)
        return AK_OK;
    char path[4200];
    snprintf(path, sizeof path, "%s/capacity.csv", dir);
    FILE *f;
    AK_TRY(ak_rep_open(&f, path, err));
    fputs("file,task,arch,backbone,width,teacher,taps,perturb,seed,images,metric,metric2,k,p,value,value2,"
          "detections\n",
          f);
    for (int i = 0; i < n; i++)
        for (int r = 0; !c[i].error && r < c[i].n_rows; r++) {
            const ak_report_capacity_row *w = &c[i].rows[r];
            ak_rep_csv(f, c[i].file);
            fprintf(f, ",%s,%s,%s,%.17g,", c[i].task, c[i].arch, c[i].backbone, c[i].width);
            ak_rep_csv(f, c[i].teacher);
            fputc(',', f);
            ak_rep_csv(f, c[i].taps);
            fprintf(f, ",%s,%llu,%lld,%s,%s,%d,%.9g,", c[i].perturb, (unsigned long long)c[i].seed,
                    (long long)c[i].images, c[i].metric, c[i].metric2, w->k, w->p);
            num(f, w->metric);
            fputc(',', f);
            num(f, w->metric2);
            fputc(',', f);
            if (w->detections >= 0)
                fprintf(f, "%lld", (long long)w->detections);
            fputc('\n', f);
        }
    return ak_rep_close(f, path, err);
}
