/* Issue 7's benchmark on the RetinaNet preset: what Avatars (akd/akd_hook.h: K = 1 and K = 4, dropout
 * p 0.1, uncertainty code with ghost batches of 2, per-tap statistics on as the trainer asks) add to
 * the distillation training step of a RetinaNet-R50 student (mmdet preset, 512x512, batch 2) taught
 * by a RetinaNet-R101 teacher, for every feature baseline on the five FPN levels with its reference
 * config (bench/perf/det_preset.h; MGD twice: generators trained, the baseline's setting, and frozen,
 * the released AKD + MGD setting).
 *
 * Measured in one process, best of N after a warm-up:
 *   student step = student forward + detection loss + backward (no optimizer step);
 *   teacher      = the frozen teacher's forward (eval, no tape);
 *   per method and variant (plain / K = 1 / K = 4): the distiller's loss forward + backward on the
 *   student's and teacher's real FPN outputs of that step (student maps as leaves requiring a
 *   gradient: the distillation gradient stops there, and the student's backward through the network
 *   runs in the step anyway, so this is all the step adds).
 * The step of a method = student step + teacher + plain loss; "K added" = (K loss - plain loss) / that
 * step. Targets (issue 7): K = 1 < 3 %, K = 4 < 10 %. The variants of a method are timed interleaved
 * (plain, K=1, K=4, plain, ...) so that machine load affects them alike.
 *
 * Usage: perf_akd_det [--reps N] [--step-reps M] [--methods mse,cwd,mgd,mgd_frozen,fgd,pkd,maskd]
 *                     [--threads T] [--step-s S --teacher-s T] [--loop-too]
 *   --loop-too: for losses with a batched K-avatar path (ak_distill_loss_ops.forward_multi: MGD),
 *   also time K = 4 through the per-avatar loop (row "<method> (loop)"), in the same run.
 *   --step-s / --teacher-s: skip the two network timings and use the given seconds (features are
 *   then random); defaults: reps 3, step-reps 1. Not a test; prints only. The machine is shared:
 *   quote numbers with that caveat, as ratios of the same run.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "akd/akd_hook.h"
#include "baselines/distiller.h"
#include "bench/perf/det_preset.h"
#include "core/runtime.h"

/* One measurement: wall and process CPU seconds. */
typedef struct tm2 {
    double wall, cpu;
} tm2;

static tm2 tm_start(void) { return (tm2){ak_perf_now(), ak_perf_cpu()}; }
static tm2 tm_since(tm2 t0) { return (tm2){ak_perf_now() - t0.wall, ak_perf_cpu() - t0.cpu}; }
static void tm_best(tm2 *best, tm2 t) {
    if (t.wall < best->wall)
        best->wall = t.wall;
    if (t.cpu < best->cpu)
        best->cpu = t.cpu;
}

static void die(const char *what, const char *msg) {
    fprintf(stderr, "perf_akd_det: %s: %s\n", what, msg);
    exit(1);
}

typedef struct feats {
    float *s[AK_PERF_DET_LEVELS], *t[AK_PERF_DET_LEVELS];
    int64_t shape[AK_PERF_DET_LEVELS][4];
} feats;

static void keep_taps(feats *f, const ak_taps *taps, int teacher) {
    for (int l = 0; l < AK_PERF_DET_LEVELS; l++) {
        char name[16];
        snprintf(name, sizeof name, "neck.p%d", l + 3);
        const ak_tensor *t = ak_taps_get(taps, name);
        if (!t)
            die("taps", name);
        memcpy(f->shape[l], t->shape, sizeof f->shape[l]);
        float **dst = teacher ? &f->t[l] : &f->s[l];
        *dst = realloc(*dst, (size_t)t->numel * sizeof(float));
        memcpy(*dst, t->data, (size_t)t->numel * sizeof(float));
    }
}

