/* See conv_module.h. */
#include "models/conv_module.h"

#include "core/ops/activation.h"
#include "models/init.h"

int ak_conv_module_init(ak_conv_module *m, ak_params *ps, const char *name, int cin, int cout, int k, int padding,
                        int dilation, uint64_t seed, ak_error *err) {
    char buf[AK_NAME_LEN];
    AK_TRY(ak_conv_layer_init(&m->conv, ps, ak_name(buf, "%s.conv", name), cin, cout, k, 1, padding, dilation, 1,
                              false, err));
    ak_init_kaiming_normal_fan_out(m->conv.weight, seed);
    return ak_bn_layer_init(&m->bn, ps, ak_name(buf, "%s.bn", name), cout, err);
}

ak_tensor *ak_conv_module_fwd(ak_ctx *ctx, const ak_conv_module *m, ak_tensor *x, bool train) {
    return ak_relu(ctx, ak_bn_layer_fwd(ctx, &m->bn, ak_conv_layer_fwd(ctx, &m->conv, x),
                                        train ? AK_BN_TRAIN : AK_BN_EVAL));
}
