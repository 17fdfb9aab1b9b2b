/* conv2d through Winograd F(2x2, 3x3) (core/cpu/conv2d_winograd.c: the default for 3x3 / padding 1
 * convolutions with 32+ channels on output rows of 32+ columns; stride 1: forward and data
 * gradient, stride 2: forward):
 *  - which convolutions take it (and that impl DIRECT / BLAS and the other geometries do not);
 *  - forward (with bias) and data gradient (accumulated onto a nonzero start) against a
 *    double-precision reference computed here, per element within 64 float32 ulps of the sum of
 *    |terms| of the direct convolution, and a relative L2 error below 1e-5; on shapes that reach
 *    the edges of the scheme: odd heights and widths (tiles half outside), rows that end inside a
 *    16-tile vector, an odd channel count (the weight transform's channel pairs), output channels
 *    past a product block and not a multiple of 8, reductions in two blocks (C = 600); at stride 2
 *    (5x5 inputs per tile) patches whose last rows and columns lie in the padding or past the image;
 *  - 1 vs 2 threads bitwise, forward and data gradient;
 *  - the conv2d op runs the sums its context asks for (ctx.conv_impl, set from train.conv): the
 *    kernels' bits with impl AUTO and with DIRECT, which differ.
 * On CPUs without AVX-512 nothing takes Winograd (checked) and the values are the OpenBLAS path's. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aktest.h"
#include "core/cpu/conv2d.h"
#include "core/cpu/conv2d_igemm.h"
#include "core/cpu/conv2d_winograd.h"
#include "core/ctx.h"
#include "core/ops/conv2d.h"

#define ULP_FACTOR (64.0 * 0x1p-24)
#define REL_L2 1e-5

typedef struct shape {
    int64_t n, c, o, h, w, s;
} shape;

static const shape shapes[] = {
    {2, 32, 36, 29, 61, 1}, /* odd sizes: last tile row and column half outside, 31 tiles in 2 vectors */
    {1, 33, 72, 16, 32, 1}, /* odd C; O = 64 + 8: two product blocks; data gradient: C' = 33 */
    {1, 600, 40, 4, 32, 1}, /* K = 600 in two blocks; data gradient: O' = 600, ten product blocks */
    {2, 64, 64, 32, 48, 1}, /* 24 tiles per row: the second vector's last 8 lanes past the row */
    /* stride 2 (forward only; its data gradient is not a convolution): */
    {2, 32, 36, 57, 121, 2}, /* output 29x61: tiles half outside, 31 tiles in 2 vectors */
    {1, 33, 40, 30, 63, 2},  /* output 15x32: the last tile row's 5th input row past the image, the
                              * last tile's 5th column (the float after the 4 vectors) the padding */
    {1, 40, 32, 9, 128, 2},  /* output 5x64: two vectors per tile row, 4 tile rows of patches */
};
#define N_S1 4 /* the first N_S1 shapes are stride 1 */

static ak_conv2d_geom geom_of(const shape *s, int impl) {
    ak_conv2d_geom g = {s->n, s->c, s->h, s->w, s->o, 3, 3, 0, 0, s->s, s->s, 1, 1, 1, 1, 1, 0, impl};
    ck_assert(ak_cpu_conv2d_out_size(&g));
    return g;
}

/* The data-gradient convolution of g (what conv2d_igemm_dgrad.c runs for stride 1). */
static ak_conv2d_geom dgrad_geom_of(const ak_conv2d_geom *g) {
    ak_conv2d_geom t = *g;
    t.c = g->o, t.o = g->c, t.h = g->ho, t.w = g->wo, t.ho = g->h, t.wo = g->w;
    return t;
}

