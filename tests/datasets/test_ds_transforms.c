/* Transforms against cv2 / mmcv / mmdet / mmseg reference values (tools/fixtures/datasets_transforms.py)
 * and the random-choice rules (slots of the per-sample stream, mmseg's crop retry). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aktest.h"
#include "datasets/batch_input.h"
#include "datasets/det_transforms.h"
#include "datasets/geometry.h"
#include "datasets/photometric.h"
#include "datasets/resize.h"
#include "datasets/seg_transforms.h"

static ak_safetensors fx;

static void open_fixture(void) { ak_fixture_open(&fx, "datasets/transforms.safetensors"); }
static void close_fixture(void) { ak_safetensors_close(&fx); }

/* Entry `name` as uint8, checking the element count. Points into the fixture blob. */
static const uint8_t *u8(const char *name, int64_t numel) {
    const ak_st_entry *e = ak_safetensors_find(&fx, name);
    ck_assert_msg(e != NULL, "fixture has no '%s' (re-run tools/make_fixtures.py datasets_transforms)", name);
    ck_assert_msg(e->dtype == AK_ST_U8 && e->numel == numel, "fixture %s: dtype %d numel %lld, expected U8 x %lld",
                  name, (int)e->dtype, (long long)e->numel, (long long)numel);
    return e->data;
}

static int64_t *i64(const char *name, int64_t numel) {
    int64_t *v = malloc(sizeof *v * (size_t)numel);
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_safetensors_read_i64(&fx, name, v, numel, &err) == AK_OK, "%s", err.msg);
    return v;
}

static float *f32(const char *name, int64_t numel) {
    float *v = malloc(sizeof *v * (size_t)numel);
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_safetensors_read_f32(&fx, name, v, numel, &err) == AK_OK, "%s", err.msg);
    return v;
}

static void assert_bytes(const char *what, const uint8_t *got, const uint8_t *want, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "%s: element %lld: got %u want %u", what, (long long)i, got[i], want[i]);
}

START_TEST(resize_matches_cv2) {
    const ak_st_entry *e = ak_safetensors_find(&fx, "resize_cases");
    ck_assert(e != NULL);
    const int n = (int)e->shape[0];
    int64_t *cases = i64("resize_cases", (int64_t)n * 5);
    ak_error err;
    ak_error_clear(&err);
    for (int i = 0; i < n; i++) {
        const int sh = (int)cases[5 * i], sw = (int)cases[5 * i + 1], dh = (int)cases[5 * i + 2],
                  dw = (int)cases[5 * i + 3], c = (int)cases[5 * i + 4];
        char name[64];
        snprintf(name, sizeof name, "resize%d_src", i);
        const uint8_t *src = u8(name, (int64_t)sh * sw * c);
        uint8_t *got = malloc((size_t)dh * dw * c);
        ck_assert_int_eq(ak_resize_bilinear_u8(src, sh, sw, c, got, dh, dw, &err), AK_OK);
        snprintf(name, sizeof name, "resize%d_lin", i);
        char what[96];
        snprintf(what, sizeof what, "bilinear %dx%dx%d -> %dx%d", sh, sw, c, dh, dw);
        assert_bytes(what, got, u8(name, (int64_t)dh * dw * c), (int64_t)dh * dw * c);
        ck_assert_int_eq(ak_resize_nearest_u8(src, sh, sw, c, got, dh, dw, &err), AK_OK);
        snprintf(name, sizeof name, "resize%d_near", i);
        snprintf(what, sizeof what, "nearest %dx%dx%d -> %dx%d", sh, sw, c, dh, dw);
        assert_bytes(what, got, u8(name, (int64_t)dh * dw * c), (int64_t)dh * dw * c);
        free(got);
    }
    free(cases);
}
END_TEST

START_TEST(resize_rejects_bad_sizes) {
    ak_error err;
    ak_error_clear(&err);
    uint8_t px[4] = {0};
    ck_assert_int_eq(ak_resize_bilinear_u8(px, 2, 2, 1, px, 0, 3, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "resize_bilinear") && strstr(err.msg, "0x3"), "%s", err.msg);
}
END_TEST

