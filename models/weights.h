/* Importing pretrained weights from safetensors files (tools/pth_to_safetensors.py converts a
 * PyTorch .pth). Keys are matched by name under a registry prefix:
 *   ak_load_weights_safetensors(ps, "backbone.", path, strip):
 *     a file key K is looked up as prefix + K (torchvision ResNet keys: "conv1.weight",
 *     "layer1.0.bn1.running_mean", ...) and, failing that, as K itself (files already holding
 *     "backbone.*" keys). Keys listed in `ignore_prefixes` (e.g. "fc.") are skipped.
 * Strict: every registry entry under the prefix must be found with its exact shape (a missing
 * "num_batches_tracked" is tolerated: PyTorch files written before 0.4.1 lack it), and every file
 * key must be used; otherwise AK_EFORMAT with the missing / unexpected / mis-shaped keys listed.
 * Nothing is copied unless everything matches. *sha256_hex (may be NULL) receives the file hash.
 */
#ifndef AK_MODELS_WEIGHTS_H
#define AK_MODELS_WEIGHTS_H

#include "core/params.h"

int ak_load_weights_safetensors(ak_params *ps, const char *prefix, const char *path, const char *const *ignore_prefixes,
                                int n_ignore, char *sha256_hex, ak_error *err);

#endif
