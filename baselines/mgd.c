/* Masked generative distillation (METHODS.md §2.3, [MGD] det/.../mgd.py):
 *   L = weight * alpha * sum_{n,c,h,w} (G(S * M) - T)^2 / N,
 * G = conv3x3(C->C, pad 1) -> ReLU -> conv3x3(C->C, pad 1), both with bias, PyTorch default init;
 * M the random mask of mgd.h, drawn afresh each call from in->rng. The align conv of the reference
 * (only when channels differ) is the distiller's conv1x1 connector. The generator trains (MGD
 * semantics) unless `frozen` (the released AKD configs' lr_mult 0, §5.8). */
#include "baselines/mgd.h"

#include <math.h>

#include "baselines/loss_common.h"
#include "baselines/methods.h"
#include "core/ops/activation.h"
#include "core/ops/conv2d.h"
#include "core/ops/elementwise.h"
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

ak_tensor *ak_mgd_forward_masked(ak_ctx *ctx, ak_distill_loss *l, ak_tensor *s, ak_tensor *t, ak_tensor *mask) {
    const mgd_state *st = l->state;
    if (!ak_loss_check_maps(ctx, l, s, t, true) || !mask)
        return NULL;
    if (s->shape[1] != ak_loss_p(l, P_W0)->shape[1])
        return ak_fail(ctx, AK_ESHAPE, "mgd (tap %s): maps have %lld channels, the generator was built for %lld",
                       l->tap, (long long)s->shape[1], (long long)ak_loss_p(l, P_W0)->shape[1]);
    ak_conv2d_params p = ak_conv2d_sq(1, 1, 1, 1);
    ak_tensor *h = ak_relu(ctx, ak_conv2d(ctx, ak_mul(ctx, s, mask), ak_loss_p(l, P_W0), ak_loss_p(l, P_B0), &p));
    ak_tensor *g = ak_conv2d(ctx, h, ak_loss_p(l, P_W2), ak_loss_p(l, P_B2), &p);
    float scale = (float)((double)l->weight * (double)st->alpha / (double)s->shape[0]);
    ak_tensor *out = ak_loss_scaled_sum(ctx, ak_weighted_sq_err(ctx, g, t, NULL, NULL, NULL), scale);
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

static const ak_distill_loss_ops mgd_ops = {"mgd", mgd_forward, ak_loss_free_state};

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