START_TEST(rescale_size_matches_mmcv) {
    const ak_st_entry *e = ak_safetensors_find(&fx, "rescale_in");
    const int n = (int)e->shape[0];
    int64_t *in = i64("rescale_in", (int64_t)n * 4), *out = i64("rescale_out", (int64_t)n * 2);
    for (int i = 0; i < n; i++) {
        int nh, nw;
        double f;
        ak_rescale_size((int)in[4 * i], (int)in[4 * i + 1], (int)in[4 * i + 2], (int)in[4 * i + 3], &nh, &nw, &f);
        ck_assert_msg(nh == out[2 * i] && nw == out[2 * i + 1], "case %d: %lldx%lld at (%lld, %lld): got %dx%d want "
                      "%lldx%lld", i, (long long)in[4 * i], (long long)in[4 * i + 1], (long long)in[4 * i + 2],
                      (long long)in[4 * i + 3], nh, nw, (long long)out[2 * i], (long long)out[2 * i + 1]);
    }
    /* hand-checked: COCO 480x640 at (1333, 800): f = min(1333/640, 800/480) = 1.6667 -> 800x1067 */
    int nh, nw;
    ak_rescale_size(480, 640, 1333, 800, &nh, &nw, NULL);
    ck_assert_int_eq(nh, 800);
    ck_assert_int_eq(nw, 1067);
    free(in);
    free(out);
}
END_TEST

START_TEST(hsv_matches_cv2) {
    const int64_t n = 128 * 32;
    uint8_t *got = malloc((size_t)n * 3);
    ak_rgb_to_hsv_u8(u8("hsv_rgb", n * 3), got, (size_t)n);
    assert_bytes("rgb->hsv", got, u8("hsv_of_rgb", n * 3), n * 3);
    ak_hsv_to_rgb_u8(u8("hsv_in", n * 3), got, (size_t)n);
    assert_bytes("hsv->rgb", got, u8("rgb_of_hsv", n * 3), n * 3);
    /* hand-checked: pure red is H 0, S 255, V 255; pure blue H 120 */
    const uint8_t red[3] = {255, 0, 0}, blue[3] = {0, 0, 255};
    uint8_t hsv[3];
    ak_rgb_to_hsv_u8(red, hsv, 1);
    ck_assert(hsv[0] == 0 && hsv[1] == 255 && hsv[2] == 255);
    ak_rgb_to_hsv_u8(blue, hsv, 1);
    ck_assert_int_eq(hsv[0], 120);
    free(got);
}
END_TEST

START_TEST(photometric_matches_mmseg) {
    const ak_st_entry *e = ak_safetensors_find(&fx, "photo_params");
    const int n = (int)e->shape[0];
    float *p = f32("photo_params", (int64_t)n * 9);
    const int64_t px = 16 * 32;
    uint8_t *img = malloc((size_t)px * 3), *hsv = malloc((size_t)px * 3);
    for (int i = 0; i < n; i++) {
        const float *q = p + 9 * i;
        ak_photometric_params pp = {(int)q[0], q[1], (int)q[2] == 1, (int)q[3], q[4], (int)q[5], q[6], (int)q[7],
                                    (int)lrintf(q[8])};
        memcpy(img, u8("photo_img", px * 3), (size_t)px * 3);
        ak_photometric_apply(img, (size_t)px, &pp, hsv);
        char name[32], what[64];
        snprintf(name, sizeof name, "photo%d", i);
        snprintf(what, sizeof what, "photometric case %d", i);
        assert_bytes(what, img, u8(name, px * 3), px * 3);
    }
    /* numpy's convert: 200 * 1.3 = 260 -> 255; 10 - 20.5 -> 0; 100.9 truncates to 100 */
    ck_assert_int_eq(ak_convert_u8(200, 1.3f, 0.0f), 255);
    ck_assert_int_eq(ak_convert_u8(10, 1.0f, -20.5f), 0);
    ck_assert_int_eq(ak_convert_u8(100, 1.0f, 0.9f), 100);
    free(p);
    free(img);
    free(hsv);
}
END_TEST

