/* The loader's uint8 batches + the network's input step (datasets/batch_input.h) against the
 * float32 batches the loader produced before the input step moved to the consumer, bitwise.
 *
 * Data: the textured fixture folders tests/fixtures/datasets/loader_{coco,cityscapes}
 * (tools/fixtures/datasets_loader.py; every pixel differs from its mirror image). The golden
 * digests below were recorded with the float-output loader (git 2b6640f, ak_batch.images) on those
 * files, for the mmdet pipeline (resize + flip + pad 32; the light one without resize; no pad
 * divisor; evaluation) and the mmseg pipeline (ratio resize + cat_max_ratio crop + flip +
 * photometric distortion + pad; a pad larger than the crop; forced flips; evaluation with a size
 * divisor), each in direct and copying mode, with 0 and 2 workers. A regenerated fixture folder
 * needs new digests, which only the formula check below can vouch for then.
 * Also: the light pipeline element by element against the mmcv formula on the decoded JPEG with an
 * explicit mirror; the input step's tensor and padding; its errors and those of a source whose
 * size plan is wrong; decoding into a caller's buffer (the loader's batch slot).
 */
#include <stdio.h>
#include <string.h>

#include "aktest.h"
#include "datasets/batch_input.h"
#include "datasets/geometry.h"
#include "datasets/image.h"
#include "datasets/jpeg_io.h"
#include "datasets/loader.h"
#include "ds_util.h"
#include "store/hash.h"

/* The cases: the mmdet pipeline (resize + flip + pad 32, the light one without resize, no pad
 * divisor, evaluation) and the mmseg pipeline (ratio resize + crop + flip + photometric + pad, the
 * same with a pad larger than the crop, evaluation with a size divisor). */
typedef struct lcase {
    const char *name;
    int seg, batch, shuffle, drop_last, epochs;
    const char *golden; /* first 16 hex digits of the SHA-256 of every batch (recorded, see the top) */
} lcase;

static void case_aug(const lcase *c, ak_det_aug *da, ak_seg_aug *sa) {
    if (!strcmp(c->name, "det_resize_flip_pad"))
        *da = ak_det_aug_default(1, 80, 48);
    else if (!strcmp(c->name, "det_light"))
        *da = ak_det_aug_default(1, 0, 0);
    else if (!strcmp(c->name, "det_no_divisor")) {
        *da = ak_det_aug_default(1, 0, 0);
        da->size_divisor = 0;
    } else if (!strcmp(c->name, "det_eval"))
        *da = ak_det_aug_default(0, 80, 48);
    else if (!strcmp(c->name, "seg_train"))
        *sa = ak_seg_aug_default(1, 64, 32, 24, 32);
    else if (!strcmp(c->name, "seg_train_pad")) {
        *sa = ak_seg_aug_default(1, 64, 32, 20, 28);
        sa->pad_h = 24;
        sa->pad_w = 32;
    } else if (!strcmp(c->name, "seg_flip_no_photometric")) {
        *sa = ak_seg_aug_default(1, 48, 32, 24, 32);
        sa->photometric = 0;
        sa->flip_prob = 1.0f;
    } else if (!strcmp(c->name, "seg_eval")) {
        *sa = ak_seg_aug_default(0, 64, 32, 0, 0);
        sa->size_divisor = 32;
    }
}

static void put(ak_sha256 *h, const void *p, size_t n) {
    if (n)
        ak_sha256_update(h, p, n);
}

/* Everything a consumer sees, with the images as the network gets them (normalised float). The
 * per-sample pad_shape is left out: the float loader reported the batch's size there in direct mode. */
