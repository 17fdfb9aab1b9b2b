/* mmcv-style parameter groups (paramwise_cfg) over a flat registry; semantics in optim.h. */
#include <math.h>
#include <string.h>

#include "core/optim.h"

ak_paramwise ak_paramwise_defaults(void) {
    ak_paramwise p = {1.0, 1.0, 1.0, NULL, 0};
    return p;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Local name of the entry is `leaf` ("weight" / "bias") when the dotted name ends with it. */
static bool is_leaf(const char *name, const char *leaf) {
    size_t m = strlen(leaf), n = strlen(name);
    return strcmp(name, leaf) == 0 || (n > m && name[n - m - 1] == '.' && ends_with(name, leaf));
}

/* Norm layer parameter: a 1-D weight, or a bias whose sibling weight is 1-D. */
static bool is_norm(const ak_params *ps, const ak_param *p) {
    if (is_leaf(p->name, "weight"))
        return p->t->ndim == 1;
    if (!is_leaf(p->name, "bias"))
        return false;
    char sib[AK_PARAM_NAME_LEN];
    size_t n = strlen(p->name) - strlen("bias");
    memcpy(sib, p->name, n);
    strcpy(sib + n, "weight");
    const ak_param *w = ak_params_find(ps, sib);
    return w && !w->is_buffer && w->t->ndim == 1;
}

static bool valid_mult(double v) { return v >= 0.0 && isfinite(v); }

int ak_params_apply_paramwise(ak_params *ps, const ak_paramwise *cfg, ak_error *err) {
    if (!valid_mult(cfg->bias_lr_mult) || !valid_mult(cfg->bias_decay_mult) || !valid_mult(cfg->norm_decay_mult))
        return ak_error_set(err, AK_EINVAL,
                            "paramwise: multipliers must be finite and >= 0 (bias_lr_mult %g, bias_decay_mult %g, "
                            "norm_decay_mult %g)",
                            cfg->bias_lr_mult, cfg->bias_decay_mult, cfg->norm_decay_mult);
    for (int k = 0; k < cfg->n_custom_keys; k++) {
        const ak_param_key *key = &cfg->custom_keys[k];
        if (!key->key || !key->key[0])
            return ak_error_set(err, AK_EINVAL, "paramwise: custom key %d is empty", k);
        if (!valid_mult(key->lr_mult) || !valid_mult(key->decay_mult))
            return ak_error_set(err, AK_EINVAL, "paramwise: custom key '%s': multipliers must be finite and >= 0",
                                key->key);
    }
    for (int i = 0; i < ps->n; i++) {
        ak_param *p = &ps->items[i];
        if (p->is_buffer)
            continue;
        /* 1. the longest matching custom key; among equal lengths the alphabetically first */
        const ak_param_key *best = NULL;
        for (int k = 0; k < cfg->n_custom_keys; k++) {
            const ak_param_key *key = &cfg->custom_keys[k];
            if (!strstr(p->name, key->key))
                continue;
            size_t l = strlen(key->key), bl = best ? strlen(best->key) : 0;
            if (!best || l > bl || (l == bl && strcmp(key->key, best->key) < 0))
                best = key;
        }
        if (best) {
            p->lr_mult = (float)best->lr_mult;
            p->decay_mult = (float)best->decay_mult;
        } else if (is_norm(ps, p)) {
            p->lr_mult = 1.0f;
            p->decay_mult = (float)cfg->norm_decay_mult;
        } else if (is_leaf(p->name, "bias")) {
            p->lr_mult = (float)cfg->bias_lr_mult;
            p->decay_mult = (float)cfg->bias_decay_mult;
        } else {
            p->lr_mult = 1.0f;
            p->decay_mult = 1.0f;
        }
    }
    return AK_OK;
}
