/* conv2d: the implicit-GEMM code paths that the small fixture shapes do not reach, each checked
 * against the im2col + OpenBLAS path (values) and with 1 vs 2 threads (bitwise), forward, data and
 * weight gradient:
 *  - im2col rows read as masked runs of the input (stride 1, input row as long as the output row,
 *    output rows of whole 16-lane vectors), with padding 1, 2 (5x5) and dilation 2;
 *  - the flipped weight of a stride-1 data gradient packed because many tasks read it, and read in
 *    place because few do;
 *  - reductions split into equal blocks (K = 576: 2 x 288; pointwise K = 1024: 2 x 512);
 *  - weight-gradient tasks narrowed for balance (few output channels) and short chunks;
 *  - a strided convolution (generic im2col rows, their prefetch bounds);
 *  - kernel positions that read only padding over a task left out of its reduction (dilation 24 on
 *    a 32x64 map: kernel rows; dilation 12 on a map 8 wide: kernel columns; tasks of padding only),
 *    forward and the stride-1 data gradient (its packed and in-place flipped weight);
 *  - the strided data gradient in blocks of channels over whole images (large K, small map);
 *  - small maps (4x4, 8x8: P = 16, 64) whose weight-gradient chunks run over several images, and a
 *    7x7 map (P = 49) whose chunks stop at image ends;
 *  - row buffers (rows of 64 and more, and small maps of 32 or 48 wide taken an image per task):
 *    the forward and stride-1 data gradient reading B through them (also bitwise against the im2col
 *    tile: a 64-wide map against the same map 72 wide, whose extra columns are zero), and the
 *    transposed weight gradient (strides 1 and 2, 3x3 to 7x7,
 *    groups, dilation, output channels and reduction lengths off the kernel's blocks, kernel
 *    positions that read only padding, whose dW entries keep their bits, -0 included).
 * All of them with impl DIRECT (Winograd, tests/engine/test_conv2d_winograd.c, would take some).
 * On CPUs without AVX-512 both runs take the OpenBLAS path and the checks still hold. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "aktest.h"
#include "core/cpu/conv2d.h"

typedef struct res {
    float *y, *dx, *dw;
} res;

typedef struct data {
    float *x, *w, *b, *dy;
    int64_t nx, nw, ny;
} data;

static data make_data(const ak_conv2d_geom *g, uint64_t seed) {
    data d;
    d.nx = g->n * g->c * g->h * g->w;
    d.nw = g->o * (g->c / g->groups) * g->kh * g->kw;
    d.ny = g->n * g->o * g->ho * g->wo;
    d.x = malloc((size_t)d.nx * sizeof(float));
    d.w = malloc((size_t)d.nw * sizeof(float));
    d.b = malloc((size_t)g->o * sizeof(float));
    d.dy = malloc((size_t)d.ny * sizeof(float));
    ck_assert(d.x && d.w && d.b && d.dy);
    ak_test_fill_uniform(d.x, d.nx, seed, -1, 1);
    ak_test_fill_uniform(d.w, d.nw, seed + 1, -1, 1);
    ak_test_fill_uniform(d.b, g->o, seed + 2, -1, 1);
    ak_test_fill_uniform(d.dy, d.ny, seed + 3, -1, 1);
    return d;
}

/* Forward, then dx and dw accumulated onto the same nonzero start (the gradient contract). */
static res run(const ak_conv2d_geom *g, const data *d, int threads) {
    const int t0 = omp_get_max_threads();
    omp_set_num_threads(threads);
    const int64_t f = ak_cpu_conv2d_fwd_ws_floats(g), b = ak_cpu_conv2d_bwd_ws_floats(g);
    float *ws = malloc((size_t)((f > b ? f : b) + 1) * sizeof(float));
    res r = {malloc((size_t)d->ny * sizeof(float)), malloc((size_t)d->nx * sizeof(float)),
             malloc((size_t)d->nw * sizeof(float))};
    ck_assert(ws && r.y && r.dx && r.dw);
    ak_test_fill_uniform(r.dx, d->nx, 77, -1, 1);
    ak_test_fill_uniform(r.dw, d->nw, 78, -1, 1);
    ak_cpu_conv2d_fwd(r.y, d->x, d->w, d->b, g, ws);
    ak_cpu_conv2d_bwd(r.dx, r.dw, d->dy, d->x, d->w, g, ws);
    free(ws);
    omp_set_num_threads(t0);
    return r;
}

