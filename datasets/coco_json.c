/* Readers of COCO instances / results JSON through jansson; see coco_json.h (writers in
 * coco_json_write.c).
 *
 * The whole file is read into memory and parsed with json_loadb (much faster than jansson's
 * character-at-a-time FILE reader on a 50 MB results file); jansson still reports line and column.
 * Records are then copied into flat C arrays and the DOM is freed, so callers never see jansson.
 * Results files first go through the exact fast scanner of coco_dets_scan.c (no DOM); jansson
 * handles whatever it declines, so error messages always come from here.
 */
#include "datasets/coco_json.h"
#include "datasets/coco_json_internal.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_whole_file(const char *path, char **data, size_t *len, ak_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return ak_error_set(err, AK_EIO, "%s: cannot open: %s", path, strerror(errno));
    /* One read of the known size (regular files); growing the buffer otherwise (pipes). */
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        size = -1;
        clearerr(f);
    }
    size_t cap = size >= 0 ? (size_t)size + 1 : 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            return ak_error_set(err, AK_ENOMEM, "%s: out of memory reading the file", path);
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger)
            free(buf);
        buf = bigger;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return ak_error_set(err, AK_EIO, "%s: read error", path);
    }
    *data = buf;
    *len = n;
    return AK_OK;
}

static int parse_buffer(const char *path, const char *data, size_t len, json_t **root, ak_error *err) {
    json_error_t jerr;
    *root = json_loadb(data, len, 0, &jerr);
    if (!*root)
        return ak_error_set(err, AK_EFORMAT, "%s:%d:%d: malformed JSON: %s%s", path, jerr.line, jerr.column,
                            jerr.text,
                            strstr(jerr.text, "invalid token") ? " (NaN / Infinity are not valid JSON numbers)" : "");
    return AK_OK;
}

static int parse_json(const char *path, json_t **root, ak_error *err) {
    char *data = NULL;
    size_t len = 0;
    AK_TRY(read_whole_file(path, &data, &len, err));
    int rc = parse_buffer(path, data, len, root, err);
    free(data);
    return rc;
}

static const char *type_name(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    }
    return "?";
}

/* Where a record lives, for messages: "<path>: <array>[<index>].<field>". */
typedef struct rec {
    const char *path, *array;
    size_t index;
    ak_error *err;
} rec;

static int field_error(const rec *r, const char *field, const char *expected, const json_t *v) {
    return ak_error_set(r->err, AK_EFORMAT, "%s: %s[%zu].%s: expected %s, got %s", r->path, r->array, r->index,
                        field, expected, v ? type_name(v) : "nothing (missing)");
}

static int get_i64(const rec *r, json_t *obj, const char *key, int required, int64_t def, int64_t *out) {
    json_t *v = json_object_get(obj, key);
    if (!v && !required) {
        *out = def;
        return AK_OK;
    }
    if (!v || !json_is_integer(v))
        return field_error(r, key, "an integer", v);
    *out = (int64_t)json_integer_value(v);
    return AK_OK;
}

static int get_int(const rec *r, json_t *obj, const char *key, int *out) {
    int64_t v;
    AK_TRY(get_i64(r, obj, key, 0, 0, &v));
    if (v < 0 || v > 1 << 30)
        return ak_error_set(r->err, AK_EFORMAT, "%s: %s[%zu].%s: %lld is out of range", r->path, r->array,
                            r->index, key, (long long)v);
    *out = (int)v;
    return AK_OK;
}

static int get_num(const rec *r, json_t *obj, const char *key, double *out) {
    json_t *v = json_object_get(obj, key);
    if (!v || !json_is_number(v))
        return field_error(r, key, "a number", v);
    *out = json_number_value(v);
    return AK_OK;
}

static int get_str(const rec *r, json_t *obj, const char *key, char **out) {
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return AK_OK;
    if (!json_is_string(v))
        return field_error(r, key, "a string", v);
    *out = strdup(json_string_value(v));
    if (!*out)
        return ak_error_set(r->err, AK_ENOMEM, "%s: out of memory", r->path);
    return AK_OK;
}

