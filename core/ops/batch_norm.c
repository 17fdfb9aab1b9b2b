/* Batch norm (train / eval / frozen): checks, statistics, running-stat update and autograd; declared
 * in core/ops/norm.h, kernels in core/cpu/norm.c.
 *
 * Passes over x (N, C, S): training forward = one statistics pass + one affine pass; backward = one
 * pass for sum(dy) and sum(dy * (x - mean)) + one pass writing dx. Eval backward for x alone is a
 * single pass. Statistics are per (n, c) plane, combined over n in order (thread-count independent).
 * Ghost batches (ak_batch_norm_ghost) only change which planes are combined: statistics are kept per
 * (group of samples, channel) instead of per channel.
 * The fused variants (+ ReLU, + residual add + ReLU) apply the extra steps inside the affine pass
 * forward. Backward applies relu's mask where the two passes read dy, and the statistics pass also
 * adds the masked dy into the residual's gradient (the shortcut add's backward).
 */
#include <math.h>
#include <stdio.h>

#include "core/cpu/norm.h"
#include "core/ops/norm.h"

int ak_norm_check_vec(ak_ctx *ctx, const char *op, const char *what, const ak_tensor *t, int64_t C,
                      const ak_tensor *x) {
    if (!t)
        return AK_OK;
    if (t->device != x->device)
        return ak_error_set(&ctx->err, AK_EUNSUP, "%s: %s is on device %d, input on %d", op, what, (int)t->device,
                            (int)x->device);
    if (t->ndim != 1 || t->shape[0] != C) {
        char s1[64], s2[64];
        return ak_error_set(&ctx->err, AK_ESHAPE, "%s: %s has shape %s, expected (%lld) for input %s", op, what,
                            ak_shape_str(t, s1, sizeof s1), (long long)C, ak_shape_str(x, s2, sizeof s2));
    }
    return AK_OK;
}

typedef struct bn_saved {
    ak_bn_mode mode;
    int64_t N, C, S;
    int64_t G;          /* samples per statistics group (training; N when not ghost-batched) */
    const float *gamma; /* weight data or NULL (also in frozen mode, where it is a constant) */
    float *mean;        /* per (group, channel): the mean that was subtracted (batch or running) */
    double *invstd;     /* per (group, channel) */
    bool relu;          /* ak_batch_norm_relu / _add_relu: the output is relu'd */
} bn_saved;

/* Statistics index of plane p = n*C + c: (n / G) * C + c. */
static inline int64_t stat_of(int64_t p, int64_t C, int64_t G) { return (p / C / G) * C + p % C; }

