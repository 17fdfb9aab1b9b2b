/* See init.h. The RNG stream of every draw is keyed by the parameter's name. */
#include "models/init.h"

#include <math.h>
#include <string.h>

#include "core/rng.h"

uint64_t ak_fnv1a64(const char *s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

static ak_rng name_rng(const ak_tensor *t, uint64_t seed) {
    ak_rng r = {seed, ak_rng_stream(AK_STREAM_INIT, ak_fnv1a64(t->name ? t->name : ""), 0, 0)};
    return r;
}

static int64_t fan_in(const ak_tensor *w) { return w->ndim >= 2 ? w->numel / w->shape[0] : w->numel; }

void ak_init_kaiming_normal_fan_out(ak_tensor *w, uint64_t seed) {
    int64_t fan_out = w->ndim >= 2 ? w->numel / w->shape[1] : w->numel;
    ak_rng_fill_normal(name_rng(w, seed), 0, w->data, w->numel, 0.0f, (float)sqrt(2.0 / (double)fan_out));
}

static void fill_uniform_pm(ak_tensor *t, float bound, uint64_t seed) {
    ak_rng_fill_uniform(name_rng(t, seed), 0, t->data, t->numel);
    for (int64_t i = 0; i < t->numel; i++)
        t->data[i] = (2.0f * t->data[i] - 1.0f) * bound;
}

void ak_init_torch_default_conv(ak_tensor *w, ak_tensor *b, uint64_t seed) {
    float bound = (float)(1.0 / sqrt((double)fan_in(w)));
    fill_uniform_pm(w, bound, seed);
    if (b)
        fill_uniform_pm(b, bound, seed);
}

void ak_init_normal(ak_tensor *t, float mean, float std, uint64_t seed) {
    ak_rng_fill_normal(name_rng(t, seed), 0, t->data, t->numel, mean, std);
}

void ak_init_constant(ak_tensor *t, float v) {
    for (int64_t i = 0; i < t->numel; i++)
        t->data[i] = v;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

void ak_init_formula(ak_tensor *t, const char *name) {
    uint64_t h = ak_fnv1a64(name);
    double scale = t->ndim >= 2 ? sqrt(6.0 / (double)fan_in(t)) : 0.0;
    for (int64_t i = 0; i < t->numel; i++) {
        double s = 2.0 * (double)(splitmix64(h + (uint64_t)i) >> 11) * 0x1.0p-53 - 1.0, v;
        if (ends_with(name, ".running_var"))
            v = 1.0 + 0.25 * (1.0 + s);
        else if (ends_with(name, ".running_mean"))
            v = 0.1 * s;
        else if (ends_with(name, ".num_batches_tracked"))
            v = 0.0;
        else if (t->ndim <= 1 && ends_with(name, ".weight"))
            v = 1.0 + 0.1 * s;
        else if (t->ndim <= 1)
            v = 0.1 * s;
        else
            v = s * scale;
        t->data[i] = (float)v;
    }
}

void ak_init_formula_all(ak_params *ps) {
    for (int i = 0; i < ps->n; i++)
        ak_init_formula(ps->items[i].t, ps->items[i].name);
}
