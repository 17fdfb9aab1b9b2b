/* Shared machinery of the fused losses (reduction options, weights, outputs), the finite-value
 * check the trainer runs on every loss term, and label conversion. The losses themselves live in
 * loss_ce.c, loss_sigmoid.c, loss_reg.c and loss_box.c. */
#include "core/ops/loss.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/ops/loss_util.h"

char *ak_loss_shape_str(int ndim, const int64_t *shape, char *buf, size_t len) {
    size_t o = 0;
    o += (size_t)snprintf(buf + o, len - o, "(");
    for (int i = 0; i < ndim && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, i ? ",%lld" : "%lld", (long long)shape[i]);
    if (o < len)
        snprintf(buf + o, len - o, ")");
    return buf;
}

bool ak_loss_check_pair(ak_ctx *ctx, const char *op, const ak_tensor *x, const ak_tensor *t, const char *xname,
                        const char *tname) {
    if (!x || !t || !ak_ok(ctx))
        return false;
    if (x->device != AK_DEV_CPU || t->device != AK_DEV_CPU) {
        ak_fail(ctx, AK_EUNSUP, "%s: device %d not supported in this build", op, (int)x->device);
        return false;
    }
    if (!ak_same_shape(x, t)) {
        char a[96], b[96];
        ak_fail(ctx, AK_ESHAPE, "%s: %s %s and %s %s must have the same shape", op, xname,
                ak_shape_str(x, a, sizeof a), tname, ak_shape_str(t, b, sizeof b));
        return false;
    }
    return true;
}

bool ak_loss_check_reduction(ak_ctx *ctx, const char *op, ak_reduction reduction, bool has_avg_factor,
                             double avg_factor) {
    if (reduction != AK_REDUCE_MEAN && reduction != AK_REDUCE_SUM && reduction != AK_REDUCE_NONE) {
        ak_fail(ctx, AK_EINVAL, "%s: unknown reduction %d (expected mean, sum or none)", op, (int)reduction);
        return false;
    }
    if (has_avg_factor && reduction == AK_REDUCE_SUM) {
        /* mmdet raises the same: an average factor only makes sense for a mean */
        ak_fail(ctx, AK_EINVAL, "%s: avg_factor can not be used with reduction sum", op);
        return false;
    }
    if (has_avg_factor && !(avg_factor >= 0.0 && isfinite(avg_factor))) {
        ak_fail(ctx, AK_EINVAL, "%s: avg_factor must be finite and >= 0, got %g", op, avg_factor);
        return false;
    }
    return true;
}

bool ak_loss_setup(ak_ctx *ctx, const char *op, const ak_loss_opts *opts, int ndim, const int64_t *shape,
                   ak_loss_red *red) {
    ak_loss_opts def = {AK_REDUCE_MEAN, false, 0.0, NULL};
    const ak_loss_opts *o = opts ? opts : &def;
    memset(red, 0, sizeof *red);
    if (!ak_loss_check_reduction(ctx, op, o->reduction, o->has_avg_factor, o->avg_factor))
        return false;
    int64_t n = ak_shape_numel(ndim, shape);
    red->reduction = o->reduction;
    red->denom = o->reduction == AK_REDUCE_SUM ? 1.0
                 : o->has_avg_factor          ? o->avg_factor + (double)FLT_EPSILON
                                              : (double)n;
    red->w_inner = 1;
    const ak_tensor *w = o->weight;
    if (w) {
        char a[96], b[96];
        if (w->device != AK_DEV_CPU) {
            ak_fail(ctx, AK_EUNSUP, "%s: weight on device %d not supported in this build", op, (int)w->device);
            return false;
        }
        if (w->requires_grad) {
            ak_fail(ctx, AK_EUNSUP, "%s: weight %s requires a gradient; loss weights are constants", op,
                    ak_shape_str(w, a, sizeof a));
            return false;
        }
        bool same = w->ndim == ndim && memcmp(w->shape, shape, (size_t)ndim * sizeof *shape) == 0;
        bool per_row = ndim >= 2 && w->ndim == ndim - 1 &&
                       memcmp(w->shape, shape, (size_t)(ndim - 1) * sizeof *shape) == 0;
        if (!same && !per_row) {
            ak_fail(ctx, AK_ESHAPE, "%s: weight %s must have the loss shape %s or that shape without its last dim",
                    op, ak_shape_str(w, a, sizeof a), ak_loss_shape_str(ndim, shape, b, sizeof b));
            return false;
        }
        red->w = w->data;
        red->w_inner = same ? 1 : shape[ndim - 1];
        if (red->w_inner == 0)
            red->w = NULL; /* no element: nothing to weigh (and no division by zero in the cursor) */
    }
    return true;
}

ak_tensor *ak_loss_out(ak_ctx *ctx, const char *op, ak_reduction reduction, int ndim, const int64_t *shape) {
    if (reduction == AK_REDUCE_NONE)
        return ak_tensor_new(ctx, op, ndim, shape);
    static const int64_t scalar[1] = {1}; /* never read for ndim 0, but memcpy wants a valid pointer */
    return ak_tensor_new(ctx, op, 0, scalar);
}

void ak_loss_finish(ak_tensor *out, const ak_loss_red *red, double sum, int64_t n) {
    if (red->reduction == AK_REDUCE_NONE)
        return;
    if (red->mean_of_empty_is_zero && red->reduction == AK_REDUCE_MEAN && n == 0)
        out->data[0] = 0.0f;
    else
        out->data[0] = (float)(sum / red->denom);
}

const float *ak_loss_upstream(const ak_tensor *out, const ak_loss_red *red, float *coef) {
    if (red->reduction == AK_REDUCE_NONE) {
        *coef = 0.0f;
        return out->grad;
    }
    *coef = (float)((double)out->grad[0] / red->denom);
    return NULL;
}

int32_t *ak_labels_from_u8(ak_ctx *ctx, const uint8_t *labels, int64_t n) {
    if (!ak_ok(ctx))
        return NULL;
    int32_t *out = ak_scratch(ctx, "labels_from_u8", (size_t)(n > 0 ? n : 1) * sizeof *out);
    if (!out)
        return NULL;
    for (int64_t i = 0; i < n; i++)
        out[i] = labels[i];
    return out;
}

int ak_check_finite(ak_ctx *ctx, const ak_tensor *t, const char *what) {
    if (!ak_ok(ctx))
        return ctx->err.code;
    if (!t)
        return ak_error_set(&ctx->err, AK_EINVAL, "ak_check_finite: loss '%s' is NULL", what ? what : "?");
    for (int64_t i = 0; i < t->numel; i++) {
        if (!isfinite(t->data[i])) {
            char s[96];
            float v = t->data[i];
            return ak_error_set(&ctx->err, AK_ENAN, "loss '%s' is not finite: %s at index %lld of %s",
                                what ? what : "?", isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"), (long long)i,
                                ak_shape_str(t, s, sizeof s));
        }
    }
    return AK_OK;
}
