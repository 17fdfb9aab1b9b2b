/* The fast results-file scanner (datasets/coco_dets_scan.c) must give exactly the records jansson
 * gives, on the fixtures and on numbers written in every JSON form; and it must decline (so that
 * jansson reports) whatever it does not handle. */
#include <omp.h>

#include "datasets/coco_json.h"
#include "datasets/coco_json_internal.h"
#include "eval_support.h"

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert(fread(buf, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Parse buf both ways; both must succeed with identical records. Returns the scanner's verdict. */
static int both_ways(const char *buf, size_t len) {
    ak_coco_dets a, b;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak__coco_dets_parse("jansson", buf, len, 0, &a, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak__coco_dets_parse("fast", buf, len, 1, &b, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(a.n, b.n);
    for (int64_t i = 0; i < a.n; i++)
        ck_assert_msg(memcmp(&a.dets[i], &b.dets[i], sizeof a.dets[i]) == 0,
                      "record %lld differs: score %.17g vs %.17g, bbox[0] %.17g vs %.17g", (long long)i,
                      a.dets[i].score, b.dets[i].score, a.dets[i].bbox[0], b.dets[i].bbox[0]);
    ak_coco_det *v;
    int64_t n;
    int verdict = ak__coco_dets_scan(buf, len, &v, &n);
    if (verdict == 1)
        free(v);
    ak_coco_dets_free(&a);
    ak_coco_dets_free(&b);
    return verdict;
}

START_TEST(fixtures_identical) {
    for (int c = 1; c <= 8; c++) {
        char *p = eval_fixture("coco_eval/case_%02d/dets.json", c);
        size_t len;
        char *buf = slurp(p, &len);
        ck_assert_msg(both_ways(buf, len) == 1, "case %02d: the scanner declined a plain results file", c);
        free(buf);
        free(p);
    }
}
END_TEST

/* Random values written as %.17g, %.15g, %.6f, %.3e, %.0f, integers, negative, tiny and huge. */
START_TEST(number_forms_identical) {
    enum { N = 20000 };
    float u[4 * N];
    ak_test_fill_uniform(u, 4 * N, 3, 0.0f, 1.0f);
    size_t cap = (size_t)N * 200, len = 0;
    char *buf = malloc(cap);
    len += (size_t)snprintf(buf + len, cap - len, "[");
    const char *fmts[] = {"%.17g", "%.15g", "%.6f", "%.3e", "%.0f", "%.16g", "%.20f", "%.10E"};
    for (int i = 0; i < N; i++) {
        double x = (double)u[4 * i] * 1000.0 + (double)u[4 * i + 1] * 1e-7;
        double scale = pow(10.0, (double)((int)(u[4 * i + 2] * 40) - 20));
        double s = x * scale * (u[4 * i + 3] < 0.2f ? -1 : 1);
        char a[64], b[64];
        /* %.0f of a huge value would be an integer beyond int64: jansson refuses those */
        snprintf(a, sizeof a, i % 8 == 4 ? "%.17g" : fmts[i % 8], s);
        snprintf(b, sizeof b, fmts[(i / 8) % 8], x);
        len += (size_t)snprintf(buf + len, cap - len,
                                "%s\n{\"image_id\": %d, \"category_id\": -%d, \"bbox\": [%s, %s, %d, 0.1], "
                                "\"score\": %s}",
                                i ? "," : "", i, i % 90, a, b, i, a);
    }
    len += (size_t)snprintf(buf + len, cap - len, "]\n");
    ck_assert_int_eq(both_ways(buf, len), 1);
    free(buf);
}
END_TEST

START_TEST(extra_members_and_whitespace) {
    const char *text =
        " \r\n\t[ {\"id\": 7, \"image_id\":1,\"segmentation\": [[1.5, 2, 3e2], []], \"bbox\" : [ 1 , 2.5 , 3 , 4 ] ,"
        "\"extra\": {\"a\": [true, false, null], \"b\": \"x y\"}, \"category_id\": 3, \"score\": 1, "
        "\"score\": 0.25},\n{\"score\": -0.0, \"bbox\": [0, 0, 0, 0], \"category_id\": 0, \"image_id\": -0} ] \n";
    ck_assert_int_eq(both_ways(text, strlen(text)), 1);
    ak_coco_dets d;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak__coco_dets_parse("x", text, strlen(text), 1, &d, &err), AK_OK);
    ck_assert(d.dets[0].score == 0.25); /* a repeated key keeps its last value, as in jansson */
    ck_assert(d.dets[0].bbox[1] == 2.5);
    ak_coco_dets_free(&d);
    const char *empty = "[]";
    ck_assert_int_eq(both_ways(empty, 2), 1);
}
END_TEST

/* Inputs the scanner leaves to jansson: still parsed (identically), or refused with jansson's
 * line / column. */
START_TEST(declines_and_errors) {
    const char *declined_ok[] = {
        "[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": 0.5, \"n\": \"caf\\u00e9\"}]",
        "[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": 0.5, \"n\": \"\xc3\xa9\"}]",
        "[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": 1e400000000}]",
    };
    for (size_t i = 0; i < 2; i++)
        ck_assert_int_eq(both_ways(declined_ok[i], strlen(declined_ok[i])), 0);
    ak_coco_dets d;
    ak_error err;
    ak_error_clear(&err);
    /* overflow: jansson's error */
    ck_assert_int_eq(ak__coco_dets_parse("big.json", declined_ok[2], strlen(declined_ok[2]), 1, &d, &err),
                     AK_EFORMAT);
    ck_assert_msg(strstr(err.msg, "big.json:1:") != NULL, "%s", err.msg);
    const char *bad[] = {
        "[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": 01}]",
        "[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": .5}]",
        "[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": 0.5},]",
        "[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}] x",
        "[{\"image_id\": 99999999999999999999, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ak_error_clear(&err);
        ck_assert_int_eq(ak__coco_dets_parse("bad.json", bad[i], strlen(bad[i]), 1, &d, &err), AK_EFORMAT);
        ck_assert_msg(strstr(err.msg, "bad.json:1:") && strstr(err.msg, "malformed JSON"), "case %zu: %s", i,
                      err.msg);
    }
}
END_TEST

