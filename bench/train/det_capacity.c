/* Avatar capacity of a detection teacher; see det_capacity.h. */
#include "bench/train/det_capacity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops/shape.h"

static void level_name(const ak_detector *det, int i, char *buf, size_t len) {
    snprintf(buf, len, "%s.p%d", det->neck.prefix, det->neck.cfg.start_level + 2 + i);
}

int ak_det_capacity_init(ak_det_capacity *dc, const ak_detector *det, const char *const *taps, int n_taps,
                         const char *what, const int64_t *cat_ids, int n_settings, ak_error *err) {
    memset(dc, 0, sizeof *dc);
    dc->det = det;
    dc->cat_ids = cat_ids;
    dc->n_levels = det->neck.cfg.num_outs;
    if (n_settings < 1 || n_settings > AK_CAPACITY_MAX_SETTINGS)
        return ak_error_set(err, AK_EINVAL, "avatars eval: %d settings, expected 1..%d", n_settings,
                            AK_CAPACITY_MAX_SETTINGS);
    dc->n_settings = n_settings;
    char valid[256] = "", name[AK_TAP_NAME_LEN];
    for (int i = 0; i < dc->n_levels; i++) {
        level_name(det, i, name, sizeof name);
        snprintf(valid + strlen(valid), sizeof valid - strlen(valid), "%s%s", i ? ", " : "", name);
    }
    if (n_taps < 0 || n_taps > dc->n_levels)
        return ak_error_set(err, AK_EINVAL, "%s: %d taps, this detector has %d neck levels (%s)", what, n_taps,
                            dc->n_levels, valid);
    dc->n_feat = n_taps ? n_taps : dc->n_levels;
    for (int t = 0; t < dc->n_feat; t++) {
        int found = -1;
        for (int i = 0; i < dc->n_levels && n_taps; i++) {
            level_name(det, i, name, sizeof name);
            if (!strcmp(name, taps[t]))
                found = i;
        }
        if (!n_taps)
            found = t;
        if (found < 0)
            return ak_error_set(err, AK_EINVAL,
                                "%s: tap '%s' is not a neck level of this detector: the detection capacity table "
                                "perturbs FPN levels (%s)",
                                what, taps[t], valid);
        for (int u = 0; u < t; u++)
            if (dc->feat_level[u] == found)
                return ak_error_set(err, AK_EINVAL, "%s: tap '%s' is listed twice", what, taps[t]);
        dc->feat_level[t] = found;
        level_name(det, found, dc->feat_tap[t], sizeof dc->feat_tap[t]);
    }
    return AK_OK;
}

void ak_det_capacity_free(ak_det_capacity *dc) {
    for (int s = 0; s < AK_CAPACITY_MAX_SETTINGS; s++) {
        ak_coco_dets_free(&dc->dets[s]);
        ak_coco_eval_free(&dc->ev[s]);
    }
    free(dc->seen_ids);
    dc->seen_ids = NULL;
    dc->n_seen = dc->seen_cap = 0;
    dc->evaluated = false;
}

int ak_det_capacity_neck(ak_ctx *ctx, const ak_det_capacity *dc, ak_tensor *x, ak_tensor **levels) {
    if (!x)
        return ctx->err.code ? ctx->err.code : ak_error_set(&ctx->err, AK_EINVAL, "avatars eval: NULL input");
    const bool rec = ak_ctx_set_record(ctx, false);
    ak_tensor *c[4];
    int rc = ak_resnet_forward(ctx, &dc->det->backbone, x, false, c, NULL);
    if (rc == AK_OK)
        rc = ak_fpn_forward(ctx, &dc->det->neck, c, levels, NULL);
    ak_ctx_set_record(ctx, rec);
    return rc;
}

void ak_det_capacity_set_batch(ak_det_capacity *dc, ak_tensor *const *levels, const ak_det_image *imgs,
                               const int64_t *image_ids, int n_images, int in_h, int in_w) {
    for (int i = 0; i < dc->n_levels; i++)
        dc->levels[i] = levels[i];
    dc->imgs = imgs;
    dc->image_ids = image_ids;
    dc->n_images = n_images;
    dc->in_h = in_h;
    dc->in_w = in_w;
}

