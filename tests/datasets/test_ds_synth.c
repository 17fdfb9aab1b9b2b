/* Synthetic generators: same seed -> identical bytes (for 1 or 2 OpenMP threads), different seed ->
 * different data; the output opens with the real readers; the COCO data covers the 8 categories,
 * small / medium / large areas and crowd regions with annotations consistent with the pixels; the
 * Cityscapes data covers all 19 classes plus void with valid label ids. */
#include <omp.h>
#include <string.h>

#include "aktest.h"
#include "datasets/cityscapes_dataset.h"
#include "datasets/coco_dataset.h"
#include "datasets/synth_cityscapes.h"
#include "datasets/synth_coco.h"
#include "ds_util.h"

static const char *const coco_files[] = {"annotations/instances_train2017.json", "train2017/000000000001.jpg",
                                         "train2017/000000000004.jpg", NULL};
static const char *const cs_files[] = {"leftImg8bit/train/aachen/aachen_000000_000019_leftImg8bit.png",
                                       "gtFine/train/bremen/bremen_000005_000019_gtFine_labelIds.png", NULL};

/* 1 if every listed file is byte-identical under both roots. */
static int same_files(const char *a, const char *b, const char *const *files) {
    int same = 1;
    for (int i = 0; files[i]; i++) {
        char *pa = ds_path(a, files[i]), *pb = ds_path(b, files[i]);
        size_t na, nb;
        unsigned char *x = ds_read(pa, &na), *y = ds_read(pb, &nb);
        same &= na == nb && memcmp(x, y, na) == 0;
        free(x);
        free(y);
        free(pa);
        free(pb);
    }
    return same;
}

static void gen(int coco, const char *dir, uint64_t seed, int threads) {
    ak_synth_opts o = {dir, 6, 72, 96, seed, "train", 0, 0, false};
    ak_error err;
    ak_error_clear(&err);
    omp_set_num_threads(threads);
    int rc = coco ? ak_synth_coco(&o, NULL, &err) : ak_synth_cityscapes(&o, NULL, &err);
    ck_assert_msg(rc == AK_OK, "%s", err.msg);
}

START_TEST(deterministic_bytes) {
    char *tmp = ds_tmpdir();
    for (int coco = 0; coco < 2; coco++) {
        char *a = ds_path(tmp, coco ? "ca" : "sa"), *b = ds_path(tmp, coco ? "cb" : "sb"), *c = ds_path(tmp, coco ? "cc" : "sc");
        gen(coco, a, 3, 1);
        gen(coco, b, 3, 2);
        gen(coco, c, 4, 2);
        const char *const *files = coco ? coco_files : cs_files;
        ck_assert_msg(same_files(a, b, files), "%s: same seed, 1 vs 2 threads: files differ", coco ? "coco" : "cityscapes");
        for (int i = 0; files[i]; i++) {
            const char *one[] = {files[i], NULL};
            ck_assert_msg(!same_files(a, c, one), "%s: seeds 3 and 4 give the same %s", coco ? "coco" : "cityscapes",
                          files[i]);
        }
        free(a);
        free(b);
        free(c);
    }
    omp_set_num_threads(2);
    ds_rmtree(tmp);
    free(tmp);
}
END_TEST

