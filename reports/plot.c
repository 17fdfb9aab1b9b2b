/* The cairo plotting layer (see plot.h). The pure helpers are always built; the drawing code only
 * with AK_HAVE_CAIRO (set by CMake when pkg-config finds cairo). */
#include "reports/plot.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define AK_PI 3.14159265358979323846

void ak_axes_map(const ak_axes *a, double dx, double dy, double *px, double *py) {
    double sx = a->xmax > a->xmin ? (dx - a->xmin) / (a->xmax - a->xmin) : 0.5;
    double sy = a->ymax > a->ymin ? (dy - a->ymin) / (a->ymax - a->ymin) : 0.5;
    *px = a->x + sx * a->w;
    *py = a->y + a->h - sy * a->h;
}

void ak_range_init(ak_range *r) {
    r->x0 = r->y0 = INFINITY;
    r->x1 = r->y1 = -INFINITY;
}

void ak_range_add(ak_range *r, const double *x, const double *y, const double *e, int n) {
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        double err = e && isfinite(e[i]) ? e[i] : 0.0;
        r->x0 = fmin(r->x0, x[i]);
        r->x1 = fmax(r->x1, x[i]);
        r->y0 = fmin(r->y0, y[i] - err);
        r->y1 = fmax(r->y1, y[i] + err);
    }
}

void ak_axes_set_range(ak_axes *a, const ak_range *r) {
    double x0 = r->x0, x1 = r->x1, y0 = r->y0, y1 = r->y1;
    if (!(x0 <= x1)) {
        x0 = 0.0;
        x1 = 1.0;
    }
    if (!(y0 <= y1)) {
        y0 = 0.0;
        y1 = 1.0;
    }
    if (x1 - x0 == 0.0) {
        x0 -= 0.5;
        x1 += 0.5;
    }
    if (y1 - y0 == 0.0) {
        y0 -= 0.5;
        y1 += 0.5;
    }
    double pad = (y1 - y0) * 0.05;
    a->xmin = x0;
    a->xmax = x1;
    a->ymin = y0 - pad;
    a->ymax = y1 + pad;
}

int ak_nice_ticks(double lo, double hi, int max, double *ticks) {
    if (!(hi > lo) || max < 2 || !isfinite(lo) || !isfinite(hi))
        return 0;
    double raw = (hi - lo) / (max - 1), mag = pow(10.0, floor(log10(raw))), step = 10.0 * mag;
    const double mult[] = {1.0, 2.0, 5.0, 10.0};
    for (int i = 0; i < 4; i++)
        if (mult[i] * mag >= raw) {
            step = mult[i] * mag;
            break;
        }
    int n = 0;
    for (double v = ceil(lo / step) * step; v <= hi + step * 1e-9 && n < max; v += step)
        ticks[n++] = fabs(v) < step * 1e-9 ? 0.0 : v;
    return n;
}

void ak_colormap(double t, double rgb[3]) {
    /* viridis (matplotlib), sampled at 9 points, linearly interpolated */
    static const double v[9][3] = {{0.267, 0.005, 0.329}, {0.283, 0.141, 0.458}, {0.254, 0.265, 0.530},
                                   {0.207, 0.372, 0.553}, {0.164, 0.471, 0.558}, {0.128, 0.567, 0.551},
                                   {0.135, 0.659, 0.518}, {0.478, 0.821, 0.318}, {0.993, 0.906, 0.144}};
    if (isnan(t)) {
        rgb[0] = rgb[1] = rgb[2] = 0.6;
        return;
    }
    t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
    double s = t * 8.0;
    int i = (int)s;
    if (i >= 8)
        i = 7;
    double f = s - i;
    for (int c = 0; c < 3; c++)
        rgb[c] = v[i][c] + f * (v[i + 1][c] - v[i][c]);
}

void ak_series_color(int k, double rgb[3]) {
    static const double tab[10][3] = {{0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173},
                                      {0.839, 0.153, 0.157}, {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294},
                                      {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498}, {0.737, 0.741, 0.133},
                                      {0.090, 0.745, 0.812}};
    k = ((k % 10) + 10) % 10;
    memcpy(rgb, tab[k], sizeof tab[k]);
}

