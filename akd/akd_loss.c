/* The AKD wrapper around a base distillation loss; see akd_loss.h. */
#include "akd/akd_loss.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "akd/avatars.h"
#include "akd/stat_sums.h"
#include "akd/uncertainty.h"
#include "core/ops/elementwise.h"

ak_akd_opts ak_akd_opts_default(void) {
    return (ak_akd_opts){.num_avatars = 1,
                         .perturb = AK_PERTURB_DROPOUT,
                         .rate = 0.1f,
                         .uncertainty = AK_UNC_CODE,
                         .normalize_teacher = true,
                         .ghost_batch = 2,
                         .eps = 1e-5f};
}

ak_akd_opts ak_akd_opts_from_config(const ak_run_config *c) {
    return (ak_akd_opts){.num_avatars = c->akd.num_avatars,
                         .perturb = c->akd.perturb,
                         .rate = (float)c->akd.rate,
                         .uncertainty = c->akd.uncertainty,
                         .normalize_teacher = c->akd.normalize_teacher,
                         .ghost_batch = c->akd.ghost_batch,
                         .eps = (float)c->akd.eps};
}

int ak_akd_opts_check(const ak_akd_opts *o, ak_error *err) {
    if (o->num_avatars < 1 || o->num_avatars > AK_AKD_MAX_AVATARS)
        return ak_error_set(err, AK_EINVAL, "akd.num_avatars = %d: expected 1 <= K <= %d", o->num_avatars,
                            AK_AKD_MAX_AVATARS);
    AK_TRY(ak_avatar_check(o->perturb, o->rate, err));
    const ak_unc u = {o->uncertainty, o->normalize_teacher, o->ghost_batch, o->eps, NULL};
    AK_TRY(ak_unc_check(&u, err));
    if (o->uncertainty == AK_UNC_PAPER && !(o->rate > 0.0f))
        return ak_error_set(err, AK_EINVAL,
                            "akd.uncertainty = paper needs akd.rate > 0 (got akd.rate = %g): sigma would collapse "
                            "to sqrt(akd.eps)",
                            (double)o->rate);
    return AK_OK;
}

ak_rng ak_akd_loss_rng(uint64_t seed, int64_t iteration, int tap, int k) {
    return (ak_rng){seed,
                    ak_rng_stream5(AK_STREAM_LOSS_MASK, (uint64_t)iteration, (uint64_t)tap, (uint64_t)k, 0)};
}

static int check_inputs(ak_ctx *ctx, const ak_distill_loss *base, const ak_distill_inputs *in, int tap) {
    const char *method = base && base->ops ? base->ops->method : "?";
    const char *tname = base && base->tap[0] ? base->tap : "?";
    if (!base || !base->ops || !base->ops->forward)
        return ak_error_set(&ctx->err, AK_EINVAL, "akd: tap %d (%s): no base loss to wrap", tap, tname);
    if (!in || !in->student || !in->teacher)
        return ak_error_set(&ctx->err, AK_EINVAL, "akd: tap %d (%s, %s): missing %s feature", tap, tname, method,
                            !in || !in->student ? "student" : "teacher");
    const ak_tensor *s = in->student, *t = in->teacher;
    if (s->ndim < 2 || t->ndim != s->ndim || s->shape[0] != t->shape[0] || s->shape[1] != t->shape[1]) {
        char a[64], b[64];
        return ak_error_set(&ctx->err, AK_ESHAPE,
                            "akd: tap %d (%s, %s): student %s and teacher %s must be (N, C, ...) with the same N "
                            "and C",
                            tap, tname, method, ak_shape_str(s, a, sizeof a), ak_shape_str(t, b, sizeof b));
    }
    return AK_OK;
}

/* mean (a - t)^2 over all elements: per (n, c) plane partial sums in parallel (eight fixed lanes,
 * akd/stat_sums.h), combined in plane order (deterministic for any thread count). Log statistic
 * only. */
static double mean_sq_diff(const ak_tensor *a, const ak_tensor *t) {
    if (!t->numel)
        return NAN;
    const int64_t planes = t->shape[0] * t->shape[1], P = t->numel / planes;
    double *part = malloc((size_t)planes * sizeof *part);
    if (!part)
        return NAN;
#pragma omp parallel for schedule(static) if (t->numel > (1 << 16))
    for (int64_t pl = 0; pl < planes; pl++)
        part[pl] = ak_akd_sum_sq_diff(a->data + pl * P, t->data + pl * P, P);
    double q = 0.0;
    for (int64_t pl = 0; pl < planes; pl++)
        q += part[pl];
    free(part);
    return q / (double)t->numel;
}

static void fill_stats(ak_akd_tap_stats *st, const ak_akd_opts *o, const ak_unc *u, ak_tensor *student,
                       const ak_tensor *teacher, ak_tensor *const *avatars) {
    const int K = o->num_avatars;
    st->num_avatars = K;
    double msd = 0.0, ua = 0.0;
    for (int k = 0; k < K; k++)
        msd += mean_sq_diff(avatars[k], teacher);
    st->avatar_msd = msd / K;
    st->unc_student = st->unc_avatar = NAN;
    if (u->mode == AK_UNC_PAPER) {
        st->unc_student = st->unc_avatar = ak_unc_sigma_mean(u);
    } else if (u->mode == AK_UNC_CODE) {
        st->unc_student = ak_unc_bn_std_mean(student, u->ghost_batch, u->eps);
        if (u->normalize_teacher) {
            for (int k = 0; k < K; k++)
                ua += ak_unc_bn_std_mean(avatars[k], u->ghost_batch, u->eps);
            st->unc_avatar = ua / K;
        }
    }
    double lm = 0.0;
    for (int k = 0; k < K; k++)
        lm += st->loss[k];
    st->loss_mean = lm / K;
}

