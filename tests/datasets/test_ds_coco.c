/* COCO reader on the tiny fixture folder (tools/fixtures/datasets_folders.py; every expected value
 * below is hand-derived from that file) and every bad-input rule of coco_dataset.h / jpeg_io.h. */
#include <math.h>
#include <string.h>

#include "aktest.h"
#include "datasets/batch_input.h"
#include "datasets/coco_dataset.h"
#include "datasets/det_transforms.h"
#include "datasets/jpeg_io.h"
#include "datasets/source.h"
#include "ds_util.h"

static char *fx_dir(const char *sub) {
    char rel[256];
    snprintf(rel, sizeof rel, "tests/fixtures/datasets/coco_tiny/%s", sub);
    return ak_source_path(rel);
}

static int open_ds(ak_coco_dataset *ds, const char *ann, const char *img_dir, int train, ak_bad_sample_policy pol,
                   ak_error *err) {
    ak_coco_dataset_opts o = {ann, img_dir, train, pol, 1};
    ak_error_clear(err);
    return ak_coco_dataset_open(ds, &o, err);
}

static void assert_box(const float *b, float x1, float y1, float x2, float y2) {
    ck_assert_msg(b[0] == x1 && b[1] == y1 && b[2] == x2 && b[3] == y2, "box %g %g %g %g, expected %g %g %g %g", b[0],
                  b[1], b[2], b[3], x1, y1, x2, y2);
}

START_TEST(train_split_by_hand) {
    char *ann = fx_dir("annotations/instances_train2017.json"), *img = fx_dir("train2017");
    ak_coco_dataset ds;
    ak_error err;
    ck_assert_msg(open_ds(&ds, ann, img, 1, AK_BAD_SAMPLE_ERROR, &err) == AK_OK, "%s", err.msg);
    /* categories 3, 90, 1 in the file -> sorted ids 1, 3, 90 -> labels 0, 1, 2 */
    ck_assert_int_eq(ds.n_classes, 3);
    ck_assert(ds.cat_ids[0] == 1 && ds.cat_ids[1] == 3 && ds.cat_ids[2] == 90);
    ck_assert_str_eq(ds.cat_names[2], "toothbrush");
    ck_assert_int_eq(ak_coco_dataset_label(&ds, 90), 2);
    ck_assert_int_eq(ak_coco_dataset_label(&ds, 2), -1);
    /* images 100 (crowd only) and 5 (nothing) have no usable box: skipped for training */
    ck_assert_int_eq(ds.n, 2);
    ck_assert_int_eq(ds.n_empty_skipped, 2);
    ck_assert_int_eq(ds.n_tiny_dropped, 1); /* annotation 5: w = 0.5 < 1 */
    ck_assert_int_eq(ds.bad.count, 0);
    const ak_coco_record *r0 = &ds.recs[0], *r1 = &ds.recs[1];
    ck_assert(r0->image_id == 42 && r0->width == 8 && r0->height == 6 && r0->n_boxes == 2 && r0->n_ignore == 1);
    assert_box(ds.boxes + 4 * r0->box0, 1, 2, 5, 5); /* car [1, 2, 4, 3] */
    ck_assert_int_eq(ds.labels[r0->box0], 1);
    assert_box(ds.boxes + 4 * (r0->box0 + 1), 6, 1, 8, 5); /* person [6, 1, 2, 4] */
    ck_assert_int_eq(ds.labels[r0->box0 + 1], 0);
    assert_box(ds.ignore + 4 * r0->ign0, 0, 0, 8, 6); /* the crowd region */
    ck_assert(r1->image_id == 7 && r1->n_boxes == 1 && r1->n_ignore == 0);
    assert_box(ds.boxes + 4 * r1->box0, 0.5f, 0, 10, 7);
    ck_assert_int_eq(ds.labels[r1->box0], 2);
    ck_assert(strstr(r1->path, "coco_tiny/train2017/000000000007.jpg") != NULL);
    /* pixels: solid grey 40 + id % 200, exact through JPEG */
    ak_image im = {0};
    ck_assert_msg(ak_coco_dataset_decode(&ds, 0, &im, &err) == AK_OK, "%s", err.msg);
    ck_assert(im.h == 6 && im.w == 8 && im.c == 3);
    for (int i = 0; i < 6 * 8 * 3; i++)
        ck_assert_msg(im.data[i] == 82, "pixel %d = %u, expected 82", i, im.data[i]);
    ck_assert(ak_coco_dataset_decode(&ds, 1, &im, &err) == AK_OK && im.h == 7 && im.w == 10 && im.data[69] == 47);
    char line[1024];
    ak_coco_dataset_summary(&ds, line, sizeof line);
    ck_assert_msg(strstr(line, "2 samples") && strstr(line, "2 skipped without usable boxes"), "%s", line);
    ak_image_free(&im);
    ak_coco_dataset_close(&ds);
    free(ann);
    free(img);
}
END_TEST

