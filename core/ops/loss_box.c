/* Box regression losses on aligned (M,4) x1y1x2y2 boxes: mmdet's IoU loss and torchvision's GIoU
 * loss. Checks, reduction and autograd; kernels in core/cpu/loss_box.c. */
#include <math.h>

#include "core/cpu/loss.h"
#include "core/ops/loss.h"
#include "core/ops/loss_util.h"

typedef struct box_saved {
    ak_loss_red red;
    bool giou;
    int mode;
    float eps;
} box_saved;

static void box_backward(ak_ctx *ctx, ak_node *node) {
    const box_saved *sv = node->saved;
    ak_tensor *p = node->in[0], *t = node->in[1];
    float coef;
    const float *dy = ak_loss_upstream(node->out, &sv->red, &coef);
    float *dp = ak_grad_of(ctx, p);
    if (!dp)
        return;
    int64_t m = p->shape[0];
    if (sv->giou)
        ak_cpu_giou_loss_bwd(dp, p->data, t->data, sv->red.w, m, sv->eps, dy, coef);
    else
        ak_cpu_iou_loss_bwd(dp, p->data, t->data, sv->red.w, m, sv->mode, sv->eps, dy, coef);
}

static ak_tensor *box_loss(ak_ctx *ctx, const char *op, bool giou, ak_tensor *p, ak_tensor *t, int mode, float eps,
                           const ak_loss_opts *opts) {
    if (!ak_loss_check_pair(ctx, op, p, t, "pred", "target"))
        return NULL;
    if (p->ndim != 2 || p->shape[1] != 4) {
        char s[96];
        return ak_fail(ctx, AK_ESHAPE, "%s: boxes must be (M,4) x1,y1,x2,y2, got %s", op, ak_shape_str(p, s, sizeof s));
    }
    if (t->requires_grad)
        return ak_fail(ctx, AK_EUNSUP, "%s: target boxes require a gradient; they must be constants", op);
    if (!(eps >= 0.0f && isfinite(eps)))
        return ak_fail(ctx, AK_EINVAL, "%s: eps must be finite and >= 0, got %g", op, (double)eps);
    if (!giou && mode != AK_IOU_LINEAR && mode != AK_IOU_SQUARE && mode != AK_IOU_LOG)
        return ak_fail(ctx, AK_EINVAL, "%s: unknown mode %d (expected linear, square or log)", op, mode);
    if (!giou && mode == AK_IOU_LOG && !(eps > 0.0f))
        return ak_fail(ctx, AK_EINVAL, "%s: log mode needs eps > 0 (log(0) otherwise)", op);
    int64_t m = p->shape[0];
    ak_loss_red red;
    if (!ak_loss_setup(ctx, op, opts, 1, &m, &red))
        return NULL;
    red.mean_of_empty_is_zero = giou; /* torchvision: loss.mean() if loss.numel() > 0 else 0 */
    ak_tensor *out = ak_loss_out(ctx, op, red.reduction, 1, &m);
    if (!out)
        return NULL;
    float *o = red.reduction == AK_REDUCE_NONE ? out->data : NULL;
    double sum = giou ? ak_cpu_giou_loss_fwd(o, p->data, t->data, red.w, m, eps)
                      : ak_cpu_iou_loss_fwd(o, p->data, t->data, red.w, m, mode, eps);
    ak_loss_finish(out, &red, sum, m);
    ak_tensor *in[2] = {p, t};
    ak_node *node = ak_record(ctx, op, out, box_backward, 2, in, sizeof(box_saved));
    if (node) {
        box_saved *sv = node->saved;
        sv->red = red;
        sv->giou = giou;
        sv->mode = mode;
        sv->eps = eps;
    }
    return ak_ok(ctx) ? out : NULL;
}

ak_tensor *ak_iou_loss(ak_ctx *ctx, ak_tensor *pred, ak_tensor *target, ak_iou_mode mode, float eps,
                       const ak_loss_opts *opts) {
    return box_loss(ctx, "iou_loss", false, pred, target, (int)mode, eps, opts);
}

ak_tensor *ak_giou_loss(ak_ctx *ctx, ak_tensor *pred, ak_tensor *target, float eps, const ak_loss_opts *opts) {
    return box_loss(ctx, "giou_loss", true, pred, target, 0, eps, opts);
}
