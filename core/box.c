/* Pairwise box IoU; see box.h. Float arithmetic in the reference libraries' order so that the
 * values are the ones torchvision / mmdet compute, bit for bit where the compiler keeps the order. */
#include "core/box.h"

void ak_box_area(float *out, const float *boxes, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        out[i] = (boxes[4 * i + 2] - boxes[4 * i]) * (boxes[4 * i + 3] - boxes[4 * i + 1]);
}

void ak_box_iou(float *out, const float *a, int64_t na, const float *b, int64_t nb, float eps) {
#pragma omp parallel for schedule(static) if (na * nb > 65536)
    for (int64_t i = 0; i < na; i++) {
        const float *p = a + 4 * i;
        float area_a = (p[2] - p[0]) * (p[3] - p[1]);
        for (int64_t j = 0; j < nb; j++) {
            const float *q = b + 4 * j;
            float area_b = (q[2] - q[0]) * (q[3] - q[1]);
            float w = (p[2] < q[2] ? p[2] : q[2]) - (p[0] > q[0] ? p[0] : q[0]);
            float h = (p[3] < q[3] ? p[3] : q[3]) - (p[1] > q[1] ? p[1] : q[1]);
            float inter = (w > 0.0f ? w : 0.0f) * (h > 0.0f ? h : 0.0f);
            float uni = area_a + area_b - inter;
            if (eps > 0.0f && !(uni > eps))
                uni = eps;
            out[i * nb + j] = inter / uni;
        }
    }
}
