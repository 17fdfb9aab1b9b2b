/* Internal to baselines/: the bookkeeping every loss made here shares - allocation of an
 * ak_distill_loss with its state, registration of the loss's own parameters under
 * "distill.<tap>.<name>" with the slot table behind ak_distill_loss_param_slot(), sub-term logging
 * and common argument checks. Not part of the public interface (see distill_loss.h, registry.h).
 *
 * Every state struct of a baselines/ loss starts with an ak_loss_head (checked by its magic), so the
 * generic accessors can find the parameter slots without knowing the method.
 */
#ifndef AK_BASELINES_LOSS_COMMON_H
#define AK_BASELINES_LOSS_COMMON_H

#include <stdint.h>

#include "baselines/distill_loss.h"

#define AK_LOSS_MAGIC 0x4c44414bu /* "KADL" */
#define AK_LOSS_MAX_PARAMS 20
#define AK_LOSS_PARAM_NAME 48

typedef struct ak_loss_head {
    uint32_t magic;
    int n_params;
    char names[AK_LOSS_MAX_PARAMS][AK_LOSS_PARAM_NAME];
    ak_tensor *params[AK_LOSS_MAX_PARAMS];
} ak_loss_head;

/* A loss with `state_bytes` of zeroed state (which must start with ak_loss_head). weight is stored
 * in l->weight. NULL + err on allocation failure or a tap name that does not fit. */
ak_distill_loss *ak_loss_alloc(const ak_distill_loss_ops *ops, const char *tap, float weight, size_t state_bytes,
                               ak_error *err);
/* destroy op shared by all baselines/ losses: frees the state. */
void ak_loss_free_state(ak_distill_loss *l);
/* Register a zeroed parameter "distill.<tap>.<name>" in ps and add it to the slot table. Returns
 * the slot index, or -1 with err set. */
int ak_loss_add_param(ak_distill_loss *l, ak_params *ps, const char *name, int ndim, const int64_t *shape,
                      ak_error *err);
/* The tensor in slot i. */
static inline ak_tensor *ak_loss_p(const ak_distill_loss *l, int i) { return ((const ak_loss_head *)l->state)->params[i]; }
/* After registering: freeze the loss's own parameters when `frozen` (trainable = false, §5.8). */
void ak_loss_finish_params(ak_distill_loss *l, ak_params *ps, bool frozen);

/* Record the weighted sub-terms of the last forward (names <= 15 chars). */
void ak_loss_set_terms(ak_distill_loss *l, int n, const char *const *names, const float *values);
/* One term named after the method. */
void ak_loss_set_term1(ak_distill_loss *l, float value);

/* Fail (ctx error, NULL) unless s and t are (N,C,H,W) maps of the same shape; names method and tap. */
bool ak_loss_check_maps(ak_ctx *ctx, const ak_distill_loss *l, const ak_tensor *s, const ak_tensor *t, bool same_hw);
/* scale * sum(x) as a 0-dim scalar on the tape. */
ak_tensor *ak_loss_scaled_sum(ak_ctx *ctx, ak_tensor *x, float scale);
/* The value of a scalar tensor (0 when NULL). */
static inline float ak_loss_value(const ak_tensor *t) { return t ? t->data[0] : 0.0f; }

#endif
