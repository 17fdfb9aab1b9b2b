/* The fused losses (core/ops/loss.h) and box IoU (core/box.h): values and gradients against
 * PyTorch / torchvision fixtures (float64 references, tools/fixtures/engine_loss.py), central finite
 * differences, error paths, the finite-value check and thread-count determinism. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aktest.h"
#include "core/box.h"
#include "core/ops/loss.h"

/* ---- fixture helpers ---- */

static const char *key(char *buf, const char *fam, int k, const char *field) {
    snprintf(buf, 128, "%s.%d.%s", fam, k, field);
    return buf;
}
static bool fx_has(const ak_safetensors *st, const char *fam, int k, const char *field) {
    char b[128];
    return ak_safetensors_find(st, key(b, fam, k, field)) != NULL;
}
static ak_tensor *fx_t(ak_ctx *ctx, const ak_safetensors *st, const char *fam, int k, const char *field) {
    char b[128];
    return ak_fixture_tensor(ctx, st, key(b, fam, k, field));
}
static double fx_s(const ak_safetensors *st, const char *fam, int k, const char *field) {
    char b[128];
    return ak_fixture_scalar(st, key(b, fam, k, field));
}
static int fx_count(const ak_safetensors *st, const char *fam) {
    char b[128];
    snprintf(b, sizeof b, "%s.count", fam);
    return (int)ak_fixture_scalar(st, b);
}
static ak_loss_opts fx_opts(ak_ctx *ctx, const ak_safetensors *st, const char *fam, int k) {
    ak_loss_opts o = {(ak_reduction)fx_s(st, fam, k, "reduction"), fx_s(st, fam, k, "has_avg") != 0,
                      fx_s(st, fam, k, "avg"), NULL};
    if (fx_has(st, fam, k, "w"))
        o.weight = fx_t(ctx, st, fam, k, "w");
    return o;
}

/* Compare out and backward-from-dy gradients with the fixture; rtol scaled to float32. */
static void check_out(const char *what, ak_ctx *ctx, ak_tensor *out, const ak_safetensors *st, const char *fam,
                      int k) {
    ck_assert_msg(out != NULL, "%s: %s", what, ctx->err.msg);
    ak_tensor *want = fx_t(ctx, st, fam, k, "out");
    ck_assert_msg(want->numel == out->numel, "%s: %lld outputs, want %lld", what, (long long)out->numel,
                  (long long)want->numel);
    ak_assert_close(what, out->data, want->data, out->numel, 2e-6, 2e-7);
}

static void check_grad(const char *what, const ak_tensor *t, const ak_tensor *want) {
    float *g = t->grad;
    float *zeros = NULL;
    if (!g) { /* no gradient reached: must be all zero */
        zeros = calloc((size_t)(t->numel > 0 ? t->numel : 1), sizeof *zeros);
        g = zeros;
    }
    ak_assert_close(what, g, want->data, t->numel, 2e-6, 2e-7);
    free(zeros);
}

static void backward_dy(ak_ctx *ctx, ak_tensor *out, const ak_safetensors *st, const char *fam, int k) {
    ak_tensor *dy = fx_t(ctx, st, fam, k, "dy");
    if (out->numel == 0)
        return;
    ck_assert_msg(ak_backward_from(ctx, out, dy->data) == AK_OK, "%s.%d backward: %s", fam, k, ctx->err.msg);
}

/* ---- cross-entropy ---- */

static int32_t *fx_labels(ak_ctx *ctx, const ak_safetensors *st, int k) {
    ak_tensor *yf = fx_t(ctx, st, "ce", k, "y");
    int32_t *y = ak_scratch(ctx, "labels", (size_t)(yf->numel > 0 ? yf->numel : 1) * sizeof *y);
    for (int64_t i = 0; i < yf->numel; i++)
        y[i] = (int32_t)yf->data[i];
    return y;
}