#ifdef AK_HAVE_CAIRO

#include <cairo-svg.h>
#include <cairo.h>
#include <stdio.h>

struct ak_plot {
    cairo_surface_t *surface;
    cairo_t *cr;
    ak_plot_format fmt;
    char *path;
};

bool ak_plot_available(void) { return true; }

#if defined(__SANITIZE_ADDRESS__)
/* LeakSanitizer: fontconfig (loaded by cairo to find fonts) keeps a process-lifetime configuration
 * that it never frees; those blocks are not leaks of ours. The sanitizer runtime calls this hook
 * (a weak symbol there) in any program that links the plotting code. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libfontconfig.so\n"; }
#endif

int ak_plot_begin(ak_plot **out, const char *path, ak_plot_format fmt, int width, int height, ak_error *err) {
    *out = NULL;
    if (width <= 0 || height <= 0 || width > 20000 || height > 20000)
        return ak_error_set(err, AK_EINVAL, "%s: figure size %dx%d out of range", path, width, height);
    ak_plot *p = calloc(1, sizeof *p);
    if (!p || !(p->path = malloc(strlen(path) + 1))) {
        free(p);
        return ak_error_set(err, AK_ENOMEM, "out of memory for figure %s", path);
    }
    strcpy(p->path, path);
    p->fmt = fmt;
    if (fmt == AK_PLOT_SVG) {
        p->surface = cairo_svg_surface_create(path, width, height);
    } else {
        p->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    }
    if (cairo_surface_status(p->surface) != CAIRO_STATUS_SUCCESS) {
        int rc = ak_error_set(err, AK_EIO, "%s: cannot create the figure (%s)", path,
                              cairo_status_to_string(cairo_surface_status(p->surface)));
        cairo_surface_destroy(p->surface);
        free(p->path);
        free(p);
        return rc;
    }
    p->cr = cairo_create(p->surface);
    cairo_set_source_rgb(p->cr, 1, 1, 1);
    cairo_paint(p->cr);
    cairo_select_font_face(p->cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    *out = p;
    return AK_OK;
}

int ak_plot_end(ak_plot *p, ak_error *err) {
    if (!p)
        return AK_OK;
    int rc = AK_OK;
    cairo_status_t st = cairo_status(p->cr);
    if (st != CAIRO_STATUS_SUCCESS)
        rc = ak_error_set(err, AK_EIO, "%s: drawing failed (%s)", p->path, cairo_status_to_string(st));
    cairo_destroy(p->cr);
    if (rc == AK_OK && p->fmt == AK_PLOT_PNG) {
        st = cairo_surface_write_to_png(p->surface, p->path);
        if (st != CAIRO_STATUS_SUCCESS)
            rc = ak_error_set(err, AK_EIO, "%s: cannot write the PNG (%s)", p->path, cairo_status_to_string(st));
    }
    cairo_surface_finish(p->surface);
    st = cairo_surface_status(p->surface);
    if (rc == AK_OK && st != CAIRO_STATUS_SUCCESS)
        rc = ak_error_set(err, AK_EIO, "%s: cannot write the figure (%s)", p->path, cairo_status_to_string(st));
    cairo_surface_destroy(p->surface);
    free(p->path);
    free(p);
    return rc;
}

static void set_rgb(cairo_t *cr, const double rgb[3]) { cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]); }

void ak_plot_text(ak_plot *p, double x, double y, double size, const char *text) {
    if (!p)
        return;
    cairo_set_source_rgb(p->cr, 0, 0, 0);
    cairo_set_font_size(p->cr, size);
    cairo_move_to(p->cr, x, y);
    cairo_show_text(p->cr, text);
}

static double text_width(ak_plot *p, double size, const char *text) {
    cairo_text_extents_t e;
    cairo_set_font_size(p->cr, size);
    cairo_text_extents(p->cr, text, &e);
    return e.x_advance;
}

static void tick_label(char *buf, size_t len, double v, double step) {
    if (fabs(v) >= 1e5 || (v != 0.0 && fabs(v) < 1e-3))
        snprintf(buf, len, "%.2g", v);
    else {
        int dec = step >= 1.0 ? 0 : (int)ceil(-log10(step) - 1e-9);
        snprintf(buf, len, "%.*f", dec > 6 ? 6 : dec, v);
    }
}

void ak_plot_axes(ak_plot *p, const ak_axes *a, const char *title, const char *xlabel, const char *ylabel) {
    if (!p)
        return;
    cairo_t *cr = p->cr;
    double ticks[16];
    char buf[32];
    cairo_set_line_width(cr, 1.0);
    /* grid and tick labels */
    int nx = a->n_xcat > 0 ? (a->n_xcat < 16 ? a->n_xcat : 16) : ak_nice_ticks(a->xmin, a->xmax, 7, ticks);
    double step = a->n_xcat == 0 && nx > 1 ? ticks[1] - ticks[0] : 1.0;
    for (int i = 0; i < nx; i++) {
        double px, py;
        if (a->n_xcat > 0)
            ticks[i] = i;
        ak_axes_map(a, ticks[i], a->ymin, &px, &py);
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, px, a->y);
        cairo_line_to(cr, px, a->y + a->h);
        cairo_stroke(cr);
        if (a->n_xcat > 0)
            snprintf(buf, sizeof buf, "%s", a->xcat[i]);
        else
            tick_label(buf, sizeof buf, ticks[i], step);
        ak_plot_text(p, px - text_width(p, 11, buf) / 2, a->y + a->h + 15, 11, buf);
    }
    int ny = ak_nice_ticks(a->ymin, a->ymax, 6, ticks);
    step = ny > 1 ? ticks[1] - ticks[0] : 1.0;
    for (int i = 0; i < ny; i++) {
        double px, py;
        ak_axes_map(a, a->xmin, ticks[i], &px, &py);
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, a->x, py);
        cairo_line_to(cr, a->x + a->w, py);
        cairo_stroke(cr);
        tick_label(buf, sizeof buf, ticks[i], step);
        ak_plot_text(p, a->x - 6 - text_width(p, 11, buf), py + 4, 11, buf);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, a->x, a->y, a->w, a->h);
    cairo_stroke(cr);
    if (title)
        ak_plot_text(p, a->x + a->w / 2 - text_width(p, 14, title) / 2, a->y - 10, 14, title);
    if (xlabel)
        ak_plot_text(p, a->x + a->w / 2 - text_width(p, 12, xlabel) / 2, a->y + a->h + 34, 12, xlabel);
    if (ylabel) {
        cairo_save(cr);
        cairo_translate(cr, a->x - 48, a->y + a->h / 2 + text_width(p, 12, ylabel) / 2);
        cairo_rotate(cr, -AK_PI / 2);
        ak_plot_text(p, 0, 0, 12, ylabel);
        cairo_restore(cr);
    }
}

