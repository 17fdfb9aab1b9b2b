/* COCO evaluation input: checks (errors name the record), image / category id look-ups and the
 * bucketing of ground truth and detections by (category, image); see coco_internal.h.
 *
 * Images and categories are evaluated in ascending id order (pycocotools sorts both). Records are
 * bucketed with two stable counting sorts (by image, then by category), so each category's records
 * come ordered by image and, within an image, in file order: the order of pycocotools' per
 * image+category lists.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/coco_internal.h"

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Index of id in sorted ids[0..n), -1 if absent. */
static int64_t find_id(const int64_t *ids, int64_t n, int64_t id) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && ids[lo] == id ? lo : -1;
}

/* Sorted, checked-unique copy of the ids; `what` names them in the message. */
static int sorted_ids(const ak_coco *gt, int images, const char *path, int64_t **out, ak_error *err) {
    const char *what = images ? "image" : "category";
    int64_t n = images ? gt->n_images : gt->n_cats;
    int64_t *ids = malloc((size_t)(n ? n : 1) * sizeof *ids);
    if (!ids)
        return ak_error_set(err, AK_ENOMEM, "coco eval: out of memory");
    for (int64_t i = 0; i < n; i++)
        ids[i] = images ? gt->images[i].id : gt->cats[i].id;
    qsort(ids, (size_t)n, sizeof *ids, cmp_i64);
    for (int64_t i = 1; i < n; i++)
        if (ids[i] == ids[i - 1]) {
            int64_t dup = ids[i];
            free(ids);
            return ak_error_set(err, AK_EFORMAT, "%s: %s id %lld appears more than once", path ? path : "ground truth",
                                what, (long long)dup);
        }
    *out = ids;
    return AK_OK;
}

void ak__coco_buckets_free(ak__coco_buckets *b) {
    free(b->order);
    free(b->start);
    free(b->img);
}

/* cat[i], img[i]: indices of record i (cat < 0: record left out). Two stable counting sorts. */
static int bucket(const int64_t *cat, const int64_t *img, int64_t n, int64_t NK, int64_t NI, ak__coco_buckets *b) {
    int64_t *by_img = malloc((size_t)(n ? n : 1) * sizeof *by_img);
    int64_t *cnt = calloc((size_t)(NI > NK ? NI : NK) + 1, sizeof *cnt);
    b->order = malloc((size_t)(n ? n : 1) * sizeof *b->order);
    b->img = malloc((size_t)(n ? n : 1) * sizeof *b->img);
    b->start = calloc((size_t)NK + 1, sizeof *b->start);
    if (!by_img || !cnt || !b->order || !b->img || !b->start) {
        free(by_img);
        free(cnt);
        return AK_ENOMEM;
    }
    int64_t m = 0; /* kept records */
    for (int64_t i = 0; i < n; i++)
        if (cat[i] >= 0) {
            cnt[img[i] + 1]++;
            m++;
        }
    for (int64_t i = 0; i < NI; i++)
        cnt[i + 1] += cnt[i];
    for (int64_t i = 0; i < n; i++)
        if (cat[i] >= 0)
            by_img[cnt[img[i]]++] = i;
    for (int64_t i = 0; i < m; i++)
        b->start[cat[by_img[i]] + 1]++;
    for (int64_t k = 0; k < NK; k++)
        b->start[k + 1] += b->start[k];
    memcpy(cnt, b->start, (size_t)NK * sizeof *cnt);
    for (int64_t i = 0; i < m; i++) {
        int64_t r = by_img[i], pos = cnt[cat[r]]++;
        b->order[pos] = r;
        b->img[pos] = img[r];
    }
    free(by_img);
    free(cnt);
    return AK_OK;
}

static int check_det(const ak_coco_dets *dets, int64_t i, ak_error *err) {
    const ak_coco_det *d = &dets->dets[i];
    const char *path = dets->path ? dets->path : "detections";
    if (!isfinite(d->score))
        return ak_error_set(err, AK_ENAN, "%s: detections[%lld].score: expected a finite number, got %g", path,
                            (long long)i, d->score);
    for (int j = 0; j < 4; j++)
        if (!isfinite(d->bbox[j]))
            return ak_error_set(err, AK_ENAN, "%s: detections[%lld].bbox[%d]: expected a finite number, got %g", path,
                                (long long)i, j, d->bbox[j]);
    if (d->bbox[2] < 0 || d->bbox[3] < 0)
        return ak_error_set(err, AK_EFORMAT, "%s: detections[%lld].bbox: negative width or height [%g, %g, %g, %g]",
                            path, (long long)i, d->bbox[0], d->bbox[1], d->bbox[2], d->bbox[3]);
    return AK_OK;
}

