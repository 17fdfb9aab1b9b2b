/* Segmentation metrics: every case of tests/fixtures/eval/miou (integer counts exactly, ratios within
 * 1e-9), a hand-computed example of the counting rules, 1 vs 2 threads, and the folder errors
 * (size mismatch, missing prediction). */
#include <omp.h>
#include <sys/stat.h>

#include "datasets/png_io.h"
#include "eval/seg_files.h"
#include "eval/seg_metrics.h"
#include "eval_support.h"

enum { N_CASES = 6 };

static void eval_case(int c, ak_seg_acc *acc) {
    char *gt = eval_fixture("miou/case_%02d/gt", c), *pred = eval_fixture("miou/case_%02d/pred", c);
    ak_error err;
    ak_error_clear(&err);
    ak_seg_pairs pairs;
    ck_assert_msg(ak_seg_find_pairs(gt, pred, &pairs, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(ak_seg_acc_init(acc, 19, &err), AK_OK);
    ck_assert_msg(ak_seg_eval_pairs(&pairs, acc, &err) == AK_OK, "%s", err.msg);
    ak_seg_pairs_free(&pairs);
    free(gt);
    free(pred);
}

START_TEST(fixture_case) {
    int c = _i + 1;
    char *path = eval_fixture("miou/case_%02d/expected.json", c);
    json_t *exp = eval_load_json(path);
    /* The pairing found by name must be the expected.json pair list. */
    char *gt = eval_fixture("miou/case_%02d/gt", c), *pred = eval_fixture("miou/case_%02d/pred", c);
    ak_error err;
    ak_error_clear(&err);
    ak_seg_pairs pairs;
    ck_assert_msg(ak_seg_find_pairs(gt, pred, &pairs, &err) == AK_OK, "%s", err.msg);
    json_t *jp = json_object_get(exp, "pairs");
    ck_assert_int_eq(pairs.n, (int64_t)json_array_size(jp));
    for (int64_t i = 0; i < pairs.n; i++) {
        const char *g = json_string_value(json_object_get(json_array_get(jp, (size_t)i), "gt"));
        const char *p = json_string_value(json_object_get(json_array_get(jp, (size_t)i), "pred"));
        ck_assert_msg(ends_with_path(pairs.items[i].gt, g), "pair %lld gt %s, expected %s", (long long)i,
                      pairs.items[i].gt, g);
        ck_assert_msg(ends_with_path(pairs.items[i].pred, p), "pair %lld pred %s, expected %s", (long long)i,
                      pairs.items[i].pred, p);
        ck_assert(pairs.items[i].gt_label_ids);
    }
    ak_seg_pairs_free(&pairs);
    free(gt);
    free(pred);

    ak_seg_acc acc;
    eval_case(c, &acc);
    ak_seg_metrics m;
    ak_seg_compute(&acc, &m);
    char what[96];
    json_t *classes = json_object_get(exp, "classes");
    ck_assert_int_eq(json_array_size(classes), 19);
    for (int k = 0; k < 19; k++) {
        json_t *e = json_array_get(classes, (size_t)k);
        ck_assert_int_eq(json_integer_value(json_object_get(e, "train_id")), k);
        ck_assert_int_eq(acc.intersect[k], json_integer_value(json_object_get(e, "intersect")));
        ck_assert_int_eq(m.union_[k], json_integer_value(json_object_get(e, "union")));
        ck_assert_int_eq(acc.pred_area[k], json_integer_value(json_object_get(e, "pred_area")));
        ck_assert_int_eq(acc.gt_area[k], json_integer_value(json_object_get(e, "gt_area")));
        snprintf(what, sizeof what, "case %02d class %d iou", c, k);
        eval_assert_close(what, m.iou[k], eval_num(json_object_get(e, "iou")), 1e-9);
        snprintf(what, sizeof what, "case %02d class %d acc", c, k);
        eval_assert_close(what, m.acc[k], eval_num(json_object_get(e, "acc")), 1e-9);
    }
    ck_assert_int_eq(m.valid_pixels, json_integer_value(json_object_get(exp, "valid_gt_pixels")));
    ck_assert_int_eq(m.correct_pixels, json_integer_value(json_object_get(exp, "correct_pixels")));
    snprintf(what, sizeof what, "case %02d mIoU", c);
    eval_assert_close(what, m.miou, eval_num(json_object_get(exp, "mIoU")), 1e-9);
    snprintf(what, sizeof what, "case %02d mAcc", c);
    eval_assert_close(what, m.macc, eval_num(json_object_get(exp, "mAcc")), 1e-9);
    snprintf(what, sizeof what, "case %02d aAcc", c);
    eval_assert_close(what, m.aacc, eval_num(json_object_get(exp, "aAcc")), 1e-9);
    json_decref(exp);
    free(path);
}
END_TEST

/* 3 classes, hand-counted. gt (already trainIds): 255 ignored; 7 is valid but in no class (its
 * prediction still counts in pred_area, as torch.histc in mmseg); pred 255 / 9 are in no class. */
START_TEST(hand_computed_rules) {
    const uint8_t gt[] = {0, 0, 1, 1, 2, 255, 255, 7, 0, 1};
    const uint8_t pr[] = {0, 1, 1, 255, 2, 0, 1, 2, 9, 1};
    ak_seg_acc acc;
    ck_assert_int_eq(ak_seg_acc_init(&acc, 3, NULL), AK_OK);
    ck_assert_int_eq(ak_seg_acc_add(&acc, gt, pr, 10, NULL, NULL), AK_OK);
    /* counted pixels: indices 0-4, 7-9 */
    const int64_t inter[3] = {1, 2, 1}, parea[3] = {1, 3, 2}, garea[3] = {3, 3, 1};
    for (int c = 0; c < 3; c++) {
        ck_assert_int_eq(acc.intersect[c], inter[c]);
        ck_assert_int_eq(acc.pred_area[c], parea[c]);
        ck_assert_int_eq(acc.gt_area[c], garea[c]);
    }
    ak_seg_metrics m;
    ak_seg_compute(&acc, &m);
    eval_assert_close("iou0", m.iou[0], 1.0 / 3.0, 0);
    eval_assert_close("iou1", m.iou[1], 2.0 / 4.0, 0);
    eval_assert_close("iou2", m.iou[2], 1.0 / 2.0, 0);
    eval_assert_close("aacc", m.aacc, 4.0 / 7.0, 0);
    eval_assert_close("miou", m.miou, (1.0 / 3.0 + 0.5 + 0.5) / 3.0, 1e-15);
    eval_assert_close("macc", m.macc, (1.0 / 3.0 + 2.0 / 3.0 + 1.0) / 3.0, 1e-15);

    /* Cityscapes labelIds lut: 7 road -> 0, 26 car -> 13, 1 ego vehicle -> ignored, 200 -> ignored. */
    uint8_t lut[256];
    ak_seg_cityscapes_lut(lut);
    ck_assert_int_eq(lut[7], 0);
    ck_assert_int_eq(lut[26], 13);
    ck_assert_int_eq(lut[1], 255);
    ck_assert_int_eq(lut[200], 255);
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_seg_acc_init(&acc, 0, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "num_classes") != NULL, "%s", err.msg);
}
END_TEST

/* A large random map (several chunks, so add() itself goes parallel) and the fixture folders. */
START_TEST(threads_identical) {
    enum { N = 3 << 18 };
    uint8_t *gt = malloc(N), *pr = malloc(N);
    float *u = malloc(2 * N * sizeof *u);
    ak_test_fill_uniform(u, 2 * N, 11, 0.0f, 1.0f);
    for (int i = 0; i < N; i++) {
        gt[i] = (uint8_t)(u[i] * 34); /* labelIds */
        pr[i] = u[N + i] < 0.05f ? 255 : (uint8_t)(u[N + i] * 19);
    }
    uint8_t lut[256];
    ak_seg_cityscapes_lut(lut);
    ak_seg_acc a1, a2;
    ak_seg_acc_init(&a1, 19, NULL);
    ak_seg_acc_init(&a2, 19, NULL);
    omp_set_num_threads(1);
    ck_assert_int_eq(ak_seg_acc_add(&a1, gt, pr, N, lut, NULL), AK_OK);
    omp_set_num_threads(2);
    ck_assert_int_eq(ak_seg_acc_add(&a2, gt, pr, N, lut, NULL), AK_OK);
    ck_assert(memcmp(&a1, &a2, sizeof a1) == 0);
    /* and against a plain per-pixel count */
    int64_t inter = 0, valid = 0;
    for (int i = 0; i < N; i++)
        if (lut[gt[i]] != 255) {
            valid++;
            inter += pr[i] == lut[gt[i]];
        }
    ak_seg_metrics m;
    ak_seg_compute(&a1, &m);
    ck_assert_int_eq(m.valid_pixels, valid);
    ck_assert_int_eq(m.correct_pixels, inter);
    for (int c = 1; c <= N_CASES; c++) {
        omp_set_num_threads(1);
        eval_case(c, &a1);
        omp_set_num_threads(2);
        eval_case(c, &a2);
        ck_assert_msg(memcmp(&a1, &a2, sizeof a1) == 0, "case %02d differs between 1 and 2 threads", c);
    }
    free(gt);
    free(pr);
    free(u);
}
END_TEST

static void write_label(const char *dir, const char *name, int h, int w, uint8_t value) {
    uint8_t *px = malloc((size_t)h * w);
    memset(px, value, (size_t)h * w);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_png_write(path, px, h, w, 1, 1, &err) == AK_OK, "%s", err.msg);
    free(px);
}