START_TEST(coco_content) {
    char *tmp = ds_tmpdir();
    ak_synth_opts o = {tmp, 24, 240, 320, 11, "val", 0, 0, false};
    ak_error err;
    ak_error_clear(&err);
    ak_synth_coco_stats st;
    ck_assert_msg(ak_synth_coco(&o, &st, &err) == AK_OK, "%s", err.msg);
    ck_assert(st.images == 24 && st.small > 0 && st.medium > 0 && st.large > 0 && st.crowd > 0);
    for (int c = 0; c < AK_SYNTH_COCO_CLASSES; c++)
        ck_assert_msg(st.per_class[c] > 0, "no %s", ak_synth_coco_cat_names[c]);
    char *ann = ds_path(tmp, "annotations/instances_val2017.json"), *img = ds_path(tmp, "val2017");
    ak_coco_dataset ds;
    ak_coco_dataset_opts co = {ann, img, 0, AK_BAD_SAMPLE_ERROR, 1};
    ck_assert_msg(ak_coco_dataset_open(&ds, &co, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(ds.n, 24);
    ck_assert_int_eq(ds.n_classes, 8);
    const int64_t ids[8] = {1, 2, 3, 6, 13, 37, 44, 85};
    for (int c = 0; c < 8; c++)
        ck_assert_int_eq(ds.cat_ids[c], ids[c]);
    int64_t boxes = 0, ign = 0;
    for (int64_t i = 0; i < ds.n; i++) {
        boxes += ds.recs[i].n_boxes;
        ign += ds.recs[i].n_ignore;
    }
    ck_assert_int_eq(boxes, st.anns);
    ck_assert_int_eq(ign, st.crowd);
    ak_image im = {0};
    ck_assert_msg(ak_coco_dataset_decode(&ds, 23, &im, &err) == AK_OK, "%s", err.msg);
    ck_assert(im.h == 240 && im.w == 320);
    ak_image_free(&im);
    ak_coco_dataset_close(&ds);
    /* annotations match the rendered instance map of image 0: tight visible boxes, pixel areas */
    uint8_t *rgb = malloc(240 * 320 * 3);
    int32_t *map = malloc(sizeof(int32_t) * 240 * 320);
    ak_synth_ann a[AK_SYNTH_COCO_MAX_ANNS];
    const ak_synth_opts ro = {NULL, 0, 240, 320, 11, "val", 0, 0, false};
    const int n = ak_synth_coco_render(&ro, 0, rgb, map, a);
    ck_assert_int_gt(n, 0);
    int64_t total = 0;
    for (int i = 0; i < 240 * 320; i++)
        total += map[i] > 0;
    double sum_area = 0;
    for (int k = 0; k < n; k++) {
        ck_assert(a[k].area >= 10 && a[k].area <= a[k].bbox[2] * a[k].bbox[3]);
        ck_assert(a[k].bbox[0] >= 0 && a[k].bbox[1] >= 0 && a[k].bbox[0] + a[k].bbox[2] <= 320 &&
                  a[k].bbox[1] + a[k].bbox[3] <= 240);
        sum_area += a[k].area;
    }
    ck_assert(sum_area <= (double)total); /* instances below 10 pixels are left out */
    free(rgb);
    free(map);
    free(ann);
    free(img);
    ds_rmtree(tmp);
    free(tmp);
}
END_TEST

/* Scene statistics of n rendered images (non-crowd annotations only, except `crowd`); small: boxes
 * (not pixel areas) under 32x32. */
typedef struct scene_stats {
    int anns, crowd, small, most_per_image, unannotated_instances;
} scene_stats;

static scene_stats render_stats(const ak_synth_opts *o, int n) {
    scene_stats s = {0};
    uint8_t *rgb = malloc((size_t)o->height * (size_t)o->width * 3);
    int32_t *map = malloc(sizeof(int32_t) * (size_t)o->height * (size_t)o->width);
    ak_synth_ann a[AK_SYNTH_COCO_MAX_ANNS];
    for (int i = 0; i < n; i++) {
        const int k = ak_synth_coco_render(o, i, rgb, map, a);
        int here = 0;
        for (int j = 0; j < k; j++) {
            if (a[j].iscrowd) {
                s.crowd++;
                continue;
            }
            here++;
            s.anns++;
            s.small += a[j].bbox[2] * a[j].bbox[3] < 32.0 * 32.0;
        }
        s.most_per_image = here > s.most_per_image ? here : s.most_per_image;
    }
    free(rgb);
    free(map);
    return s;
}

/* The scene options (ak_synth_opts after `split`): clean scenes have no crowd regions; min_box
 * moves the object sizes up; max_objects bounds the labelled objects per image; the defaults (0)
 * are the full scenes. */
START_TEST(coco_scene_options) {
    const ak_synth_opts full = {NULL, 0, 128, 128, 4, "train", 0, 0, false};
    ak_synth_opts clean = full, big = full, few = full;
    clean.clean = true;
    big.min_box = 32;
    few.max_objects = 2;
    const scene_stats f = render_stats(&full, 40), c = render_stats(&clean, 40), b = render_stats(&big, 40),
                      w = render_stats(&few, 40);
    ck_assert_msg(f.crowd > 0 && c.crowd == 0, "crowd regions: full %d, clean %d", f.crowd, c.crowd);
    ck_assert_int_le(f.most_per_image, 9);
    ck_assert_int_gt(f.most_per_image, 2);
    ck_assert_int_le(w.most_per_image, 2);
    ck_assert_int_gt(w.anns, 40); /* 1 or 2 per image, except the few hidden behind others */
    /* default sizes: box areas log-uniform from 10x10 to a quarter of the image, mostly under
     * 32x32 at 128x128; min_box 32: such boxes only where an object is cut by the border or
     * hidden in part */
    fprintf(stderr, "small boxes: full %d of %d, min_box 32: %d of %d\n", f.small, f.anns, b.small, b.anns);
    ck_assert_msg(2 * f.small > f.anns, "full: %d of %d small", f.small, f.anns);
    ck_assert_msg(4 * b.small < b.anns, "min_box 32: %d of %d small", b.small, b.anns);
    /* clean scenes draw the same objects (same draw sequence) without the occluding clutter: at
     * least as many annotated objects */
    ck_assert_int_ge(c.anns, f.anns);
}
END_TEST

START_TEST(cityscapes_content) {
    char *tmp = ds_tmpdir();
    ak_synth_opts o = {tmp, 8, 128, 256, 2, "val", 0, 0, false};
    ak_error err;
    ak_error_clear(&err);
    ak_synth_cityscapes_stats st;
    ck_assert_msg(ak_synth_cityscapes(&o, &st, &err) == AK_OK, "%s", err.msg);
    for (int c = 0; c <= AK_CITYSCAPES_CLASSES; c++)
        ck_assert_msg(st.pixels[c] > 0, "no pixels of train id %d (%s)", c,
                      c < AK_CITYSCAPES_CLASSES ? ak_cityscapes_class_name(c) : "void");
    ak_cityscapes_dataset ds;
    ak_cityscapes_opts co = {tmp, "val", AK_BAD_SAMPLE_ERROR};
    ck_assert_msg(ak_cityscapes_open(&ds, &co, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(ds.n, 8);
    ck_assert(strstr(ds.recs[0].image_path, "/leftImg8bit/val/frankfurt/frankfurt_000000_000019_leftImg8bit.png"));
    ak_image im = {0}, lab = {0};
    int64_t counted[AK_CITYSCAPES_CLASSES + 1] = {0};
    for (int64_t i = 0; i < ds.n; i++) {
        int64_t bad;
        ck_assert_msg(ak_cityscapes_decode(&ds, i, &im, &lab, &bad, &err) == AK_OK, "%s", err.msg);
        ck_assert(bad == 0 && im.h == 128 && im.w == 256);
        for (int k = 0; k < 128 * 256; k++)
            counted[lab.data[k] == 255 ? AK_CITYSCAPES_CLASSES : lab.data[k]]++;
    }
    for (int c = 0; c <= AK_CITYSCAPES_CLASSES; c++)
        ck_assert_int_eq(counted[c], st.pixels[c]); /* what was written is what the reader maps back */
    ak_image_free(&im);
    ak_image_free(&lab);
    ak_cityscapes_close(&ds);
    ds_rmtree(tmp);
    free(tmp);
}
END_TEST

START_TEST(rejects_bad_options) {
    ak_synth_opts o = {"/tmp/never", 0, 72, 96, 1, "train", 0, 0, false};
    ak_error err;
    ak_error_clear(&err);
    ds_assert_msg_has(ak_synth_coco(&o, NULL, &err), AK_EINVAL, err.msg, "images >= 1");
    o.n_images = 1;
    o.height = 8;
    ak_error_clear(&err);
    ds_assert_msg_has(ak_synth_cityscapes(&o, NULL, &err), AK_EINVAL, err.msg, "16x16", "8x96");
    o.height = 72;
    o.out_dir = "/proc/akds_no_such_dir/x";
    ak_error_clear(&err);
    ds_assert_msg_has(ak_synth_coco(&o, NULL, &err), AK_EIO, err.msg, "/proc/akds_no_such_dir", "cannot create folder");
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("datasets_synth");
    TCase *tc = tcase_create("synth");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, deterministic_bytes);
    tcase_add_test(tc, coco_content);
    tcase_add_test(tc, coco_scene_options);
    tcase_add_test(tc, cityscapes_content);
    tcase_add_test(tc, rejects_bad_options);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(make_suite)
