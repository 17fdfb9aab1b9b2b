/* The report's figures, drawn from run files through plot.h into OUT/plots/:
 *   curves_<family>_<term>      training curves per loss term (loss_total, loss_task, loss_distill,
 *                               avatar_weight and declared extra terms), one line per experiment
 *                               (mean over its counted seeds; w/o Avatars dashed)
 *   ablation_<k>                the ablation's metric against its first varying key, one series per
 *                               value of the others, error bars = sample std over seeds; w/o
 *                               Avatars dashed
 *   features_<run>_<level>      heatmaps of the stored features (teacher, avatars, student) of the
 *                               sampled images at the last stored step: channel mean of |x|, each
 *                               panel scaled to its own min..max (printed under it)
 * Each as PNG and/or SVG. Terms that are zero in every run are not drawn.
 *
 * Errors: AK_EUNSUP without cairo (plot.h), AK_EIO naming a file that cannot be read or written.
 * Ownership: the list owns its strings (ak_report_figures_free). HDF5: one thread.
 */
#ifndef AK_REPORTS_FIGURES_H
#define AK_REPORTS_FIGURES_H

#include "reports/plot.h"
#include "reports/table.h"
#include "reports/writers.h"

typedef struct ak_report_figures {
    int n, cap;
    ak_report_figure *items;
} ak_report_figures;

/* Draw every figure; png / svg select the formats. out_dir/plots is created. */
int ak_report_plot_all(const ak_report_tables *t, const char *out_dir, bool png, bool svg,
                       ak_report_figures *figs, ak_error *err);
void ak_report_figures_free(ak_report_figures *figs);

/* ---- shared by the figure files ---- */

typedef int (*ak_rep_draw_fn)(ak_plot *p, const void *ctx, ak_error *err);

/* Draw one figure of size w x h in every selected format as out_dir/plots/<name>.{png,svg} and add
 * it to the list with its caption. name is sanitised to [A-Za-z0-9._-]. */
int ak_rep_figure(ak_report_figures *figs, const char *out_dir, const char *name, const char *caption, bool png,
                  bool svg, int w, int h, ak_rep_draw_fn draw, const void *ctx, ak_error *err);

int ak_rep_plot_curves(const ak_report_tables *t, const char *out_dir, bool png, bool svg, ak_report_figures *figs,
                       ak_error *err);
int ak_rep_plot_ablations(const ak_report_tables *t, const char *out_dir, bool png, bool svg,
                          ak_report_figures *figs, ak_error *err);
int ak_rep_plot_features(const ak_report_tables *t, const char *out_dir, bool png, bool svg,
                         ak_report_figures *figs, ak_error *err);

/* Channel mean of |x| of image n of a (N, C, H, W) map: out (H * W). Pure. */
void ak_rep_feature_heat(const float *x, const int64_t shape[4], int64_t n, float *out);

#endif
