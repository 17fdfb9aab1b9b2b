/* Dropout (core/ops/dropout.h): the documented mask rule checked element by element against
 * ak_rng_uniform1, empirical drop rate, exact survivor scaling, backward, finite differences, the
 * channel variant, thread-count independence and argument errors. */
#include <math.h>

#include "core/ops/dropout.h"
#include "core/ops/elementwise.h"
#include "opstest.h"

static ak_rng test_rng(uint64_t call) { return (ak_rng){7, ak_rng_stream(AK_STREAM_DROPOUT, 3, call, 0)}; }

START_TEST(mask_follows_the_rng_rule) {
    const float p = 0.3f, scale = 1.0f / (1.0f - p);
    const int64_t sizes[2] = {10007, 200003}; /* ragged Philox block at the end; serial and threaded */
    for (int s = 0; s < 2; s++) {
        const int64_t n = sizes[s];
        float *xv = malloc(n * sizeof *xv), *dy = malloc(n * sizeof *dy), *res[2][2];
        ak_test_fill_uniform(xv, n, 201, -2, 2);
        ak_test_fill_uniform(dy, n, 202, -1, 1);
        ak_rng rng = test_rng(s);
        for (int t = 0; t < 2; t++) {
            omp_set_num_threads(t + 1);
            ak_ctx ctx;
            ak_ctx_init(&ctx, 0, 0);
            ak_tensor *x = ak_tensor_from(&ctx, 1, &n, xv);
            x->requires_grad = true;
            ak_tensor *y = ak_dropout(&ctx, x, p, rng);
            ck_assert_ptr_nonnull(y);
            ck_assert_int_eq(ak_backward_from(&ctx, y, dy), AK_OK);
            res[t][0] = dup_floats(y->data, n);
            res[t][1] = dup_floats(x->grad, n);
            ak_ctx_free(&ctx);
        }
        omp_set_num_threads(2);
        ak_assert_bitwise("dropout y 1 vs 2 threads", res[0][0], res[1][0], n);
        ak_assert_bitwise("dropout dx 1 vs 2 threads", res[0][1], res[1][1], n);
        int64_t dropped = 0;
        for (int64_t i = 0; i < n; i++) {
            int drop = ak_rng_uniform1(rng, (uint64_t)i) < p; /* THE rule of dropout.h */
            dropped += drop;
            float want = drop ? 0.0f : xv[i] * scale, want_dx = drop ? 0.0f : dy[i] * scale;
            if (memcmp(&res[0][0][i], &want, sizeof want) || memcmp(&res[0][1][i], &want_dx, sizeof want))
                ck_abort_msg("n=%lld element %lld: y %.9g dx %.9g, rule says %.9g %.9g", (long long)n, (long long)i,
                             res[0][0][i], res[0][1][i], want, want_dx);
        }
        double rate = (double)dropped / (double)n, sigma = sqrt(p * (1 - p) / (double)n);
        ck_assert_msg(fabs(rate - p) < 5 * sigma, "drop rate %.5f for p = %.2f (n = %lld)", rate, p, (long long)n);
        for (int t = 0; t < 2; t++) {
            free(res[t][0]);
            free(res[t][1]);
        }
        free(xv);
        free(dy);
    }
}
END_TEST

