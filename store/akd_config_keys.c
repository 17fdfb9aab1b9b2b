/* The akdbench run-config schema: every key, its type, default, range and doc, bound to a field of
 * ak_run_config; and the enum names. Defaults follow METHODS.md (Part 0 for the AKD switches, Part 2
 * for the loss defaults, Part 4 for the detection schedule); task-specific settings (segmentation
 * schedule, datasets, models) live in bench/configs/_base_/. */
#include <stddef.h>

#include "store/akd_config.h"

/* ---- enum names (same order as the enums in akd_config.h) ---- */

#define NAMES(fn, arr, count, ...)                                                   \
    static const char *const arr[] = {__VA_ARGS__};                                  \
    _Static_assert(sizeof arr / sizeof arr[0] == count, #arr " vs its enum");        \
    const char *fn(int v) { return v >= 0 && v < (int)count ? arr[v] : "?"; }

NAMES(ak_task_name, task_names, AK_TASK_COUNT, "det", "seg")
NAMES(ak_dataset_name, dataset_names, AK_DATASET_COUNT, "coco", "cityscapes")
NAMES(ak_arch_name, arch_names, AK_ARCH_COUNT, "retinanet", "fcos", "pspnet", "deeplabv3", "fcn")
NAMES(ak_backbone_name, backbone_names, AK_BACKBONE_COUNT, "resnet18", "resnet34", "resnet50", "resnet101")
NAMES(ak_style_name, style_names, AK_STYLE_COUNT, "pytorch", "caffe")
NAMES(ak_inherit_name, inherit_names, AK_INHERIT_COUNT, "none", "neck", "neck_head", "head")
NAMES(ak_distill_method_name, method_names, AK_DISTILL_COUNT, "none", "mse", "cwd", "mgd", "fgd", "pkd", "maskd", "dist")
NAMES(ak_connector_name, connector_names, AK_CONNECTOR_COUNT, "none", "conv1x1", "conv_bn", "resize_student",
      "resize_teacher")
NAMES(ak_head_loss_name, head_names, AK_HEAD_COUNT, "none", "l1", "smooth_l1", "dist", "cwd")
NAMES(ak_mgd_mask_name, mgd_mask_names, AK_MGD_MASK_COUNT, "spatial", "channel")
NAMES(ak_perturb_name, perturb_names, AK_PERTURB_COUNT, "dropout", "channel_dropout", "gaussian")
NAMES(ak_uncertainty_name, unc_names, AK_UNC_COUNT, "code", "paper", "none")
NAMES(ak_optim_name, optim_names, AK_OPTIM_COUNT, "sgd", "adamw")
NAMES(ak_sched_name, sched_names, AK_SCHED_COUNT, "step", "poly", "cosine")
NAMES(ak_warmup_name, warmup_names, AK_WARMUP_COUNT, "none", "linear", "constant")
NAMES(ak_run_device_name, device_names, AK_RUN_DEVICE_COUNT, "auto", "cpu", "cuda")
NAMES(ak_conv_algo_name, conv_names, AK_CONV_ALGO_COUNT, "auto", "direct")
/* ak_key_style's names live with the enum (store/weights_file.c); the schema needs its own array. */
static const char *const key_style_names[] = {"auto", "ours", "torchvision", "mmdet", "mmseg"};
_Static_assert(sizeof key_style_names / sizeof key_style_names[0] == AK_KEYS_COUNT, "key_style_names vs its enum");

/* ---- table helpers ---- */

#define AT(m) offsetof(ak_run_config, m), sizeof(((ak_run_config *)0)->m)
#define R_IN (AK_SCH_LO | AK_SCH_HI)             /* [lo, hi] */
#define R_GE AK_SCH_LO                           /* [lo, inf) */
#define R_GT (AK_SCH_LO | AK_SCH_LO_OPEN)        /* (lo, inf) */
#define R_IN_HO (AK_SCH_LO | AK_SCH_HI | AK_SCH_HI_OPEN) /* [lo, hi) */

#define INT(p, m, d, lo, hi, fl, doc) {p, AK_SCH_INT, d, NULL, 0, lo, hi, fl, 0, 0, AT(m), doc}
#define FLT(p, m, d, lo, hi, fl, doc) {p, AK_SCH_FLOAT, d, NULL, 0, lo, hi, fl, 0, 0, AT(m), doc}
#define BOOL(p, m, d, doc) {p, AK_SCH_BOOL, d, NULL, 0, 0, 0, 0, 0, 0, AT(m), doc}
#define STR(p, m, d, doc) {p, AK_SCH_STRING, d, NULL, 0, 0, 0, 0, 0, 0, AT(m), doc}
#define ENUM(p, m, d, names, doc) \
    {p, AK_SCH_ENUM, d, names, (int)(sizeof names / sizeof names[0]), 0, 0, 0, 0, 0, AT(m), doc}
#define INTS(p, m, d, lmin, lmax, lo, hi, fl, doc) {p, AK_SCH_INT_LIST, d, NULL, 0, lo, hi, fl, lmin, lmax, AT(m), doc}
#define FLTS(p, m, d, lmin, lmax, lo, hi, fl, doc) {p, AK_SCH_FLOAT_LIST, d, NULL, 0, lo, hi, fl, lmin, lmax, AT(m), doc}
#define STRS(p, m, d, doc) {p, AK_SCH_STRING_LIST, d, NULL, 0, 0, 0, 0, 0, 0, AT(m), doc}

#define BIG 1e9

/* The keys shared by model.student and model.teacher. */
#define MODEL_KEYS(who, frozen)                                                                                  \
    ENUM("model." #who ".arch", model.who.arch, NULL, arch_names, "detector / segmentor of the " #who),         \
    ENUM("model." #who ".backbone", model.who.backbone, NULL, backbone_names, "ResNet depth of the " #who),     \
    FLT("model." #who ".width", model.who.width, "1.0", 0, 4, R_GT | AK_SCH_HI,                                 \
        "channel width multiplier (1 = the paper's networks; synthetic presets shrink it)"),                     \
    ENUM("model." #who ".style", model.who.style, "pytorch", style_names,                                      \
         "ResNet stride placement (caffe: mmdet caffe-style checkpoints, e.g. FCOS)"),                           \
    BOOL("model." #who ".deep_stem", model.who.deep_stem, "false", "ResNet-v1c stem (three 3x3 convs, mmseg V1c)"), \
    BOOL("model." #who ".dilated", model.who.dilated, "false", "D8 backbone: stages 3-4 dilated, output stride 8"), \
    INT("model." #who ".frozen_stages", model.who.frozen_stages, frozen, -1, 4, R_IN,                            \
        "-1 none, 0 stem, k: stem and stages 1..k frozen"),                                                      \
    BOOL("model." #who ".norm_eval", model.who.norm_eval, "true", "backbone BatchNorm uses running statistics"), \
    INT("model." #who ".neck_channels", model.who.neck_channels, "256", 1, 4096, R_IN,                          \
        "det: FPN / head channels before width scaling"),                                                        \
    INT("model." #who ".head_convs", model.who.head_convs, "4", 0, 8, R_IN,                                     \
        "det: stacked 3x3 convs per head branch (RetinaNet / FCOS: 4; synthetic CPU presets use fewer)"),        \
    INT("model." #who ".head_channels", model.who.head_channels, "0", 0, 4096, R_IN,                            \
        "seg: decode-head channels before width scaling (0 = architecture default, mmseg 512)"),                 \
    BOOL("model." #who ".aux_head", model.who.aux_head, "false", "seg: FCN auxiliary head on stage 3"),         \
    FLT("model." #who ".aux_weight", model.who.aux_weight, "0.4", 0, 0, R_GE, "seg: auxiliary loss weight"),     \
    STR("model." #who ".pretrained", model.who.pretrained, "''",                                                 \
        "backbone init weights (safetensors or HDF5, any key style); '' = random"),                              \
    STR("model." #who ".weights", model.who.weights, "''",                                                       \
        "whole-model weights loaded strictly ('' = student from scratch / teacher trained by the suite)"),       \
    ENUM("model." #who ".key_style", model.who.key_style, "auto", key_style_names,                             \
         "key names in pretrained / weights files: auto (detected), ours, torchvision, mmdet, mmseg")

static const ak_schema_key keys[] = {
    ENUM("task", task, NULL, task_names, "det (COCO-format detection) or seg (Cityscapes-format segmentation)"),

    /* dataset (METHODS.md §4) */
    ENUM("dataset.name", dataset.name, NULL, dataset_names, "dataset format"),
    BOOL("dataset.synthetic", dataset.synthetic, "false", "generate a synthetic dataset in that format (datasets/)"),
    STR("dataset.root", dataset.root, "''", "dataset folder ('' with synthetic: generated under output.dir)"),
    STR("dataset.train_split", dataset.train_split, "train2017", "training split name (train2017 | train)"),
    STR("dataset.val_split", dataset.val_split, "val2017", "evaluation split name (val2017 | val)"),
    INT("dataset.synth.images", dataset.synth.images, "256", 1, BIG, R_IN, "synthetic: training images"),
    INT("dataset.synth.val_images", dataset.synth.val_images, "64", 1, BIG, R_IN, "synthetic: validation images"),
    INT("dataset.synth.height", dataset.synth.height, "128", 16, 4096, R_IN, "synthetic: image height"),
    INT("dataset.synth.width", dataset.synth.width, "128", 16, 4096, R_IN, "synthetic: image width"),
    INT("dataset.synth.seed", dataset.synth.seed, "0", 0, 2147483647, R_IN, "synthetic: generator seed"),
    INT("dataset.synth.max_objects", dataset.synth.max_objects, "9", 1, 90, R_IN,
        "synthetic det: labelled objects per image drawn from 1..max_objects"),
    INT("dataset.synth.min_box", dataset.synth.min_box, "10", 4, 4096, R_IN,
        "synthetic det: smallest object (side of a square of the same box area, pixels)"),
    BOOL("dataset.synth.clean", dataset.synth.clean, "false",
         "synthetic det: no clutter, occluders or crowd regions (easier scenes for CPU runs)"),
    INTS("dataset.img_scale", dataset.img_scale, "[800, 1333]", 2, 2, 1, 8192, R_IN,
         "[H, W] resize target (det: keep-ratio fit, mmdet (1333, 800); seg: base scale before ratio_range)"),
    INTS("dataset.short_sides", dataset.short_sides, "[]", 0, 0, 1, 8192, R_IN,
         "det multi-scale training: short side drawn uniformly from this list (mmdet multiscale_mode 'value')"),
    FLTS("dataset.ratio_range", dataset.ratio_range, "[1.0, 1.0]", 2, 2, 0, 16, R_GT | AK_SCH_HI,
         "seg: random rescale ratio range of img_scale ([0.5, 2.0] in mmseg)"),
    INTS("dataset.crop_size", dataset.crop_size, "[0, 0]", 2, 2, 0, 8192, R_IN, "seg: random crop [H, W]; [0, 0] = none"),
    FLT("dataset.cat_max_ratio", dataset.cat_max_ratio, "1.0", 0, 1, R_GT | AK_SCH_HI,
        "seg: max fraction of one class in a crop (mmseg 0.75; 1 = off)"),
    FLT("dataset.flip_prob", dataset.flip_prob, "0.5", 0, 1, R_IN, "horizontal flip probability"),
    BOOL("dataset.photometric", dataset.photometric, "false", "seg: mmseg PhotoMetricDistortion"),
    INT("dataset.pad_divisor", dataset.pad_divisor, "32", 1, 1024, R_IN, "pad images to a multiple of this"),
    FLTS("dataset.mean", dataset.mean, "[123.675, 116.28, 103.53]", 3, 3, 0, 255, R_IN, "per-channel mean (0-255)"),
    FLTS("dataset.std", dataset.std, "[58.395, 57.12, 57.375]", 3, 3, 0, 255, R_GT | AK_SCH_HI, "per-channel std (0-255)"),
    BOOL("dataset.to_rgb", dataset.to_rgb, "true", "convert to RGB before normalising (false: caffe-style BGR)"),
    INT("dataset.ignore_index", dataset.ignore_index, "255", 0, 255, R_IN, "seg: label ignored by loss and mIoU"),

    /* models */
    INT("model.num_classes", model.num_classes, NULL, 1, 1000, R_IN, "classes (COCO 80, Cityscapes 19)"),
    ENUM("model.inherit_from_teacher", model.inherit_from_teacher, "none", inherit_names,
         "copy the teacher's neck and / or head into the student before training (METHODS §5.12)"),
    MODEL_KEYS(student, "1"),
    MODEL_KEYS(teacher, "-1"),
    INT("model.teacher.train_iters", model.teacher.train_iters, "0", 0, BIG, R_IN,
        "iterations to train the teacher when model.teacher.weights is '' (0 = the student's schedule)"),

    /* distillation (METHODS.md Part 2) */
    ENUM("distill.method", distill.method, "none", method_names, "feature distillation loss"),
    STRS("distill.taps", distill.taps, "[]", "student feature taps (e.g. neck.p3 .. neck.p7, backbone.c5, decode.logits)"),
    STRS("distill.teacher_taps", distill.teacher_taps, "[]", "teacher taps paired with distill.taps ([] = same names)"),
    FLT("distill.weight", distill.weight, "1.0", 0, 0, R_GE, "loss weight w (per tap, summed over taps)"),
    ENUM("distill.connector", distill.connector, "none", connector_names,
         "student-side connector per tap (conv1x1 = MMRazor align module / FitNet adapter)"),
    BOOL("distill.frozen_loss_params", distill.frozen_loss_params, "false",
         "quirk of the released AKD configs: loss-owned modules (MGD generators, FGD GcBlocks) lr_mult 0 (§5.8)"),
    FLT("distill.cwd.tau", distill.cwd.tau, "1.0", 0, 0, R_GT, "CWD temperature"),
    FLT("distill.mgd.alpha", distill.mgd.alpha, "2e-5", 0, 0, R_GE, "MGD alpha_mgd"),
    FLT("distill.mgd.lambda", distill.mgd.lambda, "0.65", 0, 1, R_IN, "MGD masked fraction lambda_mgd (det 0.65, seg 0.75)"),
    ENUM("distill.mgd.mask", distill.mgd.mask, "spatial", mgd_mask_names, "MGD mask over (n,h,w) or over (n,c)"),
    FLT("distill.fgd.temp", distill.fgd.temp, "0.5", 0, 0, R_GT, "FGD attention temperature"),
    FLT("distill.fgd.alpha", distill.fgd.alpha, "1e-3", 0, 0, R_GE, "FGD foreground weight"),
    FLT("distill.fgd.beta", distill.fgd.beta, "5e-4", 0, 0, R_GE, "FGD background weight"),
    FLT("distill.fgd.gamma", distill.fgd.gamma, "1e-3", 0, 0, R_GE, "FGD attention-loss weight"),
    FLT("distill.fgd.lambda", distill.fgd.lambda, "5e-6", 0, 0, R_GE, "FGD global-relation weight"),
    BOOL("distill.pkd.resize_stu", distill.pkd.resize_stu, "true", "PKD: resize student to teacher (false: the reverse)"),
    INT("distill.maskd.num_tokens", distill.maskd.num_tokens, "6", 1, 64, R_IN, "MasKD receptive tokens per level"),
    BOOL("distill.maskd.weight_mask", distill.maskd.weight_mask, "true", "MasKD per-token weighting head"),
    BOOL("distill.maskd.custom_mask", distill.maskd.custom_mask, "true", "MasKD student-mask customisation"),
    INT("distill.maskd.custom_mask_warmup", distill.maskd.custom_mask_warmup, "1000", 0, BIG, R_IN,
        "MasKD: iteration from which masks are customised"),
    STR("distill.maskd.tokens", distill.maskd.tokens, "''", "MasKD pretrained tokens ('' = run the token-learning stage)"),
    INT("distill.maskd.token_iters", distill.maskd.token_iters, "2000", 0, BIG, R_IN, "MasKD token-learning iterations"),
    FLT("distill.maskd.token_lr", distill.maskd.token_lr, "0.01", 0, 0, R_GT, "MasKD token learning: Adam lr"),
    FLT("distill.maskd.token_wd", distill.maskd.token_wd, "1e-3", 0, 0, R_GE, "MasKD token learning: weight decay"),
    FLT("distill.dist.beta", distill.dist.beta, "1.0", 0, 0, R_GE, "DIST inter-class weight"),
    FLT("distill.dist.gamma", distill.dist.gamma, "1.0", 0, 0, R_GE, "DIST intra-class weight"),
    BOOL("distill.dist.use_sigmoid", distill.dist.use_sigmoid, "false", "DIST: sigmoid instead of softmax"),
    ENUM("distill.head.loss", distill.head.loss, "none", head_names,
         "head-level KD term next to the feature loss (§2.7; untouched by avatars)"),
    STRS("distill.head.taps", distill.head.taps, "[]", "head outputs it compares (e.g. head.reg, head.cls, decode.logits)"),
    FLT("distill.head.weight", distill.head.weight, "1.0", 0, 0, R_GE, "head term weight"),
    FLT("distill.head.beta", distill.head.beta, "1.0", 0, 0, R_GT, "SmoothL1 beta"),
    FLT("distill.head.tau", distill.head.tau, "1.0", 0, 0, R_GT, "CWD head term temperature"),

    /* avatars (METHODS.md Part 0) */
    BOOL("akd.enabled", akd.enabled, "false", "wrap the distillation loss with Avatars"),
    INT("akd.num_avatars", akd.num_avatars, "1", 1, 64, R_IN, "avatars K per tap and iteration"),
    ENUM("akd.perturb", akd.perturb, "dropout", perturb_names, "avatar perturbation"),
    FLT("akd.rate", akd.rate, "0.1", 0, 0, R_GE, "perturbation rate p (dropout probability / gaussian scale)"),
    ENUM("akd.uncertainty", akd.uncertainty, "code", unc_names,
         "code: per-channel batch norm (released code); paper: reconstruction; none"),
    BOOL("akd.normalize_teacher", akd.normalize_teacher, "true",
         "code mode: also normalise the avatars (false = the released CWD variant)"),
    INT("akd.ghost_batch", akd.ghost_batch, "2", 0, 1024, R_IN, "images per normalisation group G (0 = whole batch)"),
    FLT("akd.eps", akd.eps, "1e-5", 0, 0, R_GT, "variance epsilon of the uncertainty normalisation"),

    /* optimizer (METHODS.md §4) */
    ENUM("optim.type", optim.type, "sgd", optim_names, "optimizer"),
    FLT("optim.lr", optim.lr, "0.02", 0, 0, R_GT, "base learning rate (mmdet: 0.02 for batch 16)"),
    FLT("optim.momentum", optim.momentum, "0.9", 0, 1, R_IN_HO, "SGD momentum"),
    FLT("optim.weight_decay", optim.weight_decay, "1e-4", 0, 0, R_GE, "weight decay"),
    BOOL("optim.nesterov", optim.nesterov, "false", "SGD Nesterov momentum"),
    FLTS("optim.betas", optim.betas, "[0.9, 0.999]", 2, 2, 0, 1, R_IN_HO, "AdamW betas"),
    FLT("optim.eps", optim.eps, "1e-8", 0, 0, R_GT, "AdamW epsilon"),
    FLT("optim.grad_clip", optim.grad_clip, "0", 0, 0, R_GE, "max L2 norm of all gradients (0 = no clipping)"),
    FLT("optim.norm_decay_mult", optim.norm_decay_mult, "1.0", 0, 0, R_GE, "weight-decay multiplier of norm layers"),
    FLT("optim.bias_decay_mult", optim.bias_decay_mult, "1.0", 0, 0, R_GE, "weight-decay multiplier of biases"),
    FLT("optim.bias_lr_mult", optim.bias_lr_mult, "1.0", 0, 0, R_GE, "learning-rate multiplier of biases"),

    /* schedule (METHODS.md §4) */
    ENUM("schedule.policy", schedule.policy, "step", sched_names, "learning-rate policy"),
    BOOL("schedule.by_epoch", schedule.by_epoch, "false",
         "milestones and length in epochs (mmdet) instead of iterations (mmseg)"),
    INT("schedule.max_epochs", schedule.max_epochs, "0", 0, BIG, R_IN, "training length in epochs (by_epoch)"),
    INT("schedule.max_iters", schedule.max_iters, "0", 0, BIG, R_IN, "training length in iterations (not by_epoch)"),
    INTS("schedule.milestones", schedule.milestones, "[]", 0, 0, 1, BIG, R_IN, "step policy: lr x gamma at each"),
    FLT("schedule.gamma", schedule.gamma, "0.1", 0, 1, R_GT | AK_SCH_HI, "step policy factor"),
    FLT("schedule.power", schedule.power, "0.9", 0, 0, R_GT, "poly policy power"),
    FLT("schedule.min_lr", schedule.min_lr, "0", 0, 0, R_GE, "poly / cosine final lr (mmseg poly: 1e-4)"),
    ENUM("schedule.warmup", schedule.warmup, "linear", warmup_names, "warmup kind (per iteration)"),
    INT("schedule.warmup_iters", schedule.warmup_iters, "500", 0, BIG, R_IN, "warmup length in iterations"),
    FLT("schedule.warmup_ratio", schedule.warmup_ratio, "0.001", 0, 1, R_GT | AK_SCH_HI, "warmup start lr / lr"),

    /* training loop */
    INT("train.batch_size", train.batch_size, "16", 1, 4096, R_IN, "images per iteration (paper: 8 GPUs x 2)"),
    INT("train.seed", train.seed, "0", 0, 2147483647, R_IN, "seed of every random draw (Philox keys)"),
    INT("train.threads", train.threads, "0", 0, 1024, R_IN, "compute threads (0 = all cores)"),
    ENUM("train.device", train.device, "auto", device_names, "auto: CUDA when present, else CPU"),
    ENUM("train.conv", train.conv, "auto", conv_names,
         "CPU conv2d sums: auto (Winograd F(2x2,3x3) for 3x3 layers of 32+ channels) or direct"),
    INT("train.loader_threads", train.loader_threads, "1", 0, 64, R_IN, "data-loading threads"),
    INT("train.eval_interval", train.eval_interval, "0", 0, BIG, R_IN, "evaluate every N iterations (0 = at the end)"),
    INT("train.checkpoint_interval", train.checkpoint_interval, "1000", 1, BIG, R_IN, "checkpoint every N iterations"),
    INT("train.log_interval", train.log_interval, "50", 1, BIG, R_IN, "progress line every N iterations"),
    INT("train.feature_images", train.feature_images, "2", 0, 64, R_IN, "fixed images whose features are stored"),
    INTS("train.feature_steps", train.feature_steps, "[]", 0, 0, 0, BIG, R_IN,
         "iterations at which features are stored ([] = the last one only)"),

    /* evaluation (METHODS.md §4 test cfg) */
    FLT("eval.score_thr", eval.score_thr, "0.05", 0, 1, R_IN, "det: minimum score kept"),
    FLT("eval.nms_iou", eval.nms_iou, "0.5", 0, 1, R_IN, "det: NMS IoU threshold"),
    INT("eval.nms_pre", eval.nms_pre, "1000", 1, 100000, R_IN, "det: top-k per level before NMS"),
    INT("eval.max_dets", eval.max_dets, "100", 1, 10000, R_IN, "det: detections per image"),
    INT("eval.batch_size", eval.batch_size, "1", 1, 1024, R_IN, "images per evaluation batch"),
    INT("eval.images", eval.images, "0", 0, BIG, R_IN, "evaluate on the first N images (0 = all)"),

    STR("output.dir", output.dir, "runs", "folder for the run file and checkpoints"),
};

static const ak_schema schema = {"akdbench run config", keys, (int)(sizeof keys / sizeof keys[0])};

const ak_schema *ak_run_config_schema(void) { return &schema; }
