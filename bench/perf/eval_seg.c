/* mIoU benchmark: N (default 500) Cityscapes-sized 1024x2048 label pairs, generated here (street-like
 * layouts: sky, buildings, road, sidewalks, cars, people, poles, void borders; the prediction shifted,
 * with confusions and noise) and written as PNGs to a temporary folder. Times, with 1 and 2 threads:
 * decoding the PNGs alone, the whole `eval-seg` path (pairing, decoding, counting), and counting alone
 * on label maps already in memory. The claim to check: eval-seg costs about what reading the PNGs
 * costs. Counts must be identical for 1 and 2 threads.
 *
 * usage: perf_eval_seg [N_PAIRS] [TMP_PARENT]   (files are removed at the end)
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/rng.h"
#include "core/runtime.h"
#include "datasets/png_io.h"
#include "eval/seg_files.h"
#include "eval/seg_metrics.h"

enum { H = 1024, W = 2048 };

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Process CPU time (all threads): on a shared machine a steadier measure of work than wall time. */
static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void rect(uint8_t *m, int y0, int x0, int h, int w, uint8_t v) {
    for (int y = y0 < 0 ? 0 : y0; y < y0 + h && y < H; y++)
        for (int x = x0 < 0 ? 0 : x0; x < x0 + w && x < W; x++)
            m[(size_t)y * W + x] = v;
}

/* Draws for pair i, in a fixed order (never two in one expression: argument order is unspecified). */
typedef struct draw {
    ak_rng r;
    uint64_t k;
} draw;

static int rnd(draw *d, int n) { return (int)ak_rng_below(d->r, d->k++, (uint32_t)n); }

/* A random rectangle: top in [y0, y0 + dy), left anywhere, size h0 + [0, dh) by w0 + [0, dw). */
static void random_rect(draw *d, uint8_t *m, int y0, int dy, int h0, int dh, int w0, int dw, uint8_t v) {
    int y = y0 + rnd(d, dy), x = rnd(d, W), h = h0 + rnd(d, dh), w = w0 + rnd(d, dw);
    rect(m, y, x, h, w, v);
}

/* Ground truth in labelIds and prediction in trainIds for pair i. */
static void make_pair(int i, uint8_t *gt, uint8_t *pred, const uint8_t *lut) {
    draw d = {{2024, ak_rng_stream(AK_STREAM_SYNTH, (uint64_t)i, 77, 0)}, 0};
    int horizon = 350 + rnd(&d, 150);
    int road = 600 + rnd(&d, 100);
    rect(gt, 0, 0, horizon, W, 23);                          /* sky */
    rect(gt, horizon - 200, 0, road - horizon + 200, W, 11); /* buildings */
    for (int b = 0; b < 6; b++)                              /* more buildings, vegetation */
        random_rect(&d, gt, horizon - 250, 100, 300, 200, 100, 300, (uint8_t)(b % 2 ? 21 : 11));
    rect(gt, road, 0, H - road, W, 7); /* road */
    int walk = 350 + rnd(&d, 200);
    rect(gt, road - 20, 0, 80, walk, 8); /* sidewalks */
    rect(gt, road - 20, W - 500, 80, 500, 8);
    for (int c = 0; c < 8; c++) /* cars */
        random_rect(&d, gt, road - 100, 150, 60, 120, 120, 220, 26);
    for (int p = 0; p < 10; p++) /* people */
        random_rect(&d, gt, road - 150, 100, 100, 80, 25, 25, 24);
    for (int p = 0; p < 12; p++) /* poles */
        random_rect(&d, gt, horizon - 100, 1, road - horizon + 100, 1, 6, 6, 17);
    for (int p = 0; p < 6; p++) /* signs */
        random_rect(&d, gt, horizon, 100, 30, 20, 30, 20, 20);
    rect(gt, H - 120, 0, 120, W, 1); /* ego vehicle */
    rect(gt, 0, 0, H, 4, 0);         /* void border */
    int dx = rnd(&d, 9) - 4;
    int dy = rnd(&d, 9) - 4;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int sy = y + dy < 0 ? 0 : y + dy >= H ? H - 1 : y + dy, sx = x + dx < 0 ? 0 : x + dx >= W ? W - 1 : x + dx;
            uint8_t t = lut[gt[(size_t)sy * W + sx]];
            pred[(size_t)y * W + x] = t == 255 ? 0 : t; /* the model predicts something everywhere */
        }
    for (int c = 0; c < 20; c++) /* confusions */
        random_rect(&d, pred, 0, H, 20, 80, 20, 120, (uint8_t)rnd(&d, 19));
    for (int n = 0; n < 4000; n++) { /* speckle */
        int y = rnd(&d, H), x = rnd(&d, W);
        pred[(size_t)y * W + x] = (uint8_t)rnd(&d, 19);
    }
}

static int write_pairs(const char *dir, int n, ak_error *err) {
    uint8_t lut[256];
    ak_seg_cityscapes_lut(lut);
    int failed = 0;
#pragma omp parallel reduction(| : failed)
    {
        uint8_t *gt = malloc((size_t)H * W), *pred = malloc((size_t)H * W);
#pragma omp for schedule(dynamic, 1)
        for (int i = 0; i < n; i++) {
            if (failed || !gt || !pred) {
                failed = 1;
                continue;
            }
            make_pair(i, gt, pred, lut);
            char p[1024];
            ak_error e;
            ak_error_clear(&e);
            snprintf(p, sizeof p, "%s/gt/%04d_gtFine_labelIds.png", dir, i);
            failed |= ak_png_write(p, gt, H, W, 1, -1, &e) != AK_OK;
            snprintf(p, sizeof p, "%s/pred/%04d_pred_trainIds.png", dir, i);
            failed |= ak_png_write(p, pred, H, W, 1, -1, &e) != AK_OK;
        }
        free(gt);
        free(pred);
    }
    return failed ? ak_error_set(err, AK_EIO, "%s: writing the benchmark PNGs failed", dir) : AK_OK;
}