static void digest_batch(ak_sha256 *h, const ak_batch *b, const float *x) {
    put(h, &b->n, sizeof b->n);
    put(h, &b->h, sizeof b->h);
    put(h, &b->w, sizeof b->w);
    put(h, x, sizeof(float) * 3 * (size_t)b->n * (size_t)b->h * (size_t)b->w);
    put(h, &b->lab_h, sizeof b->lab_h);
    put(h, &b->lab_w, sizeof b->lab_w);
    put(h, b->labels, (size_t)b->n * (size_t)b->lab_h * (size_t)b->lab_w);
    for (int i = 0; i < b->n; i++) {
        const ak_sample *s = b->samples[i];
        put(h, &s->index, sizeof s->index);
        put(h, &s->ori_h, sizeof s->ori_h);
        put(h, &s->ori_w, sizeof s->ori_w);
        put(h, &s->img_h, sizeof s->img_h);
        put(h, &s->img_w, sizeof s->img_w);
        put(h, &s->scale_w, sizeof s->scale_w);
        put(h, &s->scale_h, sizeof s->scale_h);
        put(h, &s->flipped, sizeof s->flipped);
        put(h, &s->n_boxes, sizeof s->n_boxes);
        put(h, s->boxes, sizeof(float) * 4 * (size_t)s->n_boxes);
        put(h, s->labels, sizeof(int32_t) * (size_t)s->n_boxes);
        put(h, &s->n_ignore, sizeof s->n_ignore);
        put(h, s->ignore, sizeof(float) * 4 * (size_t)s->n_ignore);
        put(h, &s->n_bad_pixels, sizeof s->n_bad_pixels);
    }
}

typedef struct fx {
    ak_coco_dataset coco;
    ak_cityscapes_dataset cs;
} fx;

static void fx_open(fx *f) {
    char *ann = ak_source_path("tests/fixtures/datasets/loader_coco/annotations/instances_train2017.json");
    char *img = ak_source_path("tests/fixtures/datasets/loader_coco/train2017");
    char *cs = ak_source_path("tests/fixtures/datasets/loader_cityscapes");
    ak_error err;
    ak_error_clear(&err);
    ak_coco_dataset_opts o = {ann, img, 1, AK_BAD_SAMPLE_ERROR, 1};
    ck_assert_msg(ak_coco_dataset_open(&f->coco, &o, &err) == AK_OK, "%s", err.msg);
    ak_cityscapes_opts co = {cs, "train", AK_BAD_SAMPLE_ERROR};
    ck_assert_msg(ak_cityscapes_open(&f->cs, &co, &err) == AK_OK, "%s", err.msg);
    ck_assert(f->coco.n == 4 && f->cs.n == 3);
    free(ann);
    free(img);
    free(cs);
}

static void fx_close(fx *f) {
    ak_coco_dataset_close(&f->coco);
    ak_cityscapes_close(&f->cs);
}

static float *batch_floats(const ak_batch *b) {
    float *x = malloc(sizeof(float) * 3 * (size_t)b->n * (size_t)b->h * (size_t)b->w);
    ck_assert(x != NULL);
    ak_batch_normalize(b, x);
    return x;
}

