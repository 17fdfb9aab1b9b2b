/* Named feature taps: a model's forward pass records the tensors distillation may attach to
 * ("backbone.c3", "neck.p3", "head.cls.p3", "decode.logits", ...), so losses pick features by name
 * without touching model code. The tensors live in the ctx arena; names are copied.
 */
#ifndef AK_MODELS_TAPS_H
#define AK_MODELS_TAPS_H

#include "core/tensor.h"

#define AK_MAX_TAPS 48
#define AK_TAP_NAME_LEN 48

typedef struct ak_taps {
    int n;
    char names[AK_MAX_TAPS][AK_TAP_NAME_LEN];
    ak_tensor *t[AK_MAX_TAPS];
} ak_taps;

void ak_taps_clear(ak_taps *taps);
/* Record (or replace) `name`. Returns 0, or AK_ENOMEM when AK_MAX_TAPS are in use. NULL taps: no-op. */
int ak_taps_put(ak_taps *taps, const char *name, ak_tensor *t);
/* NULL when absent. */
ak_tensor *ak_taps_get(const ak_taps *taps, const char *name);

#endif
