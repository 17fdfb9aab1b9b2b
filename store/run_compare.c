/* Value-by-value comparison of two run files; see run_compare.h. Walks both files through the
 * ak_run reader, and the /checkpoint groups through raw HDF5 (any dtype, compared as bytes). */
#include "store/run_compare.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/h5util.h"
#include "store/run_internal.h"

typedef struct cmp {
    ak_run *a, *b;
    char *diff;
    size_t len;
    bool differ;
    ak_error *err;
} cmp;

/* Record the first difference; returns AK_OK so comparisons can stop with `return differ(...)`. */
static int differ(cmp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int differ(cmp *c, const char *fmt, ...) {
    if (!c->differ && c->diff && c->len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->diff, c->len, fmt, ap);
        va_end(ap);
    }
    c->differ = true;
    return AK_OK;
}

static bool same_names(char **x, int nx, char **y, int ny, const char **first) {
    *first = NULL;
    for (int i = 0; i < nx || i < ny; i++) {
        if (i >= nx || i >= ny || strcmp(x[i], y[i]) != 0) {
            *first = i < nx ? x[i] : y[i];
            return false;
        }
    }
    return true;
}

static int compare_info(cmp *c) {
    ak_run_info ia, ib;
    AK_TRY(ak_run_read_info(c->a, &ia, c->err));
    int rc = ak_run_read_info(c->b, &ib, c->err);
    if (rc != AK_OK) {
        ak_run_info_free(&ia);
        return rc;
    }
    const char *first;
    if (strcmp(ia.config, ib.config) != 0)
        differ(c, "/ attribute 'config' differs");
    else if (strcmp(ia.run_id, ib.run_id) != 0)
        differ(c, "/ attribute 'run_id': %s vs %s", ia.run_id, ib.run_id);
    else if (ia.seed != ib.seed)
        differ(c, "/ attribute 'seed': %" PRIu64 " vs %" PRIu64, ia.seed, ib.seed);
    else if (!same_names(ia.extra_losses, ia.n_extra_losses, ib.extra_losses, ib.n_extra_losses, &first))
        differ(c, "/train attribute 'extra_losses' differs at '%s'", first);
    ak_run_info_free(&ia);
    ak_run_info_free(&ib);
    return AK_OK;
}

static int compare_train(cmp *c) {
    int64_t na, nb;
    AK_TRY(ak_run_train_len(c->a, &na, c->err));
    AK_TRY(ak_run_train_len(c->b, &nb, c->err));
    if (na != nb)
        return differ(c, "/train: %" PRId64 " rows vs %" PRId64, na, nb);
    int64_t *ia = malloc((size_t)(na + 1) * 8), *ib = malloc((size_t)(na + 1) * 8);
    double *va = (double *)ia, *vb = (double *)ib;
    int rc = !ia || !ib ? ak_error_set(c->err, AK_ENOMEM, "compare: out of memory") : AK_OK;
    if (rc == AK_OK)
        rc = ak_run_read_train_iters(c->a, 0, na, ia, c->err);
    if (rc == AK_OK)
        rc = ak_run_read_train_iters(c->b, 0, na, ib, c->err);
    for (int64_t r = 0; rc == AK_OK && !c->differ && r < na; r++)
        if (ia[r] != ib[r])
            differ(c, "/train/iter row %" PRId64 ": %" PRId64 " vs %" PRId64, r, ia[r], ib[r]);
    for (int col = 1; rc == AK_OK && !c->differ && col < c->a->n_cols; col++) {
        const char *name = c->a->col_names[col];
        if (strcmp(name, "time_s") == 0)
            continue;
        rc = ak_run_read_train(c->a, name, 0, na, va, c->err);
        if (rc == AK_OK)
            rc = ak_run_read_train(c->b, name, 0, na, vb, c->err);
        for (int64_t r = 0; rc == AK_OK && r < na; r++)
            if (memcmp(&va[r], &vb[r], sizeof(double)) != 0) {
                differ(c, "/train/%s row %" PRId64 ": %.17g vs %.17g", name, r, va[r], vb[r]);
                break;
            }
    }
    free(ia);
    free(ib);
    return rc;
}