START_TEST(photometric_draws_mmseg_ranges) {
    ak_photometric_cfg cfg = ak_photometric_default();
    int seen[9] = {0}, hue_lo = 100, hue_hi = -100;
    float beta_lo = 1e9f, beta_hi = -1e9f, c_lo = 1e9f, c_hi = -1e9f;
    for (int i = 0; i < 4000; i++) {
        ak_photometric_params p = ak_photometric_draw(&cfg, ak_aug_rng(5, 0, i), AK_AUG_SLOT_PHOTOMETRIC);
        seen[0] += p.do_brightness;
        seen[1] += p.contrast_first;
        seen[2] += p.do_contrast;
        seen[3] += p.do_saturation;
        seen[4] += p.do_hue;
        hue_lo = p.hue_delta < hue_lo ? p.hue_delta : hue_lo;
        hue_hi = p.hue_delta > hue_hi ? p.hue_delta : hue_hi;
        beta_lo = fminf(beta_lo, p.beta);
        beta_hi = fmaxf(beta_hi, p.beta);
        c_lo = fminf(c_lo, fminf(p.contrast, p.saturation));
        c_hi = fmaxf(c_hi, fmaxf(p.contrast, p.saturation));
    }
    for (int k = 0; k < 5; k++) /* each coin is fair: 2000 +- 5 sigma */
        ck_assert_msg(abs(seen[k] - 2000) < 160, "coin %d: %d of 4000", k, seen[k]);
    ck_assert_int_eq(hue_lo, -18); /* numpy randint(-18, 18) never gives 18 */
    ck_assert_int_eq(hue_hi, 17);
    ck_assert(beta_lo >= -32.0f && beta_lo < -31.0f && beta_hi < 32.0f && beta_hi > 31.0f);
    ck_assert(c_lo >= 0.5f && c_lo < 0.51f && c_hi < 1.5f && c_hi > 1.49f);
}
END_TEST

START_TEST(normalize_matches_mmcv) {
    const int h = 5, w = 7;
    float got[3 * 8 * 8], *want = f32("norm_out", 3 * h * w);
    const double mean[3] = {123.675, 116.28, 103.53}, std[3] = {58.395, 57.12, 57.375};
    ak_normalize_pad_chw(u8("norm_img", h * w * 3), h, w, 0, mean, std, got, 8, 8);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++) {
                const float g = got[(c * 8 + y) * 8 + x];
                if (y < h && x < w)
                    ck_assert_msg(g == want[(c * h + y) * w + x], "normalise c%d y%d x%d: got %.9g want %.9g", c, y, x,
                                  g, want[(c * h + y) * w + x]);
                else
                    ck_assert_msg(g == 0.0f, "padding c%d y%d x%d = %g", c, y, x, g);
            }
    /* the fused flip reads each row backwards */
    ak_normalize_pad_chw(u8("norm_img", h * w * 3), h, w, 1, mean, std, got, h, w);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                ck_assert(got[(c * h + y) * w + x] == want[(c * h + y) * w + (w - 1 - x)]);
    free(want);
}
END_TEST

