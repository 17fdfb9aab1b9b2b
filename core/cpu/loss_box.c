/* CPU kernels of the box regression losses: mmdet's IoU loss and torchvision's GIoU loss on
 * aligned (m,4) x1y1x2y2 boxes. See core/cpu/loss.h for the conventions.
 *
 * Each box is computed in double from the float inputs (the value is then rounded once), which is
 * at least as accurate as the float32 reference code. The gradients are the hand-derived chain rule
 * of the exact expressions in core/ops/loss.h, with PyTorch's subgradient conventions: maximum /
 * minimum split a tie in half, clamp(min) passes the gradient where input >= min, and torchvision's
 * intersection mask (strict >) blocks it. */
#include "core/cpu/loss.h"

#include <math.h>

#define AK_BOX_PAR_MIN 4096

/* d max(a, b) / da and d min(a, b) / da as torch.maximum / torch.minimum define them. */
static inline double dmax(double a, double b) { return a > b ? 1.0 : (a == b ? 0.5 : 0.0); }
static inline double dmin(double a, double b) { return a < b ? 1.0 : (a == b ? 0.5 : 0.0); }

typedef struct iou_terms {
    double area1, ww, hh, wc, hc, overlap, uni, uni_c, iou, iou_c;
} iou_terms;

static inline void iou_forward(const float *p, const float *t, double eps, iou_terms *r) {
    double area2 = ((double)t[2] - t[0]) * ((double)t[3] - t[1]);
    r->area1 = ((double)p[2] - p[0]) * ((double)p[3] - p[1]);
    r->ww = fmin(p[2], t[2]) - fmax(p[0], t[0]);
    r->hh = fmin(p[3], t[3]) - fmax(p[1], t[1]);
    r->wc = r->ww > 0.0 ? r->ww : 0.0;
    r->hc = r->hh > 0.0 ? r->hh : 0.0;
    r->overlap = r->wc * r->hc;
    r->uni = r->area1 + area2 - r->overlap;
    r->uni_c = r->uni > eps ? r->uni : eps;
    r->iou = r->overlap / r->uni_c;
    r->iou_c = r->iou > eps ? r->iou : eps;
}

static inline double iou_value(int mode, double iou_c) {
    return mode == 0 ? 1.0 - iou_c : (mode == 1 ? 1.0 - iou_c * iou_c : -log(iou_c));
}

double ak_cpu_iou_loss_fwd(float *out, const float *p, const float *t, const float *w, int64_t m, int mode,
                           float eps) {
    double part[AK_LOSS_CHUNKS];
#pragma omp parallel for schedule(static) if (m > AK_BOX_PAR_MIN)
    for (int k = 0; k < AK_LOSS_CHUNKS; k++) {
        double s = 0.0;
        for (int64_t i = ak_loss_chunk(m, k); i < ak_loss_chunk(m, k + 1); i++) {
            iou_terms r;
            iou_forward(p + 4 * i, t + 4 * i, eps, &r);
            double l = iou_value(mode, r.iou_c) * (w ? w[i] : 1.0f);
            if (out)
                out[i] = (float)l;
            s += l;
        }
        part[k] = s;
    }
    return ak_cpu_loss_combine(part);
}

void ak_cpu_iou_loss_bwd(float *dp, const float *p, const float *t, const float *w, int64_t m, int mode, float eps,
                         const float *dy, float coef) {
#pragma omp parallel for schedule(static) if (m > AK_BOX_PAR_MIN)
    for (int64_t i = 0; i < m; i++) {
        const float *pi = p + 4 * i, *ti = t + 4 * i;
        double g = (double)(dy ? dy[i] : coef) * (w ? w[i] : 1.0f);
        iou_terms r;
        iou_forward(pi, ti, eps, &r);
        double d_iouc = mode == 0 ? -1.0 : (mode == 1 ? -2.0 * r.iou_c : -1.0 / r.iou_c);
        double g_iou = r.iou >= eps ? g * d_iouc : 0.0;
        double g_uni = g_iou * (-r.overlap / (r.uni_c * r.uni_c)) * dmax(r.uni, eps);
        double g_ov = g_iou / r.uni_c - g_uni; /* union = area1 + area2 - overlap */
        double g_ww = r.ww >= 0.0 ? g_ov * r.hc : 0.0;
        double g_hh = r.hh >= 0.0 ? g_ov * r.wc : 0.0;
        double pw = (double)pi[2] - pi[0], ph = (double)pi[3] - pi[1];
        float *d = dp + 4 * i;
        d[0] += (float)(-g_ww * dmax(pi[0], ti[0]) - ph * g_uni);
        d[1] += (float)(-g_hh * dmax(pi[1], ti[1]) - pw * g_uni);
        d[2] += (float)(g_ww * dmin(pi[2], ti[2]) + ph * g_uni);
        d[3] += (float)(g_hh * dmin(pi[3], ti[3]) + pw * g_uni);
    }
}

