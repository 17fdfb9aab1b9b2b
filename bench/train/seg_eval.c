/* See seg_eval.h. */
#include "bench/train/seg_eval.h"

#include <stdlib.h>
#include <string.h>

#include "core/ops/resize.h"
#include "core/ops/shape.h"
#include "datasets/batch_input.h"

static int predict_sample(ak_ctx *ctx, ak_tensor *logits, int i, const ak_sample *s, uint8_t *pred) {
    ak_tensor *li = ak_slice(ctx, logits, 0, i, i + 1, 1);
    ak_tensor *up = ak_resize(ctx, li, s->pad_h, s->pad_w, AK_RESIZE_BILINEAR, false);
    ak_tensor *crop = ak_slice(ctx, ak_slice(ctx, up, 2, 0, s->img_h, 1), 3, 0, s->img_w, 1);
    if (!crop)
        return ctx->err.code;
    return ak_segmentor_predict(ctx, crop, s->lab_h, s->lab_w, pred);
}

int ak_seg_evaluate(ak_ctx *ctx, const ak_net *net, ak_loader *val, int num_classes, int64_t max_images,
                    ak_seg_metrics *out, ak_error *err) {
    ak_seg_acc acc;
    AK_TRY(ak_seg_acc_init(&acc, num_classes, err));
    AK_TRY(ak_loader_start(val, 0, err));
    bool rec = ak_ctx_set_record(ctx, false);
    int64_t seen = 0;
    uint8_t *pred = NULL;
    size_t pred_cap = 0;
    int rc = AK_OK;
    const ak_batch *b;
    while ((rc = ak_loader_next(val, &b, err)) == 1) {
        ak_ctx_reset(ctx);
        ak_tensor *x = ak_batch_input(ctx, b);
        ak_seg_outputs o;
        ak_rng unused = {0, 0};
        if (!x || ak_segmentor_forward(ctx, &net->seg, x, false, unused, &o, NULL) != AK_OK) {
            rc = ak_error_set(err, ctx->err.code, "evaluation: %s", ctx->err.msg);
            break;
        }
        for (int i = 0; i < b->n && (max_images <= 0 || seen < max_images); i++, seen++) {
            const ak_sample *s = b->samples[i];
            size_t need = (size_t)s->lab_h * (size_t)s->lab_w;
            if (need > pred_cap) {
                uint8_t *p = realloc(pred, need);
                if (!p) {
                    rc = ak_error_set(err, AK_ENOMEM, "evaluation: out of memory");
                    break;
                }
                pred = p;
                pred_cap = need;
            }
            if (predict_sample(ctx, o.logits, i, s, pred) != AK_OK) {
                rc = ak_error_set(err, ctx->err.code, "evaluation: %s", ctx->err.msg);
                break;
            }
            if ((rc = ak_seg_acc_add(&acc, s->label, pred, (int64_t)need, NULL, err)) != AK_OK)
                break;
        }
        if (rc < 0 || (max_images > 0 && seen >= max_images))
            break;
    }
    ak_loader_stop(val);
    ak_ctx_set_record(ctx, rec);
    ak_ctx_reset(ctx);
    free(pred);
    if (rc < 0)
        return rc;
    ak_seg_compute(&acc, out);
    return AK_OK;
}