void ak_det_capacity_features(const ak_det_capacity *dc, ak_tensor **features) {
    for (int t = 0; t < dc->n_feat; t++)
        features[t] = dc->levels[dc->feat_level[t]];
}

ak_tensor *ak_det_capacity_head(ak_ctx *ctx, void *user, ak_tensor *const *features, int n_features) {
    ak_det_capacity *dc = user;
    if (!ak_ok(ctx))
        return NULL;
    if (n_features != dc->n_feat)
        return ak_fail(ctx, AK_EINVAL, "avatars eval: %d features for %d distilled levels", n_features, dc->n_feat);
    ak_tensor *p[AK_FPN_MAX_OUT];
    for (int i = 0; i < dc->n_levels; i++)
        p[i] = dc->levels[i];
    for (int t = 0; t < n_features; t++)
        p[dc->feat_level[t]] = features[t];
    ak_dense_out o;
    const ak_detector *d = dc->det;
    const int rc = d->cfg.kind == AK_HEAD_RETINANET ? ak_retina_head_forward(ctx, &d->retina, p, dc->n_levels, &o, NULL)
                                                    : ak_fcos_head_forward(ctx, &d->fcos, p, dc->n_levels, &o, NULL);
    if (rc != AK_OK)
        return NULL;
    dc->lv = o.lv;
    ak_tensor *parts[3] = {o.cls, o.reg, o.ctr};
    return ak_concat(ctx, parts, o.ctr ? 3 : 2, 2);
}

static int remember_images(ak_det_capacity *dc, ak_error *err) {
    if (dc->n_seen + dc->n_images > dc->seen_cap) {
        int64_t cap = dc->seen_cap ? 2 * dc->seen_cap : 64;
        while (cap < dc->n_seen + dc->n_images)
            cap *= 2;
        int64_t *p = realloc(dc->seen_ids, (size_t)cap * sizeof *p);
        if (!p)
            return ak_error_set(err, AK_ENOMEM, "avatars eval: out of memory for image ids");
        dc->seen_ids = p;
        dc->seen_cap = cap;
    }
    memcpy(dc->seen_ids + dc->n_seen, dc->image_ids, (size_t)dc->n_images * sizeof *dc->seen_ids);
    dc->n_seen += dc->n_images;
    return AK_OK;
}

static int append_dets(ak_coco_dets *all, const ak_coco_dets *more, ak_error *err) {
    if (!more->n)
        return AK_OK;
    ak_coco_det *d = realloc(all->dets, (size_t)(all->n + more->n) * sizeof *d);
    if (!d)
        return ak_error_set(err, AK_ENOMEM, "avatars eval: out of memory for detections");
    memcpy(d + all->n, more->dets, (size_t)more->n * sizeof *d);
    all->dets = d;
    all->n += more->n;
    return AK_OK;
}

