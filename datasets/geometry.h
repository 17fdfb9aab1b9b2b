/* The pixel- and box-level pieces of the mmdet / mmseg transforms: horizontal flip, crop, box
 * scaling with clipping, and normalisation into padded CHW float.
 *
 * Images and label maps are row-major (h, w, c) uint8. Boxes are (n, 4) float32 x1 y1 x2 y2 in
 * pixel-corner coordinates (mmdet 2.x: a box spanning the whole image is 0, 0, w, h).
 * None of these fail; callers size the outputs (documented per function).
 */
#ifndef AK_GEOMETRY_H
#define AK_GEOMETRY_H

#include <stdint.h>

/* Mirror left-right in place (np.flip(img, axis=1)). */
void ak_hflip_u8(uint8_t *img, int h, int w, int c);
/* mmdet bbox_flip horizontal: x1' = w - x2, x2' = w - x1 (float32). */
void ak_hflip_boxes(float *boxes, int n, int w);

/* img[y1:y2, x1:x2] like numpy slicing (ends clamped to the image); dst holds (y2-y1) x (x2-x1) x c
 * after clamping. Returns nothing; out_h / out_w receive the size. */
void ak_crop_u8(const uint8_t *src, int h, int w, int c, int y1, int y2, int x1, int x2, uint8_t *dst, int *out_h,
                int *out_w);

/* mmdet Resize on boxes: multiply by (sx, sy, sx, sy) in float32, then clip x to [0, clip_w] and
 * y to [0, clip_h] (bbox_clip_border = True). */
void ak_boxes_rescale_clip(float *boxes, int n, float sx, float sy, int clip_w, int clip_h);

/* mmdet / mmseg Normalize (mean, std stored as float32) then impad: dst (3, pad_h, pad_w) float,
 * for y < h, x < w dst[c][y][x] = float(double(float(v) - float(mean[c])) * (1.0 / double(float(std[c]))))
 * with v the source pixel
 * (x, or w - 1 - x when `flip`: the horizontal flip fused in), which is what cv2.subtract (float32
 * arithmetic with the scalar rounded to float) and cv2.multiply (the float64 scale applied in
 * double) do to a float32 image; 0 in the padding. Input RGB (h, w, 3). */
void ak_normalize_pad_chw(const uint8_t *src, int h, int w, int flip, const double mean[3], const double std[3],
                          float *dst, int pad_h, int pad_w);

/* Copy an (h, w) label map (mirrored when `flip`) into (pad_h, pad_w), `pad_value` bottom / right. */
void ak_pad_label(const uint8_t *src, int h, int w, int flip, uint8_t *dst, int pad_h, int pad_w, uint8_t pad_value);

/* ceil(n / divisor) * divisor (divisor <= 0: n). */
int ak_round_up(int n, int divisor);

#endif
