/* ctest-labels: reports
 * Report arithmetic and drawing primitives on known values: mean / sample std / paired and unpaired
 * differences, cell formatting, the format list, tick placement, the data-to-pixel map, the colour
 * map, the feature heat (channel mean of |x|), and heatmap / line pixels read back from a PNG. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aktest.h"
#include "datasets/png_io.h"
#include "reports/figures.h"
#include "reports/format.h"
#include "reports/plot.h"
#include "reports/report.h"
#include "reports/stats.h"

START_TEST(mean_and_sample_std) {
    const double x[] = {1.0, 2.0, 3.0, 4.0};
    ak_stat s = ak_stat_of(x, 4);
    ck_assert_int_eq(s.n, 4);
    ck_assert(s.mean == 2.5);
    ck_assert_double_eq_tol(s.std, sqrt(5.0 / 3.0), 1e-15); /* numpy.std(ddof=1) = 1.2909944487358056 */
    const double one[] = {0.7};
    s = ak_stat_of(one, 1);
    ck_assert_int_eq(s.n, 1);
    ck_assert(s.mean == 0.7);
    ck_assert(isnan(s.std)); /* one seed: no spread */
    s = ak_stat_of(NULL, 0);
    ck_assert(s.n == 0 && isnan(s.mean) && isnan(s.std));
    /* metrics that agree to many digits: the two-pass std does not cancel to garbage */
    const double close[] = {0.7000000001, 0.7000000003, 0.7000000002};
    s = ak_stat_of(close, 3);
    ck_assert_double_eq_tol(s.std, 1e-10, 1e-16);
    /* NaN-skipping (a class absent from the validation images) */
    const double withnan[] = {0.5, NAN, 0.7};
    s = ak_stat_of_nan(withnan, 3);
    ck_assert_int_eq(s.n, 2);
    ck_assert_double_eq_tol(s.mean, 0.6, 1e-15);
    ck_assert_double_eq_tol(s.std, sqrt(0.02), 1e-15);
}
END_TEST

START_TEST(delta_paired_and_unpaired) {
    const double a[] = {0.70, 0.72, 0.74}, b[] = {0.73, 0.74, 0.78};
    const int64_t seeds[] = {0, 1, 2};
    int paired = -1;
    ak_stat d = ak_stat_delta(a, seeds, 3, b, seeds, 3, &paired);
    ck_assert_int_eq(paired, 1);
    ck_assert_int_eq(d.n, 3);
    /* per-seed differences 0.03, 0.02, 0.04: mean 0.03, std 0.01 */
    ck_assert_double_eq_tol(d.mean, 0.03, 1e-15);
    ck_assert_double_eq_tol(d.std, 0.01, 1e-15);
    /* different seeds: difference of means, std sqrt(sa^2 + sb^2), n = min */
    const int64_t other[] = {0, 1};
    d = ak_stat_delta(a, seeds, 3, b, other, 2, &paired);
    ck_assert_int_eq(paired, 0);
    ck_assert_int_eq(d.n, 2);
    ck_assert_double_eq_tol(d.mean, (0.73 + 0.74) / 2 - (0.70 + 0.72 + 0.74) / 3, 1e-15);
    ck_assert_double_eq_tol(d.std, sqrt(0.02 * 0.02 + 0.01 * 0.01 / 2), 1e-15);
    d = ak_stat_delta(a, seeds, 3, b, seeds, 0, &paired);
    ck_assert(d.n == 0 && isnan(d.mean));
}
END_TEST