START_TEST(cross_entropy_matches_torch) {
    ak_safetensors st;
    ak_fixture_open(&st, "engine/loss_ce.safetensors");
    int n = fx_count(&st, "ce");
    ck_assert_int_ge(n, 9);
    for (int k = 0; k < n; k++) {
        ak_ctx ctx;
        ak_ctx_init(&ctx, 0, 0);
        ak_tensor *x = fx_t(&ctx, &st, "ce", k, "x");
        x->requires_grad = true;
        int32_t *y = fx_labels(&ctx, &st, k);
        ak_ce_opts o = ak_ce_defaults();
        o.reduction = (ak_reduction)fx_s(&st, "ce", k, "reduction");
        o.has_avg_factor = fx_s(&st, "ce", k, "has_avg") != 0;
        o.avg_factor = fx_s(&st, "ce", k, "avg");
        if (fx_has(&st, "ce", k, "cw"))
            o.class_weight = fx_t(&ctx, &st, "ce", k, "cw")->data;
        char what[64];
        snprintf(what, sizeof what, "ce.%d out", k);
        ak_tensor *out = ak_cross_entropy(&ctx, x, y, &o);
        check_out(what, &ctx, out, &st, "ce", k);
        backward_dy(&ctx, out, &st, "ce", k);
        snprintf(what, sizeof what, "ce.%d dx", k);
        check_grad(what, x, fx_t(&ctx, &st, "ce", k, "dx"));
        ak_ctx_free(&ctx);
    }
    ak_safetensors_close(&st);
}
END_TEST

/* ---- element-wise losses: focal, bce, l1, smooth l1 ---- */

static void run_elt_family(const char *file, const char *fam) {
    ak_safetensors st;
    ak_fixture_open(&st, file);
    int n = fx_count(&st, fam);
    ck_assert_int_ge(n, 4);
    bool logits = strcmp(fam, "focal") == 0 || strcmp(fam, "bce") == 0;
    for (int k = 0; k < n; k++) {
        ak_ctx ctx;
        ak_ctx_init(&ctx, 0, 0);
        ak_tensor *x = fx_t(&ctx, &st, fam, k, logits ? "x" : "p");
        ak_tensor *t = fx_t(&ctx, &st, fam, k, "t");
        x->requires_grad = true;
        bool tgrad = fx_has(&st, fam, k, "tgrad") && fx_s(&st, fam, k, "tgrad") != 0;
        t->requires_grad = tgrad;
        ak_loss_opts o = fx_opts(&ctx, &st, fam, k);
        ak_tensor *out = NULL;
        if (strcmp(fam, "focal") == 0)
            out = ak_sigmoid_focal_loss(&ctx, x, t, (float)fx_s(&st, fam, k, "alpha"), (float)fx_s(&st, fam, k, "gamma"),
                                        &o);
        else if (strcmp(fam, "bce") == 0)
            out = ak_bce_with_logits(&ctx, x, t, &o);
        else if (strcmp(fam, "l1") == 0)
            out = ak_l1_loss(&ctx, x, t, &o);
        else
            out = ak_smooth_l1_loss(&ctx, x, t, (float)fx_s(&st, fam, k, "beta"), &o);
        char what[64];
        snprintf(what, sizeof what, "%s.%d out", fam, k);
        check_out(what, &ctx, out, &st, fam, k);
        backward_dy(&ctx, out, &st, fam, k);
        snprintf(what, sizeof what, "%s.%d d%s", fam, k, logits ? "x" : "p");
        check_grad(what, x, fx_t(&ctx, &st, fam, k, logits ? "dx" : "dp"));
        if (tgrad) {
            snprintf(what, sizeof what, "%s.%d dt", fam, k);
            check_grad(what, t, fx_t(&ctx, &st, fam, k, "dt"));
        }
        ak_ctx_free(&ctx);
    }
    ak_safetensors_close(&st);
}

START_TEST(focal_matches_torchvision) { run_elt_family("engine/loss_sigmoid.safetensors", "focal"); }
END_TEST
START_TEST(bce_matches_torch) { run_elt_family("engine/loss_sigmoid.safetensors", "bce"); }
END_TEST
START_TEST(l1_matches_torch) { run_elt_family("engine/loss_reg.safetensors", "l1"); }
END_TEST
START_TEST(smooth_l1_matches_torch) { run_elt_family("engine/loss_reg.safetensors", "sl1"); }
END_TEST

/* ---- boxes ---- */

