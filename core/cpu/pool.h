/* CPU pooling kernels over planes (N*C independent H x W images), matching PyTorch's CPU kernels:
 *   max pool   window [oh*sh - ph, +(kh-1)*dh] step dh, clipped to the image; the first maximum in
 *              raster order wins ties, NaN propagates (as torch); idx holds the winner's position
 *              within its plane (ih*W + iw) for the backward (-1 for an empty window).
 *   avg pool   window [oh*sh - ph, oh*sh - ph + kh) clipped to [-ph, H + ph) for the padded count,
 *              then to the image; divisor = padded count (count_include_pad) or the clipped count.
 *   adaptive   bins start = floor(i*In/Out), end = ceil((i+1)*In/Out); the sum is divided by kh
 *              then kw (torch's order).
 *   global     mean over H*W, accumulated in double.
 * Parallel over planes; every plane is computed sequentially, so results (and the backward's
 * accumulation order) do not depend on the thread count. Backward kernels add (+=) into dx.
 */
#ifndef AK_CPU_POOL_H
#define AK_CPU_POOL_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ak_pool2d_geom {
    int64_t planes, h, w, ho, wo;
    int64_t kh, kw, sh, sw, ph, pw, dh, dw;
    bool count_include_pad;
} ak_pool2d_geom;

/* y, idx (planes, ho, wo); x (planes, h, w). */
void ak_cpu_maxpool2d_fwd(float *y, int32_t *idx, const float *x, const ak_pool2d_geom *g);
void ak_cpu_maxpool2d_bwd(float *dx, const float *dy, const int32_t *idx, const ak_pool2d_geom *g);
void ak_cpu_avgpool2d_fwd(float *y, const float *x, const ak_pool2d_geom *g);
void ak_cpu_avgpool2d_bwd(float *dx, const float *dy, const ak_pool2d_geom *g);
/* Only planes, h, w, ho, wo of g are used. */
void ak_cpu_adaptive_avgpool2d_fwd(float *y, const float *x, const ak_pool2d_geom *g);
void ak_cpu_adaptive_avgpool2d_bwd(float *dx, const float *dy, const ak_pool2d_geom *g);
/* y (planes), x (planes, hw). */
void ak_cpu_global_avgpool_fwd(float *y, const float *x, int64_t planes, int64_t hw);
void ak_cpu_global_avgpool_bwd(float *dx, const float *dy, int64_t planes, int64_t hw);

#endif
