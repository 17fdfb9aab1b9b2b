/* Masked generative distillation (METHODS.md §2.3, [MGD] det/.../mgd.py):
 *   L = weight * alpha * sum_{n,c,h,w} (G(S * M) - T)^2 / N,
 * G = conv3x3(C->C, pad 1) -> ReLU -> conv3x3(C->C, pad 1), both with bias, PyTorch default init;
 * M the random mask of mgd.h, drawn afresh each call from in->rng. The align conv of the reference
 * (only when channels differ) is the distiller's conv1x1 connector. The generator trains (MGD
 * semantics) unless `frozen` (the released AKD configs' lr_mult 0, §5.8). */
#include "baselines/mgd.h"

#include <math.h>
#include <string.h>

#include "baselines/loss_common.h"
#include "baselines/methods.h"
#include "core/ops/activation.h"
#include "core/ops/conv2d.h"
#include "core/ops/elementwise.h"
#include "core/ops/masked_conv.h"
#include "core/ops/shape.h"
#include "core/ops/sq_err.h"
#include "models/init.h"

enum { P_W0, P_B0, P_W2, P_B2, P_COUNT };

typedef struct mgd_state {
    ak_loss_head head;
    float alpha, lambda;
    int mode;
} mgd_state;

ak_tensor *ak_mgd_mask(ak_ctx *ctx, ak_rng rng, const int64_t shape[4], float lambda, int mode) {
    if (!ak_ok(ctx))
        return NULL;
    int64_t mshape[4] = {shape[0], mode ? shape[1] : 1, mode ? 1 : shape[2], mode ? 1 : shape[3]};
    ak_tensor *m = ak_tensor_new(ctx, "mgd mask", 4, mshape);
    if (!m)
        return NULL;
    ak_rng_fill_uniform(rng, 0, m->data, m->numel);
    const float thr = 1.0f - lambda;
    for (int64_t i = 0; i < m->numel; i++)
        m->data[i] = m->data[i] > thr ? 0.0f : 1.0f;
    return m;
}

/* The generator G = conv3x3 -> ReLU -> conv3x3, split at the hidden map h. The first convolution
 * takes either an input already multiplied by its mask (channel masks, or K different student maps)
 * or, for spatial masks m (K, N, H, W) on one student map s, ak_masked_conv2d(s, m): computed at the
 * kept pixels only (lambda = 0.65 drops 65 % of them; K masks cost one convolution over the pixels
 * any of them keeps), equal to conv2d(s * m_k) up to float rounding. */
static ak_tensor *first_conv_dense(ak_ctx *ctx, ak_distill_loss *l, ak_tensor *x) {
    ak_conv2d_params p = ak_conv2d_sq(1, 1, 1, 1);
    return ak_conv2d(ctx, x, ak_loss_p(l, P_W0), ak_loss_p(l, P_B0), &p);
}

static ak_tensor *first_conv_spatial(ak_ctx *ctx, ak_distill_loss *l, ak_tensor *s, ak_tensor *m) {
    return ak_masked_conv2d(ctx, s, m, ak_loss_p(l, P_W0), ak_loss_p(l, P_B0));
}

static ak_tensor *second_conv(ak_ctx *ctx, ak_distill_loss *l, ak_tensor *h) {
    ak_conv2d_params p = ak_conv2d_sq(1, 1, 1, 1);
    return ak_conv2d(ctx, ak_relu_inplace(ctx, h), ak_loss_p(l, P_W2), ak_loss_p(l, P_B2), &p);
}

static bool check_channels(ak_ctx *ctx, ak_distill_loss *l, const ak_tensor *s) {
    if (s->shape[1] == ak_loss_p(l, P_W0)->shape[1])
        return true;
    ak_fail(ctx, AK_ESHAPE, "mgd (tap %s): maps have %lld channels, the generator was built for %lld", l->tap,
            (long long)s->shape[1], (long long)ak_loss_p(l, P_W0)->shape[1]);
    return false;
}

