/* Finite-difference checks of composed ops as the models use them: a residual block (conv, batch
 * norm in training mode, ReLU, shared input feeding both the conv and the identity path, max-pool),
 * so that gradient accumulation from several consumers is exercised, not just each op alone. */
#include <math.h>

#include "aktest.h"
#include "core/ops/activation.h"
#include "core/ops/conv2d.h"
#include "core/ops/elementwise.h"
#include "core/ops/norm.h"
#include "core/ops/pool.h"

/* inputs: x (2,4,6,6), w1 (4,4,3,3), w2 (4,4,3,3), g (4), b (4) */
static ak_tensor *block(ak_ctx *ctx, ak_tensor **in, void *user) {
    int variant = *(int *)user;
    ak_conv2d_params p = ak_conv2d_sq(1, 1, 1, 1);
    ak_tensor *x = in[0];
    if (variant == 1) {
        ak_pool2d_params mp = {{3, 3}, {2, 2}, {1, 1}, {1, 1}, false, false};
        x = ak_max_pool2d(ctx, x, &mp);
    }
    ak_tensor *h = ak_relu(ctx, ak_batch_norm(ctx, ak_conv2d(ctx, x, in[1], NULL, &p), in[3], in[4], NULL, NULL,
                                              AK_BN_TRAIN, 0.1f, 1e-5f));
    h = ak_batch_norm(ctx, ak_conv2d(ctx, h, in[2], NULL, &p), in[3], in[4], NULL, NULL, AK_BN_TRAIN, 0.1f, 1e-5f);
    return ak_relu(ctx, ak_add(ctx, h, x));
}

static void run(int variant) {
    static float x[2 * 4 * 6 * 6], w1[144], w2[144], g[4], b[4];
    ak_test_fill_uniform(x, 288, 1, -1, 1);
    ak_test_fill_uniform(w1, 144, 2, -0.5f, 0.5f);
    ak_test_fill_uniform(w2, 144, 3, -0.5f, 0.5f);
    ak_test_fill_uniform(g, 4, 4, 0.5f, 1.5f);
    ak_test_fill_uniform(b, 4, 5, -0.2f, 0.2f);
    ak_gradcheck_input in[5] = {
        {"x", 4, {2, 4, 6, 6}, x, 1}, {"w1", 4, {4, 4, 3, 3}, w1, 1}, {"w2", 4, {4, 4, 3, 3}, w2, 1},
        {"gamma", 1, {4}, g, 1},      {"beta", 1, {4}, b, 1},
    };
    ak_gradcheck_opts o = {1e-3, 2e-2, 2e-3, 96};
    ak_gradcheck(variant ? "maxpool + residual block" : "residual block", block, &variant, in, 5, &o);
}

START_TEST(residual_block_finite_differences) { run(0); }
END_TEST
START_TEST(maxpool_residual_block_finite_differences) { run(1); }
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("block_gradcheck");
    TCase *tc = tcase_create("fd");
    tcase_add_test(tc, residual_block_finite_differences);
    tcase_add_test(tc, maxpool_residual_block_finite_differences);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
