/* Data loader throughput on COCO-sized JPEGs (640x480, written by the synthetic COCO generator into
 * a scratch folder under /tmp), next to the plain libjpeg-turbo decode rate of the same files in the
 * same run.
 *
 * Rows: "decode" = ak_jpeg_read of every file in one thread (the reference rate); then the loader
 * (decode + augment + collate into uint8 batches, batch 2, 4 batches queued) with 1 and 2 worker
 * threads for:
 *   light  = mmdet pipeline at the image's own scale (flip, normalise, pad to 32), what a CPU run
 *            trains on;
 *   mmdet  = Resize(1333, 800, keep_ratio) + flip + normalise + pad (the paper's scale).
 * The flip / normalise / pad of the image happen in the consumer's input step (ak_batch_input,
 * datasets/batch_input.h), as in training: "input step" = its cost per image on the consumer thread
 * (float32 output, what the loader workers used to write), next to the float copy the consumer made
 * before (ak_tensor_from of the float batch); "decode+normalise" = decode and that same pass in a
 * plain loop, one thread (the old per-image work of a worker).
 * "per thread" = loader rate / (threads x decode rate): the target is >= 0.8 for the light pipeline;
 * also as CPU time (decode CPU per image / loader CPU per image), which other load on a shared
 * machine disturbs less than wall time.
 * Memory: the loader's buffers (ak_loader_bytes: (queue + 1) batches + per-worker scratch) and the
 * peak RSS of the process.
 *
 * Usage: perf_loader [--images N] [--reps R] [--size HxW] [--keep DIR] [--only light|mmdet] [--threads T]
 * (--keep: generate into DIR once and reuse it in later runs).
 * Each number is the best of R
 * passes (default 2): the machine is shared. Not a test; prints only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/runtime.h"
#include "datasets/batch_input.h"
#include "datasets/geometry.h"
#include "datasets/jpeg_io.h"
#include "datasets/loader.h"
#include "datasets/synth_coco.h"

char *mkdtemp(char *tmpl);

static double clock_s(clockid_t id) {
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
static double now(void) { return clock_s(CLOCK_MONOTONIC); }
/* CPU seconds of the whole process (all threads): robust to other load on a shared machine. */
static double cpu(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

/* Best wall-clock rate (img/s); *cpu_per_img receives the lowest CPU seconds per image. */
static double decode_rate(const ak_coco_dataset *ds, int reps, double *cpu_per_img) {
    double best = 0.0;
    *cpu_per_img = 1e30;
    for (int r = 0; r < reps; r++) {
        const double t0 = now(), c0 = cpu();
        for (int64_t i = 0; i < ds->n; i++) {
            uint8_t *px;
            int h, w;
            ak_error err;
            ak_error_clear(&err);
            if (ak_jpeg_read(ds->recs[i].path, 3, &px, &h, &w, &err) != AK_OK) {
                fprintf(stderr, "perf_loader: %s\n", err.msg);
                exit(1);
            }
            free(px);
        }
        const double rate = (double)ds->n / (now() - t0), c = (cpu() - c0) / (double)ds->n;
        best = rate > best ? rate : best;
        *cpu_per_img = c < *cpu_per_img ? c : *cpu_per_img;
    }
    return best;
}

/* The light pipeline's work without the loader: decode + normalise into 10 rotating batch-sized
 * buffers (what the loader's queue holds), one thread. Separates the cost of the float output
 * (memory bandwidth) from the loader's own overhead. */
static double decode_normalize_rate(const ak_coco_dataset *ds, int reps, double *cpu_per_img) {
    const ak_coco_record *r0 = &ds->recs[0];
    const size_t plane = 3 * (size_t)ak_round_up(r0->height, 32) * (size_t)ak_round_up(r0->width, 32);
    float *out = malloc(10 * plane * sizeof(float));
    const ak_det_aug a = ak_det_aug_default(1, 0, 0);
    ak_image im = {0};
    double best = 0.0;
    *cpu_per_img = 1e30;
    for (int r = 0; r < reps + 1; r++) { /* +1: the first pass faults the buffers in */
        const double t0 = now(), c0 = cpu();
        for (int64_t i = 0; i < ds->n; i++) {
            ak_error err;
            ak_error_clear(&err);
            if (ak_coco_dataset_decode(ds, i, &im, &err) != AK_OK) {
                fprintf(stderr, "perf_loader: %s\n", err.msg);
                exit(1);
            }
            ak_normalize_pad_chw(im.data, im.h, im.w, (int)(i & 1), a.mean, a.std, out + (size_t)(i % 10) * plane,
                                 ak_round_up(im.h, 32), ak_round_up(im.w, 32));
        }
        const double rate = (double)ds->n / (now() - t0), c = (cpu() - c0) / (double)ds->n;
        if (r == 0)
            continue;
        best = rate > best ? rate : best;
        *cpu_per_img = c < *cpu_per_img ? c : *cpu_per_img;
    }
    ak_image_free(&im);
    free(out);
    return best;
}

/* Images per second through the loader (best of reps epochs); *bytes receives the bytes held in
 * sample and batch buffers at the end; with `input` set the consumer also makes the network input
 * of every batch (ak_batch_input) and copies it once more (ak_tensor_from, what the consumer did
 * with the float batches before): input_s[0] / [1] receive their best times per image. */
static double loader_rate(const ak_coco_dataset *ds, const ak_det_aug *aug, int workers, int reps, double *checksum,
                          double *cpu_per_img, int64_t *bytes, ak_ctx *input, double input_s[2]) {
    ak_det_source src = {ds, *aug};
    ak_loader_cfg cfg = {ak_det_source_make(&src), 2, 1, 0, 1, workers, 4, AK_BAD_SAMPLE_ERROR, 0};
    ak_loader *ld;
    ak_error err;
    ak_error_clear(&err);
    if (ak_loader_open(&ld, &cfg, &err) != AK_OK) {
        fprintf(stderr, "perf_loader: %s\n", err.msg);
        exit(1);
    }
    double best = 0.0;
    *cpu_per_img = 1e30;
    for (int r = 0; r < reps; r++) {
        const double t0 = now(), c0 = cpu();
        if (ak_loader_start(ld, r, &err) != AK_OK) {
            fprintf(stderr, "perf_loader: %s\n", err.msg);
            exit(1);
        }
        const ak_batch *b;
        int64_t n = 0;
        int rc;
        double in_s[2] = {0.0, 0.0};
        while ((rc = ak_loader_next(ld, &b, &err)) == 1) {
            n += b->n;
            *checksum += b->pixels[0]; /* touch the batch like a consumer would */
            if (input) {
                ak_ctx_reset(input);
                const double t1 = now();
                const ak_tensor *x = ak_batch_input(input, b);
                const double t2 = now();
                const ak_tensor *y = x ? ak_tensor_from(input, 4, x->shape, x->data) : NULL;
                in_s[0] += t2 - t1;
                in_s[1] += now() - t2;
                if (!y) {
                    fprintf(stderr, "perf_loader: %s\n", input->err.msg);
                    exit(1);
                }
                *checksum += y->data[0];
            }
        }
        if (rc != 0) {
            fprintf(stderr, "perf_loader: %s\n", err.msg);
            exit(1);
        }
        ak_loader_stop(ld); /* join the workers so that their CPU time is complete */
        const double rate = (double)n / (now() - t0), c = (cpu() - c0) / (double)n;
        best = rate > best ? rate : best;
        *cpu_per_img = c < *cpu_per_img ? c : *cpu_per_img;
        for (int k = 0; input && k < 2; k++)
            if (r == 0 || in_s[k] / (double)n < input_s[k])
                input_s[k] = in_s[k] / (double)n;
    }
    *bytes = ak_loader_bytes(ld);
    ak_loader_close(ld);
    return best;
}

int main(int argc, char **argv) {
    ak_runtime_bootstrap(argc, argv);
    int n_images = 48, reps = 2, h = 480, w = 640;
    const char *keep = NULL, *only = NULL;
    int max_threads = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--images") && i + 1 < argc)
            n_images = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc && sscanf(argv[i + 1], "%dx%d", &h, &w) == 2)
            i++;
        else if (!strcmp(argv[i], "--keep") && i + 1 < argc)
            keep = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            max_threads = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: perf_loader [--images N] [--reps R] [--size HxW] [--keep DIR] [--only light|mmdet] "
                            "[--threads T]\n");
            return 2;
        }
    }
    char tmpl[] = "/tmp/akd_perf_loader_XXXXXX";
    const char *dir = keep ? keep : mkdtemp(tmpl);
    if (!dir) {
        perror("mkdtemp");
        return 1;
    }
    ak_error err;
    ak_error_clear(&err);
    ak_synth_opts so = {dir, n_images, h, w, 1, "train", 0, 0, false};
    const double tg = now();
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/annotations/instances_train2017.json", dir);
    if (keep && access(probe, R_OK) == 0)
        printf("perf_loader: reusing %s\n", dir); /* --keep DIR from an earlier run */
    else if (ak_synth_coco(&so, NULL, &err) != AK_OK) {
        fprintf(stderr, "perf_loader: %s\n", err.msg);
        return 1;
    }
    const double gen_s = now() - tg;
    char ann[4200], img[4200];
    snprintf(ann, sizeof ann, "%s/annotations/instances_train2017.json", dir);
    snprintf(img, sizeof img, "%s/train2017", dir);
    ak_coco_dataset ds;
    ak_coco_dataset_opts o = {ann, img, 1, AK_BAD_SAMPLE_ERROR, 1};
    if (ak_coco_dataset_open(&ds, &o, &err) != AK_OK) {
        fprintf(stderr, "perf_loader: %s\n", err.msg);
        return 1;
    }
    char line[256];
    ak_runtime_describe(line, sizeof line);
    printf("perf_loader: %lld JPEGs %dx%d (generated in %.2f s), best of %d passes; %s\n", (long long)ds.n, h, w, gen_s,
           reps, line);
    double dec_cpu;
    const double dec = decode_rate(&ds, reps, &dec_cpu);
    printf("%-28s %9.1f img/s   %6.2f ms CPU/img\n", "decode (libjpeg-turbo, 1 thr)", dec, 1e3 * dec_cpu);
    double dn_cpu;
    const double dn = decode_normalize_rate(&ds, reps, &dn_cpu);
    printf("%-28s %9.1f img/s   %6.2f ms CPU/img   (no loader: the light pipeline's work in one loop)\n",
           "decode+normalise (1 thr)", dn, 1e3 * dn_cpu);
    double checksum = 0.0;
    const ak_det_aug light = ak_det_aug_default(1, 0, 0), full = ak_det_aug_default(1, 1333, 800);
    const struct { const char *name; const ak_det_aug *aug; } pipes[] = {{"light", &light}, {"mmdet 1333x800", &full}};
    for (int p = 0; p < 2; p++)
        for (int workers = 1; workers <= max_threads; workers++) {
            if (only && strncmp(only, pipes[p].name, strlen(only)) != 0)
                continue;
            double c;
            int64_t bytes;
            const double r = loader_rate(&ds, pipes[p].aug, workers, reps, &checksum, &c, &bytes, NULL, NULL);
            printf("loader %-14s %d thr  %9.1f img/s   %6.2f ms CPU/img   per thread %.2f of decode (wall), %.2f (CPU)"
                   "   buffers %.1f MB\n", pipes[p].name, workers, r, 1e3 * c, r / (workers * dec), dec_cpu / c, bytes / 1e6);
        }
    if (!only || !strncmp(only, "light", strlen(only))) {
        /* The consumer's share: the input step on the training thread, measured while one worker
         * loads (the training loop's situation). */
        ak_ctx ctx;
        const size_t arena = (size_t)4 * 3 * (size_t)ak_round_up(h, 32) * (size_t)ak_round_up(w, 32) * sizeof(float) + 8192;
        if (ak_ctx_init(&ctx, arena, 0) != AK_OK) {
            fprintf(stderr, "perf_loader: %s\n", ctx.err.msg);
            return 1;
        }
        double c, in_s[2] = {0.0, 0.0};
        int64_t bytes;
        loader_rate(&ds, &light, 1, reps, &checksum, &c, &bytes, &ctx, in_s);
        printf("%-28s %9.1f img/s   %6.2f ms/img on the consumer (ak_batch_input: flip + normalise + pad to float32);"
               " the float copy it replaces (ak_tensor_from): %.2f ms/img\n", "input step (light)", 1.0 / in_s[0],
               1e3 * in_s[0], 1e3 * in_s[1]);
        ak_ctx_free(&ctx);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("memory: peak RSS %.1f MB; loader buffers = (queue 4 + 1) batches of 2 samples + scratch per worker, "
           "the same after every epoch\n", (double)ru.ru_maxrss / 1024.0);
    if (checksum != checksum)
        printf("(nan in the batches)\n");
    ak_coco_dataset_close(&ds);
    if (!keep) {
        char cmd[4300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "perf_loader: could not remove %s\n", dir);
    }
    return 0;
}