static double decode_all(const ak_seg_pairs *pairs) {
    double t0 = now_s();
    int failed = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : failed)
    for (int64_t i = 0; i < 2 * pairs->n; i++) {
        uint8_t *px;
        int h, w;
        const ak_seg_pair *p = &pairs->items[i / 2];
        failed |= ak_png_read(i % 2 ? p->pred : p->gt, 1, &px, &h, &w, NULL) != AK_OK;
        if (px)
            free(px);
    }
    if (failed)
        fprintf(stderr, "perf_eval_seg: a PNG failed to decode\n");
    return now_s() - t0;
}

int main(int argc, char **argv) {
    ak_runtime_bootstrap(argc, argv);
    int n = argc > 1 ? atoi(argv[1]) : 500;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/akd_perf_seg_XXXXXX", argc > 2 ? argv[2] : "/tmp");
    if (n < 1 || !mkdtemp(dir))
        return fprintf(stderr, "usage: perf_eval_seg [N_PAIRS] [TMP_PARENT]\n"), 2;
    char sub[1100];
    snprintf(sub, sizeof sub, "%s/gt", dir);
    mkdir(sub, 0755);
    snprintf(sub, sizeof sub, "%s/pred", dir);
    mkdir(sub, 0755);
    ak_error err;
    ak_error_clear(&err);
    double t0 = now_s();
    int rc = write_pairs(dir, n, &err);
    printf("perf_eval_seg: %d pairs of %dx%d (gt labelIds, pred trainIds) written in %.1f s to %s\n", n, H, W,
           now_s() - t0, dir);
    ak_seg_pairs pairs = {0};
    char gtd[1100], prd[1100];
    snprintf(gtd, sizeof gtd, "%s/gt", dir);
    snprintf(prd, sizeof prd, "%s/pred", dir);
    if (rc == AK_OK)
        rc = ak_seg_find_pairs(gtd, prd, &pairs, &err);

    double dec[2] = {0}, full[2] = {0}, count[2] = {0}, dec_cpu[2] = {0}, full_cpu[2] = {0}, count_cpu[2] = {0};
    ak_seg_acc acc[2];
    uint8_t *gt = malloc((size_t)H * W), *pred = malloc((size_t)H * W), lut[256];
    ak_seg_cityscapes_lut(lut);
    for (int t = 0; rc == AK_OK && t < 2; t++) {
        omp_set_num_threads(t + 1);
        double c = cpu_s();
        dec[t] = decode_all(&pairs);
        dec_cpu[t] = cpu_s() - c;
        ak_seg_acc_init(&acc[t], 19, NULL);
        double s = now_s();
        c = cpu_s();
        rc = ak_seg_eval_pairs(&pairs, &acc[t], &err);
        full[t] = now_s() - s;
        full_cpu[t] = cpu_s() - c;
        /* counting alone: 10 distinct in-memory pairs, each counted n / 10 times */
        ak_seg_acc mem;
        ak_seg_acc_init(&mem, 19, NULL);
        for (int j = 0; j < 10 && rc == AK_OK; j++) {
            make_pair(j, gt, pred, lut);
            s = now_s();
            c = cpu_s();
            for (int r = 0; r < n / 10 && rc == AK_OK; r++)
                rc = ak_seg_acc_add(&mem, gt, pred, (int64_t)H * W, lut, &err);
            count[t] += now_s() - s;
            count_cpu[t] += cpu_s() - c;
        }
    }
    if (rc == AK_OK) {
        struct stat st;
        long long bytes = 0;
        for (int64_t i = 0; i < pairs.n; i++) {
            if (stat(pairs.items[i].gt, &st) == 0)
                bytes += st.st_size;
            if (stat(pairs.items[i].pred, &st) == 0)
                bytes += st.st_size;
        }
        ak_seg_metrics m;
        ak_seg_compute(&acc[0], &m);
        printf("%lld MB of PNG; mIoU %.4f, aAcc %.4f\n", bytes >> 20, m.miou, m.aacc);
        printf("%-38s %20s %20s\n", "seconds: wall (process CPU)", "1 thread", "2 threads");
        printf("%-38s %11.2f (%6.2f) %11.2f (%6.2f)\n", "decode the PNGs only", dec[0], dec_cpu[0], dec[1],
               dec_cpu[1]);
        printf("%-38s %11.2f (%6.2f) %11.2f (%6.2f)\n", "eval-seg path (pair, decode, count)", full[0], full_cpu[0],
               full[1], full_cpu[1]);
        printf("%-38s %11.2f (%6.2f) %11.2f (%6.2f)\n", "counting only (maps in memory)", count[0], count_cpu[0],
               count[1], count_cpu[1]);
        printf("counts identical for 1 and 2 threads: %s\n", memcmp(&acc[0], &acc[1], sizeof acc[0]) ? "NO" : "yes");
    } else {
        fprintf(stderr, "perf_eval_seg: %s\n", err.msg);
    }
    free(gt);
    free(pred);
    ak_seg_pairs_free(&pairs);
    for (int i = 0; i < n; i++) {
        char p[1200];
        snprintf(p, sizeof p, "%s/%04d_gtFine_labelIds.png", gtd, i);
        remove(p);
        snprintf(p, sizeof p, "%s/%04d_pred_trainIds.png", prd, i);
        remove(p);
    }
    rmdir(gtd);
    rmdir(prd);
    rmdir(dir);
    return rc == AK_OK ? 0 : 1;
}