START_TEST(det_pipeline_matches_mmdet) {
    const int h = 14, w = 19;
    float *boxes = f32("det_boxes", 12), *scale = f32("det_scale", 2);
    const int32_t labels[3] = {4, 0, 7};
    for (int flip = 0; flip < 2; flip++) {
        ak_det_aug aug = ak_det_aug_default(1, 32, 24);
        aug.flip_prob = flip ? 1.0f : 0.0f; /* uniform < 1 always: a forced flip */
        ak_work wk;
        memset(&wk, 0, sizeof wk);
        ak_sample s;
        memset(&s, 0, sizeof s);
        ak_error err;
        ak_error_clear(&err);
        ck_assert_int_eq(ak_image_reserve(&wk.img, h, w, 3, &err), AK_OK);
        memcpy(wk.img.data, u8("det_img", h * w * 3), (size_t)h * w * 3);
        const float ign[4] = {1, 1, 5, 5};
        ck_assert_int_eq(ak_det_transform(&aug, ak_aug_rng(1, 0, 0), &wk.img, boxes, labels, 3, ign, 1, &s, &err), AK_OK);
        ck_assert_int_eq(s.img_h, 24);
        ck_assert_int_eq(s.img_w, 32);
        ck_assert_int_eq(s.pad_h, 32);
        ck_assert_int_eq(s.pad_w, 32);
        ck_assert_int_eq(s.flipped, flip);
        ck_assert(s.scale_w == scale[0] && s.scale_h == scale[1]);
        char name[32];
        snprintf(name, sizeof name, "det%d_img", flip);
        float *want = f32(name, 3 * 32 * 32), x[3 * 32 * 32];
        ak_sample_normalize(&s, x, s.pad_h, s.pad_w); /* the network's input step: flip, normalise, pad */
        ak_assert_bitwise(name, x, want, 3 * 32 * 32);
        snprintf(name, sizeof name, "det%d_boxes", flip);
        float *wb = f32(name, 12);
        ak_assert_bitwise(name, s.boxes, wb, 12);
        ck_assert(s.labels[0] == 4 && s.labels[1] == 0 && s.labels[2] == 7);
        /* the crowd region follows the same steps: x * 32/19, flipped around 32 */
        const float x1 = 1.0f * s.scale_w, x2 = 5.0f * s.scale_w;
        ck_assert(s.n_ignore == 1 && s.ignore[0] == (flip ? 32.0f - x2 : x1) && s.ignore[2] == (flip ? 32.0f - x1 : x2));
        free(want);
        free(wb);
        ak_sample_free(&s);
        ak_work_free(&wk);
    }
    free(boxes);
    free(scale);
}
END_TEST

static void load_seg(ak_work *wk, const uint8_t *img, const uint8_t *lab, int h, int w) {
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_image_reserve(&wk->img, h, w, 3, &err), AK_OK);
    ck_assert_int_eq(ak_image_reserve(&wk->lab, h, w, 1, &err), AK_OK);
    memcpy(wk->img.data, img, (size_t)h * w * 3);
    memcpy(wk->lab.data, lab, (size_t)h * w);
}

START_TEST(seg_pipeline_matches_mmseg) {
    int64_t *size = i64("seg_size", 2);
    for (int flip = 0; flip < 2; flip++) {
        ak_seg_aug aug = ak_seg_aug_default(1, 40, 20, 24, 40);
        aug.ratio_lo = aug.ratio_hi = 0.0f; /* a fixed scale: no random ratio */
        aug.photometric = 0;
        aug.flip_prob = flip ? 1.0f : 0.0f;
        ak_work wk;
        memset(&wk, 0, sizeof wk);
        ak_sample s;
        memset(&s, 0, sizeof s);
        ak_error err;
        ak_error_clear(&err);
        load_seg(&wk, u8("seg_img", 12 * 16 * 3), u8("seg_lab", 12 * 16), 12, 16);
        ck_assert_int_eq(ak_seg_transform(&aug, ak_aug_rng(3, 1, 2), &wk, &s, &err), AK_OK);
        ck_assert_int_eq(s.img_h, (int)size[0]);
        ck_assert_int_eq(s.img_w, (int)size[1]);
        ck_assert(s.pad_h == 24 && s.pad_w == 40 && s.lab_h == 24 && s.lab_w == 40);
        char name[32];
        snprintf(name, sizeof name, "seg%d_img", flip);
        float *want = f32(name, 3 * 24 * 40), x[3 * 24 * 40];
        ak_sample_normalize(&s, x, s.pad_h, s.pad_w); /* the network's input step: flip, normalise, pad */
        ak_assert_bitwise(name, x, want, 3 * 24 * 40);
        snprintf(name, sizeof name, "seg%d_lab", flip);
        assert_bytes(name, s.label, u8(name, 24 * 40), 24 * 40);
        free(want);
        ak_sample_free(&s);
        ak_work_free(&wk);
    }
    free(size);
}
END_TEST

