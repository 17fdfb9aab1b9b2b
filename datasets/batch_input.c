/* See batch_input.h. */
#include "datasets/batch_input.h"

#include "datasets/geometry.h"

void ak_sample_normalize(const ak_sample *s, float *dst, int h, int w) {
    ak_normalize_pad_chw(s->image, s->img_h, s->img_w, s->flipped, s->mean, s->std, dst, h, w);
}

void ak_batch_normalize(const ak_batch *b, float *dst) {
    const size_t chw = (size_t)3 * (size_t)b->h * (size_t)b->w;
    for (int i = 0; i < b->n; i++)
        ak_sample_normalize(b->samples[i], dst + (size_t)i * chw, b->h, b->w);
}

ak_tensor *ak_batch_input(ak_ctx *ctx, const ak_batch *b) {
    if (!ak_ok(ctx))
        return NULL;
    const int64_t shape[4] = {b->n, 3, b->h, b->w};
    ak_tensor *x = ak_tensor_new(ctx, "batch input", 4, shape);
    if (x)
        ak_batch_normalize(b, x->data);
    return x;
}
