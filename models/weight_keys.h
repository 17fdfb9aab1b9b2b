/* Parameter-name schemes of weight files (ak_key_style, store/weights_file.h) and the mapping from
 * our registry names to each of them.
 *
 * Our names ARE mmdet's and mmseg's state-dict keys (backbone.*, neck.lateral_convs.<i>.conv.*,
 * bbox_head.*, decode_head.psp_modules.<i>.1.conv.*, auxiliary_head.convs.<i>.bn.*, backbone.stem.*
 * of V1c, ...), checked against PyTorch modules written from their definitions
 * (tools/fixtures/models_weights.py): for ours / mmdet / mmseg the mapping is the identity.
 * torchvision: detectors through models/det_keys.h (backbone.body.*, backbone.fpn.*, head.*);
 * segmentors and bare backbones keep "backbone.*" (torchvision's segmentation models use the same
 * ResNet names under "backbone."), and their mmseg heads have no torchvision counterpart (AK_EINVAL);
 * a torchvision-layout segmentor (models/segmentor.h: classifier.*, aux_classifier.*) already has
 * torchvision's names, and no mmseg ones.
 *
 * ak_key_model describes a registry (which detector head, how many FPN inputs): feed it every name
 * of the registry (or of a file holding our names) with ak_key_model_add.
 */
#ifndef AK_MODELS_WEIGHT_KEYS_H
#define AK_MODELS_WEIGHT_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "store/weights_file.h"

typedef struct ak_key_model {
    bool retinanet, fcos; /* bbox_head.retina_cls.* / bbox_head.conv_centerness.* seen */
    bool seg;             /* decode_head.*, auxiliary_head.*, classifier.* or aux_classifier.* seen */
    bool tv_seg;          /* classifier.* / aux_classifier.*: torchvision-layout segmentor (segmentor.h) */
    int n_lateral;        /* FPN inputs taken from the backbone (neck.lateral_convs.<i>, max i + 1) */
} ak_key_model;

void ak_key_model_init(ak_key_model *m);
void ak_key_model_add(ak_key_model *m, const char *name);
/* "RetinaNet", "FCOS", "segmentor" or "backbone" (none of the above). */
const char *ak_key_model_kind(const ak_key_model *m);

/* Our name -> its name under `style` (ours / mmdet / mmseg: the same; torchvision: see above).
 * AK_EINVAL when it has no counterpart, or style is AK_KEYS_AUTO (no error text: callers list the
 * names). out: len bytes, NUL-terminated. */
int ak_key_to_style(ak_key_style style, const ak_key_model *m, const char *name, char *out, size_t len);

/* Whether `style` can name this model at all: mmdet needs a detector, mmseg a segmentor (a bare
 * backbone fits both). AK_EINVAL naming the style and the model kind otherwise; `what` prefixes the
 * message ("model.teacher.key_style"). */
int ak_key_style_check(ak_key_style style, const ak_key_model *m, const char *what, ak_error *err);

/* The scheme of a file's keys: torchvision when a key starts with backbone.body., head.classification_
 * head., head.regression_head., classifier. or aux_classifier.; else mmdet when one starts with neck.
 * or bbox_head.; else mmseg when one starts with decode_head. or auxiliary_head.; else ours. */
ak_key_style ak_key_style_detect(const char *const *keys, int n);

#endif
