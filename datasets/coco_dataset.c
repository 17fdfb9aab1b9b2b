/* See coco_dataset.h. Open = parse the JSON (coco_json.c), validate every image and annotation
 * against the rules in the header, then pack the surviving boxes into flat arrays per image. */
#include "datasets/coco_dataset.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "datasets/coco_json.h"

typedef struct id_index {
    int64_t id;
    int64_t index;
} id_index;

static int cmp_id(const void *a, const void *b) {
    const id_index *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int64_t find_id(const id_index *sorted, int64_t n, int64_t id) {
    id_index key = {id, 0};
    const id_index *hit = bsearch(&key, sorted, (size_t)n, sizeof *sorted, cmp_id);
    return hit ? hit->index : -1;
}

static char *join_path(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

int ak_coco_dataset_label(const ak_coco_dataset *ds, int64_t category_id) {
    int lo = 0, hi = ds->n_classes - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (ds->cat_ids[mid] == category_id)
            return mid;
        if (ds->cat_ids[mid] < category_id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* Working state of one open() call. */
typedef struct builder {
    ak_coco gt;
    ak_coco_dataset *ds;
    id_index *img_by_id;
    char *bad_img;        /* per images[] entry: 1 = dropped as bad */
    int32_t *ann_label;   /* per annotation: label, -1 dropped (bad / tiny / orphan) */
} builder;

/* A bad item: error out or log it (returns AK_OK when skipped). */
static int bad_item(builder *b, ak_error *err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad_item(builder *b, ak_error *err, const char *fmt, ...) {
    ak_error why;
    ak_error_clear(&why);
    va_list ap;
    va_start(ap, fmt);
    ak_error_vset(&why, AK_EFORMAT, fmt, ap);
    va_end(ap);
    int rc = ak_bad_sample(b->ds->on_bad_sample, &b->ds->bad, &why);
    if (rc != AK_OK)
        return ak_error_set(err, why.code, "%s", why.msg);
    return AK_OK;
}

static int build_categories(builder *b, ak_error *err) {
    ak_coco_dataset *ds = b->ds;
    const ak_coco *gt = &b->gt;
    if (gt->n_cats == 0)
        return ak_error_set(err, AK_EFORMAT, "%s: categories: the list is empty", ds->ann_file);
    id_index *cats = malloc(sizeof *cats * (size_t)gt->n_cats);
    ds->cat_ids = malloc(sizeof *ds->cat_ids * (size_t)gt->n_cats);
    ds->cat_names = calloc((size_t)gt->n_cats, sizeof *ds->cat_names);
    if (!cats || !ds->cat_ids || !ds->cat_names) {
        free(cats);
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", ds->ann_file);
    }
    ds->n_classes = (int)gt->n_cats; /* names are calloc'd: close frees the ones made before an error */
    for (int64_t i = 0; i < gt->n_cats; i++)
        cats[i] = (id_index){gt->cats[i].id, i};
    qsort(cats, (size_t)gt->n_cats, sizeof *cats, cmp_id);
    for (int64_t i = 0; i < gt->n_cats; i++) {
        if (i > 0 && cats[i].id == cats[i - 1].id) {
            int64_t dup = cats[i].id;
            free(cats);
            return ak_error_set(err, AK_EFORMAT, "%s: categories[].id: id %lld appears twice", ds->ann_file,
                                (long long)dup);
        }
        ds->cat_ids[i] = cats[i].id;
        ds->cat_names[i] = strdup(gt->cats[cats[i].index].name ? gt->cats[cats[i].index].name : "");
        if (!ds->cat_names[i]) {
            free(cats);
            return ak_error_set(err, AK_ENOMEM, "%s: out of memory", ds->ann_file);
        }
    }
    free(cats);
    return AK_OK;
}

static int check_images(builder *b, const ak_coco_dataset_opts *o, ak_error *err) {
    ak_coco_dataset *ds = b->ds;
    const ak_coco *gt = &b->gt;
    for (int64_t i = 0; i < gt->n_images; i++)
        b->img_by_id[i] = (id_index){gt->images[i].id, i};
    qsort(b->img_by_id, (size_t)gt->n_images, sizeof *b->img_by_id, cmp_id);
    for (int64_t i = 1; i < gt->n_images; i++)
        if (b->img_by_id[i].id == b->img_by_id[i - 1].id)
            return ak_error_set(err, AK_EFORMAT, "%s: images[%lld].id: id %lld appears twice", ds->ann_file,
                                (long long)b->img_by_id[i].index, (long long)b->img_by_id[i].id);
    for (int64_t i = 0; i < gt->n_images; i++) {
        const ak_coco_image *im = &gt->images[i];
        if (im->width <= 0 || im->height <= 0) {
            b->bad_img[i] = 1;
            AK_TRY(bad_item(b, err, "%s: images[%lld].width/height: %dx%d, expected positive sizes", ds->ann_file,
                            (long long)i, im->width, im->height));
            continue;
        }
        if (!im->file_name || !im->file_name[0]) { /* optional for ak_coco_load, required for a dataset */
            b->bad_img[i] = 1;
            AK_TRY(bad_item(b, err, "%s: images[%lld].file_name: missing or empty", ds->ann_file, (long long)i));
            continue;
        }
        if (o->check_files) {
            char *p = join_path(ds->img_dir, im->file_name);
            if (!p)
                return ak_error_set(err, AK_ENOMEM, "%s: out of memory", ds->ann_file);
            struct stat st;
            const int st_rc = stat(p, &st), e = errno;
            const int missing = st_rc != 0 || !S_ISREG(st.st_mode);
            if (missing) {
                b->bad_img[i] = 1;
                int rc = bad_item(b, err, "%s: images[%lld].file_name: %s: %s", ds->ann_file, (long long)i, p,
                                  st_rc != 0 ? strerror(e) : "not a regular file");
                free(p);
                AK_TRY(rc);
                continue;
            }
            free(p);
        }
    }
    return AK_OK;
}

static int check_annotations(builder *b, ak_error *err) {
    ak_coco_dataset *ds = b->ds;
    const ak_coco *gt = &b->gt;
    for (int64_t i = 0; i < gt->n_anns; i++) {
        const ak_coco_ann *a = &gt->anns[i];
        b->ann_label[i] = -1;
        const int64_t k = find_id(b->img_by_id, gt->n_images, a->image_id);
        if (k < 0) {
            AK_TRY(bad_item(b, err, "%s: annotations[%lld].image_id: %lld is not an id in images[]", ds->ann_file,
                            (long long)i, (long long)a->image_id));
            continue;
        }
        if (b->bad_img[k])
            continue;
        const ak_coco_image *im = &gt->images[k];
        const int label = ak_coco_dataset_label(ds, a->category_id);
        const double x = a->bbox[0], y = a->bbox[1], w = a->bbox[2], h = a->bbox[3];
        if (label < 0) {
            b->bad_img[k] = 1;
            AK_TRY(bad_item(b, err, "%s: annotations[%lld].category_id: %lld is not an id in categories[]",
                            ds->ann_file, (long long)i, (long long)a->category_id));
            continue;
        }
        if (!isfinite(x) || !isfinite(y) || !isfinite(w) || !isfinite(h) || w <= 0.0 || h <= 0.0) {
            b->bad_img[k] = 1;
            AK_TRY(bad_item(b, err, "%s: annotations[%lld].bbox: [%g, %g, %g, %g] has a zero, negative or "
                            "non-finite size (image %lld, %s)", ds->ann_file, (long long)i, x, y, w, h,
                            (long long)a->image_id, im->file_name));
            continue;
        }
        if (x < -1.0 || y < -1.0 || x + w > im->width + 1.0 || y + h > im->height + 1.0) {
            b->bad_img[k] = 1;
            AK_TRY(bad_item(b, err, "%s: annotations[%lld].bbox: [%g, %g, %g, %g] reaches outside its image "
                            "(image %lld, %s, %dx%d)", ds->ann_file, (long long)i, x, y, w, h,
                            (long long)a->image_id, im->file_name, im->width, im->height));
            continue;
        }
        if (w < 1.0 || h < 1.0 || a->area <= 0.0) {
            ds->n_tiny_dropped++;
            continue;
        }
        b->ann_label[i] = label;
    }
    return AK_OK;
}

/* Pack the kept annotations per image (images[] order, annotations in file order). */
static int pack(builder *b, int train, ak_error *err) {
    ak_coco_dataset *ds = b->ds;
    const ak_coco *gt = &b->gt;
    const int64_t ni = gt->n_images, na = gt->n_anns;
    int64_t *n_box = calloc((size_t)ni + 1, sizeof *n_box), *n_ign = calloc((size_t)ni + 1, sizeof *n_ign);
    int64_t *img_of = malloc(sizeof *img_of * (size_t)(na ? na : 1));
    if (!n_box || !n_ign || !img_of) {
        free(n_box);
        free(n_ign);
        free(img_of);
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", ds->ann_file);
    }
    int64_t total_box = 0, total_ign = 0;
    for (int64_t i = 0; i < na; i++) {
        img_of[i] = -1;
        if (b->ann_label[i] < 0)
            continue;
        const int64_t k = find_id(b->img_by_id, ni, gt->anns[i].image_id);
        if (b->bad_img[k]) /* the image went bad after this annotation was accepted */
            continue;
        img_of[i] = k;
        if (gt->anns[i].iscrowd)
            n_ign[k]++, total_ign++;
        else
            n_box[k]++, total_box++;
    }
    ds->recs = calloc((size_t)ni, sizeof *ds->recs);
    ds->boxes = malloc(sizeof(float) * 4 * (size_t)(total_box ? total_box : 1));
    ds->labels = malloc(sizeof(int32_t) * (size_t)(total_box ? total_box : 1));
    ds->ignore = malloc(sizeof(float) * 4 * (size_t)(total_ign ? total_ign : 1));
    int64_t *rec_of = malloc(sizeof *rec_of * (size_t)ni);
    int rc = AK_OK;
    if (!ds->recs || !ds->boxes || !ds->labels || !ds->ignore || !rec_of) {
        rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", ds->ann_file);
        goto done;
    }
    int64_t nb = 0, ng = 0;
    for (int64_t k = 0; k < ni; k++) {
        rec_of[k] = -1;
        if (b->bad_img[k])
            continue;
        if (train && n_box[k] == 0) {
            ds->n_empty_skipped++;
            continue;
        }
        ak_coco_record *r = &ds->recs[ds->n];
        const ak_coco_image *im = &gt->images[k];
        r->image_id = im->id;
        r->width = im->width;
        r->height = im->height;
        r->json_index = k;
        r->path = join_path(ds->img_dir, im->file_name);
        if (!r->path) {
            rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", ds->ann_file);
            goto done;
        }
        r->box0 = nb;
        r->ign0 = ng;
        nb += n_box[k];
        ng += n_ign[k];
        rec_of[k] = ds->n++;
    }
    for (int64_t i = 0; i < na; i++) {
        if (img_of[i] < 0 || rec_of[img_of[i]] < 0)
            continue;
        ak_coco_record *r = &ds->recs[rec_of[img_of[i]]];
        const double *bb = gt->anns[i].bbox;
        float *dst;
        if (gt->anns[i].iscrowd) {
            dst = ds->ignore + 4 * (r->ign0 + r->n_ignore++);
        } else {
            ds->labels[r->box0 + r->n_boxes] = b->ann_label[i];
            dst = ds->boxes + 4 * (r->box0 + r->n_boxes++);
        }
        /* mmdet: [x1, y1, x1 + w, y1 + h] in Python floats, then a float32 array */
        dst[0] = (float)bb[0];
        dst[1] = (float)bb[1];
        dst[2] = (float)(bb[0] + bb[2]);
        dst[3] = (float)(bb[1] + bb[3]);
    }
done:
    free(n_box);
    free(n_ign);
    free(img_of);
    free(rec_of);
    return rc;
}

int ak_coco_dataset_open(ak_coco_dataset *ds, const ak_coco_dataset_opts *o, ak_error *err) {
    memset(ds, 0, sizeof *ds);
    if (!o || !o->ann_file || !o->img_dir)
        return ak_error_set(err, AK_EINVAL, "coco dataset: ann_file and img_dir are required");
    ds->on_bad_sample = o->on_bad_sample;
    ds->ann_file = strdup(o->ann_file);
    ds->img_dir = strdup(o->img_dir);
    if (!ds->ann_file || !ds->img_dir) {
        ak_coco_dataset_close(ds);
        return ak_error_set(err, AK_ENOMEM, "coco dataset: out of memory");
    }
    builder b;
    memset(&b, 0, sizeof b);
    b.ds = ds;
    int rc = ak_coco_load(&b.gt, o->ann_file, err);
    if (rc != AK_OK) {
        ak_coco_dataset_close(ds);
        return rc;
    }
    ds->n_json_images = b.gt.n_images;
    ds->n_json_anns = b.gt.n_anns;
    if (b.gt.n_images == 0) {
        rc = ak_error_set(err, AK_EFORMAT, "%s: images: the list is empty (empty split)", o->ann_file);
        goto out;
    }
    b.img_by_id = malloc(sizeof *b.img_by_id * (size_t)b.gt.n_images);
    b.bad_img = calloc((size_t)b.gt.n_images, 1);
    b.ann_label = malloc(sizeof *b.ann_label * (size_t)(b.gt.n_anns ? b.gt.n_anns : 1));
    if (!b.img_by_id || !b.bad_img || !b.ann_label) {
        rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", o->ann_file);
        goto out;
    }
    rc = build_categories(&b, err);
    if (rc == AK_OK)
        rc = check_images(&b, o, err);
    if (rc == AK_OK)
        rc = check_annotations(&b, err);
    if (rc == AK_OK)
        rc = pack(&b, o->train, err);
    if (rc == AK_OK && ds->n == 0)
        rc = ak_error_set(err, AK_EFORMAT,
                          "%s: no usable samples (empty split): %lld images, %lld skipped as bad%s%s%s, %lld "
                          "without usable boxes", o->ann_file, (long long)b.gt.n_images, (long long)ds->bad.count,
                          ds->bad.count ? " (first: " : "", ds->bad.count ? ds->bad.first : "",
                          ds->bad.count ? ")" : "", (long long)ds->n_empty_skipped);
out:
    ak_coco_free(&b.gt);
    free(b.img_by_id);
    free(b.bad_img);
    free(b.ann_label);
    if (rc != AK_OK)
        ak_coco_dataset_close(ds);
    return rc;
}

void ak_coco_dataset_close(ak_coco_dataset *ds) {
    if (!ds)
        return;
    for (int64_t i = 0; ds->recs && i < ds->n; i++)
        free(ds->recs[i].path);
    for (int i = 0; ds->cat_names && i < ds->n_classes; i++)
        free(ds->cat_names[i]);
    free(ds->recs);
    free(ds->cat_ids);
    free(ds->cat_names);
    free(ds->boxes);
    free(ds->labels);
    free(ds->ignore);
    free(ds->ann_file);
    free(ds->img_dir);
    memset(ds, 0, sizeof *ds);
}

static int size_mismatch(const ak_coco_dataset *ds, const ak_coco_record *r, int h, int w, ak_error *err) {
    return ak_error_set(err, AK_EFORMAT, "%s: decoded %dx%d (h x w) but %s images[%lld].width/height say %dx%d", r->path,
                        h, w, ds->ann_file, (long long)r->json_index, r->height, r->width);
}

static int check_index(const ak_coco_dataset *ds, int64_t i, ak_error *err) {
    if (i < 0 || i >= ds->n)
        return ak_error_set(err, AK_EINVAL, "%s: sample %lld out of range [0, %lld)", ds->ann_file, (long long)i,
                            (long long)ds->n);
    return AK_OK;
}

int ak_coco_dataset_decode(const ak_coco_dataset *ds, int64_t i, ak_image *img, ak_error *err) {
    AK_TRY(check_index(ds, i, err));
    const ak_coco_record *r = &ds->recs[i];
    AK_TRY(ak_image_read(r->path, 3, img, err));
    if (img->h != r->height || img->w != r->width)
        return size_mismatch(ds, r, img->h, img->w, err);
    return AK_OK;
}

/* decode_to: the size check runs when the decoder knows the size, before it writes anything. */
typedef struct checked_dst {
    const ak_coco_dataset *ds;
    const ak_coco_record *r;
    ak_image_reserve_fn reserve;
    void *ctx;
} checked_dst;

static uint8_t *reserve_checked(void *ctx, int h, int w, int channels, ak_error *err) {
    const checked_dst *d = ctx;
    if (h != d->r->height || w != d->r->width) {
        size_mismatch(d->ds, d->r, h, w, err);
        return NULL;
    }
    return d->reserve(d->ctx, h, w, channels, err);
}

int ak_coco_dataset_decode_to(const ak_coco_dataset *ds, int64_t i, ak_image_reserve_fn reserve, void *ctx,
                              ak_error *err) {
    AK_TRY(check_index(ds, i, err));
    checked_dst d = {ds, &ds->recs[i], reserve, ctx};
    int h, w;
    return ak_image_read_to(ds->recs[i].path, 3, reserve_checked, &d, &h, &w, err);
}

void ak_coco_dataset_summary(const ak_coco_dataset *ds, char *buf, int len) {
    snprintf(buf, (size_t)len,
             "coco %s: %lld images in the file, %lld samples, %d classes; %lld skipped without usable boxes, %lld "
             "tiny boxes dropped, %lld bad items skipped%s%s%s",
             ds->ann_file, (long long)ds->n_json_images, (long long)ds->n, ds->n_classes,
             (long long)ds->n_empty_skipped, (long long)ds->n_tiny_dropped, (long long)ds->bad.count,
             ds->bad.count ? " (first: " : "", ds->bad.count ? ds->bad.first : "", ds->bad.count ? ")" : "");
}
