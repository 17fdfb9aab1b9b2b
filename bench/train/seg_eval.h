/* Evaluation of a segmentor on the validation loader: mIoU / aAcc / mAcc and per-class IoU with the
 * mmseg protocol (logits resized to the padded input, the padding cropped, resized to the original
 * label size, arg-max; dataset-level accumulation). The network runs in eval mode, nothing recorded.
 */
#ifndef AK_SEG_EVAL_H
#define AK_SEG_EVAL_H

#include "bench/train/net.h"
#include "datasets/loader.h"
#include "eval/seg_metrics.h"

/* max_images > 0 limits the number of validation images (0: all). */
int ak_seg_evaluate(ak_ctx *ctx, const ak_net *net, ak_loader *val, int num_classes, int64_t max_images,
                    ak_seg_metrics *out, ak_error *err);

#endif
