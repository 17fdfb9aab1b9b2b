/* COCO bbox evaluation against every case of tests/fixtures/eval/coco_eval (written by the reference
 * COCO API): the 12 stats, every per-category AP and every per-category 12 stats within 1e-9; the
 * same numbers for 1 and 2 threads bit for bit; a save / reload round trip. */
#include <omp.h>

#include "datasets/coco_json.h"
#include "eval/coco_eval.h"
#include "eval_support.h"

enum { N_CASES = 8 };

static void load_case(int c, ak_coco *gt, ak_coco_dets *dets) {
    ak_error err;
    ak_error_clear(&err);
    char *g = eval_fixture("coco_eval/case_%02d/gt.json", c), *d = eval_fixture("coco_eval/case_%02d/dets.json", c);
    ck_assert_msg(ak_coco_load(gt, g, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_coco_dets_load(dets, d, &err) == AK_OK, "%s", err.msg);
    free(g);
    free(d);
}

static void evaluate(const ak_coco *gt, const ak_coco_dets *dets, ak_coco_eval *ev) {
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_coco_evaluate(gt, dets, NULL, ev, &err) == AK_OK, "%s", err.msg);
}

/* Compare ev with case c's expected.json; returns the largest difference seen. */
static double check_expected(int c, const ak_coco_eval *ev) {
    char *path = eval_fixture("coco_eval/case_%02d/expected.json", c);
    json_t *exp = eval_load_json(path);
    double worst = 0;
    char what[128];
    json_t *stats = json_object_get(exp, "stats");
    ck_assert_int_eq(json_array_size(stats), 12);
    for (int i = 0; i < 12; i++) {
        double want = eval_num(json_array_get(stats, i));
        snprintf(what, sizeof what, "case %02d stats[%d]", c, i);
        eval_assert_close(what, ev->stats[i], want, 1e-9);
        worst = fmax(worst, fabs(ev->stats[i] - want));
    }
    json_t *cats = json_object_get(exp, "per_category");
    ck_assert_int_eq((int)json_array_size(cats), (int)ev->n_cats);
    for (size_t k = 0; k < json_array_size(cats); k++) {
        json_t *e = json_array_get(cats, k);
        int64_t id = json_integer_value(json_object_get(e, "category_id"));
        ck_assert_msg(ev->cat_ids[k] == id, "case %02d: category %zu is %lld, expected %lld", c, k,
                      (long long)ev->cat_ids[k], (long long)id);
        snprintf(what, sizeof what, "case %02d category %lld ap", c, (long long)id);
        double want = eval_num(json_object_get(e, "ap"));
        eval_assert_close(what, ev->cat_ap[k], want, 1e-9);
        worst = fmax(worst, fabs(ev->cat_ap[k] - want));
        json_t *cs = json_object_get(e, "stats");
        for (int i = 0; i < 12; i++) {
            snprintf(what, sizeof what, "case %02d category %lld stats[%d]", c, (long long)id, i);
            want = eval_num(json_array_get(cs, i));
            eval_assert_close(what, ev->cat_stats[k * 12 + i], want, 1e-9);
            worst = fmax(worst, fabs(ev->cat_stats[k * 12 + i] - want));
        }
    }
    json_decref(exp);
    free(path);
    return worst;
}

START_TEST(fixture_case) {
    int c = _i + 1;
    ak_coco gt;
    ak_coco_dets dets;
    ak_coco_eval ev;
    load_case(c, &gt, &dets);
    evaluate(&gt, &dets, &ev);
    double worst = check_expected(c, &ev);
    /* Summation follows numpy's order, so agreement is expected to be exact, not just 1e-9. */
    printf("coco case %02d: largest difference to the reference %.3g\n", c, worst);
    ak_coco_eval_free(&ev);
    ak_coco_free(&gt);
    ak_coco_dets_free(&dets);
}
END_TEST

/* Case 05 has detections with category ids outside the categories list: they are dropped and
 * counted, or refused with strict_categories. */
START_TEST(unknown_categories_counted_or_refused) {
    ak_coco gt;
    ak_coco_dets dets;
    load_case(5, &gt, &dets);
    int64_t unknown = 0, first = -1;
    for (int64_t i = 0; i < dets.n; i++) {
        int known = 0;
        for (int64_t k = 0; k < gt.n_cats; k++)
            known |= gt.cats[k].id == dets.dets[i].category_id;
        if (!known && first < 0)
            first = i;
        unknown += !known;
    }
    ck_assert_int_gt(unknown, 0);
    ak_coco_eval ev;
    evaluate(&gt, &dets, &ev);
    ck_assert_int_eq(ev.n_dets_unknown_category, unknown);
    ck_assert_int_eq(ev.first_unknown_det, first);
    ck_assert_int_eq(ev.n_dets_used, dets.n - unknown);
    ak_coco_eval_free(&ev);

    ak_coco_eval_opts opts = {.strict_categories = 1};
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_coco_evaluate(&gt, &dets, &opts, &ev, &err), AK_ERANGE);
    char want[64];
    snprintf(want, sizeof want, "detections[%lld].category_id", (long long)first);
    ck_assert_msg(strstr(err.msg, want) != NULL, "message '%s' lacks '%s'", err.msg, want);
    ak_coco_free(&gt);
    ak_coco_dets_free(&dets);
}
END_TEST

