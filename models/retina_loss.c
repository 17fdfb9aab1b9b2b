/* RetinaNet training loss and inference; see retinanet.h. Targets are built on the host (assignment
 * is not differentiable); the losses are the fused ops of core/ops/loss.h with per-anchor weights
 * that carry both the ignore mask and the reference's normalisation. */
#include <math.h>
#include <string.h>

#include "core/ops/elementwise.h"
#include "core/ops/loss.h"
#include "models/det_targets.h"
#include "models/retinanet.h"

static ak_tensor *const3(ak_ctx *ctx, const char *what, int64_t a, int64_t b, int64_t c) {
    int64_t s[3] = {a, b, c};
    return ak_tensor_zeros(ctx, what, c > 0 ? 3 : 2, s);
}

int ak_retina_loss(ak_ctx *ctx, const ak_retina_head *h, const ak_dense_out *o, const float *anchors,
                   const ak_det_image *imgs, const ak_det_target *targets, ak_det_losses *out, int32_t *matched) {
    memset(out, 0, sizeof *out);
    if (!o->cls || !o->reg || !anchors)
        return ctx->err.code ? ctx->err.code : ak_error_set(&ctx->err, AK_EINVAL, "retinanet loss: missing inputs");
    const ak_retina_cfg *cfg = &h->cfg;
    int64_t N = o->cls->shape[0], M = o->cls->shape[1], K = o->cls->shape[2];
    if (M != o->lv.start[o->lv.n] || o->reg->shape[1] != M)
        return ak_error_set(&ctx->err, AK_ESHAPE, "retinanet loss: %lld logits rows for %lld anchors", (long long)M,
                            (long long)o->lv.start[o->lv.n]);
    bool mm = cfg->style == AK_DET_MMDET;
    ak_tensor *cls_t = const3(ctx, "retinanet cls targets", N, M, K), *cls_w = const3(ctx, "cls weights", N, M, 0);
    ak_tensor *reg_t = const3(ctx, "retinanet box targets", N, M, 4), *reg_w = const3(ctx, "box weights", N, M, 0);
    int32_t *m = ak_scratch(ctx, "retinanet assignment", (size_t)(M > 0 ? M : 1) * sizeof *m);
    if (!cls_t || !cls_w || !reg_t || !reg_w || !m)
        return ctx->err.code;
    double avg = 0; /* mmdet: sum_i max(npos_i, 1) */
    for (int64_t i = 0; i < N; i++) {
        ak_gt_split gt;
        AK_TRY(ak_gt_split_init(ctx, &targets[i], (int)i, (int)K, &gt));
        const uint8_t *valid = NULL;
        if (mm && !(valid = ak_det_valid_flags(ctx, &o->lv, cfg->anchors.strides, imgs ? &imgs[i] : NULL)))
            return ctx->err.code;
        AK_TRY(ak_assign_max_iou(&cfg->assign, gt.boxes, gt.n, gt.ignore, gt.n_ignore, anchors, M, valid, m,
                                 &ctx->err));
        if (matched)
            memcpy(matched + i * M, m, (size_t)M * sizeof *m);
        int64_t npos = 0;
        for (int64_t a = 0; a < M; a++)
            npos += m[a] >= 0;
        out->num_pos += npos;
        avg += (double)(npos > 1 ? npos : 1);
        /* torchvision: this image's sums divided by max(1, npos) (the mean over images follows) */
        float w = mm ? 1.0f : (float)(1.0 / (double)(npos > 1 ? npos : 1));
        float *ct = cls_t->data + i * M * K, *cw = cls_w->data + i * M;
        float *rt = reg_t->data + i * M * 4, *rw = reg_w->data + i * M;
        for (int64_t a = 0; a < M; a++) {
            cw[a] = m[a] == AK_ASSIGN_IGNORE ? 0.0f : w;
            if (m[a] < 0)
                continue;
            ct[a * K + gt.labels[m[a]]] = 1.0f;
            ak_delta_encode(&cfg->coder, anchors + 4 * a, gt.boxes + 4 * m[a], 1, rt + 4 * a);
            rw[a] = w;
        }
    }
    ak_loss_opts oc = {AK_REDUCE_SUM, false, 0.0, cls_w}, orr = {AK_REDUCE_SUM, false, 0.0, reg_w};
    if (mm) {
        oc.reduction = orr.reduction = AK_REDUCE_MEAN;
        oc.has_avg_factor = orr.has_avg_factor = true;
        oc.avg_factor = orr.avg_factor = avg;
    }
    ak_tensor *lc = ak_sigmoid_focal_loss(ctx, o->cls, cls_t, cfg->focal_alpha, cfg->focal_gamma, &oc);
    ak_tensor *lb = ak_l1_loss(ctx, o->reg, reg_t, &orr);
    if (!mm && N > 0) {
        lc = ak_mul_scalar(ctx, lc, (float)(1.0 / (double)N));
        lb = ak_mul_scalar(ctx, lb, (float)(1.0 / (double)N));
    }
    if (cfg->cls_weight != 1.0f)
        lc = ak_mul_scalar(ctx, lc, cfg->cls_weight);
    if (cfg->box_weight != 1.0f)
        lb = ak_mul_scalar(ctx, lb, cfg->box_weight);
    out->cls = lc;
    out->box = lb;
    out->total = ak_add(ctx, lc, lb);
    return ctx->err.code;
}

int ak_retina_predict(const ak_retina_head *h, const ak_dense_out *o, const float *anchors, const ak_det_image *imgs,
                      ak_det_result *res, ak_error *err) {
    int64_t N = o->cls->shape[0], M = o->cls->shape[1], K = o->cls->shape[2];
    for (int64_t i = 0; i < N; i++)
        memset(&res[i], 0, sizeof res[i]);
    for (int64_t i = 0; i < N; i++) {
        int rc = ak_det_postprocess(&h->cfg.test, AK_SCORE_SIGMOID, AK_DECODE_DELTA, &h->cfg.coder, &o->lv, NULL,
                                    (int)K, o->cls->data + i * M * K, o->reg->data + i * M * 4, NULL, anchors,
                                    &imgs[i], &res[i], err);
        if (rc != AK_OK) {
            for (int64_t j = 0; j < N; j++)
                ak_det_result_free(&res[j]);
            return rc;
        }
    }
    return AK_OK;
}
