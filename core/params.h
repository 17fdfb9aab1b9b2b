/* Named, persistent tensors of a model: trainable parameters and non-trainable buffers (batch-norm
 * running statistics, frozen weights).
 *
 * A model registers each tensor once under a dotted name ("backbone.layer1.0.conv1.weight", the
 * torchvision / mmdet key) when it is built; the optimizer, checkpointing and weight import walk this
 * registry. Tensors are heap memory (64-byte aligned), zero-initialised, valid until ak_params_free.
 * Trainable entries own a gradient buffer of the same shape; ak_params_zero_grad clears them.
 */
#ifndef AK_PARAMS_H
#define AK_PARAMS_H

#include "core/error.h"
#include "core/tensor.h"

#define AK_PARAM_NAME_LEN 160

typedef struct ak_param {
    char name[AK_PARAM_NAME_LEN];
    ak_tensor *t;
    bool trainable;   /* has a grad and is updated by the optimizer */
    bool is_buffer;   /* state rather than a weight (running mean / var, counters) */
    float lr_mult;    /* optimizer parameter-group multipliers (1 by default) */
    float decay_mult;
} ak_param;

typedef struct ak_params {
    ak_param *items;
    int n, cap;
} ak_params;

void ak_params_init(ak_params *ps);
void ak_params_free(ak_params *ps);
/* Register a zeroed trainable parameter. Duplicate names are an error (AK_EINVAL). NULL on error. */
ak_tensor *ak_params_add(ak_params *ps, const char *name, int ndim, const int64_t *shape, ak_error *err);
/* Register a zeroed buffer (no grad, never updated by the optimizer). */
ak_tensor *ak_params_add_buffer(ak_params *ps, const char *name, int ndim, const int64_t *shape,
                                ak_error *err);
/* Lookup by exact name; NULL when absent. */
ak_param *ak_params_find(const ak_params *ps, const char *name);
/* Freeze / unfreeze every trainable entry whose name starts with prefix (no grad accumulation). */
int ak_params_set_trainable(ak_params *ps, const char *prefix, bool trainable);
void ak_params_zero_grad(ak_params *ps);
/* Total number of floats in trainable entries. */
int64_t ak_params_count(const ak_params *ps);

#endif
