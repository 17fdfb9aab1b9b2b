/* See det_levels.h. */
#include "models/det_levels.h"

#include <string.h>

#include "core/ops/shape.h"

int ak_det_levels_init(ak_det_levels *lv, ak_tensor *const *feats, int n, int A, ak_error *err) {
    memset(lv, 0, sizeof *lv);
    if (n < 1 || n > AK_DET_MAX_LEVELS)
        return ak_error_set(err, AK_EINVAL, "detection levels: %d levels (1..%d)", n, AK_DET_MAX_LEVELS);
    lv->n = n;
    lv->A = A;
    for (int l = 0; l < n; l++) {
        if (!feats[l] || feats[l]->ndim != 4)
            return ak_error_set(err, AK_ESHAPE, "detection levels: level %d is not a (N,C,H,W) map", l);
        lv->h[l] = (int)feats[l]->shape[2];
        lv->w[l] = (int)feats[l]->shape[3];
        lv->start[l + 1] = lv->start[l] + (int64_t)lv->h[l] * lv->w[l] * A;
    }
    return AK_OK;
}

ak_tensor *ak_det_flatten(ak_ctx *ctx, ak_tensor *const *maps, int n, int A, int C) {
    ak_tensor *parts[AK_DET_MAX_LEVELS];
    if (n < 1 || n > AK_DET_MAX_LEVELS)
        return ak_fail(ctx, AK_EINVAL, "det_flatten: %d levels (1..%d)", n, AK_DET_MAX_LEVELS);
    for (int l = 0; l < n; l++) {
        ak_tensor *m = maps[l];
        if (!m)
            return NULL;
        if (m->ndim != 4 || m->shape[1] != (int64_t)A * C)
            return ak_fail(ctx, AK_ESHAPE, "det_flatten: level %d map has %lld channels, want %d anchors x %d", l,
                           m->ndim == 4 ? (long long)m->shape[1] : -1LL, A, C);
        int64_t N = m->shape[0], H = m->shape[2], W = m->shape[3];
        int64_t s5[5] = {N, A, C, H, W};
        static const int perm[5] = {0, 3, 4, 1, 2};
        int64_t s3[3] = {N, H * W * A, C};
        parts[l] = ak_reshape(ctx, ak_permute(ctx, ak_reshape(ctx, m, 5, s5), perm), 3, s3);
    }
    return n == 1 ? parts[0] : ak_concat(ctx, parts, n, 1);
}

int ak_det_anchors(const ak_anchor_cfg *cfg, const ak_det_levels *lv, int in_h, int in_w, float *out, ak_error *err) {
    if (cfg->n_levels != lv->n)
        return ak_error_set(err, AK_EINVAL, "anchors: %d anchor levels for %d feature levels", cfg->n_levels, lv->n);
    if (ak_anchor_count(cfg) != lv->A)
        return ak_error_set(err, AK_EINVAL, "anchors: %d anchors per location, the head predicts %d",
                            ak_anchor_count(cfg), lv->A);
    for (int l = 0; l < lv->n; l++)
        AK_TRY(ak_anchors_level(cfg, l, lv->h[l], lv->w[l], in_h, in_w, out + 4 * lv->start[l], err));
    return AK_OK;
}

void ak_det_points(const ak_det_levels *lv, const int *strides, float offset, float *out) {
    for (int l = 0; l < lv->n; l++) {
        float s = (float)strides[l];
        float *o = out + 2 * lv->start[l];
        for (int y = 0; y < lv->h[l]; y++)
            for (int x = 0; x < lv->w[l]; x++)
                for (int a = 0; a < lv->A; a++) {
                    *o++ = ((float)x + offset) * s;
                    *o++ = ((float)y + offset) * s;
                }
    }
}