START_TEST(crop_ok_rule) {
    /* 2x4 map: 0 0 0 1 / 0 0 255 1 -> classes {0: 5, 1: 2}; max ratio 5/7 = 0.714 */
    const uint8_t lab[8] = {0, 0, 0, 1, 0, 0, 255, 1};
    ck_assert(ak_seg_crop_ok(lab, 2, 4, 0, 2, 0, 4, 0.75f, 255));
    ck_assert(!ak_seg_crop_ok(lab, 2, 4, 0, 2, 0, 4, 0.70f, 255));
    ck_assert(!ak_seg_crop_ok(lab, 2, 4, 0, 2, 0, 2, 0.99f, 255)); /* one class only */
    const uint8_t ign[4] = {255, 255, 255, 3};
    ck_assert(!ak_seg_crop_ok(ign, 2, 2, 0, 2, 0, 2, 0.99f, 255)); /* ignore does not count as a class */
}
END_TEST

/* mmseg RandomCrop: redraw while the crop fails the cat_max_ratio rule, up to 10 retries; the
 * chosen offsets are the first passing draw of the sample's stream. Left 6 columns hold one class,
 * the right 4 columns a second class: a 4x4 crop passes only when it holds both (x1 in 3..5). */
START_TEST(crop_retries_like_mmseg) {
    enum { H = 4, W = 10 };
    uint8_t img[H * W * 3], lab[H * W];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            lab[y * W + x] = x >= 6 ? 2 : 1;
            for (int c = 0; c < 3; c++)
                img[(y * W + x) * 3 + c] = (uint8_t)(x * 20 + c);
        }
    int checked_retry = 0;
    for (int64_t idx = 0; idx < 64; idx++) {
        ak_seg_aug aug = ak_seg_aug_default(1, 0, 0, H, 4);
        aug.photometric = 0;
        aug.flip_prob = 0.0f;
        aug.cat_max_ratio = 0.9f;
        const ak_rng rng = ak_aug_rng(11, 0, idx);
        int expect_x = -1, k;
        for (k = 0; k <= 10; k++) {
            const int x1 = (int)ak_rng_below(rng, AK_AUG_SLOT_CROP + 2 * (uint64_t)k + 1, W - 4 + 1);
            expect_x = x1;
            if (k == 10 || (x1 + 4 > 6 && x1 < 6)) /* both classes in the crop */
                break;
        }
        checked_retry += k > 0;
        ak_work wk;
        memset(&wk, 0, sizeof wk);
        ak_sample s;
        memset(&s, 0, sizeof s);
        ak_error err;
        ak_error_clear(&err);
        load_seg(&wk, img, lab, H, W);
        ck_assert_int_eq(ak_seg_transform(&aug, rng, &wk, &s, &err), AK_OK);
        ck_assert(s.img_h == H && s.img_w == 4);
        /* recover the crop's x offset from the image ramp (the sample's uint8 image) */
        const uint8_t *row = s.image;
        ck_assert_msg(row[0] == (uint8_t)(expect_x * 20), "sample %lld: crop starts at x=%d, expected x=%d",
                      (long long)idx, row[0] / 20, expect_x);
        ak_sample_free(&s);
        ak_work_free(&wk);
    }
    ck_assert_msg(checked_retry > 10, "only %d samples exercised a retry", checked_retry);
}
END_TEST

