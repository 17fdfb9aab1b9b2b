/* Connectors between student taps and distillation losses; see connector.h. */
#include "baselines/connector.h"

#include <stdio.h>

#include "core/ops/resize.h"
#include "models/init.h"

bool ak_connector_changes_channels(int kind) { return kind == AK_CONNECTOR_CONV1X1 || kind == AK_CONNECTOR_CONV_BN; }

int ak_connector_init(ak_connector_t *c, int kind, ak_params *ps, const char *prefix, int cin, int cout,
                      uint64_t seed, ak_error *err) {
    *c = (ak_connector_t){.kind = kind};
    if (kind < 0 || kind >= AK_CONNECTOR_COUNT)
        return ak_error_set(err, AK_EINVAL, "distill.connector: unknown kind %d", kind);
    if (!ak_connector_changes_channels(kind))
        return AK_OK;
    if (cin < 1 || cout < 1)
        return ak_error_set(err, AK_EINVAL, "distill.connector %s (%s): channels %d -> %d", ak_connector_name(kind),
                            prefix, cin, cout);
    char name[AK_NAME_LEN];
    bool bn = kind == AK_CONNECTOR_CONV_BN;
    AK_TRY(ak_conv_layer_init(&c->conv, ps, bn ? ak_name(name, "%s.conv", prefix) : prefix, cin, cout, 1, 1, 0, 1, 1,
                              !bn, err));
    if (bn)
        AK_TRY(ak_bn_layer_init(&c->bn, ps, ak_name(name, "%s.bn", prefix), cout, err));
    ak_init_torch_default_conv(c->conv.weight, c->conv.bias, seed);
    return AK_OK;
}

int ak_connector_apply(ak_ctx *ctx, const ak_connector_t *c, ak_tensor **s, ak_tensor **t) {
    if (!*s || !*t || !ak_ok(ctx))
        return ak_ok(ctx) ? AK_EINVAL : ctx->err.code;
    switch (c->kind) {
    case AK_CONNECTOR_CONV1X1: *s = ak_conv_layer_fwd(ctx, &c->conv, *s); break;
    case AK_CONNECTOR_CONV_BN: *s = ak_bn_layer_fwd(ctx, &c->bn, ak_conv_layer_fwd(ctx, &c->conv, *s), AK_BN_TRAIN); break;
    case AK_CONNECTOR_RESIZE_STUDENT:
        if ((*s)->ndim == 4 && (*t)->ndim == 4 && ((*s)->shape[2] != (*t)->shape[2] || (*s)->shape[3] != (*t)->shape[3]))
            *s = ak_resize(ctx, *s, (*t)->shape[2], (*t)->shape[3], AK_RESIZE_BILINEAR, false);
        break;
    case AK_CONNECTOR_RESIZE_TEACHER:
        if ((*s)->ndim == 4 && (*t)->ndim == 4 && ((*s)->shape[2] != (*t)->shape[2] || (*s)->shape[3] != (*t)->shape[3]))
            *t = ak_resize(ctx, *t, (*s)->shape[2], (*s)->shape[3], AK_RESIZE_BILINEAR, false);
        break;
    default: break;
    }
    return ak_ok(ctx) ? AK_OK : ctx->err.code;
}
