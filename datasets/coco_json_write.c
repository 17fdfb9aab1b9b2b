/* Writers of COCO instances / results JSON (see coco_json.h): printed directly, no DOM, doubles
 * as the shortest of %.15g / %.16g / %.17g that reads back to the same bits; written to a temporary
 * name and renamed, so a reader never sees half a file. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/coco_json.h"

char *ak_json_double(double v, char *buf) {
    if (!isfinite(v)) {
        strcpy(buf, "null");
        return buf;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

static void put_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void put_bbox(FILE *f, const double b[4]) {
    char t[4][32];
    fprintf(f, "[%s, %s, %s, %s]", ak_json_double(b[0], t[0]), ak_json_double(b[1], t[1]),
            ak_json_double(b[2], t[2]), ak_json_double(b[3], t[3]));
}

/* Write through a temporary name and rename, so a reader never sees half a file. */
static FILE *open_tmp(const char *path, char *tmp, size_t len, ak_error *err) {
    snprintf(tmp, len, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        ak_error_set(err, AK_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    return f;
}

static int close_tmp(FILE *f, const char *tmp, const char *path, ak_error *err) {
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad) {
        remove(tmp);
        return ak_error_set(err, AK_EIO, "%s: write failed (disk full?)", tmp);
    }
    if (rename(tmp, path) != 0) {
        remove(tmp);
        return ak_error_set(err, AK_EIO, "%s: cannot rename to %s: %s", tmp, path, strerror(errno));
    }
    return AK_OK;
}

int ak_coco_dets_save(const ak_coco_dets *dets, const char *path, ak_error *err) {
    char tmp[4096];
    FILE *f = open_tmp(path, tmp, sizeof tmp, err);
    if (!f)
        return err ? err->code : AK_EIO;
    fputs("[", f);
    for (int64_t i = 0; i < dets->n; i++) {
        const ak_coco_det *d = &dets->dets[i];
        char s[32];
        fprintf(f, "%s\n{\"image_id\": %lld, \"category_id\": %lld, \"bbox\": ", i ? "," : "",
                (long long)d->image_id, (long long)d->category_id);
        put_bbox(f, d->bbox);
        fprintf(f, ", \"score\": %s}", ak_json_double(d->score, s));
    }
    fputs("\n]\n", f);
    return close_tmp(f, tmp, path, err);
}

int ak_coco_save(const ak_coco *gt, const char *path, ak_error *err) {
    char tmp[4096];
    FILE *f = open_tmp(path, tmp, sizeof tmp, err);
    if (!f)
        return err ? err->code : AK_EIO;
    fputs("{\"images\": [", f);
    for (int64_t i = 0; i < gt->n_images; i++) {
        const ak_coco_image *im = &gt->images[i];
        fprintf(f, "%s\n{\"id\": %lld, \"width\": %d, \"height\": %d, \"file_name\": ", i ? "," : "",
                (long long)im->id, im->width, im->height);
        put_string(f, im->file_name);
        fputs("}", f);
    }
    fputs("\n],\n\"annotations\": [", f);
    for (int64_t i = 0; i < gt->n_anns; i++) {
        const ak_coco_ann *a = &gt->anns[i];
        char s[32];
        fprintf(f, "%s\n{\"id\": %lld, \"image_id\": %lld, \"category_id\": %lld, \"bbox\": ", i ? "," : "",
                (long long)a->id, (long long)a->image_id, (long long)a->category_id);
        put_bbox(f, a->bbox);
        fprintf(f, ", \"area\": %s, \"iscrowd\": %d}", ak_json_double(a->area, s), a->iscrowd ? 1 : 0);
    }
    fputs("\n],\n\"categories\": [", f);
    for (int64_t i = 0; i < gt->n_cats; i++) {
        const ak_coco_category *c = &gt->cats[i];
        fprintf(f, "%s\n{\"id\": %lld, \"name\": ", i ? "," : "", (long long)c->id);
        put_string(f, c->name);
        fputs(", \"supercategory\": ", f);
        put_string(f, c->supercategory);
        fputs("}", f);
    }
    fputs("\n]}\n", f);
    return close_tmp(f, tmp, path, err);
}
