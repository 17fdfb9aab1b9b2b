/* Internal to core/ops/loss*.c: option checking, output allocation and reduction bookkeeping shared
 * by the fused losses. Not part of the public API (see core/ops/loss.h). */
#ifndef AK_OPS_LOSS_UTIL_H
#define AK_OPS_LOSS_UTIL_H

#include "core/ops/loss.h"

/* How an element-wise loss is reduced; saved on the tape for backward. */
typedef struct ak_loss_red {
    ak_reduction reduction;
    bool mean_of_empty_is_zero; /* torchvision's GIoU: MEAN over no element gives 0, not NaN */
    double denom;               /* MEAN / SUM: value = sum / denom (filled by ak_loss_finish for CE) */
    const float *w;             /* weights or NULL */
    int64_t w_inner;            /* elements per weight */
} ak_loss_red;

/* Check that x and t are usable (non-NULL, no pending error, CPU) and have the same shape, naming
 * them in the message. false: ctx->err set (or already set). */
bool ak_loss_check_pair(ak_ctx *ctx, const char *op, const ak_tensor *x, const ak_tensor *t, const char *xname,
                        const char *tname);

/* Validate opts (NULL = defaults) for an element-wise loss whose unreduced shape is (ndim, shape),
 * and fill red (denom = n, avg_factor + FLT_EPSILON or 1). false: ctx->err set. */
bool ak_loss_setup(ak_ctx *ctx, const char *op, const ak_loss_opts *opts, int ndim, const int64_t *shape,
                   ak_loss_red *red);

/* Shared part of the CE options check (reduction, avg_factor). */
bool ak_loss_check_reduction(ak_ctx *ctx, const char *op, ak_reduction reduction, bool has_avg_factor,
                             double avg_factor);

/* Output: the unreduced shape for NONE, a scalar (ndim 0) otherwise. NULL + error when out of memory. */
ak_tensor *ak_loss_out(ak_ctx *ctx, const char *op, ak_reduction reduction, int ndim, const int64_t *shape);

/* Write the reduced value sum / denom into out (no-op for NONE, whose kernel wrote out). */
void ak_loss_finish(ak_tensor *out, const ak_loss_red *red, double sum, int64_t n);

/* For backward: the per-element upstream gradient (NONE) or NULL with *coef = d out / d sum. */
const float *ak_loss_upstream(const ak_tensor *out, const ak_loss_red *red, float *coef);

/* "(2,3,4)" for a raw shape. Returns buf. */
char *ak_loss_shape_str(int ndim, const int64_t *shape, char *buf, size_t len);

#endif