START_TEST(p_zero_and_one_and_streams) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const int64_t n = 1000;
    float xv[1000], ones[1000];
    ak_test_fill_uniform(xv, n, 211, -2, 2);
    for (int i = 0; i < n; i++)
        ones[i] = 1;
    ak_tensor *x = ak_tensor_from(&ctx, 1, &n, xv);
    x->requires_grad = true;
    ak_tensor *y0 = ak_dropout(&ctx, x, 0.0f, test_rng(0));
    ak_assert_bitwise("p = 0 is the identity", y0->data, xv, n);
    ak_tensor *y1 = ak_dropout(&ctx, x, 1.0f, test_rng(0));
    for (int i = 0; i < n; i++)
        ck_assert_float_eq(y1->data[i], 0.0f);
    ck_assert_int_eq(ak_backward_from(&ctx, y1, ones), AK_OK);
    for (int i = 0; i < n; i++)
        ck_assert_float_eq(x->grad[i], 0.0f);
    /* another stream gives another mask; the same stream the same one */
    ak_tensor *a = ak_dropout(&ctx, x, 0.5f, test_rng(1)), *b = ak_dropout(&ctx, x, 0.5f, test_rng(2)),
              *c = ak_dropout(&ctx, x, 0.5f, test_rng(1));
    ck_assert(memcmp(a->data, b->data, n * sizeof(float)) != 0);
    ak_assert_bitwise("same stream, same mask", a->data, c->data, n);
    /* without a gradient to compute nothing is recorded (and no mask is stored) */
    ak_tensor *z = ak_tensor_from(&ctx, 1, &n, xv);
    int64_t nodes = ctx.tape.n;
    size_t used = ctx.arena.used;
    ak_tensor *yz = ak_dropout(&ctx, z, 0.5f, test_rng(1));
    ck_assert_int_eq(ctx.tape.n, nodes);
    ck_assert_int_le(ctx.arena.used - used, sizeof(ak_tensor) + n * sizeof(float) + 256);
    ak_assert_bitwise("recorded or not, same values", yz->data, a->data, n);
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(channel_dropout_rule) {
    const float p = 0.25f, scale = 1.0f / (1.0f - p);
    const int64_t s[4] = {64, 128, 2, 3}, n = 64 * 128 * 6, C = 128;
    float *xv = malloc(n * sizeof *xv), *dy = malloc(n * sizeof *dy);
    ak_test_fill_uniform(xv, n, 221, -2, 2);
    ak_test_fill_uniform(dy, n, 222, -1, 1);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_tensor *x = ak_tensor_from(&ctx, 4, s, xv);
    x->requires_grad = true;
    ak_rng rng = test_rng(9);
    ak_tensor *y = ak_channel_dropout(&ctx, x, p, rng);
    ck_assert_ptr_nonnull(y);
    ck_assert_int_eq(ak_backward_from(&ctx, y, dy), AK_OK);
    int64_t dropped = 0;
    for (int64_t nn = 0; nn < 64; nn++)
        for (int64_t c = 0; c < C; c++) {
            int drop = ak_rng_uniform1(rng, (uint64_t)(nn * C + c)) < p; /* THE rule for planes */
            dropped += drop;
            for (int64_t j = 0; j < 6; j++) {
                int64_t i = (nn * C + c) * 6 + j;
                float want = drop ? 0.0f : xv[i] * scale, want_dx = drop ? 0.0f : dy[i] * scale;
                if (y->data[i] != want || x->grad[i] != want_dx)
                    ck_abort_msg("plane (%lld,%lld): y %.9g dx %.9g, rule says %.9g %.9g", (long long)nn, (long long)c,
                                 y->data[i], x->grad[i], want, want_dx);
            }
        }
    double rate = (double)dropped / (64.0 * C), sigma = sqrt(p * (1 - p) / (64.0 * C));
    ck_assert_msg(fabs(rate - p) < 5 * sigma, "channel drop rate %.4f for p = %.2f", rate, p);
    ak_ctx_free(&ctx);
    free(xv);
    free(dy);
}
END_TEST

static ak_tensor *drop_chain(ak_ctx *ctx, ak_tensor **in, void *user) {
    (void)user;
    /* dropout(x) * x + channel_dropout(x): the masks are pure functions of the rng, so every
     * finite-difference evaluation sees the same mask */
    ak_tensor *d = ak_dropout(ctx, in[0], 0.4f, test_rng(5));
    return ak_add(ctx, ak_mul(ctx, d, in[0]), ak_channel_dropout(ctx, in[0], 0.5f, test_rng(6)));
}

START_TEST(finite_differences) {
    float x[96];
    ak_test_fill_uniform(x, 96, 231, -2, 2);
    ak_gradcheck_input in = {"x", 4, {2, 4, 3, 4}, x, 1};
    ak_gradcheck("dropout chain", drop_chain, NULL, &in, 1, NULL);
}
END_TEST

START_TEST(errors_name_op_and_argument) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t n = 5;
    ak_tensor *x = ak_tensor_zeros(&ctx, "x", 1, &n);
    ck_assert_ptr_null(ak_dropout(&ctx, x, 1.5f, test_rng(0)));
    assert_error(&ctx, AK_EINVAL, "dropout: p = 1.5", "[0, 1]", NULL);
    ck_assert_ptr_null(ak_dropout(&ctx, x, NAN, test_rng(0)));
    assert_error(&ctx, AK_EINVAL, "dropout: p = nan", NULL);
    ck_assert_ptr_null(ak_channel_dropout(&ctx, x, 0.5f, test_rng(0)));
    assert_error(&ctx, AK_ESHAPE, "channel_dropout", "(5)", NULL);
    ak_ctx_free(&ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("dropout");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, mask_follows_the_rng_rule);
    tcase_add_test(tc, p_zero_and_one_and_streams);
    tcase_add_test(tc, channel_dropout_rule);
    tcase_add_test(tc, finite_differences);
    tcase_add_test(tc, errors_name_op_and_argument);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