static void run_box_family(const char *fam) {
    ak_safetensors st;
    ak_fixture_open(&st, "engine/loss_box.safetensors");
    int n = fx_count(&st, fam);
    ck_assert_int_ge(n, 5);
    for (int k = 0; k < n; k++) {
        ak_ctx ctx;
        ak_ctx_init(&ctx, 0, 0);
        ak_tensor *p = fx_t(&ctx, &st, fam, k, "p"), *t = fx_t(&ctx, &st, fam, k, "t");
        p->requires_grad = true;
        ak_loss_opts o = fx_opts(&ctx, &st, fam, k);
        float eps = (float)fx_s(&st, fam, k, "eps");
        ak_tensor *out = strcmp(fam, "iou") == 0
                             ? ak_iou_loss(&ctx, p, t, (ak_iou_mode)fx_s(&st, fam, k, "mode"), eps, &o)
                             : ak_giou_loss(&ctx, p, t, eps, &o);
        char what[64];
        snprintf(what, sizeof what, "%s.%d out", fam, k);
        check_out(what, &ctx, out, &st, fam, k);
        backward_dy(&ctx, out, &st, fam, k);
        snprintf(what, sizeof what, "%s.%d dp", fam, k);
        check_grad(what, p, fx_t(&ctx, &st, fam, k, "dp"));
        ak_ctx_free(&ctx);
    }
    ak_safetensors_close(&st);
}

START_TEST(iou_loss_matches_mmdet_formula) { run_box_family("iou"); }
END_TEST
START_TEST(giou_loss_matches_torchvision) { run_box_family("giou"); }
END_TEST

START_TEST(box_iou_matches_torchvision_and_mmdet) {
    ak_safetensors st;
    ak_fixture_open(&st, "engine/loss_box.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_tensor *a = ak_fixture_tensor(&ctx, &st, "box_iou.a"), *b = ak_fixture_tensor(&ctx, &st, "box_iou.b");
    ak_tensor *tv = ak_fixture_tensor(&ctx, &st, "box_iou.tv"), *mm = ak_fixture_tensor(&ctx, &st, "box_iou.mmdet");
    int64_t na = a->shape[0], nb = b->shape[0];
    float *out = malloc((size_t)(na * nb) * sizeof *out);
    ak_box_iou(out, a->data, na, b->data, nb, 0.0f);
    /* same float operations in the same order: bitwise, including the NaN of two empty boxes */
    ak_assert_close("box_iou (torchvision)", out, tv->data, na * nb, 0.0, 0.0);
    ck_assert(isnan(out[na * nb - 1]));
    ak_box_iou(out, a->data, na, b->data, nb, 1e-6f);
    ak_assert_close("box_iou (mmdet eps)", out, mm->data, na * nb, 0.0, 0.0);
    ck_assert_float_eq(out[na * nb - 1], 0.0f);
    ak_box_iou(out, a->data, 0, b->data, nb, 0.0f); /* empty sets are fine */
    free(out);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&st);
}
END_TEST

/* ---- finite differences (double-precision objective in ak_gradcheck) ---- */

typedef struct fd_case {
    int which;
    ak_reduction red;
    float a, b;
    const int32_t *labels;
    const float *cw;
} fd_case;

static ak_tensor *fd_fn(ak_ctx *ctx, ak_tensor **in, void *user) {
    const fd_case *c = user;
    ak_loss_opts o = {c->red, false, 0.0, NULL};
    switch (c->which) {
    case 0: {
        ak_ce_opts co = ak_ce_defaults();
        co.reduction = c->red;
        co.class_weight = c->cw;
        return ak_cross_entropy(ctx, in[0], c->labels, &co);
    }
    case 1: return ak_sigmoid_focal_loss(ctx, in[0], in[1], c->a, c->b, &o);
    case 2: return ak_bce_with_logits(ctx, in[0], in[1], &o);
    case 3: return ak_l1_loss(ctx, in[0], in[1], &o);
    case 4: return ak_smooth_l1_loss(ctx, in[0], in[1], c->a, &o);
    case 5: return ak_iou_loss(ctx, in[0], in[1], (ak_iou_mode)(int)c->a, 1e-6f, &o);
    default: return ak_giou_loss(ctx, in[0], in[1], 1e-7f, &o);
    }
}

START_TEST(cross_entropy_finite_differences) {
    enum { N = 2, C = 5, H = 3, W = 4 };
    float x[N * C * H * W];
    ak_test_fill_uniform(x, N * C * H * W, 11, -3, 3);
    int32_t y[N * H * W];
    for (int i = 0; i < N * H * W; i++)
        y[i] = i % 7 == 3 ? 255 : (i * 3) % C;
    float cw[C] = {0.5f, 1.0f, 2.0f, 1.5f, 0.8f};
    ak_reduction reds[3] = {AK_REDUCE_MEAN, AK_REDUCE_SUM, AK_REDUCE_NONE};
    for (int r = 0; r < 3; r++) {
        fd_case c = {0, reds[r], 0, 0, y, r == 0 ? cw : NULL};
        ak_gradcheck_input in = {"logits", 4, {N, C, H, W}, x, 1};
        ak_gradcheck("cross_entropy", fd_fn, &c, &in, 1, NULL);
    }
}
END_TEST