/* Files over 1 MB are scanned from both ends of a guessed middle record with 2 threads: the records
 * must be those of the sequential scan, also when the guess falls inside a string. */
START_TEST(split_scan_matches_sequential) {
    enum { N = 30000 };
    for (int trap = 0; trap < 2; trap++) {
        size_t cap = (size_t)N * 160, len = 0;
        char *buf = malloc(cap);
        len += (size_t)snprintf(buf + len, cap - len, "[");
        for (int i = 0; i < N; i++)
            len += (size_t)snprintf(buf + len, cap - len,
                                    "%s{\"image_id\": %d, \"note\": \"%s\", \"category_id\": %d, "
                                    "\"bbox\": [%d.5, 2, 3, 4], \"score\": 0.%d}",
                                    i ? ", " : "", i, trap ? "}, {" : "ok", i % 7, i, i);
        len += (size_t)snprintf(buf + len, cap - len, "]");
        ck_assert(len > (1u << 20));
        ak_coco_det *v1, *v2;
        int64_t n1, n2;
        omp_set_num_threads(1);
        ck_assert_int_eq(ak__coco_dets_scan(buf, len, &v1, &n1), 1);
        omp_set_num_threads(2);
        ck_assert_int_eq(ak__coco_dets_scan(buf, len, &v2, &n2), 1);
        ck_assert_int_eq(n1, N);
        ck_assert_int_eq(n2, N);
        ck_assert(memcmp(v1, v2, (size_t)N * sizeof *v1) == 0);
        ck_assert_int_eq(both_ways(buf, len), 1);
        free(v2);
        /* a syntax error in the second half is still found */
        char *bad = strstr(buf + len * 3 / 4, "\"score\"");
        bad[1] = 'S';
        ck_assert_int_eq(ak__coco_dets_scan(buf, len, &v2, &n2), 0);
        ck_assert(v2 == NULL);
        free(v1);
        free(buf);
    }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("coco_json");
    TCase *tc = tcase_create("scan");
    tcase_add_test(tc, fixtures_identical);
    tcase_add_test(tc, number_forms_identical);
    tcase_add_test(tc, extra_members_and_whitespace);
    tcase_add_test(tc, declines_and_errors);
    tcase_add_test(tc, split_scan_matches_sequential);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
