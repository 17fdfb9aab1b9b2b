/* MasKD, masked distillation with receptive tokens (METHODS.md §2.5, [MASKD] losses/maskd.py), KD
 * stage, per level with K tokens E (K, C):
 *   M = sigmoid(E . T)  (N,K,HW); after warm-up (iteration >= custom_mask_warmup, custom_mask):
 *   M <- M * sg(sigmoid(E . S));  D[n,k,c] = sum_hw M^2 (S - T)^2 / sum_hw M;
 *   weight_mask: L = weight * mean_n sum_k w[n,k] mean_c D[n,k,c], w = softmax_k(prob head(T));
 *   otherwise    L = weight * mean_{n,k,c} D.
 * Computed as one weighted_sq_err with K spatial weight maps M^2 * w / (N * C * sum_hw M), so the
 * (N, K, C, H, W) masked features of the reference are never formed. Tokens and the weighting head
 * are registered frozen; the masks, weights, Dice term and forward_train live here too (maskd.h). */
#include "baselines/maskd.h"

#include <float.h>

#include <math.h>

#include "baselines/loss_common.h"
#include "baselines/maskd_internal.h"
#include "baselines/methods.h"
#include "core/ops/activation.h"
#include "core/ops/conv2d.h"
#include "core/ops/elementwise.h"
#include "core/ops/matmul.h"
#include "core/ops/pool.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"
#include "core/ops/softmax.h"
#include "core/ops/sq_err.h"
#include "models/init.h"

static bool is_maskd(ak_ctx *ctx, const ak_distill_loss *l) {
    if (!l || l->ops != &ak_maskd_ops) {
        ak_fail(ctx, AK_EINVAL, "maskd: loss of tap %s is not a MasKD loss", l ? l->tap : "?");
        return false;
    }
    return true;
}

ak_tensor *ak_maskd_masks(ak_ctx *ctx, ak_distill_loss *l, ak_tensor *f) {
    if (!f || !ak_ok(ctx) || !is_maskd(ctx, l))
        return NULL;
    ak_tensor *e = ak_loss_p(l, MK_TOKEN);
    char a[64];
    if (f->ndim != 4 || f->shape[1] != e->shape[1])
        return ak_fail(ctx, AK_ESHAPE, "maskd (tap %s): feature %s does not have the tokens' %lld channels", l->tap,
                       ak_shape_str(f, a, sizeof a), (long long)e->shape[1]);
    int64_t fshape[3] = {f->shape[0], f->shape[1], f->shape[2] * f->shape[3]};
    return ak_sigmoid(ctx, ak_matmul(ctx, e, ak_reshape(ctx, f, 3, fshape)));
}

ak_tensor *ak_maskd_token_weights(ak_ctx *ctx, ak_distill_loss *l, ak_tensor *f) {
    if (!f || !ak_ok(ctx) || !is_maskd(ctx, l))
        return NULL;
    ak_conv2d_params p = ak_conv2d_sq(1, 1, 1, 1);
    ak_tensor *h = ak_conv2d(ctx, f, ak_loss_p(l, MK_P0_W), ak_loss_p(l, MK_P0_B), &p);
    ak_tensor *z = ak_conv2d(ctx, ak_global_avg_pool2d(ctx, h), ak_loss_p(l, MK_P2_W), ak_loss_p(l, MK_P2_B), NULL);
    int64_t shape[2] = {f->shape[0], ak_loss_p(l, MK_TOKEN)->shape[0]};
    return ak_softmax(ctx, ak_reshape(ctx, z, 2, shape), 1);
}

ak_tensor *ak_maskd_dice(ak_ctx *ctx, ak_tensor *m) {
    if (!m || !ak_ok(ctx))
        return NULL;
    int64_t N = m->shape[0], K = m->shape[1];
    char a[64];
    if (m->ndim != 3 || K < 2)
        return ak_fail(ctx, AK_ESHAPE, "maskd dice: masks %s must be (N,K,HW) with K >= 2 tokens",
                       ak_shape_str(m, a, sizeof a));
    ak_tensor *inner = ak_matmul_t(ctx, m, m, false, true); /* (N,K,K) */
    const int ax[1] = {2};
    ak_tensor *sq = ak_add_scalar(ctx, ak_sum(ctx, ak_mul(ctx, m, m), ax, 1, false), 1e-12f); /* (N,K) */
    int64_t si[3] = {N, K, 1}, sj[3] = {N, 1, K}, ms[3] = {1, K, K};
    ak_tensor *den = ak_add(ctx, ak_reshape(ctx, sq, 3, si), ak_reshape(ctx, sq, 3, sj));
    ak_tensor *off = ak_tensor_new(ctx, "maskd dice", 3, ms);
    if (!off)
        return NULL;
    for (int64_t i = 0; i < K * K; i++)
        off->data[i] = i / K == i % K ? 0.0f : 1.0f;
    ak_tensor *d = ak_mul(ctx, ak_div(ctx, ak_mul_scalar(ctx, inner, 2.0f), den), off);
    return ak_mul_scalar(ctx, ak_sum_all(ctx, d), 1.0f / (float)(N * K * (K - 1)));
}

