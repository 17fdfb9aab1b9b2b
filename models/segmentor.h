/* An encoder-decoder segmentor as mmseg builds it: ResNet backbone -> decode head on c5 (PSP or
 * ASPP) + optional auxiliary FCN head on c4, losses on logits resized to the label size.
 *
 * Loss (mmseg CrossEntropyLoss, the paper presets): per head, bilinear resize (align_corners false)
 * of the logits to (H, W), cross-entropy with ignore 255; reduction `avg_non_ignore` false (mmseg's
 * default: the mean over all N*H*W pixels, ignored ones counting 0) or true (PyTorch's mean over
 * non-ignored pixels). total = decode + aux_weight * aux (0.4).
 * Taps: the backbone's "backbone.c2..c5", "decode.feat", "decode.logits", "aux.feat", "aux.logits".
 * torchvision layout (decode.style AK_SEG_TORCHVISION, ak_segmentor_torchvision): torchvision's
 * deeplabv3_resnet50/101 - parameters "backbone.*", "classifier.*", "aux_classifier.*" (its state-dict
 * keys); the logits it returns upsampled to the input are what the loss here computes from the
 * feature-size logits (the same bilinear resize); its reference training uses the mean over
 * non-ignored pixels and aux weight 0.5.
 * Shapes: x (N,3,H,W); labels N*H*W uint8 train ids (255 ignored); logits (N,K,h,w) at feature size.
 */
#ifndef AK_MODELS_SEGMENTOR_H
#define AK_MODELS_SEGMENTOR_H

#include "models/resnet.h"
#include "models/seg_heads.h"

typedef struct ak_segmentor_cfg {
    ak_resnet_cfg backbone;
    ak_seg_head_cfg decode;
    bool has_aux;
    ak_seg_head_cfg aux;
    float aux_weight;      /* 0.4 */
    bool avg_non_ignore;   /* false: mmseg default */
} ak_segmentor_cfg;

typedef struct ak_segmentor {
    ak_segmentor_cfg cfg;
    ak_resnet backbone;
    ak_seg_head decode, aux;
} ak_segmentor;

typedef struct ak_seg_outputs {
    ak_tensor *logits, *aux_logits; /* aux NULL without an aux head or when not training */
} ak_seg_outputs;

typedef struct ak_seg_losses {
    ak_tensor *total;         /* scalar, recorded */
    float decode, aux;        /* the terms' values (aux already unweighted) */
} ak_seg_losses;

/* Fills cfg for a backbone depth / width and head kind with mmseg's channel choices: decode
 * channels 512 (scaled by width_mult), aux FCN on c4 with 256 channels, 19 classes. */
ak_segmentor_cfg ak_segmentor_defaults(ak_seg_head_kind kind, int depth, float width_mult, int num_classes);
/* torchvision's deeplabv3_resnet{50,101}(num_classes, aux_loss): ResNet "pytorch" style with the
 * plain stem, replace_stride_with_dilation [False, True, True] (our D8), every BN trained;
 * DeepLabHead on c5, FCNHead on c4 when aux (weight 0.5, torchvision's reference script); loss mean
 * over non-ignored pixels (F.cross_entropy's, ignore 255). */
ak_segmentor_cfg ak_segmentor_torchvision(int depth, int num_classes, bool aux);
int ak_segmentor_init(ak_segmentor *s, ak_params *ps, const ak_segmentor_cfg *cfg, uint64_t seed, ak_error *err);
void ak_segmentor_free(ak_segmentor *s);
/* train: BN batch statistics, dropout (masks from dropout_rng), aux head evaluated. */
int ak_segmentor_forward(ak_ctx *ctx, const ak_segmentor *s, ak_tensor *x, bool train, ak_rng dropout_rng,
                         ak_seg_outputs *out, ak_taps *taps);
int ak_segmentor_loss(ak_ctx *ctx, const ak_segmentor *s, const ak_seg_outputs *out, const uint8_t *labels,
                      int64_t H, int64_t W, ak_seg_losses *losses);
/* Arg-max class per pixel after resizing the logits to (H, W): pred has N*H*W bytes. */
int ak_segmentor_predict(ak_ctx *ctx, const ak_tensor *logits, int64_t H, int64_t W, uint8_t *pred);

#endif