/* weight * alpha * sum (g - t)^2 / N */
static ak_tensor *gen_loss(ak_ctx *ctx, ak_distill_loss *l, ak_tensor *g, ak_tensor *t) {
    const mgd_state *st = l->state;
    float scale = (float)((double)l->weight * (double)st->alpha / (double)t->shape[0]);
    return ak_loss_scaled_sum(ctx, ak_weighted_sq_err(ctx, g, t, NULL, NULL, NULL), scale);
}

ak_tensor *ak_mgd_forward_masked(ak_ctx *ctx, ak_distill_loss *l, ak_tensor *s, ak_tensor *t, ak_tensor *mask) {
    if (!ak_loss_check_maps(ctx, l, s, t, true) || !mask || !check_channels(ctx, l, s))
        return NULL;
    const mgd_state *st = l->state;
    const bool channel = st->mode == 1;
    const int64_t want[4] = {s->shape[0], channel ? s->shape[1] : 1, channel ? 1 : s->shape[2],
                             channel ? 1 : s->shape[3]};
    if (mask->ndim != 4 || memcmp(mask->shape, want, sizeof want) != 0) {
        char a[64], b[64];
        ak_fail(ctx, AK_ESHAPE, "mgd (tap %s): %s mask %s does not fit maps %s (expected (%lld,%lld,%lld,%lld))",
                l->tap, channel ? "channel" : "spatial", ak_shape_str(mask, a, sizeof a), ak_shape_str(s, b, sizeof b),
                (long long)want[0], (long long)want[1], (long long)want[2], (long long)want[3]);
        return NULL;
    }
    const int64_t m4[4] = {1, want[0], want[2], want[3]};
    ak_tensor *h = channel ? first_conv_dense(ctx, l, ak_mul(ctx, s, mask))
                           : first_conv_spatial(ctx, l, s, ak_reshape(ctx, mask, 4, m4));
    ak_tensor *out = gen_loss(ctx, l, second_conv(ctx, l, h), t);
    if (out)
        ak_loss_set_term1(l, out->data[0]);
    return out;
}

static ak_tensor *mgd_forward(ak_ctx *ctx, ak_distill_loss *l, const ak_distill_inputs *in) {
    const mgd_state *st = l->state;
    if (!ak_loss_check_maps(ctx, l, in->student, in->teacher, true))
        return NULL;
    ak_tensor *mask = ak_mgd_mask(ctx, in->rng, in->student->shape, st->lambda, st->mode);
    return ak_mgd_forward_masked(ctx, l, in->student, in->teacher, mask);
}

/* K evaluations at once (the AKD wrapper's avatars; each keeps its own mask, drawn from its own rng
 * exactly as forward draws it). The generator runs once over the K masked inputs concatenated along
 * the batch axis (K*N images: the small FPN levels are far from efficient GEMM sizes alone); with
 * spatial masks and one shared student map (the wrapper's case: the normalised student is the same
 * for every avatar) its first convolution is one masked convolution of the student for all K masks
 * (first_conv_spatial). G is then sliced back per evaluation
 * and each loss is computed as in forward. Values equal K forward calls up to float rounding. */
