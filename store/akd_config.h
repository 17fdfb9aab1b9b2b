/* akdbench run configs: the schema of every key a training run reads, resolved into the plain C
 * struct ak_run_config that the trainer, the distillers and the run file use.
 *
 * A run config is a YAML file (usually inheriting from bench/configs/_base_/ files) plus `--set`
 * overrides. ak_run_config_load() loads, overrides, validates against the schema (unknown keys,
 * types, ranges: see config_schema.h), fills the documented defaults, checks the cross-field
 * constraints below, binds the values, and returns the canonical YAML text (stored in every run
 * file) and the run id = ak_run_id_of_config(text) (store/hash.h), so the id changes iff a value
 * changes. `akdbench config --keys` prints every key with its type, default, range and doc.
 *
 * Where METHODS.md Part 0 names two variants, both are a key here with the documented default:
 * akd.uncertainty (code | paper | none, default code), akd.perturb (default dropout), akd.rate 0.1,
 * akd.num_avatars 1, akd.ghost_batch 2, akd.normalize_teacher true, distill.frozen_loss_params
 * (the released AKD configs' lr_mult 0 on loss-owned modules, e.g. MGD generators: default false).
 *
 * Cross-field constraints (AK_EINVAL, naming both keys with file and line):
 *   akd.enabled requires distill.method != none; akd.uncertainty paper requires akd.rate > 0;
 *   dropout / channel_dropout require akd.rate < 1; distill.method != none requires distill.taps;
 *   distill.teacher_taps, when given, has as many entries as distill.taps; distill.head.loss !=
 *   none requires distill.head.taps; fgd needs boxes (task det); task det <-> dataset coco and
 *   retinanet | fcos models, task seg <-> cityscapes and pspnet | deeplabv3 | fcn models;
 *   schedule lengths positive, milestones strictly increasing and inside the schedule; a dataset
 *   folder unless synthetic; inherit_from_teacher needs the same architecture and neck width.
 *
 * Ownership: ak_run_config is a plain value (fixed-size strings and lists, no pointers); the YAML
 * text returned by the loaders is malloc'd and owned by the caller.
 */
#ifndef AK_AKD_CONFIG_H
#define AK_AKD_CONFIG_H

#include <stdbool.h>

#include "core/error.h"
#include "store/config.h"
#include "store/config_schema.h"
#include "store/hash.h"
#include "store/weights_file.h"

#define AK_CFG_PATH_LEN 512

/* Enums: the order is the order of the names in akd_config.c (ak_*_name returns them). */
typedef enum ak_task { AK_TASK_DET, AK_TASK_SEG, AK_TASK_COUNT } ak_task;
typedef enum ak_dataset_kind { AK_DATASET_COCO, AK_DATASET_CITYSCAPES, AK_DATASET_COUNT } ak_dataset_kind;
typedef enum ak_arch {
    AK_ARCH_RETINANET,
    AK_ARCH_FCOS,
    AK_ARCH_PSPNET,
    AK_ARCH_DEEPLABV3,
    AK_ARCH_FCN,
    AK_ARCH_COUNT
} ak_arch;
typedef enum ak_backbone {
    AK_BACKBONE_RESNET18,
    AK_BACKBONE_RESNET34,
    AK_BACKBONE_RESNET50,
    AK_BACKBONE_RESNET101,
    AK_BACKBONE_COUNT
} ak_backbone;
typedef enum ak_resnet_style { AK_STYLE_PYTORCH, AK_STYLE_CAFFE, AK_STYLE_COUNT } ak_resnet_style;
/* head: the detection / decode heads only (for a student whose backbone is narrower than the
 * teacher's, so that the FPN lateral convs differ while neck outputs and heads match). */
