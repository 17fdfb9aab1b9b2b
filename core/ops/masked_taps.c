/* The masked per-tap convolution: checks, dispatch and autograd; kernels in core/cpu/masked_taps.c. */
#include "core/ops/masked_taps.h"

#include "core/cpu/masked_taps.h"

typedef struct mt_saved {
    int64_t K, N, O, H, W;
    int kh, kw;
    ak_tensor *m; /* the masks (a constant: not an input of the node) */
    int has_bias;
} mt_saved;

static void mt_backward(ak_ctx *ctx, ak_node *node) {
    const mt_saved *sv = node->saved;
    ak_tensor *p = node->in[0], *bias = sv->has_bias ? node->in[1] : NULL;
    float *dp = p->requires_grad ? ak_grad_of(ctx, p) : NULL;
    float *db = bias && bias->requires_grad ? ak_grad_of(ctx, bias) : NULL;
    if (!ak_ok(ctx))
        return;
    const float *dout = node->out->grad;
    if (dp)
        ak_cpu_masked_taps_bwd_p(dp, dout, sv->m->data, sv->K, sv->N, sv->O, sv->H, sv->W, sv->kh, sv->kw);
    if (db)
        ak_cpu_masked_taps_bwd_bias(db, dout, sv->K * sv->N, sv->O, sv->H * sv->W);
}

ak_tensor *ak_masked_taps(ak_ctx *ctx, ak_tensor *p, ak_tensor *m, ak_tensor *bias, int kh, int kw) {
    if (!p || !m || !ak_ok(ctx))
        return NULL;
    ak_tensor *ops[3] = {p, m, bias};
    for (int i = 0; i < 3; i++)
        if (ops[i] && ops[i]->device != AK_DEV_CPU)
            return ak_fail(ctx, AK_EUNSUP, "masked_taps: device %d not supported in this build", (int)ops[i]->device);
    if (kh < 1 || kw < 1 || kh % 2 == 0 || kw % 2 == 0)
        return ak_fail(ctx, AK_EINVAL, "masked_taps: kernel %dx%d, expected odd sizes >= 1", kh, kw);
    char a[64], b[64];
    const int64_t T = (int64_t)kh * kw;
    if (p->ndim != 4 || p->shape[1] % T != 0 || p->shape[1] == 0)
        return ak_fail(ctx, AK_ESHAPE, "masked_taps: products %s must be (N, %lld*O, H, W) for a %dx%d kernel",
                       ak_shape_str(p, a, sizeof a), (long long)T, kh, kw);
    const int64_t N = p->shape[0], O = p->shape[1] / T, H = p->shape[2], W = p->shape[3];
    if (m->ndim != 4 || m->shape[1] != N || m->shape[2] != H || m->shape[3] != W || m->shape[0] < 1)
        return ak_fail(ctx, AK_ESHAPE, "masked_taps: masks %s must be (K, %lld, %lld, %lld) for products %s",
                       ak_shape_str(m, a, sizeof a), (long long)N, (long long)H, (long long)W,
                       ak_shape_str(p, b, sizeof b));
    if (bias && (bias->ndim != 1 || bias->shape[0] != O))
        return ak_fail(ctx, AK_ESHAPE, "masked_taps: bias %s must be (%lld) for products %s and a %dx%d kernel",
                       ak_shape_str(bias, a, sizeof a), (long long)O, ak_shape_str(p, b, sizeof b), kh, kw);
    const int64_t K = m->shape[0], oshape[4] = {K * N, O, H, W};
    ak_tensor *out = ak_tensor_new(ctx, "masked_taps", 4, oshape);
    if (!out)
        return NULL;
    ak_cpu_masked_taps_fwd(out->data, p->data, m->data, bias ? bias->data : NULL, K, N, O, H, W, kh, kw);
    ak_tensor *in[2] = {p, bias};
    ak_node *node = ak_record(ctx, "masked_taps", out, mt_backward, bias ? 2 : 1, in, sizeof(mt_saved));
    if (node) {
        mt_saved *sv = node->saved;
        *sv = (mt_saved){K, N, O, H, W, kh, kw, m, bias != NULL};
    }
    return ak_ok(ctx) ? out : NULL;
}