START_TEST(winograd_takes_the_3x3_stride1_convolutions) {
    const bool avx512 = ak_cpu_conv2d_igemm_supported();
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        ak_conv2d_geom g = geom_of(&shapes[i], AK_CONV2D_IMPL_AUTO), t = dgrad_geom_of(&g);
        ck_assert_msg(ak_cpu_conv2d_winograd_applies(&g) == avx512, "shape %zu forward", i);
        if (i < N_S1)
            ck_assert_msg(ak_cpu_conv2d_winograd_applies(&t) == avx512, "shape %zu data gradient", i);
        g.impl = AK_CONV2D_IMPL_DIRECT;
        ck_assert(!ak_cpu_conv2d_winograd_applies(&g));
        g.impl = AK_CONV2D_IMPL_BLAS;
        ck_assert(!ak_cpu_conv2d_winograd_applies(&g));
    }
    const shape base = {2, 64, 64, 32, 32, 1};
    ak_conv2d_geom g = geom_of(&base, AK_CONV2D_IMPL_AUTO);
    ck_assert(ak_cpu_conv2d_winograd_applies(&g) == avx512);
    ak_conv2d_geom v = g;
    v.w = 64, v.sh = v.sw = 2; /* stride 2 (output 16x32) */
    ck_assert(ak_cpu_conv2d_out_size(&v) && ak_cpu_conv2d_winograd_applies(&v) == avx512);
    v.sw = 1; /* strides 2 x 1 */
    ck_assert(ak_cpu_conv2d_out_size(&v) && !ak_cpu_conv2d_winograd_applies(&v));
    v = g, v.sh = v.sw = 3;
    ck_assert(ak_cpu_conv2d_out_size(&v) && !ak_cpu_conv2d_winograd_applies(&v));
    v = g, v.dh = v.dw = v.ph = v.pw = 2; /* dilated */
    ck_assert(ak_cpu_conv2d_out_size(&v) && !ak_cpu_conv2d_winograd_applies(&v));
    v = g, v.groups = 2;
    ck_assert(!ak_cpu_conv2d_winograd_applies(&v));
    v = g, v.c = 16; /* few channels */
    ck_assert(!ak_cpu_conv2d_winograd_applies(&v));
    v = g, v.o = 16;
    ck_assert(!ak_cpu_conv2d_winograd_applies(&v));
    v = g, v.w = 16; /* 8 tiles per row: half-empty vectors */
    ck_assert(ak_cpu_conv2d_out_size(&v) && !ak_cpu_conv2d_winograd_applies(&v));
    v = g, v.w = 34; /* 17 tiles: two vectors, 47 % empty */
    ck_assert(ak_cpu_conv2d_out_size(&v) && !ak_cpu_conv2d_winograd_applies(&v));
    v = g, v.ph = v.pw = 0; /* "valid" padding */
    ck_assert(ak_cpu_conv2d_out_size(&v) && !ak_cpu_conv2d_winograd_applies(&v));
    v = g, v.kh = v.kw = 5, v.ph = v.pw = 2;
    ck_assert(ak_cpu_conv2d_out_size(&v) && !ak_cpu_conv2d_winograd_applies(&v));
}
END_TEST

typedef struct data {
    float *x, *w, *b, *dy, *y, *dx;
    int64_t nx, nw, ny;
} data;

static data make_data(const ak_conv2d_geom *g) {
    data d;
    d.nx = g->n * g->c * g->h * g->w, d.nw = g->o * g->c * 9, d.ny = g->n * g->o * g->ho * g->wo;
    d.x = malloc((size_t)d.nx * sizeof(float)), d.w = malloc((size_t)d.nw * sizeof(float));
    d.b = malloc((size_t)g->o * sizeof(float)), d.dy = malloc((size_t)d.ny * sizeof(float));
    d.y = malloc((size_t)d.ny * sizeof(float)), d.dx = malloc((size_t)d.nx * sizeof(float));
    ck_assert(d.x && d.w && d.b && d.dy && d.y && d.dx);
    ak_test_fill_uniform(d.x, d.nx, 21, -1, 1);
    ak_test_fill_uniform(d.w, d.nw, 22, -0.1f, 0.1f);
    ak_test_fill_uniform(d.b, g->o, 23, -1, 1);
    ak_test_fill_uniform(d.dy, d.ny, 24, -1, 1);
    return d;
}

