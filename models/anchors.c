/* See anchors.h. */
#include "models/anchors.h"

#include <math.h>
#include <string.h>

ak_anchor_cfg ak_anchor_cfg_retinanet(ak_det_style style) {
    ak_anchor_cfg c;
    memset(&c, 0, sizeof c);
    c.style = style;
    c.n_levels = 5;
    c.n_ratios = 3;
    c.ratios[0] = 0.5f, c.ratios[1] = 1.0f, c.ratios[2] = 2.0f;
    c.octave_base_scale = 4.0f;
    c.scales_per_octave = 3;
    c.center_offset = 0.0f;
    c.n_sizes = 3;
    for (int l = 0; l < 5; l++) {
        c.strides[l] = 8 << l;
        int x = 32 << l;
        /* torchvision: int(x * 2 ** (i / 3)) in double, truncated */
        for (int i = 0; i < 3; i++)
            c.sizes[l][i] = (float)(int)((double)x * pow(2.0, (double)i / 3.0));
    }
    return c;
}

ak_anchor_cfg ak_anchor_cfg_fcos_torchvision(void) {
    ak_anchor_cfg c;
    memset(&c, 0, sizeof c);
    c.style = AK_DET_TORCHVISION;
    c.n_levels = 5;
    c.n_ratios = 1;
    c.ratios[0] = 1.0f;
    c.n_sizes = 1;
    c.scales_per_octave = 1;
    c.octave_base_scale = 1.0f;
    for (int l = 0; l < 5; l++) {
        c.strides[l] = 8 << l;
        c.sizes[l][0] = (float)(8 << l);
    }
    return c;
}

int ak_anchor_count(const ak_anchor_cfg *cfg) {
    return cfg->n_ratios * (cfg->style == AK_DET_MMDET ? cfg->scales_per_octave : cfg->n_sizes);
}

/* Base anchors (A, 4) of a level, centred at the origin (torchvision) or at center_offset*stride. */
static int base_anchors(const ak_anchor_cfg *cfg, int level, float *base, ak_error *err) {
    int ns = cfg->style == AK_DET_MMDET ? cfg->scales_per_octave : cfg->n_sizes;
    if (cfg->n_ratios < 1 || ns < 1 || cfg->n_ratios * ns > AK_DET_MAX_ANCHORS)
        return ak_error_set(err, AK_EINVAL, "anchors: %d ratios x %d scales (at most %d anchors per location)",
                            cfg->n_ratios, ns, AK_DET_MAX_ANCHORS);
    for (int r = 0; r < cfg->n_ratios; r++) {
        if (!(cfg->ratios[r] > 0.0f))
            return ak_error_set(err, AK_EINVAL, "anchors: ratios[%d] = %g must be > 0", r, (double)cfg->ratios[r]);
        float h_r = sqrtf(cfg->ratios[r]), w_r = 1.0f / h_r;
        for (int s = 0; s < ns; s++) {
            float *b = base + 4 * (r * ns + s);
            if (cfg->style == AK_DET_MMDET) {
                float stride = (float)cfg->strides[level];
                float scale = (float)pow(2.0, (double)s / (double)cfg->scales_per_octave) * cfg->octave_base_scale;
                float w = stride * w_r * scale, h = stride * h_r * scale;
                float c = cfg->center_offset * stride;
                b[0] = c - 0.5f * w, b[1] = c - 0.5f * h, b[2] = c + 0.5f * w, b[3] = c + 0.5f * h;
            } else {
                float size = cfg->sizes[level][s];
                if (!(size > 0.0f))
                    return ak_error_set(err, AK_EINVAL, "anchors: sizes[%d][%d] = %g must be > 0", level, s,
                                        (double)size);
                float w = w_r * size, h = h_r * size;
                b[0] = nearbyintf(-w / 2.0f), b[1] = nearbyintf(-h / 2.0f);
                b[2] = nearbyintf(w / 2.0f), b[3] = nearbyintf(h / 2.0f);
            }
        }
    }
    return AK_OK;
}

int ak_anchors_level(const ak_anchor_cfg *cfg, int level, int feat_h, int feat_w, int in_h, int in_w, float *out,
                     ak_error *err) {
    if (level < 0 || level >= cfg->n_levels || level >= AK_DET_MAX_LEVELS)
        return ak_error_set(err, AK_EINVAL, "anchors: level %d out of range (%d levels)", level, cfg->n_levels);
    if (feat_h < 1 || feat_w < 1)
        return ak_error_set(err, AK_EINVAL, "anchors: feature size %dx%d at level %d", feat_h, feat_w, level);
    float base[4 * AK_DET_MAX_ANCHORS];
    AK_TRY(base_anchors(cfg, level, base, err));
    int A = ak_anchor_count(cfg);
    int sh, sw;
    if (cfg->style == AK_DET_MMDET) {
        sh = sw = cfg->strides[level];
        if (sh < 1)
            return ak_error_set(err, AK_EINVAL, "anchors: strides[%d] = %d must be >= 1", level, sh);
    } else {
        if (in_h < feat_h || in_w < feat_w)
            return ak_error_set(err, AK_EINVAL, "anchors: input %dx%d smaller than level %d features %dx%d", in_h,
                                in_w, level, feat_h, feat_w);
        sh = in_h / feat_h, sw = in_w / feat_w;
    }
    for (int y = 0; y < feat_h; y++)
        for (int x = 0; x < feat_w; x++) {
            float sx = (float)(x * sw), sy = (float)(y * sh);
            float *o = out + 4 * ((int64_t)(y * feat_w + x) * A);
            for (int a = 0; a < A; a++) {
                o[4 * a + 0] = base[4 * a + 0] + sx;
                o[4 * a + 1] = base[4 * a + 1] + sy;
                o[4 * a + 2] = base[4 * a + 2] + sx;
                o[4 * a + 3] = base[4 * a + 3] + sy;
            }
        }
    return AK_OK;
}

void ak_anchor_valid_flags(int feat_h, int feat_w, int stride, int n_anchors, int pad_h, int pad_w, uint8_t *out) {
    int vh = (pad_h + stride - 1) / stride, vw = (pad_w + stride - 1) / stride;
    vh = vh < feat_h ? vh : feat_h;
    vw = vw < feat_w ? vw : feat_w;
    for (int y = 0; y < feat_h; y++)
        for (int x = 0; x < feat_w; x++)
            memset(out + (int64_t)(y * feat_w + x) * n_anchors, y < vh && x < vw, (size_t)n_anchors);
}
