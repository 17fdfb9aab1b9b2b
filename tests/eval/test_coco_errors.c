/* Bad COCO input: every error path of datasets/coco_json.c and eval/coco_eval.c gives its code and a
 * message that names the file, the record and the field. */
#include "datasets/coco_json.h"
#include "eval/coco_eval.h"
#include "akscratch.h"
#include "eval_support.h"

static char *dir;

static void setup(void) { dir = eval_tmpdir(); }
static void teardown(void) {
    ak_scratch_remove(dir);
    free(dir);
}

static void assert_has(const char *msg, const char *part) {
    ck_assert_msg(strstr(msg, part) != NULL, "message '%s' lacks '%s'", msg, part);
}

static const char *GT = "{\"images\": [{\"id\": 1, \"width\": 100, \"height\": 80, \"file_name\": \"a.jpg\"},\n"
                        "  {\"id\": 3, \"width\": 50, \"height\": 50, \"file_name\": \"b.jpg\"}],\n"
                        " \"annotations\": [\n"
                        "  {\"id\": 1, \"image_id\": 1, \"category_id\": 2, \"bbox\": [10, 10, 20, 20], \"area\": 2000, "
                        "\"iscrowd\": 0},\n"
                        "  {\"id\": 2, \"image_id\": 3, \"category_id\": 2, \"bbox\": [0, 0, 5.5, 5], \"area\": 20}],\n"
                        " \"categories\": [{\"id\": 2, \"name\": \"cat\", \"supercategory\": \"animal\"}]}\n";

/* Load GT (the string above unless gt_text is given) and dets; return the evaluation status. */
static int run(const char *gt_text, const char *dets_text, ak_error *err) {
    char *g = eval_write_file(dir, "gt.json", gt_text ? gt_text : GT);
    char *d = eval_write_file(dir, "dets.json", dets_text);
    ak_coco gt;
    ak_coco_dets dets;
    ak_error_clear(err);
    int rc = ak_coco_load(&gt, g, err);
    if (rc == AK_OK) {
        rc = ak_coco_dets_load(&dets, d, err);
        if (rc == AK_OK) {
            ak_coco_eval ev;
            rc = ak_coco_evaluate(&gt, &dets, NULL, &ev, err);
            ak_coco_eval_free(&ev);
            ak_coco_dets_free(&dets);
        }
        ak_coco_free(&gt);
    }
    free(g);
    free(d);
    return rc;
}

START_TEST(valid_input_evaluates) {
    ak_error err;
    /* one perfect detection per object: AP 1 */
    ck_assert_msg(run(NULL,
                      "[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [10, 10, 20, 20], \"score\": 0.9},\n"
                      " {\"image_id\": 3, \"category_id\": 2, \"bbox\": [0, 0, 5.5, 5], \"score\": 1}]",
                      &err) == AK_OK,
                  "%s", err.msg);
}
END_TEST

START_TEST(malformed_json_line_column) {
    ak_error err;
    /* missing comma between two records on line 2, column 3 */
    int rc = run(NULL,
                 "[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 1, 2, 2], \"score\": 0.5}\n"
                 "  {\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 1, 2, 2], \"score\": 0.5}]",
                 &err);
    ck_assert_int_eq(rc, AK_EFORMAT);
    assert_has(err.msg, "dets.json:2:3:");
    assert_has(err.msg, "malformed JSON");
    /* Python's json.dump writes NaN, which is not JSON */
    rc = run(NULL, "[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 1, 2, 2], \"score\": NaN}]", &err);
    ck_assert_int_eq(rc, AK_EFORMAT);
    assert_has(err.msg, "dets.json:1:");
    assert_has(err.msg, "NaN");
    /* ground truth cut short */
    rc = run("{\"images\": [{\"id\": 1}\n", "[]", &err);
    ck_assert_int_eq(rc, AK_EFORMAT);
    assert_has(err.msg, "gt.json:2:");
}
END_TEST