/* One student training step (forward + loss + backward). */
static tm2 student_step(ak_ctx *ctx, const ak_detector *det, const float *x, const ak_perf_det_batch *b,
                           feats *f) {
    ak_ctx_reset(ctx);
    const int64_t xs[4] = {AK_PERF_DET_N, 3, AK_PERF_DET_HW, AK_PERF_DET_HW};
    ak_tensor *X = ak_tensor_from(ctx, 4, xs, x);
    ak_taps taps;
    ak_taps_clear(&taps);
    ak_det_losses L;
    const tm2 t0 = tm_start();
    if (!X || ak_detector_loss(ctx, det, X, b->imgs, b->tg, &L, &taps, NULL) != AK_OK ||
        ak_backward(ctx, L.total) != AK_OK)
        die("student step", ctx->err.msg);
    const tm2 dt = tm_since(t0);
    keep_taps(f, &taps, 0);
    return dt;
}

static tm2 teacher_forward(ak_ctx *ctx, const ak_detector *det, const float *x, feats *f) {
    ak_ctx_reset(ctx);
    const int64_t xs[4] = {AK_PERF_DET_N, 3, AK_PERF_DET_HW, AK_PERF_DET_HW};
    ak_tensor *X = ak_tensor_from(ctx, 4, xs, x);
    ak_taps taps;
    ak_taps_clear(&taps);
    const tm2 t0 = tm_start();
    if (!X || ak_teacher_forward_detector(ctx, det, X, &taps) != AK_OK)
        die("teacher forward", ctx->err.msg);
    const tm2 dt = tm_since(t0);
    keep_taps(f, &taps, 1);
    return dt;
}

/* The distiller's loss forward + backward on leaf copies of the features. */
static tm2 loss_step(ak_ctx *ctx, ak_distiller *d, const feats *f, const ak_gt_boxes *gt, const ak_tap_hook *hook,
                        int iteration) {
    ak_ctx_reset(ctx);
    ak_taps st, tt;
    ak_taps_clear(&st);
    ak_taps_clear(&tt);
    for (int l = 0; l < AK_PERF_DET_LEVELS; l++) {
        ak_tensor *s = ak_tensor_from(ctx, 4, f->shape[l], f->s[l]), *t = ak_tensor_from(ctx, 4, f->shape[l], f->t[l]);
        if (!s || !t)
            die("features", ctx->err.msg);
        s->requires_grad = true;
        char name[16];
        snprintf(name, sizeof name, "neck.p%d", l + 3);
        ak_taps_put(&st, name, s);
        ak_taps_put(&tt, name, t);
    }
    const tm2 t0 = tm_start();
    ak_tensor *L = ak_distiller_loss(ctx, d, &st, &tt, gt, iteration, 7, hook);
    if (!L || ak_backward(ctx, L) != AK_OK)
        die(ak_distill_method_name(d->method), ctx->err.msg);
    return tm_since(t0);
}

typedef struct method_case {
    const char *name;
    int method;
    bool frozen;
} method_case;

/* Switch the distiller's losses to the per-avatar loop (forward_multi off) or back. */
static void set_loop(ak_distiller *d, ak_distill_loss_ops *loop_ops, const ak_distill_loss_ops **saved, bool loop) {
    for (int i = 0; i < d->n_feature; i++) {
        ak_distill_loss *l = d->pairs[i].loss;
        if (loop) {
            saved[i] = l->ops;
            loop_ops[i] = *l->ops;
            loop_ops[i].forward_multi = NULL;
            l->ops = &loop_ops[i];
        } else {
            l->ops = saved[i];
        }
    }
}

static const method_case all_cases[] = {
    {"mse", AK_DISTILL_MSE, false},   {"cwd", AK_DISTILL_CWD, false}, {"mgd", AK_DISTILL_MGD, false},
    {"mgd_frozen", AK_DISTILL_MGD, true}, {"fgd", AK_DISTILL_FGD, false}, {"pkd", AK_DISTILL_PKD, false},
    {"maskd", AK_DISTILL_MASKD, false},
};
enum { N_CASES = sizeof all_cases / sizeof all_cases[0] };

