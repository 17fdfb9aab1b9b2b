/* See det_init.h. Streams are keyed by the tensor's name, as in models/init.c. */
#include "models/det_init.h"

#include <math.h>

#include "core/rng.h"
#include "models/init.h"

void ak_init_uniform(ak_tensor *t, float bound, uint64_t seed) {
    ak_rng r = {seed, ak_rng_stream(AK_STREAM_INIT, ak_fnv1a64(t->name ? t->name : ""), 1, 0)};
    ak_rng_fill_uniform(r, 0, t->data, t->numel);
    for (int64_t i = 0; i < t->numel; i++)
        t->data[i] = (2.0f * t->data[i] - 1.0f) * bound;
}

static int64_t receptive(const ak_tensor *w) {
    int64_t r = 1;
    for (int d = 2; d < w->ndim; d++)
        r *= w->shape[d];
    return r;
}

void ak_init_xavier_uniform(ak_tensor *w, uint64_t seed) {
    double fan_in = (double)(w->ndim >= 2 ? w->shape[1] : 1) * (double)receptive(w);
    double fan_out = (double)w->shape[0] * (double)receptive(w);
    ak_init_uniform(w, (float)sqrt(6.0 / (fan_in + fan_out)), seed);
}

void ak_init_kaiming_uniform_a1(ak_tensor *w, uint64_t seed) {
    double fan_in = (double)(w->ndim >= 2 ? w->shape[1] : 1) * (double)receptive(w);
    ak_init_uniform(w, (float)sqrt(3.0 / fan_in), seed);
}

float ak_prior_prob_bias(float p) { return (float)-log((1.0 - (double)p) / (double)p); }