START_TEST(matches_the_float_loader) {
    static const lcase cases[] = {
        {"det_resize_flip_pad", 0, 2, 1, 0, 4, "e867ddfc4e7cb065"},
        {"det_light", 0, 3, 1, 0, 4, "113d569b8de559b3"},
        {"det_no_divisor", 0, 4, 1, 0, 3, "935964f57b82dbc8"},
        {"det_eval", 0, 2, 0, 0, 1, "85b89821f6b23c5e"},
        {"seg_train", 1, 2, 1, 0, 4, "4dac7d0587582f38"},
        {"seg_train_pad", 1, 2, 1, 1, 4, "3742000553a9f6a0"},
        {"seg_flip_no_photometric", 1, 3, 1, 0, 2, "178b586341ec0bc8"},
        {"seg_eval", 1, 2, 0, 0, 1, "519461297844db90"},
    };
    fx f;
    fx_open(&f);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const lcase *c = &cases[k];
        ak_det_aug da;
        ak_seg_aug sa;
        memset(&da, 0, sizeof da);
        memset(&sa, 0, sizeof sa);
        case_aug(c, &da, &sa);
        ak_det_source dsrc = {&f.coco, da};
        ak_seg_source ssrc = {&f.cs, sa};
        for (int mode = 0; mode < 2; mode++)
            for (int workers = 0; workers <= 2; workers += 2) {
                ak_source src = c->seg ? ak_seg_source_make(&ssrc) : ak_det_source_make(&dsrc);
                if (mode)
                    src.plan = NULL; /* the copying mode */
                ak_loader_cfg cfg = {src, c->batch, c->shuffle, c->drop_last, 42, workers, 2, AK_BAD_SAMPLE_ERROR, 0};
                ak_loader *ld;
                ak_error err;
                ak_error_clear(&err);
                ck_assert_msg(ak_loader_open(&ld, &cfg, &err) == AK_OK, "%s", err.msg);
                ak_sha256 h;
                ak_sha256_init(&h);
                int flips[2] = {0, 0}, padded = 0;
                for (int e = 0; e < c->epochs; e++) {
                    ck_assert_msg(ak_loader_start(ld, e, &err) == AK_OK, "%s", err.msg);
                    const ak_batch *b;
                    int rc;
                    while ((rc = ak_loader_next(ld, &b, &err)) == 1) {
                        float *x = batch_floats(b);
                        digest_batch(&h, b, x);
                        free(x);
                        for (int i = 0; i < b->n; i++) {
                            flips[b->samples[i]->flipped]++;
                            padded += b->samples[i]->img_h < b->h || b->samples[i]->img_w < b->w;
                        }
                    }
                    ck_assert_msg(rc == 0, "%s: %s", c->name, err.msg);
                }
                ak_loader_close(ld);
                uint8_t d[32];
                ak_sha256_final(&h, d);
                char hex[17];
                for (int i = 0; i < 8; i++)
                    snprintf(hex + 2 * i, 3, "%02x", d[i]);
                ck_assert_msg(!strcmp(hex, c->golden), "%s (%s mode, %d workers): batches digest to %s, the float loader's "
                              "to %s", c->name, mode ? "copying" : "direct", workers, hex, c->golden);
                /* the cases exercise what they are named for */
                ck_assert_int_gt(padded, 0);
                if (strstr(c->name, "eval"))
                    ck_assert_int_eq(flips[1], 0);
                else
                    ck_assert_int_gt(flips[1], 0);
            }
    }
    fx_close(&f);
}
END_TEST

/* mmcv's Normalize on one byte (float32 mean, 1 / float32 std in double). */
static float formula(uint8_t v, double mean, double std) {
    return (float)((double)((float)v - (float)mean) * (1.0 / (double)(float)std));
}

/* The light pipeline (no resize: the batch holds the decoded JPEG) against an independent
 * reference: decode, mirror explicitly when flipped, normalise by the formula, zeros around. Also
 * the per-sample pad_shape (mmdet's, the image padded alone) next to the batch's size. */