static int mgd_forward_multi(ak_ctx *ctx, ak_distill_loss *l, const ak_distill_inputs *in, int K, ak_tensor **out) {
    const mgd_state *st = l->state;
    if (!ak_ok(ctx))
        return ctx->err.code;
    if (K < 1 || K > AK_MGD_MAX_MULTI)
        return ak_error_set(&ctx->err, AK_EINVAL, "mgd (tap %s): %d evaluations at once, expected 1..%d", l->tap, K,
                            AK_MGD_MAX_MULTI);
    ak_tensor *s0 = in[0].student, *masks[AK_MGD_MAX_MULTI];
    bool shared = true;
    for (int k = 0; k < K; k++) {
        const ak_tensor *s = in[k].student;
        if (!ak_loss_check_maps(ctx, l, in[k].student, in[k].teacher, true) || !check_channels(ctx, l, s))
            return ctx->err.code;
        if (!ak_same_shape(s, s0)) {
            char a[64], b[64];
            return ak_error_set(&ctx->err, AK_ESHAPE, "mgd (tap %s): evaluation %d has maps %s, evaluation 0 %s",
                                l->tap, k, ak_shape_str(s, a, sizeof a), ak_shape_str(s0, b, sizeof b));
        }
        shared = shared && in[k].student == s0;
        masks[k] = ak_mgd_mask(ctx, in[k].rng, s->shape, st->lambda, st->mode);
    }
    const int64_t N = s0->shape[0], H = s0->shape[2], W = s0->shape[3];
    ak_tensor *h;
    if (shared && st->mode == 0) {
        const int64_t mshape[4] = {K, N, H, W};
        ak_tensor *m = ak_tensor_new(ctx, "mgd masks", 4, mshape);
        if (!m)
            return ctx->err.code;
        for (int k = 0; k < K; k++)
            if (masks[k])
                memcpy(m->data + (int64_t)k * N * H * W, masks[k]->data, (size_t)(N * H * W) * sizeof(float));
        h = first_conv_spatial(ctx, l, s0, m);
    } else {
        ak_tensor *xs[AK_MGD_MAX_MULTI];
        for (int k = 0; k < K; k++)
            xs[k] = ak_mul(ctx, in[k].student, masks[k]);
        h = first_conv_dense(ctx, l, K == 1 ? xs[0] : ak_concat(ctx, xs, K, 0));
    }
    ak_tensor *g = second_conv(ctx, l, h);
    double mean = 0.0;
    for (int k = 0; k < K; k++) {
        out[k] = gen_loss(ctx, l, K == 1 ? g : ak_slice(ctx, g, 0, k * N, (k + 1) * N, 1), in[k].teacher);
        if (!out[k])
            return ctx->err.code ? ctx->err.code : ak_error_set(&ctx->err, AK_EINVAL, "mgd: no value");
        mean += out[k]->data[0];
    }
    ak_loss_set_term1(l, (float)(mean / K));
    return AK_OK;
}

static const ak_distill_loss_ops mgd_ops = {"mgd", mgd_forward, ak_loss_free_state, mgd_forward_multi};

ak_distill_loss *ak_mgd_loss_create(const char *tap, const ak_mgd_opts *o, ak_params *ps, ak_error *err) {
    if (!(o->lambda >= 0.0f && o->lambda <= 1.0f) || !isfinite(o->alpha) || o->channels < 1 ||
        (o->mask != 0 && o->mask != 1)) {
        ak_error_set(err, AK_EINVAL, "mgd (tap %s): need lambda in [0,1] (got %g), finite alpha, channels >= 1 "
                     "(got %d), mask 0 or 1 (got %d)", tap, (double)o->lambda, o->channels, o->mask);
        return NULL;
    }
    ak_distill_loss *l = ak_loss_alloc(&mgd_ops, tap, o->weight, sizeof(mgd_state), err);
    if (!l)
        return NULL;
    mgd_state *st = l->state;
    st->alpha = o->alpha;
    st->lambda = o->lambda;
    st->mode = o->mask;
    int64_t C = o->channels, wshape[4] = {C, C, 3, 3}, bshape[1] = {C};
    if (ak_loss_add_param(l, ps, "generation.0.weight", 4, wshape, err) < 0 ||
        ak_loss_add_param(l, ps, "generation.0.bias", 1, bshape, err) < 0 ||
        ak_loss_add_param(l, ps, "generation.2.weight", 4, wshape, err) < 0 ||
        ak_loss_add_param(l, ps, "generation.2.bias", 1, bshape, err) < 0) {
        ak_distill_loss_destroy(l);
        return NULL;
    }
    ak_loss_finish_params(l, ps, o->frozen);
    ak_init_torch_default_conv(ak_loss_p(l, P_W0), ak_loss_p(l, P_B0), o->seed);
    ak_init_torch_default_conv(ak_loss_p(l, P_W2), ak_loss_p(l, P_B2), o->seed);
    return l;
}