START_TEST(sigmoid_losses_finite_differences) {
    enum { M = 6, K = 4 };
    float x[M * K], t[M * K], ts[M * K];
    ak_test_fill_uniform(x, M * K, 12, -4, 4);
    ak_test_fill_uniform(ts, M * K, 14, 0, 1);
    for (int i = 0; i < M * K; i++)
        t[i] = i % 3 == 0 ? 1.0f : 0.0f;
    ak_reduction reds[3] = {AK_REDUCE_MEAN, AK_REDUCE_SUM, AK_REDUCE_NONE};
    for (int r = 0; r < 3; r++) {
        fd_case focal = {1, reds[r], 0.25f, 2.0f, NULL, NULL};
        ak_gradcheck_input in[2] = {{"logits", 2, {M, K}, x, 1}, {"targets", 2, {M, K}, t, 0}};
        ak_gradcheck("focal", fd_fn, &focal, in, 2, NULL);
        fd_case focal_soft = {1, reds[r], -1.0f, 1.5f, NULL, NULL};
        in[1].data = ts;
        ak_gradcheck("focal (soft targets, gamma 1.5)", fd_fn, &focal_soft, in, 2, NULL);
        fd_case bce = {2, reds[r], 0, 0, NULL, NULL};
        in[1].check = 1; /* BCE also differentiates the (soft) targets */
        ak_gradcheck("bce", fd_fn, &bce, in, 2, NULL);
    }
}
END_TEST

START_TEST(regression_losses_finite_differences) {
    enum { M = 5, K = 4 };
    float p[M * K], t[M * K];
    ak_test_fill_uniform(p, M * K, 21, -2, 2);
    ak_test_fill_uniform(t, M * K, 22, -2, 2);
    for (int i = 0; i < M * K; i++) {
        float d = fabsf(p[i] - t[i]);
        if (d < 0.05f || fabsf(d - 0.5f) < 0.05f) /* keep away from the kinks at 0 and beta */
            t[i] = p[i] + 0.3f;
    }
    ak_reduction reds[3] = {AK_REDUCE_MEAN, AK_REDUCE_SUM, AK_REDUCE_NONE};
    for (int r = 0; r < 3; r++) {
        ak_gradcheck_input in[2] = {{"pred", 2, {M, K}, p, 1}, {"target", 2, {M, K}, t, 1}};
        fd_case l1 = {3, reds[r], 0, 0, NULL, NULL}, sl1 = {4, reds[r], 0.5f, 0, NULL, NULL};
        ak_gradcheck("l1", fd_fn, &l1, in, 2, NULL);
        ak_gradcheck("smooth_l1", fd_fn, &sl1, in, 2, NULL);
    }
}
END_TEST

START_TEST(box_losses_finite_differences) {
    /* overlapping, disjoint and contained pairs, every coordinate >= 0.1 away from a tie */
    float p[5 * 4] = {1, 1, 5, 6, 0, 0, 2, 2, 2, 2, 9, 8, 3, 1, 7, 4, 0.5f, 0.5f, 4.5f, 3.5f};
    float t[5 * 4] = {2, 0.5f, 6, 5, 5, 5, 8, 9, 3, 3, 6, 7, 2.5f, 2, 8, 6, 1, 1.2f, 3.9f, 2.7f};
    ak_reduction reds[3] = {AK_REDUCE_MEAN, AK_REDUCE_SUM, AK_REDUCE_NONE};
    for (int r = 0; r < 3; r++) {
        ak_gradcheck_input in[2] = {{"pred", 2, {5, 4}, p, 1}, {"target", 2, {5, 4}, t, 0}};
        for (int mode = 0; mode < 3; mode++) {
            fd_case iou = {5, reds[r], (float)mode, 0, NULL, NULL};
            ak_gradcheck("iou_loss", fd_fn, &iou, in, 2, NULL);
        }
        fd_case giou = {6, reds[r], 0, 0, NULL, NULL};
        ak_gradcheck("giou_loss", fd_fn, &giou, in, 2, NULL);
    }
}
END_TEST