ak_tensor *ak_akd_forward(ak_ctx *ctx, const ak_akd_opts *o, ak_distill_loss *base, const ak_distill_inputs *in,
                          int tap, ak_akd_tap_stats *stats) {
    if (!ak_ok(ctx))
        return NULL;
    if (ak_akd_opts_check(o, &ctx->err) != AK_OK || check_inputs(ctx, base, in, tap) != AK_OK)
        return NULL;
    const int K = o->num_avatars;
    const uint64_t seed = in->rng.seed;
    ak_tensor *avatars[AK_AKD_MAX_AVATARS];
    if (ak_avatars_make(ctx, in->teacher, o->perturb, o->rate, seed, in->iteration, tap, K, avatars) != AK_OK)
        return NULL;
    ak_unc u = {o->uncertainty, o->normalize_teacher, o->ghost_batch, o->eps, NULL};
    if (ak_unc_prepare(ctx, &u, in->teacher, avatars, K) != AK_OK)
        return NULL;
    ak_tensor *s = ak_unc_student(ctx, &u, in->student);
    if (!s)
        return NULL;
    ak_tensor *total = NULL, *lk[AK_AKD_MAX_AVATARS];
    if (K > 1 && base->ops->forward_multi) {
        /* One batched evaluation of the K avatars, the loss's own choice (MGD: one generator pass);
         * it leaves the mean of its sub-terms in term_values. */
        ak_distill_inputs subs[AK_AKD_MAX_AVATARS];
        for (int k = 0; k < K; k++) {
            subs[k] = *in;
            subs[k].student = s;
            subs[k].teacher = ak_unc_avatar(ctx, &u, avatars[k]);
            subs[k].rng = ak_akd_loss_rng(seed, in->iteration, tap, k);
            if (!subs[k].teacher)
                return NULL;
        }
        if (base->ops->forward_multi(ctx, base, subs, K, lk) != AK_OK)
            return NULL;
    } else {
        double terms[AK_DISTILL_MAX_TERMS] = {0};
        for (int k = 0; k < K; k++) {
            ak_tensor *a = ak_unc_avatar(ctx, &u, avatars[k]);
            if (!a)
                return NULL;
            ak_distill_inputs sub = *in;
            sub.student = s;
            sub.teacher = a;
            sub.rng = ak_akd_loss_rng(seed, in->iteration, tap, k);
            lk[k] = ak_distill_forward(ctx, base, &sub);
            if (!lk[k]) {
                if (ak_ok(ctx))
                    ak_error_set(&ctx->err, AK_EINVAL, "akd: tap %d (%s): base loss %s returned no value", tap,
                                 base->tap, base->ops->method);
                return NULL;
            }
            for (int i = 0; i < base->n_terms && i < AK_DISTILL_MAX_TERMS; i++)
                terms[i] += base->term_values[i];
        }
        /* The loss's logged sub-terms describe the wrapped value: their mean over the avatars (the
         * distiller reads them after the call). K == 1 leaves them untouched. */
        for (int i = 0; K > 1 && i < base->n_terms && i < AK_DISTILL_MAX_TERMS; i++)
            base->term_values[i] = (float)(terms[i] / K);
    }
    for (int k = 0; k < K; k++) {
        if (stats)
            stats->loss[k] = lk[k]->data[0];
        total = k == 0 ? lk[k] : ak_add(ctx, total, lk[k]);
    }
    if (!total)
        return NULL;
    if (K > 1)
        total = ak_mul_scalar(ctx, total, 1.0f / (float)K);
    if (total && stats)
        fill_stats(stats, o, &u, in->student, in->teacher, avatars);
    return total;
}

static const char *const stat_names[3] = {"avatar_msd", "unc_student", "unc_avatar"};

int ak_akd_log_columns(const char *const *tap_names, int n_taps, int K, char *names, int name_len, int max) {
    int n = 0;
    for (int t = 0; t < n_taps; t++)
        for (int j = 0; j < 3 + K; j++, n++) {
            if (n >= max)
                continue;
            char *dst = names + (size_t)n * (size_t)name_len;
            if (j < 3)
                snprintf(dst, (size_t)name_len, "akd.%s.%s", tap_names[t], stat_names[j]);
            else
                snprintf(dst, (size_t)name_len, "akd.%s.loss_a%d", tap_names[t], j - 3);
        }
    return n;
}

int ak_akd_log_values(const ak_akd_tap_stats *stats, int n_taps, double *values, int max) {
    int n = 0;
    for (int t = 0; t < n_taps; t++) {
        const ak_akd_tap_stats *s = &stats[t];
        const double v[3] = {s->avatar_msd, s->unc_student, s->unc_avatar};
        for (int j = 0; j < 3 + s->num_avatars; j++, n++)
            if (n < max)
                values[n] = j < 3 ? v[j] : (double)s->loss[j - 3];
    }
    return n;
}
