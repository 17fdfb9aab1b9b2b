/* See fpn.h. */
#include "models/fpn.h"

#include <stdio.h>
#include <string.h>

#include "core/ops/activation.h"
#include "core/ops/elementwise.h"
#include "core/ops/pool.h"
#include "core/ops/resize.h"
#include "models/det_init.h"

static ak_fpn_cfg base_cfg(const int in_channels[4], int out_channels) {
    ak_fpn_cfg c;
    memset(&c, 0, sizeof c);
    c.n_in = 4;
    memcpy(c.in_channels, in_channels, 4 * sizeof *in_channels);
    c.start_level = 1;
    c.out_channels = out_channels;
    c.num_outs = 5;
    return c;
}

ak_fpn_cfg ak_fpn_cfg_retinanet(const int in_channels[4], int out_channels, ak_det_style style) {
    ak_fpn_cfg c = base_cfg(in_channels, out_channels);
    bool mm = style == AK_DET_MMDET;
    c.extra = mm ? AK_FPN_EXTRA_ON_INPUT : AK_FPN_EXTRA_ON_OUTPUT;
    c.relu_before_extra = !mm;
    c.init = mm ? AK_FPN_INIT_XAVIER : AK_FPN_INIT_KAIMING_A1;
    return c;
}

ak_fpn_cfg ak_fpn_cfg_fcos(const int in_channels[4], int out_channels, ak_det_style style) {
    ak_fpn_cfg c = base_cfg(in_channels, out_channels);
    c.extra = AK_FPN_EXTRA_ON_OUTPUT;
    c.relu_before_extra = true;
    c.init = style == AK_DET_MMDET ? AK_FPN_INIT_XAVIER : AK_FPN_INIT_KAIMING_A1;
    return c;
}

static int conv(ak_conv_layer *l, ak_params *ps, const char *name, int cin, int cout, int k, int stride,
                const ak_fpn_cfg *cfg, uint64_t seed, ak_error *err) {
    AK_TRY(ak_conv_layer_init(l, ps, name, cin, cout, k, stride, k / 2, 1, 1, true, err));
    if (cfg->init == AK_FPN_INIT_XAVIER)
        ak_init_xavier_uniform(l->weight, seed);
    else
        ak_init_kaiming_uniform_a1(l->weight, seed);
    return AK_OK; /* bias stays 0 */
}

int ak_fpn_init(ak_fpn *f, ak_params *ps, const char *prefix, const ak_fpn_cfg *cfg, uint64_t seed, ak_error *err) {
    memset(f, 0, sizeof *f);
    f->cfg = *cfg;
    snprintf(f->prefix, sizeof f->prefix, "%s", prefix);
    if (cfg->n_in < 1 || cfg->n_in > AK_FPN_MAX_IN)
        return ak_error_set(err, AK_EINVAL, "%s: n_in %d not in 1..%d", prefix, cfg->n_in, AK_FPN_MAX_IN);
    if (cfg->start_level < 0 || cfg->start_level >= cfg->n_in)
        return ak_error_set(err, AK_EINVAL, "%s: start_level %d not in 0..%d", prefix, cfg->start_level,
                            cfg->n_in - 1);
    f->n_used = cfg->n_in - cfg->start_level;
    if (cfg->num_outs < f->n_used || cfg->num_outs > AK_FPN_MAX_OUT)
        return ak_error_set(err, AK_EINVAL, "%s: num_outs %d not in %d..%d", prefix, cfg->num_outs, f->n_used,
                            AK_FPN_MAX_OUT);
    if (cfg->out_channels < 1)
        return ak_error_set(err, AK_EINVAL, "%s: out_channels %d must be >= 1", prefix, cfg->out_channels);
    if ((unsigned)cfg->extra > AK_FPN_EXTRA_MAXPOOL)
        return ak_error_set(err, AK_EINVAL, "%s: unknown extra-level mode %d", prefix, (int)cfg->extra);
    char name[AK_NAME_LEN];
    for (int i = 0; i < f->n_used; i++) {
        int cin = cfg->in_channels[cfg->start_level + i];
        if (cin < 1)
            return ak_error_set(err, AK_EINVAL, "%s: in_channels[%d] = %d must be >= 1", prefix,
                                cfg->start_level + i, cin);
        AK_TRY(conv(&f->lateral[i], ps, ak_name(name, "%s.lateral_convs.%d.conv", prefix, i), cin, cfg->out_channels,
                    1, 1, cfg, seed, err));
        AK_TRY(conv(&f->fpn[i], ps, ak_name(name, "%s.fpn_convs.%d.conv", prefix, i), cfg->out_channels,
                    cfg->out_channels, 3, 1, cfg, seed, err));
    }
    if (cfg->extra != AK_FPN_EXTRA_MAXPOOL)
        for (int i = f->n_used; i < cfg->num_outs; i++) {
            int cin = i == f->n_used && cfg->extra == AK_FPN_EXTRA_ON_INPUT ? cfg->in_channels[cfg->n_in - 1]
                                                                            : cfg->out_channels;
            AK_TRY(conv(&f->fpn[i], ps, ak_name(name, "%s.fpn_convs.%d.conv", prefix, i), cin, cfg->out_channels, 3, 2,
                        cfg, seed, err));
            f->n_extra_convs++;
        }
    return AK_OK;
}

