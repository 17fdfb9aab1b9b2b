/* Resize ops: argument checks, output size from size or scale factor, autograd; kernels in
 * core/cpu/resize.c. */
#include "core/ops/resize.h"

#include <math.h>

#include "core/cpu/resize.h"

typedef struct resize_saved {
    ak_resize_geom g;
    ak_resize_mode mode;
} resize_saved;

static const char *op_name(ak_resize_mode mode) {
    return mode == AK_RESIZE_NEAREST ? "resize_nearest" : "resize_bilinear";
}

static void resize_backward(ak_ctx *ctx, ak_node *node) {
    const resize_saved *s = node->saved;
    float *dx = ak_grad_of(ctx, node->in[0]);
    void *ws = dx ? ak_scratch(ctx, op_name(s->mode), ak_cpu_resize_ws_bytes(&s->g)) : NULL;
    if (!ws)
        return;
    if (s->mode == AK_RESIZE_NEAREST)
        ak_cpu_nearest_bwd(dx, node->out->grad, &s->g, ws);
    else
        ak_cpu_bilinear_bwd(dx, node->out->grad, &s->g, ws);
}

static ak_tensor *resize_impl(ak_ctx *ctx, ak_tensor *x, int64_t out_h, int64_t out_w, double sh, double sw,
                              ak_resize_mode mode, bool align_corners) {
    const char *op = op_name(mode);
    char s[64];
    ak_shape_str(x, s, sizeof s);
    if (x->device != AK_DEV_CPU)
        return ak_fail(ctx, AK_EUNSUP, "%s: only CPU tensors are supported in this build", op);
    if (x->ndim != 4)
        return ak_fail(ctx, AK_ESHAPE, "%s: input %s must be 4-D (N,C,H,W)", op, s);
    if (mode != AK_RESIZE_BILINEAR && mode != AK_RESIZE_NEAREST)
        return ak_fail(ctx, AK_EINVAL, "resize: unknown mode %d", (int)mode);
    if (mode == AK_RESIZE_NEAREST && align_corners)
        return ak_fail(ctx, AK_EINVAL, "%s: align_corners is only defined for interpolating modes", op);
    if (out_h < 1 || out_w < 1 || x->shape[2] < 1 || x->shape[3] < 1)
        return ak_fail(ctx, AK_EINVAL, "%s: input %s resized to (%lld,%lld): sizes must be positive", op, s,
                       (long long)out_h, (long long)out_w);
    ak_resize_geom g = {x->shape[0] * x->shape[1], x->shape[2], x->shape[3], out_h, out_w, align_corners, sh, sw};
    const int64_t shape[4] = {x->shape[0], x->shape[1], out_h, out_w};
    ak_tensor *y = ak_tensor_new(ctx, op, 4, shape);
    void *ws = y ? ak_scratch(ctx, op, ak_cpu_resize_ws_bytes(&g)) : NULL;
    if (!ws)
        return NULL;
    if (mode == AK_RESIZE_NEAREST)
        ak_cpu_nearest_fwd(y->data, x->data, &g, ws);
    else
        ak_cpu_bilinear_fwd(y->data, x->data, &g, ws);
    ak_node *node = ak_record(ctx, op, y, resize_backward, 1, &x, sizeof(resize_saved));
    if (node) {
        resize_saved *sv = node->saved;
        sv->g = g;
        sv->mode = mode;
    }
    return ak_ok(ctx) ? y : NULL;
}

ak_tensor *ak_resize(ak_ctx *ctx, ak_tensor *x, int64_t out_h, int64_t out_w, ak_resize_mode mode,
                     bool align_corners) {
    if (!x || !ak_ok(ctx))
        return NULL;
    return resize_impl(ctx, x, out_h, out_w, 0.0, 0.0, mode, align_corners);
}

ak_tensor *ak_resize_scale(ak_ctx *ctx, ak_tensor *x, double scale_h, double scale_w, ak_resize_mode mode,
                           bool align_corners) {
    if (!x || !ak_ok(ctx))
        return NULL;
    if (!(scale_h > 0.0) || !(scale_w > 0.0) || !isfinite(scale_h) || !isfinite(scale_w) || x->ndim != 4) {
        char s[64];
        if (x->ndim != 4)
            return resize_impl(ctx, x, 1, 1, 0.0, 0.0, mode, align_corners); /* reports the shape error */
        return ak_fail(ctx, AK_EINVAL, "%s: input %s: scale factors (%g,%g) must be positive and finite",
                       op_name(mode), ak_shape_str(x, s, sizeof s), scale_h, scale_w);
    }
    /* torch computes the size in Python doubles: floor(float(in) * scale) */
    const int64_t oh = (int64_t)floor((double)x->shape[2] * scale_h), ow = (int64_t)floor((double)x->shape[3] * scale_w);
    return resize_impl(ctx, x, oh, ow, scale_h, scale_w, mode, align_corners);
}
