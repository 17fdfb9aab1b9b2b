/* A small plotting layer over cairo (PNG and SVG from the same drawing code): a figure, axes with
 * "nice" ticks and labels, lines, markers with error bars, legends, and heatmaps through a viridis
 * colour map. The report's figures (plot_curves.c, plot_ablation.c, plot_features.c) are built
 * from these.
 *
 * cairo is optional at build time (CMake option AK_PLOTS, pkg-config "cairo"): without it
 * ak_plot_available() is false and ak_plot_begin returns AK_EUNSUP; the pure helpers (coordinate
 * mapping, ticks, colour map) work either way.
 *
 * Coordinates are pixels for PNG and points for SVG, origin top left. Drawing calls on a NULL
 * figure do nothing, and a cairo failure is reported once, by ak_plot_end.
 *
 * Ownership: ak_plot_begin creates the figure; ak_plot_end writes the file and frees the figure,
 * even on error. Errors: AK_EIO naming the file (cannot create / write), AK_EUNSUP (no cairo),
 * AK_EINVAL (bad size). No global state; a figure is used by one thread.
 */
#ifndef AK_REPORTS_PLOT_H
#define AK_REPORTS_PLOT_H

#include <stdbool.h>

#include "core/error.h"

typedef enum ak_plot_format { AK_PLOT_PNG, AK_PLOT_SVG } ak_plot_format;

typedef struct ak_plot ak_plot;

/* Data range drawn into a pixel rectangle (x, y = top left). With n_xcat > 0 the x axis is
 * categorical: ticks at 0 .. n_xcat-1 labelled xcat[i] (borrowed strings). */
typedef struct ak_axes {
    double x, y, w, h;
    double xmin, xmax, ymin, ymax;
    const char *const *xcat;
    int n_xcat;
} ak_axes;

bool ak_plot_available(void);

int ak_plot_begin(ak_plot **p, const char *path, ak_plot_format fmt, int width, int height, ak_error *err);
int ak_plot_end(ak_plot *p, ak_error *err);

/* Data -> pixel (y grows downwards). Pure. */
void ak_axes_map(const ak_axes *a, double dx, double dy, double *px, double *py);
/* Bounds of the data drawn into one axes, accumulated over series. */
typedef struct ak_range {
    double x0, x1, y0, y1;
} ak_range;
void ak_range_init(ak_range *r);
/* Extend by the finite points (x, y +- e); e may be NULL. */
void ak_range_add(ak_range *r, const double *x, const double *y, const double *e, int n);
/* The axes' data range: the bounds, y padded by 5%; an empty or degenerate range is widened (empty:
 * [0, 1]; a single value v: [v - 0.5, v + 0.5]). Pure. */
void ak_axes_set_range(ak_axes *a, const ak_range *r);
/* Up to max ticks at 1, 2, 5 x 10^k steps inside [lo, hi]; returns how many. Pure. */
int ak_nice_ticks(double lo, double hi, int max, double *ticks);
/* Viridis at t in [0, 1] (clamped; NaN -> grey). Pure. */
void ak_colormap(double t, double rgb[3]);
/* The k-th series colour (a qualitative palette, cycling). Pure. */
void ak_series_color(int k, double rgb[3]);

/* Frame, ticks, grid, title and axis labels. */
void ak_plot_axes(ak_plot *p, const ak_axes *a, const char *title, const char *xlabel, const char *ylabel);
/* A polyline through the finite points (breaks at NaN); dashed when asked. */
void ak_plot_line(ak_plot *p, const ak_axes *a, const double *x, const double *y, int n, int color, bool dashed);
/* Markers at (x, y) with vertical bars y +- e (e may be NULL or NaN: no bar). */
void ak_plot_points(ak_plot *p, const ak_axes *a, const double *x, const double *y, const double *e, int n,
                    int color);
/* A legend box in the top-right corner of the axes. */
void ak_plot_legend(ak_plot *p, const ak_axes *a, const char *const *labels, const int *colors,
                    const bool *dashed, int n);
/* Text with its left baseline at (x, y); size in px. */
void ak_plot_text(ak_plot *p, double x, double y, double size, const char *text);
/* data (rows, cols) row-major as a heatmap filling the rectangle, mapped linearly from [vmin, vmax]
 * through the colour map (nearest-neighbour pixels, so that feature cells stay visible). */
void ak_plot_heatmap(ak_plot *p, double x, double y, double w, double h, const float *data, int rows, int cols,
                     double vmin, double vmax);

#endif
