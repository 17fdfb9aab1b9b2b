/* See nms.h. */
#include "models/nms.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Stable merge sort of indices by decreasing value (deterministic; NaN never occurs in scores that
 * passed a threshold, and compares as "not greater" otherwise). */
static void merge_desc(const float *v, int64_t *a, int64_t *tmp, int64_t n) {
    if (n < 2)
        return;
    int64_t h = n / 2;
    merge_desc(v, a, tmp, h);
    merge_desc(v, a + h, tmp, n - h);
    int64_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = v[a[j]] > v[a[i]] ? a[j++] : a[i++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, (size_t)n * sizeof *a);
}

void ak_argsort_desc(const float *v, int64_t n, int64_t *order) {
    for (int64_t i = 0; i < n; i++)
        order[i] = i;
    int64_t *tmp = malloc((size_t)(n > 0 ? n : 1) * sizeof *tmp);
    if (!tmp) { /* insertion sort fallback: same (stable) result, no memory */
        for (int64_t i = 1; i < n; i++) {
            int64_t x = order[i], j = i;
            for (; j > 0 && v[x] > v[order[j - 1]]; j--)
                order[j] = order[j - 1];
            order[j] = x;
        }
        return;
    }
    merge_desc(v, order, tmp, n);
    free(tmp);
}

int64_t ak_nms(const float *boxes, const float *scores, int64_t n, double iou_thr, ak_nms_impl impl, int64_t *keep,
               ak_error *err) {
    if (n < 0 || isnan(iou_thr))
        return ak_error_set(err, AK_EINVAL, "nms: bad arguments (n %lld, iou threshold %g)", (long long)n, iou_thr);
    if (n == 0)
        return 0;
    int64_t *order = malloc((size_t)n * sizeof *order);
    float *areas = malloc((size_t)n * sizeof *areas);
    unsigned char *supp = calloc((size_t)n, 1);
    if (!order || !areas || !supp) {
        free(order), free(areas), free(supp);
        return ak_error_set(err, AK_ENOMEM, "nms: out of memory for %lld boxes", (long long)n);
    }
    for (int64_t i = 0; i < n; i++)
        areas[i] = (boxes[4 * i + 2] - boxes[4 * i]) * (boxes[4 * i + 3] - boxes[4 * i + 1]);
    ak_argsort_desc(scores, n, order);
    float thr_f = (float)iou_thr;
    int64_t nk = 0;
    for (int64_t a = 0; a < n; a++) {
        int64_t i = order[a];
        if (supp[i])
            continue;
        keep[nk++] = i;
        const float *bi = boxes + 4 * i;
        for (int64_t b = a + 1; b < n; b++) {
            int64_t j = order[b];
            if (supp[j])
                continue;
            const float *bj = boxes + 4 * j;
            float xx1 = fmaxf(bi[0], bj[0]), yy1 = fmaxf(bi[1], bj[1]);
            float xx2 = fminf(bi[2], bj[2]), yy2 = fminf(bi[3], bj[3]);
            float w = fmaxf(0.0f, xx2 - xx1), h = fmaxf(0.0f, yy2 - yy1);
            float inter = w * h;
            float ovr = inter / (areas[i] + areas[j] - inter);
            if (impl == AK_NMS_MMCV ? ovr > thr_f : (double)ovr > iou_thr)
                supp[j] = 1;
        }
    }
    free(order), free(areas), free(supp);
    return nk;
}

/* Boxes shifted by label * (max coordinate + 1), float arithmetic as torchvision / mmcv. */
static float *offset_boxes(const float *boxes, const int32_t *labels, int64_t n) {
    float *out = malloc((size_t)n * 4 * sizeof *out);
    if (!out)
        return NULL;
    float mx = boxes[0];
    for (int64_t i = 1; i < 4 * n; i++)
        mx = boxes[i] > mx ? boxes[i] : mx;
    float step = mx + 1.0f;
    for (int64_t i = 0; i < n; i++) {
        float off = (float)labels[i] * step;
        for (int k = 0; k < 4; k++)
            out[4 * i + k] = boxes[4 * i + k] + off;
    }
    return out;
}

