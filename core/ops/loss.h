/* Task losses, each one fused op with its own forward and backward kernel (core/cpu/loss*.c).
 *
 * Semantics follow PyTorch 1.13 / torchvision 0.14 / mmdet 2.x exactly (formulas below); the
 * fixtures in tools/fixtures/engine_loss.py check them against those libraries in float64.
 *
 * Reduction (ak_loss_opts, NULL = defaults = mean without weights):
 *   every loss first computes an element-wise loss l_i (times the optional weight w_i), then
 *   NONE  -> the element-wise tensor (shape below),
 *   SUM   -> sum_i w_i l_i,
 *   MEAN  -> sum_i w_i l_i / n                       (torch: mean over all n elements, n = 0 -> NaN)
 *   MEAN with has_avg_factor -> sum_i w_i l_i / (avg_factor + FLT_EPSILON)
 *                                                    (mmdet / mmseg weight_reduce_loss; avg_factor
 *                                                     0 gives 0, never NaN; ignored for NONE, an
 *                                                     error with SUM, as in mmdet)
 *   Sums are accumulated in double over fixed blocks combined in a fixed order, so the value is
 *   bitwise identical for any thread count.
 * Weights (opts->weight): a constant tensor (no gradient) with the element-wise loss's shape, or
 *   that shape without its last dimension (one weight per row: mmdet's per-anchor label_weights for
 *   (M,K) logits). It must stay valid until backward (arena tensors do).
 *
 * Gradients: `pred` / `logits` receive gradients (+=, as every op). Targets receive gradients for
 *   L1, smooth L1 and BCE when they require one; focal, IoU and GIoU targets must be constants
 *   (AK_EUNSUP otherwise), as must weights.
 * Errors: NULL input -> NULL with the error already set; shape mismatches -> AK_ESHAPE naming the
 *   op and both shapes; bad option values -> AK_EINVAL; labels out of range -> AK_ERANGE naming the
 *   value and its position.
 */
#ifndef AK_OPS_LOSS_H
#define AK_OPS_LOSS_H

#include <stdint.h>

#include "core/ctx.h"

typedef enum ak_reduction { AK_REDUCE_MEAN = 0, AK_REDUCE_SUM = 1, AK_REDUCE_NONE = 2 } ak_reduction;

typedef struct ak_loss_opts {
    ak_reduction reduction;
    bool has_avg_factor; /* MEAN only: divide the sum by (avg_factor + FLT_EPSILON) instead of n */
    double avg_factor;
    ak_tensor *weight;   /* optional constant element weights, see above; NULL for none */
} ak_loss_opts;

/* ---- classification over maps ---------------------------------------------------------------- */

/* Cross-entropy with softmax over dim 1 (torch.nn.functional.cross_entropy).
 * logits: (N,C,d1..dk), k >= 0 (segmentation: (N,C,H,W)). labels: N*d1*..*dk int32 class ids,
 * host memory, row-major like logits without the C dim (copied: the caller may free it after the
 * call). Label representation: int32 for every task; ak_labels_from_u8 converts a uint8 label map.
 * A label equal to ignore_index contributes nothing; any other label outside [0, C) is AK_ERANGE.
 * Element loss: l = w[y] * (logsumexp_c x_c - x_y), w = class_weight (C floats, copied) or 1.
 * MEAN (no avg_factor) is PyTorch's: sum l / sum_{non-ignored} w[y] (NaN when every pixel is
 * ignored, as in PyTorch). mmseg's default (avg_non_ignore=False) divides by all N*d1..dk pixels:
 * use has_avg_factor with avg_factor = N*d1*..*dk; mmseg avg_non_ignore=True: avg_factor = number
 * of non-ignored pixels. NONE: (N,d1..dk), 0 at ignored pixels. */
typedef struct ak_ce_opts {
    ak_reduction reduction;
    bool has_avg_factor;
    double avg_factor;
    int32_t ignore_index;      /* 255 by default (segmentation); -100 is PyTorch's default */
    const float *class_weight; /* C weights or NULL */
} ak_ce_opts;
/* {MEAN, no avg_factor, ignore_index 255, no class weights}; also what NULL opts means. */
ak_ce_opts ak_ce_defaults(void);
ak_tensor *ak_cross_entropy(ak_ctx *ctx, ak_tensor *logits, const int32_t *labels, const ak_ce_opts *opts);

/* Arena copy of a uint8 label map (n entries) as int32, for ak_cross_entropy. NULL + error when the
 * arena is full. */
