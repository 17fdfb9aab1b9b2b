/* Avatar generation: perturbed copies of a frozen teacher feature; see avatars.h. The dropout
 * variants reuse the dropout ops (one mask rule for the whole suite); the gaussian one is here. */
#include "akd/avatars.h"

#include <math.h>
#include <stdio.h>

#include "core/ops/dropout.h"
#include "store/akd_config.h"

ak_rng ak_avatar_rng(uint64_t seed, int64_t iteration, int tap, int k) {
    return (ak_rng){seed, ak_rng_stream5(AK_STREAM_AVATAR, (uint64_t)iteration, (uint64_t)tap, (uint64_t)k, 0)};
}

int ak_avatar_check(int perturb, float rate, ak_error *err) {
    if (perturb < 0 || perturb >= AK_PERTURB_COUNT)
        return ak_error_set(err, AK_EINVAL, "akd.perturb = %d: expected dropout, channel_dropout or gaussian",
                            perturb);
    if (perturb == AK_PERTURB_GAUSSIAN) {
        if (!(rate >= 0.0f && isfinite(rate)))
            return ak_error_set(err, AK_EINVAL, "akd.rate = %g: gaussian avatars need a finite rate >= 0",
                                (double)rate);
    } else if (!(rate >= 0.0f && rate < 1.0f)) {
        return ak_error_set(err, AK_EINVAL, "akd.rate = %g: %s avatars need a rate p in [0, 1)", (double)rate,
                            ak_perturb_name(perturb));
    }
    return AK_OK;
}

static int check_teacher(ak_ctx *ctx, const ak_tensor *t) {
    if (t->device != AK_DEV_CPU)
        return ak_error_set(&ctx->err, AK_EUNSUP, "akd avatars: device %d not supported in this build",
                            (int)t->device);
    if (t->ndim < 2) {
        char s[64];
        return ak_error_set(&ctx->err, AK_ESHAPE, "akd avatars: teacher feature of shape %s, expected (N, C, ...)",
                            ak_shape_str(t, s, sizeof s));
    }
    return AK_OK;
}

int ak_avatar_channel_std(ak_ctx *ctx, const ak_tensor *t, float *std_out) {
    if (!ak_ok(ctx))
        return ctx->err.code;
    AK_TRY(check_teacher(ctx, t));
    const int64_t N = t->shape[0], C = t->shape[1], P = (N * C) != 0 ? t->numel / (N * C) : 0;
    const int64_t M = N * P;
    /* One channel per iteration, each reduced serially (two passes, double): the same bits for any
     * thread count. */
#pragma omp parallel for schedule(static) if (t->numel > (1 << 16))
    for (int64_t c = 0; c < C; c++) {
        double s = 0.0;
        for (int64_t n = 0; n < N; n++) {
            const float *x = t->data + (n * C + c) * P;
            for (int64_t j = 0; j < P; j++)
                s += x[j];
        }
        const double mean = M ? s / (double)M : 0.0;
        double q = 0.0;
        for (int64_t n = 0; n < N; n++) {
            const float *x = t->data + (n * C + c) * P;
            for (int64_t j = 0; j < P; j++) {
                const double d = x[j] - mean;
                q += d * d;
            }
        }
        std_out[c] = M ? (float)sqrt(q / (double)M) : 0.0f;
    }
    return AK_OK;
}

/* A = T + s_c * eps, eps drawn into the output first (pure function of the index). */
static ak_tensor *gaussian_avatar(ak_ctx *ctx, ak_tensor *t, float rate, ak_rng rng, const float *channel_std) {
    const int64_t N = t->shape[0], C = t->shape[1], P = (N * C) != 0 ? t->numel / (N * C) : 0;
    float *s = ak_scratch(ctx, "akd gaussian avatar", (size_t)(C ? C : 1) * sizeof *s);
    ak_tensor *a = ak_tensor_like(ctx, "akd gaussian avatar", t);
    if (!s || !a)
        return NULL;
    if (!channel_std) {
        if (ak_avatar_channel_std(ctx, t, s) != AK_OK)
            return NULL;
        channel_std = s;
    }
    for (int64_t c = 0; c < C; c++)
        s[c] = rate * channel_std[c];
    ak_rng_fill_normal(rng, 0, a->data, a->numel, 0.0f, 1.0f);
#pragma omp parallel for schedule(static) if (t->numel > (1 << 15))
    for (int64_t pl = 0; pl < N * C; pl++) {
        const float sc = s[pl % C];
        const float *x = t->data + pl * P;
        float *y = a->data + pl * P;
        for (int64_t j = 0; j < P; j++)
            y[j] = x[j] + sc * y[j];
    }
    return a;
}

ak_tensor *ak_avatar(ak_ctx *ctx, ak_tensor *teacher, int perturb, float rate, ak_rng rng, const float *channel_std) {
    if (!teacher || !ak_ok(ctx))
        return NULL;
    if (check_teacher(ctx, teacher) != AK_OK || ak_avatar_check(perturb, rate, &ctx->err) != AK_OK)
        return NULL;
    /* Teacher side: never on the tape, never a gradient (sg), whatever the input says. */
    const bool was = ak_ctx_set_record(ctx, false);
    ak_tensor *a = NULL;
    switch (perturb) {
    case AK_PERTURB_DROPOUT:
        a = ak_dropout(ctx, teacher, rate, rng);
        break;
    case AK_PERTURB_CHANNEL_DROPOUT:
        a = ak_channel_dropout(ctx, teacher, rate, rng);
        break;
    default:
        a = gaussian_avatar(ctx, teacher, rate, rng, channel_std);
        break;
    }
    ak_ctx_set_record(ctx, was);
    if (a) {
        a->requires_grad = false;
        a->name = "akd avatar";
    }
    return a;
}

int ak_avatars_make(ak_ctx *ctx, ak_tensor *teacher, int perturb, float rate, uint64_t seed, int64_t iteration,
                    int tap, int K, ak_tensor **out) {
    if (!ak_ok(ctx))
        return ctx->err.code;
    if (!teacher)
        return ak_error_set(&ctx->err, AK_EINVAL, "akd avatars: no teacher feature for tap %d", tap);
    if (K < 1)
        return ak_error_set(&ctx->err, AK_EINVAL, "akd.num_avatars = %d: expected K >= 1", K);
    AK_TRY(check_teacher(ctx, teacher));
    AK_TRY(ak_avatar_check(perturb, rate, &ctx->err));
    const float *std = NULL;
    if (perturb == AK_PERTURB_GAUSSIAN) { /* shared by the K avatars: computed once */
        float *s = ak_scratch(ctx, "akd avatars", (size_t)teacher->shape[1] * sizeof *s + 1);
        if (!s || ak_avatar_channel_std(ctx, teacher, s) != AK_OK)
            return ctx->err.code;
        std = s;
    }
    for (int k = 0; k < K; k++) {
        out[k] = ak_avatar(ctx, teacher, perturb, rate, ak_avatar_rng(seed, iteration, tap, k), std);
        if (!out[k])
            return ctx->err.code;
    }
    return AK_OK;
}
