/* mmseg's PhotoMetricDistortion on uint8 RGB images, and the OpenCV uint8 HSV conversions it uses.
 *
 * mmseg (0.x) order: brightness, mode = randint(2), contrast if mode == 1, saturation, hue, contrast
 * if mode == 0; each step happens with probability 1/2. Every step works on uint8 and converts back
 * like numpy: v = float32(x) * alpha + beta, clipped to [0, 255], truncated to uint8. Saturation
 * scales S in HSV space the same way, hue adds an integer delta in [-18, 18) to H modulo 180.
 * mmseg works on BGR data with cv2.COLOR_BGR2HSV; on RGB data with RGB2HSV the result is the same.
 *
 * HSV (H in [0, 180), S and V in [0, 255]): RGB->HSV is OpenCV's integer algorithm (bit-exact).
 * HSV->RGB follows OpenCV 4.6's vectorised path (float, fused multiply-add for 1 - s*h, truncation
 * to uint8), which cv2 uses for all but the last < 32 pixels of a row on AVX2 machines; the result is
 * deterministic here (fmaf is exact), while cv2 itself differs by 1 on some tail pixels or on other
 * CPUs. Layout: (n pixels, 3) interleaved.
 */
#ifndef AK_PHOTOMETRIC_H
#define AK_PHOTOMETRIC_H

#include <stddef.h>
#include <stdint.h>

#include "core/rng.h"

void ak_rgb_to_hsv_u8(const uint8_t *rgb, uint8_t *hsv, size_t n);
void ak_hsv_to_rgb_u8(const uint8_t *hsv, uint8_t *rgb, size_t n);

/* The random choices of one PhotoMetricDistortion call (drawn by ak_photometric_draw). */
typedef struct ak_photometric_params {
    int do_brightness;
    float beta;       /* brightness delta, uniform(-32, 32) */
    int contrast_first; /* mmseg mode == 1 */
    int do_contrast;
    float contrast;   /* uniform(0.5, 1.5) */
    int do_saturation;
    float saturation; /* uniform(0.5, 1.5) */
    int do_hue;
    int hue_delta;    /* randint(-18, 18): [-18, 17] */
} ak_photometric_params;

typedef struct ak_photometric_cfg {
    float brightness_delta;         /* 32 */
    float contrast_lo, contrast_hi; /* 0.5, 1.5 */
    float saturation_lo, saturation_hi; /* 0.5, 1.5 */
    int hue_delta;                  /* 18 */
} ak_photometric_cfg;

/* mmseg's defaults. */
ak_photometric_cfg ak_photometric_default(void);

/* Draw the choices from `rng` at element indices first .. first + 9 (fixed slots, so other
 * transforms of the same sample never share numbers with this one). */
ak_photometric_params ak_photometric_draw(const ak_photometric_cfg *cfg, ak_rng rng, uint64_t first);

/* Apply in place to (n, 3) RGB pixels. `hsv` is scratch of n * 3 bytes (used only when saturation or
 * hue is applied). */
void ak_photometric_apply(uint8_t *rgb, size_t n, const ak_photometric_params *p, uint8_t *hsv);

/* One numpy-style affine step: trunc(clip(float32(x) * alpha + beta, 0, 255)). */
static inline uint8_t ak_convert_u8(uint8_t x, float alpha, float beta) {
    float v = (float)x * alpha;
    v = v + beta;
    v = v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
    return (uint8_t)v;
}

#endif