static void bn_backward(ak_ctx *ctx, ak_node *node) {
    const bn_saved *s = node->saved;
    ak_tensor *x = node->in[0], *w = node->in[1], *b = node->in[2], *r = node->in[3];
    const int64_t N = s->N, C = s->C, S = s->S, P = N * C, G = s->G, K = (N + G - 1) / G * C;
    const float *dy = node->out->grad;
    const float *mask = s->relu ? node->out->data : NULL; /* relu's backward, applied where dy is read */
    const bool need_x = x->requires_grad, need_w = w && w->requires_grad, need_b = b && b->requires_grad;
    const bool train = s->mode == AK_BN_TRAIN, dot = need_w || need_b || (need_x && train);
    bool dr_fresh = false; /* the add's backward: d(residual) += masked dy, in seg_dot's pass */
    float *dr = mask && r && r->requires_grad ? ak_grad_of_fresh(ctx, r, &dr_fresh) : NULL;
    if (mask && r && r->requires_grad && !dr)
        return;
    if (dr && !dot) { /* no seg_dot pass to ride on: mask in place (dy is this node's alone) */
        ak_cpu_relu_mask(node->out->grad, node->out->data, dr, dr_fresh, node->out->numel);
        mask = NULL;
        dr = NULL;
    }
    float *coef = ak_scratch(ctx, node->op, (size_t)P * 4 * sizeof *coef); /* m, a, b, c per plane */
    double *sums = ak_scratch(ctx, node->op, (size_t)(2 * P + 2 * K) * sizeof *sums);
    if (!coef || !sums)
        return;
    float *pm = coef, *pa = coef + P, *pb = coef + 2 * P, *pc = coef + 3 * P;
    double *sdy = sums, *sdyx = sums + P, *kdy = sums + 2 * P, *kdyx = sums + 2 * P + K;
    for (int64_t p = 0; p < P; p++)
        pm[p] = s->mean[stat_of(p, C, G)];
    if (dot) {
        ak_cpu_seg_dot(sdy, sdyx, dy, x->data, P, S, pm, mask, dr, dr_fresh);
        for (int64_t k = 0; k < K; k++) { /* per (group, channel), samples in order */
            const int64_t n0 = k / C * G, n1 = n0 + G < N ? n0 + G : N, c = k % C;
            double t1 = 0, t2 = 0;
            for (int64_t n = n0; n < n1; n++) {
                t1 += sdy[n * C + c];
                t2 += sdyx[n * C + c];
            }
            kdy[k] = t1;
            kdyx[k] = t2;
        }
        float *dw = need_w ? ak_grad_of(ctx, w) : NULL, *db = need_b ? ak_grad_of(ctx, b) : NULL;
        if ((need_w && !dw) || (need_b && !db))
            return;
        for (int64_t c = 0; c < C; c++) {
            double tw = 0, tb = 0;
            for (int64_t k = c; k < K; k += C) {
                tw += kdyx[k] * s->invstd[k];
                tb += kdy[k];
            }
            if (dw)
                dw[c] += (float)tw;
            if (db)
                db[c] += (float)tb;
        }
    }
    if (!need_x)
        return;
    bool fresh;
    float *dx = ak_grad_of_fresh(ctx, x, &fresh); /* seg_bwd writes every element */
    if (!dx)
        return;
    for (int64_t p = 0; p < P; p++) {
        const int64_t c = p % C, k = stat_of(p, C, G), n0 = k / C * G;
        const double cnt = (double)((n0 + G < N ? G : N - n0) * S);
        const double g = s->gamma ? s->gamma[c] : 1.0, i = s->invstd[k];
        pa[p] = (float)(g * i);
        if (train) { /* dx = g*i*(dy - mean(dy) - xhat * mean(dy * xhat)) */
            pb[p] = (float)(-g * i * i * i * kdyx[k] / cnt);
            pc[p] = (float)(-g * i * kdy[k] / cnt);
        }
    }
    if (train)
        ak_cpu_seg_bwd(dx, dy, x->data, P, S, pa, pb, pm, pc, mask, fresh);
    else
        ak_cpu_seg_bwd(dx, dy, NULL, P, S, pa, NULL, NULL, NULL, mask, fresh);
}

/* Shared by every batch norm entry point; ghost = samples per statistics group (0: all); residual
 * (NULL: none) is added before the relu. */
