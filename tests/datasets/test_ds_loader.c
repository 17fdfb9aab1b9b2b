/* The threaded loader: batches and contents independent of the worker count (0 = inline reference,
 * 1, 2, 3 workers), epoch order = the published permutation, error propagation with the file name,
 * skip-mode substitution, early stop / restart / close without hangs. Data: synthetic COCO and
 * Cityscapes folders written into /tmp by the generators. */
#include <string.h>

#include "aktest.h"
#include "datasets/batch_input.h"
#include "datasets/loader.h"
#include "datasets/synth_cityscapes.h"
#include "datasets/synth_coco.h"
#include "ds_util.h"

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* The network's input made of a batch (caller frees). */
static float *batch_floats(const ak_batch *b) {
    float *x = malloc(sizeof(float) * 3 * (size_t)b->n * (size_t)b->h * (size_t)b->w);
    ck_assert(x != NULL);
    ak_batch_normalize(b, x);
    return x;
}

/* Everything a consumer can see in a batch. */
static uint64_t batch_digest(const ak_batch *b) {
    uint64_t h = 1469598103934665603ull;
    h = fnv(h, &b->n, sizeof b->n);
    h = fnv(h, &b->h, sizeof b->h);
    h = fnv(h, &b->w, sizeof b->w);
    float *x = batch_floats(b);
    h = fnv(h, x, sizeof(float) * 3 * (size_t)b->n * (size_t)b->h * (size_t)b->w);
    free(x);
    h = fnv(h, b->labels, (size_t)b->n * (size_t)b->lab_h * (size_t)b->lab_w);
    for (int i = 0; i < b->n; i++) {
        const ak_sample *s = b->samples[i];
        h = fnv(h, &s->index, sizeof s->index);
        h = fnv(h, &s->flipped, sizeof s->flipped);
        h = fnv(h, &s->img_h, sizeof s->img_h);
        h = fnv(h, &s->img_w, sizeof s->img_w);
        h = fnv(h, s->boxes, sizeof(float) * 4 * (size_t)s->n_boxes);
        h = fnv(h, s->labels, sizeof(int32_t) * (size_t)s->n_boxes);
        h = fnv(h, s->ignore, sizeof(float) * 4 * (size_t)s->n_ignore);
    }
    return h;
}

typedef struct world {
    char *tmp;
    ak_coco_dataset coco;
    ak_cityscapes_dataset cs;
} world;

static world W;

static void setup(void) {
    W.tmp = ds_tmpdir();
    ak_error err;
    ak_error_clear(&err);
    char *c = ds_path(W.tmp, "coco"), *s = ds_path(W.tmp, "cs");
    ak_synth_opts oc = {c, 10, 48, 64, 5, "train", 0, 0, false}, os = {s, 6, 64, 128, 5, "train", 0, 0, false};
    ck_assert_msg(ak_synth_coco(&oc, NULL, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_synth_cityscapes(&os, NULL, &err) == AK_OK, "%s", err.msg);
    char *ann = ds_path(c, "annotations/instances_train2017.json"), *img = ds_path(c, "train2017");
    ak_coco_dataset_opts o = {ann, img, 0, AK_BAD_SAMPLE_ERROR, 1};
    ck_assert_msg(ak_coco_dataset_open(&W.coco, &o, &err) == AK_OK, "%s", err.msg);
    ak_cityscapes_opts co = {s, "train", AK_BAD_SAMPLE_ERROR};
    ck_assert_msg(ak_cityscapes_open(&W.cs, &co, &err) == AK_OK, "%s", err.msg);
    free(ann);
    free(img);
    free(c);
    free(s);
}

static void teardown(void) {
    ak_coco_dataset_close(&W.coco);
    ak_cityscapes_close(&W.cs);
    ds_rmtree(W.tmp);
    free(W.tmp);
}

/* Run `epochs` epochs; digests into out (one per batch). Returns the number of batches. */
static int run(ak_source src, int workers, int batch, int queue, int drop_last, int epochs, uint64_t *out,
               int64_t *order) {
    ak_loader_cfg cfg = {src, batch, 1, drop_last, 42, workers, queue, AK_BAD_SAMPLE_ERROR, 0};
    ak_loader *ld;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_loader_open(&ld, &cfg, &err) == AK_OK, "%s", err.msg);
    int nb = 0, k = 0;
    for (int e = 0; e < epochs; e++) {
        ck_assert_msg(ak_loader_start(ld, e, &err) == AK_OK, "%s", err.msg);
        const ak_batch *b;
        int rc;
        while ((rc = ak_loader_next(ld, &b, &err)) == 1) {
            ck_assert(b->epoch == e);
            out[nb++] = batch_digest(b);
            for (int i = 0; order && i < b->n; i++)
                order[k++] = b->samples[i]->index;
        }
        ck_assert_msg(rc == 0, "epoch %d: %s", e, err.msg);
    }
    ak_loader_close(ld);
    return nb;
}

