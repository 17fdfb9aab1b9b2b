/* Parameter registry; see params.h. */
#include "core/params.h"

#include <stdlib.h>
#include <string.h>

void ak_params_init(ak_params *ps) { memset(ps, 0, sizeof *ps); }

static void tensor_free(ak_tensor *t) {
    if (!t)
        return;
    free(t->data);
    free(t->grad);
    free((char *)t->name);
    free(t);
}

void ak_params_free(ak_params *ps) {
    for (int i = 0; i < ps->n; i++)
        tensor_free(ps->items[i].t);
    free(ps->items);
    memset(ps, 0, sizeof *ps);
}

static float *zeroed_floats(int64_t n) {
    size_t bytes = (size_t)(n > 0 ? n : 1) * sizeof(float);
    bytes = (bytes + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

static ak_tensor *add(ak_params *ps, const char *name, int ndim, const int64_t *shape, bool buffer,
                      ak_error *err) {
    if (strlen(name) >= AK_PARAM_NAME_LEN) {
        ak_error_set(err, AK_EINVAL, "parameter name too long: %s", name);
        return NULL;
    }
    if (ndim < 0 || ndim > AK_MAX_DIMS) {
        ak_error_set(err, AK_EINVAL, "parameter %s: %d dimensions", name, ndim);
        return NULL;
    }
    if (ak_params_find(ps, name)) {
        ak_error_set(err, AK_EINVAL, "parameter %s registered twice", name);
        return NULL;
    }
    if (ps->n == ps->cap) {
        int cap = ps->cap ? 2 * ps->cap : 64;
        ak_param *items = realloc(ps->items, (size_t)cap * sizeof *items);
        if (!items) {
            ak_error_set(err, AK_ENOMEM, "parameter registry: out of memory");
            return NULL;
        }
        ps->items = items;
        ps->cap = cap;
    }
    ak_tensor *t = calloc(1, sizeof *t);
    if (!t) {
        ak_error_set(err, AK_ENOMEM, "parameter %s: out of memory", name);
        return NULL;
    }
    t->ndim = ndim;
    if (ndim > 0)
        memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
    t->numel = ak_shape_numel(ndim, shape);
    t->device = AK_DEV_CPU;
    t->persistent = true;
    t->requires_grad = !buffer;
    t->data = zeroed_floats(t->numel);
    t->grad = buffer ? NULL : zeroed_floats(t->numel);
    if (!t->data || (!buffer && !t->grad)) {
        ak_error_set(err, AK_ENOMEM, "parameter %s: out of memory (%lld floats)", name, (long long)t->numel);
        tensor_free(t);
        return NULL;
    }
    ak_param *p = &ps->items[ps->n++];
    memset(p, 0, sizeof *p);
    strcpy(p->name, name);
    p->t = t;
    p->trainable = !buffer;
    p->is_buffer = buffer;
    p->lr_mult = 1.0f;
    p->decay_mult = 1.0f;
    /* The tensor keeps its own copy: the registry array moves when it grows. */
    t->name = strdup(name);
    if (!t->name) {
        ps->n--;
        tensor_free(t);
        ak_error_set(err, AK_ENOMEM, "parameter %s: out of memory", name);
        return NULL;
    }
    return t;
}

ak_tensor *ak_params_add(ak_params *ps, const char *name, int ndim, const int64_t *shape, ak_error *err) {
    return add(ps, name, ndim, shape, false, err);
}

ak_tensor *ak_params_add_buffer(ak_params *ps, const char *name, int ndim, const int64_t *shape,
                                ak_error *err) {
    return add(ps, name, ndim, shape, true, err);
}

ak_param *ak_params_find(const ak_params *ps, const char *name) {
    for (int i = 0; i < ps->n; i++)
        if (strcmp(ps->items[i].name, name) == 0)
            return &ps->items[i];
    return NULL;
}

int ak_params_set_trainable(ak_params *ps, const char *prefix, bool trainable) {
    size_t len = strlen(prefix);
    int changed = 0;
    for (int i = 0; i < ps->n; i++) {
        ak_param *p = &ps->items[i];
        if (p->is_buffer || strncmp(p->name, prefix, len) != 0)
            continue;
        p->trainable = trainable;
        p->t->requires_grad = trainable;
        changed++;
    }
    return changed;
}

void ak_params_zero_grad(ak_params *ps) {
    for (int i = 0; i < ps->n; i++)
        if (ps->items[i].t->grad)
            memset(ps->items[i].t->grad, 0, (size_t)ps->items[i].t->numel * sizeof(float));
}

int64_t ak_params_count(const ak_params *ps) {
    int64_t n = 0;
    for (int i = 0; i < ps->n; i++)
        if (ps->items[i].trainable)
            n += ps->items[i].t->numel;
    return n;
}