static void free_res(res r) { free(r.y), free(r.dx), free(r.dw); }

static void check_path(ak_conv2d_geom g, const char *what, uint64_t seed) {
    g.impl = AK_CONV2D_IMPL_DIRECT; /* these are the implicit GEMM's paths: never Winograd */
    ck_assert_msg(ak_cpu_conv2d_out_size(&g), "%s: empty output", what);
    const data d = make_data(&g, seed);
    const res r1 = run(&g, &d, 1), r2 = run(&g, &d, 2);
    ak_conv2d_geom gb = g;
    gb.impl = AK_CONV2D_IMPL_BLAS;
    const res rb = run(&gb, &d, 1);
    const float *got[3] = {r1.y, r1.dx, r1.dw}, *two[3] = {r2.y, r2.dx, r2.dw}, *ref[3] = {rb.y, rb.dx, rb.dw};
    const int64_t n[3] = {d.ny, d.nx, d.nw};
    const char *part[3] = {"y", "dx", "dw"};
    for (int q = 0; q < 3; q++) {
        char label[128];
        snprintf(label, sizeof label, "%s: %s vs OpenBLAS", what, part[q]);
        /* sums of up to ~1000 products of values in [-1, 1] */
        ak_assert_close(label, got[q], ref[q], n[q], 1e-4, 5e-4);
        snprintf(label, sizeof label, "%s: %s 1 vs 2 threads", what, part[q]);
        ak_assert_bitwise(label, got[q], two[q], n[q]);
    }
    free_res(r1), free_res(r2), free_res(rb);
    free(d.x), free(d.w), free(d.b), free(d.dy);
}

/* fields: n, c, h, w, o, kh, kw, ho, wo, sh, sw, ph, pw, dh, dw, groups, tile, impl */
START_TEST(conv2d_contiguous_rows_match_blas) {
    check_path((ak_conv2d_geom){2, 40, 32, 32, 24, 3, 3, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0}, "3x3 at 32x32", 11);
    check_path((ak_conv2d_geom){2, 8, 16, 48, 16, 3, 3, 0, 0, 1, 1, 2, 2, 2, 2, 1, 0, 0}, "3x3 dilation 2", 12);
    check_path((ak_conv2d_geom){1, 6, 16, 16, 10, 5, 5, 0, 0, 1, 1, 2, 2, 1, 1, 1, 0, 0}, "5x5 padding 2", 13);
    check_path((ak_conv2d_geom){2, 4, 16, 32, 8, 3, 3, 0, 0, 1, 1, 1, 1, 1, 1, 2, 0, 0}, "3x3 groups 2", 14);
}
END_TEST

START_TEST(conv2d_flipped_weight_paths_match_blas) {
    /* 2 images x 6 tasks of 384 columns: the data gradient packs the flipped weight */
    check_path((ak_conv2d_geom){2, 24, 48, 48, 40, 3, 3, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0}, "flipped, packed", 21);
    /* 2 tasks: read in place */
    check_path((ak_conv2d_geom){2, 24, 16, 16, 40, 3, 3, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0}, "flipped, in place", 22);
}
END_TEST

START_TEST(conv2d_reduction_blocks_match_blas) {
    /* K = 576 in two blocks of 288; 16 output channels: narrow weight-gradient tasks, short chunks */
    check_path((ak_conv2d_geom){1, 64, 16, 16, 16, 3, 3, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0}, "K 576", 31);
    /* pointwise K = 1024 in two blocks of 512 */
    check_path((ak_conv2d_geom){1, 1024, 8, 8, 24, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0}, "pointwise K 1024", 32);
    /* strided: generic im2col rows */
    check_path((ak_conv2d_geom){2, 8, 33, 35, 12, 3, 3, 0, 0, 2, 2, 1, 1, 1, 1, 1, 0, 0}, "3x3 stride 2", 33);
    /* enough channels for the threads to own them (data gradient: dcol rows and col2im per thread),
     * tiles of 3 output rows of 17 (a short last one) */
    check_path((ak_conv2d_geom){2, 40, 33, 35, 12, 3, 3, 0, 0, 2, 2, 1, 1, 1, 1, 1, 3 * 40 * 9 * 18, 0},
               "3x3 stride 2, 40 channels, row tiles", 34);
}
END_TEST