START_TEST(det_batches_independent_of_workers) {
    ak_det_source ds = {&W.coco, ak_det_aug_default(1, 96, 64)};
    ak_source src = ak_det_source_make(&ds);
    uint64_t ref[32], got[32];
    int64_t order[40], order2[40];
    const int nb = run(src, 0, 3, 2, 0, 2, ref, order);
    ck_assert_int_eq(nb, 8); /* 10 samples, batches of 3 (the last holds 1), 2 epochs */
    for (int workers = 1; workers <= 3; workers++) {
        memset(order2, 0xff, sizeof order2);
        ck_assert_int_eq(run(src, workers, 3, workers == 3 ? 1 : 2, 0, 2, got, order2), nb);
        for (int i = 0; i < nb; i++)
            ck_assert_msg(got[i] == ref[i], "%d workers: batch %d differs from the inline reference", workers, i);
        for (int i = 0; i < 20; i++)
            ck_assert_int_eq(order2[i], order[i]);
    }
    /* without the size plan every sample is copied into the batch: same batches */
    ak_source copying = src;
    copying.plan = NULL;
    ck_assert_int_eq(run(copying, 2, 3, 2, 0, 2, got, NULL), nb);
    for (int i = 0; i < nb; i++)
        ck_assert_msg(got[i] == ref[i], "copy mode: batch %d differs from direct mode", i);
    /* the order is the published permutation, every sample once per epoch, and epochs differ */
    ak_loader_cfg cfg = {src, 3, 1, 0, 42, 0, 2, AK_BAD_SAMPLE_ERROR, 0};
    ak_loader *ld;
    ak_error err;
    ck_assert(ak_loader_open(&ld, &cfg, &err) == AK_OK);
    int seen[10] = {0}, same = 0;
    for (int p = 0; p < 10; p++) {
        ck_assert_int_eq(ak_loader_order(ld, 0, p), order[p]);
        ck_assert_int_eq(ak_loader_order(ld, 1, p), order[10 + p]);
        seen[order[p]]++;
        same += order[p] == order[10 + p];
    }
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(seen[i], 1);
    ck_assert_int_lt(same, 10);
    ak_loader_close(ld);
}
END_TEST