/* ---- errors ---- */

#define EXPECT_ERR(ctx, want_code, needle)                                                                  \
    do {                                                                                                   \
        ck_assert_msg((ctx)->err.code == (want_code), "expected code %d, got %d: %s", (want_code),          \
                      (ctx)->err.code, (ctx)->err.msg);                                                    \
        ck_assert_msg(strstr((ctx)->err.msg, (needle)) != NULL, "message lacks '%s': %s", (needle),         \
                      (ctx)->err.msg);                                                                     \
        ak_ctx_clear_error(ctx);                                                                           \
    } while (0)

START_TEST(cross_entropy_label_errors_name_value_and_position) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t shape[4] = {2, 3, 2, 4};
    ak_tensor *x = ak_tensor_zeros(&ctx, "x", 4, shape);
    int32_t y[16];
    for (int i = 0; i < 16; i++)
        y[i] = i % 3;
    y[5] = 255;     /* ignored: fine */
    y[13] = 3;      /* n=1, h=1, w=1: out of range */
    ck_assert_ptr_null(ak_cross_entropy(&ctx, x, y, NULL));
    EXPECT_ERR(&ctx, AK_ERANGE, "label 3 at (n=1, h=1, w=1)");
    y[13] = -1;
    ck_assert_ptr_null(ak_cross_entropy(&ctx, x, y, NULL));
    EXPECT_ERR(&ctx, AK_ERANGE, "label -1");
    y[13] = 0;
    ak_ce_opts o = ak_ce_defaults();
    o.ignore_index = -100; /* now 255 is a real, out-of-range label */
    ck_assert_ptr_null(ak_cross_entropy(&ctx, x, y, &o));
    EXPECT_ERR(&ctx, AK_ERANGE, "label 255 at (n=0, h=1, w=1)");
    ck_assert_ptr_null(ak_cross_entropy(&ctx, x, NULL, NULL));
    EXPECT_ERR(&ctx, AK_EINVAL, "labels are NULL");
    int64_t s1[1] = {4};
    ck_assert_ptr_null(ak_cross_entropy(&ctx, ak_tensor_zeros(&ctx, "x1", 1, s1), y, NULL));
    EXPECT_ERR(&ctx, AK_ESHAPE, "(N,C,...)");
    o = ak_ce_defaults();
    o.reduction = AK_REDUCE_SUM;
    o.has_avg_factor = true;
    ck_assert_ptr_null(ak_cross_entropy(&ctx, x, y, &o));
    EXPECT_ERR(&ctx, AK_EINVAL, "avg_factor can not be used with reduction sum");
    o = ak_ce_defaults();
    o.reduction = (ak_reduction)7;
    ck_assert_ptr_null(ak_cross_entropy(&ctx, x, y, &o));
    EXPECT_ERR(&ctx, AK_EINVAL, "unknown reduction 7");
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(loss_argument_errors) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t s34[2] = {3, 4}, s35[2] = {3, 5}, s3[1] = {3}, s4[1] = {4}, s33[2] = {3, 3};
    ak_tensor *a = ak_tensor_zeros(&ctx, "a", 2, s34), *b = ak_tensor_zeros(&ctx, "b", 2, s35);
    ak_tensor *c = ak_tensor_zeros(&ctx, "c", 2, s34);
    ck_assert_ptr_null(ak_l1_loss(&ctx, a, b, NULL));
    EXPECT_ERR(&ctx, AK_ESHAPE, "l1_loss: pred (3,4) and target (3,5)");
    ck_assert_ptr_null(ak_sigmoid_focal_loss(&ctx, a, b, 0.25f, 2.0f, NULL));
    EXPECT_ERR(&ctx, AK_ESHAPE, "sigmoid_focal_loss: logits (3,4) and targets (3,5)");
    /* per-row (3) and per-element (3,4) weights are accepted; (4) is not */
    ak_loss_opts o = {AK_REDUCE_SUM, false, 0, ak_tensor_zeros(&ctx, "w", 1, s3)};
    ck_assert_ptr_nonnull(ak_bce_with_logits(&ctx, a, c, &o));
    o.weight = ak_tensor_zeros(&ctx, "w4", 1, s4);
    ck_assert_ptr_null(ak_bce_with_logits(&ctx, a, c, &o));
    EXPECT_ERR(&ctx, AK_ESHAPE, "weight (4) must have the loss shape (3,4)");
    o.weight = ak_tensor_zeros(&ctx, "w", 2, s34);
    o.weight->requires_grad = true;
    ck_assert_ptr_null(ak_l1_loss(&ctx, a, c, &o));
    EXPECT_ERR(&ctx, AK_EUNSUP, "loss weights are constants");
    c->requires_grad = true;
    ck_assert_ptr_null(ak_sigmoid_focal_loss(&ctx, a, c, 0.25f, 2.0f, NULL));
    EXPECT_ERR(&ctx, AK_EUNSUP, "focal-loss targets are constants");
    c->requires_grad = false;
    ck_assert_ptr_null(ak_sigmoid_focal_loss(&ctx, a, c, 0.25f, -1.0f, NULL));
    EXPECT_ERR(&ctx, AK_EINVAL, "gamma must be finite and >= 0");
    ck_assert_ptr_null(ak_smooth_l1_loss(&ctx, a, c, -0.5f, NULL));
    EXPECT_ERR(&ctx, AK_EINVAL, "beta must be finite and >= 0, got -0.5");
    ak_loss_opts avg = {AK_REDUCE_MEAN, true, -2.0, NULL};
    ck_assert_ptr_null(ak_l1_loss(&ctx, a, c, &avg));
    EXPECT_ERR(&ctx, AK_EINVAL, "avg_factor must be finite and >= 0, got -2");
    /* boxes must be (M,4) */
    ak_tensor *p3 = ak_tensor_zeros(&ctx, "p", 2, s33), *t3 = ak_tensor_zeros(&ctx, "t", 2, s33);
    ck_assert_ptr_null(ak_giou_loss(&ctx, p3, t3, 1e-7f, NULL));
    EXPECT_ERR(&ctx, AK_ESHAPE, "giou_loss: boxes must be (M,4) x1,y1,x2,y2, got (3,3)");
    ak_tensor *bt = ak_tensor_zeros(&ctx, "bt", 2, s34);
    bt->requires_grad = true;
    ck_assert_ptr_null(ak_iou_loss(&ctx, a, bt, AK_IOU_LOG, 1e-6f, NULL));
    EXPECT_ERR(&ctx, AK_EUNSUP, "target boxes require a gradient");
    ck_assert_ptr_null(ak_iou_loss(&ctx, a, c, AK_IOU_LOG, 0.0f, NULL));
    EXPECT_ERR(&ctx, AK_EINVAL, "log mode needs eps > 0");
    ck_assert_ptr_null(ak_iou_loss(&ctx, a, c, (ak_iou_mode)9, 1e-6f, NULL));
    EXPECT_ERR(&ctx, AK_EINVAL, "unknown mode 9");
    /* NULL inputs propagate without a new error; a pending error stops every loss */
    ck_assert_ptr_null(ak_l1_loss(&ctx, NULL, c, NULL));
    ck_assert_int_eq(ctx.err.code, AK_OK);
    ak_error_set(&ctx.err, AK_ENOMEM, "earlier failure");
    ck_assert_ptr_null(ak_l1_loss(&ctx, a, c, NULL));
    ck_assert_str_eq(ctx.err.msg, "earlier failure");
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(arena_exhaustion_in_a_loss_is_an_error) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 64 * 1024);
    int64_t shape[4] = {1, 4, 64, 64}; /* the labels and logsumexp copies do not fit */
    ak_tensor *x = ak_tensor_zeros(&ctx, "x", 4, shape);
    ck_assert_ptr_null(x); /* 64 KiB for the logits alone: the arena refuses */
    EXPECT_ERR(&ctx, AK_ENOMEM, "activation arena exhausted");
    ak_ctx_reset(&ctx);
    int64_t small[4] = {1, 4, 60, 60};
    x = ak_tensor_zeros(&ctx, "x", 4, small);
    ck_assert_ptr_nonnull(x);
    int32_t *y = calloc(3600, sizeof *y);
    ck_assert_ptr_null(ak_cross_entropy(&ctx, x, y, NULL));
    EXPECT_ERR(&ctx, AK_ENOMEM, "cross_entropy");
    free(y);
    ak_ctx_free(&ctx);
}
END_TEST

