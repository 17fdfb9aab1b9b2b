/* The batched avatar path (ak_distill_loss_ops.forward_multi, used by akd/akd_loss.c for K > 1):
 * MGD's one-generator-pass evaluation of K avatars - spatial masks: first conv one masked
 * convolution of the student for all K masks (core/ops/masked_conv.h); channel masks: the K masked
 * inputs concatenated - equals
 * the per-avatar loop (the same loss with forward_multi switched off) to float rounding: loss,
 * per-avatar losses, logged term, the student's gradient and the generator's gradients, at ~1e-6
 * relative, each avatar keeping its own mask; bitwise identical for 1 and 2 threads; K = 1 never
 * takes it; bad input names the evaluation. */
#include <math.h>

#include "akd_test.h"
#include "baselines/methods.h"
#include "core/params.h"

enum { N = 2, C = 24, H = 13, W = 11, K = 4 };

typedef struct run_out {
    float loss, per[K], term;
    float gs[N * C * H * W];
    float gw[4][C * C * 9];
} run_out;

static const char *const gen[4] = {"generation.0.weight", "generation.0.bias", "generation.2.weight",
                                   "generation.2.bias"};

/* ak_akd_forward with K avatars (dropout 0.2, code, G 2) + backward; batched or the loop. */
static void run(ak_params *ps, ak_distill_loss *mgd, bool batched, int k_avatars, run_out *o) {
    ak_distill_loss_ops ops = *mgd->ops;
    if (!batched)
        ops.forward_multi = NULL;
    ak_distill_loss l = *mgd;
    l.ops = &ops;
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const int64_t shape[4] = {N, C, H, W};
    ak_tensor *s = ak_tensor_new(&ctx, "s", 4, shape), *t = ak_tensor_new(&ctx, "t", 4, shape);
    ak_test_fill_uniform(s->data, s->numel, 3, -1.5f, 2.0f);
    ak_test_fill_uniform(t->data, t->numel, 4, -1.0f, 3.0f);
    s->requires_grad = true;
    ak_params_zero_grad(ps);
    ak_akd_opts ao = ak_akd_opts_default();
    ao.num_avatars = k_avatars;
    ao.rate = 0.2f;
    ak_akd_tap_stats st;
    ak_distill_inputs in = {s, t, NULL, 9, ak_akd_loss_rng(5, 9, 2, 0)};
    ak_tensor *L = ak_akd_forward(&ctx, &ao, &l, &in, 2, &st);
    ck_assert_msg(L != NULL, "%s", ctx.err.msg);
    ck_assert_int_eq(ak_backward(&ctx, L), AK_OK);
    o->loss = L->data[0];
    for (int k = 0; k < k_avatars; k++)
        o->per[k] = st.loss[k];
    o->term = l.term_values[0];
    memcpy(o->gs, ak_grad_of(&ctx, s), sizeof o->gs);
    for (int i = 0; i < 4; i++) {
        ak_tensor *p = *ak_distill_loss_param_slot(&l, gen[i]);
        memcpy(o->gw[i], p->grad, (size_t)p->numel * sizeof(float));
    }
    ak_ctx_free(&ctx);
}

static ak_distill_loss *make_mgd(ak_params *ps, int mask) {
    ak_error err;
    ak_error_clear(&err);
    ak_mgd_opts mo = {1.5f, 2e-3f, 0.65f, mask, C, false, 17};
    ak_distill_loss *l = ak_mgd_loss_create("neck.p4", &mo, ps, &err);
    ck_assert_msg(l != NULL, "%s", err.msg);
    ck_assert_ptr_nonnull(l->ops->forward_multi);
    return l;
}

START_TEST(batched_equals_the_loop) {
    const int mask = _i; /* 0 spatial (per-tap products), 1 channel (concatenated inputs) */
    ak_params ps;
    ak_params_init(&ps);
    ak_distill_loss *l = make_mgd(&ps, mask);
    static run_out a, b;
    run(&ps, l, true, K, &a);
    run(&ps, l, false, K, &b);
    ck_assert_msg(fabsf(a.loss - b.loss) <= 1e-6f * fabsf(b.loss), "loss %.9g batched, %.9g loop", a.loss, b.loss);
    ak_assert_close("per-avatar losses", a.per, b.per, K, 1e-6, 0);
    ck_assert_msg(fabsf(a.term - b.term) <= 1e-6f * fabsf(b.term), "term %.9g vs %.9g", a.term, b.term);
    ak_assert_close("student gradient", a.gs, b.gs, N * C * H * W, 1e-5, 1e-7);
    const int64_t n[4] = {C * C * 9, C, C * C * 9, C};
    for (int i = 0; i < 4; i++)
        ak_assert_close(gen[i], a.gw[i], b.gw[i], n[i], 1e-5, 1e-7);
    /* the avatars keep their own masks: four different losses */
    for (int k = 1; k < K; k++)
        ck_assert_msg(a.per[k] != a.per[0], "avatar %d loss equals avatar 0's", k);
    ak_distill_loss_destroy(l);
    ak_params_free(&ps);
}
END_TEST