int ak_maskd_apply(ak_ctx *ctx, ak_distill_loss *l, ak_tensor *f, ak_tensor **masked, ak_tensor **dice) {
    const maskd_state *st = l ? l->state : NULL;
    ak_tensor *m = ak_maskd_masks(ctx, l, f);
    if (!m)
        return ak_ok(ctx) ? AK_EINVAL : ctx->err.code;
    int64_t N = f->shape[0], K = m->shape[1];
    const int ax[1] = {1};
    ak_tensor *wm = m;
    if (st->weight_mask) {
        int64_t ws[3] = {N, K, 1};
        wm = ak_mul(ctx, m, ak_reshape(ctx, ak_maskd_token_weights(ctx, l, f), 3, ws));
    }
    int64_t as[4] = {N, 1, f->shape[2], f->shape[3]};
    *masked = ak_mul(ctx, f, ak_reshape(ctx, ak_sum(ctx, wm, ax, 1, true), 4, as));
    *dice = ak_maskd_dice(ctx, m);
    return ak_ok(ctx) ? AK_OK : ctx->err.code;
}

static ak_tensor *maskd_forward(ak_ctx *ctx, ak_distill_loss *l, const ak_distill_inputs *in) {
    const maskd_state *st = l->state;
    ak_tensor *s = in->student, *t = in->teacher;
    if (!ak_loss_check_maps(ctx, l, s, t, true))
        return NULL;
    int64_t N = s->shape[0], C = s->shape[1];
    ak_tensor *m = ak_maskd_masks(ctx, l, t);
    if (st->custom_mask && in->iteration >= st->custom_mask_warmup) {
        bool rec = ak_ctx_set_record(ctx, false); /* the student's masks are sg (torch.no_grad) */
        ak_tensor *ms = ak_maskd_masks(ctx, l, s);
        ak_ctx_set_record(ctx, rec);
        m = ak_mul(ctx, m, ms);
    }
    if (!m)
        return NULL;
    int64_t K = m->shape[1];
    const int ax[1] = {2};
    /* A token whose mask underflows to 0 everywhere (sigmoid of logits below about -88, e.g. on the
     * 1x1 P7 map) has sum_hw M = 0 and M^2 = 0: its term is 0 (the limit of sum M^2 x / sum M), not
     * 0/0. Clamping the sum at FLT_MIN changes nothing else: any nonzero float sum of sigmoids is
     * >= FLT_MIN or the masks are 0 too. The masks carry no gradient (from the frozen teacher). */
    ak_tensor *msum = ak_clamp(ctx, ak_sum(ctx, m, ax, 1, true), FLT_MIN, FLT_MAX); /* (N,K,1) */
    ak_tensor *coef;
    if (st->weight_mask) {
        int64_t ws[3] = {N, K, 1};
        ak_tensor *w = ak_reshape(ctx, ak_maskd_token_weights(ctx, l, t), 3, ws);
        coef = ak_div(ctx, w, ak_mul_scalar(ctx, msum, (float)(N * C)));
    } else {
        coef = ak_pow(ctx, ak_mul_scalar(ctx, msum, (float)(N * K * C)), -1.0f);
    }
    static const int perm[3] = {1, 0, 2};
    ak_tensor *wsp = ak_permute(ctx, ak_mul(ctx, ak_mul(ctx, m, m), coef), perm); /* (K,N,HW) */
    ak_tensor *out = ak_loss_scaled_sum(ctx, ak_weighted_sq_err(ctx, s, t, NULL, wsp, NULL), l->weight);
    if (out)
        ak_loss_set_term1(l, out->data[0]);
    return out;
}

const ak_distill_loss_ops ak_maskd_ops = {"maskd", maskd_forward, ak_loss_free_state, NULL};

ak_distill_loss *ak_maskd_loss_create(const char *tap, const ak_maskd_opts *o, ak_params *ps, ak_error *err) {
    if (o->channels < 1 || o->num_tokens < 1 || o->custom_mask_warmup < 0) {
        ak_error_set(err, AK_EINVAL, "maskd (tap %s): need channels >= 1 (got %d), num_tokens >= 1 (got %d), "
                     "custom_mask_warmup >= 0", tap, o->channels, o->num_tokens);
        return NULL;
    }
    ak_distill_loss *l = ak_loss_alloc(&ak_maskd_ops, tap, o->weight, sizeof(maskd_state), err);
    if (!l)
        return NULL;
    maskd_state *st = l->state;
    st->weight_mask = o->weight_mask;
    st->custom_mask = o->custom_mask;
    st->custom_mask_warmup = o->custom_mask_warmup;
    int64_t C = o->channels, K = o->num_tokens;
    int64_t es[2] = {K, C}, w0[4] = {C, C, 3, 3}, b0[1] = {C}, w2[4] = {K, C, 1, 1}, b2[1] = {K};
    if (ak_loss_add_param(l, ps, "mask_token", 2, es, err) < 0 ||
        ak_loss_add_param(l, ps, "prob.0.weight", 4, w0, err) < 0 ||
        ak_loss_add_param(l, ps, "prob.0.bias", 1, b0, err) < 0 ||
        ak_loss_add_param(l, ps, "prob.2.weight", 4, w2, err) < 0 ||
        ak_loss_add_param(l, ps, "prob.2.bias", 1, b2, err) < 0) {
        ak_distill_loss_destroy(l);
        return NULL;
    }
    ak_loss_finish_params(l, ps, true); /* learned beforehand; frozen in the KD stage (§5.8) */
    ak_init_normal(ak_loss_p(l, MK_TOKEN), 0.0f, 0.01f, o->seed);
    /* MaskModule.init_weights: N(0, sqrt(2 / (k*k*C_out))) = Kaiming normal fan_out, bias 0 */
    ak_init_kaiming_normal_fan_out(ak_loss_p(l, MK_P0_W), o->seed);
    ak_init_kaiming_normal_fan_out(ak_loss_p(l, MK_P2_W), o->seed);
    return l;
}