static int get_bbox(const rec *r, json_t *obj, double bbox[4]) {
    json_t *v = json_object_get(obj, "bbox");
    if (!v || !json_is_array(v) || json_array_size(v) != 4)
        return field_error(r, "bbox", "4 numbers", v);
    for (size_t i = 0; i < 4; i++) {
        json_t *x = json_array_get(v, i);
        if (!json_is_number(x))
            return ak_error_set(r->err, AK_EFORMAT, "%s: %s[%zu].bbox[%zu]: expected a number, got %s", r->path,
                                r->array, r->index, i, type_name(x));
        bbox[i] = json_number_value(x);
    }
    return AK_OK;
}

/* iscrowd: 0/1 as in COCO; true/false accepted too (Python treats both alike). */
static int get_crowd(const rec *r, json_t *obj, int *out) {
    json_t *v = json_object_get(obj, "iscrowd");
    if (!v) {
        *out = 0;
        return AK_OK;
    }
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return AK_OK;
    }
    if (!json_is_integer(v))
        return field_error(r, "iscrowd", "0 or 1", v);
    *out = json_integer_value(v) != 0;
    return AK_OK;
}

/* The array under `key` of the top-level object (missing = empty); count in *n. */
static int top_array(const char *path, json_t *root, const char *key, json_t **arr, size_t *n, ak_error *err) {
    *arr = json_object_get(root, key);
    *n = 0;
    if (!*arr)
        return AK_OK;
    if (!json_is_array(*arr))
        return ak_error_set(err, AK_EFORMAT, "%s: \"%s\": expected an array, got %s", path, key, type_name(*arr));
    *n = json_array_size(*arr);
    return AK_OK;
}

static int need_object(const rec *r, json_t *v) {
    if (!json_is_object(v))
        return ak_error_set(r->err, AK_EFORMAT, "%s: %s[%zu]: expected an object, got %s", r->path, r->array,
                            r->index, type_name(v));
    return AK_OK;
}

static int load_images(ak_coco *gt, json_t *root, ak_error *err) {
    json_t *arr;
    size_t n;
    AK_TRY(top_array(gt->path, root, "images", &arr, &n, err));
    gt->images = calloc(n ? n : 1, sizeof *gt->images);
    if (!gt->images)
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", gt->path);
    gt->n_images = (int64_t)n; /* zeroed records: ak_coco_free is safe after a failure half-way */
    rec r = {gt->path, "images", 0, err};
    for (r.index = 0; r.index < n; r.index++) {
        json_t *o = json_array_get(arr, r.index);
        ak_coco_image *im = &gt->images[r.index];
        AK_TRY(need_object(&r, o));
        AK_TRY(get_i64(&r, o, "id", 1, 0, &im->id));
        AK_TRY(get_int(&r, o, "width", &im->width));
        AK_TRY(get_int(&r, o, "height", &im->height));
        AK_TRY(get_str(&r, o, "file_name", &im->file_name));
    }
    gt->n_images = (int64_t)n;
    return AK_OK;
}

static int load_anns(ak_coco *gt, json_t *root, ak_error *err) {
    json_t *arr;
    size_t n;
    AK_TRY(top_array(gt->path, root, "annotations", &arr, &n, err));
    gt->anns = calloc(n ? n : 1, sizeof *gt->anns);
    if (!gt->anns)
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", gt->path);
    rec r = {gt->path, "annotations", 0, err};
    for (r.index = 0; r.index < n; r.index++) {
        json_t *o = json_array_get(arr, r.index);
        ak_coco_ann *a = &gt->anns[r.index];
        AK_TRY(need_object(&r, o));
        AK_TRY(get_i64(&r, o, "id", 1, 0, &a->id));
        AK_TRY(get_i64(&r, o, "image_id", 1, 0, &a->image_id));
        AK_TRY(get_i64(&r, o, "category_id", 1, 0, &a->category_id));
        AK_TRY(get_bbox(&r, o, a->bbox));
        AK_TRY(get_num(&r, o, "area", &a->area));
        AK_TRY(get_crowd(&r, o, &a->iscrowd));
    }
    gt->n_anns = (int64_t)n;
    return AK_OK;
}

static int load_cats(ak_coco *gt, json_t *root, ak_error *err) {
    json_t *arr;
    size_t n;
    AK_TRY(top_array(gt->path, root, "categories", &arr, &n, err));
    gt->cats = calloc(n ? n : 1, sizeof *gt->cats);
    if (!gt->cats)
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", gt->path);
    gt->n_cats = (int64_t)n;
    rec r = {gt->path, "categories", 0, err};
    for (r.index = 0; r.index < n; r.index++) {
        json_t *o = json_array_get(arr, r.index);
        ak_coco_category *c = &gt->cats[r.index];
        AK_TRY(need_object(&r, o));
        AK_TRY(get_i64(&r, o, "id", 1, 0, &c->id));
        AK_TRY(get_str(&r, o, "name", &c->name));
        AK_TRY(get_str(&r, o, "supercategory", &c->supercategory));
    }
    gt->n_cats = (int64_t)n;
    return AK_OK;
}

