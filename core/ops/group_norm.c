/* Group norm: checks, statistics and autograd; declared in core/ops/norm.h, kernels in
 * core/cpu/norm.c. The planes of one (n, group) unit are contiguous: statistics are per (n, c) plane,
 * combined over the group's channels in order (thread-count independent). */
#include <math.h>
#include <stdio.h>

#include "core/cpu/norm.h"
#include "core/ops/norm.h"

typedef struct gn_saved {
    int64_t N, C, S, G;
    const float *gamma; /* weight data or NULL */
    float *mean;        /* per (n, g) */
    double *invstd;     /* per (n, g) */
} gn_saved;

static void gn_backward(ak_ctx *ctx, ak_node *node) {
    const gn_saved *s = node->saved;
    ak_tensor *x = node->in[0], *w = node->in[1], *b = node->in[2];
    const int64_t N = s->N, C = s->C, S = s->S, G = s->G, Cg = C / G, P = N * C;
    const double cnt = (double)(Cg * S);
    const float *dy = node->out->grad;
    float *coef = ak_scratch(ctx, node->op, (size_t)P * 4 * sizeof *coef); /* m, a, b, c per plane */
    double *sums = ak_scratch(ctx, node->op, (size_t)P * 2 * sizeof *sums);
    if (!coef || !sums)
        return;
    float *pm = coef, *pa = coef + P, *pb = coef + 2 * P, *pc = coef + 3 * P;
    double *sdy = sums, *sdyx = sums + P;
    for (int64_t p = 0; p < P; p++)
        pm[p] = s->mean[p / Cg]; /* plane p = n*C + c belongs to unit n*G + c/Cg = p/Cg */
    ak_cpu_seg_dot(sdy, sdyx, dy, x->data, P, S, pm, NULL, NULL, false);
    const bool need_w = w && w->requires_grad, need_b = b && b->requires_grad;
    float *dw = need_w ? ak_grad_of(ctx, w) : NULL, *db = need_b ? ak_grad_of(ctx, b) : NULL;
    if ((need_w && !dw) || (need_b && !db))
        return;
    if (dw || db) {
        for (int64_t c = 0; c < C; c++) {
            double tw = 0, tb = 0;
            for (int64_t n = 0; n < N; n++) {
                tw += sdyx[n * C + c] * s->invstd[n * G + c / Cg];
                tb += sdy[n * C + c];
            }
            if (dw)
                dw[c] += (float)tw;
            if (db)
                db[c] += (float)tb;
        }
    }
    if (!x->requires_grad)
        return;
    bool fresh;
    float *dx = ak_grad_of_fresh(ctx, x, &fresh); /* seg_bwd writes every element */
    if (!dx)
        return;
    for (int64_t u = 0; u < N * G; u++) { /* dx = i*(g*dy - mean(g*dy) - xhat*mean(g*dy*xhat)) */
        const int64_t n = u / G, c0 = (u % G) * Cg;
        double m1 = 0, m2 = 0;
        for (int64_t c = c0; c < c0 + Cg; c++) {
            const double g = s->gamma ? s->gamma[c] : 1.0;
            m1 += g * sdy[n * C + c];
            m2 += g * sdyx[n * C + c];
        }
        m1 /= cnt;
        m2 /= cnt;
        const double i = s->invstd[u];
        for (int64_t c = c0; c < c0 + Cg; c++) {
            const double g = s->gamma ? s->gamma[c] : 1.0;
            pa[n * C + c] = (float)(i * g);
            pb[n * C + c] = (float)(-i * i * i * m2);
            pc[n * C + c] = (float)(-i * m1);
        }
    }
    ak_cpu_seg_bwd(dx, dy, x->data, P, S, pa, pb, pm, pc, NULL, fresh);
}

ak_tensor *ak_group_norm(ak_ctx *ctx, ak_tensor *x, int groups, ak_tensor *weight, ak_tensor *bias, float eps) {
    static const char *op = "group_norm";
    if (!x || !ak_ok(ctx))
        return NULL;
    char s[64];
    if (x->device != AK_DEV_CPU)
        return ak_fail(ctx, AK_EUNSUP, "%s: device %d not supported in this build", op, (int)x->device);
    if (x->ndim < 2)
        return ak_fail(ctx, AK_ESHAPE, "%s: input of shape %s, expected (N, C, ...) with >= 2 dims", op,
                       ak_shape_str(x, s, sizeof s));
    const int64_t N = x->shape[0], C = x->shape[1], P = N * C, S = P ? x->numel / P : 0;
    if (groups < 1 || C % groups != 0)
        return ak_fail(ctx, AK_ESHAPE, "%s: %d groups do not divide the %lld channels of input %s", op, groups,
                       (long long)C, ak_shape_str(x, s, sizeof s));
    if (!(eps >= 0.0f))
        return ak_fail(ctx, AK_EINVAL, "%s: eps %g must be >= 0", op, (double)eps);
    if (ak_norm_check_vec(ctx, op, "weight", weight, C, x) || ak_norm_check_vec(ctx, op, "bias", bias, C, x))
        return NULL;
    const int64_t G = groups, Cg = C / G, U = N * G;
    ak_tensor *y = ak_tensor_like(ctx, op, x);
    float *mean = ak_scratch(ctx, op, (size_t)(U ? U : 1) * sizeof *mean);
    double *invstd = ak_scratch(ctx, op, (size_t)(U ? U : 1) * sizeof *invstd);
    float *coef = ak_scratch(ctx, op, (size_t)(P ? P : 1) * 3 * sizeof *coef);
    double *mom = ak_scratch(ctx, op, (size_t)(P ? P : 1) * 2 * sizeof *mom);
    if (!y || !mean || !invstd || !coef || !mom)
        return NULL;
    float *pm = coef, *pa = coef + P, *pb = coef + 2 * P;
    for (int64_t p = 0; p < P; p++) /* shift: the unit's first value */
        pm[p] = S ? x->data[(p / Cg) * Cg * S] : 0.0f;
    ak_cpu_seg_moments(mom, mom + P, x->data, P, S, pm);
    const double cnt = (double)(Cg * S);
    for (int64_t u = 0; u < U; u++) {
        double t1 = 0, t2 = 0;
        for (int64_t p = u * Cg; p < (u + 1) * Cg; p++) {
            t1 += mom[p];
            t2 += mom[P + p];
        }
        const double mu = cnt > 0 ? t1 / cnt : 0;
        double var = cnt > 0 ? t2 / cnt - mu * mu : 0;
        if (var < 0)
            var = 0;
        mean[u] = (float)((double)pm[u * Cg] + mu);
        invstd[u] = 1.0 / sqrt(var + (double)eps);
    }
    for (int64_t p = 0; p < P; p++) {
        const int64_t c = p % C, u = p / Cg;
        pm[p] = mean[u];
        pa[p] = (float)(invstd[u] * (weight ? (double)weight->data[c] : 1.0));
        pb[p] = bias ? bias->data[c] : 0.0f;
    }
    ak_cpu_seg_affine(y->data, x->data, P, S, pm, pa, pb);
    ak_tensor *in[3] = {x, weight, bias};
    ak_node *node = ak_record(ctx, op, y, gn_backward, 3, in, sizeof(gn_saved));
    if (node) {
        gn_saved *sv = node->saved;
        sv->N = N;
        sv->C = C;
        sv->S = S;
        sv->G = G;
        sv->gamma = weight ? weight->data : NULL;
        sv->mean = mean;
        sv->invstd = invstd;
    }
    return ak_ok(ctx) ? y : NULL;
}
