/* ctest-labels: parity
 * FPN (models/fpn.h) against torchvision FeaturePyramidNetwork + LastLevelP6P7 (P6 from P5, and from
 * C5 = mmdet 'on_input'), formula weights: outputs and the gradients of every parameter and input.
 * The mmdet RetinaNet extra levels (no ReLU before P7), max-pool extra levels, taps, init schemes and
 * configuration errors by hand. */
#include "det_test_util.h"
#include "core/ops/activation.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "models/fpn.h"

static ak_fpn_cfg small_cfg(ak_fpn_extra extra, bool relu) {
    ak_fpn_cfg c = {3, {16, 32, 64, 0}, 0, 8, 5, extra, relu, AK_FPN_INIT_KAIMING_A1};
    return c;
}

/* formula weights under the torchvision FeaturePyramidNetwork names (models/det_keys.h without the
 * "backbone.fpn." prefix) */
static void fpn_formula(ak_params *ps) {
    for (int i = 0; i < ps->n; i++) {
        char tv[AK_PARAM_NAME_LEN];
        ck_assert_int_eq(ak_det_key_to_torchvision(AK_HEAD_RETINANET, 3, ps->items[i].name, tv, sizeof tv), AK_OK);
        ck_assert_ptr_nonnull(strstr(tv, "backbone.fpn."));
        ak_init_formula(ps->items[i].t, tv + strlen("backbone.fpn."));
    }
}

static void check_case(const char *tag, ak_fpn_extra extra) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "models/detparts.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    ak_fpn f;
    ak_fpn_cfg cfg = small_cfg(extra, true);
    ck_assert_msg(ak_fpn_init(&f, &ps, "neck", &cfg, 1, &err) == AK_OK, "%s", err.msg);
    fpn_formula(&ps);
    ak_tensor *x[3];
    char name[160];
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "fpn.x%d", i);
        x[i] = ak_fixture_tensor(&ctx, &fx, name);
        x[i]->requires_grad = true;
    }
    ak_tensor *out[5];
    ak_taps taps;
    ak_taps_clear(&taps);
    ck_assert_msg(ak_fpn_forward(&ctx, &f, x, out, &taps) == AK_OK, "%s", ctx.err.msg);
    ak_tensor *obj = NULL;
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "%s.out%d", tag, i);
        ak_tensor *want = ak_fixture_tensor(&ctx, &fx, name);
        ck_assert_int_eq(out[i]->numel, want->numel);
        ak_assert_close(name, out[i]->data, want->data, want->numel, 1e-5, 1e-5);
        snprintf(name, sizeof name, "neck.p%d", 2 + i);
        ck_assert_ptr_eq(ak_taps_get(&taps, name), out[i]);
        ak_tensor *w = ak_tensor_like(&ctx, "w", out[i]);
        snprintf(name, sizeof name, "objective.p%d", i);
        ak_init_formula(w, name);
        ak_tensor *term = ak_sum_all(&ctx, ak_mul(&ctx, out[i], w));
        obj = obj ? ak_add(&ctx, obj, term) : term;
    }
    ck_assert_msg(ak_backward(&ctx, obj) == AK_OK, "%s", ctx.err.msg);
    for (int i = 0; i < ps.n; i++) {
        char tv[AK_PARAM_NAME_LEN];
        ak_det_key_to_torchvision(AK_HEAD_RETINANET, 3, ps.items[i].name, tv, sizeof tv);
        snprintf(name, sizeof name, "%s.grad.%s", tag, tv + strlen("backbone.fpn."));
        ak_tensor *want = ak_fixture_tensor(&ctx, &fx, name);
        ak_assert_close(name, ps.items[i].t->grad, want->data, want->numel, 1e-4, 1e-4);
    }
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s.grad.x%d", tag, i);
        ak_tensor *want = ak_fixture_tensor(&ctx, &fx, name);
        ak_assert_close(name, x[i]->grad, want->data, want->numel, 1e-4, 1e-4);
    }
    ak_params_free(&ps);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}

START_TEST(fpn_p6_from_p5_matches_torchvision) { check_case("fpn", AK_FPN_EXTRA_ON_OUTPUT); }
END_TEST

