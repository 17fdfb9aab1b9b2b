/* Evaluation of a detector on the validation loader with the official COCO rules (eval/coco_eval.h):
 * every validation image is predicted (score_thr, NMS, max detections from the detector config),
 * detections become COCO result records and are evaluated against the validation annotations. */
#ifndef AK_DET_EVAL_H
#define AK_DET_EVAL_H

#include "bench/train/net.h"
#include "datasets/coco_dataset.h"
#include "datasets/loader.h"
#include "eval/coco_eval.h"

/* gt: the validation annotations (ak_coco_load of the val instances file). */
int ak_det_evaluate(ak_ctx *ctx, const ak_net *net, ak_loader *val, const ak_coco_dataset *ds, const ak_coco *gt,
                    ak_coco_eval *out, ak_error *err);

#endif
