/* Shared machinery of the baselines/ losses (loss_common.h) and the generic accessors declared in
 * distill_loss.h. */
#include "baselines/distill_loss.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baselines/loss_common.h"
#include "core/ops/reduce.h"
#include "core/ops/elementwise.h"

void ak_distill_loss_destroy(ak_distill_loss *l) {
    if (!l)
        return;
    if (l->ops && l->ops->destroy)
        l->ops->destroy(l);
    free(l);
}

static ak_loss_head *head_of(const ak_distill_loss *l) {
    ak_loss_head *h = l && l->state ? (ak_loss_head *)l->state : NULL;
    return h && h->magic == AK_LOSS_MAGIC ? h : NULL;
}

ak_tensor **ak_distill_loss_param_slot(ak_distill_loss *l, const char *name) {
    ak_loss_head *h = head_of(l);
    for (int i = 0; h && i < h->n_params; i++)
        if (strcmp(h->names[i], name) == 0)
            return &h->params[i];
    return NULL;
}

int ak_distill_loss_n_params(const ak_distill_loss *l) {
    const ak_loss_head *h = head_of(l);
    return h ? h->n_params : 0;
}

const char *ak_distill_loss_param_name(const ak_distill_loss *l, int i) {
    const ak_loss_head *h = head_of(l);
    return h && i >= 0 && i < h->n_params ? h->names[i] : NULL;
}

ak_distill_loss *ak_loss_alloc(const ak_distill_loss_ops *ops, const char *tap, float weight, size_t state_bytes,
                               ak_error *err) {
    if (strlen(tap) >= sizeof(((ak_distill_loss *)0)->tap)) {
        ak_error_set(err, AK_EINVAL, "%s: tap name '%s' is too long", ops->method, tap);
        return NULL;
    }
    ak_distill_loss *l = calloc(1, sizeof *l);
    void *st = calloc(1, state_bytes);
    if (!l || !st) {
        free(l);
        free(st);
        ak_error_set(err, AK_ENOMEM, "%s (tap %s): out of memory", ops->method, tap);
        return NULL;
    }
    l->ops = ops;
    strcpy(l->tap, tap);
    l->weight = weight;
    l->state = st;
    ((ak_loss_head *)st)->magic = AK_LOSS_MAGIC;
    return l;
}

void ak_loss_free_state(ak_distill_loss *l) {
    free(l->state);
    l->state = NULL;
}

int ak_loss_add_param(ak_distill_loss *l, ak_params *ps, const char *name, int ndim, const int64_t *shape,
                      ak_error *err) {
    ak_loss_head *h = head_of(l);
    if (!h || h->n_params == AK_LOSS_MAX_PARAMS || strlen(name) >= AK_LOSS_PARAM_NAME) {
        ak_error_set(err, AK_EINVAL, "%s (tap %s): cannot register parameter %s", l->ops->method, l->tap, name);
        return -1;
    }
    char full[AK_PARAM_NAME_LEN];
    snprintf(full, sizeof full, "distill.%s.%s", l->tap, name);
    ak_tensor *t = ak_params_add(ps, full, ndim, shape, err);
    if (!t)
        return -1;
    strcpy(h->names[h->n_params], name);
    h->params[h->n_params] = t;
    return h->n_params++;
}

void ak_loss_finish_params(ak_distill_loss *l, ak_params *ps, bool frozen) {
    if (!frozen)
        return;
    char prefix[AK_PARAM_NAME_LEN];
    snprintf(prefix, sizeof prefix, "distill.%s.", l->tap);
    ak_loss_head *h = head_of(l);
    for (int i = 0; h && i < h->n_params; i++) {
        char full[AK_PARAM_NAME_LEN];
        snprintf(full, sizeof full, "%s%s", prefix, h->names[i]);
        ak_param *p = ak_params_find(ps, full);
        if (p) {
            p->trainable = false;
            p->t->requires_grad = false;
        }
    }
}

void ak_loss_set_terms(ak_distill_loss *l, int n, const char *const *names, const float *values) {
    l->n_terms = n < AK_DISTILL_MAX_TERMS ? n : AK_DISTILL_MAX_TERMS;
    for (int i = 0; i < l->n_terms; i++) {
        snprintf(l->term_names[i], sizeof l->term_names[i], "%s", names[i]);
        l->term_values[i] = values[i];
    }
}

void ak_loss_set_term1(ak_distill_loss *l, float value) {
    const char *name = l->ops->method;
    ak_loss_set_terms(l, 1, &name, &value);
}

bool ak_loss_check_maps(ak_ctx *ctx, const ak_distill_loss *l, const ak_tensor *s, const ak_tensor *t, bool same_hw) {
    if (!s || !t || !ak_ok(ctx))
        return false;
    char a[64], b[64];
    bool ok = s->ndim == 4 && t->ndim == 4 && s->shape[0] == t->shape[0] && s->shape[1] == t->shape[1];
    if (same_hw)
        ok = ok && s->shape[2] == t->shape[2] && s->shape[3] == t->shape[3];
    if (!ok) {
        ak_fail(ctx, AK_ESHAPE, "%s (tap %s): student %s and teacher %s must be (N,C,H,W) maps of equal %s",
                l->ops->method, l->tap, ak_shape_str(s, a, sizeof a), ak_shape_str(t, b, sizeof b),
                same_hw ? "shape" : "batch and channels");
        return false;
    }
    return true;
}

ak_tensor *ak_loss_scaled_sum(ak_ctx *ctx, ak_tensor *x, float scale) {
    return ak_mul_scalar(ctx, ak_sum_all(ctx, x), scale);
}
