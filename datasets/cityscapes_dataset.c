/* See cityscapes_dataset.h. */
#include "datasets/cityscapes_dataset.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "datasets/cityscapes_labels.h"

static const char IMG_SUFFIX[] = "_leftImg8bit.png";

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int is_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Sorted names in `dir` matching `keep` (dirs_only: sub-folders; else files ending in IMG_SUFFIX). */
static int list_dir(const char *dir, int dirs_only, char ***out, int *n_out, ak_error *err) {
    *out = NULL;
    *n_out = 0;
    DIR *d = opendir(dir);
    if (!d)
        return ak_error_set(err, AK_EIO, "%s: cannot open folder: %s", dir, strerror(errno));
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    int rc = AK_OK;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat st;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path || stat(path, &st) != 0)
            continue;
        if (dirs_only ? !S_ISDIR(st.st_mode) : !(S_ISREG(st.st_mode) && ends_with(e->d_name, IMG_SUFFIX)))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **t = realloc(names, sizeof *names * (size_t)cap);
            if (!t) {
                rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", dir);
                break;
            }
            names = t;
        }
        names[n] = strdup(e->d_name);
        if (!names[n]) {
            rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", dir);
            break;
        }
        n++;
    }
    closedir(d);
    if (rc != AK_OK) {
        for (int i = 0; i < n; i++)
            free(names[i]);
        free(names);
        return rc;
    }
    if (n)
        qsort(names, (size_t)n, sizeof *names, cmp_str);
    *out = names;
    *n_out = n;
    return AK_OK;
}

static void free_names(char **names, int n) {
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static int add_record(ak_cityscapes_dataset *ds, int64_t *cap, const char *city, const char *file, ak_error *err) {
    char img[4096], base[1024], lab_train[4096], lab_ids[4096];
    if (snprintf(img, sizeof img, "%s/leftImg8bit/%s/%s/%s", ds->root, ds->split, city, file) >= (int)sizeof img)
        return ak_error_set(err, AK_EINVAL, "%s/leftImg8bit/%s/%s/%s: path too long", ds->root, ds->split, city, file);
    size_t blen = strlen(file) - (sizeof IMG_SUFFIX - 1);
    blen = blen < sizeof base ? blen : sizeof base - 1;
    memcpy(base, file, blen);
    base[blen] = '\0';
    int n1 = snprintf(lab_train, sizeof lab_train, "%s/gtFine/%s/%s/%s_gtFine_labelTrainIds.png", ds->root, ds->split,
                      city, base);
    int n2 = snprintf(lab_ids, sizeof lab_ids, "%s/gtFine/%s/%s/%s_gtFine_labelIds.png", ds->root, ds->split, city, base);
    if (n1 >= (int)sizeof lab_train || n2 >= (int)sizeof lab_ids)
        return ak_error_set(err, AK_EINVAL, "%s: ground-truth path too long", img);
    int train_ids = is_file(lab_train);
    if (!train_ids && !is_file(lab_ids)) {
        ak_error why;
        ak_error_clear(&why);
        ak_error_set(&why, AK_EIO, "%s: no ground truth: neither %s nor %s exists", img, lab_ids, lab_train);
        if (ak_bad_sample(ds->on_bad_sample, &ds->bad, &why) != AK_OK)
            return ak_error_set(err, why.code, "%s", why.msg);
        return AK_OK;
    }
    if (ds->n == *cap) {
        *cap = *cap ? 2 * *cap : 256;
        ak_cityscapes_record *t = realloc(ds->recs, sizeof *t * (size_t)*cap);
        if (!t)
            return ak_error_set(err, AK_ENOMEM, "%s: out of memory", img);
        ds->recs = t;
    }
    ak_cityscapes_record *r = &ds->recs[ds->n];
    r->image_path = strdup(img);
    r->label_path = strdup(train_ids ? lab_train : lab_ids);
    r->train_ids = train_ids;
    if (!r->image_path || !r->label_path) {
        free(r->image_path);
        free(r->label_path);
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", img);
    }
    ds->n++;
    return AK_OK;
}

int ak_cityscapes_open(ak_cityscapes_dataset *ds, const ak_cityscapes_opts *o, ak_error *err) {
    memset(ds, 0, sizeof *ds);
    if (!o || !o->root || !o->split)
        return ak_error_set(err, AK_EINVAL, "cityscapes dataset: root and split are required");
    ds->root = strdup(o->root);
    ds->split = strdup(o->split);
    ds->on_bad_sample = o->on_bad_sample;
    if (!ds->root || !ds->split) {
        ak_cityscapes_close(ds);
        return ak_error_set(err, AK_ENOMEM, "cityscapes dataset: out of memory");
    }
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s/leftImg8bit/%s", o->root, o->split) >= (int)sizeof dir) {
        ak_cityscapes_close(ds);
        return ak_error_set(err, AK_EINVAL, "%s: path too long", o->root);
    }
    char **cities;
    int n_cities;
    int rc = list_dir(dir, 1, &cities, &n_cities, err);
    if (rc != AK_OK) {
        ak_cityscapes_close(ds);
        return rc;
    }
    int64_t cap = 0;
    for (int c = 0; c < n_cities && rc == AK_OK; c++) {
        char cdir[4096];
        if (snprintf(cdir, sizeof cdir, "%s/%s", dir, cities[c]) >= (int)sizeof cdir) {
            rc = ak_error_set(err, AK_EINVAL, "%s/%s: path too long", dir, cities[c]);
            break;
        }
        char **files;
        int n_files;
        rc = list_dir(cdir, 0, &files, &n_files, err);
        for (int f = 0; f < n_files && rc == AK_OK; f++)
            rc = add_record(ds, &cap, cities[c], files[f], err);
        free_names(files, n_files);
    }
    free_names(cities, n_cities);
    if (rc == AK_OK && ds->n == 0)
        rc = ak_error_set(err, AK_EFORMAT, "%s: no usable *%s images in any city folder (empty split)%s%s%s", dir,
                          IMG_SUFFIX, ds->bad.count ? "; skipped: " : "", ds->bad.count ? ds->bad.first : "",
                          ds->bad.count ? " ..." : "");
    if (rc != AK_OK)
        ak_cityscapes_close(ds);
    return rc;
}