START_TEST(seg_batches_independent_of_workers) {
    ak_seg_source ss = {&W.cs, ak_seg_aug_default(1, 128, 64, 48, 64)};
    ak_source src = ak_seg_source_make(&ss);
    uint64_t ref[16], got[16];
    const int nb = run(src, 0, 2, 2, 1, 2, ref, NULL);
    ck_assert_int_eq(nb, 6);
    for (int workers = 1; workers <= 3; workers++) {
        ck_assert_int_eq(run(src, workers, 2, 2, 1, 2, got, NULL), nb);
        for (int i = 0; i < nb; i++)
            ck_assert_msg(got[i] == ref[i], "%d workers: batch %d differs", workers, i);
    }
    ak_source copying = src;
    copying.plan = NULL;
    ck_assert_int_eq(run(copying, 1, 2, 2, 1, 2, got, NULL), nb);
    for (int i = 0; i < nb; i++)
        ck_assert_msg(got[i] == ref[i], "copy mode: batch %d differs from direct mode", i);
    /* the batch tensors: 2 x 3 x 48 x 64 images, 2 x 48 x 64 labels with train ids or 255 */
    ak_loader_cfg cfg = {src, 2, 1, 1, 42, 2, 2, AK_BAD_SAMPLE_ERROR, 0};
    ak_loader *ld;
    ak_error err;
    ck_assert(ak_loader_open(&ld, &cfg, &err) == AK_OK && ak_loader_start(ld, 0, &err) == AK_OK);
    const ak_batch *b;
    ck_assert_int_eq(ak_loader_next(ld, &b, &err), 1);
    ck_assert(b->n == 2 && b->h == 48 && b->w == 64 && b->lab_h == 48 && b->lab_w == 64);
    int classes = 0, hist[256] = {0};
    for (int i = 0; i < 2 * 48 * 64; i++)
        classes += hist[b->labels[i]]++ == 0;
    for (int v = 19; v < 255; v++)
        ck_assert_int_eq(hist[v], 0);
    ck_assert_int_ge(classes, 4);
    ak_loader_close(ld);
}
END_TEST

/* Make sample `victim`'s file truncated (after open, so only decoding finds it). */
static char *truncate_sample(int64_t victim, unsigned char **saved, size_t *saved_n) {
    char *p = strdup(W.coco.recs[victim].path);
    *saved = ds_read(p, saved_n);
    ds_write(p, *saved, *saved_n / 3);
    return p;
}

START_TEST(errors_reach_the_consumer) {
    ak_det_source ds = {&W.coco, ak_det_aug_default(1, 96, 64)};
    ak_source src = ak_det_source_make(&ds);
    unsigned char *saved;
    size_t n;
    char *path = truncate_sample(4, &saved, &n);
    int fail_batch[4];
    for (int workers = 0; workers <= 3; workers++) {
        ak_loader_cfg cfg = {src, 3, 0, 0, 42, workers, 2, AK_BAD_SAMPLE_ERROR, 0};
        ak_loader *ld;
        ak_error err;
        ak_error_clear(&err);
        ck_assert(ak_loader_open(&ld, &cfg, &err) == AK_OK && ak_loader_start(ld, 0, &err) == AK_OK);
        const ak_batch *b;
        int rc, k = 0;
        while ((rc = ak_loader_next(ld, &b, &err)) == 1)
            k++;
        fail_batch[workers] = k;
        ds_assert_msg_has(rc, AK_EFORMAT, err.msg, "loader epoch 0 batch 1", path, "corrupt or truncated JPEG");
        /* after a failure the epoch is over: next() says so */
        ak_error e2;
        ak_error_clear(&e2);
        ck_assert_int_eq(ak_loader_next(ld, &b, &e2), AK_ESTATE);
        ak_loader_close(ld);
    }
    for (int workers = 0; workers <= 3; workers++)
        ck_assert_int_eq(fail_batch[workers], 1); /* sample 4 sits in batch 1 without shuffling */
    /* skip mode: sample 4 is replaced by sample 5, counted, the same for any worker count */
    uint64_t dig[2][4];
    for (int workers = 0; workers <= 2; workers += 2) {
        ak_loader_cfg cfg = {src, 3, 0, 0, 42, workers, 2, AK_BAD_SAMPLE_SKIP, 0};
        ak_loader *ld;
        ak_error err;
        ak_error_clear(&err);
        ck_assert(ak_loader_open(&ld, &cfg, &err) == AK_OK && ak_loader_start(ld, 0, &err) == AK_OK);
        const ak_batch *b;
        int k = 0;
        while (ak_loader_next(ld, &b, &err) == 1) {
            if (k == 1) {
                ck_assert(b->n_substituted == 1 && b->samples[1]->index == 5 && b->samples[2]->index == 5);
                ck_assert_msg(strstr(b->warning, path) != NULL, "warning: %s", b->warning);
            } else {
                ck_assert_int_eq(b->n_substituted, 0);
            }
            dig[workers / 2][k++] = batch_digest(b);
        }
        ck_assert_msg(err.code == AK_OK, "%s", err.msg);
        ak_loader_stats st = ak_loader_get_stats(ld);
        ck_assert(st.substituted == 1 && st.samples == 10 && st.batches == 4 && strstr(st.first_warning, path));
        ak_loader_close(ld);
    }
    for (int k = 0; k < 4; k++)
        ck_assert(dig[0][k] == dig[1][k]);
    ds_write(path, saved, n);
    free(saved);
    free(path);
}
END_TEST

