/* ctest-labels: parity
 * Anchors (models/anchors.h) and box coders (models/box_coder.h): torchvision AnchorGenerator with
 * input-derived strides (bitwise), mmdet AnchorGenerator (PyTorch re-implementation of its
 * definition, bitwise, plus hand-computed values), mmdet valid flags, torchvision BoxCoder /
 * BoxLinearCoder and mmdet DeltaXYWHBBoxCoder encode / decode, error paths. */
#include "det_test_util.h"
#include "models/anchors.h"
#include "models/box_coder.h"

START_TEST(torchvision_anchors_bitwise) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "models/detparts.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_error err;
    ak_error_clear(&err);
    ak_tensor *in = ak_fixture_tensor(&ctx, &fx, "anchors.tv.in"), *feat = ak_fixture_tensor(&ctx, &fx, "anchors.tv.feat");
    ak_tensor *want = ak_fixture_tensor(&ctx, &fx, "anchors.tv");
    ak_anchor_cfg cfg = ak_anchor_cfg_retinanet(AK_DET_TORCHVISION);
    ck_assert_int_eq(ak_anchor_count(&cfg), 9);
    ck_assert(cfg.sizes[0][1] == 40.0f && cfg.sizes[0][2] == 50.0f && cfg.sizes[4][2] == 812.0f);
    float *got = malloc((size_t)want->numel * sizeof *got);
    int64_t off = 0;
    for (int l = 0; l < 5; l++) {
        int fh = (int)feat->data[2 * l], fw = (int)feat->data[2 * l + 1];
        ck_assert_int_eq(ak_anchors_level(&cfg, l, fh, fw, (int)in->data[0], (int)in->data[1], got + off, &err), AK_OK);
        off += (int64_t)fh * fw * 9 * 4;
    }
    ck_assert_int_eq(off, want->numel);
    ak_assert_bitwise("torchvision anchors", got, want->data, want->numel);
    free(got);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(mmdet_anchors_bitwise_and_by_hand) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "models/detparts.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_error err;
    ak_error_clear(&err);
    ak_anchor_cfg cfg = ak_anchor_cfg_retinanet(AK_DET_MMDET);
    ak_tensor *want = ak_fixture_tensor(&ctx, &fx, "mmdet_anchors");
    float got[(6 + 2) * 9 * 4];
    ck_assert_int_eq(ak_anchors_level(&cfg, 0, 2, 3, 0, 0, got, &err), AK_OK);
    ck_assert_int_eq(ak_anchors_level(&cfg, 1, 1, 2, 0, 0, got + 6 * 36, &err), AK_OK);
    ck_assert_int_eq(want->numel, (int64_t)(sizeof got / sizeof got[0]));
    ak_assert_bitwise("mmdet anchors", got, want->data, want->numel);
    /* by hand: stride 8, ratio 1, scale 4 (a = 3): a 32 x 32 box centred at the origin, shifted by 8 */
    ck_assert(got[4 * 3 + 0] == -16.0f && got[4 * 3 + 3] == 16.0f);
    ck_assert(got[36 + 4 * 3 + 0] == -8.0f && got[36 + 4 * 3 + 2] == 24.0f);
    /* ratio 0.5 (wider than tall), scale 4: w = 8 * sqrt(2) * 4 = 45.25 */
    ck_assert(fabsf(got[2] - got[0] - 45.254834f) < 1e-4f && fabsf(got[3] - got[1] - 22.627417f) < 1e-4f);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(valid_flags_follow_pad_shape) {
    uint8_t v[4 * 6 * 2];
    /* 4 x 6 locations at stride 8, 2 anchors, image padded to 20 x 33: ceil -> 3 rows, 5 columns */
    ak_anchor_valid_flags(4, 6, 8, 2, 20, 33, v);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 6; x++)
            for (int a = 0; a < 2; a++)
                ck_assert_int_eq(v[(y * 6 + x) * 2 + a], y < 3 && x < 5);
    ak_anchor_valid_flags(4, 6, 8, 2, 1000, 1000, v);
    for (int i = 0; i < 48; i++)
        ck_assert_int_eq(v[i], 1);
}
END_TEST