START_TEST(light_pipeline_against_the_formula) {
    fx f;
    fx_open(&f);
    ak_det_source dsrc = {&f.coco, ak_det_aug_default(1, 0, 0)};
    ak_loader_cfg cfg = {ak_det_source_make(&dsrc), 3, 1, 0, 7, 2, 2, AK_BAD_SAMPLE_ERROR, 0};
    ak_loader *ld;
    ak_error err;
    ak_error_clear(&err);
    ak_ctx ctx;
    ck_assert(ak_ctx_init(&ctx, 0, 0) == AK_OK);
    ck_assert(ak_loader_open(&ld, &cfg, &err) == AK_OK);
    int flips[2] = {0, 0}, mixed = 0;
    for (int e = 0; e < 4; e++) {
        ck_assert(ak_loader_start(ld, e, &err) == AK_OK);
        const ak_batch *b;
        while (ak_loader_next(ld, &b, &err) == 1) {
            ak_ctx_reset(&ctx);
            const ak_tensor *x = ak_batch_input(&ctx, b);
            ck_assert_msg(x != NULL, "%s", ctx.err.msg);
            ck_assert(x->ndim == 4 && x->shape[0] == b->n && x->shape[1] == 3 && x->shape[2] == b->h && x->shape[3] == b->w);
            int max_h = 0, max_w = 0;
            for (int i = 0; i < b->n; i++) {
                const ak_sample *s = b->samples[i];
                uint8_t *px;
                int ih, iw;
                ck_assert(ak_jpeg_read(f.coco.recs[s->index].path, 3, &px, &ih, &iw, &err) == AK_OK);
                ck_assert(s->img_h == ih && s->img_w == iw);
                ck_assert(s->pad_h == ak_round_up(ih, 32) && s->pad_w == ak_round_up(iw, 32));
                max_h = s->pad_h > max_h ? s->pad_h : max_h;
                max_w = s->pad_w > max_w ? s->pad_w : max_w;
                mixed += s->pad_h < b->h || s->pad_w < b->w;
                flips[s->flipped]++;
                for (int c = 0; c < 3; c++)
                    for (int y = 0; y < b->h; y++)
                        for (int xx = 0; xx < b->w; xx++) {
                            const float got = x->data[(((size_t)i * 3 + (size_t)c) * (size_t)b->h + (size_t)y) * (size_t)b->w + (size_t)xx];
                            float want = 0.0f;
                            if (y < ih && xx < iw) {
                                const int sx = s->flipped ? iw - 1 - xx : xx;
                                want = formula(px[((size_t)y * (size_t)iw + (size_t)sx) * 3 + (size_t)c], s->mean[c], s->std[c]);
                            }
                            ck_assert_msg(got == want, "epoch %d sample %lld c%d (%d, %d): %.9g want %.9g", e,
                                          (long long)s->index, c, y, xx, got, want);
                        }
                free(px);
            }
            ck_assert(b->h == max_h && b->w == max_w);
        }
        ck_assert_msg(err.code == AK_OK, "%s", err.msg);
    }
    ck_assert(flips[0] > 0 && flips[1] > 0 && mixed > 0);
    ak_loader_close(ld);
    ak_ctx_free(&ctx);
    fx_close(&f);
}
END_TEST

/* The batch's input step is the per-sample step at each sample's offset, zero-padded to the batch
 * (a pad larger than every crop: zeros at the bottom and right of every image); the tensor is not
 * recorded on the tape. */
START_TEST(input_step_tensor_and_tape) {
    fx f;
    fx_open(&f);
    ak_seg_aug sa = ak_seg_aug_default(1, 96, 64, 40, 56);
    sa.pad_h = 72;
    sa.pad_w = 64;
    ak_seg_source ssrc = {&f.cs, sa};
    ak_loader_cfg cfg = {ak_seg_source_make(&ssrc), 3, 1, 0, 3, 1, 1, AK_BAD_SAMPLE_ERROR, 0};
    ak_loader *ld;
    ak_error err;
    ak_error_clear(&err);
    ck_assert(ak_loader_open(&ld, &cfg, &err) == AK_OK && ak_loader_start(ld, 0, &err) == AK_OK);
    const ak_batch *b;
    ck_assert_msg(ak_loader_next(ld, &b, &err) == 1, "%s", err.msg);
    ck_assert(b->n == 3 && b->h == 72 && b->w == 64);
    const size_t chw = 3 * (size_t)b->h * (size_t)b->w, n = (size_t)b->n * chw;
    float *one = batch_floats(b), *each = malloc(n * sizeof(float));
    ck_assert(each != NULL);
    for (int i = 0; i < b->n; i++) {
        const ak_sample *s = b->samples[i];
        ck_assert(s->img_h <= 40 && s->img_w <= 56);
        ak_sample_normalize(s, each + (size_t)i * chw, b->h, b->w);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < b->h; y++)
                for (int x = 0; x < b->w; x++)
                    if (y >= s->img_h || x >= s->img_w)
                        ck_assert(one[(size_t)i * chw + ((size_t)c * (size_t)b->h + (size_t)y) * (size_t)b->w + (size_t)x] ==
                                  0.0f);
    }
    ak_assert_bitwise("per sample vs batch", each, one, (int64_t)n);
    ak_ctx ctx;
    ck_assert(ak_ctx_init(&ctx, 0, 0) == AK_OK);
    ck_assert(ctx.record);
    const ak_tensor *x = ak_batch_input(&ctx, b);
    ck_assert(x != NULL && x->numel == (int64_t)n && !x->requires_grad && ctx.tape.n == 0);
    ak_assert_bitwise("ak_batch_input", x->data, one, (int64_t)n);
    ak_ctx_free(&ctx);
    free(one);
    free(each);
    ak_loader_close(ld);
    fx_close(&f);
}
END_TEST

