/* ctest-labels: parity
 * NMS (models/nms.h) against torchvision.ops.nms / batched_nms on boxes with tied scores (both
 * batched code paths), hand-checked cases for the threshold comparison and the mmcv mode, and the
 * error paths. */
#include "det_test_util.h"
#include "models/nms.h"

static void check_keep(const char *what, const int64_t *got, int64_t n, const ak_tensor *want) {
    ck_assert_msg(n == want->numel, "%s: kept %lld, want %lld", what, (long long)n, (long long)want->numel);
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(got[i] == (int64_t)want->data[i], "%s: keep[%lld] = %lld, want %lld", what, (long long)i,
                      (long long)got[i], (long long)want->data[i]);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* torchvision's per-class path orders the kept boxes with an unstable sort (std::sort), so boxes of
 * equal score may come in any order there; we order them by index. Compare per run of equal scores. */
static void check_keep_ties(const char *what, const int64_t *got, int64_t n, const ak_tensor *want,
                            const float *scores) {
    ck_assert_msg(n == want->numel, "%s: kept %lld, want %lld", what, (long long)n, (long long)want->numel);
    int64_t *a = malloc((size_t)(n + 1) * sizeof *a), *b = malloc((size_t)(n + 1) * sizeof *b);
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j < n && scores[(int64_t)want->data[j]] == scores[(int64_t)want->data[i]])
            j++;
        for (int64_t k = i; k < j; k++)
            a[k - i] = got[k], b[k - i] = (int64_t)want->data[k];
        qsort(a, (size_t)(j - i), sizeof *a, cmp_i64);
        qsort(b, (size_t)(j - i), sizeof *b, cmp_i64);
        for (int64_t k = 0; k < j - i; k++)
            ck_assert_msg(a[k] == b[k], "%s: kept sets differ among scores %g at ranks %lld..%lld", what,
                          (double)scores[b[0]], (long long)i, (long long)j - 1);
        for (int64_t k = i + 1; k < j; k++)
            ck_assert_msg(got[k] > got[k - 1], "%s: equal scores not in index order at rank %lld", what, (long long)k);
        i = j;
    }
    free(a), free(b);
}

START_TEST(nms_matches_torchvision) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "models/detparts.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_error err;
    ak_error_clear(&err);
    ak_tensor *b = ak_fixture_tensor(&ctx, &fx, "nms0.boxes"), *s = ak_fixture_tensor(&ctx, &fx, "nms0.scores");
    int64_t keep[2000];
    int64_t n = ak_nms(b->data, s->data, s->numel, 0.5, AK_NMS_TORCHVISION, keep, &err);
    check_keep("nms 0.5", keep, n, ak_fixture_tensor(&ctx, &fx, "nms0.keep"));
    n = ak_nms(b->data, s->data, s->numel, 0.6, AK_NMS_TORCHVISION, keep, &err);
    check_keep("nms 0.6", keep, n, ak_fixture_tensor(&ctx, &fx, "nms0.keep06"));
    for (int k = 1; k <= 2; k++) {
        char name[64];
        snprintf(name, sizeof name, "nms%d.boxes", k);
        b = ak_fixture_tensor(&ctx, &fx, name);
        snprintf(name, sizeof name, "nms%d.scores", k);
        s = ak_fixture_tensor(&ctx, &fx, name);
        snprintf(name, sizeof name, "nms%d.labels", k);
        ak_tensor *lf = ak_fixture_tensor(&ctx, &fx, name);
        int32_t *lab = malloc((size_t)lf->numel * sizeof *lab);
        for (int64_t i = 0; i < lf->numel; i++)
            lab[i] = (int32_t)lf->data[i];
        snprintf(name, sizeof name, "nms%d.keep", k);
        n = ak_batched_nms(b->data, s->data, lab, s->numel, 0.5, AK_BNMS_TORCHVISION, keep, &err);
        if (k == 1) /* coordinate trick: one stable nms, exact order */
            check_keep(name, keep, n, ak_fixture_tensor(&ctx, &fx, name));
        else
            check_keep_ties(name, keep, n, ak_fixture_tensor(&ctx, &fx, name), s->data);
        free(lab);
    }
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}
END_TEST