static int check_ann(const ak_coco *gt, int64_t i, ak_error *err) {
    const ak_coco_ann *a = &gt->anns[i];
    const char *path = gt->path ? gt->path : "ground truth";
    for (int j = 0; j < 4; j++)
        if (!isfinite(a->bbox[j]))
            return ak_error_set(err, AK_ENAN, "%s: annotations[%lld].bbox[%d]: expected a finite number", path,
                                (long long)i, j);
    if (!isfinite(a->area))
        return ak_error_set(err, AK_ENAN, "%s: annotations[%lld].area: expected a finite number", path, (long long)i);
    return AK_OK;
}

int ak__coco_prepare(const ak_coco *gt, const ak_coco_dets *dets, const ak_coco_eval_opts *opts, ak_coco_eval *out,
                     int64_t **img_ids, ak__coco_prep *p, ak_error *err) {
    const char *gpath = gt->path ? gt->path : "ground truth";
    p->gt = gt;
    p->dets = dets;
    p->NI = gt->n_images;
    p->NK = gt->n_cats;
    AK_TRY(sorted_ids(gt, 1, gpath, img_ids, err));
    AK_TRY(sorted_ids(gt, 0, gpath, &out->cat_ids, err));
    out->n_cats = gt->n_cats;

    int64_t n = gt->n_anns > dets->n ? gt->n_anns : dets->n;
    int64_t *cat = malloc((size_t)(n ? n : 1) * sizeof *cat), *img = malloc((size_t)(n ? n : 1) * sizeof *img);
    if (!cat || !img) {
        free(cat);
        free(img);
        return ak_error_set(err, AK_ENOMEM, "coco eval: out of memory");
    }
    int rc = AK_OK;
    for (int64_t i = 0; i < gt->n_anns && rc == AK_OK; i++) {
        rc = check_ann(gt, i, err);
        img[i] = find_id(*img_ids, p->NI, gt->anns[i].image_id);
        cat[i] = img[i] < 0 ? -1 : find_id(out->cat_ids, p->NK, gt->anns[i].category_id);
        out->n_anns_skipped += cat[i] < 0;
    }
    if (rc == AK_OK && bucket(cat, img, gt->n_anns, p->NK, p->NI, &p->g) != AK_OK)
        rc = ak_error_set(err, AK_ENOMEM, "coco eval: out of memory");
    const char *dpath = dets->path ? dets->path : "detections";
    out->first_unknown_det = -1;
    /* The id look-ups (the costly part) in parallel; the checks then run in order, so the error
     * reported is always the first bad record's. */
    const int64_t *iid = *img_ids, *cid = out->cat_ids;
#pragma omp parallel for schedule(static) if (dets->n > 10000)
    for (int64_t i = 0; i < (rc == AK_OK ? dets->n : 0); i++) {
        img[i] = find_id(iid, p->NI, dets->dets[i].image_id);
        cat[i] = find_id(cid, p->NK, dets->dets[i].category_id);
    }
    for (int64_t i = 0; i < dets->n && rc == AK_OK; i++) {
        const ak_coco_det *d = &dets->dets[i];
        if ((rc = check_det(dets, i, err)) != AK_OK)
            break;
        if (img[i] < 0) {
            rc = ak_error_set(err, AK_ERANGE,
                              "%s: detections[%lld].image_id: %lld is not an image of the ground truth %s", dpath,
                              (long long)i, (long long)d->image_id, gpath);
            break;
        }
        if (cat[i] < 0) {
            if (opts && opts->strict_categories) {
                rc = ak_error_set(err, AK_ERANGE,
                                  "%s: detections[%lld].category_id: %lld is not a category of the ground truth %s",
                                  dpath, (long long)i, (long long)d->category_id, gpath);
                break;
            }
            if (out->first_unknown_det < 0)
                out->first_unknown_det = i;
            out->n_dets_unknown_category++;
        }
    }
    if (rc == AK_OK && bucket(cat, img, dets->n, p->NK, p->NI, &p->d) != AK_OK)
        rc = ak_error_set(err, AK_ENOMEM, "coco eval: out of memory");
    out->n_dets_used = dets->n - out->n_dets_unknown_category;
    free(cat);
    free(img);
    return rc;
}
