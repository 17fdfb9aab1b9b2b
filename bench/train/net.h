/* A model built from a run config's model section: one ak_params registry plus the task's network
 * (a segmentor or a detector). Student and teacher are both ak_net. */
#ifndef AK_TRAIN_NET_H
#define AK_TRAIN_NET_H

#include "models/detector.h"
#include "models/segmentor.h"
#include "store/akd_config.h"

typedef struct ak_net {
    int task; /* ak_task */
    ak_params ps;
    ak_segmentor seg; /* task seg */
    ak_detector det;  /* task det */
} ak_net;

/* Builds and initialises (seeded) the network; then, when mc->pretrained names a file, loads the
 * backbone from it (models/weights.h scope "backbone.": safetensors or HDF5, bare ImageNet backbones
 * or whole-model checkpoints, mc->key_style, strict). */
int ak_net_build(ak_net *n, const ak_model_config *mc, const ak_run_config *cfg, uint64_t seed, ak_error *err);
/* Whole-model weights (model.*.weights) from `path`: a run file, a checkpoint, an exported or
 * converted state dict (safetensors / HDF5) in mc->key_style, strict (models/weights.h).
 * sha256 (may be NULL) receives the file's hash. Errors name the file and the keys. */
int ak_net_load_weights(ak_net *n, const ak_model_config *mc, const char *path, char sha256[AK_SHA256_HEX_LEN],
                        ak_error *err);
void ak_net_free(ak_net *n);
/* The segmentor configuration a model config maps to (mmseg channel conventions, see segmentor.h). */
int ak_net_seg_cfg(const ak_model_config *mc, int num_classes, ak_segmentor_cfg *out, ak_error *err);
/* The detector configuration (mmdet preset, widths scaled by model.width). */
int ak_net_det_cfg(const ak_model_config *mc, int num_classes, ak_detector_cfg *out, ak_error *err);
/* The eval section's test settings (score_thr, nms_iou, nms_pre, max_dets) into a detector config. */
void ak_net_det_apply_eval(const ak_run_config *cfg, ak_detector_cfg *dc);

#endif