static int compare_eval_step(cmp *c, int64_t step) {
    char where[64];
    if (step == AK_EVAL_TEACHER)
        snprintf(where, sizeof where, "/teacher_eval");
    else
        snprintf(where, sizeof where, "/eval/%" PRId64, step);
    char **sa = NULL, **aa = NULL, **sb = NULL, **ab = NULL;
    int nsa = 0, naa = 0, nsb = 0, nab = 0;
    int rc = ak_run_eval_names(c->a, step, &sa, &nsa, &aa, &naa, c->err);
    if (rc == AK_OK)
        rc = ak_run_eval_names(c->b, step, &sb, &nsb, &ab, &nab, c->err);
    const char *first;
    if (rc == AK_OK && !same_names(sa, nsa, sb, nsb, &first))
        differ(c, "%s: metric '%s' is in one file only", where, first);
    else if (rc == AK_OK && !same_names(aa, naa, ab, nab, &first))
        differ(c, "%s: array '%s' is in one file only", where, first);
    for (int i = 0; rc == AK_OK && !c->differ && i < nsa; i++) {
        double x, y;
        rc = ak_run_read_eval(c->a, step, sa[i], &x, c->err);
        if (rc == AK_OK)
            rc = ak_run_read_eval(c->b, step, sa[i], &y, c->err);
        if (rc == AK_OK && memcmp(&x, &y, sizeof x) != 0)
            differ(c, "%s/%s: %.17g vs %.17g", where, sa[i], x, y);
    }
    for (int i = 0; rc == AK_OK && !c->differ && i < naa; i++) {
        double *xv = NULL, *yv = NULL;
        int64_t *xi = NULL, *yi = NULL, nx = 0, ny = 0;
        rc = ak_run_read_eval_array(c->a, step, aa[i], &xv, &xi, &nx, c->err);
        if (rc == AK_OK)
            rc = ak_run_read_eval_array(c->b, step, aa[i], &yv, &yi, &ny, c->err);
        if (rc == AK_OK) {
            if (nx != ny || (xi == NULL) != (yi == NULL))
                differ(c, "%s/%s: length %" PRId64 " vs %" PRId64 " (or ids present in one only)", where, aa[i],
                       nx, ny);
            else if (memcmp(xv, yv, (size_t)nx * sizeof *xv) != 0)
                differ(c, "%s/%s: values differ", where, aa[i]);
            else if (xi && memcmp(xi, yi, (size_t)nx * sizeof *xi) != 0)
                differ(c, "%s/%s_ids: ids differ", where, aa[i]);
        }
        free(xv), free(yv), free(xi), free(yi);
    }
    ak_run_names_free(sa, nsa), ak_run_names_free(aa, naa), ak_run_names_free(sb, nsb), ak_run_names_free(ab, nab);
    return rc;
}

static int compare_steps(cmp *c, const char *what, int (*list)(ak_run *, int64_t **, int *, ak_error *),
                         int64_t **steps, int *n) {
    int64_t *sa = NULL, *sb = NULL;
    int na = 0, nb = 0;
    int rc = list(c->a, &sa, &na, c->err);
    if (rc == AK_OK)
        rc = list(c->b, &sb, &nb, c->err);
    for (int i = 0; rc == AK_OK && !c->differ && (i < na || i < nb); i++)
        if (i >= na || i >= nb || sa[i] != sb[i])
            differ(c, "%s/%" PRId64 ": in one file only", what, i < na ? sa[i] : sb[i]);
    free(sb);
    *steps = sa;
    *n = na;
    return rc;
}

static int compare_evals(cmp *c) {
    bool ta = ak_run_has_eval(c->a, AK_EVAL_TEACHER), tb = ak_run_has_eval(c->b, AK_EVAL_TEACHER);
    if (ta != tb)
        return differ(c, "/teacher_eval: in one file only");
    if (ta)
        AK_TRY(compare_eval_step(c, AK_EVAL_TEACHER));
    int64_t *steps;
    int n;
    int rc = compare_steps(c, "/eval", ak_run_eval_steps, &steps, &n);
    for (int i = 0; rc == AK_OK && !c->differ && i < n; i++)
        rc = compare_eval_step(c, steps[i]);
    free(steps);
    return rc;
}

