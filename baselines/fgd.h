/* FGD's foreground / background masks and attention maps (METHODS.md §2.4), exposed for tests.
 *
 * Masks, per image i with its unpadded size (ih, iw) (gt->img_hw, else gt->img_h / img_w), for each
 * box (x1, y1, x2, y2) in input pixels, in float32 as the reference computes them:
 *   xs = (x / iw) * W, ys = (y / ih) * H;  wmin = floor(x1s), wmax = ceil(x2s), hmin = floor(y1s),
 *   hmax = ceil(y2s);  area = (1 / (hmax + 1 - hmin)) / (wmax + 1 - wmin)   (two float divisions);
 *   fg[i, h, w] = max(fg, area) for hmin <= h <= hmax, wmin <= w <= wmax, restricted to the grid
 *   (ceil may equal H or W: only existing cells are filled, the area keeps the unclipped indices;
 *   negative starts are clamped to 0, where the reference's Python slice would wrap);
 *   bg[i] = (fg[i] == 0), then divided by its sum when that is > 0.
 * An image without boxes: fg = 0, bg = 1/(H*W).
 * Attention (from |F|, F (N,C,H,W), temperature temp):
 *   spatial[n, hw] = H*W * softmax_hw(mean_c |F| / temp)  -> (N, H*W)
 *   channel[n, c]  = C   * softmax_c(mean_hw |F| / temp)  -> (N, C)
 */
#ifndef AK_BASELINES_FGD_H
#define AK_BASELINES_FGD_H

#include "baselines/distill_loss.h"

/* fg, bg: host arrays of N*H*W floats. Errors: gt NULL, gt->n_images != N, a non-positive image
 * size or a negative count -> AK_EINVAL naming the image. */
int ak_fgd_masks(const ak_gt_boxes *gt, int64_t N, int64_t H, int64_t W, float *fg, float *bg, ak_error *err);

/* Attention maps of F on the tape (gradients flow to F when it requires one). */
int ak_fgd_attention(ak_ctx *ctx, ak_tensor *f, float temp, ak_tensor **spatial, ak_tensor **channel);

#endif