void ak_plot_line(ak_plot *p, const ak_axes *a, const double *x, const double *y, int n, int color, bool dashed) {
    if (!p)
        return;
    cairo_t *cr = p->cr;
    double rgb[3];
    ak_series_color(color, rgb);
    cairo_save(cr);
    cairo_rectangle(cr, a->x, a->y, a->w, a->h);
    cairo_clip(cr);
    set_rgb(cr, rgb);
    cairo_set_line_width(cr, 1.5);
    const double dash[] = {6.0, 4.0};
    cairo_set_dash(cr, dash, dashed ? 2 : 0, 0);
    bool pen = false;
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) {
            pen = false;
            continue;
        }
        double px, py;
        ak_axes_map(a, x[i], y[i], &px, &py);
        if (pen)
            cairo_line_to(cr, px, py);
        else
            cairo_move_to(cr, px, py);
        pen = true;
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

void ak_plot_points(ak_plot *p, const ak_axes *a, const double *x, const double *y, const double *e, int n,
                    int color) {
    if (!p)
        return;
    cairo_t *cr = p->cr;
    double rgb[3];
    ak_series_color(color, rgb);
    set_rgb(cr, rgb);
    cairo_set_line_width(cr, 1.5);
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        double px, py;
        ak_axes_map(a, x[i], y[i], &px, &py);
        cairo_arc(cr, px, py, 3.5, 0, 2 * AK_PI);
        cairo_fill(cr);
        if (e && isfinite(e[i]) && e[i] > 0) {
            double lo, hi, qx;
            ak_axes_map(a, x[i], y[i] - e[i], &qx, &lo);
            ak_axes_map(a, x[i], y[i] + e[i], &qx, &hi);
            cairo_move_to(cr, px, lo);
            cairo_line_to(cr, px, hi);
            cairo_move_to(cr, px - 5, lo);
            cairo_line_to(cr, px + 5, lo);
            cairo_move_to(cr, px - 5, hi);
            cairo_line_to(cr, px + 5, hi);
            cairo_stroke(cr);
        }
    }
}

