/* Importing weights into a model's registry from a weight file: safetensors or HDF5 (h5py state
 * dicts, akdbench checkpoints and run files; store/weights_file.h picks the reader by content), with
 * our / torchvision / mmdet / mmseg key names (models/weight_keys.h). One matching code path for
 * every format and scheme:
 *
 *   scope "" (whole model, e.g. model.teacher.weights): every registry entry is looked up under
 *     ak_key_to_style(style, name); style AK_KEYS_AUTO is detected from the file's keys
 *     (ak_key_style_detect; akdbench checkpoints and run files are "ours").
 *   scope "backbone." (pretrained initialisation, model.*.pretrained): entry "backbone.X" is looked
 *     up as P + "X", P the first of "backbone.body.", "backbone.", "" that starts some file key:
 *     a bare backbone file (torchvision / open-mmlab ImageNet checkpoints: "conv1.weight",
 *     "stem.0.weight", "layer1.0.bn1.running_mean"), or the backbone of a whole torchvision
 *     detection model / mmdet / mmseg / akdbench checkpoint, whose other keys are then skipped (as
 *     mmcv's Pretrained(prefix='backbone.') does). The key style plays no role there.
 *
 * Strict: every registry entry in scope must be found with its shape (a missing
 * "num_batches_tracked" is tolerated: torchvision's FrozenBatchNorm2d and files from before PyTorch
 * 0.4.1 lack it, and the entry keeps its value), with a float dtype (float16 / float32 / float64 /
 * bfloat16, converted to float32; integers only for num_batches_tracked); every file key must be
 * used, except keys starting with one of `ignore` (e.g. "fc.": the ImageNet classifier), keys
 * outside the scope (above), and the "distill.*" tensors of akdbench checkpoints / run files (the
 * distillation losses' parameters, not the model's). Otherwise AK_EFORMAT, naming the file, its
 * layout and key style, with the missing, unexpected, mis-shaped, wrongly typed keys and the
 * entries without a counterpart in that key style all listed (the first few of each, and counts).
 * Nothing is copied unless everything matches; a read failure after that (corrupt data) leaves the
 * entries read so far overwritten, so the caller must discard the model on any error.
 *
 * Errors: as store/weights_file.h for the file; AK_EINVAL for a key style that cannot name the
 * model (mmdet on a segmentor, ...) or a scope that is not "" or ends without '.'.
 * info (may be NULL) receives the file's SHA-256 (what runs record as the weights' hash), the
 * layout, the resolved key style and counts.
 */
#ifndef AK_MODELS_WEIGHTS_H
#define AK_MODELS_WEIGHTS_H

#include "core/params.h"
#include "store/hash.h"
#include "store/weights_file.h"

typedef struct ak_weights_opts {
    const char *scope;            /* registry prefix loaded: "" or "backbone." */
    ak_key_style style;           /* AK_KEYS_AUTO: detected */
    const char *const *ignore;    /* file-key prefixes that are not the model's (may be NULL) */
    int n_ignore;
} ak_weights_opts;

typedef struct ak_weights_info {
    char sha256[AK_SHA256_HEX_LEN];
    char layout[32];    /* "safetensors", "h5py", "akdbench-ckpt/1", ... */
    ak_key_style style; /* resolved */
    int loaded;         /* registry entries written */
    int skipped;        /* file keys skipped (ignore prefixes, outside the scope, distill.*) */
} ak_weights_info;

int ak_load_weights(ak_params *ps, const char *path, const ak_weights_opts *opts, ak_weights_info *info,
                    ak_error *err);

#endif