static ak_tensor *batch_norm(ak_ctx *ctx, const char *op, ak_tensor *x, ak_tensor *weight, ak_tensor *bias,
                             ak_tensor *running_mean, ak_tensor *running_var, ak_bn_mode mode, int ghost,
                             float momentum, float eps, bool relu, ak_tensor *residual) {
    if (!x || !ak_ok(ctx))
        return NULL;
    char s[64];
    if (x->device != AK_DEV_CPU)
        return ak_fail(ctx, AK_EUNSUP, "%s: device %d not supported in this build", op, (int)x->device);
    if (x->ndim < 2)
        return ak_fail(ctx, AK_ESHAPE, "%s: input of shape %s, expected (N, C, ...) with >= 2 dims", op,
                       ak_shape_str(x, s, sizeof s));
    if (mode != AK_BN_TRAIN && mode != AK_BN_EVAL && mode != AK_BN_FROZEN)
        return ak_fail(ctx, AK_EINVAL, "%s: unknown mode %d", op, (int)mode);
    if (!(momentum >= 0.0f && momentum <= 1.0f) || !(eps >= 0.0f))
        return ak_fail(ctx, AK_EINVAL, "%s: momentum %g must be in [0, 1] and eps %g >= 0", op, (double)momentum,
                       (double)eps);
    if (ghost < 0)
        return ak_fail(ctx, AK_EINVAL, "%s: ghost batch size %d must be >= 0", op, ghost);
    if (!running_mean != !running_var)
        return ak_fail(ctx, AK_EINVAL, "%s: running_mean and running_var must be given together", op);
    if (mode != AK_BN_TRAIN && !running_mean)
        return ak_fail(ctx, AK_EINVAL, "%s: %s mode needs running_mean and running_var", op,
                       mode == AK_BN_EVAL ? "eval" : "frozen");
    if (relu && residual) { /* only the fused add's operand: same shape as x, no broadcasting */
        bool same = residual->ndim == x->ndim;
        for (int d = 0; same && d < x->ndim; d++)
            same = residual->shape[d] == x->shape[d];
        if (residual->device != x->device || !same) {
            char s2[64];
            return ak_fail(ctx, AK_ESHAPE, "%s: residual of shape %s on device %d, expected the input's shape %s on "
                           "device %d", op, ak_shape_str(residual, s, sizeof s), (int)residual->device,
                           ak_shape_str(x, s2, sizeof s2), (int)x->device);
        }
    }
    const int64_t N = x->shape[0], C = x->shape[1], P = N * C, S = P ? x->numel / P : 0;
    if (ak_norm_check_vec(ctx, op, "weight", weight, C, x) || ak_norm_check_vec(ctx, op, "bias", bias, C, x) ||
        ak_norm_check_vec(ctx, op, "running_mean", running_mean, C, x) ||
        ak_norm_check_vec(ctx, op, "running_var", running_var, C, x))
        return NULL;
    const int64_t G = mode == AK_BN_TRAIN && ghost > 0 && ghost < N ? ghost : (N ? N : 1);
    const int64_t NG = (N + G - 1) / G, K = NG * C; /* statistics groups, (group, channel) pairs */
    const int64_t last = N - (NG - 1) * G;          /* samples in the last (possibly smaller) group */
    if (mode == AK_BN_TRAIN && (N == 0 || last * S <= 1))
        return ak_fail(ctx, AK_ESHAPE, "%s: training needs more than 1 value per channel%s, got input %s", op,
                       G < N ? " in every ghost batch" : "", ak_shape_str(x, s, sizeof s));
    ak_tensor *y = ak_tensor_like(ctx, op, x);
    float *mean = ak_scratch(ctx, op, (size_t)(K ? K : 1) * sizeof *mean);
    double *invstd = ak_scratch(ctx, op, (size_t)(K ? K : 1) * sizeof *invstd);
    float *coef = ak_scratch(ctx, op, (size_t)(P ? P : 1) * 3 * sizeof *coef); /* m, a, b per plane */
    if (!y || !mean || !invstd || !coef)
        return NULL;
    float *pm = coef, *pa = coef + P, *pb = coef + 2 * P;
    if (mode == AK_BN_TRAIN) {
        double *mom = ak_scratch(ctx, op, (size_t)P * 2 * sizeof *mom);
        if (!mom)
            return NULL;
        for (int64_t p = 0; p < P; p++) /* shift: the group's first value of the channel, close to its mean */
            pm[p] = x->data[((p / C / G) * G * C + p % C) * S];
        ak_cpu_seg_moments(mom, mom + P, x->data, P, S, pm);
        /* groups in batch order, so the running statistics see the same sequence of updates as
         * PyTorch calling the layer once per ghost batch */
        for (int64_t k = 0; k < K; k++) {
            const int64_t n0 = k / C * G, n1 = n0 + G < N ? n0 + G : N, c = k % C;
            const double cnt = (double)((n1 - n0) * S);
            double t1 = 0, t2 = 0;
            for (int64_t n = n0; n < n1; n++) {
                t1 += mom[n * C + c];
                t2 += mom[P + n * C + c];
            }
            const double mu = t1 / cnt;
            double var = t2 / cnt - mu * mu;
            if (var < 0)
                var = 0;
            mean[k] = (float)((double)pm[n0 * C + c] + mu);
            invstd[k] = 1.0 / sqrt(var + (double)eps);
            if (running_mean) { /* PyTorch's update, in its float / double mix */
                float *rm = running_mean->data, *rv = running_var->data;
                rm[c] = momentum * mean[k] + (1.0f - momentum) * rm[c];
                const double unbiased = var * cnt / (cnt - 1.0);
                rv[c] = (float)((double)momentum * unbiased + (double)((1.0f - momentum) * rv[c]));
            }
        }
    } else {
        for (int64_t c = 0; c < C; c++) {
            mean[c] = running_mean->data[c];
            invstd[c] = 1.0 / sqrt((double)running_var->data[c] + (double)eps);
        }
    }
    for (int64_t p = 0; p < P; p++) {
        const int64_t c = p % C, k = stat_of(p, C, G);
        pm[p] = mean[k];
        pa[p] = (float)(invstd[k] * (weight ? (double)weight->data[c] : 1.0));
        pb[p] = bias ? bias->data[c] : 0.0f;
    }
    if (residual)
        ak_cpu_seg_affine_add_relu(y->data, x->data, residual->data, P, S, pm, pa, pb);
    else if (relu)
        ak_cpu_seg_affine_relu(y->data, x->data, P, S, pm, pa, pb);
    else
        ak_cpu_seg_affine(y->data, x->data, P, S, pm, pa, pb);
    ak_tensor *in[4] = {x, mode == AK_BN_FROZEN ? NULL : weight, mode == AK_BN_FROZEN ? NULL : bias, residual};
    ak_node *node = ak_record(ctx, op, y, bn_backward, 4, in, sizeof(bn_saved));
    if (node) {
        bn_saved *sv = node->saved;
        sv->mode = mode;
        sv->N = N;
        sv->C = C;
        sv->S = S;
        sv->G = G;
        sv->gamma = weight ? weight->data : NULL;
        sv->mean = mean;
        sv->invstd = invstd;
        sv->relu = relu;
    }
    return ak_ok(ctx) ? y : NULL;
}

