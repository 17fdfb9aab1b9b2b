/* SGD and AdamW over an ak_params registry, and gradient-norm clipping; semantics in optim.h.
 * The scalar casts mirror PyTorch 1.13's CPU kernels (Python doubles rounded to float where the
 * tensor op takes them), so that a step matches PyTorch to float32 rounding. */
#include "core/optim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPT_PAR_MIN 32768
#define STEP_EXACT_MAX 16777216.0 /* 2^24: the last step count a float holds exactly */

ak_optim_config ak_optim_sgd_config(double lr, double momentum, double weight_decay) {
    ak_optim_config c;
    memset(&c, 0, sizeof c);
    c.kind = AK_OPT_SGD;
    c.lr = lr;
    c.momentum = momentum;
    c.weight_decay = weight_decay;
    c.beta1 = 0.9;
    c.beta2 = 0.999;
    c.eps = 1e-8;
    return c;
}

ak_optim_config ak_optim_adamw_config(double lr, double weight_decay) {
    ak_optim_config c = ak_optim_sgd_config(lr, 0.0, weight_decay);
    c.kind = AK_OPT_ADAMW;
    return c;
}

static int check_config(const ak_optim_config *c, ak_error *err) {
    if (c->kind != AK_OPT_SGD && c->kind != AK_OPT_ADAMW)
        return ak_error_set(err, AK_EINVAL, "optimizer: unknown kind %d (sgd or adamw)", (int)c->kind);
    if (!(c->lr >= 0.0 && isfinite(c->lr)))
        return ak_error_set(err, AK_EINVAL, "optimizer: lr must be finite and >= 0, got %g", c->lr);
    if (!(c->weight_decay >= 0.0 && isfinite(c->weight_decay)))
        return ak_error_set(err, AK_EINVAL, "optimizer: weight_decay must be finite and >= 0, got %g",
                            c->weight_decay);
    if (c->kind == AK_OPT_SGD) {
        if (!(c->momentum >= 0.0 && isfinite(c->momentum)))
            return ak_error_set(err, AK_EINVAL, "optimizer: sgd momentum must be finite and >= 0, got %g",
                                c->momentum);
        if (!isfinite(c->dampening))
            return ak_error_set(err, AK_EINVAL, "optimizer: sgd dampening must be finite, got %g", c->dampening);
        if (c->nesterov && (c->momentum <= 0.0 || c->dampening != 0.0))
            return ak_error_set(err, AK_EINVAL,
                                "optimizer: nesterov needs momentum > 0 and dampening 0 (got momentum %g, "
                                "dampening %g)",
                                c->momentum, c->dampening);
    } else {
        if (!(c->beta1 >= 0.0 && c->beta1 < 1.0) || !(c->beta2 >= 0.0 && c->beta2 < 1.0))
            return ak_error_set(err, AK_EINVAL, "optimizer: adamw betas must be in [0, 1), got (%g, %g)", c->beta1,
                                c->beta2);
        if (!(c->eps >= 0.0 && isfinite(c->eps)))
            return ak_error_set(err, AK_EINVAL, "optimizer: adamw eps must be finite and >= 0, got %g", c->eps);
    }
    return AK_OK;
}

static int add_state(ak_optim *opt, const char *kind, const ak_tensor *like, bool scalar, ak_error *err) {
    char name[AK_PARAM_NAME_LEN + 32];
    snprintf(name, sizeof name, "%s.%s", kind, like->name ? like->name : "?");
    static const int64_t none[1] = {1}; /* not read for ndim 0; memcpy wants a valid pointer */
    ak_tensor *t = scalar ? ak_params_add_buffer(&opt->state, name, 0, none, err)
                          : ak_params_add_buffer(&opt->state, name, like->ndim, like->shape, err);
    return t ? AK_OK : err->code;
}

int ak_optim_init(ak_optim *opt, ak_params *ps, const ak_optim_config *cfg, ak_error *err) {
    memset(opt, 0, sizeof *opt);
    AK_TRY(check_config(cfg, err));
    opt->cfg = *cfg;
    opt->ps = ps;
    opt->n_params = ps->n;
    ak_params_init(&opt->state);
    opt->slot = malloc((size_t)(ps->n > 0 ? ps->n : 1) * sizeof *opt->slot);
    if (!opt->slot)
        return ak_error_set(err, AK_ENOMEM, "optimizer: out of memory for %d parameters", ps->n);
    for (int i = 0; i < ps->n; i++) {
        const ak_param *p = &ps->items[i];
        opt->slot[i] = -1;
        if (p->is_buffer)
            continue;
        opt->slot[i] = opt->state.n;
        int rc = AK_OK;
        if (cfg->kind == AK_OPT_SGD) {
            if (cfg->momentum != 0.0)
                rc = add_state(opt, "momentum_buffer", p->t, false, err);
        } else {
            rc = add_state(opt, "exp_avg", p->t, false, err);
            if (rc == AK_OK)
                rc = add_state(opt, "exp_avg_sq", p->t, false, err);
        }
        if (rc == AK_OK)
            rc = add_state(opt, "step", p->t, true, err);
        if (rc != AK_OK) {
            ak_error_prefix(err, "optimizer state for %s", p->name);
            ak_optim_free(opt);
            return rc;
        }
    }
    return AK_OK;
}

