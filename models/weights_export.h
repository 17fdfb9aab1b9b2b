/* Student-only weight export (`akdbench export`): the model weights of a run file's final
 * checkpoint (or of a checkpoint / any weight file store/weights_file.h reads) written as a plain
 * state dict that ak_load_weights, PyTorch (tools/) and h5py read back.
 *
 * Kept: the tensors of the model's modules, whose names start with backbone., neck., bbox_head.,
 * decode_head., auxiliary_head. (or classifier. and aux_classifier. of a torchvision-layout
 * segmentor; a leading "student." is removed first). Dropped: everything else,
 * i.e. the distillation losses' parameters ("distill.*": connectors, MGD generators, MasKD tokens)
 * and any "teacher.*" tensors; checkpoints hold no teacher, and the optimizer state is not a weight
 * (store/weights_file.h never lists it). Names are written in `style`: ours / mmdet / mmseg (our
 * names are theirs; mmdet refuses a segmentor and mmseg a detector) or torchvision
 * (models/weight_keys.h; every tensor must have a counterpart, e.g. mmdet FCOS's bbox_head.scales
 * have none). AK_KEYS_AUTO means ours. Values are float32 as stored (num_batches_tracked too).
 *
 * Errors: those of reading the input (store/weights_file.h); AK_EFORMAT when it holds no model
 * tensor or a non-float one; AK_EINVAL for a style that cannot name the model (listing the tensors
 * without a counterpart); writing: AK_EIO naming `out` (written to out.tmp and renamed).
 */
#ifndef AK_MODELS_WEIGHTS_EXPORT_H
#define AK_MODELS_WEIGHTS_EXPORT_H

#include "store/weights_file.h"

typedef struct ak_export_opts {
    ak_wf_format format;
    ak_key_style style;
} ak_export_opts;

typedef struct ak_export_info {
    char layout[32]; /* the input's layout */
    int written;     /* tensors written */
    int dropped;     /* tensors left out (not the model's) */
    char model[16];  /* "RetinaNet", "FCOS", "segmentor", "backbone" */
} ak_export_info;

int ak_export_student_weights(const char *in, const char *out, const ak_export_opts *opts, ak_export_info *info,
                              ak_error *err);

#endif
