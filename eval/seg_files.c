/* See seg_files.h: walking the ground-truth folder, finding each prediction, and the parallel
 * read-and-count loop (PNG decoding dominates, so pairs are spread over the threads). */
#include "eval/seg_files.h"

#include <dirent.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "datasets/png_io.h"

static const char *const GT_IDS = "_gtFine_labelIds.png", *const GT_TRAIN = "_gtFine_labelTrainIds.png";
static const char *const PRED_SUFFIXES[] = {"_pred_trainIds.png", "_leftImg8bit.png", ".png"};

typedef struct found {
    char *rel;  /* path under GT_DIR */
    int label_ids;
} found;

typedef struct found_list {
    found *v;
    int64_t n, cap;
} found_list;

static char *join(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    if (la == 0)
        memmove(p, p + 1, lb + 1);
    return p;
}

static int ends_with(const char *s, const char *suffix) {
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls > lx && strcmp(s + ls - lx, suffix) == 0;
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int push(found_list *l, char *rel, int label_ids) {
    if (l->n == l->cap) {
        int64_t cap = l->cap ? l->cap * 2 : 64;
        found *v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v)
            return AK_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n].rel = rel;
    l->v[l->n++].label_ids = label_ids;
    return AK_OK;
}

/* Collect ground-truth files under root/rel, recursively. */
static int walk(const char *root, const char *rel, found_list *l, ak_error *err) {
    char *dir = rel[0] ? join(root, rel) : strdup(root);
    if (!dir)
        return ak_error_set(err, AK_ENOMEM, "eval-seg: out of memory");
    DIR *d = opendir(dir);
    if (!d) {
        int rc = ak_error_set(err, AK_EIO, "%s: cannot open the ground-truth folder", dir);
        free(dir);
        return rc;
    }
    int rc = AK_OK;
    struct dirent *e;
    while (rc == AK_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *sub = join(rel, e->d_name), *full = sub ? join(root, sub) : NULL;
        if (!sub || !full) {
            rc = ak_error_set(err, AK_ENOMEM, "eval-seg: out of memory");
        } else if (is_dir(full)) {
            rc = walk(root, sub, l, err);
        } else if (ends_with(e->d_name, GT_IDS) || ends_with(e->d_name, GT_TRAIN)) {
            if (push(l, sub, ends_with(e->d_name, GT_IDS)) != AK_OK)
                rc = ak_error_set(err, AK_ENOMEM, "eval-seg: out of memory");
            else
                sub = NULL;
        }
        free(sub);
        free(full);
    }
    closedir(d);
    free(dir);
    return rc;
}

static int cmp_found(const void *a, const void *b) {
    return strcmp(((const found *)a)->rel, ((const found *)b)->rel);
}

/* The prediction for ground truth `rel` (STEM = file name without its gt suffix). */
static char *find_pred(const char *pred_dir, const found *f) {
    size_t len = strlen(f->rel) - strlen(f->label_ids ? GT_IDS : GT_TRAIN);
    char stem_rel[4096];
    if (len >= sizeof stem_rel)
        return NULL;
    memcpy(stem_rel, f->rel, len);
    stem_rel[len] = '\0';
    const char *slash = strrchr(stem_rel, '/');
    const char *stem = slash ? slash + 1 : stem_rel;
    for (int flat = 0; flat < 2; flat++)
        for (size_t s = 0; s < sizeof PRED_SUFFIXES / sizeof *PRED_SUFFIXES; s++) {
            char name[4200];
            snprintf(name, sizeof name, "%s%s", flat ? stem : stem_rel, PRED_SUFFIXES[s]);
            char *p = join(pred_dir, name);
            if (p && is_file(p))
                return p;
            free(p);
        }
    return NULL;
}

void ak_seg_pairs_free(ak_seg_pairs *pairs) {
    for (int64_t i = 0; pairs->items && i < pairs->n; i++) {
        free(pairs->items[i].gt);
        free(pairs->items[i].pred);
    }
    free(pairs->items);
    pairs->items = NULL;
    pairs->n = 0;
}

