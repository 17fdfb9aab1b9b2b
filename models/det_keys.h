/* Parameter-name mapping between our detectors (mmdet key names: backbone.*, neck.*, bbox_head.*)
 * and torchvision's detection models (RetinaNet / FCOS with a ResNet-FPN backbone):
 *
 *   backbone.<x>                        -> backbone.body.<x>
 *   neck.lateral_convs.<i>.conv.<w|b>   -> backbone.fpn.inner_blocks.<i>.0.<w|b>
 *   neck.fpn_convs.<i>.conv.<w|b>       -> backbone.fpn.layer_blocks.<i>.0.<w|b>   (i < n_used)
 *                                          backbone.fpn.extra_blocks.p<6 + i - n_used>.<w|b>
 *   RetinaNet: bbox_head.{cls,reg}_convs.<i>.conv.<w|b> -> head.{classification,regression}_head.conv.<i>.0.<w|b>
 *              bbox_head.retina_cls -> head.classification_head.cls_logits, retina_reg -> head.regression_head.bbox_reg
 *   FCOS:      bbox_head.{cls,reg}_convs.<i>.conv -> head.{classification,regression}_head.conv.<3i>,
 *              .gn -> conv.<3i+1>; conv_cls -> head.classification_head.cls_logits,
 *              conv_reg -> head.regression_head.bbox_reg, conv_centerness -> head.regression_head.bbox_ctrness
 * bbox_head.scales.* (mmdet FCOS) have no torchvision counterpart (AK_EINVAL, as any unknown name).
 * torchvision's FrozenBatchNorm2d has no num_batches_tracked: the name still maps; the importer
 * skips it.
 */
#ifndef AK_MODELS_DET_KEYS_H
#define AK_MODELS_DET_KEYS_H

#include <stddef.h>

typedef enum ak_det_head_kind { AK_HEAD_RETINANET = 0, AK_HEAD_FCOS = 1 } ak_det_head_kind;

/* out receives the torchvision name (NUL-terminated, len bytes). n_used: FPN levels taken from the
 * backbone (3 for C3-C5). Returns 0, or AK_EINVAL when the name has no counterpart. */
int ak_det_key_to_torchvision(ak_det_head_kind kind, int n_used, const char *name, char *out, size_t len);

#endif
