/* See det_batch.h. */
#include "bench/train/det_batch.h"

#include <string.h>

int ak_det_batch_targets(ak_ctx *ctx, const ak_batch *b, ak_det_image **imgs_out, ak_det_target **tg_out) {
    ak_det_image *imgs = ak_scratch(ctx, "det targets", (size_t)b->n * sizeof *imgs);
    ak_det_target *tg = ak_scratch(ctx, "det targets", (size_t)b->n * sizeof *tg);
    if (!imgs || !tg)
        return ctx->err.code;
    for (int i = 0; i < b->n; i++) {
        const ak_sample *s = b->samples[i];
        imgs[i].img_h = s->img_h;
        imgs[i].img_w = s->img_w;
        imgs[i].pad_h = s->pad_h;
        imgs[i].pad_w = s->pad_w;
        imgs[i].scale_w = s->scale_w;
        imgs[i].scale_h = s->scale_h;
        int64_t n = s->n_boxes + s->n_ignore;
        float *boxes = ak_scratch(ctx, "det targets", (size_t)(n ? n : 1) * 4 * sizeof(float));
        int32_t *labels = ak_scratch(ctx, "det targets", (size_t)(n ? n : 1) * sizeof(int32_t));
        uint8_t *crowd = ak_scratch(ctx, "det targets", (size_t)(n ? n : 1));
        if (!boxes || !labels || !crowd)
            return ctx->err.code;
        if (s->n_boxes) {
            memcpy(boxes, s->boxes, (size_t)s->n_boxes * 4 * sizeof(float));
            memcpy(labels, s->labels, (size_t)s->n_boxes * sizeof(int32_t));
        }
        memset(crowd, 0, (size_t)s->n_boxes);
        for (int k = 0; k < s->n_ignore; k++) {
            memcpy(boxes + 4 * (s->n_boxes + k), s->ignore + 4 * k, 4 * sizeof(float));
            labels[s->n_boxes + k] = 0;
            crowd[s->n_boxes + k] = 1;
        }
        tg[i].boxes = boxes;
        tg[i].labels = labels;
        tg[i].crowd = crowd;
        tg[i].n = n;
    }
    *imgs_out = imgs;
    *tg_out = tg;
    return AK_OK;
}
