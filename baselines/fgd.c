/* Focal and global distillation (METHODS.md §2.4, [FGD] mmdet/distillation/losses/fgd.py), per
 * level with S (after the connector) and T:
 *   L_fg   = sum M_fg * S_att(T) * C_att(T) * (S - T)^2 / N      (focal, teacher attention weights)
 *   L_bg   = the same with M_bg
 *   L_at   = sum |C_att(S) - C_att(T)| / N + sum |S_att(S) - S_att(T)| / N
 *   L_rela = sum (out_S - out_T)^2 / N,  out_F = F + transform(context(F)),  one GcBlock per branch:
 *            context(F) = sum_hw F * softmax_hw(conv_mask(F)),
 *            transform  = conv1x1(C->C/2) -> LayerNorm([C/2,1,1]) -> ReLU -> conv1x1(C/2->C)
 *   L = weight * (alpha L_fg + beta L_bg + gamma L_at + lambda L_rela), terms fg, bg, at, rela.
 * Parameters (names of the reference): conv_mask_{s,t}.{weight,bias} (Kaiming normal fan_in, bias
 * 0), channel_add_conv_{s,t}.0 (PyTorch default), .1 (LayerNorm, 1 / 0), .3 (zero weight and bias).
 * The teacher-branch GcBlock learns through out_T (T itself is constant). Masks and attention:
 * fgd_mask.c. Fused ops: the focal terms and the relation term are each one weighted_sq_err. */
#include <math.h>
#include <stdio.h>

#include "baselines/fgd.h"
#include "baselines/loss_common.h"
#include "baselines/methods.h"
#include "core/ops/activation.h"
#include "core/ops/conv2d.h"
#include "core/ops/elementwise.h"
#include "core/ops/matmul.h"
#include "core/ops/norm.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"
#include "core/ops/softmax.h"
#include "core/ops/sq_err.h"
#include "models/init.h"

/* Slot order of one GcBlock branch; the student branch starts at 0, the teacher's at GC_N. */
enum { GC_MASK_W, GC_MASK_B, GC_W0, GC_B0, GC_LN_W, GC_LN_B, GC_W3, GC_B3, GC_N };

typedef struct fgd_state {
    ak_loss_head head;
    float temp, alpha, beta, gamma, lambda;
} fgd_state;

/* out_F - F = transform(context(F)) of one branch: (N, C, 1, 1). */
static ak_tensor *gc_add(ak_ctx *ctx, const ak_distill_loss *l, int base, ak_tensor *f) {
    if (!f)
        return NULL;
    int64_t N = f->shape[0], C = f->shape[1], HW = f->shape[2] * f->shape[3];
    ak_tensor *cm = ak_conv2d(ctx, f, ak_loss_p(l, base + GC_MASK_W), ak_loss_p(l, base + GC_MASK_B), NULL);
    int64_t pshape[3] = {N, HW, 1}, fshape[3] = {N, C, HW}, cshape[4] = {N, C, 1, 1};
    ak_tensor *p = ak_softmax(ctx, ak_reshape(ctx, cm, 3, pshape), 1);
    ak_tensor *context = ak_reshape(ctx, ak_matmul(ctx, ak_reshape(ctx, f, 3, fshape), p), 4, cshape);
    ak_tensor *h = ak_conv2d(ctx, context, ak_loss_p(l, base + GC_W0), ak_loss_p(l, base + GC_B0), NULL);
    h = ak_relu(ctx, ak_layer_norm(ctx, h, 3, ak_loss_p(l, base + GC_LN_W), ak_loss_p(l, base + GC_LN_B), 1e-5f));
    return ak_conv2d(ctx, h, ak_loss_p(l, base + GC_W3), ak_loss_p(l, base + GC_B3), NULL);
}

