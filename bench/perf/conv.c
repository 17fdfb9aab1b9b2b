/* Convolution throughput on this machine: the OpenBLAS sgemm ceiling (n = 1024..2048), then conv2d
 * forward and backward (dX + dW) on the ResNet-50 stage shapes and the FPN / detection-head /
 * dilated DeepLabV3 shapes at 512x512 input, batch 2, as a table that bench/perf/conv_torch.py
 * prints in the same format for PyTorch.
 *
 * Usage: perf_conv [--reps N] [--threads T] [--tile FLOATS] [--blas] [--direct] [--compare] [--cpu-time]
 *                  [--only NAME] [--no-ceiling] [--serve]
 *   --only keeps the shapes whose name contains NAME (or one of a comma-separated list of names),
 *   --no-ceiling skips the sgemm ceiling (%ceil then reads 0; for runs alternating with
 *   conv_torch.py --only: bench/perf/conv_vs_torch.py),
 *   --tile sets the im2col tile budget of the OpenBLAS path, --blas forces that path everywhere,
 *   --direct the direct sums everywhere (no Winograd: the default takes it for 3x3 layers of 32+
 *   channels, whose GFLOP/s are then effective ones, the direct convolution's FLOPs over the time),
 *   --compare also times the OpenBLAS path, alternating with the default one (same conditions),
 *   --cpu-time times with process CPU time / threads (a diagnostic on a loaded machine),
 *   --serve reads shape names from stdin and answers each with its row (after the header; for
 *   bench/perf/conv_vs_torch.py, which alternates this process and conv_torch.py shape by shape).
 * Each number is the best of N repetitions (default 3) after one warm-up: the machine is shared,
 * and the best run is the one least disturbed. Not a test; prints only.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cpu/conv2d.h"
#include "core/cpu/conv2d_igemm.h"
#include "core/rng.h"
#include "core/runtime.h"

typedef struct shape {
    const char *name;
    int64_t c, o, k, stride, dil, hw; /* input channels, output channels, kernel, stride, dilation, input size */
} shape;

/* Batch 2, 512x512 input. Padding dil*(k/2) ("same"). The ResNet-50 stages (torchvision v1.5: stride
 * on the 3x3); then what the other paper models run that the stages lack: mmdet RetinaNet's FPN
 * (laterals from C3..C5, P6 = 3x3/2 on C5 ('on_input'), P7 on P6) and head (4 convs of 256 per
 * level 64..4, also the MGD generator; class output 9 anchors x 80 = 720, box 36); the dilated
 * (D8, output stride 8) ResNet-50 of DeepLabV3 and its torchvision ASPP head (rates 12, 24, 36;
 * mmseg's are the same with 512 channels), projection 5 x 256 = 1280 -> 256. */