void ak_optim_free(ak_optim *opt) {
    ak_params_free(&opt->state);
    free(opt->slot);
    memset(opt, 0, sizeof *opt);
}

static void sgd_update(float *p, const float *g, float *buf, int64_t n, float nlr, float wd, float mom, float damp1,
                       bool nesterov, bool first) {
#pragma omp parallel for schedule(static) if (n > OPT_PAR_MIN)
    for (int64_t j = 0; j < n; j++) {
        float d = g[j];
        if (wd != 0.0f)
            d = d + wd * p[j];
        if (buf) {
            buf[j] = first ? d : buf[j] * mom + damp1 * d;
            d = nesterov ? d + mom * buf[j] : buf[j];
        }
        p[j] = p[j] + nlr * d;
    }
}

static void adamw_update(float *p, const float *g, float *m, float *v, int64_t n, float decay, float b1, float c1,
                         float b2, float c2, float bc2_sqrt, float eps, float neg_step_size) {
#pragma omp parallel for schedule(static) if (n > OPT_PAR_MIN)
    for (int64_t j = 0; j < n; j++) {
        p[j] = p[j] * decay;
        m[j] = m[j] * b1 + c1 * g[j];
        v[j] = v[j] * b2 + c2 * g[j] * g[j];
        float denom = sqrtf(v[j]) / bc2_sqrt + eps;
        p[j] = p[j] + neg_step_size * m[j] / denom;
    }
}

static int step_impl(ak_optim *opt, const ak_lr_schedule *sched, int64_t iter, double lr, ak_error *err) {
    ak_params *ps = opt->ps;
    const ak_optim_config *c = &opt->cfg;
    if (!ps || !opt->slot)
        return ak_error_set(err, AK_ESTATE, "optimizer step: optimizer not initialised");
    if (ps->n != opt->n_params)
        return ak_error_set(err, AK_ESTATE,
                            "optimizer step: the registry has %d entries but had %d at ak_optim_init "
                            "(register every parameter before creating the optimizer)",
                            ps->n, opt->n_params);
    if (!sched && !(lr >= 0.0 && isfinite(lr)))
        return ak_error_set(err, AK_EINVAL, "optimizer step: lr must be finite and >= 0, got %g", lr);
    /* Check everything before changing anything, so a failed step leaves no partial update. */
    for (int i = 0; i < ps->n; i++) {
        const ak_param *p = &ps->items[i];
        if (p->is_buffer || !p->trainable)
            continue;
        if (!p->t->grad)
            return ak_error_set(err, AK_ESTATE, "optimizer step: parameter %s has no gradient buffer", p->name);
        const ak_param *st = &opt->state.items[opt->slot[i] + (c->kind == AK_OPT_ADAMW ? 2 : (c->momentum != 0.0))];
        if (st->t->data[0] + 1.0 > STEP_EXACT_MAX)
            return ak_error_set(err, AK_ERANGE, "optimizer step: %s has taken %.0f steps; float step counts stop "
                                "being exact at 2^24", p->name, (double)st->t->data[0]);
        double lr_i = sched ? ak_lr_at(sched, c->lr * p->lr_mult, iter) : lr * p->lr_mult;
        if (!(lr_i >= 0.0 && isfinite(lr_i)) || !(p->decay_mult >= 0.0f && isfinite(p->decay_mult)))
            return ak_error_set(err, AK_EINVAL, "optimizer step: parameter %s gets lr %g, decay_mult %g", p->name,
                                lr_i, (double)p->decay_mult);
    }
    for (int i = 0; i < ps->n; i++) {
        ak_param *p = &ps->items[i];
        if (p->is_buffer || !p->trainable)
            continue;
        double lr_i = sched ? ak_lr_at(sched, c->lr * p->lr_mult, iter) : lr * p->lr_mult;
        double wd_i = c->weight_decay * p->decay_mult;
        ak_param *st = &opt->state.items[opt->slot[i]];
        float *x = p->t->data, *g = p->t->grad;
        int64_t n = p->t->numel;
        if (c->kind == AK_OPT_SGD) {
            float *buf = c->momentum != 0.0 ? st[0].t->data : NULL;
            float *step = st[c->momentum != 0.0 ? 1 : 0].t->data;
            sgd_update(x, g, buf, n, (float)-lr_i, (float)wd_i, (float)c->momentum, (float)(1.0 - c->dampening),
                       c->nesterov, step[0] == 0.0f);
            step[0] += 1.0f;
        } else {
            float *step = st[2].t->data;
            step[0] += 1.0f;
            double t = step[0];
            double bc1 = 1.0 - pow(c->beta1, t), bc2 = 1.0 - pow(c->beta2, t);
            double step_size = lr_i / bc1;
            adamw_update(x, g, st[0].t->data, st[1].t->data, n, (float)(1.0 - lr_i * wd_i), (float)c->beta1,
                         (float)(1.0 - c->beta1), (float)c->beta2, (float)(1.0 - c->beta2), (float)sqrt(bc2),
                         (float)c->eps, (float)-step_size);
        }
    }
    return AK_OK;
}

