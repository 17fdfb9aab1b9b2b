/* FCOS prior-to-gt assignment in the mmdet and torchvision variants; see fcos.h. Float32 arithmetic
 * in the references' order, so ties and boundaries resolve as they do there. */
#include <math.h>

#include "models/fcos.h"

/* mmdet FCOSHead._get_target_single: smallest-area gt among those containing the point (or its
 * clipped centre region) whose max regression distance is in the level's range. */
static void match_mmdet(const ak_fcos_cfg *cfg, const ak_det_levels *lv, const float *points, const float *gt,
                        int64_t G, int32_t *out) {
    const float INF = 1e8f;
    for (int l = 0; l < lv->n; l++) {
        float lo = cfg->regress_ranges[l][0], hi = cfg->regress_ranges[l][1];
        float rad = (float)((double)cfg->strides[l] * (double)cfg->center_radius);
        for (int64_t p = lv->start[l]; p < lv->start[l + 1]; p++) {
            float xs = points[2 * p], ys = points[2 * p + 1];
            float best = INF;
            int32_t arg = 0;
            for (int64_t g = 0; g < G; g++) {
                const float *b = gt + 4 * g;
                float area = (b[2] - b[0]) * (b[3] - b[1]);
                float d[4] = {xs - b[0], ys - b[1], b[2] - xs, b[3] - ys};
                float mn, mx = fmaxf(fmaxf(d[0], d[1]), fmaxf(d[2], d[3]));
                if (cfg->center_sampling) {
                    float cx = (b[0] + b[2]) / 2.0f, cy = (b[1] + b[3]) / 2.0f;
                    float x0 = cx - rad, y0 = cy - rad, x1 = cx + rad, y1 = cy + rad;
                    float c0 = x0 > b[0] ? x0 : b[0], c1 = y0 > b[1] ? y0 : b[1];
                    float c2 = x1 > b[2] ? b[2] : x1, c3 = y1 > b[3] ? b[3] : y1;
                    mn = fminf(fminf(xs - c0, ys - c1), fminf(c2 - xs, c3 - ys));
                } else
                    mn = fminf(fminf(d[0], d[1]), fminf(d[2], d[3]));
                if (!(mn > 0.0f) || !(mx >= lo && mx <= hi))
                    area = INF;
                if (area < best)
                    best = area, arg = (int32_t)g;
            }
            out[p] = best == INF ? -1 : arg;
        }
    }
}

/* torchvision FCOS.compute_loss matching. */
static void match_tv(const ak_fcos_cfg *cfg, const ak_det_levels *lv, const float *anchors, const float *gt, int64_t G,
                     int32_t *out) {
    int64_t M = lv->start[lv->n];
    for (int64_t a = 0; a < M; a++) {
        const float *an = anchors + 4 * a;
        float ax = (an[0] + an[2]) / 2.0f, ay = (an[1] + an[3]) / 2.0f;
        float size = an[2] - an[0];
        float lower = size * 4.0f, upper = size * 8.0f;
        if (a < lv->start[1])
            lower = 0.0f;
        if (a >= lv->start[lv->n - 1])
            upper = INFINITY;
        float best = -INFINITY;
        int32_t arg = 0;
        for (int64_t g = 0; g < G; g++) {
            const float *b = gt + 4 * g;
            float gx = (b[0] + b[2]) / 2.0f, gy = (b[1] + b[3]) / 2.0f;
            bool match = fmaxf(fabsf(ax - gx), fabsf(ay - gy)) < cfg->center_radius * size;
            float d0 = ax - b[0], d1 = ay - b[1], d2 = b[2] - ax, d3 = b[3] - ay;
            match = match && fminf(fminf(d0, d1), fminf(d2, d3)) > 0.0f;
            float mx = fmaxf(fmaxf(d0, d1), fmaxf(d2, d3));
            match = match && mx > lower && mx < upper;
            float area = (b[2] - b[0]) * (b[3] - b[1]);
            float v = (match ? 1.0f : 0.0f) * (1e8f - area);
            if (v > best)
                best = v, arg = (int32_t)g;
        }
        out[a] = G == 0 || best < 1e-5f ? -1 : arg;
    }
}

int ak_fcos_match(const ak_fcos_cfg *cfg, const ak_det_levels *lv, const float *priors, const float *gt_boxes,
                  int64_t n_gt, int32_t *out, ak_error *err) {
    if (n_gt < 0)
        return ak_error_set(err, AK_EINVAL, "fcos match: %lld gts", (long long)n_gt);
    if (lv->A != 1)
        return ak_error_set(err, AK_EINVAL, "fcos match: %d priors per location (expected 1)", lv->A);
    if (cfg->style == AK_DET_MMDET) {
        if (lv->n > cfg->n_levels)
            return ak_error_set(err, AK_EINVAL, "fcos match: %d levels, %d regress ranges", lv->n, cfg->n_levels);
        match_mmdet(cfg, lv, priors, gt_boxes, n_gt, out);
    } else
        match_tv(cfg, lv, priors, gt_boxes, n_gt, out);
    return AK_OK;
}