/* ak_loader_bytes after each of epochs 0 .. n-1 of a fresh loader. */
static void loader_bytes_per_epoch(const ak_loader_cfg *cfg, int64_t *bytes, int n) {
    ak_loader *ld;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_loader_open(&ld, cfg, &err) == AK_OK, "%s", err.msg);
    const ak_batch *b;
    for (int e = 0; e < n; e++) {
        ck_assert(ak_loader_start(ld, e, &err) == AK_OK);
        while (ak_loader_next(ld, &b, &err) == 1)
            ;
        ck_assert_msg(err.code == AK_OK, "%s", err.msg);
        bytes[e] = ak_loader_bytes(ld);
    }
    ak_loader_close(ld);
}

START_TEST(stop_restart_close) {
    ak_det_source ds = {&W.coco, ak_det_aug_default(1, 96, 64)};
    ak_source src = ak_det_source_make(&ds);
    ak_loader_cfg cfg = {src, 2, 1, 0, 42, 2, 1, AK_BAD_SAMPLE_ERROR, 0};
    ak_loader *ld;
    ak_error err;
    ak_error_clear(&err);
    ck_assert(ak_loader_open(&ld, &cfg, &err) == AK_OK);
    ck_assert_int_eq(ak_loader_batches(ld), 5);
    const ak_batch *b;
    ck_assert(ak_loader_start(ld, 0, &err) == AK_OK && ak_loader_next(ld, &b, &err) == 1);
    const uint64_t first = batch_digest(b);
    /* restart mid-epoch: the workers are stopped, epoch 0 starts over identically */
    ck_assert(ak_loader_start(ld, 0, &err) == AK_OK && ak_loader_next(ld, &b, &err) == 1);
    ck_assert(batch_digest(b) == first);
    ak_loader_stop(ld);
    ck_assert_int_eq(ak_loader_next(ld, &b, &err), AK_ESTATE);
    ck_assert(ak_loader_start(ld, 3, &err) == AK_OK && ak_loader_next(ld, &b, &err) == 1);
    ak_loader_close(ld); /* workers still busy: close joins them */
    /* memory: within loader.h's bound at every epoch, and no growth once the samples were seen */
    int64_t bytes[8];
    loader_bytes_per_epoch(&cfg, bytes, 8);
    /* loader.h's bound: (1 queued + 1 held) batches of 2 uint8 images of at most 64 x 96 (48x64
     * resized to 64x85, padded to 32), no label maps; scratch for 2 workers (images of at most 64 x 85
     * pixels); 4096 for the box arrays. Below the float32 batches alone (what the loader held before
     * the input step moved to the consumer). */
    const int64_t bound = 2 * 2 * (3 * 64 * 96) + 2 * (64 * 85 * 8 + 3 * 64 * 96) + 4096;
    ck_assert_int_lt(bound, 2 * 2 * 3 * 64 * 96 * 4);
    for (int e = 0; e < 8; e++)
        ck_assert_msg(bytes[e] > 0 && bytes[e] <= bound, "epoch %d: bytes %lld, bound %lld", e, (long long)bytes[e],
                      (long long)bound);
    /* Which worker meets which sample depends on the scheduler, and each worker's scratch grows to the
     * largest image it has met: with 2 workers the total may still grow in a later epoch (within the
     * bound). One worker meets every sample in epoch 0, so after it only the small box arrays may grow
     * (when a batch with more boxes comes to a queue slot). */
    ak_loader_cfg one = cfg;
    one.workers = 1;
    loader_bytes_per_epoch(&one, bytes, 4);
    ck_assert_msg(bytes[3] - bytes[1] < 1024 && bytes[1] > 0 && bytes[3] <= bound, "bytes %lld %lld %lld, bound %lld",
                  (long long)bytes[1], (long long)bytes[2], (long long)bytes[3], (long long)bound);
    /* bad configurations */
    ak_loader_cfg bad = cfg;
    bad.batch_size = 0;
    ak_error_clear(&err);
    ds_assert_msg_has(ak_loader_open(&ld, &bad, &err), AK_EINVAL, err.msg, "batch_size 0");
    bad = cfg;
    bad.batch_size = 11;
    bad.drop_last = 1;
    ak_error_clear(&err);
    ds_assert_msg_has(ak_loader_open(&ld, &bad, &err), AK_EINVAL, err.msg, "10 samples make no full batch of 11");
}
END_TEST