START_TEST(conv2d_small_maps_match_blas) {
    /* P = 16: one chunk holds all 3 images */
    check_path((ak_conv2d_geom){3, 20, 4, 4, 24, 3, 3, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0}, "3x3 at 4x4", 41);
    /* strided to P = 64 over 5 images: chunks of 128 and 256 positions end inside images */
    check_path((ak_conv2d_geom){5, 12, 16, 16, 40, 3, 3, 0, 0, 2, 2, 1, 1, 1, 1, 1, 0, 0}, "3x3/2 to 8x8", 42);
    check_path((ak_conv2d_geom){5, 70, 8, 8, 80, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0}, "1x1 at 8x8", 43);
    /* 3x3/2, K = 540 to 8x8 with a tile of 9216 floats: 4 row tiles of 2 rows, or 8 blocks of 8
     * channels (the last of 4) over whole images, which the data gradient takes */
    check_path((ak_conv2d_geom){2, 60, 16, 16, 24, 3, 3, 0, 0, 2, 2, 1, 1, 1, 1, 1, 9216, 0}, "3x3/2 channel blocks",
               45);
    /* P = 49: per-image chunks */
    check_path((ak_conv2d_geom){3, 16, 7, 7, 24, 3, 3, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0}, "3x3 at 7x7", 44);
    /* channel blocks of 24 and 16 shared by the threads, 16 images (a short last block must not move
     * a thread's rows of dcol while the other still adds those of the block before) */
    check_path((ak_conv2d_geom){16, 40, 16, 16, 8, 3, 3, 0, 0, 2, 2, 1, 1, 1, 1, 1, 40 * 9 * 8 * 5, 0},
               "3x3/2 channel blocks shared by the threads", 45);
}
END_TEST

START_TEST(conv2d_padding_taps_skipped_match_blas) {
    /* 12 tasks of 6 rows: the first / last kernel row reads padding in the top / bottom tasks */
    check_path((ak_conv2d_geom){2, 8, 32, 64, 16, 3, 3, 0, 0, 1, 1, 24, 24, 24, 24, 1, 0, 0}, "3x3 dilation 24", 51);
    /* the outer kernel columns read padding everywhere; 2 tasks: the data gradient reads in place */
    check_path((ak_conv2d_geom){1, 12, 64, 8, 20, 3, 3, 0, 0, 1, 1, 12, 12, 12, 12, 1, 0, 0}, "3x3 dilation 12, 8 wide",
               52);
    /* 1x1 with padding 20 on 4x4: tasks whose every kernel position is padding (output = bias) */
    check_path((ak_conv2d_geom){1, 6, 4, 4, 10, 1, 1, 0, 0, 1, 1, 20, 20, 1, 1, 1, 0, 0}, "1x1 padding 20", 53);
    /* groups with skipped kernel rows */
    check_path((ak_conv2d_geom){1, 8, 24, 64, 12, 3, 3, 0, 0, 1, 1, 18, 18, 18, 18, 2, 0, 0}, "dilation 18, groups 2",
               54);
}
END_TEST

