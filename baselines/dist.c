/* DIST (METHODS.md §2.8, [MASKD] dist_kd.py): relation distillation on class scores.
 * y = softmax over classes (sigmoid when use_sigmoid), no temperature; (N, K, H, W) inputs become
 * (N*H*W, K) rows. Pearson(a, b) = <a - mean a, b - mean b> / (|a - mean a| |b - mean b| + 1e-8);
 *   inter = 1 - mean over rows of Pearson(y_s[r,:], y_t[r,:]),
 *   intra = 1 - mean over classes of Pearson(y_s[:,j], y_t[:,j]),
 *   L = weight * (beta * inter + gamma * intra).
 * The reference orders rows as (n, w, h), we as (n, h, w): both means are order-independent. */
#include "baselines/loss_common.h"
#include "baselines/methods.h"
#include "core/ops/activation.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"
#include "core/ops/softmax.h"

typedef struct dist_state {
    ak_loss_head head;
    float beta, gamma;
    bool use_sigmoid;
} dist_state;

/* 1 - mean over the other axis of the Pearson correlation along `axis` of (R, K) tensors. */
static ak_tensor *one_minus_pearson(ak_ctx *ctx, ak_tensor *a, ak_tensor *b, int axis) {
    ak_tensor *ac = ak_sub(ctx, a, ak_mean(ctx, a, &axis, 1, true));
    ak_tensor *bc = ak_sub(ctx, b, ak_mean(ctx, b, &axis, 1, true));
    ak_tensor *dot = ak_sum(ctx, ak_mul(ctx, ac, bc), &axis, 1, false);
    /* + 1e-30 under the root: a constant row (norm 0) gets gradient 0, as torch.norm's backward
     * gives, instead of 0 * inf = NaN; the value changes by at most 1e-15. */
    ak_tensor *na = ak_sqrt(ctx, ak_add_scalar(ctx, ak_sum(ctx, ak_mul(ctx, ac, ac), &axis, 1, false), 1e-30f));
    ak_tensor *nb = ak_sqrt(ctx, ak_add_scalar(ctx, ak_sum(ctx, ak_mul(ctx, bc, bc), &axis, 1, false), 1e-30f));
    ak_tensor *corr = ak_div(ctx, dot, ak_add_scalar(ctx, ak_mul(ctx, na, nb), 1e-8f));
    return ak_add_scalar(ctx, ak_neg(ctx, ak_mean_all(ctx, corr)), 1.0f);
}

static ak_tensor *rows_of(ak_ctx *ctx, ak_tensor *x) {
    if (!x || x->ndim == 2)
        return x;
    static const int perm[4] = {0, 2, 3, 1};
    int64_t shape[2] = {-1, x->shape[1]};
    return ak_reshape(ctx, ak_permute(ctx, x, perm), 2, shape);
}

static ak_tensor *dist_forward(ak_ctx *ctx, ak_distill_loss *l, const ak_distill_inputs *in) {
    const dist_state *st = l->state;
    ak_tensor *s = in->student, *t = in->teacher;
    if (!s || !t || !ak_ok(ctx))
        return NULL;
    char a[64], b[64];
    if (!ak_same_shape(s, t) || (s->ndim != 2 && s->ndim != 4))
        return ak_fail(ctx, AK_ESHAPE, "dist (tap %s): student %s and teacher %s must be equal (N,K) or (N,K,H,W)",
                       l->tap, ak_shape_str(s, a, sizeof a), ak_shape_str(t, b, sizeof b));
    ak_tensor *ys = rows_of(ctx, s), *yt = rows_of(ctx, t);
    ys = st->use_sigmoid ? ak_sigmoid(ctx, ys) : ak_softmax(ctx, ys, 1);
    yt = st->use_sigmoid ? ak_sigmoid(ctx, yt) : ak_softmax(ctx, yt, 1);
    ak_tensor *inter = one_minus_pearson(ctx, ys, yt, 1);
    ak_tensor *intra = one_minus_pearson(ctx, ys, yt, 0);
    ak_tensor *wi = ak_mul_scalar(ctx, inter, l->weight * st->beta);
    ak_tensor *wa = ak_mul_scalar(ctx, intra, l->weight * st->gamma);
    ak_tensor *out = ak_add(ctx, wi, wa);
    if (out) {
        const char *names[2] = {"inter", "intra"};
        float v[2] = {wi->data[0], wa->data[0]};
        ak_loss_set_terms(l, 2, names, v);
    }
    return out;
}

static const ak_distill_loss_ops dist_ops = {"dist", dist_forward, ak_loss_free_state, NULL};

ak_distill_loss *ak_dist_loss_create(const char *tap, const ak_dist_opts *o, ak_error *err) {
    ak_distill_loss *l = ak_loss_alloc(&dist_ops, tap, o->weight, sizeof(dist_state), err);
    if (l) {
        dist_state *st = l->state;
        st->beta = o->beta;
        st->gamma = o->gamma;
        st->use_sigmoid = o->use_sigmoid;
    }
    return l;
}