START_TEST(cell_formatting) {
    char buf[128];
    ak_stat s = {3, 0.74871, 0.0021};
    ak_rep_fmt_stat(buf, sizeof buf, s, 3, 0, AK_STYLE_MD);
    ck_assert_str_eq(buf, "74.87 ± 0.21 (n=3)");
    ak_rep_fmt_stat(buf, sizeof buf, s, 4, 0, AK_STYLE_MD);
    ck_assert_str_eq(buf, "74.87 ± 0.21 (n=3 of 4)");
    ak_rep_fmt_stat(buf, sizeof buf, s, 3, 0, AK_STYLE_TEX);
    ck_assert_str_eq(buf, "$74.87 \\pm 0.21$ (3)");
    ak_stat d = {2, 0.0123, NAN};
    ak_rep_fmt_stat(buf, sizeof buf, d, 0, 1, AK_STYLE_MD);
    ck_assert_str_eq(buf, "+1.23 (n=2)");
    ak_stat none = {0, NAN, NAN};
    ak_rep_fmt_stat(buf, sizeof buf, none, 2, 0, AK_STYLE_MD);
    ck_assert_str_eq(buf, "— (n=0 of 2)");
    ak_rep_fmt_value(buf, sizeof buf, NAN, AK_STYLE_TEX);
    ck_assert_str_eq(buf, "--");
}
END_TEST

START_TEST(format_list) {
    ak_error err;
    ak_error_clear(&err);
    unsigned f = 0;
    ck_assert_int_eq(ak_report_parse_formats("md,csv,svg", &f, &err), AK_OK);
    ck_assert_uint_eq(f, AK_REPORT_MD | AK_REPORT_CSV | AK_REPORT_SVG);
    ck_assert_int_eq(ak_report_parse_formats("md,pdf", &f, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "'pdf'") != NULL, "%s", err.msg);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_report_parse_formats("", &f, &err), AK_EINVAL);
}
END_TEST

START_TEST(ticks_map_colours) {
    double t[16];
    int n = ak_nice_ticks(0.0, 1.0, 6, t);
    ck_assert_int_eq(n, 6); /* 0, 0.2, ..., 1 */
    ck_assert_double_eq_tol(t[1], 0.2, 1e-12);
    ck_assert_double_eq_tol(t[5], 1.0, 1e-12);
    n = ak_nice_ticks(3.7, 41.2, 7, t); /* step 10: 10, 20, 30, 40 */
    ck_assert_int_eq(n, 4);
    ck_assert(t[0] == 10.0 && t[3] == 40.0);
    ck_assert_int_eq(ak_nice_ticks(1.0, 1.0, 5, t), 0);

    ak_axes a = {100, 50, 200, 100, 0, 10, -1, 1, NULL, 0};
    double px, py;
    ak_axes_map(&a, 0, -1, &px, &py);
    ck_assert(px == 100 && py == 150); /* bottom left */
    ak_axes_map(&a, 5, 0.5, &px, &py);
    ck_assert(px == 200 && py == 75);

    ak_range r;
    ak_range_init(&r);
    const double x[] = {1, 2, NAN}, y[] = {4, 6, 100}, e[] = {1, 1, 0};
    ak_range_add(&r, x, y, e, 3); /* the NaN point is ignored */
    ak_axes_set_range(&a, &r);
    ck_assert(a.xmin == 1 && a.xmax == 2);
    ck_assert_double_eq_tol(a.ymin, 3 - 0.2, 1e-12); /* [3, 7] padded by 5% */
    ck_assert_double_eq_tol(a.ymax, 7 + 0.2, 1e-12);

    double rgb[3];
    ak_colormap(0.0, rgb);
    ck_assert_double_eq_tol(rgb[0], 0.267, 1e-12);
    ak_colormap(1.0, rgb);
    ck_assert_double_eq_tol(rgb[2], 0.144, 1e-12);
    ak_colormap(2.0, rgb); /* clamped */
    ck_assert_double_eq_tol(rgb[0], 0.993, 1e-12);
}
END_TEST

START_TEST(feature_heat) {
    /* (N=2, C=2, H=1, W=3): heat of image 1 = mean over channels of |x| */
    const float x[] = {0, 0, 0, 0, 0, 0, /* image 0 */ 1, -2, 3, -3, 4, 0.5f /* image 1 */};
    const int64_t shape[4] = {2, 2, 1, 3};
    float out[3];
    ak_rep_feature_heat(x, shape, 1, out);
    ck_assert(out[0] == 2.0f && out[1] == 3.0f && out[2] == 1.75f);
}
END_TEST

static void pixel(const uint8_t *px, int w, int x, int y, int rgb[3]) {
    for (int c = 0; c < 3; c++)
        rgb[c] = px[((size_t)y * w + x) * 3 + c];
}