typedef enum ak_inherit {
    AK_INHERIT_NONE,
    AK_INHERIT_NECK,
    AK_INHERIT_NECK_HEAD,
    AK_INHERIT_HEAD,
    AK_INHERIT_COUNT
} ak_inherit;
typedef enum ak_distill_method {
    AK_DISTILL_NONE,
    AK_DISTILL_MSE,
    AK_DISTILL_CWD,
    AK_DISTILL_MGD,
    AK_DISTILL_FGD,
    AK_DISTILL_PKD,
    AK_DISTILL_MASKD,
    AK_DISTILL_DIST,
    AK_DISTILL_COUNT
} ak_distill_method;
typedef enum ak_connector {
    AK_CONNECTOR_NONE,
    AK_CONNECTOR_CONV1X1,        /* 1x1 conv with bias (MMRazor align module / FitNet adapter) */
    AK_CONNECTOR_CONV_BN,        /* 1x1 conv + BN */
    AK_CONNECTOR_RESIZE_STUDENT, /* bilinear resize of the student map to the teacher's size */
    AK_CONNECTOR_RESIZE_TEACHER, /* bilinear resize of the teacher map to the student's size */
    AK_CONNECTOR_COUNT
} ak_connector;
typedef enum ak_head_loss {
    AK_HEAD_NONE,
    AK_HEAD_L1,
    AK_HEAD_SMOOTH_L1,
    AK_HEAD_DIST,
    AK_HEAD_CWD,
    AK_HEAD_COUNT
} ak_head_loss;
typedef enum ak_mgd_mask { AK_MGD_MASK_SPATIAL, AK_MGD_MASK_CHANNEL, AK_MGD_MASK_COUNT } ak_mgd_mask;
typedef enum ak_perturb {
    AK_PERTURB_DROPOUT,
    AK_PERTURB_CHANNEL_DROPOUT,
    AK_PERTURB_GAUSSIAN,
    AK_PERTURB_COUNT
} ak_perturb;
typedef enum ak_uncertainty { AK_UNC_CODE, AK_UNC_PAPER, AK_UNC_NONE, AK_UNC_COUNT } ak_uncertainty;
typedef enum ak_optim_type { AK_OPTIM_SGD, AK_OPTIM_ADAMW, AK_OPTIM_COUNT } ak_optim_type;
typedef enum ak_sched_policy { AK_SCHED_STEP, AK_SCHED_POLY, AK_SCHED_COSINE, AK_SCHED_COUNT } ak_sched_policy;
typedef enum ak_warmup { AK_WARMUP_NONE, AK_WARMUP_LINEAR, AK_WARMUP_CONSTANT, AK_WARMUP_COUNT } ak_warmup;
typedef enum ak_run_device {
    AK_RUN_DEVICE_AUTO,
    AK_RUN_DEVICE_CPU,
    AK_RUN_DEVICE_CUDA,
    AK_RUN_DEVICE_COUNT
} ak_run_device;
/* train.conv: the CPU convolution's sums. auto: Winograd F(2x2,3x3) for the 3x3 layers it suits
 * (core/cpu/conv2d_winograd.h), direct sums elsewhere; direct: direct sums everywhere. */
typedef enum ak_conv_algo { AK_CONV_ALGO_AUTO, AK_CONV_ALGO_DIRECT, AK_CONV_ALGO_COUNT } ak_conv_algo;

const char *ak_task_name(int v);
const char *ak_dataset_name(int v);
const char *ak_arch_name(int v);
const char *ak_backbone_name(int v);
const char *ak_style_name(int v);
const char *ak_inherit_name(int v);
const char *ak_distill_method_name(int v);
const char *ak_connector_name(int v);
const char *ak_head_loss_name(int v);
const char *ak_mgd_mask_name(int v);
const char *ak_perturb_name(int v);
const char *ak_uncertainty_name(int v);
const char *ak_optim_name(int v);
const char *ak_sched_name(int v);
const char *ak_warmup_name(int v);
const char *ak_run_device_name(int v);
const char *ak_conv_algo_name(int v);

/* One network (student or teacher). See the schema docs (`akdbench config --keys`). */
typedef struct ak_model_config {
    int arch;                         /* ak_arch */
    int backbone;                     /* ak_backbone */
    double width;                     /* channel width multiplier of backbone, neck and head (1 = paper) */
    int style;                        /* ak_resnet_style: stride on the 3x3 (pytorch) or the first 1x1 (caffe) */
    bool deep_stem;                   /* ResNet-v1c stem: three 3x3 convs (mmseg "V1c") */
    bool dilated;                     /* D8: stages 3-4 dilated 2, 4, output stride 8 (mmseg "-d8") */
    int frozen_stages;                /* -1 none, 0 stem, k: stem + stages 1..k frozen (weights and BN) */
    bool norm_eval;                   /* backbone BN uses running statistics while training */
    int neck_channels;                /* det: FPN and head width before `width` scaling (256) */
    int head_convs;                   /* det: stacked convs per head branch (4) */
    int head_channels;                /* seg: decode-head channels before scaling (0 = architecture default) */
    bool aux_head;                    /* seg: FCN auxiliary head on stage 3 */
    double aux_weight;                /* seg: its loss weight (mmseg 0.4) */
    char pretrained[AK_CFG_PATH_LEN]; /* backbone init weights (safetensors / HDF5); "" = random init */
    char weights[AK_CFG_PATH_LEN];    /* whole-model weights, loaded strictly; teacher "" = train it */
    int key_style;                    /* ak_key_style (store/weights_file.h): key names of those files */
    int train_iters;                  /* teacher only: iterations when the suite trains it (0 = schedule) */
} ak_model_config;