static void free_data(data *d) { free(d->x), free(d->w), free(d->b), free(d->dy), free(d->y), free(d->dx); }

/* y = conv(x, w) + b and dx = dx0 + conv_transpose(dy, w), on `threads` threads. */
static void run(const ak_conv2d_geom *g, data *d, int threads, float dx0) {
    const int t0 = omp_get_max_threads();
    omp_set_num_threads(threads);
    const int64_t nf = ak_cpu_conv2d_fwd_ws_floats(g), nb = ak_cpu_conv2d_bwd_ws_floats(g);
    float *ws = malloc((size_t)(nf > nb ? nf : nb) * sizeof(float) + 64);
    ck_assert(ws);
    ak_cpu_conv2d_fwd(d->y, d->x, d->w, d->b, g, ws);
    for (int64_t i = 0; i < d->nx; i++)
        d->dx[i] = dx0;
    ak_cpu_conv2d_bwd(d->dx, NULL, d->dy, d->x, d->w, g, ws);
    free(ws);
    omp_set_num_threads(t0);
}

START_TEST(winograd_is_float32_accurate) {
    const shape *s = &shapes[_i];
    const ak_conv2d_geom g = geom_of(s, AK_CONV2D_IMPL_AUTO);
    data d = make_data(&g);
    run(&g, &d, 2, 0.25f);
    double *ey = calloc((size_t)d.ny, sizeof(double)), *my = calloc((size_t)d.ny, sizeof(double));
    double *ex = calloc((size_t)d.nx, sizeof(double)), *mx = calloc((size_t)d.nx, sizeof(double));
    ck_assert(ey && my && ex && mx);
    for (int64_t i = 0; i < d.nx; i++)
        ex[i] = 0.25, mx[i] = 0.25;
    for (int64_t n = 0; n < g.n; n++)
        for (int64_t o = 0; o < g.o; o++)
            for (int64_t oh = 0; oh < g.ho; oh++)
                for (int64_t ow = 0; ow < g.wo; ow++) {
                    const int64_t yi = ((n * g.o + o) * g.ho + oh) * g.wo + ow;
                    const double gy = d.dy[yi];
                    double sy = d.b[o], ay = fabs((double)d.b[o]);
                    for (int64_t c = 0; c < g.c; c++)
                        for (int64_t i = 0; i < 3; i++) {
                            const int64_t ih = oh * g.sh - 1 + i;
                            if (ih < 0 || ih >= g.h)
                                continue;
                            for (int64_t j = 0; j < 3; j++) {
                                const int64_t iw = ow * g.sw - 1 + j;
                                if (iw < 0 || iw >= g.w)
                                    continue;
                                const int64_t xi = ((n * g.c + c) * g.h + ih) * g.w + iw;
                                const double wv = d.w[((o * g.c + c) * 3 + i) * 3 + j];
                                sy += wv * d.x[xi];
                                ay += fabs(wv * d.x[xi]);
                                ex[xi] += gy * wv;
                                mx[xi] += fabs(gy * wv);
                            }
                        }
                    ey[yi] = sy, my[yi] = ay;
                }
    double worst, rel;
    ak_test_error_vs_terms(d.y, ey, my, d.ny, &worst, &rel);
    ck_assert_msg(worst <= ULP_FACTOR && rel <= REL_L2, "shape %d: y worst |err|/sum|terms| %.3g, rel L2 %.3g", _i,
                  worst, rel);
    ak_test_error_vs_terms(d.dx, ex, mx, d.nx, &worst, &rel);
    ck_assert_msg(worst <= ULP_FACTOR && rel <= REL_L2, "shape %d: dx worst |err|/sum|terms| %.3g, rel L2 %.3g", _i,
                  worst, rel);
    free(ey), free(my), free(ex), free(mx);
    free_data(&d);
}
END_TEST