START_TEST(batched_is_thread_count_independent) {
    ak_params ps;
    ak_params_init(&ps);
    ak_distill_loss *l = make_mgd(&ps, _i);
    static run_out a, b;
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    run(&ps, l, true, K, &a);
    omp_set_num_threads(2);
    run(&ps, l, true, K, &b);
    omp_set_num_threads(saved);
    ck_assert(a.loss == b.loss);
    ak_assert_bitwise("student gradient 1 vs 2 threads", a.gs, b.gs, N * C * H * W);
    for (int i = 0; i < 4; i++)
        ak_assert_bitwise(gen[i], a.gw[i], b.gw[i], i % 2 ? C : C * C * 9);
    ak_distill_loss_destroy(l);
    ak_params_free(&ps);
}
END_TEST

/* K = 1 takes forward (the batched path would be the same numbers anyway: here it must not run). */
static int refuse_multi(ak_ctx *ctx, ak_distill_loss *self, const ak_distill_inputs *in, int k, ak_tensor **out) {
    (void)self;
    (void)in;
    (void)k;
    (void)out;
    return ak_error_set(&ctx->err, AK_EINVAL, "forward_multi called");
}

START_TEST(k1_never_batches) {
    ak_params ps;
    ak_params_init(&ps);
    ak_distill_loss *l = make_mgd(&ps, 0);
    static run_out a, b;
    const ak_distill_loss_ops *orig = l->ops;
    ak_distill_loss_ops ops = *orig;
    ops.forward_multi = refuse_multi;
    l->ops = &ops;
    run(&ps, l, true, 1, &a);
    l->ops = orig;
    run(&ps, l, false, 1, &b);
    ck_assert(a.loss == b.loss);
    ak_assert_bitwise("K = 1 student gradient", a.gs, b.gs, N * C * H * W);
    ak_distill_loss_destroy(l);
    ak_params_free(&ps);
}
END_TEST

START_TEST(bad_input_names_the_evaluation) {
    ak_params ps;
    ak_params_init(&ps);
    ak_distill_loss *l = make_mgd(&ps, 0);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    const int64_t s1[4] = {N, C, H, W}, s2[4] = {N, C, H, W + 1};
    ak_tensor *a = ak_tensor_zeros(&ctx, "a", 4, s1), *b = ak_tensor_zeros(&ctx, "b", 4, s2);
    ak_distill_inputs in[2] = {{a, a, NULL, 0, ak_akd_loss_rng(1, 0, 0, 0)},
                               {b, b, NULL, 0, ak_akd_loss_rng(1, 0, 0, 1)}};
    ak_tensor *out[2];
    ck_assert_int_eq(l->ops->forward_multi(&ctx, l, in, 2, out), AK_ESHAPE);
    assert_error(&ctx, AK_ESHAPE, "mgd", "neck.p4", "evaluation 1", NULL);
    ck_assert_int_eq(l->ops->forward_multi(&ctx, l, in, 0, out), AK_EINVAL);
    assert_error(&ctx, AK_EINVAL, "0 evaluations", NULL);
    const int64_t s3[4] = {N, C + 1, H, W};
    ak_tensor *c = ak_tensor_zeros(&ctx, "c", 4, s3);
    in[1] = (ak_distill_inputs){c, c, NULL, 0, ak_akd_loss_rng(1, 0, 0, 1)};
    ck_assert_int_eq(l->ops->forward_multi(&ctx, l, in, 2, out), AK_ESHAPE);
    assert_error(&ctx, AK_ESHAPE, "generator was built for 24", NULL);
    ak_ctx_free(&ctx);
    ak_distill_loss_destroy(l);
    ak_params_free(&ps);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("akd_batched");
    TCase *tc = tcase_create("mgd");
    tcase_add_loop_test(tc, batched_equals_the_loop, 0, 2);
    tcase_add_loop_test(tc, batched_is_thread_count_independent, 0, 2);
    tcase_add_test(tc, k1_never_batches);
    tcase_add_test(tc, bad_input_names_the_evaluation);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