typedef struct giou_terms {
    double xk1, yk1, xk2, yk2, inter, uni, iou, cw, ch, c;
    int mask;
} giou_terms;

static inline void giou_forward(const float *p, const float *t, double eps, giou_terms *r) {
    r->xk1 = fmax(p[0], t[0]);
    r->yk1 = fmax(p[1], t[1]);
    r->xk2 = fmin(p[2], t[2]);
    r->yk2 = fmin(p[3], t[3]);
    r->mask = r->yk2 > r->yk1 && r->xk2 > r->xk1;
    r->inter = r->mask ? (r->xk2 - r->xk1) * (r->yk2 - r->yk1) : 0.0;
    r->uni = ((double)p[2] - p[0]) * ((double)p[3] - p[1]) + ((double)t[2] - t[0]) * ((double)t[3] - t[1]) - r->inter;
    r->iou = r->inter / (r->uni + eps);
    r->cw = fmax(p[2], t[2]) - fmin(p[0], t[0]);
    r->ch = fmax(p[3], t[3]) - fmin(p[1], t[1]);
    r->c = r->cw * r->ch;
}

double ak_cpu_giou_loss_fwd(float *out, const float *p, const float *t, const float *w, int64_t m, float eps) {
    double part[AK_LOSS_CHUNKS];
#pragma omp parallel for schedule(static) if (m > AK_BOX_PAR_MIN)
    for (int k = 0; k < AK_LOSS_CHUNKS; k++) {
        double s = 0.0;
        for (int64_t i = ak_loss_chunk(m, k); i < ak_loss_chunk(m, k + 1); i++) {
            giou_terms r;
            giou_forward(p + 4 * i, t + 4 * i, eps, &r);
            double l = (1.0 - (r.iou - (r.c - r.uni) / (r.c + eps))) * (w ? w[i] : 1.0f);
            if (out)
                out[i] = (float)l;
            s += l;
        }
        part[k] = s;
    }
    return ak_cpu_loss_combine(part);
}

void ak_cpu_giou_loss_bwd(float *dp, const float *p, const float *t, const float *w, int64_t m, float eps,
                          const float *dy, float coef) {
#pragma omp parallel for schedule(static) if (m > AK_BOX_PAR_MIN)
    for (int64_t i = 0; i < m; i++) {
        const float *pi = p + 4 * i, *ti = t + 4 * i;
        double g = (double)(dy ? dy[i] : coef) * (w ? w[i] : 1.0f);
        giou_terms r;
        giou_forward(pi, ti, eps, &r);
        double ue = r.uni + eps, ce = r.c + eps;
        /* l = 1 - I/(U+eps) + (C-U)/(C+eps), U = A1 + A2 - I */
        double g_u = g * (r.inter / (ue * ue) - 1.0 / ce);
        double g_i = g * (-1.0 / ue) - g_u;
        double g_c = g * (1.0 / ce - (r.c - r.uni) / (ce * ce));
        double iw = r.mask ? r.xk2 - r.xk1 : 0.0, ih = r.mask ? r.yk2 - r.yk1 : 0.0;
        double gi_x = r.mask ? g_i * ih : 0.0, gi_y = r.mask ? g_i * iw : 0.0; /* dI/dxk2 = ih, dI/dyk2 = iw */
        double pw = (double)pi[2] - pi[0], ph = (double)pi[3] - pi[1];
        float *d = dp + 4 * i;
        d[0] += (float)(-gi_x * dmax(pi[0], ti[0]) - g_c * r.ch * dmin(pi[0], ti[0]) - ph * g_u);
        d[1] += (float)(-gi_y * dmax(pi[1], ti[1]) - g_c * r.cw * dmin(pi[1], ti[1]) - pw * g_u);
        d[2] += (float)(gi_x * dmin(pi[2], ti[2]) + g_c * r.ch * dmax(pi[2], ti[2]) + ph * g_u);
        d[3] += (float)(gi_y * dmin(pi[3], ti[3]) + g_c * r.cw * dmax(pi[3], ti[3]) + pw * g_u);
    }
}
