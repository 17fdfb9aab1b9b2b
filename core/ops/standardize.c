/* Per-channel ghost-batch standardisation: checks, dispatch and autograd; kernels in
 * core/cpu/standardize.c. */
#include "core/ops/standardize.h"

#include <math.h>

#include "core/cpu/standardize.h"

typedef struct std_saved {
    float *mean, *std;
    int64_t *groups;
    int n_groups;
    int64_t C, P;
    bool unbiased;
    float eps;
} std_saved;

static void std_backward(ak_ctx *ctx, ak_node *node) {
    const std_saved *sv = node->saved;
    ak_tensor *x = node->in[0];
    float *dx = ak_grad_of(ctx, x);
    if (dx)
        ak_cpu_standardize_bwd(dx, node->out->grad, x->data, sv->mean, sv->std, sv->groups, sv->n_groups, sv->C,
                               sv->P, sv->unbiased, sv->eps);
}

ak_tensor *ak_channel_standardize(ak_ctx *ctx, ak_tensor *x, int ghost, bool unbiased, float eps) {
    if (!x || !ak_ok(ctx))
        return NULL;
    char a[64];
    if (x->device != AK_DEV_CPU)
        return ak_fail(ctx, AK_EUNSUP, "channel_standardize: device %d not supported in this build", (int)x->device);
    if (x->ndim < 2)
        return ak_fail(ctx, AK_ESHAPE, "channel_standardize: input %s needs (N,C,...)", ak_shape_str(x, a, sizeof a));
    if (!(eps >= 0.0f) || !isfinite(eps))
        return ak_fail(ctx, AK_EINVAL, "channel_standardize: eps must be finite and >= 0, got %g", (double)eps);
    int64_t N = x->shape[0], C = x->shape[1], P = N * C != 0 ? x->numel / (N * C) : 0;
    int64_t G = ghost <= 0 || ghost >= N ? N : ghost;
    int n_groups = G > 0 ? (int)((N + G - 1) / G) : 0;
    int64_t last = n_groups ? (N - (int64_t)(n_groups - 1) * G) * P : 0;
    if (n_groups == 0 || P == 0 || (unbiased && last < 2) || last < 1)
        return ak_fail(ctx, AK_ESHAPE,
                       "channel_standardize: input %s with ghost batch %d leaves a group of %lld value(s) per "
                       "channel; the unbiased std needs at least 2",
                       ak_shape_str(x, a, sizeof a), ghost, (long long)last);
    int64_t *groups = ak_scratch(ctx, "channel_standardize", (size_t)(n_groups + 1) * sizeof *groups);
    float *mean = ak_scratch(ctx, "channel_standardize", (size_t)n_groups * (size_t)C * sizeof *mean);
    float *sd = ak_scratch(ctx, "channel_standardize", (size_t)n_groups * (size_t)C * sizeof *sd);
    ak_tensor *y = ak_tensor_like(ctx, "channel_standardize", x);
    if (!groups || !mean || !sd || !y)
        return NULL;
    for (int g = 0; g < n_groups; g++)
        groups[g] = g * G;
    groups[n_groups] = N;
    ak_cpu_standardize_fwd(y->data, mean, sd, x->data, groups, n_groups, C, P, unbiased, eps);
    ak_node *node = ak_record(ctx, "channel_standardize", y, std_backward, 1, &x, sizeof(std_saved));
    if (node) {
        std_saved *sv = node->saved;
        *sv = (std_saved){mean, sd, groups, n_groups, C, P, unbiased, eps};
    }
    return ak_ok(ctx) ? y : NULL;
}
