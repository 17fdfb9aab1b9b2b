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
 *    7x7 map (P = 49) whose chunks stop at image ends.
 * On CPUs without AVX-512 both runs take the OpenBLAS path and the checks still hold. */
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

static Suite *suite(void) {
    Suite *s = suite_create("conv2d_paths");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, conv2d_contiguous_rows_match_blas);
    tcase_add_test(tc, conv2d_flipped_weight_paths_match_blas);
    tcase_add_test(tc, conv2d_reduction_blocks_match_blas);
    tcase_add_test(tc, conv2d_small_maps_match_blas);
    tcase_add_test(tc, conv2d_padding_taps_skipped_match_blas);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
