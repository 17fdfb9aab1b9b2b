/* Whole-model benchmark against PyTorch (issue 3): the training step (forward with targets, backward,
 * SGD momentum 0.9, weight decay 1e-4) at batch 2 and inference per image (batch 1) of
 * RetinaNet-R50-FPN and DeepLabV3-R50 at 512x512, built as ../shared/reference/torch_bench.py builds
 * them, so bench/perf/models_torch.py times the same networks in PyTorch:
 *   retinanet: torchvision style (anchors, matcher, losses, P6 from P5, 81 sigmoid classes); with
 *     weights=None torchvision trains EVERY backbone layer with ordinary BatchNorm2d in training mode
 *     (no FrozenBatchNorm2d, no frozen stages), and so do we here; two boxes per image, labels 1 and 5,
 *     at torch_bench's coordinates.
 *   deeplabv3: torchvision's deeplabv3_resnet50 (ak_segmentor_torchvision, no aux head, 19 classes);
 *     random labels, cross-entropy mean over the pixels, ignore 255; inference returns the logits
 *     upsampled to the input, as torchvision's model does.
 * Inputs are random values (already normalised: torchvision's transform, normalising and resizing by
 * 1.0, is part of PyTorch's detection time and not of ours; it is a few ms).
 *
 * Usage: perf_models WORKLOAD [--iters N] [--warmup N] [--threads T]
 *   WORKLOAD: retinanet-train | retinanet-infer | deeplabv3-train | deeplabv3-infer
 * Prints one line: workload, median and best ms per step, the process's peak resident memory
 * (getrusage ru_maxrss: run each workload in its own process) and the activation arena's peak.
 * bench/perf/models_vs_torch.sh runs all four beside PyTorch. Not a test; the machine is shared, so
 * quote ratios measured in the same run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/ctx.h"
#include "core/ops/resize.h"
#include "core/optim.h"
#include "core/rng.h"
#include "core/runtime.h"
#include "models/detector.h"
#include "models/segmentor.h"

#define SIZE 512
#define MAX_ITERS 64

typedef enum workload { RETINA_TRAIN, RETINA_INFER, DEEPLAB_TRAIN, DEEPLAB_INFER, N_WORKLOADS } workload;
static const char *const NAMES[N_WORKLOADS] = {"retinanet-train", "retinanet-infer", "deeplabv3-train",
                                                "deeplabv3-infer"};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The model under test: one of the two, its registry and optimizer. */
typedef struct bench {
    workload w;
    int batch;
    ak_params ps;
    ak_detector det;
    ak_segmentor seg;
    ak_optim opt;
    float *x;         /* batch x 3 x SIZE x SIZE */
    uint8_t *labels;  /* deeplabv3: batch x SIZE x SIZE */
    float boxes[8];   /* retinanet: torch_bench's two boxes */
    int32_t box_labels[2];
} bench;

static int bench_init(bench *b, workload w, ak_error *err) {
    memset(b, 0, sizeof *b);
    b->w = w;
    b->batch = w == RETINA_TRAIN || w == DEEPLAB_TRAIN ? 2 : 1;
    ak_params_init(&b->ps);
    if (w == RETINA_TRAIN || w == RETINA_INFER) {
        ak_detector_cfg c = ak_detector_cfg_preset(AK_HEAD_RETINANET, AK_DET_TORCHVISION, 50, 81);
        c.backbone.frozen_stages = -1; /* torchvision with weights=None: trainable_backbone_layers 5 */
        c.backbone.norm_eval = false;  /* ... and nn.BatchNorm2d, not FrozenBatchNorm2d */
        c.freeze_bn_affine = false;
        AK_TRY(ak_detector_init(&b->det, &b->ps, &c, 1, err));
    } else {
        ak_segmentor_cfg c = ak_segmentor_torchvision(50, 19, false);
        AK_TRY(ak_segmentor_init(&b->seg, &b->ps, &c, 1, err));
    }
    int64_t n = (int64_t)b->batch * 3 * SIZE * SIZE;
    b->x = malloc((size_t)n * sizeof *b->x);
    b->labels = malloc((size_t)b->batch * SIZE * SIZE);
    if (!b->x || !b->labels)
        return ak_error_set(err, AK_ENOMEM, "perf_models: out of memory for the inputs");
    ak_rng r = {1, ak_rng_stream(AK_STREAM_TEST, 71, 0, 0)};
    ak_rng_fill_uniform(r, 0, b->x, n);
    for (int64_t i = 0; i < n; i++)
        b->x[i] = 4.0f * b->x[i] - 2.0f;
    for (int64_t i = 0; i < (int64_t)b->batch * SIZE * SIZE; i++)
        b->labels[i] = (uint8_t)(ak_rng_uniform1(r, n + i) * 19.0f) % 19;
    const float s = SIZE;
    const float bx[8] = {10, 20, s * 0.4f, s * 0.5f, s * 0.5f, s * 0.2f, s * 0.9f, s * 0.8f};
    memcpy(b->boxes, bx, sizeof bx);
    b->box_labels[0] = 1;
    b->box_labels[1] = 5;
    if (w == RETINA_TRAIN || w == DEEPLAB_TRAIN) {
        ak_optim_config oc = ak_optim_sgd_config(1e-3, 0.9, 1e-4);
        AK_TRY(ak_optim_init(&b->opt, &b->ps, &oc, err));
    }
    return AK_OK;
}

