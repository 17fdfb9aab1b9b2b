/* Cost of the AKD wrapper (akd/akd_loss.h): forward + backward of a real baseline loss alone, and
 * wrapped with K = 1 and K = 4 avatars (dropout p = 0.1, uncertainty code with ghost batches of 2,
 * the released default), on the distilled taps of a ResNet-18 PSPNet-D8 (mmseg's Cityscapes student)
 * at batch 2 x 256 x 512, next to one training step of that segmentor (forward, decode + aux
 * cross-entropy, backward; no optimizer). The target: K = 1 adds < 3 % to the step, K = 4
 * < 10 % (the detector preset of the issue was not available when this was written: the segmentor
 * is the reference step).
 *
 * Usage: perf_akd [--reps N] [--loss-reps M] [--threads T] [--small]
 *   --small: batch 2 x 128 x 256, for a quick look.
 * Best of N (default 2) segmentor steps and of M (default 7) loss evaluations, after one warm-up
 * each; the machine is shared, so only the best times mean anything. Not a test; prints only.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "akd/akd_loss.h"
#include "baselines/methods.h"
#include "core/params.h"
#include "core/runtime.h"
#include "models/segmentor.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fill(float *p, int64_t n, uint64_t seed, float lo, float hi) {
    ak_rng r = {seed, ak_rng_stream(AK_STREAM_TEST, 11, 0, 0)};
    ak_rng_fill_uniform(r, 0, p, n);
    for (int64_t i = 0; i < n; i++)
        p[i] = lo + (hi - lo) * p[i];
}

static void die(const char *what, const char *msg) {
    fprintf(stderr, "perf_akd: %s: %s\n", what, msg);
    exit(1);
}

/* One segmentor training step; returns seconds. */
static double seg_step(ak_ctx *ctx, const ak_segmentor *seg, const float *img, const uint8_t *lab, const int64_t *xs,
                       ak_taps *taps) {
    ak_ctx_reset(ctx);
    ak_taps_clear(taps);
    const double t0 = now_s();
    ak_tensor *x = ak_tensor_from(ctx, 4, xs, img);
    ak_seg_outputs o;
    ak_seg_losses l;
    ak_rng rng = {1, ak_rng_stream(AK_STREAM_DROPOUT, 0, 0, 0)};
    if (!x || ak_segmentor_forward(ctx, seg, x, true, rng, &o, taps) != AK_OK ||
        ak_segmentor_loss(ctx, seg, &o, lab, xs[2], xs[3], &l) != AK_OK || ak_backward(ctx, l.total) != AK_OK)
        die("segmentor step", ctx->err.msg);
    return now_s() - t0;
}

/* One distillation loss forward + backward on copies of s / t; K = 0: the plain loss; stats: with the
 * run-log statistics (what the trainer asks for). */
static double loss_step(ak_ctx *ctx, ak_distill_loss *loss, const ak_tensor *sref, const ak_tensor *tref, int K,
                        int stats) {
    ak_ctx_reset(ctx);
    ak_tensor *s = ak_tensor_from(ctx, 4, sref->shape, sref->data), *t = ak_tensor_from(ctx, 4, tref->shape, tref->data);
    if (!s || !t)
        die("inputs", ctx->err.msg);
    s->requires_grad = true;
    ak_distill_inputs in = {s, t, NULL, 3, ak_akd_loss_rng(1, 3, 0, 0)};
    const double t0 = now_s();
    ak_tensor *l;
    if (K == 0) {
        l = ak_distill_forward(ctx, loss, &in);
    } else {
        ak_akd_opts o = ak_akd_opts_default();
        o.num_avatars = K;
        ak_akd_tap_stats st;
        l = ak_akd_forward(ctx, &o, loss, &in, 0, stats ? &st : NULL);
    }
    if (!l || ak_backward(ctx, l) != AK_OK)
        die(loss->ops->method, ctx->err.msg);
    return now_s() - t0;
}

typedef struct tapcase {
    const char *method, *tap;
    ak_distill_loss *loss;
} tapcase;