START_TEST(heatmap_and_line_pixels) {
    if (!ak_plot_available())
        return; /* built without cairo: nothing to draw (plot.h) */
    char path[4200];
    snprintf(path, sizeof path, "%s/report-pixels-%d.png", AK_BUILD_DIR, (int)getpid());
    ak_error err;
    ak_error_clear(&err);
    ak_plot *p;
    ck_assert_int_eq(ak_plot_begin(&p, path, AK_PLOT_PNG, 80, 40, &err), AK_OK);
    const float data[] = {0.0f, 1.0f, 0.5f, 0.25f}; /* 2x2 */
    ak_plot_heatmap(p, 0, 0, 40, 40, data, 2, 2, 0.0, 1.0);
    ak_axes a = {40, 0, 40, 40, 0, 1, 0, 1, NULL, 0};
    const double lx[] = {0, 1}, ly[] = {0.5, 0.5};
    ak_plot_line(p, &a, lx, ly, 2, 3, false);
    ck_assert_msg(ak_plot_end(p, &err) == AK_OK, "%s", err.msg);

    uint8_t *px;
    int h, w;
    ck_assert_msg(ak_png_read(path, 3, &px, &h, &w, &err) == AK_OK, "%s", err.msg);
    ck_assert(h == 40 && w == 80);
    const double vals[4] = {0.0, 1.0, 0.5, 0.25};
    const int at[4][2] = {{10, 10}, {30, 10}, {10, 30}, {30, 30}};
    for (int k = 0; k < 4; k++) {
        double want[3];
        int got[3];
        ak_colormap(vals[k], want);
        pixel(px, w, at[k][0], at[k][1], got);
        for (int c = 0; c < 3; c++)
            ck_assert_msg(abs(got[c] - (int)lround(want[c] * 255)) <= 1, "cell %d channel %d: %d vs %.0f", k, c,
                          got[c], want[c] * 255);
    }
    /* the line y = 0.5 is at pixel row 20 in the right half; far from it the figure stays white */
    double series[3];
    ak_series_color(3, series);
    int on[3], off[3];
    pixel(px, w, 60, 20, on);
    pixel(px, w, 60, 5, off);
    for (int c = 0; c < 3; c++) {
        ck_assert_msg(abs(on[c] - (int)lround(series[c] * 255)) <= 60, "line pixel channel %d: %d", c, on[c]);
        ck_assert_int_eq(off[c], 255);
    }
    free(px);
    unlink(path);
}
END_TEST

START_TEST(plot_errors_name_the_file) {
    if (!ak_plot_available())
        return;
    ak_error err;
    ak_error_clear(&err);
    ak_plot *p;
    ck_assert_int_eq(ak_plot_begin(&p, "x.png", AK_PLOT_PNG, 0, 10, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "x.png") != NULL, "%s", err.msg);
    ak_error_clear(&err);
    const char *bad = "/nonexistent-akd-dir/figure.png";
    ck_assert_int_eq(ak_plot_begin(&p, bad, AK_PLOT_PNG, 10, 10, &err), AK_OK);
    ck_assert_int_eq(ak_plot_end(p, &err), AK_EIO);
    ck_assert_msg(strstr(err.msg, bad) != NULL, "%s", err.msg);
    ak_error_clear(&err);
    const char *bad_svg = "/nonexistent-akd-dir/figure.svg";
    int rc = ak_plot_begin(&p, bad_svg, AK_PLOT_SVG, 10, 10, &err);
    if (rc == AK_OK)
        rc = ak_plot_end(p, &err);
    ck_assert_int_eq(rc, AK_EIO);
    ck_assert_msg(strstr(err.msg, bad_svg) != NULL, "%s", err.msg);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("report_stats");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, mean_and_sample_std);
    tcase_add_test(tc, delta_paired_and_unpaired);
    tcase_add_test(tc, cell_formatting);
    tcase_add_test(tc, format_list);
    tcase_add_test(tc, ticks_map_colours);
    tcase_add_test(tc, feature_heat);
    tcase_add_test(tc, heatmap_and_line_pixels);
    tcase_add_test(tc, plot_errors_name_the_file);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
