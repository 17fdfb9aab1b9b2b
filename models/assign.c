/* See assign.h. Two passes over (gt, anchor) pairs: maxima, then labels and low-quality matches. */
#include "models/assign.h"

#include <math.h>
#include <stdlib.h>

ak_iou_assign_cfg ak_iou_assign_cfg_retinanet(ak_det_style style) {
    ak_iou_assign_cfg c = {style, 0.5f, 0.4f, 0.0f, true, true, -1.0f, style == AK_DET_MMDET ? 1e-6f : 0.0f};
    return c;
}

static float box_area(const float *b) { return (b[2] - b[0]) * (b[3] - b[1]); }

/* IoU(g, a), or -1 for anchors inside an ignore region (mmdet sets the whole column to -1). */
static float pair_iou(const float *gt, const float *area_g, int64_t g, const float *anchors, const float *area_a,
                      int64_t a, const uint8_t *ignored, float eps) {
    if (ignored && ignored[a])
        return -1.0f;
    return ak_iou_pair(gt + 4 * g, area_g[g], anchors + 4 * a, area_a[a], eps);
}

int ak_assign_max_iou(const ak_iou_assign_cfg *cfg, const float *gt, int64_t G, const float *ignore,
                      int64_t n_ignore, const float *anchors, int64_t A, const uint8_t *valid, int32_t *out,
                      ak_error *err) {
    if (G < 0 || A < 0 || n_ignore < 0)
        return ak_error_set(err, AK_EINVAL, "assign: negative count (G %lld, A %lld, ignore %lld)", (long long)G,
                            (long long)A, (long long)n_ignore);
    for (int64_t a = 0; a < A; a++)
        out[a] = valid && !valid[a] ? AK_ASSIGN_IGNORE : AK_ASSIGN_NEG;
    if (G == 0 || A == 0)
        return AK_OK;
    float *area_g = malloc((size_t)G * sizeof *area_g), *area_a = malloc((size_t)A * sizeof *area_a);
    float *gt_max = malloc((size_t)G * sizeof *gt_max);
    int32_t *a_arg = malloc((size_t)A * sizeof *a_arg);
    uint8_t *ignored = NULL;
    int rc = AK_OK;
    if (!area_g || !area_a || !gt_max || !a_arg) {
        rc = ak_error_set(err, AK_ENOMEM, "assign: out of memory for %lld gts x %lld anchors", (long long)G,
                          (long long)A);
        goto out;
    }
    for (int64_t g = 0; g < G; g++)
        area_g[g] = box_area(gt + 4 * g), gt_max[g] = -INFINITY;
    for (int64_t a = 0; a < A; a++)
        area_a[a] = box_area(anchors + 4 * a);
    bool mm = cfg->style == AK_DET_MMDET;
    if (mm && cfg->ignore_iof_thr > 0.0f && ignore && n_ignore > 0) {
        if (!(ignored = calloc((size_t)A, 1))) {
            rc = ak_error_set(err, AK_ENOMEM, "assign: out of memory for %lld anchors", (long long)A);
            goto out;
        }
        for (int64_t a = 0; a < A; a++) {
            if (valid && !valid[a])
                continue;
            for (int64_t k = 0; k < n_ignore; k++) {
                /* IoF: bbox_overlaps(anchors, ignore, mode='iof'): inter / max(area_anchor, eps) */
                const float *b = ignore + 4 * k, *an = anchors + 4 * a;
                float lx = an[0] > b[0] ? an[0] : b[0], ly = an[1] > b[1] ? an[1] : b[1];
                float rx = an[2] < b[2] ? an[2] : b[2], ry = an[3] < b[3] ? an[3] : b[3];
                float w = rx - lx > 0.0f ? rx - lx : 0.0f, h = ry - ly > 0.0f ? ry - ly : 0.0f;
                float den = area_a[a] > cfg->eps ? area_a[a] : cfg->eps;
                if (w * h / den > cfg->ignore_iof_thr) {
                    ignored[a] = 1;
                    break;
                }
            }
        }
    }
    /* pass 1: per-anchor max / first argmax, per-gt max */
    for (int64_t a = 0; a < A; a++) {
        if (valid && !valid[a])
            continue;
        float best = -INFINITY;
        int32_t arg = 0;
        for (int64_t g = 0; g < G; g++) {
            float v = pair_iou(gt, area_g, g, anchors, area_a, a, ignored, cfg->eps);
            if (v > best)
                best = v, arg = (int32_t)g;
            if (v > gt_max[g])
                gt_max[g] = v;
        }
        a_arg[a] = arg;
        if (mm)
            out[a] = best >= cfg->pos_iou_thr ? arg
                     : (best >= 0.0f && best < cfg->neg_iou_thr) ? AK_ASSIGN_NEG
                                                                 : AK_ASSIGN_IGNORE;
        else
            out[a] = best >= cfg->pos_iou_thr ? arg : best >= cfg->neg_iou_thr ? AK_ASSIGN_IGNORE : AK_ASSIGN_NEG;
    }
    if (!cfg->match_low_quality)
        goto out;
    /* pass 2: low-quality matches */
    if (mm) {
        for (int64_t g = 0; g < G; g++) {
            if (!(gt_max[g] >= cfg->min_pos_iou))
                continue;
            for (int64_t a = 0; a < A; a++) {
                if (valid && !valid[a])
                    continue;
                if (pair_iou(gt, area_g, g, anchors, area_a, a, ignored, cfg->eps) == gt_max[g]) {
                    out[a] = (int32_t)g;
                    if (!cfg->gt_max_assign_all)
                        break;
                }
            }
        }
    } else {
        for (int64_t a = 0; a < A; a++) {
            if (valid && !valid[a])
                continue;
            for (int64_t g = 0; g < G; g++)
                if (pair_iou(gt, area_g, g, anchors, area_a, a, ignored, cfg->eps) == gt_max[g]) {
                    out[a] = a_arg[a];
                    break;
                }
        }
    }
out:
    free(area_g), free(area_a), free(gt_max), free(a_arg), free(ignored);
    return rc;
}