int main(int argc, char **argv) {
    ak_runtime_bootstrap(argc, argv);
    int reps = 2, loss_reps = 7, threads = 0, small = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--loss-reps") && i + 1 < argc)
            loss_reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--small"))
            small = 1;
        else {
            fprintf(stderr, "usage: perf_akd [--reps N] [--loss-reps M] [--threads T] [--small]\n");
            return 2;
        }
    }
    if (threads > 0)
        omp_set_num_threads(threads);
    const int64_t H = small ? 128 : 256, W = small ? 256 : 512, xs[4] = {2, 3, H, W};
    ak_error err;
    ak_error_clear(&err);
    ak_params ps;
    ak_params_init(&ps);
    ak_segmentor seg;
    ak_segmentor_cfg scfg = ak_segmentor_defaults(AK_HEAD_PSP, 18, 1.0f, 19);
    if (ak_segmentor_init(&seg, &ps, &scfg, 1, &err) != AK_OK)
        die("segmentor", err.msg);
    float *img = malloc((size_t)(2 * 3 * H * W) * sizeof *img);
    uint8_t *lab = malloc((size_t)(2 * H * W));
    fill(img, 2 * 3 * H * W, 1, -2, 2);
    for (int64_t i = 0; i < 2 * H * W; i++)
        lab[i] = (uint8_t)((i / 97) % 19);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_taps taps;
    double step = 1e30;
    for (int r = 0; r <= reps; r++) {
        double t = seg_step(&ctx, &seg, img, lab, xs, &taps);
        if (r > 0 && t < step)
            step = t;
    }
    /* the distilled taps' shapes, from the step's forward */
    ak_tensor *c5 = ak_taps_get(&taps, "backbone.c5"), *logits = ak_taps_get(&taps, "decode.logits");
    if (!c5 || !logits)
        die("taps", "backbone.c5 / decode.logits not recorded");
    ak_ctx data;
    ak_ctx_init(&data, 0, 0);
    ak_tensor *feat[2][2];
    const ak_tensor *shapes[2] = {c5, logits};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            feat[i][j] = ak_tensor_new(&data, "feature", 4, shapes[i]->shape);
            fill(feat[i][j]->data, feat[i][j]->numel, 10 + 2 * i + j, -2, 2);
        }
    const int C5 = (int)c5->shape[1];
    ak_mgd_opts mo = {1.0f, 2e-5f, 0.75f, 0, C5, false, 1};
    ak_pkd_opts po = {6.0f, true, 2};
    tapcase cases[5] = {
        {"mse", "backbone.c5", ak_mse_loss_create("backbone.c5", 1.0f, &err)},
        {"pkd", "backbone.c5", ak_pkd_loss_create("backbone.c5", &po, &err)},
        {"mgd", "backbone.c5", ak_mgd_loss_create("backbone.c5", &mo, &ps, &err)},
        {"cwd", "backbone.c5", ak_cwd_loss_create("backbone.c5", 1.0f, 1.0f, &err)},
        {"cwd", "decode.logits", ak_cwd_loss_create("decode.logits", 5.0f, 1.0f, &err)},
    };
    char s1[64], s2[64];
    printf("segmentor PSPNet-R18-D8, batch 2 x %lldx%lld, threads %d: training step %.1f ms (best of %d)\n",
           (long long)H, (long long)W, omp_get_max_threads(), 1e3 * step, reps);
    printf("taps: backbone.c5 %s, decode.logits %s; AKD: dropout p 0.1, uncertainty code (G 2); losses best of %d\n\n",
           ak_shape_str(c5, s1, sizeof s1), ak_shape_str(logits, s2, sizeof s2), loss_reps);
    printf("| loss | tap | plain ms | K=1 ms | K=1+stats ms | K=4 ms | K=1 extra / step | K=1+stats extra / step | "
           "K=4 extra / step |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    for (int c = 0; c < 5; c++) {
        if (!cases[c].loss)
            die(cases[c].method, err.msg);
        const int ti = strcmp(cases[c].tap, "backbone.c5") ? 1 : 0;
        double best[4] = {1e30, 1e30, 1e30, 1e30};
        const int Ks[4] = {0, 1, 1, 4}, St[4] = {0, 0, 1, 0};
        for (int r = 0; r <= loss_reps; r++)
            for (int k = 0; k < 4; k++) {
                double t = loss_step(&ctx, cases[c].loss, feat[ti][0], feat[ti][1], Ks[k], St[k]);
                if (r > 0 && t < best[k])
                    best[k] = t;
            }
        const double base = step + best[0];
        printf("| %s | %s | %.2f | %.2f | %.2f | %.2f | %+.2f %% | %+.2f %% | %+.2f %% |\n", cases[c].method,
               cases[c].tap, 1e3 * best[0], 1e3 * best[1], 1e3 * best[2], 1e3 * best[3],
               100 * (best[1] - best[0]) / base, 100 * (best[2] - best[0]) / base, 100 * (best[3] - best[0]) / base);
        ak_distill_loss_destroy(cases[c].loss);
    }
    printf("\n'extra / step' = (AKD - plain) / (segmentor step + plain loss).\n");
    ak_ctx_free(&data);
    ak_ctx_free(&ctx);
    ak_segmentor_free(&seg);
    ak_params_free(&ps);
    free(img);
    free(lab);
    return 0;
}
