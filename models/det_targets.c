/* See det_targets.h. */
#include "models/det_targets.h"

#include <math.h>

int ak_gt_split_init(ak_ctx *ctx, const ak_det_target *t, int image, int num_classes, ak_gt_split *out) {
    int64_t n = t->n > 0 ? t->n : 0;
    out->n = out->n_ignore = 0;
    out->boxes = ak_scratch(ctx, "gt boxes", (size_t)(n + 1) * 4 * sizeof(float));
    out->ignore = ak_scratch(ctx, "gt ignore boxes", (size_t)(n + 1) * 4 * sizeof(float));
    out->labels = ak_scratch(ctx, "gt labels", (size_t)(n + 1) * sizeof(int32_t));
    if (!out->boxes || !out->ignore || !out->labels)
        return ctx->err.code;
    if (t->n < 0)
        return ak_error_set(&ctx->err, AK_EINVAL, "targets[%d]: %lld boxes", image, (long long)t->n);
    for (int64_t j = 0; j < n; j++) {
        const float *b = t->boxes + 4 * j;
        if (!isfinite(b[0]) || !isfinite(b[1]) || !isfinite(b[2]) || !isfinite(b[3]) || !(b[2] > b[0]) ||
            !(b[3] > b[1]))
            return ak_error_set(&ctx->err, AK_EINVAL,
                                "targets[%d].boxes[%lld] = (%g, %g, %g, %g): expected finite x1 < x2, y1 < y2", image,
                                (long long)j, (double)b[0], (double)b[1], (double)b[2], (double)b[3]);
        if (t->crowd && t->crowd[j]) {
            for (int k = 0; k < 4; k++)
                out->ignore[4 * out->n_ignore + k] = b[k];
            out->n_ignore++;
            continue;
        }
        if (t->labels[j] < 0 || t->labels[j] >= num_classes)
            return ak_error_set(&ctx->err, AK_ERANGE, "targets[%d].labels[%lld] = %d: expected 0..%d", image,
                                (long long)j, t->labels[j], num_classes - 1);
        for (int k = 0; k < 4; k++)
            out->boxes[4 * out->n + k] = b[k];
        out->labels[out->n++] = t->labels[j];
    }
    return AK_OK;
}

uint8_t *ak_det_valid_flags(ak_ctx *ctx, const ak_det_levels *lv, const int *strides, const ak_det_image *img) {
    int64_t M = lv->start[lv->n];
    uint8_t *v = ak_scratch(ctx, "valid flags", (size_t)(M > 0 ? M : 1));
    if (!v)
        return NULL;
    for (int l = 0; l < lv->n; l++) {
        int ph = img && img->pad_h > 0 ? img->pad_h : lv->h[l] * strides[l];
        int pw = img && img->pad_w > 0 ? img->pad_w : lv->w[l] * strides[l];
        ak_anchor_valid_flags(lv->h[l], lv->w[l], strides[l], lv->A, ph, pw, v + lv->start[l]);
    }
    return v;
}
