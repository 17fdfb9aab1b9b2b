/* MasKD token learning on a frozen teacher segmentor; see maskd_seg.h. */
#include "baselines/maskd_seg.h"

#include <stdio.h>
#include <string.h>

int ak_maskd_seg_stage_of(const ak_segmentor *teacher, const char *tap) {
    for (int s = 0; s < 4; s++) {
        char name[96];
        snprintf(name, sizeof name, "%s.c%d", teacher->backbone.prefix, s + 2);
        if (tap && strcmp(tap, name) == 0)
            return s;
    }
    return -1;
}

/* Level l's stage (2 = c4, 3 = c5), checked: the heads read only c4 (auxiliary) and c5 (decode). */
static int level_stages(ak_ctx *ctx, const ak_maskd_seg_task *t, int n_levels, int *stage) {
    const ak_segmentor *s = t->teacher;
    if (n_levels != t->n_taps)
        return ak_error_set(&ctx->err, AK_EINVAL, "distill.teacher_taps: MasKD token learning got %d levels for %d "
                            "teacher taps", n_levels, t->n_taps);
    for (int l = 0; l < n_levels; l++) {
        stage[l] = ak_maskd_seg_stage_of(s, t->taps[l]);
        bool read = stage[l] == 3 || (stage[l] == 2 && s->cfg.has_aux);
        if (!read)
            return ak_error_set(&ctx->err, AK_EINVAL, "distill.teacher_taps: MasKD token learning on a segmentor "
                                "needs a head input (%s.c5%s), got %s", s->backbone.prefix,
                                s->cfg.has_aux ? " or .c4" : "", t->taps[l]);
        for (int k = 0; k < l; k++)
            if (stage[k] == stage[l])
                return ak_error_set(&ctx->err, AK_EINVAL, "distill.teacher_taps: %s appears twice (MasKD token "
                                    "learning)", t->taps[l]);
    }
    return AK_OK;
}

static int seg_features(ak_ctx *ctx, void *user, int64_t iter, ak_tensor **feats, int n_levels) {
    ak_maskd_seg_task *t = user;
    int stage[4];
    if (n_levels > 4)
        return ak_error_set(&ctx->err, AK_EINVAL, "distill.teacher_taps: %d MasKD levels on a segmentor (at most "
                            "c4 and c5)", n_levels);
    AK_TRY(level_stages(ctx, t, n_levels, stage));
    AK_TRY(t->batch(ctx, t->user, iter, &t->x, &t->labels, &t->lab_h, &t->lab_w));
    bool rec = ak_ctx_set_record(ctx, false);
    int rc = ak_resnet_forward(ctx, &t->teacher->backbone, t->x, false, t->c, NULL);
    ak_ctx_set_record(ctx, rec);
    for (int l = 0; l < n_levels && rc == AK_OK; l++)
        feats[l] = t->c[stage[l]];
    return rc;
}

static ak_tensor *seg_task_loss(ak_ctx *ctx, void *user, int64_t iter, ak_tensor *const *feats, int n_levels) {
    ak_maskd_seg_task *t = user;
    const ak_segmentor *s = t->teacher;
    (void)iter;
    int stage[4];
    if (level_stages(ctx, t, n_levels, stage) != AK_OK)
        return NULL;
    ak_tensor *c[4] = {t->c[0], t->c[1], t->c[2], t->c[3]};
    for (int l = 0; l < n_levels; l++)
        c[stage[l]] = feats[l];
    const ak_rng unused = {0, 0}; /* eval mode: no dropout draws */
    ak_seg_outputs out = {NULL, NULL};
    out.logits = ak_seg_head_forward(ctx, &s->decode, c[3], false, unused, NULL);
    if (s->cfg.has_aux)
        out.aux_logits = ak_seg_head_forward(ctx, &s->aux, c[2], false, unused, NULL);
    if (!ak_ok(ctx))
        return NULL;
    ak_seg_losses L;
    if (ak_segmentor_loss(ctx, s, &out, t->labels, t->lab_h, t->lab_w, &L) != AK_OK)
        return NULL;
    return L.total;
}

ak_maskd_task ak_maskd_seg_task_get(ak_maskd_seg_task *t) {
    ak_maskd_task k = {seg_features, seg_task_loss, t};
    return k;
}
