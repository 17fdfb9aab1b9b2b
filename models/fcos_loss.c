/* FCOS training loss and inference; see fcos.h. The box loss decodes all priors with constant
 * per-prior scale / offset tensors (so gradients flow into the regression exactly as in the
 * references' decoding) and weights out the non-positives. */
#include <math.h>
#include <string.h>

#include "core/ops/elementwise.h"
#include "core/ops/loss.h"
#include "core/ops/shape.h"
#include "models/det_targets.h"
#include "models/fcos.h"

static ak_tensor *zeros(ak_ctx *ctx, const char *what, int ndim, int64_t a, int64_t b, int64_t c) {
    int64_t s[3] = {a, b, c};
    return ak_tensor_zeros(ctx, what, ndim, s);
}

/* centerness target from (l, t, r, b) */
static float ctr_target(const float *d) {
    float lr = fminf(d[0], d[2]) / fmaxf(d[0], d[2]), tb = fminf(d[1], d[3]) / fmaxf(d[1], d[3]);
    return sqrtf(lr * tb);
}

int ak_fcos_loss(ak_ctx *ctx, const ak_fcos_head *h, const ak_dense_out *o, const float *priors,
                 const ak_det_target *targets, ak_det_losses *out, int32_t *matched) {
    memset(out, 0, sizeof *out);
    if (!o->cls || !o->reg || !o->ctr || !priors)
        return ctx->err.code ? ctx->err.code : ak_error_set(&ctx->err, AK_EINVAL, "fcos loss: missing inputs");
    const ak_fcos_cfg *cfg = &h->cfg;
    bool mm = cfg->style == AK_DET_MMDET;
    int64_t N = o->cls->shape[0], M = o->cls->shape[1], K = o->cls->shape[2];
    if (M != o->lv.start[o->lv.n])
        return ak_error_set(&ctx->err, AK_ESHAPE, "fcos loss: %lld rows for %lld priors", (long long)M,
                            (long long)o->lv.start[o->lv.n]);
    ak_tensor *cls_t = zeros(ctx, "fcos cls targets", 3, N, M, K);
    ak_tensor *scale = zeros(ctx, "fcos decode scale", 3, N, M, 4), *offset = zeros(ctx, "fcos decode offset", 3, N, M, 4);
    ak_tensor *box_t = zeros(ctx, "fcos box targets", 2, N * M, 4, 0), *box_w = zeros(ctx, "fcos box weights", 1, N * M, 0, 0);
    ak_tensor *ctr_t = zeros(ctx, "fcos ctr targets", 3, N, M, 1), *ctr_w = zeros(ctx, "fcos ctr weights", 3, N, M, 1);
    int32_t *m = ak_scratch(ctx, "fcos assignment", (size_t)(M > 0 ? M : 1) * sizeof *m);
    if (!cls_t || !scale || !offset || !box_t || !box_w || !ctr_t || !ctr_w || !m)
        return ctx->err.code;
    double ctr_sum = 0;
    for (int64_t i = 0; i < N; i++) {
        ak_gt_split gt;
        AK_TRY(ak_gt_split_init(ctx, &targets[i], (int)i, (int)K, &gt));
        AK_TRY(ak_fcos_match(cfg, &o->lv, priors, gt.boxes, gt.n, m, &ctx->err));
        if (matched)
            memcpy(matched + i * M, m, (size_t)M * sizeof *m);
        for (int l = 0; l < o->lv.n; l++)
            for (int64_t a = o->lv.start[l]; a < o->lv.start[l + 1]; a++) {
                int64_t r = i * M + a;
                float *sc = scale->data + 4 * r, *of = offset->data + 4 * r, *bt = box_t->data + 4 * r;
                /* decoding: box = reg * scale + offset (torchvision: c -+ code * size; mmdet: p -+ dist) */
                float d[4];
                if (mm) {
                    float px = priors[2 * a], py = priors[2 * a + 1];
                    sc[0] = sc[1] = -1.0f, sc[2] = sc[3] = 1.0f;
                    of[0] = of[2] = px, of[1] = of[3] = py;
                    if (m[a] >= 0) {
                        ak_distance_encode(priors + 2 * a, gt.boxes + 4 * m[a], 1, d);
                        if (cfg->bbox == AK_FCOS_BBOX_RELU_NORM)
                            for (int k = 0; k < 4; k++)
                                d[k] = d[k] / (float)cfg->strides[l];
                        ak_distance_decode(priors + 2 * a, d, 1, 0, 0, bt);
                    }
                } else {
                    const float *an = priors + 4 * a;
                    float cx = 0.5f * (an[0] + an[2]), cy = 0.5f * (an[1] + an[3]);
                    float w = an[2] - an[0], hh = an[3] - an[1];
                    sc[0] = -w, sc[1] = -hh, sc[2] = w, sc[3] = hh;
                    of[0] = of[2] = cx, of[1] = of[3] = cy;
                    if (m[a] >= 0) {
                        ak_linear_encode(an, gt.boxes + 4 * m[a], 1, d);
                        memcpy(bt, gt.boxes + 4 * m[a], 4 * sizeof *bt);
                    }
                }
                if (m[a] < 0) { /* a harmless non-degenerate box: its weight is 0 */
                    bt[0] = of[0] - 1.0f, bt[1] = of[1] - 1.0f, bt[2] = of[2] + 1.0f, bt[3] = of[3] + 1.0f;
                    continue;
                }
                out->num_pos++;
                cls_t->data[r * K + gt.labels[m[a]]] = 1.0f;
                float c = ctr_target(d);
                ctr_t->data[r] = c;
                ctr_w->data[r] = 1.0f;
                box_w->data[r] = mm ? c : 1.0f;
                ctr_sum += c;
            }
    }
    /* decoded predictions, (N*M, 4) */
    int64_t s2[2] = {N * M, 4};
    ak_tensor *pred = ak_reshape(ctx, ak_add(ctx, ak_mul(ctx, o->reg, scale), offset), 2, s2);
    double npos = (double)out->num_pos;
    ak_tensor *lc, *lb, *lz;
    if (mm) {
        double denom = npos > 1.0 ? npos : 1.0;
        ak_loss_opts oc = {AK_REDUCE_MEAN, true, denom, NULL};
        ak_loss_opts ob = {AK_REDUCE_MEAN, true, ctr_sum > 1e-6 ? ctr_sum : 1e-6, box_w};
        ak_loss_opts oz = {AK_REDUCE_MEAN, true, denom, ctr_w};
        lc = ak_sigmoid_focal_loss(ctx, o->cls, cls_t, cfg->focal_alpha, cfg->focal_gamma, &oc);
        lb = cfg->box_loss == AK_FCOS_LOSS_GIOU ? ak_giou_loss(ctx, pred, box_t, 0.0f, &ob)
                                                : ak_iou_loss(ctx, pred, box_t, AK_IOU_LOG, 1e-6f, &ob);
        lz = ak_bce_with_logits(ctx, o->ctr, ctr_t, &oz);
    } else {
        float inv = (float)(1.0 / (npos > 1.0 ? npos : 1.0));
        ak_loss_opts oc = {AK_REDUCE_SUM, false, 0, NULL}, ob = {AK_REDUCE_SUM, false, 0, box_w};
        ak_loss_opts oz = {AK_REDUCE_SUM, false, 0, ctr_w};
        lc = ak_mul_scalar(ctx, ak_sigmoid_focal_loss(ctx, o->cls, cls_t, cfg->focal_alpha, cfg->focal_gamma, &oc), inv);
        lb = ak_mul_scalar(ctx,
                           cfg->box_loss == AK_FCOS_LOSS_GIOU ? ak_giou_loss(ctx, pred, box_t, 1e-7f, &ob)
                                                              : ak_iou_loss(ctx, pred, box_t, AK_IOU_LOG, 1e-6f, &ob),
                           inv);
        lz = ak_mul_scalar(ctx, ak_bce_with_logits(ctx, o->ctr, ctr_t, &oz), inv);
    }
    if (cfg->cls_weight != 1.0f)
        lc = ak_mul_scalar(ctx, lc, cfg->cls_weight);
    if (cfg->box_weight != 1.0f)
        lb = ak_mul_scalar(ctx, lb, cfg->box_weight);
    if (cfg->ctr_weight != 1.0f)
        lz = ak_mul_scalar(ctx, lz, cfg->ctr_weight);
    out->cls = lc, out->box = lb, out->ctr = lz;
    out->total = ak_add(ctx, ak_add(ctx, lc, lb), lz);
    return ctx->err.code;
}

