/* Image and label-map resizing with OpenCV's exact arithmetic (what mmcv.imresize / imrescale call),
 * and mmcv's rescale_size rule for keep-ratio scaling.
 *
 * Bilinear (cv2.INTER_LINEAR on uint8): half-pixel centres, src = (dst + 0.5) * (src_size / dst_size)
 * - 0.5, clamped at the borders; weights are 11-bit fixed point rounded from float, and the vertical
 * pass rounds like OpenCV's vectorised path (which OpenCV 4.6 uses for every pixel of a row): the
 * output is bit-identical to cv2.resize (checked against cv2 4.6 fixtures in the tests).
 * Nearest (cv2.INTER_NEAREST, used for label maps): src = min(floor(dst * (1 / (dst_size /
 * src_size))), src_size - 1) in double.
 *
 * Layout: row-major (h, w, c) uint8, any c >= 1. dst must not alias src.
 * Errors: AK_EINVAL for non-positive sizes, AK_ENOMEM when the row buffers cannot be allocated.
 */
#ifndef AK_RESIZE_H
#define AK_RESIZE_H

#include <stdint.h>

#include "core/error.h"

int ak_resize_bilinear_u8(const uint8_t *src, int sh, int sw, int c, uint8_t *dst, int dh, int dw, ak_error *err);
int ak_resize_nearest_u8(const uint8_t *src, int sh, int sw, int c, uint8_t *dst, int dh, int dw, ak_error *err);

/* mmcv.rescale_size((w, h), (long, short)): the factor is min(long / max(h, w), short / min(h, w))
 * and the new size int(w * f + 0.5) x int(h * f + 0.5), in double. Writes *new_h, *new_w and
 * (optionally) *factor. */
void ak_rescale_size(int h, int w, int scale_long, int scale_short, int *new_h, int *new_w, double *factor);

#endif
