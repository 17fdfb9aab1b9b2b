/* mmdet's caffe-style ResNet (resnet.h caffe_style): ResNet-50 at base width 16 against a PyTorch
 * re-implementation (torchvision's Bottleneck with the stride on conv1; tools/fixtures/
 * models_weights.py, computed in float64) with formula weights, eval mode: c2..c5. Also: the style moves the stride
 * (pytorch-style outputs differ) and leaves BasicBlock networks unchanged. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "aktest.h"
#include "bench/train/net.h"
#include "models/init.h"
#include "models/resnet.h"

/* formula_input("caffe.input", (1, 3, 64, 64)) of the fixture script: formula * (sqrt(fan_in) / 1.5). */
static ak_tensor *caffe_input(ak_ctx *ctx) {
    int64_t shape[4] = {1, 3, 64, 64};
    ak_tensor *x = ak_tensor_new(ctx, "caffe.input", 4, shape);
    ck_assert_ptr_nonnull(x);
    ak_init_formula(x, "caffe.input");
    float k = (float)(sqrt((double)(x->numel / shape[0])) / 1.5);
    for (int64_t i = 0; i < x->numel; i++)
        x->data[i] *= k;
    return x;
}

static void forward(int depth, bool caffe, ak_ctx *ctx, ak_params *ps, ak_resnet *net, ak_tensor *out[4]) {
    ak_params_init(ps);
    ak_error err;
    ak_error_clear(&err);
    ak_resnet_cfg cfg = {depth, 0.25f, false, false, -1, false, caffe};
    ck_assert_msg(ak_resnet_init(net, ps, "backbone", &cfg, 1, &err) == AK_OK, "%s", err.msg);
    ak_init_formula_all(ps);
    ck_assert_msg(ak_resnet_forward(ctx, net, caffe_input(ctx), false, out, NULL) == AK_OK, "%s", ctx->err.msg);
}

START_TEST(caffe_style_matches_pytorch_reimplementation) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "models/weights.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_params ps, pt;
    ak_resnet net, npt;
    ak_tensor *c[4], *p[4];
    forward(50, true, &ctx, &ps, &net, c);
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "caffe.c%d", i + 2);
        ak_assert_digest(name, &fx, name, c[i], c[i]->data, 1e-5);
    }
    /* Element-wise against the float64 reference: 1e-5 of the output's scale (max |c5| ~ 130; single
     * small elements carry float32 summation noise of that size, in PyTorch's float32 as here). */
    ak_tensor *want = ak_fixture_tensor(&ctx, &fx, "caffe.c5");
    ck_assert_int_eq(want->numel, c[3]->numel);
    double scale = 0;
    for (int64_t i = 0; i < want->numel; i++)
        scale = fmax(scale, fabs(want->data[i]));
    ak_assert_close("caffe.c5", c[3]->data, want->data, want->numel, 1e-5, 1e-5 * scale);
    /* The stride really moved: the pytorch-style network (same weights) differs at c3 already. */
    forward(50, false, &ctx, &pt, &npt, p);
    double diff = 0;
    for (int64_t i = 0; i < p[1]->numel; i++)
        diff = fmax(diff, fabs((double)p[1]->data[i] - (double)c[1]->data[i]));
    ck_assert_msg(diff > 1e-2, "pytorch and caffe styles agree at c3 (max diff %g)", diff);
    for (int64_t i = 0; i < p[0]->numel; i++) /* layer1 has stride 1: no difference there */
        ck_assert_float_eq(p[0]->data[i], c[0]->data[i]);
    ak_resnet_free(&net);
    ak_resnet_free(&npt);
    ak_params_free(&ps);
    ak_params_free(&pt);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(basic_blocks_ignore_the_style) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_params a, b;
    ak_resnet na, nb;
    ak_tensor *ca[4], *cb[4];
    forward(18, true, &ctx, &a, &na, ca);
    forward(18, false, &ctx, &b, &nb, cb);
    ak_assert_bitwise("c5", ca[3]->data, cb[3]->data, ca[3]->numel);
    ak_resnet_free(&na);
    ak_resnet_free(&nb);
    ak_params_free(&a);
    ak_params_free(&b);
    ak_ctx_free(&ctx);
}
END_TEST

/* model.*.style reaches the backbone of both tasks' networks. */
START_TEST(config_style_reaches_the_backbone) {
    ak_model_config mc;
    memset(&mc, 0, sizeof mc);
    mc.backbone = AK_BACKBONE_RESNET50;
    mc.width = 1.0;
    ak_error err;
    ak_error_clear(&err);
    for (int style = 0; style < AK_STYLE_COUNT; style++) {
        mc.style = style;
        mc.arch = AK_ARCH_FCOS;
        ak_detector_cfg dc;
        ck_assert_msg(ak_net_det_cfg(&mc, 80, &dc, &err) == AK_OK, "%s", err.msg);
        ck_assert_int_eq(dc.backbone.caffe_style, style == AK_STYLE_CAFFE);
        mc.arch = AK_ARCH_PSPNET;
        ak_segmentor_cfg sc;
        ck_assert_msg(ak_net_seg_cfg(&mc, 19, &sc, &err) == AK_OK, "%s", err.msg);
        ck_assert_int_eq(sc.backbone.caffe_style, style == AK_STYLE_CAFFE);
    }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("resnet_caffe");
    TCase *tc = tcase_create("style");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, caffe_style_matches_pytorch_reimplementation);
    tcase_add_test(tc, basic_blocks_ignore_the_style);
    tcase_add_test(tc, config_style_reaches_the_backbone);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