int ak_fpn_forward(ak_ctx *ctx, const ak_fpn *f, ak_tensor *const *c, ak_tensor **out, ak_taps *taps) {
    const ak_fpn_cfg *cfg = &f->cfg;
    ak_tensor *lat[AK_FPN_MAX_IN];
    for (int i = 0; i < f->n_used; i++)
        lat[i] = ak_conv_layer_fwd(ctx, &f->lateral[i], c[cfg->start_level + i]);
    for (int i = f->n_used - 1; i > 0; i--) {
        if (!lat[i - 1] || !lat[i])
            return ctx->err.code;
        ak_tensor *up = ak_resize(ctx, lat[i], lat[i - 1]->shape[2], lat[i - 1]->shape[3], AK_RESIZE_NEAREST, false);
        lat[i - 1] = ak_add(ctx, lat[i - 1], up);
    }
    for (int i = 0; i < f->n_used; i++)
        out[i] = ak_conv_layer_fwd(ctx, &f->fpn[i], lat[i]);
    for (int i = f->n_used; i < cfg->num_outs; i++) {
        if (cfg->extra == AK_FPN_EXTRA_MAXPOOL) {
            ak_pool2d_params mp = {{1, 1}, {2, 2}, {0, 0}, {1, 1}, false, false};
            out[i] = ak_max_pool2d(ctx, out[i - 1], &mp);
            continue;
        }
        ak_tensor *src;
        if (i == f->n_used)
            src = cfg->extra == AK_FPN_EXTRA_ON_INPUT     ? c[cfg->n_in - 1]
                  : cfg->extra == AK_FPN_EXTRA_ON_LATERAL ? lat[f->n_used - 1]
                                                          : out[i - 1];
        else
            src = cfg->relu_before_extra ? ak_relu(ctx, out[i - 1]) : out[i - 1];
        out[i] = ak_conv_layer_fwd(ctx, &f->fpn[i], src);
    }
    if (!ak_ok(ctx))
        return ctx->err.code;
    for (int i = 0; i < cfg->num_outs; i++) {
        char name[AK_TAP_NAME_LEN];
        snprintf(name, sizeof name, "%s.p%d", f->prefix, cfg->start_level + 2 + i);
        if (ak_taps_put(taps, name, out[i]) != AK_OK)
            return ak_error_set(&ctx->err, AK_ENOMEM, "%s: too many taps (%d)", f->prefix, AK_MAX_TAPS);
    }
    return AK_OK;
}
