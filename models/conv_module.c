/* See conv_module.h. */
#include "models/conv_module.h"

#include "models/init.h"

int ak_conv_module_init_names(ak_conv_module *m, ak_params *ps, const char *conv_name, const char *bn_name, int cin,
                              int cout, int k, int padding, int dilation, uint64_t seed, ak_error *err) {
    AK_TRY(ak_conv_layer_init(&m->conv, ps, conv_name, cin, cout, k, 1, padding, dilation, 1, false, err));
    ak_init_kaiming_normal_fan_out(m->conv.weight, seed);
    return ak_bn_layer_init(&m->bn, ps, bn_name, cout, err);
}

int ak_conv_module_init(ak_conv_module *m, ak_params *ps, const char *name, int cin, int cout, int k, int padding,
                        int dilation, uint64_t seed, ak_error *err) {
    char cn[AK_NAME_LEN], bn[AK_NAME_LEN];
    return ak_conv_module_init_names(m, ps, ak_name(cn, "%s.conv", name), ak_name(bn, "%s.bn", name), cin, cout, k,
                                     padding, dilation, seed, err);
}

ak_tensor *ak_conv_module_fwd(ak_ctx *ctx, const ak_conv_module *m, ak_tensor *x, bool train) {
    return ak_bn_layer_fwd_relu(ctx, &m->bn, ak_conv_layer_fwd(ctx, &m->conv, x), train ? AK_BN_TRAIN : AK_BN_EVAL);
}
