/* Shared by the detection distillation benchmarks (perf_distill, perf_akd_det): the paper's RetinaNet
 * setting - RetinaNet-R50 student (mmdet preset, 80 classes) at 512x512, batch 2, with two images'
 * worth of boxes - and each baseline's reference distillation config on its five FPN levels
 * (METHODS.md Part 2, RetinaNet rows). Header-only (static functions): each .c file of bench/perf is
 * its own executable. Not a library API; no error handling beyond what a benchmark needs. */
#ifndef AK_BENCH_PERF_DET_PRESET_H
#define AK_BENCH_PERF_DET_PRESET_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "baselines/distill_loss.h"
#include "core/rng.h"
#include "models/detector.h"
#include "store/akd_config.h"

enum { AK_PERF_DET_N = 2, AK_PERF_DET_HW = 512, AK_PERF_DET_LEVELS = 5, AK_PERF_DET_C = 256 };

static inline double ak_perf_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds of the whole process (all threads): on a shared machine less disturbed by other
 * processes than wall time (idle OpenMP workers block, so they add nothing). */
static inline double ak_perf_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Uniform values in [-1, 1) from the test stream `stream` of the RNG. */
static inline void ak_perf_fill(float *p, int64_t n, uint64_t seed, uint64_t stream) {
    ak_rng r = {seed, ak_rng_stream(AK_STREAM_TEST, stream, 0, 0)};
    ak_rng_fill_uniform(r, 0, p, n);
    for (int64_t i = 0; i < n; i++)
        p[i] = 2.0f * p[i] - 1.0f;
}

/* The reference distillation config of `method` (ak_distill_method) on neck.p3..p7. */
static inline void ak_perf_method_cfg(ak_run_config *c, int method) {
    memset(c, 0, sizeof *c);
    c->task = AK_TASK_DET;
    c->train.seed = 1;
    c->distill.method = method;
    c->distill.taps.n = AK_PERF_DET_LEVELS;
    for (int l = 0; l < AK_PERF_DET_LEVELS; l++)
        snprintf(c->distill.taps.v[l], AK_CFG_NAME_LEN, "neck.p%d", l + 3);
    c->distill.weight = 1.0;
    c->distill.connector = method == AK_DISTILL_MSE || method == AK_DISTILL_MASKD ? AK_CONNECTOR_CONV1X1
                                                                                  : AK_CONNECTOR_NONE;
    c->distill.cwd.tau = 1.0;
    c->distill.mgd.alpha = 2e-5;
    c->distill.mgd.lambda = 0.65;
    c->distill.fgd.temp = 0.5;
    c->distill.fgd.alpha = 1e-3;
    c->distill.fgd.beta = 5e-4;
    c->distill.fgd.gamma = 5e-4;
    c->distill.fgd.lambda = 5e-6;
    c->distill.pkd.resize_stu = true;
    c->distill.maskd.num_tokens = 6;
    c->distill.maskd.weight_mask = true;
    c->distill.maskd.custom_mask = true;
    c->distill.maskd.custom_mask_warmup = 0; /* the customised (dearer) branch */
    c->distill.dist.beta = 1.0;
    c->distill.dist.gamma = 1.0;
    c->akd.ghost_batch = 2;
}

/* The two images of the preset: boxes, labels, geometry (the whole 512x512 input valid). */
typedef struct ak_perf_det_batch {
    float boxes[12];
    int32_t labels[3];
    ak_det_target tg[AK_PERF_DET_N];
    ak_det_image imgs[AK_PERF_DET_N];
    int count[AK_PERF_DET_N];
    const float *xyxy[AK_PERF_DET_N];
    ak_gt_boxes gt; /* the same boxes for FGD */
} ak_perf_det_batch;

static inline void ak_perf_det_batch_init(ak_perf_det_batch *b) {
    static const float boxes[12] = {40, 60, 200, 300, 300, 100, 480, 260, 10, 10, 120, 90};
    static const int32_t labels[3] = {1, 5, 17};
    memcpy(b->boxes, boxes, sizeof boxes);
    memcpy(b->labels, labels, sizeof labels);
    b->tg[0] = (ak_det_target){b->boxes, b->labels, NULL, 2};
    b->tg[1] = (ak_det_target){b->boxes + 8, b->labels + 2, NULL, 1};
    for (int i = 0; i < AK_PERF_DET_N; i++)
        b->imgs[i] = (ak_det_image){AK_PERF_DET_HW, AK_PERF_DET_HW, AK_PERF_DET_HW, AK_PERF_DET_HW, 1.0f, 1.0f};
    b->count[0] = 2;
    b->count[1] = 1;
    b->xyxy[0] = b->boxes;
    b->xyxy[1] = b->boxes + 8;
    b->gt = (ak_gt_boxes){AK_PERF_DET_N, b->count, b->xyxy, AK_PERF_DET_HW, AK_PERF_DET_HW, NULL};
}

#endif