START_TEST(input_step_errors) {
    fx f;
    fx_open(&f);
    ak_det_source dsrc = {&f.coco, ak_det_aug_default(0, 0, 0)};
    ak_loader_cfg cfg = {ak_det_source_make(&dsrc), 2, 0, 0, 1, 0, 1, AK_BAD_SAMPLE_ERROR, 0};
    ak_loader *ld;
    ak_error err;
    ak_error_clear(&err);
    ck_assert(ak_loader_open(&ld, &cfg, &err) == AK_OK && ak_loader_start(ld, 0, &err) == AK_OK);
    const ak_batch *b;
    ck_assert(ak_loader_next(ld, &b, &err) == 1);
    /* an arena too small for the (2, 3, 64, 64) input: NULL, the error names the step */
    ak_ctx ctx;
    ck_assert(ak_ctx_init(&ctx, 0, 4096) == AK_OK);
    ck_assert(ak_batch_input(&ctx, b) == NULL);
    ds_assert_msg_has(ctx.err.code, AK_ENOMEM, ctx.err.msg, "batch input", "arena exhausted");
    /* a context that already failed: NULL, the first error stays */
    char first[sizeof ctx.err.msg];
    snprintf(first, sizeof first, "%s", ctx.err.msg);
    ak_ctx_free(&ctx);
    ck_assert(ak_ctx_init(&ctx, 0, 0) == AK_OK);
    ak_fail(&ctx, AK_EINVAL, "earlier failure");
    ck_assert(ak_batch_input(&ctx, b) == NULL && ctx.err.code == AK_EINVAL && !strcmp(ctx.err.msg, "earlier failure"));
    ak_ctx_free(&ctx);
    ak_loader_close(ld);
    fx_close(&f);
}
END_TEST

/* A source whose size plan is smaller than its samples: the loader reports the sample instead of
 * writing past its slot (direct mode sizes slots from the plan). */
typedef struct liar {
    ak_source inner;
    int dh, dw; /* subtracted from the planned size */
} liar;

static int liar_load(void *self, int64_t index, ak_rng rng, ak_work *w, ak_sample *out, ak_error *err) {
    const liar *l = self;
    return l->inner.load(l->inner.self, index, rng, w, out, err);
}

static int liar_plan(void *self, int64_t index, int *pad_h, int *pad_w, int *lab_h, int *lab_w) {
    const liar *l = self;
    const int ok = l->inner.plan(l->inner.self, index, pad_h, pad_w, lab_h, lab_w);
    *pad_h -= l->dh;
    *pad_w -= l->dw;
    return ok;
}