int ak_optim_step(ak_optim *opt, double lr, ak_error *err) { return step_impl(opt, NULL, 0, lr, err); }

int ak_optim_step_at(ak_optim *opt, const ak_lr_schedule *sched, int64_t iter, ak_error *err) {
    if (!sched)
        return ak_error_set(err, AK_EINVAL, "optimizer step: NULL schedule");
    AK_TRY(ak_lr_schedule_check(sched, err));
    if (iter < 0)
        return ak_error_set(err, AK_EINVAL, "optimizer step: negative iteration %lld", (long long)iter);
    return step_impl(opt, sched, iter, 0.0, err);
}

/* Sum of squares of n floats in fixed blocks (thread-count independent). */
static double sum_squares(const float *g, int64_t n) {
    enum { CHUNKS = 64 };
    double part[CHUNKS];
#pragma omp parallel for schedule(static) if (n > OPT_PAR_MIN)
    for (int k = 0; k < CHUNKS; k++) {
        int64_t b = n / CHUNKS * k + (n % CHUNKS) * k / CHUNKS;
        int64_t e = n / CHUNKS * (k + 1) + (n % CHUNKS) * (k + 1) / CHUNKS;
        double s = 0.0;
        for (int64_t j = b; j < e; j++)
            s += (double)g[j] * (double)g[j];
        part[k] = s;
    }
    double s = 0.0;
    for (int k = 0; k < CHUNKS; k++)
        s += part[k];
    return s;
}

static bool clipped(const ak_param *p) { return !p->is_buffer && p->trainable && p->t->grad; }

int ak_clip_grad_norm(ak_params *ps, double max_norm, float *total_norm, ak_error *err) {
    if (!(max_norm > 0.0 && isfinite(max_norm)))
        return ak_error_set(err, AK_EINVAL, "clip_grad_norm: max_norm must be finite and > 0, got %g", max_norm);
    double sum = 0.0;
    for (int i = 0; i < ps->n; i++)
        if (clipped(&ps->items[i]))
            sum += sum_squares(ps->items[i].t->grad, ps->items[i].t->numel);
    float total = (float)sqrt(sum);
    if (total_norm)
        *total_norm = total;
    if (!isfinite(total)) {
        for (int i = 0; i < ps->n; i++) {
            const ak_param *p = &ps->items[i];
            if (!clipped(p))
                continue;
            for (int64_t j = 0; j < p->t->numel; j++)
                if (!isfinite(p->t->grad[j]))
                    return ak_error_set(err, AK_ENAN,
                                        "clip_grad_norm: gradient of %s is not finite (%g at index %lld)", p->name,
                                        (double)p->t->grad[j], (long long)j);
        }
        return ak_error_set(err, AK_ENAN, "clip_grad_norm: the total gradient norm overflows float (%g)", sqrt(sum));
    }
    /* PyTorch: clip_coef = max_norm / (total + 1e-6), where float / tensor is reciprocal() * float. */
    float coef = (1.0f / (total + 1e-6f)) * (float)max_norm;
    if (coef < 1.0f) {
        for (int i = 0; i < ps->n; i++) {
            ak_param *p = &ps->items[i];
            if (!clipped(p))
                continue;
            float *g = p->t->grad;
            int64_t n = p->t->numel;
#pragma omp parallel for schedule(static) if (n > OPT_PAR_MIN)
            for (int64_t j = 0; j < n; j++)
                g[j] *= coef;
        }
    }
    return AK_OK;
}
