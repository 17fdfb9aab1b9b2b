/* Box geometry without autograd, for anchor / point assignment and evaluation.
 *
 * Boxes are x1,y1,x2,y2 float rows in host memory. ak_box_iou fills the (na, nb) matrix
 *   iou[i][j] = inter / union, inter = clamp(min(x2) - max(x1), 0) * clamp(min(y2) - max(y1), 0),
 *   union = area_a[i] + area_b[j] - inter (float, in that order, as torchvision.ops.box_iou), and
 *   with eps > 0 union = max(union, eps) first (mmdet bbox_overlaps, eps 1e-6 there), so degenerate
 *   boxes give 0 instead of torchvision's NaN (0/0).
 * Rows are independent, so the result does not depend on the thread count.
 */
#ifndef AK_BOX_H
#define AK_BOX_H

#include <stdint.h>

/* out: (na, nb) row-major; a: (na, 4); b: (nb, 4). na or nb may be 0. */
void ak_box_iou(float *out, const float *a, int64_t na, const float *b, int64_t nb, float eps);

/* (x2 - x1) * (y2 - y1) of each of n boxes (negative for inverted boxes, as torchvision). */
void ak_box_area(float *out, const float *boxes, int64_t n);

#endif
