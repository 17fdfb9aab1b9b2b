/* See seg_metrics.h.
 *
 * add() builds a joint histogram of (ground-truth class, predicted class) with one extra row for
 * "valid but in no class", one extra column for "predicted no class" and one discarded row for
 * ignored pixels, so the per-pixel loop has no branch: two table lookups and an increment. Four
 * interleaved histograms hide the store-to-load stalls on runs of equal labels. The counts are then
 * folded into intersect / pred_area / gt_area.
 */
#include "eval/seg_metrics.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/cityscapes_labels.h"
#include "eval/np_sum.h"

int ak_seg_acc_init(ak_seg_acc *acc, int num_classes, ak_error *err) {
    memset(acc, 0, sizeof *acc);
    if (num_classes < 1 || num_classes >= AK_SEG_MAX_CLASSES)
        return ak_error_set(err, AK_EINVAL, "seg metrics: num_classes must be in 1..%d, got %d",
                            AK_SEG_MAX_CLASSES - 1, num_classes);
    acc->num_classes = num_classes;
    return AK_OK;
}

void ak_seg_cityscapes_lut(uint8_t lut[256]) {
    for (int i = 0; i < 256; i++)
        lut[i] = ak_cityscapes_train_id(i);
}

enum { BLOCK = 1 << 16 }; /* pixels per uint32 flush; far below 2^32 */

/* hist has (C + 2) rows of (C + 1) columns: rows 0..C-1 classes, row C "valid, no class", row
 * C + 1 ignored; columns 0..C-1 classes, column C "no class". */
static void histogram(const uint8_t *gt, const uint8_t *pred, int64_t n, const int32_t *row, const int32_t *col,
                      int64_t *hist, uint32_t *h, int bins) {
    uint32_t *h0 = h, *h1 = h + bins, *h2 = h + 2 * bins, *h3 = h + 3 * bins;
    for (int64_t b0 = 0; b0 < n; b0 += BLOCK) {
        int64_t b1 = b0 + BLOCK < n ? b0 + BLOCK : n;
        memset(h, 0, 4 * (size_t)bins * sizeof *h);
        int64_t i = b0;
        for (; i + 3 < b1; i += 4) {
            h0[row[gt[i]] + col[pred[i]]]++;
            h1[row[gt[i + 1]] + col[pred[i + 1]]]++;
            h2[row[gt[i + 2]] + col[pred[i + 2]]]++;
            h3[row[gt[i + 3]] + col[pred[i + 3]]]++;
        }
        for (; i < b1; i++)
            h0[row[gt[i]] + col[pred[i]]]++;
        for (int j = 0; j < bins; j++)
            hist[j] += (int64_t)h0[j] + h1[j] + h2[j] + h3[j];
    }
}

int ak_seg_acc_add(ak_seg_acc *acc, const uint8_t *gt, const uint8_t *pred, int64_t n, const uint8_t *gt_lut,
                   ak_error *err) {
    const int C = acc->num_classes, W = C + 1, bins = (C + 2) * W;
    if (C < 1 || C >= AK_SEG_MAX_CLASSES)
        return ak_error_set(err, AK_EINVAL, "seg metrics: accumulator not initialised (num_classes %d)", C);
    int32_t row[256], col[256];
    for (int v = 0; v < 256; v++) {
        int g = gt_lut ? gt_lut[v] : v;
        row[v] = (g == AK_SEG_IGNORE ? C + 1 : g < C ? g : C) * W;
        col[v] = v < C ? v : C;
    }
    int64_t *total = calloc((size_t)bins, sizeof *total);
    if (!total)
        return ak_error_set(err, AK_ENOMEM, "seg metrics: out of memory");
    const int64_t chunk = 1 << 18, n_chunks = (n + chunk - 1) / chunk;
    int failed = 0;
#pragma omp parallel if (n_chunks > 1) reduction(| : failed)
    {
        /* local int64 counts, then two uint32 block histograms */
        int64_t *local = calloc((size_t)bins, sizeof(int64_t) + 4 * sizeof(uint32_t));
        uint32_t *h = local ? (uint32_t *)(void *)(local + bins) : NULL;
        failed |= !local;
#pragma omp for schedule(static)
        for (int64_t c = 0; c < n_chunks; c++) {
            int64_t lo = c * chunk, len = lo + chunk < n ? chunk : n - lo;
            if (local)
                histogram(gt + lo, pred + lo, len, row, col, local, h, bins);
        }
        /* Integer sums: the order of this reduction cannot change the result. */
#pragma omp critical(ak_seg_hist)
        for (int j = 0; local && j < bins; j++)
            total[j] += local[j];
        free(local);
    }
    if (failed) {
        free(total);
        return ak_error_set(err, AK_ENOMEM, "seg metrics: out of memory");
    }
    for (int g = 0; g <= C; g++)
        for (int p = 0; p <= C; p++) {
            int64_t v = total[g * W + p];
            if (g < C)
                acc->gt_area[g] += v;
            if (p < C)
                acc->pred_area[p] += v;
            if (g == p && g < C)
                acc->intersect[g] += v;
        }
    free(total);
    return AK_OK;
}

int ak_seg_acc_merge(ak_seg_acc *dst, const ak_seg_acc *src, ak_error *err) {
    if (dst->num_classes != src->num_classes)
        return ak_error_set(err, AK_EINVAL, "seg metrics: merging %d-class counts into %d-class counts",
                            src->num_classes, dst->num_classes);
    for (int c = 0; c < dst->num_classes; c++) {
        dst->intersect[c] += src->intersect[c];
        dst->pred_area[c] += src->pred_area[c];
        dst->gt_area[c] += src->gt_area[c];
    }
    return AK_OK;
}

/* numpy.nanmean: NaNs replaced by 0, summed in numpy's order, divided by the non-NaN count. */
static double nanmean(const double *v, int n) {
    double z[AK_SEG_MAX_CLASSES];
    int cnt = 0;
    for (int i = 0; i < n; i++) {
        z[i] = isnan(v[i]) ? 0.0 : v[i];
        cnt += !isnan(v[i]);
    }
    return cnt ? ak_np_sum(z, n) / cnt : NAN;
}

void ak_seg_compute(const ak_seg_acc *acc, ak_seg_metrics *out) {
    memset(out, 0, sizeof *out);
    const int C = acc->num_classes;
    out->num_classes = C;
    for (int c = 0; c < C; c++) {
        int64_t i = acc->intersect[c], u = acc->pred_area[c] + acc->gt_area[c] - i;
        out->union_[c] = u;
        out->iou[c] = u ? (double)i / (double)u : NAN;
        out->acc[c] = acc->gt_area[c] ? (double)i / (double)acc->gt_area[c] : NAN;
        out->valid_pixels += acc->gt_area[c];
        out->correct_pixels += i;
    }
    out->aacc = out->valid_pixels ? (double)out->correct_pixels / (double)out->valid_pixels : NAN;
    out->miou = nanmean(out->iou, C);
    out->macc = nanmean(out->acc, C);
}
