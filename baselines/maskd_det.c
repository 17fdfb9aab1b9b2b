/* MasKD token learning on a frozen teacher detector; see maskd_det.h. */
#include "baselines/maskd_det.h"

static int det_features(ak_ctx *ctx, void *user, int64_t iter, ak_tensor **feats, int n_levels) {
    ak_maskd_det_task *t = user;
    const ak_detector *d = t->teacher;
    if (n_levels != d->neck.cfg.num_outs)
        return ak_error_set(&ctx->err, AK_EINVAL, "distill.taps: MasKD token learning needs the teacher's %d FPN "
                            "levels, got %d", d->neck.cfg.num_outs, n_levels);
    AK_TRY(t->batch(ctx, t->user, iter, &t->x, &t->imgs, &t->targets));
    ak_tensor *c[4];
    bool rec = ak_ctx_set_record(ctx, false);
    int rc = ak_resnet_forward(ctx, &d->backbone, t->x, false, c, NULL);
    if (rc == AK_OK)
        rc = ak_fpn_forward(ctx, &d->neck, c, feats, NULL);
    ak_ctx_set_record(ctx, rec);
    return rc;
}

static ak_tensor *det_task_loss(ak_ctx *ctx, void *user, int64_t iter, ak_tensor *const *feats, int n_levels) {
    ak_maskd_det_task *t = user;
    const ak_detector *d = t->teacher;
    (void)iter;
    ak_dense_out o;
    int rc = d->cfg.kind == AK_HEAD_RETINANET ? ak_retina_head_forward(ctx, &d->retina, feats, n_levels, &o, NULL)
                                              : ak_fcos_head_forward(ctx, &d->fcos, feats, n_levels, &o, NULL);
    if (rc != AK_OK)
        return NULL;
    float *pri = ak_detector_priors(ctx, d, &o, (int)t->x->shape[2], (int)t->x->shape[3]);
    if (!pri)
        return NULL;
    ak_det_losses L;
    rc = d->cfg.kind == AK_HEAD_RETINANET ? ak_retina_loss(ctx, &d->retina, &o, pri, t->imgs, t->targets, &L, NULL)
                                          : ak_fcos_loss(ctx, &d->fcos, &o, pri, t->targets, &L, NULL);
    return rc == AK_OK ? L.total : NULL;
}

ak_maskd_task ak_maskd_det_task_get(ak_maskd_det_task *t) {
    ak_maskd_task k = {det_features, det_task_loss, t};
    return k;
}
