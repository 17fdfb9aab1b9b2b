/* Internal to models/seg_heads*.c: the torchvision-style heads (seg_heads_tv.c) that
 * ak_seg_head_init / ak_seg_head_forward dispatch to. Not for other callers. */
#ifndef AK_MODELS_SEG_HEADS_INTERNAL_H
#define AK_MODELS_SEG_HEADS_INTERNAL_H

#include "models/seg_heads.h"

/* Registers and initialises h's tensors for cfg (style AK_SEG_TORCHVISION); h->cfg and h->prefix are
 * already set and the common checks done. AK_EINVAL naming the prefix for a PSP kind or an FCN with
 * other than one conv. */
int ak__seg_head_tv_init(ak_seg_head *h, ak_params *ps, uint64_t seed, ak_error *err);
/* The features before the final 1x1 conv: (N, channels, h, w); DeepLabHead's projection dropout is
 * applied here when train (masks from rng). NULL on error (ctx->err). */
ak_tensor *ak__seg_head_tv_features(ak_ctx *ctx, const ak_seg_head *h, ak_tensor *x, bool train, ak_rng rng);

#endif
