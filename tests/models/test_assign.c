/* ctest-labels: parity
 * IoU assignment (models/assign.h): torchvision Matcher(0.5, 0.4, allow_low_quality_matches) on
 * generated anchors incl. its "gt that overlaps nothing" quirk, the mmdet MaxIoUAssigner definition
 * with an ignore region (PyTorch re-implementation), the two low-quality rules on a hand-made case,
 * valid flags, and error paths. */
#include "det_test_util.h"
#include "models/assign.h"

static void check_codes(const char *what, const int32_t *got, const ak_tensor *want) {
    for (int64_t a = 0; a < want->numel; a++)
        ck_assert_msg(got[a] == (int32_t)want->data[a], "%s: anchor %lld assigned %d, want %d", what, (long long)a,
                      got[a], (int)want->data[a]);
}

START_TEST(matcher_matches_torchvision) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "models/detparts.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_error err;
    ak_error_clear(&err);
    ak_tensor *an = ak_fixture_tensor(&ctx, &fx, "anchors.tv");
    int64_t A = an->shape[0];
    int32_t *out = malloc((size_t)A * sizeof *out);
    ak_iou_assign_cfg cfg = ak_iou_assign_cfg_retinanet(AK_DET_TORCHVISION);
    const char *cases[2][2] = {{"match.tv.gt2", "match.tv.out2"}, {"match.tv.gt", "match.tv.out"}};
    for (int c = 0; c < 2; c++) {
        ak_tensor *gt = ak_fixture_tensor(&ctx, &fx, cases[c][0]);
        ck_assert_int_eq(ak_assign_max_iou(&cfg, gt->data, gt->shape[0], NULL, 0, an->data, A, NULL, out, &err), AK_OK);
        check_codes(cases[c][1], out, ak_fixture_tensor(&ctx, &fx, cases[c][1]));
    }
    /* the second case has a gt overlapping no anchor: torchvision then makes every anchor positive */
    for (int64_t a = 0; a < A; a++)
        ck_assert_int_ge(out[a], 0);
    free(out);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(max_iou_assigner_matches_mmdet_definition) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "models/detparts.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_error err;
    ak_error_clear(&err);
    ak_tensor *an = ak_fixture_tensor(&ctx, &fx, "mmdet_assign.anchors"), *gt = ak_fixture_tensor(&ctx, &fx, "mmdet_assign.gt");
    ak_tensor *ign = ak_fixture_tensor(&ctx, &fx, "mmdet_assign.ignore");
    int64_t A = an->shape[0];
    int32_t *out = malloc((size_t)A * sizeof *out);
    ak_iou_assign_cfg cfg = ak_iou_assign_cfg_retinanet(AK_DET_MMDET);
    cfg.ignore_iof_thr = 0.5f;
    ck_assert_int_eq(
        ak_assign_max_iou(&cfg, gt->data, gt->shape[0], ign->data, ign->shape[0], an->data, A, NULL, out, &err), AK_OK);
    check_codes("mmdet assign", out, ak_fixture_tensor(&ctx, &fx, "mmdet_assign.out"));
    free(out);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

/* gt 0 = (0,0,10,10), gt 1 = (0,0,10,4). Anchor 0 = (0,0,10,4) (IoU 0.4 with gt 0, 1 with gt 1),
 * anchor 1 = (0,0,10,9) (IoU 0.9 with gt 0, 0.444 with gt 1), anchor 2 = (0,0,10,5) (IoU 0.5 and 0.8):
 * gt 1's best anchor is 0, gt 0's best is 1; anchor 2 is positive for gt 1 (0.8 >= 0.5). */
START_TEST(low_quality_rules_differ) {
    ak_error err;
    ak_error_clear(&err);
    const float gt[8] = {0, 0, 10, 10, 0, 0, 10, 4};
    const float an[16] = {0, 0, 10, 4, 0, 0, 10, 9, 0, 0, 10, 5, 20, 20, 30, 30};
    int32_t out[4];
    ak_iou_assign_cfg tv = ak_iou_assign_cfg_retinanet(AK_DET_TORCHVISION);
    ak_iou_assign_cfg mm = ak_iou_assign_cfg_retinanet(AK_DET_MMDET);
    ck_assert_int_eq(ak_assign_max_iou(&tv, gt, 2, NULL, 0, an, 4, NULL, out, &err), AK_OK);
    ck_assert(out[0] == 1 && out[1] == 0 && out[2] == 1 && out[3] == AK_ASSIGN_NEG);
    ck_assert_int_eq(ak_assign_max_iou(&mm, gt, 2, NULL, 0, an, 4, NULL, out, &err), AK_OK);
    ck_assert(out[0] == 1 && out[1] == 0 && out[2] == 1 && out[3] == AK_ASSIGN_NEG);
    /* both gts best matched by the same anchor: (0,0,10,10) and (0,0,10,8); anchor (0,0,10,9) is the
     * best for both (0.9 and 0.889). torchvision gives it its argmax (gt 0); mmdet's loop ends with gt 1. */
    const float gt2[8] = {0, 0, 10, 10, 0, 0, 10, 8};
    const float an2[8] = {0, 0, 10, 9, 50, 50, 60, 60};
    ck_assert_int_eq(ak_assign_max_iou(&tv, gt2, 2, NULL, 0, an2, 2, NULL, out, &err), AK_OK);
    ck_assert_int_eq(out[0], 0);
    ck_assert_int_eq(ak_assign_max_iou(&mm, gt2, 2, NULL, 0, an2, 2, NULL, out, &err), AK_OK);
    ck_assert_int_eq(out[0], 1);
    /* 0.4 <= IoU < 0.5 is ignored in both; without gts everything is negative; invalid anchors ignored */
    const float an3[8] = {0, 0, 10, 4.5f, 0, 0, 10, 10};
    const uint8_t valid[2] = {1, 0};
    tv.match_low_quality = mm.match_low_quality = false;
    ck_assert_int_eq(ak_assign_max_iou(&tv, gt, 1, NULL, 0, an3, 2, valid, out, &err), AK_OK);
    ck_assert(out[0] == AK_ASSIGN_IGNORE && out[1] == AK_ASSIGN_IGNORE);
    ck_assert_int_eq(ak_assign_max_iou(&mm, gt, 0, NULL, 0, an3, 2, NULL, out, &err), AK_OK);
    ck_assert(out[0] == AK_ASSIGN_NEG && out[1] == AK_ASSIGN_NEG);
}
END_TEST

START_TEST(assign_errors_name_the_problem) {
    ak_error err;
    ak_error_clear(&err);
    ak_iou_assign_cfg cfg = ak_iou_assign_cfg_retinanet(AK_DET_MMDET);
    float b[4] = {0, 0, 1, 1};
    int32_t out[1];
    ck_assert_int_eq(ak_assign_max_iou(&cfg, b, -1, NULL, 0, b, 1, NULL, out, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "negative count"));
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("assign");
    TCase *tc = tcase_create("assign");
    tcase_add_test(tc, matcher_matches_torchvision);
    tcase_add_test(tc, max_iou_assigner_matches_mmdet_definition);
    tcase_add_test(tc, low_quality_rules_differ);
    tcase_add_test(tc, assign_errors_name_the_problem);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