START_TEST(conv2d_row_buffer_paths_match_blas) {
    /* forward and data gradient through row buffers (64 wide), K = 120*9 in 2 blocks, 20 output
     * channels (a partial register block), the weight gradient transposed (P = 4096) */
    check_path((ak_conv2d_geom){1, 120, 64, 64, 20, 3, 3, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0}, "3x3 at 64x64, K 1080",
               61);
    check_path((ak_conv2d_geom){2, 5, 64, 128, 12, 3, 3, 0, 0, 1, 1, 2, 2, 2, 2, 1, 0, 0}, "3x3 dilation 2, K 45", 62);
    check_path((ak_conv2d_geom){1, 6, 64, 64, 40, 5, 5, 0, 0, 1, 1, 2, 2, 1, 1, 2, 0, 0}, "5x5 groups 2", 63);
    /* the stem's shape class: 7x7 stride 2 (weight gradient transposed over strided rows) */
    check_path((ak_conv2d_geom){1, 3, 130, 128, 16, 7, 7, 0, 0, 2, 2, 3, 3, 1, 1, 1, 0, 0}, "7x7/2 at 130x128", 64);
    /* rows not a multiple of 16 wide: tile forward, transposed weight gradient */
    check_path((ak_conv2d_geom){1, 7, 64, 70, 52, 3, 3, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0}, "3x3 at 64x70", 65);
    /* stride 2, 128 channels at 128x128: row tasks whose buffer splits the channels into blocks to
     * fit the per-thread workspace */
    check_path((ak_conv2d_geom){1, 128, 128, 128, 8, 3, 3, 0, 0, 2, 2, 1, 1, 1, 1, 1, 0, 0}, "3x3/2 128 channels",
               70);
    /* small maps: a task per whole image and range of output channels (stride 1 and 2, groups) */
    check_path((ak_conv2d_geom){1, 12, 64, 64, 20, 3, 3, 0, 0, 2, 2, 1, 1, 1, 1, 1, 0, 0}, "3x3/2 to 32x32, whole",
               67);
    check_path((ak_conv2d_geom){2, 8, 24, 48, 36, 3, 3, 0, 0, 1, 1, 1, 1, 1, 1, 2, 0, 0}, "3x3 at 24x48 groups 2, whole",
               68);
    /* row tasks (3 output rows of 256) through row buffers; the last (2 rows, a kernel row reading
     * padding only) takes the im2col tile in pieces of at most 384 columns */
    check_path((ak_conv2d_geom){1, 4, 32, 256, 8, 3, 3, 0, 0, 1, 1, 5, 5, 5, 5, 1, 0, 0}, "row tasks, dilation 5",
               69);
    /* dilation 24: kernel rows that read only padding over many chunks */
    check_path((ak_conv2d_geom){1, 4, 64, 64, 8, 3, 3, 0, 0, 1, 1, 24, 24, 24, 24, 1, 0, 0}, "3x3 dilation 24 at 64x64",
               66);
}
END_TEST

/* The row-buffer forward and data gradient give the bits of the im2col tile: a 64-wide map (row
 * buffers) against the same map 72 wide (not whole vectors: the tile) whose columns 64.. are zero,
 * so that every output of the narrow map sees the same products in the same order. */
START_TEST(conv2d_row_buffers_match_tile_bitwise) {
    const int64_t n = 2, c = 24, h = 64, o = 40;
    ak_conv2d_geom g64 = {n, c, h, 64, o, 3, 3, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, AK_CONV2D_IMPL_DIRECT}, g72 = g64;
    g72.w = 72;
    ck_assert(ak_cpu_conv2d_out_size(&g64) && ak_cpu_conv2d_out_size(&g72));
    const data d = make_data(&g64, 71);
    data e = make_data(&g72, 72);
    for (int64_t p = 0; p < n * c * h; p++) /* x: the same rows, zeros beyond column 64 */
        for (int64_t q = 0; q < 72; q++)
            e.x[p * 72 + q] = q < 64 ? d.x[p * 64 + q] : 0.0f;
    for (int64_t p = 0; p < n * o * h; p++)
        for (int64_t q = 0; q < 72; q++)
            e.dy[p * 72 + q] = q < 64 ? d.dy[p * 64 + q] : 0.0f;
    for (int64_t i = 0; i < d.nw; i++)
        e.w[i] = d.w[i];
    for (int64_t i = 0; i < o; i++)
        e.b[i] = d.b[i];
    res r = {malloc((size_t)d.ny * sizeof(float)), calloc((size_t)d.nx, sizeof(float)), NULL};
    res t = {malloc((size_t)e.ny * sizeof(float)), calloc((size_t)e.nx, sizeof(float)), NULL};
    const ak_conv2d_geom *gs[2] = {&g64, &g72};
    int64_t nws = 1;
    for (int v = 0; v < 2; v++) {
        const int64_t f = ak_cpu_conv2d_fwd_ws_floats(gs[v]), b = ak_cpu_conv2d_bwd_ws_floats(gs[v]);
        nws = f > nws ? f : nws;
        nws = b > nws ? b : nws;
    }
    float *ws = malloc((size_t)nws * sizeof(float)), *dw = malloc((size_t)d.nw * sizeof(float));
    ck_assert(r.y && r.dx && t.y && t.dx && ws && dw);
    const data *ds[2] = {&d, &e};
    res *rs[2] = {&r, &t};
    for (int v = 0; v < 2; v++) { /* dx accumulates onto zeros in both (its layouts differ) */
        ak_cpu_conv2d_fwd(rs[v]->y, ds[v]->x, ds[v]->w, ds[v]->b, gs[v], ws);
        ak_cpu_conv2d_bwd(rs[v]->dx, dw, ds[v]->dy, ds[v]->x, ds[v]->w, gs[v], ws);
    }
    free(ws), free(dw);
    for (int64_t p = 0; p < n * o * h; p++) {
        char label[96];
        snprintf(label, sizeof label, "y row %lld: row buffers vs tile", (long long)p);
        ak_assert_bitwise(label, r.y + p * 64, t.y + p * 72, 64);
    }
    for (int64_t p = 0; p < n * c * h; p++) {
        char label[96];
        snprintf(label, sizeof label, "dx row %lld: row buffers vs tile", (long long)p);
        ak_assert_bitwise(label, r.dx + p * 64, t.dx + p * 72, 64);
    }
    free(r.y), free(r.dx), free(t.y), free(t.dx);
    free(d.x), free(d.w), free(d.b), free(d.dy), free(e.x), free(e.w), free(e.b), free(e.dy);
}
END_TEST