typedef struct ak_run_config {
    int task; /* ak_task */
    struct {
        int name; /* ak_dataset_kind: the on-disk format */
        bool synthetic;
        char root[AK_CFG_PATH_LEN];
        char train_split[AK_CFG_NAME_LEN], val_split[AK_CFG_NAME_LEN];
        struct {
            int images, val_images, height, width, seed;
            int max_objects, min_box; /* det scenes: datasets/synth_draw.h ak_synth_opts */
            bool clean;
        } synth;
        ak_cfg_int_list img_scale;     /* [H, W] */
        ak_cfg_int_list short_sides;   /* det multi-scale training; [] = img_scale */
        ak_cfg_float_list ratio_range; /* seg scale jitter [lo, hi] */
        ak_cfg_int_list crop_size;     /* seg [H, W]; [0, 0] = no crop */
        double cat_max_ratio;
        double flip_prob;
        bool photometric;
        int pad_divisor;
        ak_cfg_float_list mean, std; /* 3 each, 0-255 scale */
        bool to_rgb;
        int ignore_index;
    } dataset;
    struct {
        int num_classes;
        int inherit_from_teacher; /* ak_inherit */
        ak_model_config student, teacher;
    } model;
    struct {
        int method; /* ak_distill_method */
        ak_cfg_str_list taps, teacher_taps;
        double weight;
        int connector; /* ak_connector */
        bool frozen_loss_params;
        struct {
            double tau;
        } cwd;
        struct {
            double alpha, lambda;
            int mask; /* ak_mgd_mask */
        } mgd;
        struct {
            double temp, alpha, beta, gamma, lambda;
        } fgd;
        struct {
            bool resize_stu;
        } pkd;
        struct {
            int num_tokens;
            bool weight_mask, custom_mask;
            int custom_mask_warmup;
            char tokens[AK_CFG_PATH_LEN];
            int token_iters;
            double token_lr, token_wd;
        } maskd;
        struct {
            double beta, gamma;
            bool use_sigmoid;
        } dist;
        struct {
            int loss; /* ak_head_loss */
            ak_cfg_str_list taps;
            double weight, beta, tau;
        } head;
    } distill;
    struct {
        bool enabled;
        int num_avatars;
        int perturb; /* ak_perturb */
        double rate;
        int uncertainty; /* ak_uncertainty */
        bool normalize_teacher;
        int ghost_batch;
        double eps;
    } akd;
    struct {
        int type; /* ak_optim_type */
        double lr, momentum, weight_decay;
        bool nesterov;
        ak_cfg_float_list betas;
        double eps, grad_clip;
        double norm_decay_mult, bias_decay_mult, bias_lr_mult;
    } optim;
    struct {
        int policy; /* ak_sched_policy */
        bool by_epoch;
        int max_epochs, max_iters;
        ak_cfg_int_list milestones;
        double gamma, power, min_lr;
        int warmup; /* ak_warmup */
        int warmup_iters;
        double warmup_ratio;
    } schedule;
    struct {
        int batch_size, seed, threads;
        int device; /* ak_run_device */
        int conv;   /* ak_conv_algo */
        int loader_threads;
        int eval_interval, checkpoint_interval, log_interval;
        int feature_images;
        ak_cfg_int_list feature_steps;
    } train;
    struct {
        double score_thr, nms_iou;
        int nms_pre, max_dets, batch_size, images;
    } eval;
    struct {
        char dir[AK_CFG_PATH_LEN];
    } output;
    char run_id[AK_RUN_ID_LEN]; /* filled by the loaders; not a config key */
} ak_run_config;

/* The schema (static, immutable). */
const ak_schema *ak_run_config_schema(void);

/* Load `path`, apply `sets` ("a.b=v", in order), validate, fill defaults, check, bind into *out.
 * *yaml (may be NULL) receives the canonical text (malloc'd). On error *out is unspecified. */
int ak_run_config_load(const char *path, const char *const *sets, int n_sets, ak_run_config *out, char **yaml,
                       ak_error *err);

/* The same on an already loaded (and overridden) document; cfg is modified (defaults filled, values
 * canonical). */
int ak_run_config_resolve(ak_cfg *cfg, ak_run_config *out, char **yaml, ak_error *err);

/* Only the cross-field checks, on a bound config; `root` (may be NULL) supplies positions. */
int ak_run_config_check(const ak_run_config *c, const ak_cfg_node *root, ak_error *err);

#endif