int ak_fcos_predict(const ak_fcos_head *h, const ak_dense_out *o, const float *priors, const ak_det_image *imgs,
                    ak_det_result *res, ak_error *err) {
    const ak_fcos_cfg *cfg = &h->cfg;
    bool mm = cfg->style == AK_DET_MMDET;
    int64_t N = o->cls->shape[0], M = o->cls->shape[1], K = o->cls->shape[2];
    for (int64_t i = 0; i < N; i++)
        memset(&res[i], 0, sizeof res[i]);
    for (int64_t i = 0; i < N; i++) {
        int rc = ak_det_postprocess(&cfg->test, mm ? AK_SCORE_MUL_CTR : AK_SCORE_SQRT_CTR,
                                    mm ? AK_DECODE_DISTANCE : AK_DECODE_LINEAR, NULL, &o->lv,
                                    cfg->bbox == AK_FCOS_BBOX_RELU_NORM ? cfg->strides : NULL, (int)K,
                                    o->cls->data + i * M * K, o->reg->data + i * M * 4, o->ctr->data + i * M, priors,
                                    &imgs[i], &res[i], err);
        if (rc != AK_OK) {
            for (int64_t j = 0; j < N; j++)
                ak_det_result_free(&res[j]);
            return rc;
        }
    }
    return AK_OK;
}