START_TEST(random_ratio_and_flip_slots) {
    enum { H = 10, W = 20 };
    uint8_t img[H * W * 3], lab[H * W];
    for (int i = 0; i < H * W; i++) {
        lab[i] = (uint8_t)(i % 19);
        img[3 * i] = img[3 * i + 1] = img[3 * i + 2] = (uint8_t)i;
    }
    int flips = 0;
    for (int64_t idx = 0; idx < 200; idx++) {
        ak_seg_aug aug = ak_seg_aug_default(1, 40, 20, 0, 0);
        aug.photometric = 0;
        aug.pad_h = aug.pad_w = 0;
        const ak_rng rng = ak_aug_rng(9, 4, idx);
        const double ratio = (double)ak_rng_uniform1(rng, AK_AUG_SLOT_RATIO) * 1.5 + 0.5;
        int nh, nw;
        ak_rescale_size(H, W, (int)(40 * ratio), (int)(20 * ratio), &nh, &nw, NULL);
        ak_work wk;
        memset(&wk, 0, sizeof wk);
        ak_sample s;
        memset(&s, 0, sizeof s);
        ak_error err;
        ak_error_clear(&err);
        load_seg(&wk, img, lab, H, W);
        ck_assert_int_eq(ak_seg_transform(&aug, rng, &wk, &s, &err), AK_OK);
        ck_assert_msg(s.img_h == nh && s.img_w == nw, "ratio %g: got %dx%d want %dx%d", ratio, s.img_h, s.img_w, nh, nw);
        ck_assert_int_eq(s.flipped, ak_rng_uniform1(rng, AK_AUG_SLOT_FLIP) < 0.5f);
        flips += s.flipped;
        ak_sample_free(&s);
        ak_work_free(&wk);
    }
    ck_assert_msg(flips > 70 && flips < 130, "%d flips of 200", flips);
}
END_TEST

START_TEST(box_geometry_by_hand) {
    float b[8] = {1.5f, 2.0f, 4.0f, 6.0f, -3.0f, 0.0f, 30.0f, 9.0f};
    ak_boxes_rescale_clip(b, 2, 2.0f, 0.5f, 20, 4);
    const float want[8] = {3.0f, 1.0f, 8.0f, 3.0f, 0.0f, 0.0f, 20.0f, 4.0f};
    ak_assert_bitwise("rescale+clip", b, want, 8);
    ak_hflip_boxes(b, 2, 20);
    const float flipped[8] = {12.0f, 1.0f, 17.0f, 3.0f, 0.0f, 0.0f, 20.0f, 4.0f};
    ak_assert_bitwise("flip", b, flipped, 8);
    uint8_t img[6] = {1, 2, 3, 4, 5, 6}; /* 2x3 */
    ak_hflip_u8(img, 2, 3, 1);
    const uint8_t f[6] = {3, 2, 1, 6, 5, 4};
    assert_bytes("hflip", img, f, 6);
    uint8_t out[6];
    int ch, cw;
    ak_crop_u8(img, 2, 3, 1, 1, 5, 1, 3, out, &ch, &cw); /* numpy img[1:5, 1:3] */
    ck_assert(ch == 1 && cw == 2 && out[0] == 5 && out[1] == 4);
    uint8_t pad[12];
    ak_pad_label(img, 2, 3, 0, pad, 3, 4, 255);
    const uint8_t p[12] = {3, 2, 1, 255, 6, 5, 4, 255, 255, 255, 255, 255};
    assert_bytes("pad", pad, p, 12);
    ak_pad_label(img, 2, 3, 1, pad, 3, 4, 255); /* mirrored back */
    const uint8_t q[12] = {1, 2, 3, 255, 4, 5, 6, 255, 255, 255, 255, 255};
    assert_bytes("pad flipped", pad, q, 12);
    ck_assert_int_eq(ak_round_up(800, 32), 800);
    ck_assert_int_eq(ak_round_up(1067, 32), 1088);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("datasets_transforms");
    TCase *tc = tcase_create("transforms");
    tcase_add_unchecked_fixture(tc, open_fixture, close_fixture);
    tcase_add_test(tc, resize_matches_cv2);
    tcase_add_test(tc, resize_rejects_bad_sizes);
    tcase_add_test(tc, rescale_size_matches_mmcv);
    tcase_add_test(tc, hsv_matches_cv2);
    tcase_add_test(tc, photometric_matches_mmseg);
    tcase_add_test(tc, photometric_draws_mmseg_ranges);
    tcase_add_test(tc, normalize_matches_mmcv);
    tcase_add_test(tc, det_pipeline_matches_mmdet);
    tcase_add_test(tc, seg_pipeline_matches_mmseg);
    tcase_add_test(tc, crop_ok_rule);
    tcase_add_test(tc, crop_retries_like_mmseg);
    tcase_add_test(tc, random_ratio_and_flip_slots);
    tcase_add_test(tc, box_geometry_by_hand);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(make_suite)
