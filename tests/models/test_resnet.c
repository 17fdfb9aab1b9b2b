/* ResNet backbones against torchvision (ResNet-18, ResNet-50, ResNet-50 D8) and an mmseg-definition
 * ResNetV1c-D8 (tools/fixtures/models_resnet.py), with formula weights: c2..c5, every parameter
 * gradient of J = sum(c5 * w), and running statistics after a training forward. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aktest.h"
#include "models/init.h"
#include "models/resnet.h"

/* Parameters before the stem's max-pool see the pool's arg-max: a near-tie that float rounding breaks
 * the other way moves one gradient contribution to a neighbouring pixel (a few % of a stem weight's
 * gradient), in PyTorch float32 vs float64 as much as here. Those get a tolerance that still catches a
 * wrong formula; everything after the pool is held to `tight`. */
static double stem_tolerance(const char *name, double tight) {
    return strstr(name, "backbone.conv1.") || strstr(name, "backbone.bn1.") || strstr(name, "backbone.stem.") ? 5e-2
                                                                                                             : tight;
}

/* The ReLU inputs the fixture lists (tools/fixtures/models_resnet.py record_kinks) are within float32
 * noise of the kink: which side they land on depends on summation order, here as in PyTorch, and
 * one flip near c5 moves every upstream gradient by ~1% (a 4% error on single elements of layer1).
 * Before the backward, put our ReLUs on the reference's side there: those elements' outputs are set
 * to the reference input (> 0) or 0. The ReLU calls (relu and batch_norm_relu nodes) are matched by
 * order on the tape. Returns how
 * many were flipped. */
static int force_reference_kinks(ak_ctx *ctx, const ak_safetensors *fx, const char *tag) {
    char key[256];
    snprintf(key, sizeof key, "%s.kinks.relu_calls", tag);
    int64_t calls = (int64_t)ak_fixture_scalar(fx, key);
    ak_tensor **relu = calloc((size_t)calls, sizeof *relu);
    int64_t n_relu = 0;
    for (int64_t i = 0; i < ctx->tape.n; i++) /* a fused batch_norm_(add_)relu's output is its ReLU's */
        if (strcmp(ctx->tape.nodes[i].op, "relu") == 0 || strcmp(ctx->tape.nodes[i].op, "batch_norm_relu") == 0 ||
            strcmp(ctx->tape.nodes[i].op, "batch_norm_add_relu") == 0) {
            ck_assert_int_lt(n_relu, calls);
            relu[n_relu++] = ctx->tape.nodes[i].out;
        }
    ck_assert_msg(n_relu == calls, "%s: %lld ReLU calls on the tape, reference made %lld", tag, (long long)n_relu,
                  (long long)calls);
    snprintf(key, sizeof key, "%s.kinks.value", tag);
    const ak_st_entry *ve = ak_safetensors_find(fx, key);
    ck_assert_ptr_nonnull(ve);
    int64_t k = ve->numel;
    float *val = malloc((size_t)(k ? k : 1) * sizeof *val);
    int64_t *idx = malloc((size_t)(k ? 2 * k : 1) * sizeof *idx);
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_safetensors_read_f32(fx, key, val, k, &err), AK_OK);
    snprintf(key, sizeof key, "%s.kinks.index", tag);
    ck_assert_int_eq(ak_safetensors_read_i64(fx, key, idx, 2 * k, &err), AK_OK);
    int flipped = 0;
    for (int64_t j = 0; j < k; j++) {
        ak_tensor *y = relu[idx[2 * j]];
        ck_assert_int_lt(idx[2 * j + 1], y->numel);
        float *v = &y->data[idx[2 * j + 1]];
        if ((*v > 0.0f) != (val[j] > 0.0f)) {
            *v = val[j] > 0.0f ? val[j] : 0.0f;
            flipped++;
        }
    }
    free(val);
    free(idx);
    free(relu);
    return flipped;
}