int main(int argc, char **argv) {
    ak_runtime_bootstrap(argc, argv);
    int reps = 3, step_reps = 1, threads = 0;
    tm2 step_t = {0, 0}, teacher_t = {0, 0};
    const char *methods = NULL;
    int loop_too = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--step-reps") && i + 1 < argc)
            step_reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--methods") && i + 1 < argc)
            methods = argv[++i];
        else if (!strcmp(argv[i], "--step-s") && i + 1 < argc)
            step_t.wall = step_t.cpu = atof(argv[++i]);
        else if (!strcmp(argv[i], "--teacher-s") && i + 1 < argc)
            teacher_t.wall = teacher_t.cpu = atof(argv[++i]);
        else if (!strcmp(argv[i], "--loop-too"))
            loop_too = 1;
        else {
            fprintf(stderr, "usage: perf_akd_det [--reps N] [--step-reps M] [--methods a,b] [--threads T] "
                            "[--step-s S --teacher-s T] [--loop-too]\n");
            return 2;
        }
    }
    if (threads > 0)
        omp_set_num_threads(threads);
    char rt[256];
    ak_runtime_describe(rt, sizeof rt);
    printf("perf_akd_det: RetinaNet-R50 student <- RetinaNet-R101 teacher (mmdet presets), 512x512 batch 2, "
           "FPN P3-P7 256 ch; %s\n",
           rt);
    ak_error err;
    ak_error_clear(&err);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_perf_det_batch b;
    ak_perf_det_batch_init(&b);
    static feats f;
    memset(&f, 0, sizeof f);
    if (step_t.wall <= 0 || teacher_t.wall <= 0) {
        const int64_t nx = (int64_t)AK_PERF_DET_N * 3 * AK_PERF_DET_HW * AK_PERF_DET_HW;
        float *x = malloc((size_t)nx * sizeof *x);
        ak_perf_fill(x, nx, 1, 61);
        const int depth[2] = {50, 101};
        tm2 best[2] = {{1e30, 1e30}, {1e30, 1e30}};
        for (int m = 0; m < 2; m++) {
            ak_params ps;
            ak_params_init(&ps);
            ak_detector det;
            ak_detector_cfg dc = ak_detector_cfg_preset(AK_HEAD_RETINANET, AK_DET_MMDET, depth[m], 80);
            if (ak_detector_init(&det, &ps, &dc, 1 + (uint64_t)m, &err) != AK_OK)
                die("detector", err.msg);
            if (m == 1)
                ak_teacher_freeze(&ps);
            for (int r = 0; r <= (m ? 1 : step_reps); r++) {
                tm2 t = m ? teacher_forward(&ctx, &det, x, &f) : student_step(&ctx, &det, x, &b, &f);
                printf("  %s %s: %.3f s wall, %.3f s CPU\n", m ? "teacher R101 forward" : "student R50 step",
                       r ? "timed" : "warm-up", t.wall, t.cpu);
                fflush(stdout);
                if (r > 0)
                    tm_best(&best[m], t);
            }
            ak_detector_free(&det);
            ak_params_free(&ps);
        }
        step_t = best[0];
        teacher_t = best[1];
        free(x);
    } else {
        for (int l = 0; l < AK_PERF_DET_LEVELS; l++) {
            const int64_t hw = 64 >> l, n = (int64_t)AK_PERF_DET_N * AK_PERF_DET_C * hw * hw;
            const int64_t shape[4] = {AK_PERF_DET_N, AK_PERF_DET_C, hw, hw};
            memcpy(f.shape[l], shape, sizeof shape);
            f.s[l] = malloc((size_t)n * sizeof(float));
            f.t[l] = malloc((size_t)n * sizeof(float));
            ak_perf_fill(f.s[l], n, 10 + (uint64_t)l, 62);
            ak_perf_fill(f.t[l], n, 20 + (uint64_t)l, 62);
        }
    }
    printf("student step (forward + loss + backward) %.3f s wall / %.3f s CPU, teacher forward %.3f s / %.3f s\n",
           step_t.wall, step_t.cpu, teacher_t.wall, teacher_t.cpu);
    printf("AKD: dropout p 0.1, uncertainty code (G 2), statistics on; losses best of %d, variants interleaved\n\n",
           reps);
    printf("| method | plain ms | K=1 ms | K=4 ms | plain / step | K=1 adds | K=4 adds | CPU time: plain / K=1 / K=4 "
           "| targets 3 %% / 10 %% |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    ak_akd_opts o1 = ak_akd_opts_default(), o4 = ak_akd_opts_default();
    o4.num_avatars = 4;
    ak_akd_hook h1, h4;
    if (ak_akd_hook_init(&h1, &o1, true, &err) != AK_OK || ak_akd_hook_init(&h4, &o4, true, &err) != AK_OK)
        die("akd hook", err.msg);
    const ak_tap_hook hooks[2] = {ak_akd_hook_get(&h1), ak_akd_hook_get(&h4)};
    for (int c = 0; c < (int)N_CASES; c++) {
        const method_case *mc = &all_cases[c];
        if (methods) {
            char list[256];
            snprintf(list, sizeof list, ",%s,", methods);
            char key[40];
            snprintf(key, sizeof key, ",%s,", mc->name);
            if (!strstr(list, key))
                continue;
        }
        ak_run_config cfg;
        ak_perf_method_cfg(&cfg, mc->method);
        cfg.distill.frozen_loss_params = mc->frozen;
        ak_ctx_reset(&ctx);
        ak_taps st, tt;
        ak_taps_clear(&st);
        ak_taps_clear(&tt);
        for (int l = 0; l < AK_PERF_DET_LEVELS; l++) { /* probe taps: shapes only */
            char name[16];
            snprintf(name, sizeof name, "neck.p%d", l + 3);
            ak_taps_put(&st, name, ak_tensor_zeros(&ctx, "probe", 4, f.shape[l]));
            ak_taps_put(&tt, name, ak_tensor_zeros(&ctx, "probe", 4, f.shape[l]));
        }
        ak_params ps;
        ak_params_init(&ps);
        ak_distiller d;
        if (ak_distiller_init(&d, &cfg, &st, &tt, true, &ps, &err) != AK_OK)
            die(mc->name, err.msg);
        const bool loop = loop_too && d.n_feature > 0 && d.pairs[0].loss->ops->forward_multi;
        const int nv = loop ? 4 : 3; /* plain, K=1, K=4 [, K=4 through the loop] */
        tm2 best[4] = {{1e30, 1e30}, {1e30, 1e30}, {1e30, 1e30}, {1e30, 1e30}};
        ak_distill_loss_ops loop_ops[AK_DISTILL_MAX_PAIRS];
        const ak_distill_loss_ops *saved[AK_DISTILL_MAX_PAIRS];
        for (int r = 0; r <= reps; r++)
            for (int v = 0; v < nv; v++) {
                if (v == 3)
                    set_loop(&d, loop_ops, saved, true);
                const tm2 t = loss_step(&ctx, &d, &f, &b.gt, v ? &hooks[v == 1 ? 0 : 1] : NULL, 100 + r);
                if (v == 3)
                    set_loop(&d, loop_ops, saved, false);
                if (r > 0)
                    tm_best(&best[v], t);
            }
        const double step = step_t.wall + teacher_t.wall + best[0].wall;
        const double step_cpu = step_t.cpu + teacher_t.cpu + best[0].cpu;
        for (int row = 0; row < (loop ? 2 : 1); row++) {
            const tm2 k4 = best[row ? 3 : 2];
            const double a1 = (best[1].wall - best[0].wall) / step, a4 = (k4.wall - best[0].wall) / step;
            const double c0 = best[0].cpu / step_cpu, c1 = (best[1].cpu - best[0].cpu) / step_cpu,
                         c4 = (k4.cpu - best[0].cpu) / step_cpu;
            printf("| %s%s | %.1f | %.1f | %.1f | %.2f %% | %+.2f %% | %+.2f %% | %.2f %% / %+.2f %% / %+.2f %% | %s / %s "
                   "|\n",
                   mc->name, row ? " (loop)" : "", 1e3 * best[0].wall, 1e3 * best[1].wall, 1e3 * k4.wall,
                   100 * best[0].wall / step, 100 * a1, 100 * a4, 100 * c0, 100 * c1, 100 * c4,
                   a1 < 0.03 ? "ok" : "OVER", a4 < 0.10 ? "ok" : "OVER");
        }
        fflush(stdout);
        ak_distiller_free(&d);
        ak_params_free(&ps);
    }
    printf("\nstep = student step + teacher forward + plain loss; 'adds' = (AKD loss - plain loss) / step, in wall "
           "time and (next column) in process CPU time; targets judged on wall time.\n");
    for (int l = 0; l < AK_PERF_DET_LEVELS; l++) {
        free(f.s[l]);
        free(f.t[l]);
    }
    ak_ctx_free(&ctx);
    return 0;
}