/* Kernel positions that read only padding for every output (dilation 80 on a 64x64 map: kernel rows
 * and columns 0 and 2) contribute nothing to dW: entries that start at -0 stay -0 (the transposed
 * weight gradient computes their zero products and puts the values back), the live ones match
 * OpenBLAS. 8 groups: one reduction segment (segments are summed onto dW, and -0 + +0 is +0). */
START_TEST(conv2d_transposed_wgrad_keeps_dead_taps) {
    ak_conv2d_geom g = {1, 8, 64, 64, 16, 3, 3, 0, 0, 1, 1, 80, 80, 80, 80, 8, 0, AK_CONV2D_IMPL_DIRECT};
    ck_assert(ak_cpu_conv2d_out_size(&g));
    const data d = make_data(&g, 81);
    const int64_t f = ak_cpu_conv2d_fwd_ws_floats(&g), b = ak_cpu_conv2d_bwd_ws_floats(&g);
    float *ws = malloc((size_t)((f > b ? f : b) + 1) * sizeof(float));
    float *dx = calloc((size_t)d.nx, sizeof(float)), *dw = malloc((size_t)d.nw * sizeof(float));
    ck_assert(ws && dx && dw);
    for (int64_t i = 0; i < d.nw; i++)
        dw[i] = -0.0f;
    ak_cpu_conv2d_bwd(dx, dw, d.dy, d.x, d.w, &g, ws);
    int dead = 0;
    for (int64_t i = 0; i < d.nw; i++)
        if (i % 9 != 4) { /* every position but the centre reads padding only */
            ck_assert_msg(dw[i] == 0.0f && signbit(dw[i]), "dw[%lld] = %g (sign %d): expected -0", (long long)i,
                          (double)dw[i], signbit(dw[i]) != 0);
            dead++;
        }
    ck_assert_int_eq(dead, 8 * 16);
    float *ref = malloc((size_t)d.nw * sizeof(float)), *rdx = calloc((size_t)d.nx, sizeof(float));
    ck_assert(ref && rdx);
    for (int64_t i = 0; i < d.nw; i++)
        ref[i] = -0.0f;
    ak_conv2d_geom gb = g;
    gb.impl = AK_CONV2D_IMPL_BLAS;
    const int64_t bb = ak_cpu_conv2d_bwd_ws_floats(&gb);
    float *wsb = malloc((size_t)(bb + 1) * sizeof(float));
    ck_assert(wsb);
    ak_cpu_conv2d_bwd(rdx, ref, d.dy, d.x, d.w, &gb, wsb);
    for (int64_t i = 4; i < d.nw; i += 9) {
        char label[64];
        snprintf(label, sizeof label, "live dw[%lld] vs OpenBLAS", (long long)i);
        ak_assert_close(label, dw + i, ref + i, 1, 1e-4, 5e-4);
    }
    free(ws), free(wsb), free(dx), free(rdx), free(dw), free(ref);
    free(d.x), free(d.w), free(d.b), free(d.dy);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("conv2d_paths");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, conv2d_contiguous_rows_match_blas);
    tcase_add_test(tc, conv2d_flipped_weight_paths_match_blas);
    tcase_add_test(tc, conv2d_reduction_blocks_match_blas);
    tcase_add_test(tc, conv2d_small_maps_match_blas);
    tcase_add_test(tc, conv2d_padding_taps_skipped_match_blas);
    tcase_add_test(tc, conv2d_row_buffer_paths_match_blas);
    tcase_add_test(tc, conv2d_row_buffers_match_tile_bitwise);
    tcase_add_test(tc, conv2d_transposed_wgrad_keeps_dead_taps);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