static const shape SHAPES[] = {
    {"stem 7x7/2 3->64 @512", 3, 64, 7, 2, 1, 512},
    {"l1 1x1 64->64 @128", 64, 64, 1, 1, 1, 128},
    {"l1 3x3 64->64 @128", 64, 64, 3, 1, 1, 128},
    {"l1 1x1 64->256 @128", 64, 256, 1, 1, 1, 128},
    {"l1 1x1 256->64 @128", 256, 64, 1, 1, 1, 128},
    {"l2 3x3/2 128->128 @128", 128, 128, 3, 2, 1, 128},
    {"l2 1x1/2 256->512 @128", 256, 512, 1, 2, 1, 128},
    {"l2 3x3 128->128 @64", 128, 128, 3, 1, 1, 64},
    {"l2 1x1 128->512 @64", 128, 512, 1, 1, 1, 64},
    {"l2 1x1 512->128 @64", 512, 128, 1, 1, 1, 64},
    {"l3 3x3 256->256 @32", 256, 256, 3, 1, 1, 32},
    {"l3 1x1 256->1024 @32", 256, 1024, 1, 1, 1, 32},
    {"l3 1x1 1024->256 @32", 1024, 256, 1, 1, 1, 32},
    {"l4 3x3 512->512 @16", 512, 512, 3, 1, 1, 16},
    {"l4 1x1 512->2048 @16", 512, 2048, 1, 1, 1, 16},
    {"l4 1x1 2048->512 @16", 2048, 512, 1, 1, 1, 16},
    /* RetinaNet FPN + head (mmdet) */
    {"fpn lat 1x1 512->256 @64", 512, 256, 1, 1, 1, 64},
    {"fpn lat 1x1 1024->256 @32", 1024, 256, 1, 1, 1, 32},
    {"fpn lat 1x1 2048->256 @16", 2048, 256, 1, 1, 1, 16},
    {"p6 3x3/2 2048->256 @16", 2048, 256, 3, 2, 1, 16},
    {"p7 3x3/2 256->256 @8", 256, 256, 3, 2, 1, 8},
    {"head 3x3 256->256 @64", 256, 256, 3, 1, 1, 64},
    {"head 3x3 256->256 @32", 256, 256, 3, 1, 1, 32},
    {"head 3x3 256->256 @16", 256, 256, 3, 1, 1, 16},
    {"head 3x3 256->256 @8", 256, 256, 3, 1, 1, 8},
    {"head 3x3 256->256 @4", 256, 256, 3, 1, 1, 4},
    {"cls 3x3 256->720 @64", 256, 720, 3, 1, 1, 64},
    {"cls 3x3 256->720 @8", 256, 720, 3, 1, 1, 8},
    {"box 3x3 256->36 @64", 256, 36, 3, 1, 1, 64},
    /* DeepLabV3-R50 D8 + ASPP (torchvision) */
    {"d8 l3 3x3 d2 256->256 @64", 256, 256, 3, 1, 2, 64},
    {"d8 l3 1x1 256->1024 @64", 256, 1024, 1, 1, 1, 64},
    {"d8 l3 1x1 1024->256 @64", 1024, 256, 1, 1, 1, 64},
    {"d8 l4 3x3 d4 512->512 @64", 512, 512, 3, 1, 4, 64},
    {"d8 l4 1x1 512->2048 @64", 512, 2048, 1, 1, 1, 64},
    {"d8 l4 1x1 2048->512 @64", 2048, 512, 1, 1, 1, 64},
    {"aspp 1x1 2048->256 @64", 2048, 256, 1, 1, 1, 64},
    {"aspp 3x3 d12 2048->256 @64", 2048, 256, 3, 1, 12, 64},
    {"aspp 3x3 d24 2048->256 @64", 2048, 256, 3, 1, 24, 64},
    {"aspp 3x3 d36 2048->256 @64", 2048, 256, 3, 1, 36, 64},
    {"aspp proj 1x1 1280->256 @64", 1280, 256, 1, 1, 1, 64},
};
#define N_SHAPES ((int)(sizeof SHAPES / sizeof SHAPES[0]))
#define BATCH 2

/* Wall-clock time, or with --cpu-time the CPU time of the whole process divided by the thread
 * count: a diagnostic for a loaded machine (other processes' time is not counted; idle waiting
 * threads are not counted either, so it flatters load imbalance). Reported numbers use wall time. */
static int g_cpu_time = 0, g_threads = 1;