int ak_seg_find_pairs(const char *gt_dir, const char *pred_dir, ak_seg_pairs *out, ak_error *err) {
    out->items = NULL;
    out->n = 0;
    if (!is_dir(gt_dir))
        return ak_error_set(err, AK_EIO, "%s: not a folder (ground truth)", gt_dir);
    if (!is_dir(pred_dir))
        return ak_error_set(err, AK_EIO, "%s: not a folder (predictions)", pred_dir);
    found_list l = {0};
    int rc = walk(gt_dir, "", &l, err);
    if (rc == AK_OK && l.n == 0)
        rc = ak_error_set(err, AK_EINVAL, "%s: no *%s or *%s files found", gt_dir, GT_IDS, GT_TRAIN);
    if (rc == AK_OK) {
        qsort(l.v, (size_t)l.n, sizeof *l.v, cmp_found);
        out->items = calloc((size_t)l.n, sizeof *out->items);
        if (!out->items)
            rc = ak_error_set(err, AK_ENOMEM, "eval-seg: out of memory");
    }
    for (int64_t i = 0; rc == AK_OK && i < l.n; i++) {
        /* Both encodings of one image: keep the trainIds file (sorted next to each other). */
        if (l.v[i].label_ids && i + 1 < l.n && !l.v[i + 1].label_ids) {
            size_t a = strlen(l.v[i].rel) - strlen(GT_IDS), b = strlen(l.v[i + 1].rel) - strlen(GT_TRAIN);
            if (a == b && strncmp(l.v[i].rel, l.v[i + 1].rel, a) == 0)
                continue;
        }
        ak_seg_pair *p = &out->items[out->n];
        p->gt = join(gt_dir, l.v[i].rel);
        p->pred = find_pred(pred_dir, &l.v[i]);
        p->gt_label_ids = l.v[i].label_ids;
        out->n++;
        if (!p->gt)
            rc = ak_error_set(err, AK_ENOMEM, "eval-seg: out of memory");
        else if (!p->pred)
            rc = ak_error_set(err, AK_EINVAL, "%s: no prediction found in %s (tried STEM_pred_trainIds.png, "
                              "STEM_leftImg8bit.png, STEM.png)", p->gt, pred_dir);
    }
    for (int64_t i = 0; i < l.n; i++)
        free(l.v[i].rel);
    free(l.v);
    if (rc != AK_OK)
        ak_seg_pairs_free(out);
    return rc;
}

static int eval_pair(const ak_seg_pair *p, const uint8_t *lut, ak_seg_acc *acc, ak_error *err) {
    uint8_t *gt = NULL, *pred = NULL;
    int gh = 0, gw = 0, ph = 0, pw = 0;
    int rc = ak_png_read(p->gt, 1, &gt, &gh, &gw, err);
    if (rc == AK_OK)
        rc = ak_png_read(p->pred, 1, &pred, &ph, &pw, err);
    if (rc == AK_OK && (gh != ph || gw != pw))
        rc = ak_error_set(err, AK_ESHAPE, "%s: prediction is %dx%d (HxW) but its ground truth %s is %dx%d", p->pred,
                          ph, pw, p->gt, gh, gw);
    if (rc == AK_OK)
        rc = ak_seg_acc_add(acc, gt, pred, (int64_t)gh * gw, p->gt_label_ids ? lut : NULL, err);
    free(gt);
    free(pred);
    return rc;
}

int ak_seg_eval_pairs(const ak_seg_pairs *pairs, ak_seg_acc *acc, ak_error *err) {
    uint8_t lut[256];
    ak_seg_cityscapes_lut(lut);
    int64_t first_fail = pairs->n;
    ak_error fail_err;
    ak_error_clear(&fail_err);
    int merge_rc = AK_OK;
#pragma omp parallel
    {
        ak_seg_acc local;
        ak_seg_acc_init(&local, acc->num_classes, NULL);
#pragma omp for schedule(dynamic, 1)
        for (int64_t i = 0; i < pairs->n; i++) {
            int64_t stop;
#pragma omp atomic read
            stop = first_fail;
            if (i > stop)
                continue; /* a pair before this one failed already */
            ak_error e;
            ak_error_clear(&e);
            if (eval_pair(&pairs->items[i], lut, &local, &e) != AK_OK) {
#pragma omp critical(ak_seg_fail)
                if (i < first_fail) {
                    first_fail = i;
                    fail_err = e;
                }
            }
        }
#pragma omp critical(ak_seg_merge)
        if (ak_seg_acc_merge(acc, &local, NULL) != AK_OK)
            merge_rc = AK_EINVAL;
    }
    if (first_fail < pairs->n)
        return ak_error_set(err, fail_err.code, "%s", fail_err.msg);
    if (merge_rc != AK_OK)
        return ak_error_set(err, AK_EINVAL, "eval-seg: accumulator not initialised");
    return AK_OK;
}