static int same_bits(const double *a, const double *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

START_TEST(threads_bitwise_identical) {
    for (int c = 1; c <= N_CASES; c++) {
        ak_coco gt;
        ak_coco_dets dets;
        ak_coco_eval e1, e2;
        load_case(c, &gt, &dets);
        omp_set_num_threads(1);
        evaluate(&gt, &dets, &e1);
        omp_set_num_threads(2);
        evaluate(&gt, &dets, &e2);
        size_t K = (size_t)e1.n_cats;
        ck_assert_msg(same_bits(e1.stats, e2.stats, 12), "case %02d: stats differ between 1 and 2 threads", c);
        ck_assert(same_bits(e1.cat_stats, e2.cat_stats, K * 12));
        ck_assert(same_bits(e1.precision, e2.precision, AK_COCO_T * AK_COCO_R * K * AK_COCO_A * AK_COCO_M));
        ck_assert(same_bits(e1.recall, e2.recall, AK_COCO_T * K * AK_COCO_A * AK_COCO_M));
        ak_coco_eval_free(&e1);
        ak_coco_eval_free(&e2);
        ak_coco_free(&gt);
        ak_coco_dets_free(&dets);
    }
}
END_TEST

/* Writing both files and reading them back must give the same evaluation, bit for bit. */
START_TEST(save_reload_round_trip) {
    ak_coco gt, gt2;
    ak_coco_dets dets, dets2;
    ak_coco_eval e1, e2;
    ak_error err;
    ak_error_clear(&err);
    load_case(8, &gt, &dets); /* full-precision coordinates and scores */
    char *dir = eval_tmpdir(), g[512], d[512];
    snprintf(g, sizeof g, "%s/gt.json", dir);
    snprintf(d, sizeof d, "%s/dets.json", dir);
    ck_assert_msg(ak_coco_save(&gt, g, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_coco_dets_save(&dets, d, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_coco_load(&gt2, g, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_coco_dets_load(&dets2, d, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(gt2.n_anns, gt.n_anns);
    ck_assert_int_eq(dets2.n, dets.n);
    ck_assert(memcmp(gt.anns, gt2.anns, (size_t)gt.n_anns * sizeof *gt.anns) == 0);
    ck_assert(memcmp(dets.dets, dets2.dets, (size_t)dets.n * sizeof *dets.dets) == 0);
    ck_assert_str_eq(gt2.cats[0].name, gt.cats[0].name);
    evaluate(&gt, &dets, &e1);
    evaluate(&gt2, &dets2, &e2);
    ck_assert(same_bits(e1.stats, e2.stats, 12));
    ak_coco_eval_free(&e1);
    ak_coco_eval_free(&e2);
    ak_coco_free(&gt);
    ak_coco_free(&gt2);
    ak_coco_dets_free(&dets);
    ak_coco_dets_free(&dets2);
    remove(g);
    remove(d);
    rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(thresholds_as_numpy_linspace) {
    /* The README's pinned values. */
    ck_assert(ak_coco_iou_threshold(8) == 0.8999999999999999);
    ck_assert(ak_coco_iou_threshold(9) == 0.95);
    ck_assert(ak_coco_iou_threshold(5) == 0.75);
    ck_assert(ak_coco_recall_threshold(35) == 0.35000000000000003);
    ck_assert(ak_coco_recall_threshold(100) == 1.0);
    char line[128];
    ak_coco_summary_line(0, 0.36712, line, sizeof line);
    ck_assert_str_eq(line, " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.367");
    ak_coco_summary_line(7, -1, line, sizeof line);
    ck_assert_str_eq(line, " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ] = -1.000");
    ak_coco_summary_line(2, 0.5, line, sizeof line);
    ck_assert_str_eq(line, " Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ] = 0.500");
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("coco_eval");
    TCase *tc = tcase_create("fixtures");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, fixture_case, 0, N_CASES);
    tcase_add_test(tc, unknown_categories_counted_or_refused);
    tcase_add_test(tc, threads_bitwise_identical);
    tcase_add_test(tc, save_reload_round_trip);
    tcase_add_test(tc, thresholds_as_numpy_linspace);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