int32_t *ak_labels_from_u8(ak_ctx *ctx, const uint8_t *labels, int64_t n);

/* Sigmoid focal loss, torchvision.ops.sigmoid_focal_loss: with p = sigmoid(x),
 *   ce = BCE-with-logits(x, t), p_t = p t + (1-p)(1-t), l = a_t * ce * (1 - p_t)^gamma,
 *   a_t = alpha t + (1-alpha)(1-t) when alpha >= 0, else 1 (no balancing).
 * logits, targets: same shape (any; RetinaNet: (M,K)), targets in [0,1] (0/1 labels). The defaults
 * are alpha 0.25, gamma 2. gamma < 0 is AK_EINVAL. NONE: logits' shape. (1 - p_t) is computed
 * without cancellation, so it is more accurate than torchvision's float32 for confident logits. */
ak_tensor *ak_sigmoid_focal_loss(ak_ctx *ctx, ak_tensor *logits, ak_tensor *targets, float alpha, float gamma,
                                 const ak_loss_opts *opts);

/* Binary cross-entropy with logits, F.binary_cross_entropy_with_logits (weight = opts->weight):
 * l = max(x,0) - x t + log(1 + exp(-|x|)). Same shapes; NONE: logits' shape. */
ak_tensor *ak_bce_with_logits(ak_ctx *ctx, ak_tensor *logits, ak_tensor *targets, const ak_loss_opts *opts);

/* ---- regression ---------------------------------------------------------------------------- */

/* L1, F.l1_loss: l = |p - t|; gradient sign(p - t) (0 where equal). Same shapes. */
ak_tensor *ak_l1_loss(ak_ctx *ctx, ak_tensor *pred, ak_tensor *target, const ak_loss_opts *opts);

/* Smooth L1, F.smooth_l1_loss == mmdet smooth_l1_loss: with d = |p - t|,
 * l = d < beta ? 0.5 d^2 / beta : d - 0.5 beta. beta >= 0 (0 = L1; negative is AK_EINVAL).
 * Gradient as PyTorch: (p-t) <= -beta -> -1, >= beta -> +1, else (p-t)/beta. */
ak_tensor *ak_smooth_l1_loss(ak_ctx *ctx, ak_tensor *pred, ak_tensor *target, float beta,
                             const ak_loss_opts *opts);

/* ---- boxes (M,4) x1,y1,x2,y2; NONE gives (M,) ------------------------------------------------ */

/* mmdet IoULoss / iou_loss: iou = overlap / max(union, eps) with overlap from
 * clamp(rb - lt, min 0), then iou = max(iou, eps); LINEAR: 1 - iou, SQUARE: 1 - iou^2,
 * LOG: -log(iou) (mmdet's default mode; FCOS). eps: 1e-6 in mmdet. (mmdet's IoULoss module returns
 * (pred * weight).sum() when no weight is > 0; the reduction here gives the same 0 unless an element
 * loss is non-finite.) */
typedef enum ak_iou_mode { AK_IOU_LINEAR = 0, AK_IOU_SQUARE = 1, AK_IOU_LOG = 2 } ak_iou_mode;
ak_tensor *ak_iou_loss(ak_ctx *ctx, ak_tensor *pred, ak_tensor *target, ak_iou_mode mode, float eps,
                       const ak_loss_opts *opts);

/* torchvision.ops.generalized_box_iou_loss (eps 1e-7 there): inter from the strictly positive
 * overlap, union = area_p + area_t - inter, iou = inter / (union + eps), C = enclosing box area,
 * l = 1 - iou + (C - union) / (C + eps). MEAN over zero boxes gives 0 (torchvision), not NaN.
 * Ties in the min / max of coordinates split the gradient in half, as PyTorch's maximum does. */
ak_tensor *ak_giou_loss(ak_ctx *ctx, ak_tensor *pred, ak_tensor *target, float eps, const ak_loss_opts *opts);

/* ---- checks ---------------------------------------------------------------------------------- */

/* AK_OK when every element of t is finite; otherwise AK_ENAN in ctx->err naming the loss term
 * `what`, the first offending index and value ("loss 'loss_cls' is not finite: nan at index 0 of
 * ()"). With t NULL returns the context's error (or AK_EINVAL when there is none). The trainer calls
 * it per loss term before backward. */
int ak_check_finite(ak_ctx *ctx, const ak_tensor *t, const char *what);

#endif
