/* See det_eval.h. */
#include "bench/train/det_eval.h"

#include <stdlib.h>
#include <string.h>

#include "bench/train/det_batch.h"
#include "datasets/batch_input.h"

static int append(ak_coco_dets *all, const ak_coco_dets *more, ak_error *err) {
    if (!more->n)
        return AK_OK;
    ak_coco_det *d = realloc(all->dets, (size_t)(all->n + more->n) * sizeof *d);
    if (!d)
        return ak_error_set(err, AK_ENOMEM, "evaluation: out of memory");
    memcpy(d + all->n, more->dets, (size_t)more->n * sizeof *d);
    all->dets = d;
    all->n += more->n;
    return AK_OK;
}

int ak_det_evaluate(ak_ctx *ctx, const ak_net *net, ak_loader *val, const ak_coco_dataset *ds, const ak_coco *gt,
                    ak_coco_eval *out, ak_error *err) {
    memset(out, 0, sizeof *out);
    ak_coco_dets all;
    memset(&all, 0, sizeof all);
    AK_TRY(ak_loader_start(val, 0, err));
    bool rec = ak_ctx_set_record(ctx, false);
    int rc = AK_OK;
    const ak_batch *b;
    while ((rc = ak_loader_next(val, &b, err)) == 1) {
        ak_ctx_reset(ctx);
        ak_tensor *x = ak_batch_input(ctx, b);
        ak_det_image *imgs;
        ak_det_target *tg;
        ak_det_result res[64];
        int64_t ids[64];
        if (b->n > 64) {
            rc = ak_error_set(err, AK_EINVAL, "eval.batch_size %d: at most 64", b->n);
            break;
        }
        if (!x || ak_det_batch_targets(ctx, b, &imgs, &tg) != AK_OK ||
            ak_detector_predict(ctx, &net->det, x, imgs, res, NULL) != AK_OK) {
            rc = ak_error_set(err, ctx->err.code, "evaluation: %s", ctx->err.msg);
            break;
        }
        for (int i = 0; i < b->n; i++)
            ids[i] = b->samples[i]->image_id;
        ak_coco_dets part;
        memset(&part, 0, sizeof part);
        rc = ak_detector_coco(res, b->n, ids, ds->cat_ids, &part, err);
        for (int i = 0; i < b->n; i++)
            ak_det_result_free(&res[i]);
        if (rc == AK_OK)
            rc = append(&all, &part, err);
        ak_coco_dets_free(&part);
        if (rc != AK_OK)
            break;
    }
    ak_loader_stop(val);
    ak_ctx_set_record(ctx, rec);
    ak_ctx_reset(ctx);
    if (rc >= 0)
        rc = ak_coco_evaluate(gt, &all, NULL, out, err);
    ak_coco_dets_free(&all);
    return rc < 0 ? rc : AK_OK;
}
