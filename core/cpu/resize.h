/* CPU resize kernels matching PyTorch's CPU upsample_bilinear2d / upsample_nearest2d, including the
 * coordinate rules:
 *   bilinear, align_corners: src = dst * (in-1)/(out-1)   (0 when out == 1)
 *   bilinear, otherwise:     src = max(0, (dst + 0.5) * r - 0.5), r = 1/scale_factor when a scale
 *                            factor was given, else in/out (the scale_factor-vs-size subtlety);
 *                            r is a float, src a double, as in torch; out == in copies.
 *   nearest ('nearest', the legacy rule): src = min(floor(dst * r), in-1) in float, with the
 *                            out == in and out == 2*in shortcuts torch takes.
 * Shapes: x (planes, h, w), y (planes, ho, wo). Parallel over planes, each plane sequential, so the
 * backward's accumulation order (torch's: output raster order) does not depend on the thread
 * count. Backward kernels add (+=) into dx. `ws` holds the per-axis index / weight tables:
 * ak_cpu_resize_ws_bytes(g) bytes (arena memory).
 */
#ifndef AK_CPU_RESIZE_H
#define AK_CPU_RESIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ak_resize_geom {
    int64_t planes, h, w, ho, wo;
    bool align_corners;      /* bilinear only */
    double scale_h, scale_w; /* user scale factors (torch scale_factor); 0 = derived from the sizes */
} ak_resize_geom;

size_t ak_cpu_resize_ws_bytes(const ak_resize_geom *g);
void ak_cpu_bilinear_fwd(float *y, const float *x, const ak_resize_geom *g, void *ws);
void ak_cpu_bilinear_bwd(float *dx, const float *dy, const ak_resize_geom *g, void *ws);
void ak_cpu_nearest_fwd(float *y, const float *x, const ak_resize_geom *g, void *ws);
void ak_cpu_nearest_bwd(float *dx, const float *dy, const ak_resize_geom *g, void *ws);

#endif
