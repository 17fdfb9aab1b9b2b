/* Segmentation decode heads with mmseg semantics (the code base of the paper's Cityscapes numbers):
 *
 *   PSPHead (PSPNet): pyramid pooling over bins (1, 2, 3, 6): adaptive average pool -> ConvModule 1x1
 *     -> bilinear resize back (align_corners false); concat [x, pooled...] -> ConvModule 3x3 "bottleneck".
 *     Names: <p>.psp_modules.{i}.1.{conv,bn}, <p>.bottleneck.{conv,bn}.
 *   ASPPHead (DeepLabV3): image pool (global average -> ConvModule 1x1 -> resize), ASPP branches
 *     ConvModule 1x1 (dilation 1) and 3x3 with dilations (12, 24, 36) -> concat -> bottleneck 3x3.
 *     Names: <p>.image_pool.1.{conv,bn}, <p>.aspp_modules.{i}.{conv,bn}, <p>.bottleneck.{conv,bn}.
 *   FCNHead (auxiliary): num_convs ConvModules 3x3 (no concat_input).  Names: <p>.convs.{i}.{conv,bn}.
 * All heads end with cls_seg: Dropout2d(dropout) (training only) then a 1x1 conv with bias to the
 * classes, "<p>.conv_seg". The channel-dropout masks come from `rng` (caller picks the stream).
 *
 * style AK_SEG_TORCHVISION: torchvision 0.14's heads (models/segmentation/deeplabv3.py, fcn.py), for
 * parity with deeplabv3_resnet50/101 (models/seg_heads_tv.c):
 *   DeepLabHead (kind ASPP): ASPP branches 1x1 + 3x3 with the rates (12, 24, 36), image pooling LAST
 *     (global average -> 1x1 conv -> BN -> ReLU -> bilinear resize, align_corners false), concat ->
 *     project 1x1 + BN + ReLU + Dropout(dropout, element-wise: 0.5) -> 3x3 conv + BN + ReLU -> 1x1 conv
 *     with bias (no dropout before it). Names: <p>.0.convs.{i}.{0,1} (i < n_branches),
 *     <p>.0.convs.{n_branches}.{1,2} (pooling), <p>.0.project.{0,1}, <p>.{1,2} (3x3), <p>.4.
 *   FCNHead (kind FCN, one conv): 3x3 conv + BN + ReLU -> Dropout(dropout, element-wise: 0.1) -> 1x1
 *     conv with bias. Names: <p>.{0,1}, <p>.4.
 *   Convs keep PyTorch's default init (kaiming uniform, a = sqrt(5)); no PSP head in this style.
 *   The element-wise masks come from `rng` (ak_dropout's mask rule).
 *
 * Shapes: x (N, in_channels, h, w) -> logits (N, num_classes, h, w) (at feature resolution; the
 * segmentor resizes to the label size). Taps: "<tap>.feat" (the features before cls_seg) and
 * "<tap>.logits", with <tap> = h->tap (set by the owner) or the parameter prefix.
 */
#ifndef AK_MODELS_SEG_HEADS_H
#define AK_MODELS_SEG_HEADS_H

#include "core/rng.h"
#include "models/conv_module.h"
#include "models/taps.h"

typedef enum ak_seg_head_kind { AK_HEAD_PSP = 0, AK_HEAD_ASPP = 1, AK_HEAD_FCN = 2 } ak_seg_head_kind;
/* Whose head definition to follow (names as ak_det_style): mmseg (the paper presets) or torchvision. */
typedef enum ak_seg_style { AK_SEG_MMSEG = 0, AK_SEG_TORCHVISION = 1 } ak_seg_style;

#define AK_SEG_MAX_BRANCHES 6

typedef struct ak_seg_head_cfg {
    ak_seg_head_kind kind;
    int in_channels, channels, num_classes;
    int n_branches;                      /* PSP: number of bins; ASPP: number of dilations; FCN: num_convs */
    int branches[AK_SEG_MAX_BRANCHES];   /* PSP bins (1,2,3,6) or ASPP dilations (1,12,24,36) */
    float dropout;                       /* mmseg: Dropout2d ratio before conv_seg (0.1); torchvision: see above */
    ak_seg_style style;                  /* AK_SEG_MMSEG unless set */
} ak_seg_head_cfg;

typedef struct ak_seg_head {
    ak_seg_head_cfg cfg;
    char prefix[64];             /* parameter-name prefix ("decode_head") */
    char tap[32];                /* tap-name prefix ("decode"); the parameter prefix when empty */
    ak_conv_module branch[AK_SEG_MAX_BRANCHES];
    ak_conv_module image_pool; /* ASPP */
    ak_conv_module bottleneck; /* PSP, ASPP (torchvision: ASPP's 1x1 projection) */
    ak_conv_module tv_conv;    /* torchvision DeepLabHead: the 3x3 conv after ASPP */
    ak_conv_layer conv_seg;
} ak_seg_head;

/* mmseg defaults for a kind: PSP bins 1,2,3,6; ASPP dilations 1,12,24,36; FCN one conv; dropout 0.1. */
ak_seg_head_cfg ak_seg_head_defaults(ak_seg_head_kind kind, int in_channels, int channels, int num_classes);
/* torchvision's: ASPP (DeepLabHead) 256 channels, rates 1,12,24,36, dropout 0.5; FCN (FCNHead)
 * in_channels / 4 channels, dropout 0.1. PSP is not a torchvision head: kind AK_HEAD_PSP is kept and
 * refused by ak_seg_head_init. */
ak_seg_head_cfg ak_seg_head_defaults_tv(ak_seg_head_kind kind, int in_channels, int num_classes);
int ak_seg_head_init(ak_seg_head *h, ak_params *ps, const char *prefix, const ak_seg_head_cfg *cfg, uint64_t seed,
                     ak_error *err);
/* train: BN batch statistics and dropout on. Returns the logits or NULL (ctx->err). */
ak_tensor *ak_seg_head_forward(ak_ctx *ctx, const ak_seg_head *h, ak_tensor *x, bool train, ak_rng dropout_rng,
                               ak_taps *taps);

#endif
