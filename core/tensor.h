/* The tensor: float32, contiguous, row-major (NCHW for images), up to 5 dimensions.
 *
 * Tensors are always contiguous: ops that change layout (permute, slice, concat) copy. A tensor is a
 * header plus a data pointer; where the memory lives is decided by who made it:
 *   - activations and their gradients: the ak_ctx arena (valid until ak_ctx_reset);
 *   - parameters and buffers: ak_params (heap, valid for the run; see params.h).
 * `grad` is NULL until backward reaches the tensor (activations) or allocated with the tensor
 * (trainable parameters); it always has the tensor's shape. `device` says where `data` points.
 */
#ifndef AK_TENSOR_H
#define AK_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AK_MAX_DIMS 5

typedef enum ak_device { AK_DEV_CPU = 0, AK_DEV_CUDA = 1 } ak_device;

typedef struct ak_tensor {
    float *data;
    float *grad;
    int64_t shape[AK_MAX_DIMS];
    int ndim;
    int64_t numel;
    ak_device device;
    bool requires_grad; /* parameters being trained, and outputs of recorded ops that depend on one */
    bool persistent;    /* memory owned by ak_params rather than the arena */
    const char *name;   /* parameter name or producing op, for messages; may be NULL */
} ak_tensor;

/* Product of dims; 1 for ndim == 0 (a scalar). */
int64_t ak_shape_numel(int ndim, const int64_t *shape);
bool ak_same_shape(const ak_tensor *a, const ak_tensor *b);
/* "(2,3,8,8)" into buf (always NUL-terminated); returns buf. ak_dims_str: the same for a bare shape. */
char *ak_shape_str(const ak_tensor *t, char *buf, size_t len);
char *ak_dims_str(int ndim, const int64_t *shape, char *buf, size_t len);
/* Size of dimension d, with negative d counting from the end (-1 = last). */
int64_t ak_dim(const ak_tensor *t, int d);

#endif