/* ---- the finite check ---- */

START_TEST(check_finite_names_the_term) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t shape[4] = {1, 3, 2, 2};
    ak_tensor *x = ak_tensor_zeros(&ctx, "x", 4, shape);
    int32_t all_ignored[4] = {255, 255, 255, 255}, fine[4] = {0, 1, 2, 0};
    ak_tensor *ok = ak_cross_entropy(&ctx, x, fine, NULL);
    ck_assert_int_eq(ak_check_finite(&ctx, ok, "loss_seg"), AK_OK);
    ck_assert_float_eq_tol(ok->data[0], logf(3.0f), 1e-6);
    /* PyTorch's mean over zero non-ignored pixels is 0/0 = NaN; the check turns it into an error */
    ak_tensor *nan_loss = ak_cross_entropy(&ctx, x, all_ignored, NULL);
    ck_assert_ptr_nonnull(nan_loss);
    ck_assert(isnan(nan_loss->data[0]));
    ck_assert_int_eq(ak_check_finite(&ctx, nan_loss, "loss_seg"), AK_ENAN);
    EXPECT_ERR(&ctx, AK_ENAN, "loss 'loss_seg' is not finite: nan at index 0 of ()");
    /* inf inside a NONE-reduced map: index and shape */
    int64_t s[2] = {2, 3};
    float v[6] = {0, 1, 2, 3, INFINITY, 5};
    ak_tensor *m = ak_tensor_from(&ctx, 2, s, v);
    ck_assert_int_eq(ak_check_finite(&ctx, m, "loss_bbox"), AK_ENAN);
    EXPECT_ERR(&ctx, AK_ENAN, "loss 'loss_bbox' is not finite: inf at index 4 of (2,3)");
    /* NULL after a failed op: the op's error is kept */
    ck_assert_int_eq(ak_check_finite(&ctx, NULL, "loss_cls"), AK_EINVAL);
    EXPECT_ERR(&ctx, AK_EINVAL, "loss 'loss_cls' is NULL");
    ak_error_set(&ctx.err, AK_ESHAPE, "focal: bad shapes");
    ck_assert_int_eq(ak_check_finite(&ctx, NULL, "loss_cls"), AK_ESHAPE);
    ak_ctx_free(&ctx);
}
END_TEST

