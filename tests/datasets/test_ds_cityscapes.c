/* Cityscapes reader on the tiny fixture folder (tools/fixtures/datasets_folders.py; expected values
 * restated by hand from the official label table) and its bad-input rules. */
#include <string.h>

#include "aktest.h"
#include "datasets/cityscapes_dataset.h"
#include "datasets/png_io.h"
#include "datasets/source.h"
#include "ds_util.h"

static int open_fx(ak_cityscapes_dataset *ds, const char *root, ak_bad_sample_policy pol, ak_error *err) {
    ak_cityscapes_opts o = {root, "val", pol};
    ak_error_clear(err);
    return ak_cityscapes_open(ds, &o, err);
}

START_TEST(reads_and_maps_by_hand) {
    char *root = ak_source_path("tests/fixtures/datasets/cityscapes_tiny");
    ak_cityscapes_dataset ds;
    ak_error err;
    ck_assert_msg(open_fx(&ds, root, AK_BAD_SAMPLE_ERROR, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(ds.n, 3);
    /* sorted by city then name; bonn has a labelTrainIds file, which wins */
    ck_assert(strstr(ds.recs[0].image_path, "aachen/aachen_000000_000019_leftImg8bit.png") && !ds.recs[0].train_ids);
    ck_assert(strstr(ds.recs[1].image_path, "aachen_000001") && !ds.recs[1].train_ids);
    ck_assert(strstr(ds.recs[2].label_path, "bonn_000000_000019_gtFine_labelTrainIds.png") && ds.recs[2].train_ids);
    ak_image im = {0}, lab = {0};
    int64_t bad;
    ck_assert_msg(ak_cityscapes_decode(&ds, 0, &im, &lab, &bad, &err) == AK_OK, "%s", err.msg);
    ck_assert(im.h == 4 && im.w == 6 && im.c == 3 && lab.h == 4 && lab.w == 6 && lab.c == 1 && bad == 0);
    /* labelIds 7 8 26 0 33 255 23 11 21 22 24 -> trainIds 0 1 13 255 18 255 10 2 8 9 11 */
    const uint8_t want[24] = {0,  0,  1,  1, 13,  13, 0, 0, 1, 255, 13, 18,
                              10, 10, 10, 10, 255, 18, 2, 2, 8, 8,   9,  11};
    for (int i = 0; i < 24; i++)
        ck_assert_msg(lab.data[i] == want[i], "pixel %d: train id %u, expected %u", i, lab.data[i], want[i]);
    /* image: R = 10 * pixel index, G = 200 - sample, B = 7 * sample */
    ck_assert(im.data[3 * 5] == 50 && im.data[3 * 5 + 1] == 200 && im.data[3 * 5 + 2] == 0);
    ck_assert_msg(ak_cityscapes_decode(&ds, 2, &im, &lab, &bad, &err) == AK_OK, "%s", err.msg);
    /* from the labelTrainIds file, unchanged: 0..18 then 255 */
    for (int i = 0; i < 19; i++)
        ck_assert_int_eq(lab.data[i], i);
    ck_assert(lab.data[19] == 255 && lab.data[20] == 18 && im.data[1] == 198 && im.data[2] == 14);
    ak_image_free(&im);
    ak_image_free(&lab);
    ak_cityscapes_close(&ds);
    free(root);
}
END_TEST

START_TEST(seg_source_eval_keeps_label) {
    char *root = ak_source_path("tests/fixtures/datasets/cityscapes_tiny");
    ak_cityscapes_dataset ds;
    ak_error err;
    ck_assert(open_fx(&ds, root, AK_BAD_SAMPLE_ERROR, &err) == AK_OK);
    ak_seg_source src = {&ds, ak_seg_aug_default(0, 12, 8, 0, 0)};
    ak_source s = ak_seg_source_make(&src);
    ak_work w;
    memset(&w, 0, sizeof w);
    ak_sample out;
    memset(&out, 0, sizeof out);
    ck_assert_msg(s.load(s.self, 0, ak_aug_rng(1, 0, 0), &w, &out, &err) == AK_OK, "%s", err.msg);
    /* test pipeline at (12, 8): 4x6 -> factor min(12/6, 8/4) = 2 -> 8x12 image, label kept at 4x6 */
    ck_assert(out.img_h == 8 && out.img_w == 12 && out.pad_h == 8 && out.pad_w == 12);
    ck_assert(out.lab_h == 4 && out.lab_w == 6 && out.label[4] == 13 && out.image_id == -1);
    ak_sample_free(&out);
    ak_work_free(&w);
    ak_cityscapes_close(&ds);
    free(root);
}
END_TEST

/* A scratch Cityscapes folder with one image and the given label map (or none). */
static char *make_root(const uint8_t *lab, int lh, int lw, int train_ids) {
    char *root = ds_tmpdir(), p[4096];
    const char *dirs[] = {"leftImg8bit", "leftImg8bit/val", "leftImg8bit/val/x", "gtFine", "gtFine/val", "gtFine/val/x"};
    for (int i = 0; i < 6; i++) {
        snprintf(p, sizeof p, "%s/%s", root, dirs[i]);
        mkdir(p, 0777);
    }
    uint8_t img[4 * 6 * 3] = {0};
    ak_error err;
    ak_error_clear(&err);
    snprintf(p, sizeof p, "%s/leftImg8bit/val/x/x_000000_000019_leftImg8bit.png", root);
    ck_assert(ak_png_write(p, img, 4, 6, 3, -1, &err) == AK_OK);
    if (lab) {
        snprintf(p, sizeof p, "%s/gtFine/val/x/x_000000_000019_gtFine_%s.png", root, train_ids ? "labelTrainIds" : "labelIds");
        ck_assert(ak_png_write(p, lab, lh, lw, 1, -1, &err) == AK_OK);
    }
    return root;
}

START_TEST(label_ids_outside_table) {
    uint8_t lab[24];
    memset(lab, 7, sizeof lab);
    lab[9] = 40; /* not a Cityscapes label id */
    lab[10] = 34;
    char *root = make_root(lab, 4, 6, 0);
    ak_cityscapes_dataset ds;
    ak_error err;
    ck_assert(open_fx(&ds, root, AK_BAD_SAMPLE_ERROR, &err) == AK_OK);
    ak_image im = {0}, l = {0};
    int64_t bad;
    int rc = ak_cityscapes_decode(&ds, 0, &im, &l, &bad, &err);
    ds_assert_msg_has(rc, AK_ERANGE, err.msg, "x_000000_000019_gtFine_labelIds.png", "label id 40 at pixel (y=1, x=3)",
                      "0..33 or 255");
    ak_cityscapes_close(&ds);
    /* skip: mapped to 255 and counted */
    ck_assert(open_fx(&ds, root, AK_BAD_SAMPLE_SKIP, &err) == AK_OK);
    ck_assert_msg(ak_cityscapes_decode(&ds, 0, &im, &l, &bad, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(bad, 2);
    ck_assert(l.data[9] == 255 && l.data[10] == 255 && l.data[0] == 0);
    ak_cityscapes_close(&ds);
    ds_rmtree(root);
    free(root);
    /* train ids: 19..254 are invalid */
    lab[9] = 19;
    lab[10] = 0;
    root = make_root(lab, 4, 6, 1);
    ck_assert(open_fx(&ds, root, AK_BAD_SAMPLE_ERROR, &err) == AK_OK);
    rc = ak_cityscapes_decode(&ds, 0, &im, &l, &bad, &err);
    ds_assert_msg_has(rc, AK_ERANGE, err.msg, "labelTrainIds.png", "train id 19", "0..18 or 255");
    ak_cityscapes_close(&ds);
    ak_image_free(&im);
    ak_image_free(&l);
    ds_rmtree(root);
    free(root);
}
END_TEST

START_TEST(size_mismatch_and_missing_gt) {
    uint8_t lab[20];
    memset(lab, 7, sizeof lab);
    char *root = make_root(lab, 4, 5, 0);
    ak_cityscapes_dataset ds;
    ak_error err;
    ck_assert(open_fx(&ds, root, AK_BAD_SAMPLE_ERROR, &err) == AK_OK);
    ak_image im = {0}, l = {0};
    int64_t bad;
    int rc = ak_cityscapes_decode(&ds, 0, &im, &l, &bad, &err);
    ds_assert_msg_has(rc, AK_ESHAPE, err.msg, "gtFine_labelIds.png: label map is 4x5", "leftImg8bit.png is 4x6");
    ak_cityscapes_close(&ds);
    ak_image_free(&im);
    ak_image_free(&l);
    ds_rmtree(root);
    free(root);
    /* no ground truth: an error, or skipped and counted (and then the split is empty) */
    root = make_root(NULL, 0, 0, 0);
    rc = open_fx(&ds, root, AK_BAD_SAMPLE_ERROR, &err);
    ds_assert_msg_has(rc, AK_EIO, err.msg, "x_000000_000019_leftImg8bit.png: no ground truth", "gtFine_labelIds.png");
    rc = open_fx(&ds, root, AK_BAD_SAMPLE_SKIP, &err);
    ds_assert_msg_has(rc, AK_EFORMAT, err.msg, "leftImg8bit/val", "empty split", "no ground truth");
    ds_rmtree(root);
    free(root);
}
END_TEST

START_TEST(missing_or_empty_split) {
    char *root = ak_source_path("tests/fixtures/datasets/cityscapes_tiny");
    ak_cityscapes_dataset ds;
    ak_error err;
    ak_cityscapes_opts o = {root, "train", AK_BAD_SAMPLE_ERROR};
    ak_error_clear(&err);
    int rc = ak_cityscapes_open(&ds, &o, &err);
    ds_assert_msg_has(rc, AK_EIO, err.msg, "cityscapes_tiny/leftImg8bit/train", "cannot open folder");
    free(root);
    root = ds_tmpdir();
    char p[4096];
    snprintf(p, sizeof p, "%s/leftImg8bit", root);
    mkdir(p, 0777);
    snprintf(p, sizeof p, "%s/leftImg8bit/val", root);
    mkdir(p, 0777);
    rc = open_fx(&ds, root, AK_BAD_SAMPLE_ERROR, &err);
    ds_assert_msg_has(rc, AK_EFORMAT, err.msg, "leftImg8bit/val", "empty split");
    ds_rmtree(root);
    free(root);
}
END_TEST

START_TEST(corrupt_png) {
    char *root = make_root((const uint8_t[24]){0}, 4, 6, 0);
    char p[4096];
    snprintf(p, sizeof p, "%s/gtFine/val/x/x_000000_000019_gtFine_labelIds.png", root);
    size_t n;
    unsigned char *b = ds_read(p, &n);
    ds_write(p, b, n - 20); /* truncated */
    ak_cityscapes_dataset ds;
    ak_error err;
    ck_assert(open_fx(&ds, root, AK_BAD_SAMPLE_ERROR, &err) == AK_OK);
    ak_image im = {0}, l = {0};
    int64_t bad;
    int rc = ak_cityscapes_decode(&ds, 0, &im, &l, &bad, &err);
    ds_assert_msg_has(rc, AK_EFORMAT, err.msg, "x_000000_000019_gtFine_labelIds.png");
    ak_cityscapes_close(&ds);
    ak_image_free(&im);
    ak_image_free(&l);
    free(b);
    ds_rmtree(root);
    free(root);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("datasets_cityscapes");
    TCase *tc = tcase_create("cityscapes");
    tcase_add_test(tc, reads_and_maps_by_hand);
    tcase_add_test(tc, seg_source_eval_keeps_label);
    tcase_add_test(tc, label_ids_outside_table);
    tcase_add_test(tc, size_mismatch_and_missing_gt);
    tcase_add_test(tc, missing_or_empty_split);
    tcase_add_test(tc, corrupt_png);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(make_suite)