static double now_s(void) {
    struct timespec ts;
    if (g_cpu_time) {
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return ((double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec) / g_threads;
    }
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *rand_buf(int64_t n, uint64_t seed) {
    float *p = aligned_alloc(64, (size_t)((n * 4 + 63) / 64 * 64));
    if (!p) {
        fprintf(stderr, "perf_conv: out of memory (%lld floats)\n", (long long)n);
        exit(1);
    }
    ak_rng r = {seed, ak_rng_stream(AK_STREAM_TEST, 0, 0, 0)};
    ak_rng_fill_uniform(r, 0, p, n);
    return p;
}

static double sgemm_gflops(int n, int reps) {
    float *a = rand_buf((int64_t)n * n, 1), *b = rand_buf((int64_t)n * n, 2), *c = rand_buf((int64_t)n * n, 3);
    double best = 1e30;
    for (int r = 0; r <= reps; r++) {
        double t0 = now_s();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        double t = now_s() - t0;
        if (r > 0 && t < best)
            best = t;
    }
    free(a), free(b), free(c);
    return 2.0 * n * (double)n * n / best * 1e-9;
}

/* One forward and one backward (dX + dW) of g; returns the two times. */
static void run_once(const ak_conv2d_geom *g, float *const *buf, float *ws, double *tf, double *tb) {
    float *x = buf[0], *w = buf[1], *b = buf[2], *y = buf[3], *dy = buf[4], *dx = buf[5], *dw = buf[6];
    double t0 = now_s();
    ak_cpu_conv2d_fwd(y, x, w, b, g, ws);
    double t1 = now_s();
    ak_cpu_conv2d_bwd(dx, dw, dy, x, w, g, ws);
    double t2 = now_s();
    *tf = t1 - t0, *tb = t2 - t1;
}

static double best_ceiling(int reps) {
    double ceiling = 0;
    for (int n = 1024; n <= 2048; n += 512) {
        double gf = sgemm_gflops(n, reps);
        printf("sgemm n=%d: %.1f GFLOP/s\n", n, gf);
        if (gf > ceiling)
            ceiling = gf;
    }
    return ceiling;
}

/* Whether name contains one of the comma-separated substrings of list. */
static int name_matches(const char *name, const char *list) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if (strstr(name, tok))
            return 1;
    return 0;
}

/* Best forward and backward times over reps of one shape (best[0]: the default path, best[1]: the
 * OpenBLAS path when compare), alternating the two: same conditions. */
static void bench_shape(const shape *sh, int reps, int64_t tile, int impl, int compare, double best[2][2],
                        double *flop) {
    ak_conv2d_geom g = {BATCH, sh->c, sh->hw, sh->hw, sh->o, sh->k, sh->k, 0, 0, sh->stride, sh->stride,
                        sh->dil * (sh->k / 2), sh->dil * (sh->k / 2), sh->dil, sh->dil, 1, tile, impl};
    ak_cpu_conv2d_out_size(&g);
    ak_conv2d_geom gb = g;
    gb.impl = AK_CONV2D_IMPL_BLAS;
    int64_t nx = g.n * g.c * g.h * g.w, nw = g.o * g.c * g.kh * g.kw, ny = g.n * g.o * g.ho * g.wo, nws = 1;
    const ak_conv2d_geom *gs[2] = {&g, &gb};
    for (int v = 0; v < 1 + compare; v++) {
        int64_t f = ak_cpu_conv2d_fwd_ws_floats(gs[v]), b = ak_cpu_conv2d_bwd_ws_floats(gs[v]);
        nws = f > nws ? f : nws;
        nws = b > nws ? b : nws;
    }
    float *buf[7] = {rand_buf(nx, 4), rand_buf(nw, 5), rand_buf(g.o, 6), rand_buf(ny, 7), rand_buf(ny, 8),
                     rand_buf(nx, 9), rand_buf(nw, 10)};
    float *ws = rand_buf(nws, 11);
    *flop = 2.0 * (double)(g.n * g.o * g.ho * g.wo) * (double)(g.c * g.kh * g.kw);
    best[0][0] = best[0][1] = best[1][0] = best[1][1] = 1e30;
    for (int r = 0; r <= reps; r++)
        for (int v = 0; v < 1 + compare; v++) {
            double tf, tb;
            run_once(gs[v], buf, ws, &tf, &tb);
            if (r > 0) {
                best[v][0] = tf < best[v][0] ? tf : best[v][0];
                best[v][1] = tb < best[v][1] ? tb : best[v][1];
            }
        }
    for (int k = 0; k < 7; k++)
        free(buf[k]);
    free(ws);
}

static void print_row(const char *name, double flop, double best[2][2], double ceiling, int compare) {
    double gf_f = flop / best[0][0] * 1e-9, gf_b = 2 * flop / best[0][1] * 1e-9;
    printf("%-28s %7.2f | %8.2f %8.1f %5.0f%% | %8.2f %8.1f %5.0f%%", name, flop * 1e-9, best[0][0] * 1e3, gf_f,
           100 * gf_f / ceiling, best[0][1] * 1e3, gf_b, 100 * gf_b / ceiling);
    if (compare)
        printf(" | %8.1f %9.1f", flop / best[1][0] * 1e-9, 2 * flop / best[1][1] * 1e-9);
    printf("\n");
}

int main(int argc, char **argv) {
    ak_runtime_bootstrap(argc, argv);
    int reps = 3, threads = 0, compare = 0, no_ceiling = 0, serve = 0;
    int64_t tile = 0;
    int impl = AK_CONV2D_IMPL_AUTO;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--tile") && i + 1 < argc)
            tile = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--cpu-time"))
            g_cpu_time = 1;
        else if (!strcmp(argv[i], "--blas"))
            impl = AK_CONV2D_IMPL_BLAS;
        else if (!strcmp(argv[i], "--direct"))
            impl = AK_CONV2D_IMPL_DIRECT;
        else if (!strcmp(argv[i], "--no-ceiling"))
            no_ceiling = 1;
        else if (!strcmp(argv[i], "--compare"))
            compare = 1;
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--serve"))
            serve = 1;
        else {
            fprintf(stderr, "usage: %s [--reps N] [--threads T] [--tile FLOATS] [--blas] [--direct] [--compare] [--cpu-time] "
                            "[--only NAME] [--no-ceiling] [--serve]\n", argv[0]);
            return 2;
        }
    }
    if (reps < 1)
        reps = 1;
    ak_runtime_set_threads(threads);
    g_threads = ak_runtime_threads();
    char desc[256];
    ak_runtime_describe(desc, sizeof desc);
    printf("akdbench conv2d: %s, %s, im2col tile %lld floats\n", desc,
           impl == AK_CONV2D_IMPL_BLAS                 ? "OpenBLAS+im2col forced"
           : !ak_cpu_conv2d_igemm_supported()          ? "OpenBLAS+im2col (no AVX-512)"
           : impl == AK_CONV2D_IMPL_DIRECT             ? "implicit GEMM (own AVX-512 kernels), direct sums forced"
                                                       : "Winograd F(2x2,3x3) for 3x3 + implicit GEMM (own AVX-512 kernels)",
           (long long)(tile ? tile : AK_CONV2D_TILE_FLOATS));

    /* 1e30 when skipped: the %ceil columns then read 0 */
    double ceiling = no_ceiling ? 1e30 : best_ceiling(reps);
    if (!no_ceiling)
        printf("ceiling (best sgemm): %.1f GFLOP/s%s\n\n", ceiling,
               g_cpu_time ? " [CPU-time based, diagnostic only]" : "");
    printf("%-28s %7s | %8s %8s %6s | %8s %8s %6s", "conv (batch 2)", "GFLOP", "fwd ms", "GFLOP/s", "%ceil",
           "bwd ms", "GFLOP/s", "%ceil");
    printf(compare ? " | blas fwd  blas bwd\n" : "\n");
    double tot_flop = 0, tot_fwd = 0, tot_bwd = 0, tot_bf = 0, tot_bb = 0;
    if (serve) { /* shape names on stdin, one row each on stdout (bench/perf/conv_vs_torch.py) */
        char line[256];
        while (fgets(line, sizeof line, stdin)) {
            line[strcspn(line, "\r\n")] = '\0';
            const shape *sh = NULL;
            for (int s = 0; s < N_SHAPES && !sh; s++)
                if (!strcmp(SHAPES[s].name, line))
                    sh = &SHAPES[s];
            if (!sh) {
                printf("unknown shape '%s'\n", line);
                fflush(stdout);
                continue;
            }
            double best[2][2], flop;
            bench_shape(sh, reps, tile, impl, compare, best, &flop);
            print_row(sh->name, flop, best, ceiling, compare);
            fflush(stdout);
        }
        return 0;
    }
    for (int s = 0; s < N_SHAPES; s++) {
        const shape *sh = &SHAPES[s];
        if (only && !name_matches(sh->name, only))
            continue;
        double best[2][2], flop;
        bench_shape(sh, reps, tile, impl, compare, best, &flop);
        print_row(sh->name, flop, best, ceiling, compare);
        tot_flop += flop, tot_fwd += best[0][0], tot_bwd += best[0][1], tot_bf += best[1][0], tot_bb += best[1][1];
    }
    double gf_f = tot_flop / tot_fwd * 1e-9, gf_b = 2 * tot_flop / tot_bwd * 1e-9;
    printf("%-28s %7.2f | %8.2f %8.1f %5.0f%% | %8.2f %8.1f %5.0f%%", "total", tot_flop * 1e-9, tot_fwd * 1e3,
           gf_f, 100 * gf_f / ceiling, tot_bwd * 1e3, gf_b, 100 * gf_b / ceiling);
    if (compare)
        printf(" | %8.1f %9.1f", tot_flop / tot_bf * 1e-9, 2 * tot_flop / tot_bb * 1e-9);
    printf("\n(GFLOP/s: forward = 2*N*O*C*kh*kw*Ho*Wo / time; backward = dX + dW, twice the forward FLOPs;\n"
           " effective rates where Winograd runs: 3x3 layers' forward, and data gradient at stride 1)\n");
    return 0;
}