START_TEST(winograd_is_bitwise_the_same_on_1_and_2_threads) {
    const ak_conv2d_geom g = geom_of(&shapes[_i], AK_CONV2D_IMPL_AUTO);
    data a = make_data(&g), b = make_data(&g);
    run(&g, &a, 1, 0.25f);
    run(&g, &b, 2, 0.25f);
    ck_assert_msg(memcmp(a.y, b.y, (size_t)a.ny * sizeof(float)) == 0, "shape %d: y differs", _i);
    ck_assert_msg(memcmp(a.dx, b.dx, (size_t)a.nx * sizeof(float)) == 0, "shape %d: dx differs", _i);
    free_data(&a);
    free_data(&b);
}
END_TEST

/* y and dx of the conv2d op on a context with conv_impl `impl`. */
static void op_run(const ak_conv2d_geom *g, const data *d, int impl, float *y, float *dx) {
    ak_ctx ctx;
    ck_assert_int_eq(ak_ctx_init(&ctx, 0, 0), AK_OK);
    ctx.conv_impl = impl;
    const int64_t xs[4] = {g->n, g->c, g->h, g->w}, ws[4] = {g->o, g->c, 3, 3}, bs[1] = {g->o};
    ak_tensor *x = ak_tensor_from(&ctx, 4, xs, d->x), *w = ak_tensor_from(&ctx, 4, ws, d->w);
    ak_tensor *b = ak_tensor_from(&ctx, 1, bs, d->b);
    ck_assert(x && w && b);
    x->requires_grad = true;
    const ak_conv2d_params p = {{1, 1}, {1, 1}, {1, 1}, 1};
    ak_tensor *out = ak_conv2d(&ctx, x, w, b, &p);
    ck_assert_msg(out != NULL, "%s", ctx.err.msg);
    ck_assert_int_eq(ak_backward_from(&ctx, out, d->dy), AK_OK);
    memcpy(y, out->data, (size_t)d->ny * sizeof(float));
    memcpy(dx, x->grad, (size_t)d->nx * sizeof(float));
    ak_ctx_free(&ctx);
}

START_TEST(conv2d_op_runs_the_sums_its_context_asks_for) {
    const shape s = {2, 64, 48, 32, 32, 1};
    const int impls[2] = {AK_CONV2D_IMPL_AUTO, AK_CONV2D_IMPL_DIRECT};
    float *yk[2], *dxk[2];
    for (int v = 0; v < 2; v++) {
        const ak_conv2d_geom g = geom_of(&s, impls[v]);
        data d = make_data(&g);
        float *y = malloc((size_t)d.ny * sizeof(float)), *dx = malloc((size_t)d.nx * sizeof(float));
        ck_assert(y && dx);
        op_run(&g, &d, impls[v], y, dx);
        run(&g, &d, omp_get_max_threads(), 0.0f); /* the kernels with this impl */
        ak_assert_bitwise(v ? "op y, direct" : "op y, auto", y, d.y, d.ny);
        ak_assert_bitwise(v ? "op dx, direct" : "op dx, auto", dx, d.dx, d.nx);
        yk[v] = y, dxk[v] = dx;
        free_data(&d);
    }
    if (ak_cpu_conv2d_igemm_supported()) /* Winograd and the direct sums round differently */
        ck_assert(memcmp(yk[0], yk[1], (size_t)(s.n * s.o * s.h * s.w) * sizeof(float)) != 0);
    free(yk[0]), free(yk[1]), free(dxk[0]), free(dxk[1]);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("conv2d_winograd");
    TCase *tc = tcase_create("winograd");
    tcase_set_timeout(tc, 120);
    const int n = (int)(sizeof shapes / sizeof shapes[0]);
    tcase_add_test(tc, winograd_takes_the_3x3_stride1_convolutions);
    tcase_add_loop_test(tc, winograd_is_float32_accurate, 0, n);
    tcase_add_loop_test(tc, winograd_is_bitwise_the_same_on_1_and_2_threads, 0, n);
    tcase_add_test(tc, conv2d_op_runs_the_sums_its_context_asks_for);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
