/* Detection batches as the detector wants them: per-image geometry (ak_det_image) and targets
 * (ak_det_target, crowd regions appended as crowd boxes), built in the ctx arena from a loader batch.
 * Valid until the next ak_ctx_reset. */
#ifndef AK_DET_BATCH_H
#define AK_DET_BATCH_H

#include "core/ctx.h"
#include "datasets/sample.h"
#include "models/detector.h"

int ak_det_batch_targets(ak_ctx *ctx, const ak_batch *b, ak_det_image **imgs, ak_det_target **targets);

#endif