/* Stable merge sort of indices by increasing label. */
static void merge_label(const int32_t *lab, int64_t *a, int64_t *tmp, int64_t n) {
    if (n < 2)
        return;
    int64_t h = n / 2;
    merge_label(lab, a, tmp, h);
    merge_label(lab, a + h, tmp, n - h);
    int64_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = lab[a[j]] < lab[a[i]] ? a[j++] : a[i++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, (size_t)n * sizeof *a);
}

/* NMS within each label (boxes of a label keep their input order), then all kept indices ordered by
 * score, ties by index. */
static int64_t per_class(const float *boxes, const float *scores, const int32_t *labels, int64_t n, double thr,
                         ak_nms_impl impl, int64_t *keep, ak_error *err) {
    int64_t *idx = malloc((size_t)n * sizeof *idx), *tmp = malloc((size_t)n * sizeof *tmp);
    float *sb = malloc((size_t)n * 4 * sizeof *sb), *ss = calloc((size_t)n, sizeof *ss);
    unsigned char *mask = calloc((size_t)n, 1);
    int64_t rc = 0;
    if (!idx || !tmp || !sb || !ss || !mask) {
        rc = ak_error_set(err, AK_ENOMEM, "batched_nms: out of memory for %lld boxes", (long long)n);
        goto out;
    }
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    merge_label(labels, idx, tmp, n);
    for (int64_t s = 0; s < n;) {
        int64_t e = s;
        while (e < n && labels[idx[e]] == labels[idx[s]])
            e++;
        for (int64_t t = s; t < e; t++) {
            memcpy(sb + 4 * (t - s), boxes + 4 * idx[t], 4 * sizeof *sb);
            ss[t - s] = scores[idx[t]];
        }
        int64_t k = ak_nms(sb, ss, e - s, thr, impl, tmp, err);
        if (k < 0) {
            rc = k;
            goto out;
        }
        for (int64_t t = 0; t < k; t++)
            mask[idx[s + tmp[t]]] = 1;
        s = e;
    }
    int64_t nk = 0;
    for (int64_t i = 0; i < n; i++)
        if (mask[i]) {
            idx[nk] = i;
            ss[nk++] = scores[i];
        }
    ak_argsort_desc(ss, nk, tmp);
    for (int64_t t = 0; t < nk; t++)
        keep[t] = idx[tmp[t]];
    rc = nk;
out:
    free(idx), free(tmp), free(sb), free(ss), free(mask);
    return rc;
}

int64_t ak_batched_nms(const float *boxes, const float *scores, const int32_t *labels, int64_t n, double iou_thr,
                       ak_batched_nms_mode mode, int64_t *keep, ak_error *err) {
    if (n < 0 || isnan(iou_thr))
        return ak_error_set(err, AK_EINVAL, "batched_nms: bad arguments (n %lld, iou threshold %g)", (long long)n,
                            iou_thr);
    if (n == 0)
        return 0;
    if (mode == AK_BNMS_TORCHVISION)
        mode = 4 * n > 4000 ? AK_BNMS_PER_CLASS : AK_BNMS_COORD_TRICK;
    if (mode == AK_BNMS_PER_CLASS)
        return per_class(boxes, scores, labels, n, iou_thr, AK_NMS_TORCHVISION, keep, err);
    if (mode != AK_BNMS_COORD_TRICK && mode != AK_BNMS_MMCV)
        return ak_error_set(err, AK_EINVAL, "batched_nms: unknown mode %d", (int)mode);
    float *shifted = offset_boxes(boxes, labels, n);
    if (!shifted)
        return ak_error_set(err, AK_ENOMEM, "batched_nms: out of memory for %lld boxes", (long long)n);
    int64_t k;
    if (mode == AK_BNMS_COORD_TRICK)
        k = ak_nms(shifted, scores, n, iou_thr, AK_NMS_TORCHVISION, keep, err);
    else if (n < 10000)
        k = ak_nms(shifted, scores, n, iou_thr, AK_NMS_MMCV, keep, err);
    else
        k = per_class(shifted, scores, labels, n, iou_thr, AK_NMS_MMCV, keep, err);
    free(shifted);
    return k;
}