/* Mixed sizes in one batch (the tiny fixture: 6x8, 7x10, 6x6, 5x9, no padding divisor): the batch
 * is 7x10, each image at its corner with zeros around, in direct and in copy mode alike. */
START_TEST(mixed_sizes_pad_to_the_largest) {
    char *ann = ak_source_path("tests/fixtures/datasets/coco_tiny/annotations/instances_train2017.json");
    char *img = ak_source_path("tests/fixtures/datasets/coco_tiny/train2017");
    ak_coco_dataset ds;
    ak_coco_dataset_opts o = {ann, img, 0, AK_BAD_SAMPLE_ERROR, 1};
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_coco_dataset_open(&ds, &o, &err) == AK_OK, "%s", err.msg);
    ak_det_source dsrc = {&ds, ak_det_aug_default(0, 0, 0)};
    dsrc.aug.size_divisor = 0;
    uint64_t dig[2];
    for (int mode = 0; mode < 2; mode++) {
        ak_source src = ak_det_source_make(&dsrc);
        if (mode)
            src.plan = NULL;
        ak_loader_cfg cfg = {src, 4, 0, 0, 1, 1, 1, AK_BAD_SAMPLE_ERROR, 0};
        ak_loader *ld;
        ck_assert(ak_loader_open(&ld, &cfg, &err) == AK_OK && ak_loader_start(ld, 0, &err) == AK_OK);
        const ak_batch *b;
        ck_assert_msg(ak_loader_next(ld, &b, &err) == 1, "%s", err.msg);
        ck_assert(b->n == 4 && b->h == 7 && b->w == 10);
        float *in = batch_floats(b);
        const int sizes[4][3] = {{6, 8, 82}, {7, 10, 47}, {6, 6, 140}, {5, 9, 45}}; /* h, w, grey */
        for (int i = 0; i < 4; i++) {
            ck_assert(b->samples[i]->img_h == sizes[i][0] && b->samples[i]->img_w == sizes[i][1]);
            const float v = (float)((double)((float)sizes[i][2] - (float)123.675) * (1.0 / (double)(float)58.395));
            for (int y = 0; y < 7; y++)
                for (int x = 0; x < 10; x++) {
                    const float got = in[((size_t)i * 3 * 7 + (size_t)y) * 10 + (size_t)x];
                    const float want = y < sizes[i][0] && x < sizes[i][1] ? v : 0.0f;
                    ck_assert_msg(got == want, "mode %d sample %d (%d, %d): %g want %g", mode, i, y, x, got, want);
                }
        }
        free(in);
        dig[mode] = batch_digest(b);
        ak_loader_close(ld);
    }
    ck_assert(dig[0] == dig[1]);
    ak_coco_dataset_close(&ds);
    free(ann);
    free(img);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("datasets_loader");
    TCase *tc = tcase_create("loader");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, det_batches_independent_of_workers);
    tcase_add_test(tc, seg_batches_independent_of_workers);
    tcase_add_test(tc, errors_reach_the_consumer);
    tcase_add_test(tc, stop_restart_close);
    tcase_add_test(tc, mixed_sizes_pad_to_the_largest);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(make_suite)