static ak_tensor *fgd_forward(ak_ctx *ctx, ak_distill_loss *l, const ak_distill_inputs *in) {
    const fgd_state *st = l->state;
    ak_tensor *s = in->student, *t = in->teacher;
    if (!ak_loss_check_maps(ctx, l, s, t, true))
        return NULL;
    int64_t N = s->shape[0], C = s->shape[1], H = s->shape[2], W = s->shape[3], HW = H * W;
    if (C != ak_loss_p(l, GC_MASK_W)->shape[1])
        return ak_fail(ctx, AK_ESHAPE, "fgd (tap %s): maps have %lld channels, the GcBlocks were built for %lld",
                       l->tap, (long long)C, (long long)ak_loss_p(l, GC_MASK_W)->shape[1]);
    int64_t mshape[3] = {1, N, HW};
    ak_tensor *fg = ak_tensor_new(ctx, "fgd masks", 3, mshape), *bg = ak_tensor_new(ctx, "fgd masks", 3, mshape);
    if (!fg || !bg)
        return NULL;
    ak_error merr;
    ak_error_clear(&merr);
    if (ak_fgd_masks(in->gt, N, H, W, fg->data, bg->data, &merr) != AK_OK)
        return ak_fail(ctx, merr.code, "fgd (tap %s): %s", l->tap, merr.msg);

    ak_tensor *sa_t, *ca_t, *sa_s, *ca_s;
    if (ak_fgd_attention(ctx, t, st->temp, &sa_t, &ca_t) != AK_OK ||
        ak_fgd_attention(ctx, s, st->temp, &sa_s, &ca_s) != AK_OK)
        return NULL;
    /* focal terms: w[k] = M_k * S_att(T), wc = C_att(T) */
    ak_tensor *both[2] = {ak_mul(ctx, fg, sa_t), ak_mul(ctx, bg, sa_t)};
    ak_tensor *fgbg = ak_weighted_sq_err(ctx, s, t, NULL, ak_concat(ctx, both, 2, 0), ca_t);
    float inv_n = 1.0f / (float)N;
    ak_tensor *l_fg = ak_mul_scalar(ctx, ak_slice(ctx, fgbg, 0, 0, 1, 1), l->weight * st->alpha * inv_n);
    ak_tensor *l_bg = ak_mul_scalar(ctx, ak_slice(ctx, fgbg, 0, 1, 2, 1), l->weight * st->beta * inv_n);
    /* attention loss */
    ak_tensor *at = ak_add(ctx, ak_sum_all(ctx, ak_abs(ctx, ak_sub(ctx, ca_s, ca_t))),
                           ak_sum_all(ctx, ak_abs(ctx, ak_sub(ctx, sa_s, sa_t))));
    ak_tensor *l_at = ak_mul_scalar(ctx, at, l->weight * st->gamma * inv_n);
    /* global relation */
    ak_tensor *off = ak_sub(ctx, gc_add(ctx, l, 0, s), gc_add(ctx, l, GC_N, t));
    ak_tensor *l_rela = ak_loss_scaled_sum(ctx, ak_weighted_sq_err(ctx, s, t, off, NULL, NULL),
                                           l->weight * st->lambda * inv_n);
    ak_tensor *fgbg_sum = ak_sum_all(ctx, ak_add(ctx, l_fg, l_bg));
    ak_tensor *out = ak_add(ctx, ak_add(ctx, fgbg_sum, l_at), l_rela);
    if (!out)
        return NULL;
    const char *names[4] = {"fg", "bg", "at", "rela"};
    float v[4] = {l_fg->data[0], l_bg->data[0], l_at->data[0], l_rela->data[0]};
    ak_loss_set_terms(l, 4, names, v);
    return out;
}

static const ak_distill_loss_ops fgd_ops = {"fgd", fgd_forward, ak_loss_free_state, NULL};