int ak_coco_load(ak_coco *gt, const char *path, ak_error *err) {
    memset(gt, 0, sizeof *gt);
    gt->path = strdup(path);
    if (!gt->path)
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", path);
    json_t *root = NULL;
    int rc = parse_json(path, &root, err);
    if (rc == AK_OK && !json_is_object(root))
        rc = ak_error_set(err, AK_EFORMAT, "%s: expected a COCO instances object at the top level, got %s", path,
                          type_name(root));
    if (rc == AK_OK)
        rc = load_images(gt, root, err);
    if (rc == AK_OK)
        rc = load_anns(gt, root, err);
    if (rc == AK_OK)
        rc = load_cats(gt, root, err);
    json_decref(root);
    if (rc != AK_OK)
        ak_coco_free(gt);
    return rc;
}

void ak_coco_free(ak_coco *gt) {
    if (!gt)
        return;
    for (int64_t i = 0; gt->images && i < gt->n_images; i++)
        free(gt->images[i].file_name);
    for (int64_t i = 0; gt->cats && i < gt->n_cats; i++) {
        free(gt->cats[i].name);
        free(gt->cats[i].supercategory);
    }
    free(gt->images);
    free(gt->anns);
    free(gt->cats);
    free(gt->path);
    memset(gt, 0, sizeof *gt);
}

int ak__coco_dets_parse(const char *path, const char *buf, size_t len, int allow_fast, ak_coco_dets *dets,
                        ak_error *err) {
    memset(dets, 0, sizeof *dets);
    dets->path = strdup(path);
    if (!dets->path)
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", path);
    if (allow_fast) {
        int fast = ak__coco_dets_scan(buf, len, &dets->dets, &dets->n);
        if (fast == 1)
            return AK_OK;
        if (fast < 0) {
            ak_coco_dets_free(dets);
            return ak_error_set(err, AK_ENOMEM, "%s: out of memory", path);
        }
    }
    json_t *root = NULL;
    int rc = parse_buffer(path, buf, len, &root, err);
    if (rc == AK_OK && !json_is_array(root))
        rc = ak_error_set(err, AK_EFORMAT, "%s: expected a JSON array of detections (COCO results format), got %s",
                          path, type_name(root));
    size_t n = rc == AK_OK ? json_array_size(root) : 0;
    if (rc == AK_OK) {
        dets->dets = calloc(n ? n : 1, sizeof *dets->dets);
        if (!dets->dets)
            rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory for %zu detections", path, n);
    }
    rec r = {path, "detections", 0, err};
    for (r.index = 0; rc == AK_OK && r.index < n; r.index++) {
        json_t *o = json_array_get(root, r.index);
        ak_coco_det *d = &dets->dets[r.index];
        if ((rc = need_object(&r, o)) != AK_OK)
            break;
        if ((rc = get_i64(&r, o, "image_id", 1, 0, &d->image_id)) != AK_OK ||
            (rc = get_i64(&r, o, "category_id", 1, 0, &d->category_id)) != AK_OK ||
            (rc = get_bbox(&r, o, d->bbox)) != AK_OK || (rc = get_num(&r, o, "score", &d->score)) != AK_OK)
            break;
    }
    json_decref(root);
    if (rc != AK_OK) {
        ak_coco_dets_free(dets);
        return rc;
    }
    dets->n = (int64_t)n;
    return AK_OK;
}

int ak_coco_dets_load(ak_coco_dets *dets, const char *path, ak_error *err) {
    memset(dets, 0, sizeof *dets);
    char *data = NULL;
    size_t len = 0;
    AK_TRY(read_whole_file(path, &data, &len, err));
    int rc = ak__coco_dets_parse(path, data, len, 1, dets, err);
    free(data);
    return rc;
}

void ak_coco_dets_free(ak_coco_dets *dets) {
    if (!dets)
        return;
    free(dets->dets);
    free(dets->path);
    memset(dets, 0, sizeof *dets);
}
