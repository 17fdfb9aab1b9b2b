/* Feature heatmaps (see figures.h), like the AKD paper's visualisation: for one run per experiment
 * that stored /features, at its last stored step and for each feature level, a grid with one row per
 * sampled image (at most AK_FEAT_IMAGES) and one column per role (teacher, avatar_0, avatar_1, ...,
 * student); each panel is the channel mean of |x|, scaled to its own min..max. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/figures.h"
#include "store/runfile.h"

#define AK_FEAT_IMAGES 4
#define AK_FEAT_ROLES 10
#define AK_PANEL 150.0

void ak_rep_feature_heat(const float *x, const int64_t shape[4], int64_t n, float *out) {
    int64_t C = shape[1], HW = shape[2] * shape[3];
    const float *base = x + n * C * HW;
    for (int64_t i = 0; i < HW; i++) {
        double s = 0.0; /* double: C can be 2048 and the mean should not depend on float rounding */
        for (int64_t c = 0; c < C; c++)
            s += fabs((double)base[c * HW + i]);
        out[i] = (float)(s / (double)C);
    }
}

typedef struct panel {
    float *heat; /* (h * w) */
    int64_t h, w;
    float lo, hi;
} panel;

typedef struct feat_plot {
    char title[700];
    int n_roles, n_images;
    const char *roles[AK_FEAT_ROLES];
    panel p[AK_FEAT_IMAGES][AK_FEAT_ROLES];
} feat_plot;

static int draw(ak_plot *p, const void *vctx, ak_error *err) {
    const feat_plot *c = vctx;
    ak_plot_text(p, 20, 24, 14, c->title);
    for (int j = 0; j < c->n_roles; j++)
        ak_plot_text(p, 80 + j * (AK_PANEL + 20), 56, 12, c->roles[j]);
    for (int i = 0; i < c->n_images; i++) {
        char lab[32];
        snprintf(lab, sizeof lab, "image %d", i);
        ak_plot_text(p, 10, 70 + i * (AK_PANEL + 34) + AK_PANEL / 2, 12, lab);
        for (int j = 0; j < c->n_roles; j++) {
            const panel *q = &c->p[i][j];
            if (!q->heat)
                continue;
            double aspect = (double)q->h / (double)q->w, w = AK_PANEL, h = AK_PANEL * aspect;
            if (h > AK_PANEL) {
                h = AK_PANEL;
                w = AK_PANEL / aspect;
            }
            double x = 80 + j * (AK_PANEL + 20), y = 66 + i * (AK_PANEL + 34);
            ak_plot_heatmap(p, x, y, w, h, q->heat, (int)q->h, (int)q->w, q->lo, q->hi);
            char range[64];
            snprintf(range, sizeof range, "[%.3g, %.3g]", q->lo, q->hi);
            ak_plot_text(p, x, y + h + 14, 10, range);
        }
    }
    return AK_OK;
}

/* teacher first, then avatars by index, then student, then anything else by name */
static int role_rank(const char *r) {
    if (strcmp(r, "teacher") == 0)
        return 0;
    if (strncmp(r, "avatar_", 7) == 0)
        return 1 + atoi(r + 7);
    if (strcmp(r, "student") == 0)
        return 100000;
    return 200000;
}

static void free_plot(feat_plot *c) {
    for (int i = 0; i < AK_FEAT_IMAGES; i++)
        for (int j = 0; j < AK_FEAT_ROLES; j++)
            free(c->p[i][j].heat);
}