static int compare_feature_step(cmp *c, int64_t step) {
    char **ra = NULL, **rb = NULL;
    int nra = 0, nrb = 0;
    int rc = ak_run_feature_roles(c->a, step, &ra, &nra, c->err);
    if (rc == AK_OK)
        rc = ak_run_feature_roles(c->b, step, &rb, &nrb, c->err);
    const char *first;
    if (rc == AK_OK && !same_names(ra, nra, rb, nrb, &first))
        differ(c, "/features/%" PRId64 "/%s: in one file only", step, first);
    for (int r = 0; rc == AK_OK && !c->differ && r < nra; r++) {
        char **la = NULL, **lb = NULL;
        int nla = 0, nlb = 0;
        rc = ak_run_feature_levels(c->a, step, ra[r], &la, &nla, c->err);
        if (rc == AK_OK)
            rc = ak_run_feature_levels(c->b, step, ra[r], &lb, &nlb, c->err);
        if (rc == AK_OK && !same_names(la, nla, lb, nlb, &first))
            differ(c, "/features/%" PRId64 "/%s/%s: in one file only", step, ra[r], first);
        for (int l = 0; rc == AK_OK && !c->differ && l < nla; l++) {
            float *fa = NULL, *fb = NULL;
            int64_t sa[4], sb[4];
            rc = ak_run_read_features(c->a, step, ra[r], la[l], sa, &fa, c->err);
            if (rc == AK_OK)
                rc = ak_run_read_features(c->b, step, ra[r], la[l], sb, &fb, c->err);
            if (rc == AK_OK && memcmp(sa, sb, sizeof sa) != 0)
                differ(c, "/features/%" PRId64 "/%s/%s: shapes differ", step, ra[r], la[l]);
            else if (rc == AK_OK) {
                int64_t n = sa[0] * sa[1] * sa[2] * sa[3];
                for (int64_t i = 0; i < n; i++)
                    if (memcmp(&fa[i], &fb[i], sizeof *fa) != 0) {
                        differ(c, "/features/%" PRId64 "/%s/%s element %" PRId64 ": %.9g vs %.9g", step, ra[r], la[l],
                               i, fa[i], fb[i]);
                        break;
                    }
            }
            free(fa);
            free(fb);
        }
        ak_run_names_free(la, nla);
        ak_run_names_free(lb, nlb);
    }
    ak_run_names_free(ra, nra);
    ak_run_names_free(rb, nrb);
    return rc;
}

static int compare_features(cmp *c) {
    int64_t *steps;
    int n;
    int rc = compare_steps(c, "/features", ak_run_feature_steps, &steps, &n);
    for (int i = 0; rc == AK_OK && !c->differ && i < n; i++)
        rc = compare_feature_step(c, steps[i]);
    free(steps);
    return rc;
}

/* Read a whole dataset in its native type; *bytes and *type_name describe it. */
static int read_raw(hid_t g, const char *name, const char *file, void **buf, size_t *bytes, char *type_name,
                    size_t tn_len, int *ndim, hsize_t *dims, ak_error *err) {
    char where[AK_H5_PATH_LEN + 256];
    ak_h5_where(where, sizeof where, file, g, name);
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    hid_t t = d < 0 ? H5I_INVALID_HID : H5Dget_type(d);
    hid_t nt = t < 0 ? H5I_INVALID_HID : H5Tget_native_type(t, H5T_DIR_ASCEND);
    hid_t s = d < 0 ? H5I_INVALID_HID : H5Dget_space(d);
    int rc = AK_OK;
    *buf = NULL;
    if (nt < 0 || s < 0 || (*ndim = H5Sget_simple_extent_ndims(s)) < 0 || *ndim > AK_H5_MAX_DIMS) {
        rc = ak_h5_fail(err, AK_EFORMAT, "%s: cannot read", where);
    } else {
        H5Sget_simple_extent_dims(s, dims, NULL);
        ak_h5_type_name(t, type_name, tn_len);
        *bytes = (size_t)H5Sget_simple_extent_npoints(s) * H5Tget_size(nt);
        *buf = malloc(*bytes > 0 ? *bytes : 1);
        if (!*buf)
            rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", where);
        else if (*bytes > 0 && H5Dread(d, nt, H5S_ALL, H5S_ALL, H5P_DEFAULT, *buf) < 0)
            rc = ak_h5_fail(err, AK_EIO, "%s: read failed", where);
    }
    ak_h5_close(&s);
    ak_h5_close(&nt);
    ak_h5_close(&t);
    ak_h5_close(&d);
    return rc;
}