START_TEST(eval_split_keeps_all) {
    char *ann = fx_dir("annotations/instances_train2017.json"), *img = fx_dir("train2017");
    ak_coco_dataset ds;
    ak_error err;
    ck_assert_msg(open_ds(&ds, ann, img, 0, AK_BAD_SAMPLE_ERROR, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(ds.n, 4);
    ck_assert(ds.recs[2].image_id == 100 && ds.recs[2].n_boxes == 0 && ds.recs[2].n_ignore == 1);
    assert_box(ds.ignore + 4 * ds.recs[2].ign0, 1, 1, 4, 4);
    ck_assert(ds.recs[3].image_id == 5 && ds.recs[3].n_boxes == 0 && ds.recs[3].n_ignore == 0);
    ak_coco_dataset_close(&ds);
    free(ann);
    free(img);
}
END_TEST

START_TEST(det_source_without_resize) {
    char *ann = fx_dir("annotations/instances_train2017.json"), *img = fx_dir("train2017");
    ak_coco_dataset ds;
    ak_error err;
    ck_assert(open_ds(&ds, ann, img, 1, AK_BAD_SAMPLE_ERROR, &err) == AK_OK);
    ak_det_source src = {&ds, ak_det_aug_default(0, 0, 0)};
    ak_source s = ak_det_source_make(&src);
    ak_work w;
    memset(&w, 0, sizeof w);
    ak_sample out;
    memset(&out, 0, sizeof out);
    ck_assert_msg(s.load(s.self, 0, ak_aug_rng(1, 0, 0), &w, &out, &err) == AK_OK, "%s", err.msg);
    ck_assert(out.index == 0 && out.image_id == 42 && out.img_h == 6 && out.img_w == 8);
    ck_assert(out.pad_h == 32 && out.pad_w == 32 && out.n_boxes == 2 && out.n_ignore == 1 && !out.flipped);
    assert_box(out.boxes, 1, 2, 5, 5);
    const float v = (float)((double)(82.0f - (float)123.675) * (1.0 / (double)(float)58.395));
    float x[3 * 32 * 32]; /* the network's input (the input step normalises and pads) */
    ak_sample_normalize(&out, x, out.pad_h, out.pad_w);
    ck_assert_msg(out.image[0] == 82 && x[0] == v && x[8] == 0.0f, "normalised %g (want %g), pad %g", x[0], v, x[8]);
    ak_sample_free(&out);
    ak_work_free(&w);
    ak_coco_dataset_close(&ds);
    free(ann);
    free(img);
}
END_TEST

/* ---- bad input ---- */

static const char *CATS = "\"categories\": [{\"id\": 3, \"name\": \"car\", \"supercategory\": \"v\"}]";

/* Write `json` into a scratch annotation file and open it against the fixture image folder. */
static int open_json(const char *json, int train, ak_bad_sample_policy pol, ak_coco_dataset *ds, ak_error *err,
                     char **tmp_out) {
    char *tmp = ds_tmpdir(), *ann = ds_path(tmp, "instances.json"), *img = fx_dir("train2017");
    ds_write_text(ann, json);
    int rc = open_ds(ds, ann, img, train, pol, err);
    free(ann);
    free(img);
    *tmp_out = tmp;
    return rc;
}

static void expect_open_error(const char *json, int code, const char *n1, const char *n2) {
    ak_coco_dataset ds;
    ak_error err;
    char *tmp;
    int rc = open_json(json, 1, AK_BAD_SAMPLE_ERROR, &ds, &err, &tmp);
    ds_assert_msg_has(rc, code, err.msg, "instances.json", n1, n2);
    ds_rmtree(tmp);
    free(tmp);
}

#define IMG42 "{\"id\": 42, \"width\": 8, \"height\": 6, \"file_name\": \"000000000042.jpg\"}"
#define IMG7 "{\"id\": 7, \"width\": 10, \"height\": 7, \"file_name\": \"000000000007.jpg\"}"

static char *json3(const char *images, const char *anns) {
    char *b = malloc(8192);
    snprintf(b, 8192, "{\"images\": [%s],\n\"annotations\": [%s],\n%s}\n", images, anns, CATS);
    return b;
}

START_TEST(malformed_json_names_line_and_column) {
    ak_coco_dataset ds;
    ak_error err;
    char *tmp;
    int rc = open_json("{\"images\": [\n  {\"id\": 1,, }\n]}", 1, AK_BAD_SAMPLE_ERROR, &ds, &err, &tmp);
    ds_assert_msg_has(rc, AK_EFORMAT, err.msg, "instances.json:2:", "malformed JSON");
    ds_rmtree(tmp);
    free(tmp);
}
END_TEST

START_TEST(annotation_to_missing_image) {
    char *j = json3(IMG42, "{\"id\": 1, \"image_id\": 43, \"category_id\": 3, \"bbox\": [1, 1, 2, 2], \"area\": 4, \"iscrowd\": 0}");
    expect_open_error(j, AK_EFORMAT, "annotations[0].image_id", "43 is not an id in images[]");
    free(j);
}
END_TEST

START_TEST(unknown_category) {
    char *j = json3(IMG42, "{\"id\": 1, \"image_id\": 42, \"category_id\": 5, \"bbox\": [1, 1, 2, 2], \"area\": 4, \"iscrowd\": 0}");
    expect_open_error(j, AK_EFORMAT, "annotations[0].category_id", "5 is not an id in categories[]");
    free(j);
}
END_TEST

START_TEST(zero_size_box) {
    char *j = json3(IMG42, "{\"id\": 1, \"image_id\": 42, \"category_id\": 3, \"bbox\": [1, 1, 0, 2], \"area\": 4, \"iscrowd\": 0}");
    expect_open_error(j, AK_EFORMAT, "annotations[0].bbox", "zero, negative");
    free(j);
}
END_TEST

START_TEST(box_outside_image) {
    char *j = json3(IMG42 "," IMG7,
                    "{\"id\": 1, \"image_id\": 42, \"category_id\": 3, \"bbox\": [1, 1, 2, 2], \"area\": 4, \"iscrowd\": 0},"
                    "{\"id\": 2, \"image_id\": 7, \"category_id\": 3, \"bbox\": [5, 1, 7, 2], \"area\": 4, \"iscrowd\": 0}");
    expect_open_error(j, AK_EFORMAT, "annotations[1].bbox", "outside its image (image 7, 000000000007.jpg, 10x7)");
    free(j);
}
END_TEST

START_TEST(missing_image_file) {
    char *j = json3("{\"id\": 9, \"width\": 8, \"height\": 6, \"file_name\": \"nope.jpg\"}", "");
    expect_open_error(j, AK_EFORMAT, "images[0].file_name", "nope.jpg: No such file");
    free(j);
}
END_TEST

START_TEST(empty_split) {
    char *j = json3("", "");
    expect_open_error(j, AK_EFORMAT, "images", "empty split");
    free(j);
    /* images but none with a usable box: an empty training split */
    j = json3(IMG42, "{\"id\": 1, \"image_id\": 42, \"category_id\": 3, \"bbox\": [1, 1, 2, 2], \"area\": 4, \"iscrowd\": 1}");
    expect_open_error(j, AK_EFORMAT, "no usable samples (empty split)", "1 without usable boxes");
    free(j);
}
END_TEST

START_TEST(skip_policy_counts) {
    char *j = json3(IMG42 "," IMG7 ",{\"id\": 9, \"width\": 8, \"height\": 6, \"file_name\": \"nope.jpg\"}",
                    "{\"id\": 1, \"image_id\": 42, \"category_id\": 3, \"bbox\": [1, 1, 2, 2], \"area\": 4, \"iscrowd\": 0},"
                    "{\"id\": 2, \"image_id\": 7, \"category_id\": 3, \"bbox\": [1, 1, -2, 2], \"area\": 4, \"iscrowd\": 0},"
                    "{\"id\": 3, \"image_id\": 77, \"category_id\": 3, \"bbox\": [1, 1, 2, 2], \"area\": 4, \"iscrowd\": 0},"
                    "{\"id\": 4, \"image_id\": 9, \"category_id\": 3, \"bbox\": [1, 1, 2, 2], \"area\": 4, \"iscrowd\": 0}");
    ak_coco_dataset ds;
    ak_error err;
    char *tmp;
    ck_assert_msg(open_json(j, 1, AK_BAD_SAMPLE_SKIP, &ds, &err, &tmp) == AK_OK, "%s", err.msg);
    /* skipped: image 9 (missing file), image 7 (negative width), annotation 3 (image 77) */
    ck_assert_int_eq(ds.n, 1);
    ck_assert_int_eq(ds.recs[0].image_id, 42);
    ck_assert_int_eq(ds.bad.count, 3);
    ck_assert_msg(strstr(ds.bad.first, "images[2].file_name") != NULL, "first: %s", ds.bad.first);
    char line[2048];
    ak_coco_dataset_summary(&ds, line, sizeof line);
    ck_assert_msg(strstr(line, "3 bad items skipped (first: ") != NULL, "%s", line);
    ak_coco_dataset_close(&ds);
    ds_rmtree(tmp);
    free(tmp);
    free(j);
}
END_TEST

/* Image files that exist but do not decode: the decoder names the file. */
START_TEST(bad_image_files) {
    char *tmp = ds_tmpdir(), *src = fx_dir("train2017/000000000042.jpg");
    size_t n;
    unsigned char *jpg = ds_read(src, &n);
    struct { const char *name; size_t len; int garbage; const char *want; } cases[] = {
        {"truncated.jpg", n / 2, 0, "corrupt or truncated JPEG"},
        {"corrupt.jpg", n, 1, "corrupt or truncated JPEG"},
        {"text.jpg", 0, 2, "neither a JPEG nor a PNG file (unknown signature)"},
        {"empty.jpg", 0, 0, "neither a JPEG nor a PNG file (empty)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *p = ds_path(tmp, cases[k].name);
        if (cases[k].garbage == 1) {
            unsigned char *c = malloc(n);
            memcpy(c, jpg, n);
            for (size_t i = 20; i < n; i++) /* keep SOI, trash the rest */
                c[i] = (unsigned char)(i * 131u);
            ds_write(p, c, n);
            free(c);
        } else if (cases[k].garbage == 2) {
            ds_write_text(p, "hello, not an image\n");
        } else {
            ds_write(p, jpg, cases[k].len);
        }
        ak_image im = {0};
        ak_error err;
        ak_error_clear(&err);
        int rc = ak_image_read(p, 3, &im, &err);
        ds_assert_msg_has(rc, AK_EFORMAT, err.msg, p, cases[k].want);
        ak_image_free(&im);
        free(p);
    }
    /* missing: AK_EIO naming the file */
    ak_image im = {0};
    ak_error err;
    ak_error_clear(&err);
    char *p = ds_path(tmp, "absent.jpg");
    int rc = ak_image_read(p, 3, &im, &err);
    ds_assert_msg_has(rc, AK_EIO, err.msg, p, "No such file");
    free(p);
    free(jpg);
    free(src);
    ds_rmtree(tmp);
    free(tmp);
}
END_TEST

static uint8_t *count_reserve(void *ctx, int h, int w, int channels, ak_error *err) {
    (void)h, (void)w, (void)channels, (void)err;
    ++*(int *)ctx;
    return NULL;
}

START_TEST(decoded_size_must_match_json) {
    char *j = json3("{\"id\": 42, \"width\": 6, \"height\": 8, \"file_name\": \"000000000042.jpg\"}",
                    "{\"id\": 1, \"image_id\": 42, \"category_id\": 3, \"bbox\": [1, 1, 2, 2], \"area\": 4, \"iscrowd\": 0}");
    ak_coco_dataset ds;
    ak_error err;
    char *tmp;
    ck_assert(open_json(j, 1, AK_BAD_SAMPLE_ERROR, &ds, &err, &tmp) == AK_OK);
    ak_image im = {0};
    int rc = ak_coco_dataset_decode(&ds, 0, &im, &err);
    ds_assert_msg_has(rc, AK_EFORMAT, err.msg, "000000000042.jpg", "decoded 6x8", "images[0].width/height say 8x6");
    ak_image_free(&im);
    /* into a caller's destination (the loader's batch slot): refused before anything is written */
    int asked = 0;
    ak_error_clear(&err);
    rc = ak_coco_dataset_decode_to(&ds, 0, count_reserve, &asked, &err);
    ds_assert_msg_has(rc, AK_EFORMAT, err.msg, "000000000042.jpg", "decoded 6x8", "images[0].width/height say 8x6");
    ck_assert_int_eq(asked, 0);
    /* the same through the det source without resize, which decodes straight into the sample */
    ak_det_source src = {&ds, ak_det_aug_default(1, 0, 0)};
    ak_source so = ak_det_source_make(&src);
    ak_work w;
    memset(&w, 0, sizeof w);
    ak_sample out;
    memset(&out, 0, sizeof out);
    ak_error_clear(&err);
    rc = so.load(so.self, 0, ak_aug_rng(1, 0, 0), &w, &out, &err);
    ds_assert_msg_has(rc, AK_EFORMAT, err.msg, "000000000042.jpg", "decoded 6x8", "images[0].width/height say 8x6");
    ak_sample_free(&out);
    ak_work_free(&w);
    ak_coco_dataset_close(&ds);
    ds_rmtree(tmp);
    free(tmp);
    free(j);
}
END_TEST

START_TEST(jpeg_roundtrip_and_header) {
    enum { H = 16, W = 24 };
    uint8_t px[H * W * 3];
    for (int i = 0; i < H * W; i++)
        px[3 * i] = px[3 * i + 1] = px[3 * i + 2] = 128; /* grey: no chroma, DC only -> exact */
    char *tmp = ds_tmpdir(), *p = ds_path(tmp, "g.jpg");
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_jpeg_write(p, px, H, W, 3, 90, &err), AK_OK);
    int h, w;
    ck_assert(ak_jpeg_read_size(p, &h, &w, &err) == AK_OK && h == H && w == W);
    uint8_t *back;
    ck_assert_int_eq(ak_jpeg_read(p, 1, &back, &h, &w, &err), AK_OK);
    for (int i = 0; i < H * W; i++)
        ck_assert_msg(back[i] == 128, "grey pixel %d = %u", i, back[i]);
    free(back);
    /* same input -> same bytes */
    uint8_t *a, *b;
    size_t na, nb;
    ck_assert(ak_jpeg_encode(px, H, W, 3, 90, &a, &na, &err) == AK_OK && ak_jpeg_encode(px, H, W, 3, 90, &b, &nb, &err) == AK_OK);
    ck_assert(na == nb && memcmp(a, b, na) == 0);
    free(a);
    free(b);
    ck_assert_int_eq(ak_jpeg_encode(px, H, W, 2, 90, &a, &na, &err), AK_EINVAL);
    free(p);
    ds_rmtree(tmp);
    free(tmp);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("datasets_coco");
    TCase *tc = tcase_create("coco");
    tcase_add_test(tc, train_split_by_hand);
    tcase_add_test(tc, eval_split_keeps_all);
    tcase_add_test(tc, det_source_without_resize);
    tcase_add_test(tc, malformed_json_names_line_and_column);
    tcase_add_test(tc, annotation_to_missing_image);
    tcase_add_test(tc, unknown_category);
    tcase_add_test(tc, zero_size_box);
    tcase_add_test(tc, box_outside_image);
    tcase_add_test(tc, missing_image_file);
    tcase_add_test(tc, empty_split);
    tcase_add_test(tc, skip_policy_counts);
    tcase_add_test(tc, bad_image_files);
    tcase_add_test(tc, decoded_size_must_match_json);
    tcase_add_test(tc, jpeg_roundtrip_and_header);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(make_suite)