START_TEST(folder_errors) {
    char *root = eval_tmpdir(), gt[1024], pred[1024];
    snprintf(gt, sizeof gt, "%s/gt", root);
    snprintf(pred, sizeof pred, "%s/pred", root);
    mkdir(gt, 0755);
    mkdir(pred, 0755);
    write_label(gt, "a_gtFine_labelIds.png", 4, 4, 7);
    write_label(pred, "a_pred_trainIds.png", 4, 4, 0);
    write_label(gt, "b_gtFine_labelTrainIds.png", 4, 4, 13);
    write_label(pred, "b_leftImg8bit.png", 4, 5, 13); /* mmseg naming, wrong size */
    ak_seg_pairs pairs;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_seg_find_pairs(gt, pred, &pairs, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(pairs.n, 2);
    ck_assert_int_eq(pairs.items[1].gt_label_ids, 0);
    ak_seg_acc acc;
    ak_seg_acc_init(&acc, 19, NULL);
    ck_assert_int_eq(ak_seg_eval_pairs(&pairs, &acc, &err), AK_ESHAPE);
    ck_assert_msg(strstr(err.msg, "b_leftImg8bit.png") && strstr(err.msg, "b_gtFine_labelTrainIds.png") &&
                      strstr(err.msg, "4x5"),
                  "%s", err.msg);
    ak_seg_pairs_free(&pairs);

    /* fixed size: both pairs count; b is trainIds (13 = car) and must not go through the lut */
    write_label(pred, "b_leftImg8bit.png", 4, 4, 13);
    ak_error_clear(&err);
    ck_assert_msg(ak_seg_find_pairs(gt, pred, &pairs, &err) == AK_OK, "%s", err.msg);
    ak_seg_acc_init(&acc, 19, NULL);
    ck_assert_msg(ak_seg_eval_pairs(&pairs, &acc, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(acc.intersect[0], 16);
    ck_assert_int_eq(acc.intersect[13], 16);
    ak_seg_pairs_free(&pairs);

    /* a ground truth without a prediction */
    write_label(gt, "c_gtFine_labelIds.png", 2, 2, 7);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_seg_find_pairs(gt, pred, &pairs, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "c_gtFine_labelIds.png") && strstr(err.msg, "no prediction"), "%s", err.msg);

    const char *files[] = {"gt/a_gtFine_labelIds.png", "gt/b_gtFine_labelTrainIds.png", "gt/c_gtFine_labelIds.png",
                           "pred/a_pred_trainIds.png", "pred/b_leftImg8bit.png"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char p[1100];
        snprintf(p, sizeof p, "%s/%s", root, files[i]);
        remove(p);
    }
    rmdir(gt);
    rmdir(pred);
    rmdir(root);
    free(root);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("seg_metrics");
    TCase *tc = tcase_create("miou");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, fixture_case, 0, N_CASES);
    tcase_add_test(tc, hand_computed_rules);
    tcase_add_test(tc, threads_identical);
    tcase_add_test(tc, folder_errors);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