void ak_plot_legend(ak_plot *p, const ak_axes *a, const char *const *labels, const int *colors,
                    const bool *dashed, int n) {
    if (!p || n <= 0)
        return;
    cairo_t *cr = p->cr;
    double w = 0;
    for (int i = 0; i < n; i++)
        w = fmax(w, text_width(p, 11, labels[i]));
    double bx = a->x + a->w - w - 44, by = a->y + 6, bh = 16.0 * n + 6;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, bx, by, w + 38, bh);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
    const double dash[] = {6.0, 4.0};
    for (int i = 0; i < n; i++) {
        double rgb[3], ly = by + 14 + 16.0 * i;
        ak_series_color(colors[i], rgb);
        set_rgb(cr, rgb);
        cairo_set_line_width(cr, 2.0);
        cairo_set_dash(cr, dash, dashed && dashed[i] ? 2 : 0, 0);
        cairo_move_to(cr, bx + 6, ly - 4);
        cairo_line_to(cr, bx + 28, ly - 4);
        cairo_stroke(cr);
        cairo_set_dash(cr, dash, 0, 0);
        ak_plot_text(p, bx + 32, ly, 11, labels[i]);
    }
}

void ak_plot_heatmap(ak_plot *p, double x, double y, double w, double h, const float *data, int rows, int cols,
                     double vmin, double vmax) {
    if (!p || rows <= 0 || cols <= 0)
        return;
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, cols, rows);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        return;
    }
    cairo_surface_flush(img);
    unsigned char *px = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    double span = vmax > vmin ? vmax - vmin : 1.0;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            double rgb[3];
            ak_colormap((data[(size_t)r * cols + c] - vmin) / span, rgb);
            uint32_t v = (uint32_t)lround(rgb[0] * 255) << 16 | (uint32_t)lround(rgb[1] * 255) << 8 |
                         (uint32_t)lround(rgb[2] * 255);
            memcpy(px + (size_t)r * stride + 4 * (size_t)c, &v, 4); /* native-endian xRGB, as cairo stores it */
        }
    cairo_surface_mark_dirty(img);
    cairo_t *cr = p->cr;
    cairo_save(cr);
    cairo_rectangle(cr, x, y, w, h);
    cairo_clip(cr);
    cairo_translate(cr, x, y);
    cairo_scale(cr, w / cols, h / rows);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
}

#else /* no cairo: figures cannot be made; the pure helpers above still work */

bool ak_plot_available(void) { return false; }

int ak_plot_begin(ak_plot **p, const char *path, ak_plot_format fmt, int width, int height, ak_error *err) {
    *p = NULL;
    return ak_error_set(err, AK_EUNSUP, "%s: this akdbench was built without cairo, so it cannot draw plots "
                        "(install libcairo2-dev and re-run cmake)", path);
}
int ak_plot_end(ak_plot *p, ak_error *err) { return AK_OK; }
void ak_plot_axes(ak_plot *p, const ak_axes *a, const char *title, const char *xlabel, const char *ylabel) {}
void ak_plot_line(ak_plot *p, const ak_axes *a, const double *x, const double *y, int n, int color, bool dashed) {}
void ak_plot_points(ak_plot *p, const ak_axes *a, const double *x, const double *y, const double *e, int n,
                    int color) {}
void ak_plot_legend(ak_plot *p, const ak_axes *a, const char *const *labels, const int *colors,
                    const bool *dashed, int n) {}
void ak_plot_text(ak_plot *p, double x, double y, double size, const char *text) {}
void ak_plot_heatmap(ak_plot *p, double x, double y, double w, double h, const float *data, int rows, int cols,
                     double vmin, double vmax) {}

#endif