START_TEST(wrong_field_types_name_record) {
    ak_error err;
    int rc = run(NULL, "[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 1, 2, 2], \"score\": 0.5},\n"
                       " {\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 1, 2], \"score\": 0.5}]", &err);
    ck_assert_int_eq(rc, AK_EFORMAT);
    assert_has(err.msg, "detections[1].bbox: expected 4 numbers");
    rc = run(NULL, "[{\"image_id\": \"1\", \"category_id\": 2, \"bbox\": [1, 1, 2, 2], \"score\": 0.5}]", &err);
    ck_assert_int_eq(rc, AK_EFORMAT);
    assert_has(err.msg, "detections[0].image_id: expected an integer, got a string");
    rc = run(NULL, "[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 1, 2, \"x\"], \"score\": 0.5}]", &err);
    ck_assert_int_eq(rc, AK_EFORMAT);
    assert_has(err.msg, "detections[0].bbox[3]");
    rc = run(NULL, "[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 1, 2, 2]}]", &err);
    ck_assert_int_eq(rc, AK_EFORMAT);
    assert_has(err.msg, "detections[0].score: expected a number, got nothing (missing)");
    rc = run(NULL, "{\"image_id\": 1}", &err);
    ck_assert_int_eq(rc, AK_EFORMAT);
    assert_has(err.msg, "expected a JSON array");
    rc = run("{\"images\": [{\"id\": 1}], \"annotations\": [{\"id\": 1, \"image_id\": 1, \"category_id\": 1, "
             "\"bbox\": [0, 0, 1, 1]}], \"categories\": []}",
             "[]", &err);
    ck_assert_int_eq(rc, AK_EFORMAT);
    assert_has(err.msg, "gt.json: annotations[0].area: expected a number");
    rc = run("{\"images\": [{\"id\": 1}, {\"id\": 1.5}]}", "[]", &err);
    ck_assert_int_eq(rc, AK_EFORMAT);
    assert_has(err.msg, "images[1].id: expected an integer, got a real number");
}
END_TEST

START_TEST(unknown_image_id) {
    ak_error err;
    int rc = run(NULL, "[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 1, 2, 2], \"score\": 0.5},\n"
                       " {\"image_id\": 2, \"category_id\": 2, \"bbox\": [1, 1, 2, 2], \"score\": 0.5}]", &err);
    ck_assert_int_eq(rc, AK_ERANGE);
    assert_has(err.msg, "detections[1].image_id: 2 is not an image of the ground truth");
    assert_has(err.msg, "gt.json");
}
END_TEST

/* Non-finite values cannot come from a JSON file; they can from memory (a detector's output). */
START_TEST(non_finite_and_malformed_boxes) {
    ak_coco gt;
    ak_error err;
    ak_error_clear(&err);
    char *g = eval_write_file(dir, "gt.json", GT);
    ck_assert_msg(ak_coco_load(&gt, g, &err) == AK_OK, "%s", err.msg);
    ak_coco_det d[3] = {{1, 2, {1, 1, 2, 2}, 0.5}, {3, 2, {1, 1, 2, 2}, 0.25}, {1, 2, {1, 1, 2, 2}, NAN}};
    ak_coco_dets dets = {NULL, d, 3};
    ak_coco_eval ev;
    ck_assert_int_eq(ak_coco_evaluate(&gt, &dets, NULL, &ev, &err), AK_ENAN);
    assert_has(err.msg, "detections[2].score");
    d[2].score = 0.1;
    d[1].bbox[0] = INFINITY;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_coco_evaluate(&gt, &dets, NULL, &ev, &err), AK_ENAN);
    assert_has(err.msg, "detections[1].bbox[0]");
    d[1].bbox[0] = 1;
    d[0].bbox[2] = -3;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_coco_evaluate(&gt, &dets, NULL, &ev, &err), AK_EFORMAT);
    assert_has(err.msg, "detections[0].bbox: negative width or height");
    d[0].bbox[2] = 2;
    gt.anns[1].area = NAN;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_coco_evaluate(&gt, &dets, NULL, &ev, &err), AK_ENAN);
    assert_has(err.msg, "annotations[1].area");
    gt.anns[1].area = 20;
    gt.images[1].id = 1;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_coco_evaluate(&gt, &dets, NULL, &ev, &err), AK_EFORMAT);
    assert_has(err.msg, "image id 1 appears more than once");
    gt.images[1].id = 3;
    ak_error_clear(&err);
    ck_assert_msg(ak_coco_evaluate(&gt, &dets, NULL, &ev, &err) == AK_OK, "%s", err.msg);
    ak_coco_eval_free(&ev);
    ak_coco_free(&gt);
    free(g);
}
END_TEST

