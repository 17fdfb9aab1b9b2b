/* Avatar capacity: the teacher evaluated on averaged head outputs of K avatars; see capacity.h. */
#include "akd/capacity.h"

#include <stdlib.h>
#include <string.h>

#include "akd/avatars.h"
#include "store/akd_config.h"

ak_capacity_cfg ak_capacity_defaults(uint64_t seed) {
    return (ak_capacity_cfg){.perturb = AK_PERTURB_DROPOUT,
                             .n_k = 4,
                             .ks = {1, 2, 4, 8},
                             .n_p = 5,
                             .ps = {0.05f, 0.1f, 0.2f, 0.3f, 0.5f},
                             .seed = seed};
}

int ak_capacity_n_settings(const ak_capacity_cfg *cfg) { return 1 + cfg->n_k * cfg->n_p; }

void ak_capacity_setting(const ak_capacity_cfg *cfg, int setting, int *k, float *p) {
    if (setting <= 0 || cfg->n_k <= 0) {
        *k = 0;
        *p = 0.0f;
        return;
    }
    *k = cfg->ks[(setting - 1) % cfg->n_k];
    *p = cfg->ps[(setting - 1) / cfg->n_k];
}

int ak_capacity_init(ak_capacity *c, const ak_capacity_cfg *cfg, const ak_capacity_cb *cb, ak_error *err) {
    memset(c, 0, sizeof *c);
    if (cfg->n_k < 1 || cfg->n_k > AK_CAPACITY_MAX_LIST)
        return ak_error_set(err, AK_EINVAL, "avatars eval: %d values of K, expected 1..%d", cfg->n_k,
                            AK_CAPACITY_MAX_LIST);
    if (cfg->n_p < 1 || cfg->n_p > AK_CAPACITY_MAX_LIST)
        return ak_error_set(err, AK_EINVAL, "avatars eval: %d rates p, expected 1..%d", cfg->n_p,
                            AK_CAPACITY_MAX_LIST);
    for (int i = 0; i < cfg->n_k; i++)
        if (cfg->ks[i] < 1 || cfg->ks[i] > AK_CAPACITY_MAX_K)
            return ak_error_set(err, AK_EINVAL, "avatars eval: K = %d, expected 1..%d", cfg->ks[i], AK_CAPACITY_MAX_K);
    for (int i = 0; i < cfg->n_p; i++)
        AK_TRY(ak_avatar_check(cfg->perturb, cfg->ps[i], err));
    if (!cb || !cb->head || !cb->accumulate || !cb->metric)
        return ak_error_set(err, AK_EINVAL, "avatars eval: head, accumulate and metric callbacks are required");
    c->cfg = *cfg;
    c->cb = *cb;
    return AK_OK;
}

void ak_capacity_free(ak_capacity *c) {
    free(c->sum);
    free(c->mean);
    c->sum = NULL;
    c->mean = NULL;
    c->cap = 0;
}

static int reserve(ak_capacity *c, ak_ctx *ctx, int64_t n) {
    if (n <= c->cap)
        return AK_OK;
    double *s = realloc(c->sum, (size_t)n * sizeof *s);
    if (s)
        c->sum = s;
    float *m = realloc(c->mean, (size_t)n * sizeof *m);
    if (m)
        c->mean = m;
    if (!s || !m)
        return ak_error_set(&ctx->err, AK_ENOMEM, "avatars eval: out of memory for %lld head outputs",
                            (long long)n);
    c->cap = n;
    return AK_OK;
}

/* Head output of setting `setting` handed to accumulate as a host tensor header over c->mean. */
static int emit(ak_capacity *c, ak_ctx *work, int setting, int64_t batch, const ak_tensor *like, int k) {
    ak_tensor view = *like;
    view.data = c->mean;
    view.grad = NULL;
    view.requires_grad = false;
    view.persistent = true;
    const double dk = k ? (double)k : 1.0;
    for (int64_t i = 0; i < like->numel; i++)
        c->mean[i] = (float)(c->sum[i] / dk);
    return c->cb.accumulate(work, c->cb.user, setting, batch, &view);
}

int ak_capacity_batch(ak_capacity *c, ak_ctx *work, ak_tensor *const *features, int n_features, int64_t batch) {
    if (!ak_ok(work))
        return work->err.code;
    if (n_features < 1 || n_features > 16)
        return ak_error_set(&work->err, AK_EINVAL, "avatars eval: %d features per batch, expected 1..16", n_features);
    const bool rec = ak_ctx_set_record(work, false);
    int rc = AK_OK;
    int kmax = 0;
    for (int i = 0; i < c->cfg.n_k; i++)
        kmax = c->cfg.ks[i] > kmax ? c->cfg.ks[i] : kmax;
    ak_tensor shape_ref = {0};
    /* vanilla teacher: setting 0 */
    ak_tensor *out = c->cb.head(work, c->cb.user, features, n_features);
    if (!out) {
        rc = work->err.code ? work->err.code : ak_error_set(&work->err, AK_EINVAL, "avatars eval: head returned nothing");
        goto done;
    }
    shape_ref = *out;
    if ((rc = reserve(c, work, out->numel)) != AK_OK)
        goto done;
    for (int64_t j = 0; j < out->numel; j++)
        c->sum[j] = out->data[j];
    if ((rc = emit(c, work, 0, batch, &shape_ref, 0)) != AK_OK)
        goto done;
    ak_ctx_reset(work);
    for (int ip = 0; ip < c->cfg.n_p; ip++) {
        for (int k = 0; k < kmax; k++) {
            ak_tensor *av[16];
            for (int i = 0; i < n_features; i++)
                av[i] = ak_avatar(work, features[i], c->cfg.perturb, c->cfg.ps[ip],
                                  ak_avatar_rng(c->cfg.seed, batch, i, k), NULL);
            out = ak_ok(work) ? c->cb.head(work, c->cb.user, av, n_features) : NULL;
            if (!out) {
                rc = work->err.code ? work->err.code
                                    : ak_error_set(&work->err, AK_EINVAL, "avatars eval: head returned nothing");
                goto done;
            }
            if (!ak_same_shape(out, &shape_ref)) {
                char a[64], b[64];
                rc = ak_error_set(&work->err, AK_ESHAPE, "avatars eval: head output %s for avatar %d, %s for the teacher",
                                  ak_shape_str(out, a, sizeof a), k, ak_shape_str(&shape_ref, b, sizeof b));
                goto done;
            }
            if (k == 0)
                for (int64_t j = 0; j < out->numel; j++)
                    c->sum[j] = out->data[j];
            else
                for (int64_t j = 0; j < out->numel; j++)
                    c->sum[j] += out->data[j];
            ak_ctx_reset(work);
            for (int ik = 0; ik < c->cfg.n_k; ik++)
                if (c->cfg.ks[ik] == k + 1 &&
                    (rc = emit(c, work, 1 + ip * c->cfg.n_k + ik, batch, &shape_ref, k + 1)) != AK_OK)
                    goto done;
            ak_ctx_reset(work);
        }
    }
    c->batches++;
done:
    ak_ctx_set_record(work, rec);
    return rc;
}

void ak_capacity_metrics(const ak_capacity *c, double *metrics) {
    const int n = ak_capacity_n_settings(&c->cfg);
    for (int s = 0; s < n; s++)
        metrics[s] = c->cb.metric(c->cb.user, s);
}