START_TEST(wrong_plan_is_an_error) {
    fx f;
    fx_open(&f);
    ak_det_source dsrc = {&f.coco, ak_det_aug_default(0, 0, 0)};
    /* sample 0: 30x40, padded 32x64. Planned 32x32: 3072 bytes cannot hold its 3600; planned
     * 24x64: the bytes fit, the padded size does not. */
    const int d[2][2] = {{0, 32}, {8, 0}};
    const char *why[2] = {"sample 0: a 30x40 image does not fit its batch slot of 3072 bytes",
                          "sample 0: padded image 32x64 / label map 0x0 exceed the 24x64 / 0x0 planned for its batch"};
    for (int k = 0; k < 2; k++)
        for (int workers = 0; workers <= 1; workers++) {
            liar l = {ak_det_source_make(&dsrc), d[k][0], d[k][1]};
            ak_loader_cfg cfg = {{&l, f.coco.n, liar_load, liar_plan}, 1, 0, 0, 1, workers, 1, AK_BAD_SAMPLE_ERROR, 0};
            ak_loader *ld;
            ak_error err;
            ak_error_clear(&err);
            ck_assert(ak_loader_open(&ld, &cfg, &err) == AK_OK && ak_loader_start(ld, 0, &err) == AK_OK);
            const ak_batch *b;
            const int rc = ak_loader_next(ld, &b, &err);
            ds_assert_msg_has(rc, AK_ESHAPE, err.msg, "loader epoch 0 batch 0", why[k]);
            ak_loader_close(ld);
        }
    fx_close(&f);
}
END_TEST

/* ak_image_read_to (the loader's decode into a batch slot): the pixels ak_image_read gives, for a
 * JPEG (decoded in place) and a PNG (decoded, then copied); a destination that refuses the size
 * fails the read with its own error, for both. */
typedef struct dst {
    uint8_t buf[40 * 48 * 3];
    int refuse;
} dst;

static uint8_t *dst_reserve(void *ctx, int h, int w, int channels, ak_error *err) {
    dst *d = ctx;
    if (d->refuse || (size_t)h * (size_t)w * (size_t)channels > sizeof d->buf) {
        ak_error_set(err, AK_ESHAPE, "no room for %dx%dx%d", h, w, channels);
        return NULL;
    }
    return d->buf;
}

START_TEST(read_to_a_callers_buffer) {
    const char *files[2] = {"tests/fixtures/datasets/loader_coco/train2017/000000000014.jpg",
                            "tests/fixtures/datasets/loader_cityscapes/leftImg8bit/train/ulm/ulm_000000_000019_leftImg8bit.png"};
    for (int k = 0; k < 2; k++) {
        char *path = ak_source_path(files[k]);
        ak_error err;
        ak_error_clear(&err);
        ak_image ref = {0};
        ck_assert_msg(ak_image_read(path, 3, &ref, &err) == AK_OK, "%s", err.msg);
        dst d;
        memset(&d, 0, sizeof d);
        int h = 0, w = 0;
        ck_assert_msg(ak_image_read_to(path, 3, dst_reserve, &d, &h, &w, &err) == AK_OK, "%s", err.msg);
        ck_assert(h == ref.h && w == ref.w && h * w > 1000);
        ck_assert(memcmp(d.buf, ref.data, (size_t)h * (size_t)w * 3) == 0);
        d.refuse = 1;
        const int rc = ak_image_read_to(path, 3, dst_reserve, &d, &h, &w, &err);
        ds_assert_msg_has(rc, AK_ESHAPE, err.msg, "no room for");
        ak_image_free(&ref);
        free(path);
    }
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("datasets_batch_input");
    TCase *tc = tcase_create("batch_input");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, matches_the_float_loader);
    tcase_add_test(tc, light_pipeline_against_the_formula);
    tcase_add_test(tc, input_step_tensor_and_tape);
    tcase_add_test(tc, input_step_errors);
    tcase_add_test(tc, wrong_plan_is_an_error);
    tcase_add_test(tc, read_to_a_callers_buffer);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(make_suite)
