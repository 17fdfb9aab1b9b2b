/* See detector.h. */
#include "models/detector.h"

#include <stdlib.h>
#include <string.h>

ak_detector_cfg ak_detector_cfg_preset(ak_det_head_kind kind, ak_det_style style, int depth, int num_classes) {
    ak_detector_cfg c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.style = style;
    ak_resnet_cfg b = {depth, 1.0f, false, false, 1, true, false};
    c.backbone = b;
    c.freeze_bn_affine = style == AK_DET_TORCHVISION;
    const int zero[4] = {0, 0, 0, 0};
    c.neck = kind == AK_HEAD_RETINANET ? ak_fpn_cfg_retinanet(zero, 256, style) : ak_fpn_cfg_fcos(zero, 256, style);
    c.retina = ak_retina_cfg_default(style, num_classes);
    c.fcos = ak_fcos_cfg_default(style, num_classes);
    return c;
}

int ak_detector_init(ak_detector *d, ak_params *ps, const ak_detector_cfg *cfg, uint64_t seed, ak_error *err) {
    memset(d, 0, sizeof *d);
    d->cfg = *cfg;
    if (cfg->kind != AK_HEAD_RETINANET && cfg->kind != AK_HEAD_FCOS)
        return ak_error_set(err, AK_EINVAL, "detector: unknown head kind %d", (int)cfg->kind);
    AK_TRY(ak_resnet_init(&d->backbone, ps, "backbone", &cfg->backbone, seed, err));
    if (cfg->freeze_bn_affine)
        for (int i = 0; i < ps->n; i++) {
            const char *n = ps->items[i].name;
            if (strncmp(n, "backbone.", 9) == 0 && (strstr(n, ".bn") || strstr(n, ".downsample.1.")))
                ak_params_set_trainable(ps, n, false);
        }
    ak_fpn_cfg nc = cfg->neck;
    nc.n_in = 4;
    memcpy(nc.in_channels, d->backbone.out_channels, sizeof nc.in_channels);
    d->cfg.neck = nc;
    AK_TRY(ak_fpn_init(&d->neck, ps, "neck", &nc, seed, err));
    if (cfg->kind == AK_HEAD_RETINANET) {
        ak_retina_cfg rc = cfg->retina;
        rc.in_channels = nc.out_channels;
        AK_TRY(ak_retina_head_init(&d->retina, ps, "bbox_head", &rc, seed, err));
    } else {
        ak_fcos_cfg fc = cfg->fcos;
        fc.in_channels = nc.out_channels;
        AK_TRY(ak_fcos_head_init(&d->fcos, ps, "bbox_head", &fc, seed, err));
    }
    return AK_OK;
}

void ak_detector_free(ak_detector *d) { ak_resnet_free(&d->backbone); }

int ak_detector_forward(ak_ctx *ctx, const ak_detector *d, ak_tensor *x, bool train, ak_dense_out *out,
                        ak_taps *taps) {
    ak_tensor *c[4], *p[AK_FPN_MAX_OUT];
    AK_TRY(ak_resnet_forward(ctx, &d->backbone, x, train, c, taps));
    AK_TRY(ak_fpn_forward(ctx, &d->neck, c, p, taps));
    if (d->cfg.kind == AK_HEAD_RETINANET)
        return ak_retina_head_forward(ctx, &d->retina, p, d->neck.cfg.num_outs, out, taps);
    return ak_fcos_head_forward(ctx, &d->fcos, p, d->neck.cfg.num_outs, out, taps);
}

float *ak_detector_priors(ak_ctx *ctx, const ak_detector *d, const ak_dense_out *o, int in_h, int in_w) {
    return d->cfg.kind == AK_HEAD_RETINANET ? ak_retina_anchors(ctx, &d->retina, o, in_h, in_w)
                                            : ak_fcos_priors(ctx, &d->fcos, o, in_h, in_w);
}

int ak_detector_loss(ak_ctx *ctx, const ak_detector *d, ak_tensor *x, const ak_det_image *imgs,
                     const ak_det_target *targets, ak_det_losses *losses, ak_taps *taps, int32_t *matched) {
    memset(losses, 0, sizeof *losses);
    if (!x)
        return ctx->err.code ? ctx->err.code : ak_error_set(&ctx->err, AK_EINVAL, "detector: NULL input");
    ak_dense_out o;
    AK_TRY(ak_detector_forward(ctx, d, x, true, &o, taps));
    float *pri = ak_detector_priors(ctx, d, &o, (int)x->shape[2], (int)x->shape[3]);
    if (!pri)
        return ctx->err.code;
    if (d->cfg.kind == AK_HEAD_RETINANET)
        return ak_retina_loss(ctx, &d->retina, &o, pri, imgs, targets, losses, matched);
    return ak_fcos_loss(ctx, &d->fcos, &o, pri, targets, losses, matched);
}

int ak_detector_predict(ak_ctx *ctx, const ak_detector *d, ak_tensor *x, const ak_det_image *imgs, ak_det_result *res,
                        ak_taps *taps) {
    if (!x)
        return ctx->err.code ? ctx->err.code : ak_error_set(&ctx->err, AK_EINVAL, "detector: NULL input");
    bool rec = ak_ctx_set_record(ctx, false);
    ak_dense_out o;
    int rc = ak_detector_forward(ctx, d, x, false, &o, taps);
    float *pri = rc == AK_OK ? ak_detector_priors(ctx, d, &o, (int)x->shape[2], (int)x->shape[3]) : NULL;
    ak_ctx_set_record(ctx, rec);
    if (!pri)
        return ctx->err.code;
    if (d->cfg.kind == AK_HEAD_RETINANET)
        return ak_retina_predict(&d->retina, &o, pri, imgs, res, &ctx->err);
    return ak_fcos_predict(&d->fcos, &o, pri, imgs, res, &ctx->err);
}

int ak_detector_coco(const ak_det_result *res, int n, const int64_t *image_ids, const int64_t *cat_ids,
                     ak_coco_dets *out, ak_error *err) {
    memset(out, 0, sizeof *out);
    int64_t total = 0;
    for (int i = 0; i < n; i++)
        total += res[i].n;
    out->dets = malloc((size_t)(total > 0 ? total : 1) * sizeof *out->dets);
    if (!out->dets)
        return ak_error_set(err, AK_ENOMEM, "detector: out of memory for %lld detections", (long long)total);
    for (int i = 0; i < n; i++) {
        ak_det_result_to_coco(&res[i], image_ids[i], cat_ids, out->dets + out->n);
        out->n += res[i].n;
    }
    return AK_OK;
}
