/* A tiny two-level "detector" for the distiller suites (header-only): conv3x3 + ReLU -> "neck.p3"
 * (N,ch,H,W), conv3x3 stride 2 -> "neck.p4" (N,ch,H/2,W/2), and a shared 1x1 head -> "head.reg.p3",
 * "head.reg.p4" (N,4,...). Parameters "neck.*" and "bbox_head.*", PyTorch default init from a seed. */
#ifndef AK_TESTS_TINY_MODELS_H
#define AK_TESTS_TINY_MODELS_H

#include "core/ops/activation.h"
#include "models/init.h"
#include "models/layers.h"
#include "models/taps.h"

typedef struct tiny_net {
    ak_conv_layer c1, c2, head;
} tiny_net;

static inline void tiny_init(tiny_net *n, ak_params *ps, int ch, uint64_t seed) {
    ak_error err = {0};
    ck_assert_int_eq(ak_conv_layer_init(&n->c1, ps, "neck.c1", 3, ch, 3, 1, 1, 1, 1, true, &err), AK_OK);
    ck_assert_int_eq(ak_conv_layer_init(&n->c2, ps, "neck.c2", ch, ch, 3, 2, 1, 1, 1, true, &err), AK_OK);
    ck_assert_int_eq(ak_conv_layer_init(&n->head, ps, "bbox_head.reg", ch, 4, 1, 1, 0, 1, 1, true, &err), AK_OK);
    ak_init_torch_default_conv(n->c1.weight, n->c1.bias, seed);
    ak_init_torch_default_conv(n->c2.weight, n->c2.bias, seed);
    ak_init_torch_default_conv(n->head.weight, n->head.bias, seed);
}

static inline int tiny_forward(ak_ctx *ctx, const void *model, ak_tensor *x, ak_taps *taps) {
    const tiny_net *n = model;
    ak_tensor *p3 = ak_relu(ctx, ak_conv_layer_fwd(ctx, &n->c1, x));
    ak_tensor *p4 = ak_conv_layer_fwd(ctx, &n->c2, p3);
    ak_taps_put(taps, "neck.p3", p3);
    ak_taps_put(taps, "neck.p4", p4);
    ak_taps_put(taps, "head.reg.p3", ak_conv_layer_fwd(ctx, &n->head, p3));
    ak_taps_put(taps, "head.reg.p4", ak_conv_layer_fwd(ctx, &n->head, p4));
    return ak_ok(ctx) ? AK_OK : ctx->err.code;
}

#endif