static int level_figure(ak_run *run, const ak_report_run *r, int64_t step, char **roles, int n_roles,
                        const char *level, const char *out_dir, bool png, bool svg, ak_report_figures *figs,
                        ak_error *err) {
    feat_plot c;
    memset(&c, 0, sizeof c);
    int rc = AK_OK;
    for (int j = 0; rc == AK_OK && j < n_roles && c.n_roles < AK_FEAT_ROLES; j++) {
        int64_t shape[4];
        float *data = NULL;
        ak_error e;
        ak_error_clear(&e);
        if (ak_run_read_features(run, step, roles[j], level, shape, &data, &e) != AK_OK)
            continue; /* this role has no map at this level */
        int col = c.n_roles++;
        c.roles[col] = roles[j];
        int64_t n_img = shape[0] < AK_FEAT_IMAGES ? shape[0] : AK_FEAT_IMAGES;
        if (n_img > c.n_images)
            c.n_images = (int)n_img;
        for (int64_t i = 0; rc == AK_OK && i < n_img; i++) {
            panel *q = &c.p[i][col];
            q->h = shape[2];
            q->w = shape[3];
            if (!(q->heat = malloc((size_t)(q->h * q->w) * sizeof *q->heat))) {
                rc = ak_error_set(err, AK_ENOMEM, "out of memory drawing features of %s", r->file);
                break;
            }
            ak_rep_feature_heat(data, shape, i, q->heat);
            q->lo = INFINITY;
            q->hi = -INFINITY;
            for (int64_t k = 0; k < q->h * q->w; k++) {
                q->lo = fminf(q->lo, q->heat[k]);
                q->hi = fmaxf(q->hi, q->heat[k]);
            }
        }
        free(data);
    }
    if (rc == AK_OK && c.n_roles > 0) {
        snprintf(c.title, sizeof c.title, "%s, step %lld, level %s: channel mean |x|", r->file, (long long)step,
                 level);
        char name[300], caption[900];
        snprintf(name, sizeof name, "features_%s_%s", r->name, level);
        snprintf(caption, sizeof caption, "Stored features of %s (run %s) at step %lld, level %s: channel mean of "
                 "|x| per sampled image, teacher / avatars / student, each panel scaled to its own range",
                 r->file, r->run_id, (long long)step, level);
        int w = (int)(100 + c.n_roles * (AK_PANEL + 20)), h = (int)(90 + c.n_images * (AK_PANEL + 34));
        rc = ak_rep_figure(figs, out_dir, name, caption, png, svg, w < 700 ? 700 : w, h, draw, &c, err);
    }
    free_plot(&c);
    return rc;
}

static int run_figures(const ak_report_run *r, const char *out_dir, bool png, bool svg, ak_report_figures *figs,
                       bool *drawn, ak_error *err) {
    ak_run *run;
    AK_TRY(ak_run_open(&run, r->path, AK_RUN_READ, err));
    int64_t *steps = NULL;
    int n_steps = 0, n_roles = 0, n_levels = 0;
    char **roles = NULL, **levels = NULL;
    int rc = ak_run_feature_steps(run, &steps, &n_steps, err);
    if (rc == AK_OK && n_steps > 0) {
        int64_t step = steps[n_steps - 1];
        rc = ak_run_feature_roles(run, step, &roles, &n_roles, err);
        for (int i = 1; i < n_roles; i++) /* display order */
            for (int j = i; j > 0 && role_rank(roles[j - 1]) > role_rank(roles[j]); j--) {
                char *tmp = roles[j];
                roles[j] = roles[j - 1];
                roles[j - 1] = tmp;
            }
        if (rc == AK_OK && n_roles > 0)
            rc = ak_run_feature_levels(run, step, roles[0], &levels, &n_levels, err);
        for (int l = 0; rc == AK_OK && l < n_levels; l++)
            rc = level_figure(run, r, step, roles, n_roles, levels[l], out_dir, png, svg, figs, err);
        *drawn = n_levels > 0;
    }
    ak_run_names_free(roles, n_roles);
    ak_run_names_free(levels, n_levels);
    free(steps);
    ak_run_close(run, NULL);
    return rc;
}

int ak_rep_plot_features(const ak_report_tables *t, const char *out_dir, bool png, bool svg,
                         ak_report_figures *figs, ak_error *err) {
    /* one run per experiment: its first counted run that stored features (by seed) */
    for (int g = 0; g < t->n_groups; g++) {
        if (t->groups[g].ref == 0)
            continue;
        bool drawn = false;
        for (int k = 0; k < t->groups[g].n_used && !drawn; k++)
            AK_TRY(run_figures(&t->sweep->runs[t->groups[g].used[k]], out_dir, png, svg, figs, &drawn, err));
    }
    return AK_OK;
}
