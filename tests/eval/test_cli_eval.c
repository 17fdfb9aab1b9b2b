/* `akdbench eval-coco` / `akdbench eval-seg` end to end: --json contents against the fixtures' expected
 * values, NaN written as null, exit codes and error messages on stderr. Needs the akdbench target
 * built in the same build folder (ctest runs after a full build). */
#include <sys/wait.h>

#include "akscratch.h"
#include "eval_support.h"

static char *dir;

static void setup(void) { dir = eval_tmpdir(); }
static void teardown(void) {
    ak_scratch_remove(dir);
    free(dir);
}

/* akdbench with args, output captured in dir; the text of one of its captured files. */
static int akdbench(const char *args) { return ak_cli(dir, "%s", args); }
static const char *read_text(const char *name) { return ak_scratch_text(dir, name); }

START_TEST(eval_coco_json) {
    char *gt = eval_fixture("coco_eval/case_07/gt.json"), *dt = eval_fixture("coco_eval/case_07/dets.json");
    char *ex = eval_fixture("coco_eval/case_07/expected.json"), args[4096], out[1024];
    snprintf(out, sizeof out, "%s/out.json", dir);
    snprintf(args, sizeof args, "eval-coco '%s' '%s' --json '%s'", gt, dt, out);
    ck_assert_int_eq(akdbench(args), 0);
    ck_assert_msg(strstr(read_text("stdout.txt"),
                         " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = ") != NULL,
                  "%s", read_text("stdout.txt"));
    json_t *got = eval_load_json(out), *exp = eval_load_json(ex);
    for (int i = 0; i < 12; i++)
        eval_assert_close("stats", json_number_value(json_array_get(json_object_get(got, "stats"), (size_t)i)),
                          json_number_value(json_array_get(json_object_get(exp, "stats"), (size_t)i)), 1e-12);
    json_t *cats = json_object_get(exp, "per_category"), *ap = json_object_get(got, "per_category_ap");
    ck_assert_int_eq(json_object_size(ap), json_array_size(cats));
    for (size_t k = 0; k < json_array_size(cats); k++) {
        json_t *e = json_array_get(cats, k);
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(e, "category_id")));
        json_t *v = json_object_get(ap, key);
        ck_assert_msg(v != NULL, "per_category_ap lacks \"%s\"", key);
        eval_assert_close(key, json_number_value(v), json_number_value(json_object_get(e, "ap")), 1e-12);
    }
    json_decref(got);
    json_decref(exp);
    /* bad input: exit 1 and the message on stderr */
    char *bad = eval_write_file(dir, "bad.json", "[{\"image_id\": 1,\n  \"score\": }]");
    snprintf(args, sizeof args, "eval-coco '%s' '%s'", gt, bad);
    ck_assert_int_eq(akdbench(args), 1);
    ck_assert_msg(strstr(read_text("stderr.txt"), "bad.json:2:") != NULL, "%s", read_text("stderr.txt"));
    ck_assert_int_eq(akdbench("eval-coco onlyone.json"), 2);
    free(bad);
    free(gt);
    free(dt);
    free(ex);
}
END_TEST

START_TEST(eval_seg_json) {
    for (int c = 1; c <= 6; c++) {
        char *gt = eval_fixture("miou/case_%02d/gt", c), *pr = eval_fixture("miou/case_%02d/pred", c);
        char *ex = eval_fixture("miou/case_%02d/expected.json", c), args[4096], out[1024];
        snprintf(out, sizeof out, "%s/seg.json", dir);
        snprintf(args, sizeof args, "eval-seg '%s' '%s' --json '%s'", gt, pr, out);
        ck_assert_int_eq(akdbench(args), 0);
        ck_assert(strstr(read_text("stdout.txt"), "traffic light") != NULL);
        json_t *got = eval_load_json(out), *exp = eval_load_json(ex);
        const char *keys[] = {"mIoU", "aAcc", "mAcc"};
        for (int i = 0; i < 3; i++) {
            json_t *g = json_object_get(got, keys[i]);
            ck_assert_msg(g != NULL, "no %s", keys[i]);
            eval_assert_close(keys[i], eval_num(g), eval_num(json_object_get(exp, keys[i])), 1e-12);
        }
        json_t *per = json_object_get(got, "per_class_iou"), *classes = json_object_get(exp, "classes");
        ck_assert_int_eq(json_object_size(per), 19);
        for (int k = 0; k < 19; k++) {
            char key[8];
            snprintf(key, sizeof key, "%d", k);
            json_t *want = json_object_get(json_array_get(classes, (size_t)k), "iou");
            json_t *g = json_object_get(per, key);
            ck_assert_msg(g && json_is_null(g) == json_is_null(want), "case %02d class %d: null mismatch", c, k);
            eval_assert_close(key, eval_num(g), eval_num(want), 1e-12);
        }
        json_decref(got);
        json_decref(exp);
        free(gt);
        free(pr);
        free(ex);
    }
    /* a missing folder: exit 1, named */
    ck_assert_int_eq(akdbench("eval-seg /nonexistent/gt /nonexistent/pred"), 1);
    ck_assert(strstr(read_text("stderr.txt"), "/nonexistent/gt") != NULL);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("cli_eval");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, eval_coco_json);
    tcase_add_test(tc, eval_seg_json);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