START_TEST(missing_file) {
    ak_coco gt;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_coco_load(&gt, "/nonexistent/gt.json", &err), AK_EIO);
    assert_has(err.msg, "/nonexistent/gt.json");
}
END_TEST

/* Hand-checkable numbers. Image 1: a perfect detection (score .9) of an object whose `area` field
 * (2000, medium) differs from its box (400), and a false positive (.95, box area 400 = small).
 * Image 3's object (area 20, small) is missed; a detection of unknown category 7 is dropped.
 * all: sorted [fp, tp], npig 2 -> recall 0, .5, precision 0, 1/(2+eps) = .5 -> interpolated .5 for
 *      the 51 recall thresholds <= .5: AP = AP50 = .5 * 51 / 101, AR = .5; AR1 = 0 (fp ranks first).
 * small: the tp matches an ignored (medium) object -> ignored; the fp counts: AP 0, AR 0.
 * medium: the small fp is unmatched and out of range -> ignored; AP = 1 / (1 + eps) everywhere.
 * large: no ground truth -> -1. */
START_TEST(hand_computed_ap) {
    char *g = eval_write_file(dir, "gt.json", GT);
    char *d = eval_write_file(dir, "dets.json",
                              "[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [10, 10, 20, 20], \"score\": 0.9},"
                              " {\"image_id\": 1, \"category_id\": 2, \"bbox\": [60, 60, 20, 20], \"score\": 0.95},"
                              " {\"image_id\": 1, \"category_id\": 7, \"bbox\": [0, 0, 20, 20], \"score\": 0.99}]");
    ak_coco gt;
    ak_coco_dets dets;
    ak_coco_eval ev;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_coco_load(&gt, g, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_coco_dets_load(&dets, d, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_coco_evaluate(&gt, &dets, NULL, &ev, &err) == AK_OK, "%s", err.msg);
    const double eps = 0x1p-52;
    eval_assert_close("AP", ev.stats[0], 1.0 / (1.0 + 1.0 + eps) * 51 / 101, 1e-15);
    eval_assert_close("AP50", ev.stats[1], 0.5 * 51 / 101, 1e-15);
    eval_assert_close("APs", ev.stats[3], 0, 0);
    eval_assert_close("APm", ev.stats[4], 1.0 / (1.0 + eps), 0);
    eval_assert_close("APl", ev.stats[5], -1, 0);
    eval_assert_close("AR1", ev.stats[6], 0, 0);
    eval_assert_close("AR10", ev.stats[7], 0.5, 0);
    eval_assert_close("ARs", ev.stats[9], 0, 0);
    eval_assert_close("ARm", ev.stats[10], 1, 0);
    eval_assert_close("ARl", ev.stats[11], -1, 0);
    ck_assert_int_eq(ev.n_dets_unknown_category, 1);
    ck_assert_int_eq(ev.first_unknown_det, 2);
    ak_coco_eval_free(&ev);
    ak_coco_free(&gt);
    ak_coco_dets_free(&dets);
    free(g);
    free(d);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("coco_errors");
    TCase *tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, valid_input_evaluates);
    tcase_add_test(tc, malformed_json_line_column);
    tcase_add_test(tc, wrong_field_types_name_record);
    tcase_add_test(tc, unknown_image_id);
    tcase_add_test(tc, non_finite_and_malformed_boxes);
    tcase_add_test(tc, missing_file);
    tcase_add_test(tc, hand_computed_ap);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