static int add_branch(ak_distill_loss *l, ak_params *ps, char b, int64_t C, ak_error *err) {
    int64_t h = C / 2;
    int64_t mw[4] = {1, C, 1, 1}, mb[1] = {1}, w0[4] = {h, C, 1, 1}, b0[1] = {h}, ln[3] = {h, 1, 1};
    int64_t w3[4] = {C, h, 1, 1}, b3[1] = {C};
    char n[GC_N][AK_LOSS_PARAM_NAME];
    snprintf(n[GC_MASK_W], sizeof n[0], "conv_mask_%c.weight", b);
    snprintf(n[GC_MASK_B], sizeof n[0], "conv_mask_%c.bias", b);
    snprintf(n[GC_W0], sizeof n[0], "channel_add_conv_%c.0.weight", b);
    snprintf(n[GC_B0], sizeof n[0], "channel_add_conv_%c.0.bias", b);
    snprintf(n[GC_LN_W], sizeof n[0], "channel_add_conv_%c.1.weight", b);
    snprintf(n[GC_LN_B], sizeof n[0], "channel_add_conv_%c.1.bias", b);
    snprintf(n[GC_W3], sizeof n[0], "channel_add_conv_%c.3.weight", b);
    snprintf(n[GC_B3], sizeof n[0], "channel_add_conv_%c.3.bias", b);
    const int64_t *shapes[GC_N] = {mw, mb, w0, b0, ln, ln, w3, b3};
    const int dims[GC_N] = {4, 1, 4, 1, 3, 3, 4, 1};
    for (int i = 0; i < GC_N; i++)
        if (ak_loss_add_param(l, ps, n[i], dims[i], shapes[i], err) < 0)
            return err->code;
    return AK_OK;
}

/* conv_mask: mmcv kaiming_init(mode fan_in, relu, normal): N(0, 2/fan_in), bias 0; transform:
 * PyTorch default first conv, LayerNorm 1 / 0, last conv zero (w and b, mmcv constant_init). */
static void init_branch(ak_distill_loss *l, int base, uint64_t seed) {
    ak_tensor *mw = ak_loss_p(l, base + GC_MASK_W);
    ak_rng r = {seed, ak_rng_stream(AK_STREAM_INIT, ak_fnv1a64(mw->name), 0, 0)};
    ak_rng_fill_normal(r, 0, mw->data, mw->numel, 0.0f, (float)sqrt(2.0 / (double)mw->shape[1]));
    ak_init_constant(ak_loss_p(l, base + GC_MASK_B), 0.0f);
    ak_init_torch_default_conv(ak_loss_p(l, base + GC_W0), ak_loss_p(l, base + GC_B0), seed);
    ak_init_constant(ak_loss_p(l, base + GC_LN_W), 1.0f);
    ak_init_constant(ak_loss_p(l, base + GC_LN_B), 0.0f);
    ak_init_constant(ak_loss_p(l, base + GC_W3), 0.0f);
    ak_init_constant(ak_loss_p(l, base + GC_B3), 0.0f);
}

ak_distill_loss *ak_fgd_loss_create(const char *tap, const ak_fgd_opts *o, ak_params *ps, ak_error *err) {
    if (!(o->temp > 0.0f) || o->channels < 2 || o->channels % 2) {
        ak_error_set(err, AK_EINVAL, "fgd (tap %s): need temp > 0 (got %g) and an even channel count >= 2 (got %d)",
                     tap, (double)o->temp, o->channels);
        return NULL;
    }
    ak_distill_loss *l = ak_loss_alloc(&fgd_ops, tap, o->weight, sizeof(fgd_state), err);
    if (!l)
        return NULL;
    fgd_state *st = l->state;
    st->temp = o->temp;
    st->alpha = o->alpha;
    st->beta = o->beta;
    st->gamma = o->gamma;
    st->lambda = o->lambda;
    if (add_branch(l, ps, 's', o->channels, err) != AK_OK || add_branch(l, ps, 't', o->channels, err) != AK_OK) {
        ak_distill_loss_destroy(l);
        return NULL;
    }
    ak_loss_finish_params(l, ps, o->frozen);
    init_branch(l, 0, o->seed);
    init_branch(l, GC_N, o->seed);
    return l;
}