int ak_det_capacity_accumulate(ak_ctx *ctx, void *user, int setting, int64_t batch, const ak_tensor *output) {
    ak_det_capacity *dc = user;
    (void)batch;
    if (!ak_ok(ctx))
        return ctx->err.code;
    if (setting < 0 || setting >= dc->n_settings)
        return ak_error_set(&ctx->err, AK_EINVAL, "avatars eval: setting %d of %d", setting, dc->n_settings);
    const ak_detector *d = dc->det;
    const bool retina = d->cfg.kind == AK_HEAD_RETINANET;
    const int64_t kc = retina ? d->retina.cfg.num_classes : d->fcos.cfg.num_classes, width = kc + (retina ? 4 : 5);
    const int64_t N = output->ndim == 3 ? output->shape[0] : 0;
    if (output->ndim != 3 || output->shape[2] != width || output->shape[1] != dc->lv.start[dc->lv.n] ||
        N < dc->n_images) {
        char s[64];
        return ak_error_set(&ctx->err, AK_ESHAPE, "avatars eval: head output %s, expected (>= %d, %lld, %lld)",
                            ak_shape_str(output, s, sizeof s), dc->n_images, (long long)dc->lv.start[dc->lv.n],
                            (long long)width);
    }
    ak_tensor *out = (ak_tensor *)output; /* read only: ak_slice copies */
    ak_dense_out o = {dc->lv, ak_slice(ctx, out, 2, 0, kc, 1), ak_slice(ctx, out, 2, kc, kc + 4, 1),
                      retina ? NULL : ak_slice(ctx, out, 2, kc + 4, kc + 5, 1)};
    float *pri = o.cls && o.reg && (retina || o.ctr) ? ak_detector_priors(ctx, d, &o, dc->in_h, dc->in_w) : NULL;
    if (!pri)
        return ctx->err.code;
    ak_det_result res[64];
    if (N > 64)
        return ak_error_set(&ctx->err, AK_EINVAL, "avatars eval: %lld images per batch, at most 64", (long long)N);
    int rc = retina ? ak_retina_predict(&d->retina, &o, pri, dc->imgs, res, &ctx->err)
                    : ak_fcos_predict(&d->fcos, &o, pri, dc->imgs, res, &ctx->err);
    if (rc != AK_OK)
        return rc;
    ak_coco_dets part;
    memset(&part, 0, sizeof part);
    rc = ak_detector_coco(res, dc->n_images, dc->image_ids, dc->cat_ids, &part, &ctx->err);
    for (int64_t i = 0; i < N; i++)
        ak_det_result_free(&res[i]);
    if (rc == AK_OK)
        rc = append_dets(&dc->dets[setting], &part, &ctx->err);
    ak_coco_dets_free(&part);
    /* the vanilla setting comes first in every batch: it records the batch's images */
    if (rc == AK_OK && setting == 0)
        rc = remember_images(dc, &ctx->err);
    return rc;
}

double ak_det_capacity_metric(void *user, int setting) {
    const ak_det_capacity *dc = user;
    return dc->evaluated && setting >= 0 && setting < dc->n_settings ? dc->ev[setting].stats[0] : NAN;
}

ak_capacity_cb ak_det_capacity_callbacks(ak_det_capacity *dc) {
    return (ak_capacity_cb){ak_det_capacity_head, ak_det_capacity_accumulate, ak_det_capacity_metric, dc};
}

static int cmp_i64(const void *a, const void *b) {
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int ak_det_capacity_finish(ak_det_capacity *dc, const ak_coco *gt, ak_error *err) {
    /* gt restricted to the predicted images (file order kept; a shallow view, nothing copied but the
     * image records) */
    int64_t *ids = malloc((size_t)(dc->n_seen ? dc->n_seen : 1) * sizeof *ids);
    ak_coco_image *imgs = malloc((size_t)(gt->n_images ? gt->n_images : 1) * sizeof *imgs);
    if (!ids || !imgs) {
        free(ids);
        free(imgs);
        return ak_error_set(err, AK_ENOMEM, "avatars eval: out of memory");
    }
    if (dc->n_seen)
        memcpy(ids, dc->seen_ids, (size_t)dc->n_seen * sizeof *ids);
    qsort(ids, (size_t)dc->n_seen, sizeof *ids, cmp_i64);
    ak_coco view = *gt;
    view.images = imgs;
    view.n_images = 0;
    for (int64_t i = 0; i < gt->n_images; i++)
        if (bsearch(&gt->images[i].id, ids, (size_t)dc->n_seen, sizeof *ids, cmp_i64))
            imgs[view.n_images++] = gt->images[i];
    int rc = AK_OK;
    for (int s = 0; s < dc->n_settings && rc == AK_OK; s++) {
        ak_coco_eval_free(&dc->ev[s]);
        if ((rc = ak_coco_evaluate(&view, &dc->dets[s], NULL, &dc->ev[s], err)) != AK_OK)
            ak_error_prefix(err, "avatars eval");
    }
    free(ids);
    free(imgs);
    dc->evaluated = rc == AK_OK;
    return rc;
}