START_TEST(labels_from_u8_and_reductions_agree) {
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t shape[4] = {2, 4, 3, 5};
    enum { NX = 2 * 4 * 3 * 5, NY = 2 * 3 * 5 };
    float xv[NX];
    ak_test_fill_uniform(xv, NX, 31, -2, 2);
    uint8_t y8[NY];
    for (int i = 0; i < NY; i++)
        y8[i] = i % 5 == 0 ? 255 : (uint8_t)(i % 4);
    int32_t *y = ak_labels_from_u8(&ctx, y8, NY);
    ck_assert_int_eq(y[0], 255);
    ck_assert_int_eq(y[3], 3);
    ak_tensor *x = ak_tensor_from(&ctx, 4, shape, xv);
    ak_ce_opts o = ak_ce_defaults();
    o.reduction = AK_REDUCE_NONE;
    ak_tensor *none = ak_cross_entropy(&ctx, x, y, &o);
    o.reduction = AK_REDUCE_SUM;
    ak_tensor *sum = ak_cross_entropy(&ctx, x, y, &o);
    o.reduction = AK_REDUCE_MEAN;
    ak_tensor *mean = ak_cross_entropy(&ctx, x, y, &o);
    o.has_avg_factor = true;
    o.avg_factor = NY; /* mmseg's default: divide by every pixel */
    ak_tensor *mean_all = ak_cross_entropy(&ctx, x, y, &o);
    ck_assert_int_eq(none->ndim, 3);
    double s = 0;
    int valid = 0;
    for (int i = 0; i < NY; i++) {
        s += none->data[i];
        valid += y8[i] != 255;
        if (y8[i] == 255)
            ck_assert_float_eq(none->data[i], 0.0f);
    }
    ck_assert_float_eq_tol(sum->data[0], s, 1e-5);
    ck_assert_float_eq_tol(mean->data[0], s / valid, 1e-6);
    ck_assert_float_eq_tol(mean_all->data[0], s / NY, 1e-6);
    ak_ctx_free(&ctx);
}
END_TEST

/* ---- determinism across thread counts ---- */

typedef struct det_out {
    float ce, ce_grad[2 * 19 * 32 * 48], focal, focal_grad[3000 * 20];
} det_out;

