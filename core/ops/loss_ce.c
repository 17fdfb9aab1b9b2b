/* Cross-entropy over dim 1 with ignore_index and class weights (PyTorch semantics; mmseg's
 * normalisations through avg_factor). Label validation, reduction and autograd; kernels in
 * core/cpu/loss_ce.c. Labels are copied into the arena so the caller's buffer may go away. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/cpu/loss.h"
#include "core/ops/loss.h"
#include "core/ops/loss_util.h"

typedef struct ce_saved {
    ak_loss_red red;
    const int32_t *labels;
    const float *cw;
    const float *lse;
    int64_t n, c, s;
    int32_t ignore;
} ce_saved;

ak_ce_opts ak_ce_defaults(void) {
    ak_ce_opts o = {AK_REDUCE_MEAN, false, 0.0, 255, NULL};
    return o;
}

static void ce_backward(ak_ctx *ctx, ak_node *node) {
    const ce_saved *sv = node->saved;
    ak_tensor *x = node->in[0];
    float coef;
    const float *dy = ak_loss_upstream(node->out, &sv->red, &coef);
    float *dx = ak_grad_of(ctx, x);
    if (dx)
        ak_cpu_ce_bwd(dx, x->data, sv->labels, sv->cw, sv->lse, sv->n, sv->c, sv->s, sv->ignore, dy, coef);
}

/* Position of flat label index i for the message: (n, h, w) for maps, (n, i) otherwise. */
static void label_pos(const ak_tensor *x, int64_t i, int64_t s, char *buf, size_t len) {
    int64_t n = i / s, r = i % s;
    if (x->ndim == 4)
        snprintf(buf, len, "(n=%lld, h=%lld, w=%lld)", (long long)n, (long long)(r / x->shape[3]),
                 (long long)(r % x->shape[3]));
    else if (x->ndim == 2)
        snprintf(buf, len, "(n=%lld)", (long long)n);
    else
        snprintf(buf, len, "(n=%lld, position %lld)", (long long)n, (long long)r);
}

ak_tensor *ak_cross_entropy(ak_ctx *ctx, ak_tensor *x, const int32_t *labels, const ak_ce_opts *opts) {
    static const char *op = "cross_entropy";
    if (!x || !ak_ok(ctx))
        return NULL;
    ak_ce_opts o = opts ? *opts : ak_ce_defaults();
    char sh[96];
    if (x->device != AK_DEV_CPU)
        return ak_fail(ctx, AK_EUNSUP, "%s: device %d not supported in this build", op, (int)x->device);
    if (x->ndim < 2 || x->shape[1] < 1)
        return ak_fail(ctx, AK_ESHAPE, "%s: logits must be (N,C,...) with C >= 1, got %s", op,
                       ak_shape_str(x, sh, sizeof sh));
    if (!ak_loss_check_reduction(ctx, op, o.reduction, o.has_avg_factor, o.avg_factor))
        return NULL;
    int64_t n = x->shape[0], c = x->shape[1], s = ak_shape_numel(x->ndim - 2, x->shape + 2), ns = n * s;
    if (!labels && ns > 0)
        return ak_fail(ctx, AK_EINVAL, "%s: labels are NULL for logits %s", op, ak_shape_str(x, sh, sizeof sh));

    /* Copy and validate the labels; the first bad one (lowest index) is reported. */
    int32_t *y = ak_scratch(ctx, op, (size_t)(ns > 0 ? ns : 1) * sizeof *y);
    float *lse = ak_scratch(ctx, op, (size_t)(ns > 0 ? ns : 1) * sizeof *lse);
    float *cw = o.class_weight ? ak_scratch(ctx, op, (size_t)c * sizeof *cw) : NULL;
    if (!y || !lse || (o.class_weight && !cw))
        return NULL;
    if (ns > 0)
        memcpy(y, labels, (size_t)ns * sizeof *y);
    if (cw)
        memcpy(cw, o.class_weight, (size_t)c * sizeof *cw);
    for (int64_t i = 0; i < ns; i++) {
        if (y[i] != o.ignore_index && (y[i] < 0 || y[i] >= c)) {
            char pos[96];
            label_pos(x, i, s, pos, sizeof pos);
            return ak_fail(ctx, AK_ERANGE, "%s: label %d at %s is outside [0, %lld) and is not ignore_index %d", op,
                           (int)y[i], pos, (long long)c, (int)o.ignore_index);
        }
    }

    int64_t out_shape[AK_MAX_DIMS];
    out_shape[0] = n;
    for (int d = 2; d < x->ndim; d++)
        out_shape[d - 1] = x->shape[d];
    ak_tensor *out = ak_loss_out(ctx, op, o.reduction, x->ndim - 1, out_shape);
    if (!out)
        return NULL;
    double sums[2];
    ak_cpu_ce_fwd(o.reduction == AK_REDUCE_NONE ? out->data : NULL, lse, sums, x->data, y, cw, n, c, s,
                  o.ignore_index);
    ak_loss_red red = {o.reduction, false, 1.0, NULL, 1};
    if (o.reduction == AK_REDUCE_MEAN)
        red.denom = o.has_avg_factor ? o.avg_factor + (double)FLT_EPSILON : sums[1];
    ak_loss_finish(out, &red, sums[0], ns);

    ak_node *node = ak_record(ctx, op, out, ce_backward, 1, &x, sizeof(ce_saved));
    if (node) {
        ce_saved *sv = node->saved;
        sv->red = red;
        sv->labels = y;
        sv->cw = cw;
        sv->lse = lse;
        sv->n = n;
        sv->c = c;
        sv->s = s;
        sv->ignore = o.ignore_index;
    }
    return ak_ok(ctx) ? out : NULL;
}
