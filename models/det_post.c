/* See det_post.h. */
#include "models/det_post.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ak_det_result_free(ak_det_result *r) {
    free(r->boxes), free(r->scores), free(r->labels);
    memset(r, 0, sizeof *r);
}

static float sigm(float x) { return 1.0f / (1.0f + expf(-x)); }

/* Growing candidate list over all levels. */
typedef struct cands {
    float *boxes, *scores;
    int32_t *labels;
    int64_t n, cap;
} cands;

static int cands_reserve(cands *c, int64_t more) {
    if (c->n + more <= c->cap)
        return 1;
    int64_t cap = c->cap * 2 > c->n + more ? c->cap * 2 : c->n + more;
    float *b = realloc(c->boxes, (size_t)cap * 4 * sizeof *b);
    if (b)
        c->boxes = b;
    float *s = realloc(c->scores, (size_t)cap * sizeof *s);
    if (s)
        c->scores = s;
    int32_t *l = realloc(c->labels, (size_t)cap * sizeof *l);
    if (l)
        c->labels = l;
    if (!b || !s || !l)
        return 0;
    c->cap = cap;
    return 1;
}

static void rescale(float *boxes, int64_t n, const ak_det_image *img) {
    for (int64_t i = 0; i < n; i++) {
        boxes[4 * i + 0] /= img->scale_w, boxes[4 * i + 1] /= img->scale_h;
        boxes[4 * i + 2] /= img->scale_w, boxes[4 * i + 3] /= img->scale_h;
    }
}

/* Candidates of one level appended to c. */
static int level(const ak_det_test_cfg *cfg, ak_det_score_mode sm, ak_det_decode_mode dm, const ak_delta_coder *coder,
                 int64_t r0, int64_t nr, float stride, int K, const float *cls, const float *reg, const float *ctr,
                 const float *priors, const ak_det_image *img, cands *c, ak_error *err) {
    int64_t nf = nr * K, nv = 0;
    float *sc = malloc((size_t)(nf > 0 ? nf : 1) * sizeof *sc);
    int64_t *idx = malloc((size_t)(nf > 0 ? nf : 1) * sizeof *idx), *ord = malloc((size_t)(nf > 0 ? nf : 1) * sizeof *ord);
    int rc = AK_OK;
    if (!sc || !idx || !ord) {
        rc = ak_error_set(err, AK_ENOMEM, "detection post-processing: out of memory (%lld scores)", (long long)nf);
        goto out;
    }
    for (int64_t i = 0; i < nf; i++) {
        int64_t row = r0 + i / K;
        float s = sigm(cls[r0 * K + i]);
        if (sm == AK_SCORE_SQRT_CTR)
            s = sqrtf(s * sigm(ctr[row]));
        if (s > cfg->score_thr) {
            sc[nv] = s;
            idx[nv++] = i;
        }
    }
    ak_argsort_desc(sc, nv, ord);
    int64_t nk = cfg->nms_pre > 0 && nv > cfg->nms_pre ? cfg->nms_pre : nv;
    if (!cands_reserve(c, nk)) {
        rc = ak_error_set(err, AK_ENOMEM, "detection post-processing: out of memory (%lld candidates)",
                          (long long)(c->n + nk));
        goto out;
    }
    for (int64_t t = 0; t < nk; t++) {
        int64_t i = idx[ord[t]], row = r0 + i / K;
        float *b = c->boxes + 4 * c->n;
        if (dm == AK_DECODE_DELTA)
            ak_delta_decode(coder, priors + 4 * row, reg + 4 * row, 1, img->img_h, img->img_w, b);
        else if (dm == AK_DECODE_LINEAR)
            ak_linear_decode(priors + 4 * row, reg + 4 * row, 1, img->img_h, img->img_w, b);
        else {
            float d[4];
            for (int k = 0; k < 4; k++)
                d[k] = reg[4 * row + k] * stride;
            ak_distance_decode(priors + 2 * row, d, 1, img->img_h, img->img_w, b);
        }
        float s = sc[ord[t]];
        c->scores[c->n] = sm == AK_SCORE_MUL_CTR ? s * sigm(ctr[row]) : s;
        c->labels[c->n] = (int32_t)(i % K);
        c->n++;
    }
out:
    free(sc), free(idx), free(ord);
    return rc;
}

