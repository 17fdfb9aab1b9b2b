/* conv2d backward accuracy on the shapes of the ResNet parity tests (large C, tiny spatial sizes,
 * strided, 1x1 strided and dilated), both implementations (implicit GEMM where the CPU has AVX-512,
 * and im2col + OpenBLAS), against a double-precision reference computed here.
 *
 * Bound per element: |got - exact| <= 64 * 2^-24 * sum of |terms| of that element (the float32
 * error of a blocked sum; a wrong or missing term is ~1/K of the sum, K >= 512 here, far above it),
 * and a relative L2 error below 1e-5. Written while bisecting a ResNet-18 gradient mismatch that
 * turned out to be a ReLU near-tie in the fixture (tests/models/test_resnet.c): it pins down that the
 * data and weight gradients themselves are float32-accurate on these shapes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "aktest.h"
#include "core/cpu/conv2d.h"

#define ULP_FACTOR (64.0 * 0x1p-24)
#define REL_L2 1e-5

typedef struct shape {
    int64_t n, c, o, h, w, k, s, p, d;
} shape;

static void fill(float *v, int64_t n, uint64_t seed, float scale) {
    ak_test_fill_uniform(v, n, seed, -scale, scale);
}

static void check_shape(const shape *sp, int impl) {
    ak_conv2d_geom g = {sp->n, sp->c, sp->h, sp->w, sp->o, sp->k, sp->k, 0, 0, sp->s, sp->s, sp->p, sp->p,
                        sp->d, sp->d, 1, 0, impl};
    ck_assert(ak_cpu_conv2d_out_size(&g));
    const int64_t nx = g.n * g.c * g.h * g.w, nw = g.o * g.c * g.kh * g.kw, ny = g.n * g.o * g.ho * g.wo;
    float *x = malloc((size_t)nx * sizeof *x), *w = malloc((size_t)nw * sizeof *w);
    float *dy = malloc((size_t)ny * sizeof *dy), *dx = calloc((size_t)nx, sizeof *dx), *dw = calloc((size_t)nw, sizeof *dw);
    double *ex = calloc((size_t)nx, sizeof *ex), *mx = calloc((size_t)nx, sizeof *mx);
    double *ew = calloc((size_t)nw, sizeof *ew), *mw = calloc((size_t)nw, sizeof *mw);
    int64_t nws = ak_cpu_conv2d_bwd_ws_floats(&g);
    float *ws = malloc((size_t)(nws > 0 ? nws : 1) * sizeof *ws);
    ck_assert(x && w && dy && dx && dw && ex && mx && ew && mw && ws);
    fill(x, nx, 11, 1.0f);
    fill(w, nw, 12, 0.05f);
    fill(dy, ny, 13, 1.0f);
    ak_cpu_conv2d_bwd(dx, dw, dy, x, w, &g, ws);

    for (int64_t n = 0; n < g.n; n++)
        for (int64_t o = 0; o < g.o; o++)
            for (int64_t oh = 0; oh < g.ho; oh++)
                for (int64_t ow = 0; ow < g.wo; ow++) {
                    const double gy = dy[((n * g.o + o) * g.ho + oh) * g.wo + ow];
                    for (int64_t c = 0; c < g.c; c++)
                        for (int64_t i = 0; i < g.kh; i++) {
                            const int64_t ih = oh * g.sh - g.ph + i * g.dh;
                            if (ih < 0 || ih >= g.h)
                                continue;
                            for (int64_t j = 0; j < g.kw; j++) {
                                const int64_t iw = ow * g.sw - g.pw + j * g.dw;
                                if (iw < 0 || iw >= g.w)
                                    continue;
                                const int64_t xi = ((n * g.c + c) * g.h + ih) * g.w + iw;
                                const int64_t wi = ((o * g.c + c) * g.kh + i) * g.kw + j;
                                ex[xi] += gy * w[wi];
                                mx[xi] += fabs(gy * w[wi]);
                                ew[wi] += gy * x[xi];
                                mw[wi] += fabs(gy * x[xi]);
                            }
                        }
                }
    double worst, rel;
    char what[160];
    snprintf(what, sizeof what, "N%lld C%lld O%lld %lldx%lld k%lld s%lld p%lld d%lld impl %d",
             (long long)sp->n, (long long)sp->c, (long long)sp->o, (long long)sp->h, (long long)sp->w,
             (long long)sp->k, (long long)sp->s, (long long)sp->p, (long long)sp->d, impl);
    ak_test_error_vs_terms(dx, ex, mx, nx, &worst, &rel);
    ck_assert_msg(worst <= ULP_FACTOR && rel <= REL_L2, "%s: dx worst |err|/sum|terms| %.3g, rel L2 %.3g", what,
                  worst, rel);
    ak_test_error_vs_terms(dw, ew, mw, nw, &worst, &rel);
    ck_assert_msg(worst <= ULP_FACTOR && rel <= REL_L2, "%s: dw worst |err|/sum|terms| %.3g, rel L2 %.3g", what,
                  worst, rel);
    free(x), free(w), free(dy), free(dx), free(dw), free(ex), free(mx), free(ew), free(mw), free(ws);
}

/* ResNet-18 layer4 (c5 is 2x2 at 64x64 input), its strided first conv and downsample, and the
 * dilated 3x3 convolutions of the D8 variants. */
static const shape shapes[] = {
    {2, 512, 512, 2, 2, 3, 1, 1, 1}, {2, 256, 512, 4, 4, 3, 2, 1, 1}, {2, 256, 512, 4, 4, 1, 2, 0, 1},
    {2, 256, 256, 8, 8, 3, 1, 4, 4}, {2, 128, 128, 8, 8, 3, 1, 2, 2},
};

START_TEST(conv2d_backward_is_float32_accurate_auto) { check_shape(&shapes[_i], AK_CONV2D_IMPL_AUTO); }
END_TEST
START_TEST(conv2d_backward_is_float32_accurate_blas) { check_shape(&shapes[_i], AK_CONV2D_IMPL_BLAS); }
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("conv2d_accuracy");
    TCase *tc = tcase_create("accuracy");
    tcase_set_timeout(tc, 120);
    const int n = (int)(sizeof shapes / sizeof shapes[0]);
    tcase_add_loop_test(tc, conv2d_backward_is_float32_accurate_auto, 0, n);
    tcase_add_loop_test(tc, conv2d_backward_is_float32_accurate_blas, 0, n);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
