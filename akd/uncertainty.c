/* AKD uncertainty modes (code / paper / none); see uncertainty.h. The code mode is the engine's
 * ghost-batch norm; only the paper mode's sigma and the log statistics are computed here. */
#include "akd/uncertainty.h"

#include <math.h>
#include <stdlib.h>

#include "akd/stat_sums.h"
#include "core/cpu/reduce.h"
#include "core/ops/elementwise.h"
#include "core/ops/norm.h"
#include "store/akd_config.h"

int ak_unc_check(const ak_unc *u, ak_error *err) {
    if (u->mode < 0 || u->mode >= AK_UNC_COUNT)
        return ak_error_set(err, AK_EINVAL, "akd.uncertainty = %d: expected code, paper or none", u->mode);
    if (u->ghost_batch < 0)
        return ak_error_set(err, AK_EINVAL, "akd.ghost_batch = %d: expected >= 0 (0 = whole batch)",
                            u->ghost_batch);
    if (!(u->eps > 0.0f && isfinite(u->eps)))
        return ak_error_set(err, AK_EINVAL, "akd.eps = %g: expected a finite value > 0", (double)u->eps);
    return AK_OK;
}

int ak_unc_prepare(ak_ctx *ctx, ak_unc *u, const ak_tensor *teacher, ak_tensor *const *avatars, int K) {
    u->sigma = NULL;
    if (!ak_ok(ctx))
        return ctx->err.code;
    AK_TRY(ak_unc_check(u, &ctx->err));
    if (u->mode != AK_UNC_PAPER)
        return AK_OK;
    const int64_t N = teacher->shape[0], C = teacher->shape[1], P = (N * C) != 0 ? teacher->numel / (N * C) : 0;
    int64_t shape[AK_MAX_DIMS];
    for (int d = 0; d < teacher->ndim; d++)
        shape[d] = d == 1 ? C : 1;
    ak_tensor *sigma = ak_tensor_new(ctx, "akd paper sigma", teacher->ndim, shape);
    if (!sigma)
        return ctx->err.code;
    const double count = (double)K * (double)(N * P);
    /* Per channel, serially over (k, n, *): fixed order, so the same bits for any thread count. */
#pragma omp parallel for schedule(static) if ((int64_t)K * teacher->numel > (1 << 16))
    for (int64_t c = 0; c < C; c++) {
        double q = 0.0;
        for (int k = 0; k < K; k++)
            for (int64_t n = 0; n < N; n++) {
                const float *a = avatars[k]->data + (n * C + c) * P, *t = teacher->data + (n * C + c) * P;
                for (int64_t j = 0; j < P; j++) {
                    const double d = (double)a[j] - (double)t[j];
                    q += d * d;
                }
            }
        sigma->data[c] = (float)sqrt((count > 0 ? q / count : 0.0) + (double)u->eps);
    }
    sigma->name = "akd paper sigma";
    u->sigma = sigma;
    return AK_OK;
}

static ak_tensor *paper_div(ak_ctx *ctx, const ak_unc *u, ak_tensor *x, const char *what) {
    if (!u->sigma)
        return ak_fail(ctx, AK_ESTATE, "akd paper uncertainty: ak_unc_prepare was not called before the %s", what);
    if (x->ndim < 2 || x->shape[1] != u->sigma->shape[1]) {
        char s[64], t[64];
        return ak_fail(ctx, AK_ESHAPE, "akd paper uncertainty: %s of shape %s, but sigma has shape %s (channels differ)",
                       what, ak_shape_str(x, s, sizeof s), ak_shape_str(u->sigma, t, sizeof t));
    }
    return ak_div(ctx, x, u->sigma);
}

ak_tensor *ak_unc_student(ak_ctx *ctx, const ak_unc *u, ak_tensor *student) {
    if (!student || !ak_ok(ctx) || ak_unc_check(u, &ctx->err) != AK_OK)
        return NULL;
    switch (u->mode) {
    case AK_UNC_CODE:
        return ak_batch_norm_ghost(ctx, student, u->ghost_batch, NULL, NULL, NULL, NULL, 0.1f, u->eps);
    case AK_UNC_PAPER:
        return paper_div(ctx, u, student, "student");
    default:
        return student;
    }
}

ak_tensor *ak_unc_avatar(ak_ctx *ctx, const ak_unc *u, ak_tensor *avatar) {
    if (!avatar || !ak_ok(ctx) || ak_unc_check(u, &ctx->err) != AK_OK)
        return NULL;
    if (u->mode == AK_UNC_NONE || (u->mode == AK_UNC_CODE && !u->normalize_teacher))
        return avatar;
    const bool was = ak_ctx_set_record(ctx, false);
    ak_tensor *y = u->mode == AK_UNC_CODE
                       ? ak_batch_norm_ghost(ctx, avatar, u->ghost_batch, NULL, NULL, NULL, NULL, 0.1f, u->eps)
                       : paper_div(ctx, u, avatar, "avatar");
    ak_ctx_set_record(ctx, was);
    if (y)
        y->requires_grad = false;
    return y;
}

double ak_unc_bn_std_mean(const ak_tensor *x, int ghost_batch, float eps) {
    if (!x || x->ndim < 2 || x->numel == 0)
        return NAN;
    const int64_t N = x->shape[0], C = x->shape[1], P = x->numel / (N * C);
    const int64_t G = ghost_batch > 0 && ghost_batch < N ? ghost_batch : N;
    const int64_t groups = (N + G - 1) / G, units = groups * C;
    double *sd = malloc((size_t)units * sizeof *sd);
    if (!sd)
        return NAN;
    /* One (group, channel) per iteration, each reduced by one thread (two passes, eight fixed lanes:
     * akd/stat_sums.h); the stds are summed in index order afterwards: the same bits for any thread
     * count. */
#pragma omp parallel for schedule(static) if (x->numel > (1 << 16))
    for (int64_t u = 0; u < units; u++) {
        const int64_t g = u / C, c = u % C, n0 = g * G, n1 = n0 + G < N ? n0 + G : N;
        const double m = (double)((n1 - n0) * P);
        double s = 0.0, q = 0.0;
        for (int64_t n = n0; n < n1; n++)
            s += ak_cpu_sum_block(x->data + (n * C + c) * P, P);
        const double mean = s / m;
        for (int64_t n = n0; n < n1; n++)
            q += ak_akd_sum_sq_dev(x->data + (n * C + c) * P, P, mean);
        sd[u] = sqrt(q / m + (double)eps);
    }
    double total = 0.0;
    for (int64_t u = 0; u < units; u++)
        total += sd[u];
    free(sd);
    return total / (double)units;
}

double ak_unc_sigma_mean(const ak_unc *u) {
    if (!u->sigma || u->sigma->numel == 0)
        return NAN;
    double s = 0.0;
    for (int64_t c = 0; c < u->sigma->numel; c++)
        s += u->sigma->data[c];
    return s / (double)u->sigma->numel;
}