static int compare_checkpoint(cmp *c) {
    bool ha = ak_h5_exists(c->a->file, "checkpoint"), hb = ak_h5_exists(c->b->file, "checkpoint");
    if (ha != hb)
        return differ(c, "/checkpoint: in one file only");
    if (!ha)
        return AK_OK;
    hid_t ga, gb;
    AK_TRY(ak_h5_group(c->a->file, "checkpoint", false, &ga, c->a->path, c->err));
    int rc = ak_h5_group(c->b->file, "checkpoint", false, &gb, c->b->path, c->err);
    if (rc != AK_OK) {
        ak_h5_close(&ga);
        return rc;
    }
    int64_t ita = 0, itb = 0;
    rc = ak_h5_attr_get_i64(ga, "iteration", &ita, c->a->path, c->err);
    if (rc == AK_OK)
        rc = ak_h5_attr_get_i64(gb, "iteration", &itb, c->b->path, c->err);
    if (rc == AK_OK && ita != itb)
        differ(c, "/checkpoint attribute 'iteration': %" PRId64 " vs %" PRId64, ita, itb);
    char **groups_a = NULL, **groups_b = NULL;
    int nga = 0, ngb = 0;
    const char *first;
    if (rc == AK_OK)
        rc = ak_h5_children(ga, &groups_a, &nga, c->a->path, c->err);
    if (rc == AK_OK)
        rc = ak_h5_children(gb, &groups_b, &ngb, c->b->path, c->err);
    if (rc == AK_OK && !c->differ && !same_names(groups_a, nga, groups_b, ngb, &first))
        differ(c, "/checkpoint/%s: in one file only", first);
    for (int i = 0; rc == AK_OK && !c->differ && i < nga; i++) {
        hid_t sa = H5I_INVALID_HID, sb = H5I_INVALID_HID;
        char **na = NULL, **nb = NULL;
        int nna = 0, nnb = 0;
        rc = ak_h5_group(ga, groups_a[i], false, &sa, c->a->path, c->err);
        if (rc == AK_OK)
            rc = ak_h5_group(gb, groups_a[i], false, &sb, c->b->path, c->err);
        if (rc == AK_OK)
            rc = ak_h5_children(sa, &na, &nna, c->a->path, c->err);
        if (rc == AK_OK)
            rc = ak_h5_children(sb, &nb, &nnb, c->b->path, c->err);
        if (rc == AK_OK && !same_names(na, nna, nb, nnb, &first))
            differ(c, "/checkpoint/%s/%s: in one file only", groups_a[i], first);
        for (int j = 0; rc == AK_OK && !c->differ && j < nna; j++) {
            void *ba = NULL, *bb = NULL;
            size_t la = 0, lb = 0;
            char ta[32], tb[32];
            int nda = 0, ndb = 0;
            hsize_t da[AK_H5_MAX_DIMS], db[AK_H5_MAX_DIMS];
            rc = read_raw(sa, na[j], c->a->path, &ba, &la, ta, sizeof ta, &nda, da, c->err);
            if (rc == AK_OK)
                rc = read_raw(sb, na[j], c->b->path, &bb, &lb, tb, sizeof tb, &ndb, db, c->err);
            if (rc == AK_OK && (strcmp(ta, tb) != 0 || nda != ndb || memcmp(da, db, (size_t)nda * sizeof *da) != 0))
                differ(c, "/checkpoint/%s/%s: dtype or shape differs", groups_a[i], na[j]);
            else if (rc == AK_OK && (la != lb || memcmp(ba, bb, la) != 0))
                differ(c, "/checkpoint/%s/%s: values differ", groups_a[i], na[j]);
            free(ba);
            free(bb);
        }
        ak_h5_strs_free(na, nna);
        ak_h5_strs_free(nb, nnb);
        ak_h5_close(&sa);
        ak_h5_close(&sb);
    }
    ak_h5_strs_free(groups_a, nga);
    ak_h5_strs_free(groups_b, ngb);
    ak_h5_close(&ga);
    ak_h5_close(&gb);
    return rc;
}

int ak_run_compare(const char *path_a, const char *path_b, bool *equal, char *diff, size_t diff_len, ak_error *err) {
    *equal = false;
    if (diff && diff_len > 0)
        diff[0] = '\0';
    cmp c = {NULL, NULL, diff, diff_len, false, err};
    AK_TRY(ak_run_open(&c.a, path_a, AK_RUN_READ, err));
    int rc = ak_run_open(&c.b, path_b, AK_RUN_READ, err);
    if (rc == AK_OK)
        rc = compare_info(&c);
    if (rc == AK_OK && !c.differ)
        rc = compare_train(&c);
    if (rc == AK_OK && !c.differ)
        rc = compare_evals(&c);
    if (rc == AK_OK && !c.differ)
        rc = compare_features(&c);
    if (rc == AK_OK && !c.differ)
        rc = compare_checkpoint(&c);
    ak_run_close(c.a, NULL);
    ak_run_close(c.b, NULL);
    if (rc == AK_OK)
        *equal = !c.differ;
    return rc;
}
