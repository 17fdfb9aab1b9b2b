/* See segmentor.h. */
#include "models/segmentor.h"

#include <math.h>
#include <string.h>

#include "core/ops/elementwise.h"
#include "core/ops/loss.h"
#include "core/ops/resize.h"

ak_segmentor_cfg ak_segmentor_defaults(ak_seg_head_kind kind, int depth, float width_mult, int num_classes) {
    ak_segmentor_cfg c;
    memset(&c, 0, sizeof c);
    c.backbone.depth = depth;
    c.backbone.width_mult = width_mult;
    c.backbone.deep_stem = true;
    c.backbone.dilated = true;
    c.backbone.frozen_stages = -1;
    int base = (int)lroundf(64.0f * width_mult), expansion = depth >= 50 ? 4 : 1;
    int c4 = base * 4 * expansion, c5 = base * 8 * expansion;
    int channels = (int)lroundf(512.0f * width_mult), aux_channels = (int)lroundf(256.0f * width_mult);
    c.decode = ak_seg_head_defaults(kind, c5, channels > 8 ? channels : 8, num_classes);
    c.has_aux = true;
    c.aux = ak_seg_head_defaults(AK_HEAD_FCN, c4, aux_channels > 8 ? aux_channels : 8, num_classes);
    c.aux_weight = 0.4f;
    c.avg_non_ignore = false;
    return c;
}

ak_segmentor_cfg ak_segmentor_torchvision(int depth, int num_classes, bool aux) {
    ak_segmentor_cfg c;
    memset(&c, 0, sizeof c);
    c.backbone.depth = depth;
    c.backbone.width_mult = 1.0f;
    c.backbone.dilated = true;
    c.backbone.frozen_stages = -1;
    c.decode = ak_seg_head_defaults_tv(AK_HEAD_ASPP, 2048, num_classes);
    c.has_aux = aux;
    c.aux = ak_seg_head_defaults_tv(AK_HEAD_FCN, 1024, num_classes);
    c.aux_weight = 0.5f;
    c.avg_non_ignore = true;
    return c;
}

int ak_segmentor_init(ak_segmentor *s, ak_params *ps, const ak_segmentor_cfg *cfg, uint64_t seed, ak_error *err) {
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    bool tv = cfg->decode.style == AK_SEG_TORCHVISION;
    AK_TRY(ak_resnet_init(&s->backbone, ps, "backbone", &cfg->backbone, seed, err));
    if (cfg->decode.in_channels != s->backbone.out_channels[3])
        return ak_error_set(err, AK_EINVAL, "segmentor: decode head expects %d channels, the backbone gives %d",
                            cfg->decode.in_channels, s->backbone.out_channels[3]);
    AK_TRY(ak_seg_head_init(&s->decode, ps, tv ? "classifier" : "decode_head", &cfg->decode, seed, err));
    strcpy(s->decode.tap, "decode");
    if (cfg->has_aux) {
        if (cfg->aux.in_channels != s->backbone.out_channels[2])
            return ak_error_set(err, AK_EINVAL, "segmentor: auxiliary head expects %d channels, c4 has %d",
                                cfg->aux.in_channels, s->backbone.out_channels[2]);
        AK_TRY(ak_seg_head_init(&s->aux, ps, tv ? "aux_classifier" : "auxiliary_head", &cfg->aux, seed, err));
        strcpy(s->aux.tap, "aux");
    }
    return AK_OK;
}

void ak_segmentor_free(ak_segmentor *s) { ak_resnet_free(&s->backbone); }

int ak_segmentor_forward(ak_ctx *ctx, const ak_segmentor *s, ak_tensor *x, bool train, ak_rng dropout_rng,
                         ak_seg_outputs *out, ak_taps *taps) {
    ak_tensor *c[4] = {0};
    memset(out, 0, sizeof *out);
    AK_TRY(ak_resnet_forward(ctx, &s->backbone, x, train, c, taps));
    ak_rng aux_rng = dropout_rng;
    aux_rng.stream ^= 0x5bd1e995u; /* a different stream for the auxiliary head's mask */
    out->logits = ak_seg_head_forward(ctx, &s->decode, c[3], train, dropout_rng, taps);
    if (s->cfg.has_aux && train)
        out->aux_logits = ak_seg_head_forward(ctx, &s->aux, c[2], train, aux_rng, taps);
    return ctx->err.code;
}

static ak_tensor *head_loss(ak_ctx *ctx, const ak_segmentor *s, ak_tensor *logits, const int32_t *labels, int64_t H,
                            int64_t W) {
    ak_tensor *up = ak_resize(ctx, logits, H, W, AK_RESIZE_BILINEAR, false);
    ak_ce_opts o = ak_ce_defaults();
    o.ignore_index = 255;
    if (!s->cfg.avg_non_ignore) {
        o.has_avg_factor = true;
        o.avg_factor = (double)(logits ? logits->shape[0] : 0) * (double)H * (double)W;
    }
    return ak_cross_entropy(ctx, up, labels, &o);
}

int ak_segmentor_loss(ak_ctx *ctx, const ak_segmentor *s, const ak_seg_outputs *out, const uint8_t *labels,
                      int64_t H, int64_t W, ak_seg_losses *losses) {
    memset(losses, 0, sizeof *losses);
    if (!out->logits)
        return ak_error_set(&ctx->err, AK_EINVAL, "segmentor loss: no logits");
    int32_t *lab = ak_labels_from_u8(ctx, labels, out->logits->shape[0] * H * W);
    ak_tensor *ld = head_loss(ctx, s, out->logits, lab, H, W);
    if (!ld)
        return ctx->err.code;
    losses->decode = ld->data[0];
    ak_tensor *total = ld;
    if (out->aux_logits) {
        ak_tensor *la = head_loss(ctx, s, out->aux_logits, lab, H, W);
        if (!la)
            return ctx->err.code;
        losses->aux = la->data[0];
        total = ak_add(ctx, ld, ak_mul_scalar(ctx, la, s->cfg.aux_weight));
    }
    losses->total = total;
    return ctx->err.code;
}

int ak_segmentor_predict(ak_ctx *ctx, const ak_tensor *logits, int64_t H, int64_t W, uint8_t *pred) {
    bool rec = ak_ctx_set_record(ctx, false);
    ak_tensor *up = ak_resize(ctx, (ak_tensor *)logits, H, W, AK_RESIZE_BILINEAR, false);
    ak_ctx_set_record(ctx, rec);
    if (!up)
        return ctx->err.code;
    int64_t N = up->shape[0], K = up->shape[1], P = H * W;
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < N; n++)
        for (int64_t i = 0; i < P; i++) {
            const float *base = up->data + n * K * P + i;
            int best = 0;
            float bv = base[0];
            for (int64_t k = 1; k < K; k++)
                if (base[k * P] > bv) {
                    bv = base[k * P];
                    best = (int)k;
                }
            pred[n * P + i] = (uint8_t)best;
        }
    return AK_OK;
}