START_TEST(fpn_p6_from_c5_matches_torchvision) { check_case("fpnc5", AK_FPN_EXTRA_ON_INPUT); }
END_TEST

/* mmdet RetinaNet: P7 = conv(P6) without a ReLU; max-pool extra levels = P5[::2, ::2]. */
START_TEST(fpn_extra_level_variants) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    ak_tensor *x[3];
    const int64_t shapes[3][4] = {{1, 16, 12, 15}, {1, 32, 6, 9}, {1, 64, 3, 6}};
    for (int i = 0; i < 3; i++) {
        x[i] = ak_tensor_new(&ctx, "x", 4, shapes[i]);
        ak_test_fill_uniform(x[i]->data, x[i]->numel, 7 + (uint64_t)i, -1, 1);
    }
    ak_fpn f;
    ak_fpn_cfg cfg = small_cfg(AK_FPN_EXTRA_ON_INPUT, false);
    cfg.init = AK_FPN_INIT_XAVIER;
    ck_assert_int_eq(ak_fpn_init(&f, &ps, "neck", &cfg, 3, &err), AK_OK);
    /* Xavier uniform: |w| <= sqrt(6 / (fan_in + fan_out)) and not all zero; biases 0 */
    float bound = sqrtf(6.0f / (16.0f + 8.0f)), mx = 0;
    for (int64_t i = 0; i < f.lateral[0].weight->numel; i++)
        mx = fmaxf(mx, fabsf(f.lateral[0].weight->data[i]));
    ck_assert(mx > 0.5f * bound && mx <= bound);
    ck_assert(f.lateral[0].bias->data[0] == 0.0f);
    ak_tensor *out[5];
    ck_assert_int_eq(ak_fpn_forward(&ctx, &f, x, out, NULL), AK_OK);
    ak_tensor *p7 = ak_conv_layer_fwd(&ctx, &f.fpn[4], out[3]);
    ak_assert_bitwise("P7 = conv(P6), no ReLU", out[4]->data, p7->data, p7->numel);
    ak_tensor *p6 = ak_conv_layer_fwd(&ctx, &f.fpn[3], x[2]);
    ak_assert_bitwise("P6 = conv(C5)", out[3]->data, p6->data, p6->numel);
    ak_params_free(&ps);
    ak_params_init(&ps);
    cfg = small_cfg(AK_FPN_EXTRA_MAXPOOL, false);
    cfg.num_outs = 4;
    ck_assert_int_eq(ak_fpn_init(&f, &ps, "neck", &cfg, 3, &err), AK_OK);
    ck_assert_int_eq(f.n_extra_convs, 0);
    ck_assert_int_eq(ak_fpn_forward(&ctx, &f, x, out, NULL), AK_OK);
    ck_assert(out[3]->shape[2] == 2 && out[3]->shape[3] == 3);
    for (int64_t c = 0; c < 8; c++)
        for (int y = 0; y < 2; y++)
            for (int xx = 0; xx < 3; xx++)
                ck_assert(out[3]->data[(c * 2 + y) * 3 + xx] == out[2]->data[(c * 3 + 2 * y) * 6 + 2 * xx]);
    ak_params_free(&ps);
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(fpn_config_errors_name_the_field) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_fpn f;
    ak_fpn_cfg cfg = small_cfg(AK_FPN_EXTRA_ON_OUTPUT, true);
    cfg.start_level = 3;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_fpn_init(&f, &ps, "neck", &cfg, 1, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "start_level 3"));
    cfg = small_cfg(AK_FPN_EXTRA_ON_OUTPUT, true);
    cfg.num_outs = 2;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_fpn_init(&f, &ps, "neck", &cfg, 1, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "num_outs 2"));
    cfg = small_cfg(AK_FPN_EXTRA_ON_OUTPUT, true);
    cfg.in_channels[1] = 0;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_fpn_init(&f, &ps, "neck2", &cfg, 1, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "in_channels[1]"));
    ak_params_free(&ps);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("fpn");
    TCase *tc = tcase_create("fpn");
    tcase_add_test(tc, fpn_p6_from_p5_matches_torchvision);
    tcase_add_test(tc, fpn_p6_from_c5_matches_torchvision);
    tcase_add_test(tc, fpn_extra_level_variants);
    tcase_add_test(tc, fpn_config_errors_name_the_field);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