int ak_det_postprocess(const ak_det_test_cfg *cfg, ak_det_score_mode sm, ak_det_decode_mode dm,
                       const ak_delta_coder *coder, const ak_det_levels *lv, const int *strides, int K,
                       const float *cls, const float *reg, const float *ctr, const float *priors,
                       const ak_det_image *img, ak_det_result *res, ak_error *err) {
    memset(res, 0, sizeof *res);
    if (K < 1)
        return ak_error_set(err, AK_EINVAL, "detection post-processing: %d classes", K);
    if (sm != AK_SCORE_SIGMOID && !ctr)
        return ak_error_set(err, AK_EINVAL, "detection post-processing: score mode %d needs centerness", (int)sm);
    if (dm == AK_DECODE_DELTA && !coder)
        return ak_error_set(err, AK_EINVAL, "detection post-processing: delta decoding needs a box coder");
    if (!(img->scale_w > 0.0f) || !(img->scale_h > 0.0f))
        return ak_error_set(err, AK_EINVAL, "detection post-processing: scale factor (%g, %g) must be > 0",
                            (double)img->scale_w, (double)img->scale_h);
    cands c = {0};
    int64_t *keep = NULL;
    int rc = AK_OK;
    for (int l = 0; l < lv->n && rc == AK_OK; l++)
        rc = level(cfg, sm, dm, coder, lv->start[l], lv->start[l + 1] - lv->start[l],
                   strides ? (float)strides[l] : 1.0f, K, cls, reg, ctr, priors, img, &c, err);
    if (rc != AK_OK)
        goto fail;
    bool mm = cfg->style == AK_DET_MMDET;
    if (mm)
        rescale(c.boxes, c.n, img);
    keep = malloc((size_t)(c.n > 0 ? c.n : 1) * sizeof *keep);
    if (!keep) {
        rc = ak_error_set(err, AK_ENOMEM, "detection post-processing: out of memory");
        goto fail;
    }
    int64_t nk = ak_batched_nms(c.boxes, c.scores, c.labels, c.n, cfg->nms_iou, cfg->nms_mode, keep, err);
    if (nk < 0) {
        rc = (int)nk;
        goto fail;
    }
    if (cfg->max_per_img >= 0 && nk > cfg->max_per_img)
        nk = cfg->max_per_img;
    res->boxes = malloc((size_t)(nk > 0 ? nk : 1) * 4 * sizeof *res->boxes);
    res->scores = malloc((size_t)(nk > 0 ? nk : 1) * sizeof *res->scores);
    res->labels = malloc((size_t)(nk > 0 ? nk : 1) * sizeof *res->labels);
    if (!res->boxes || !res->scores || !res->labels) {
        ak_det_result_free(res);
        rc = ak_error_set(err, AK_ENOMEM, "detection post-processing: out of memory");
        goto fail;
    }
    for (int64_t t = 0; t < nk; t++) {
        memcpy(res->boxes + 4 * t, c.boxes + 4 * keep[t], 4 * sizeof *res->boxes);
        res->scores[t] = c.scores[keep[t]];
        res->labels[t] = c.labels[keep[t]];
    }
    res->n = nk;
    if (!mm)
        rescale(res->boxes, nk, img);
fail:
    free(c.boxes), free(c.scores), free(c.labels), free(keep);
    return rc;
}

void ak_det_result_to_coco(const ak_det_result *r, int64_t image_id, const int64_t *cat_ids, ak_coco_det *out) {
    for (int64_t i = 0; i < r->n; i++) {
        const float *b = r->boxes + 4 * i;
        out[i].image_id = image_id;
        out[i].category_id = cat_ids ? cat_ids[r->labels[i]] : r->labels[i];
        out[i].bbox[0] = b[0], out[i].bbox[1] = b[1];
        out[i].bbox[2] = (double)(b[2] - b[0]), out[i].bbox[3] = (double)(b[3] - b[1]); /* float32, as mmdet xyxy2xywh */
        out[i].score = r->scores[i];
    }
}
