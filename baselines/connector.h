/* Connectors: the trainable (or parameter-free) adapters between a student tap and the loss, for
 * heterogeneous channels and sizes (METHODS.md §2.0-2.1: MMRazor align modules / FitNet adapters).
 *
 * Kinds (ak_connector in store/akd_config.h, config key distill.connector):
 *   AK_CONNECTOR_NONE           S' = S
 *   AK_CONNECTOR_CONV1X1        S' = conv1x1(S) with bias, C_s -> C_t, PyTorch default init;
 *                               params "<prefix>.weight", "<prefix>.bias"
 *   AK_CONNECTOR_CONV_BN        S' = BN(conv1x1(S)) (conv without bias, BN in training mode with
 *                               affine, running stats updated); "<prefix>.conv.weight", "<prefix>.bn.*"
 *   AK_CONNECTOR_RESIZE_STUDENT S' = bilinear resize of S to the teacher's H x W (align_corners false)
 *   AK_CONNECTOR_RESIZE_TEACHER T' = bilinear resize of T to the student's H x W (the student unchanged)
 * The distiller uses prefix "distill.<tap>.align". Parameters train with the student (base lr).
 * Shapes: S (N, C_s, H_s, W_s), T (N, C_t, H_t, W_t); conv connectors need cin = C_s, give C_t.
 * Errors: bad kind / channel counts -> AK_EINVAL at init (err); shape problems at apply come from
 * the ops (ctx->err).
 */
#ifndef AK_BASELINES_CONNECTOR_H
#define AK_BASELINES_CONNECTOR_H

#include "models/layers.h"
#include "store/akd_config.h"

typedef struct ak_connector_t {
    int kind; /* ak_connector */
    ak_conv_layer conv;
    ak_bn_layer bn;
} ak_connector_t;

int ak_connector_init(ak_connector_t *c, int kind, ak_params *ps, const char *prefix, int cin, int cout,
                      uint64_t seed, ak_error *err);
/* Replaces *s (and, for RESIZE_TEACHER, *t) by the connected tensors. Returns 0 or ctx->err.code. */
int ak_connector_apply(ak_ctx *ctx, const ak_connector_t *c, ak_tensor **s, ak_tensor **t);
/* Output channels / whether the student's size follows the teacher's, for configuration checks. */
bool ak_connector_changes_channels(int kind);

#endif