START_TEST(coders_match_references) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "models/detparts.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    /* torchvision BoxCoder (1,1,1,1) */
    ak_tensor *a = ak_fixture_tensor(&ctx, &fx, "coder.tv.anchors"), *b = ak_fixture_tensor(&ctx, &fx, "coder.tv.boxes");
    ak_tensor *d = ak_fixture_tensor(&ctx, &fx, "coder.tv.deltas");
    int64_t n = a->shape[0];
    float *out = malloc((size_t)n * 4 * sizeof *out);
    ak_delta_coder tv = ak_delta_coder_default(AK_DET_TORCHVISION);
    ak_delta_encode(&tv, a->data, b->data, n, out);
    ak_assert_close("tv encode", out, ak_fixture_tensor(&ctx, &fx, "coder.tv.enc")->data, 4 * n, 1e-6, 1e-6);
    ak_delta_decode(&tv, a->data, d->data, n, 0, 0, out);
    ak_assert_close("tv decode", out, ak_fixture_tensor(&ctx, &fx, "coder.tv.dec")->data, 4 * n, 1e-6, 1e-4);
    /* BoxLinearCoder(normalize_by_size) */
    ak_linear_encode(a->data, b->data, n, out);
    ak_assert_close("linear encode", out, ak_fixture_tensor(&ctx, &fx, "coder.lin.enc")->data, 4 * n, 1e-6, 1e-6);
    float *absd = malloc((size_t)n * 4 * sizeof *absd);
    for (int64_t i = 0; i < 4 * n; i++)
        absd[i] = fabsf(d->data[i]);
    ak_linear_decode(a->data, absd, n, 0, 0, out);
    ak_assert_close("linear decode", out, ak_fixture_tensor(&ctx, &fx, "coder.lin.dec")->data, 4 * n, 1e-6, 1e-4);
    free(out), free(absd);
    /* mmdet DeltaXYWHBBoxCoder: both-sided clamp, clipping to a 50 x 60 image */
    a = ak_fixture_tensor(&ctx, &fx, "mmdet_coder.anchors"), b = ak_fixture_tensor(&ctx, &fx, "mmdet_coder.boxes");
    d = ak_fixture_tensor(&ctx, &fx, "mmdet_coder.deltas");
    n = a->shape[0];
    out = malloc((size_t)n * 4 * sizeof *out);
    ak_delta_coder mm = ak_delta_coder_default(AK_DET_MMDET);
    ak_delta_encode(&mm, a->data, b->data, n, out);
    ak_assert_close("mmdet encode", out, ak_fixture_tensor(&ctx, &fx, "mmdet_coder.enc")->data, 4 * n, 1e-6, 1e-6);
    ak_delta_decode(&mm, a->data, d->data, n, 50, 60, out);
    ak_assert_close("mmdet decode", out, ak_fixture_tensor(&ctx, &fx, "mmdet_coder.dec")->data, 4 * n, 1e-6, 1e-4);
    free(out);
    /* the two clamp conventions by hand: dw = -6 is clamped to -log(62.5) by mmdet only */
    const float an[4] = {0, 0, 10, 10}, dd[4] = {0, 0, -6, 6};
    float o1[4], o2[4];
    ak_delta_decode(&mm, an, dd, 1, 0, 0, o1);
    ak_delta_decode(&tv, an, dd, 1, 0, 0, o2);
    ck_assert(fabsf((o1[2] - o1[0]) - 10.0f / 62.5f) < 1e-5f && fabsf((o1[3] - o1[1]) - 625.0f) < 1e-2f);
    ck_assert(fabsf((o2[2] - o2[0]) - 10.0f * expf(-6.0f)) < 1e-6f && fabsf((o2[3] - o2[1]) - 625.0f) < 1e-2f);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(anchor_errors_name_the_field) {
    ak_error err;
    ak_error_clear(&err);
    ak_anchor_cfg cfg = ak_anchor_cfg_retinanet(AK_DET_MMDET);
    float out[36];
    ck_assert_int_eq(ak_anchors_level(&cfg, 5, 1, 1, 0, 0, out, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "level 5"));
    ak_error_clear(&err);
    cfg.ratios[1] = 0.0f;
    ck_assert_int_eq(ak_anchors_level(&cfg, 0, 1, 1, 0, 0, out, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "ratios[1]"));
    ak_error_clear(&err);
    cfg = ak_anchor_cfg_retinanet(AK_DET_TORCHVISION);
    ck_assert_int_eq(ak_anchors_level(&cfg, 0, 8, 8, 4, 4, out, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "smaller than level 0"));
    ak_error_clear(&err);
    cfg.sizes[2][0] = -1.0f;
    ck_assert_int_eq(ak_anchors_level(&cfg, 2, 1, 1, 8, 8, out, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "sizes[2][0]"));
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("anchors");
    TCase *tc = tcase_create("anchors");
    tcase_add_test(tc, torchvision_anchors_bitwise);
    tcase_add_test(tc, mmdet_anchors_bitwise_and_by_hand);
    tcase_add_test(tc, valid_flags_follow_pad_shape);
    tcase_add_test(tc, coders_match_references);
    tcase_add_test(tc, anchor_errors_name_the_field);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