ak_tensor *ak_batch_norm(ak_ctx *ctx, ak_tensor *x, ak_tensor *weight, ak_tensor *bias, ak_tensor *running_mean,
                         ak_tensor *running_var, ak_bn_mode mode, float momentum, float eps) {
    return batch_norm(ctx, "batch_norm", x, weight, bias, running_mean, running_var, mode, 0, momentum, eps, false,
                      NULL);
}

ak_tensor *ak_batch_norm_relu(ak_ctx *ctx, ak_tensor *x, ak_tensor *weight, ak_tensor *bias,
                              ak_tensor *running_mean, ak_tensor *running_var, ak_bn_mode mode, float momentum,
                              float eps) {
    return batch_norm(ctx, "batch_norm_relu", x, weight, bias, running_mean, running_var, mode, 0, momentum, eps,
                      true, NULL);
}

ak_tensor *ak_batch_norm_add_relu(ak_ctx *ctx, ak_tensor *x, ak_tensor *weight, ak_tensor *bias,
                                  ak_tensor *running_mean, ak_tensor *running_var, ak_bn_mode mode, float momentum,
                                  float eps, ak_tensor *residual) {
    if (x && !residual && ak_ok(ctx))
        return ak_fail(ctx, AK_EINVAL, "batch_norm_add_relu: residual is NULL");
    if (!residual)
        return NULL;
    return batch_norm(ctx, "batch_norm_add_relu", x, weight, bias, running_mean, running_var, mode, 0, momentum,
                      eps, true, residual);
}

ak_tensor *ak_batch_norm_ghost(ak_ctx *ctx, ak_tensor *x, int ghost, ak_tensor *weight, ak_tensor *bias,
                               ak_tensor *running_mean, ak_tensor *running_var, float momentum, float eps) {
    return batch_norm(ctx, "batch_norm_ghost", x, weight, bias, running_mean, running_var, AK_BN_TRAIN, ghost,
                      momentum, eps, false, NULL);
}