static void bench_free(bench *b) {
    if (b->w == RETINA_TRAIN || b->w == DEEPLAB_TRAIN)
        ak_optim_free(&b->opt);
    if (b->w == RETINA_TRAIN || b->w == RETINA_INFER)
        ak_detector_free(&b->det);
    else
        ak_segmentor_free(&b->seg);
    ak_params_free(&b->ps);
    free(b->x);
    free(b->labels);
}

/* One step; returns 0 or the error (ctx->err or err). */
static int step(bench *b, ak_ctx *ctx, ak_error *err) {
    ak_ctx_reset(ctx);
    int64_t xs[4] = {b->batch, 3, SIZE, SIZE};
    ak_tensor *x = ak_tensor_from(ctx, 4, xs, b->x);
    if (!x)
        return ctx->err.code;
    ak_det_image imgs[2] = {{SIZE, SIZE, SIZE, SIZE, 1.0f, 1.0f}, {SIZE, SIZE, SIZE, SIZE, 1.0f, 1.0f}};
    ak_tensor *loss = NULL;
    switch (b->w) {
    case RETINA_TRAIN: {
        ak_det_target tg[2] = {{b->boxes, b->box_labels, NULL, 2}, {b->boxes, b->box_labels, NULL, 2}};
        ak_det_losses L;
        AK_TRY(ak_detector_loss(ctx, &b->det, x, imgs, tg, &L, NULL, NULL));
        loss = L.total;
        break;
    }
    case DEEPLAB_TRAIN: {
        ak_rng unused = {0, 0};
        ak_seg_outputs out;
        ak_seg_losses L;
        AK_TRY(ak_segmentor_forward(ctx, &b->seg, x, true, unused, &out, NULL));
        AK_TRY(ak_segmentor_loss(ctx, &b->seg, &out, b->labels, SIZE, SIZE, &L));
        loss = L.total;
        break;
    }
    case RETINA_INFER: {
        ak_det_result res;
        AK_TRY(ak_detector_predict(ctx, &b->det, x, imgs, &res, NULL));
        ak_det_result_free(&res);
        return AK_OK;
    }
    default: {
        ak_rng unused = {0, 0};
        ak_seg_outputs out;
        bool rec = ak_ctx_set_record(ctx, false);
        int rc = ak_segmentor_forward(ctx, &b->seg, x, false, unused, &out, NULL);
        ak_tensor *up = rc == AK_OK ? ak_resize(ctx, out.logits, SIZE, SIZE, AK_RESIZE_BILINEAR, false) : NULL;
        ak_ctx_set_record(ctx, rec);
        return up ? AK_OK : ctx->err.code;
    }
    }
    ak_params_zero_grad(&b->ps);
    AK_TRY(ak_backward(ctx, loss));
    return ak_optim_step(&b->opt, 1e-3, err);
}

int main(int argc, char **argv) {
    ak_runtime_bootstrap(argc, argv);
    int iters = 5, warmup = 1, threads = 2, w = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--iters") && i + 1 < argc)
            iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
            warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else
            for (int k = 0; k < N_WORKLOADS; k++)
                if (!strcmp(argv[i], NAMES[k]))
                    w = k;
    }
    if (w < 0 || iters < 1 || iters > MAX_ITERS || warmup < 0) {
        fprintf(stderr, "usage: %s retinanet-train|retinanet-infer|deeplabv3-train|deeplabv3-infer "
                        "[--iters 1..%d] [--warmup N] [--threads T]\n", argv[0], MAX_ITERS);
        return 2;
    }
    ak_runtime_set_threads(threads);
    char rt[256];
    ak_runtime_describe(rt, sizeof rt);
    ak_error err;
    ak_error_clear(&err);
    bench b;
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    if (bench_init(&b, (workload)w, &err) != AK_OK) {
        fprintf(stderr, "perf_models: %s\n", err.msg);
        return 1;
    }
    double t[MAX_ITERS];
    for (int i = 0; i < warmup + iters; i++) {
        double t0 = now_s();
        if (step(&b, &ctx, &err) != AK_OK) {
            fprintf(stderr, "perf_models: %s: %s\n", NAMES[w], ctx.err.code ? ctx.err.msg : err.msg);
            return 1;
        }
        if (i >= warmup)
            t[i - warmup] = now_s() - t0;
    }
    qsort(t, (size_t)iters, sizeof *t, cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double median = iters % 2 ? t[iters / 2] : 0.5 * (t[iters / 2 - 1] + t[iters / 2]);
    printf("akdbench %-16s batch %d %dx%d  median_ms %8.1f  best_ms %8.1f  peak_rss_mb %7.0f  arena_peak_mb %6.0f"
           "  grad_pool_mb %6.0f  iters %d  (%s)\n",
           NAMES[w], b.batch, SIZE, SIZE, 1e3 * median, 1e3 * t[0], (double)ru.ru_maxrss / 1024.0,
           (double)ctx.arena.peak / (1024.0 * 1024.0), (double)ctx.grads.held / (1024.0 * 1024.0), iters, rt);
    bench_free(&b);
    ak_ctx_free(&ctx);
    return 0;
}