/* Two boxes with IoU exactly representable: (0,0,2,1) and (1,0,3,1) overlap 1 / union 3. */
START_TEST(nms_threshold_is_strict_and_ties_keep_index_order) {
    ak_error err;
    ak_error_clear(&err);
    const float boxes[3 * 4] = {0, 0, 2, 1, 1, 0, 3, 1, 10, 10, 11, 11};
    const float tied[3] = {0.5f, 0.5f, 0.5f};
    int64_t keep[3];
    /* IoU 1/3 < 0.34: all kept, in index order (equal scores) */
    int64_t n = ak_nms(boxes, tied, 3, 0.34, AK_NMS_TORCHVISION, keep, &err);
    ck_assert_int_eq(n, 3);
    ck_assert(keep[0] == 0 && keep[1] == 1 && keep[2] == 2);
    /* just below: box 1 suppressed by the earlier index of equal score */
    n = ak_nms(boxes, tied, 3, 0.33, AK_NMS_TORCHVISION, keep, &err);
    ck_assert_int_eq(n, 2);
    ck_assert(keep[0] == 0 && keep[1] == 2);
    /* torchvision compares in double, mmcv in float: 1/3f (0.333333343) vs threshold 0.3333333333 */
    const float sc[3] = {0.9f, 0.8f, 0.7f};
    n = ak_nms(boxes, sc, 3, 1.0 / 3.0, AK_NMS_TORCHVISION, keep, &err);
    ck_assert_int_eq(n, 2); /* (double)0.333333343f > 0.33333333333 */
    n = ak_nms(boxes, sc, 3, 1.0 / 3.0, AK_NMS_MMCV, keep, &err);
    ck_assert_int_eq(n, 3); /* 0.333333343f > (float)(1/3) is false */
    /* batched: the same boxes in different classes never suppress each other */
    const int32_t lab[3] = {0, 1, 1};
    ak_batched_nms_mode modes[4] = {AK_BNMS_TORCHVISION, AK_BNMS_COORD_TRICK, AK_BNMS_PER_CLASS, AK_BNMS_MMCV};
    for (int m = 0; m < 4; m++) {
        n = ak_batched_nms(boxes, sc, lab, 3, 0.2, modes[m], keep, &err);
        ck_assert_msg(n == 3 && keep[0] == 0 && keep[1] == 1 && keep[2] == 2, "mode %d kept %lld", m, (long long)n);
    }
    const int32_t same[3] = {2, 2, 2};
    for (int m = 0; m < 4; m++) {
        n = ak_batched_nms(boxes, sc, same, 3, 0.2, modes[m], keep, &err);
        ck_assert_msg(n == 2 && keep[0] == 0 && keep[1] == 2, "mode %d kept %lld", m, (long long)n);
    }
    ck_assert_int_eq(ak_nms(boxes, sc, 0, 0.5, AK_NMS_TORCHVISION, keep, &err), 0);
}
END_TEST

START_TEST(nms_errors_name_the_problem) {
    ak_error err;
    ak_error_clear(&err);
    float b[4] = {0, 0, 1, 1}, s[1] = {1};
    int64_t keep[1];
    ck_assert_int_eq(ak_nms(b, s, -1, 0.5, AK_NMS_TORCHVISION, keep, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "nms"));
    ak_error_clear(&err);
    int32_t l[1] = {0};
    ck_assert_int_eq(ak_batched_nms(b, s, l, 1, NAN, AK_BNMS_MMCV, keep, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "iou threshold"));
    ak_error_clear(&err);
    ck_assert_int_eq(ak_batched_nms(b, s, l, 1, 0.5, (ak_batched_nms_mode)9, keep, &err), AK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "unknown mode"));
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("nms");
    TCase *tc = tcase_create("nms");
    tcase_add_test(tc, nms_matches_torchvision);
    tcase_add_test(tc, nms_threshold_is_strict_and_ties_keep_index_order);
    tcase_add_test(tc, nms_errors_name_the_problem);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
