/* FGD's foreground / background masks from ground-truth boxes and its attention maps; the edge
 * rules are written out in fgd.h (they follow [FGD] fgd.py, float32 arithmetic included). */
#include <math.h>
#include <string.h>

#include "baselines/fgd.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"
#include "core/ops/softmax.h"

int ak_fgd_masks(const ak_gt_boxes *gt, int64_t N, int64_t H, int64_t W, float *fg, float *bg, ak_error *err) {
    if (!gt)
        return ak_error_set(err, AK_EINVAL, "fgd: ground-truth boxes are required (task det)");
    if (gt->n_images != N)
        return ak_error_set(err, AK_EINVAL, "fgd: %d images of boxes for a batch of %lld", gt->n_images, (long long)N);
    memset(fg, 0, (size_t)(N * H * W) * sizeof *fg);
    for (int64_t i = 0; i < N; i++) {
        int ih = gt->img_hw ? gt->img_hw[2 * i] : gt->img_h, iw = gt->img_hw ? gt->img_hw[2 * i + 1] : gt->img_w;
        int count = gt->count ? gt->count[i] : 0;
        if (ih <= 0 || iw <= 0 || count < 0 || (count > 0 && !gt->xyxy[i]))
            return ak_error_set(err, AK_EINVAL, "fgd: image %lld has size %dx%d and %d boxes", (long long)i, ih, iw,
                                count);
        float *f = fg + i * H * W;
        for (int j = 0; j < count; j++) {
            const float *b = gt->xyxy[i] + 4 * j;
            float x1 = b[0] / (float)iw * (float)W, x2 = b[2] / (float)iw * (float)W;
            float y1 = b[1] / (float)ih * (float)H, y2 = b[3] / (float)ih * (float)H;
            int64_t wmin = (int64_t)floorf(x1), wmax = (int64_t)ceilf(x2);
            int64_t hmin = (int64_t)floorf(y1), hmax = (int64_t)ceilf(y2);
            float area = 1.0f / (float)(int32_t)(hmax + 1 - hmin);
            area = area / (float)(int32_t)(wmax + 1 - wmin);
            int64_t h0 = hmin < 0 ? 0 : hmin, h1 = hmax < H - 1 ? hmax : H - 1;
            int64_t w0 = wmin < 0 ? 0 : wmin, w1 = wmax < W - 1 ? wmax : W - 1;
            for (int64_t h = h0; h <= h1; h++)
                for (int64_t w = w0; w <= w1; w++)
                    if (f[h * W + w] < area)
                        f[h * W + w] = area;
        }
        float *g = bg + i * H * W;
        int64_t n_bg = 0;
        for (int64_t k = 0; k < H * W; k++) {
            g[k] = f[k] > 0.0f ? 0.0f : 1.0f;
            n_bg += f[k] > 0.0f ? 0 : 1;
        }
        if (n_bg > 0) {
            float sum = (float)n_bg;
            for (int64_t k = 0; k < H * W; k++)
                g[k] = g[k] / sum;
        }
    }
    return AK_OK;
}

int ak_fgd_attention(ak_ctx *ctx, ak_tensor *f, float temp, ak_tensor **spatial, ak_tensor **channel) {
    if (!f || !ak_ok(ctx))
        return ak_ok(ctx) ? AK_EINVAL : ctx->err.code;
    int64_t N = f->shape[0], C = f->shape[1], HW = f->shape[2] * f->shape[3];
    ak_tensor *a = ak_abs(ctx, f);
    const int ax_c[1] = {1}, ax_hw[2] = {2, 3};
    int64_t sshape[2] = {N, HW};
    ak_tensor *fmap = ak_reshape(ctx, ak_mean(ctx, a, ax_c, 1, false), 2, sshape);
    *spatial = ak_mul_scalar(ctx, ak_softmax(ctx, ak_mul_scalar(ctx, fmap, 1.0f / temp), 1), (float)HW);
    ak_tensor *cmap = ak_mean(ctx, a, ax_hw, 2, false);
    *channel = ak_mul_scalar(ctx, ak_softmax(ctx, ak_mul_scalar(ctx, cmap, 1.0f / temp), 1), (float)C);
    return ak_ok(ctx) ? AK_OK : ctx->err.code;
}