void ak_cityscapes_close(ak_cityscapes_dataset *ds) {
    if (!ds)
        return;
    for (int64_t i = 0; ds->recs && i < ds->n; i++) {
        free(ds->recs[i].image_path);
        free(ds->recs[i].label_path);
    }
    free(ds->recs);
    free(ds->root);
    free(ds->split);
    memset(ds, 0, sizeof *ds);
}

int64_t ak_cityscapes_map_labels(uint8_t *lab, int64_t n, int train_ids, int64_t *first_bad) {
    /* 256-entry table: valid values map, invalid ones become 255 and are flagged. */
    uint8_t map[256], bad[256];
    for (int v = 0; v < 256; v++) {
        if (train_ids) {
            bad[v] = !(v < AK_CITYSCAPES_CLASSES || v == 255);
            map[v] = bad[v] ? 255 : (uint8_t)v;
        } else {
            bad[v] = !(v < AK_CITYSCAPES_LABEL_IDS || v == 255);
            map[v] = ak_cityscapes_train_id(v); /* 255 for v >= 34 */
        }
    }
    int64_t count = 0;
    *first_bad = -1;
    for (int64_t i = 0; i < n; i++) {
        const uint8_t v = lab[i];
        if (bad[v]) {
            if (count++ == 0)
                *first_bad = i;
        }
        lab[i] = map[v];
    }
    return count;
}

int ak_cityscapes_decode(const ak_cityscapes_dataset *ds, int64_t i, ak_image *img, ak_image *lab,
                         int64_t *n_bad_pixels, ak_error *err) {
    *n_bad_pixels = 0;
    if (i < 0 || i >= ds->n)
        return ak_error_set(err, AK_EINVAL, "cityscapes %s/%s: sample %lld out of range [0, %lld)", ds->root,
                            ds->split, (long long)i, (long long)ds->n);
    const ak_cityscapes_record *r = &ds->recs[i];
    AK_TRY(ak_image_read(r->image_path, 3, img, err));
    AK_TRY(ak_image_read(r->label_path, 1, lab, err));
    if (img->h != lab->h || img->w != lab->w)
        return ak_error_set(err, AK_ESHAPE, "%s: label map is %dx%d but the image %s is %dx%d", r->label_path, lab->h,
                            lab->w, r->image_path, img->h, img->w);
    const int64_t n = (int64_t)lab->h * lab->w;
    /* Find the first invalid value before mapping, so that the message can quote it. */
    int64_t first = -1;
    for (int64_t k = 0; k < n; k++) {
        const uint8_t v = lab->data[k];
        if (r->train_ids ? !(v < AK_CITYSCAPES_CLASSES || v == 255) : !(v < AK_CITYSCAPES_LABEL_IDS || v == 255)) {
            first = k;
            break;
        }
    }
    const uint8_t first_value = first >= 0 ? lab->data[first] : 0;
    if (first >= 0 && ds->on_bad_sample != AK_BAD_SAMPLE_SKIP)
        return ak_error_set(err, AK_ERANGE, "%s: %s %u at pixel (y=%lld, x=%lld) is outside the Cityscapes table (%s)",
                            r->label_path, r->train_ids ? "train id" : "label id", (unsigned)first_value,
                            (long long)(first / lab->w), (long long)(first % lab->w),
                            r->train_ids ? "0..18 or 255" : "0..33 or 255");
    int64_t dummy;
    *n_bad_pixels = ak_cityscapes_map_labels(lab->data, n, r->train_ids, &dummy);
    return AK_OK;
}
