/* Multi-level bookkeeping shared by the dense detection heads: level sizes, flattening per-level
 * head maps into one (N, M, C) tensor, and the priors (anchors or points) of all levels.
 *
 * Row order of the flattened tensors (and of anchors / points): level, then y, x, then the A anchors
 * of a location - torchvision's view(N, A, C, H, W).permute(0, 3, 4, 1, 2), which is also mmdet's
 * permute(0, 2, 3, 1).reshape(N, -1, C) order within a level. M = sum over levels of H*W*A.
 */
#ifndef AK_MODELS_DET_LEVELS_H
#define AK_MODELS_DET_LEVELS_H

#include "core/ctx.h"
#include "models/anchors.h"
#include "models/det_common.h"

typedef struct ak_det_levels {
    int n;                                 /* levels */
    int A;                                 /* priors per location */
    int h[AK_DET_MAX_LEVELS], w[AK_DET_MAX_LEVELS];
    int64_t start[AK_DET_MAX_LEVELS + 1];  /* first row of each level; start[n] = M */
} ak_det_levels;

/* From n feature maps (N, C, H_l, W_l); AK_EINVAL when n is out of 1..AK_DET_MAX_LEVELS. */
int ak_det_levels_init(ak_det_levels *lv, ak_tensor *const *feats, int n, int A, ak_error *err);

/* maps[l]: (N, A*C, H_l, W_l) -> (N, M, C), autograd through reshape / permute / concat. */
ak_tensor *ak_det_flatten(ak_ctx *ctx, ak_tensor *const *maps, int n, int A, int C);

/* All anchors (M, 4) of the levels; in_h / in_w: the network input size. */
int ak_det_anchors(const ak_anchor_cfg *cfg, const ak_det_levels *lv, int in_h, int in_w, float *out, ak_error *err);

/* mmdet point priors (M, 2): ((x + offset) * stride, (y + offset) * stride) (MlvlPointGenerator,
 * offset 0.5 for FCOS); strides per level. */
void ak_det_points(const ak_det_levels *lv, const int *strides, float offset, float *out);

#endif