static void det_run(det_out *o, int threads) {
    omp_set_num_threads(threads);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    int64_t xs[4] = {2, 19, 32, 48}, fs[2] = {3000, 20};
    float *xv = malloc(sizeof o->ce_grad), *fv = malloc(sizeof o->focal_grad), *tv = malloc(sizeof o->focal_grad);
    ak_test_fill_uniform(xv, 2 * 19 * 32 * 48, 41, -5, 5);
    ak_test_fill_uniform(fv, 3000 * 20, 42, -5, 5);
    ak_test_fill_uniform(tv, 3000 * 20, 43, 0, 1);
    for (int i = 0; i < 3000 * 20; i++)
        tv[i] = tv[i] < 0.05f ? 1.0f : 0.0f;
    int32_t *y = malloc(2 * 32 * 48 * sizeof *y);
    for (int i = 0; i < 2 * 32 * 48; i++)
        y[i] = i % 11 == 0 ? 255 : (i * 7) % 19;
    ak_tensor *x = ak_tensor_from(&ctx, 4, xs, xv);
    x->requires_grad = true;
    /* one backward per loss: a second ak_backward on the same tape would re-run the first loss */
    ak_tensor *ce = ak_cross_entropy(&ctx, x, y, NULL);
    ck_assert_int_eq(ak_backward(&ctx, ce), AK_OK);
    o->ce = ce->data[0];
    memcpy(o->ce_grad, x->grad, sizeof o->ce_grad);
    ak_ctx_reset(&ctx);
    ak_tensor *f = ak_tensor_from(&ctx, 2, fs, fv), *t = ak_tensor_from(&ctx, 2, fs, tv);
    f->requires_grad = true;
    ak_loss_opts lo = {AK_REDUCE_MEAN, true, 150.0, NULL};
    ak_tensor *fl = ak_sigmoid_focal_loss(&ctx, f, t, 0.25f, 2.0f, &lo);
    ck_assert_int_eq(ak_backward(&ctx, fl), AK_OK);
    o->focal = fl->data[0];
    memcpy(o->focal_grad, f->grad, sizeof o->focal_grad);
    free(xv);
    free(fv);
    free(tv);
    free(y);
    ak_ctx_free(&ctx);
}

START_TEST(losses_bitwise_identical_for_1_and_2_threads) {
    det_out *a = malloc(sizeof *a), *b = malloc(sizeof *b), *c = malloc(sizeof *c);
    int saved = omp_get_max_threads();
    det_run(a, 1);
    det_run(b, 2);
    det_run(c, 2);
    omp_set_num_threads(saved);
    ak_assert_bitwise("ce 1 vs 2 threads", &a->ce, &b->ce, 1);
    ak_assert_bitwise("focal 1 vs 2 threads", &a->focal, &b->focal, 1);
    ak_assert_bitwise("ce grad 1 vs 2 threads", a->ce_grad, b->ce_grad, 2 * 19 * 32 * 48);
    ak_assert_bitwise("focal grad 1 vs 2 threads", a->focal_grad, b->focal_grad, 3000 * 20);
    ak_assert_bitwise("ce run after run", &b->ce, &c->ce, 1);
    ak_assert_bitwise("focal grad run after run", b->focal_grad, c->focal_grad, 3000 * 20);
    free(a);
    free(b);
    free(c);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("loss");
    TCase *tc = tcase_create("loss");
    tcase_add_test(tc, cross_entropy_matches_torch);
    tcase_add_test(tc, focal_matches_torchvision);
    tcase_add_test(tc, bce_matches_torch);
    tcase_add_test(tc, l1_matches_torch);
    tcase_add_test(tc, smooth_l1_matches_torch);
    tcase_add_test(tc, iou_loss_matches_mmdet_formula);
    tcase_add_test(tc, giou_loss_matches_torchvision);
    tcase_add_test(tc, box_iou_matches_torchvision_and_mmdet);
    tcase_add_test(tc, cross_entropy_finite_differences);
    tcase_add_test(tc, sigmoid_losses_finite_differences);
    tcase_add_test(tc, regression_losses_finite_differences);
    tcase_add_test(tc, box_losses_finite_differences);
    tcase_add_test(tc, cross_entropy_label_errors_name_value_and_position);
    tcase_add_test(tc, loss_argument_errors);
    tcase_add_test(tc, arena_exhaustion_in_a_loss_is_an_error);
    tcase_add_test(tc, check_finite_names_the_term);
    tcase_add_test(tc, labels_from_u8_and_reductions_agree);
    tcase_add_test(tc, losses_bitwise_identical_for_1_and_2_threads);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