static void check_case(const char *tag, int depth, bool deep_stem, bool dilated, bool train) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "models/resnet.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    ak_resnet net;
    ak_resnet_cfg cfg = {depth, 1.0f, deep_stem, dilated, -1, false, false};
    ck_assert_msg(ak_resnet_init(&net, &ps, "backbone", &cfg, 1, &err) == AK_OK, "%s", err.msg);
    ak_init_formula_all(&ps);

    ak_tensor *x = ak_fixture_tensor(&ctx, &fx, "x");
    ak_tensor *c[4];
    ck_assert_msg(ak_resnet_forward(&ctx, &net, x, train, c, NULL) == AK_OK, "%s", ctx.err.msg);
    char name[256];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s.c%d", tag, i + 2);
        ak_assert_digest(name, &fx, name, c[i], c[i]->data, 2e-4);
    }
    ak_tensor *w = ak_tensor_like(&ctx, "w", c[3]);
    ak_init_formula(w, "objective.c5");
    /* 0..1 per case today; many would mean the forward is off, not rounding near the kink. */
    int flipped = force_reference_kinks(&ctx, &fx, tag);
    ck_assert_msg(flipped <= 8, "%s: %d ReLU inputs on the other side of 0 than the reference", tag, flipped);
    ck_assert_msg(ak_backward_from(&ctx, c[3], w->data) == AK_OK, "%s", ctx.err.msg);
    int checked = 0;
    for (int i = 0; i < ps.n; i++) {
        if (!ps.items[i].trainable)
            continue;
        snprintf(name, sizeof name, "%s.grad.%s", tag, ps.items[i].name);
        ak_assert_digest(name, &fx, name, ps.items[i].t, ps.items[i].t->grad, stem_tolerance(ps.items[i].name, 2e-3));
        checked++;
    }
    ck_assert_int_gt(checked, 10);
    if (train)
        for (int i = 0; i < ps.n; i++) {
            const char *n = ps.items[i].name;
            if (strstr(n, "running_var")) {
                snprintf(name, sizeof name, "%s.buffer.%s", tag, n);
                ak_assert_digest(name, &fx, name, ps.items[i].t, ps.items[i].t->data, 1e-5);
            }
        }
    ak_resnet_free(&net);
    ak_params_free(&ps);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}

START_TEST(resnet18_train_matches_torchvision) { check_case("r18_train", 18, false, false, true); }
END_TEST
START_TEST(resnet50_eval_matches_torchvision) { check_case("r50_eval", 50, false, false, false); }
END_TEST
START_TEST(resnet50_d8_eval_matches_torchvision) { check_case("r50d8_eval", 50, false, true, false); }
END_TEST
START_TEST(resnet18_v1c_d8_train_matches_mmseg_definition) { check_case("r18v1cd8_train", 18, true, true, true); }
END_TEST

START_TEST(frozen_stages_and_bad_depth) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    ak_resnet net;
    ak_resnet_cfg bad = {42, 1.0f, false, false, -1, false, false};
    ck_assert_int_eq(ak_resnet_init(&net, &ps, "backbone", &bad, 1, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "42") != NULL, "%s", err.msg);
    ak_resnet_free(&net);
    ak_params_free(&ps);
    ak_params_init(&ps);
    ak_error_clear(&err);
    ak_resnet_cfg cfg = {18, 0.25f, false, false, 1, false, false};
    ck_assert_int_eq(ak_resnet_init(&net, &ps, "backbone", &cfg, 1, &err), AK_OK);
    ck_assert(!ak_params_find(&ps, "backbone.conv1.weight")->trainable);
    ck_assert(!ak_params_find(&ps, "backbone.layer1.1.conv2.weight")->trainable);
    ck_assert(ak_params_find(&ps, "backbone.layer2.0.conv1.weight")->trainable);
    ck_assert_int_eq(net.out_channels[3], 128);
    ak_resnet_free(&net);
    ak_params_free(&ps);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("resnet");
    TCase *tc = tcase_create("parity");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, resnet18_train_matches_torchvision);
    tcase_add_test(tc, resnet50_eval_matches_torchvision);
    tcase_add_test(tc, resnet50_d8_eval_matches_torchvision);
    tcase_add_test(tc, resnet18_v1c_d8_train_matches_mmseg_definition);
    tcase_add_test(tc, frozen_stages_and_bad_depth);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
