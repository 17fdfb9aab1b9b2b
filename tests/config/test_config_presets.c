/* akdbench run configs (store/akd_config.h): every file under bench/configs/ loads and validates;
 * the released AKD settings and the Part 0 defaults resolve to the documented values; cross-field
 * constraints; `--set` type conversion; the run id changes iff a value changes. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "aktest.h"
#include "store/akd_config.h"

static void assert_contains(const char *msg, const char *needle) {
    ck_assert_msg(strstr(msg, needle) != NULL, "message \"%s\" lacks \"%s\"", msg, needle);
}

typedef struct loaded {
    ak_run_config c;
    char *yaml;
    int rc;
    ak_error err;
} loaded;

/* Load a file (relative to the source tree) with overrides; the result is heap-allocated. */
static loaded *load(const char *rel, const char *const *sets, int n_sets) {
    loaded *l = calloc(1, sizeof *l);
    char *path = ak_source_path(rel);
    ak_error_clear(&l->err);
    l->rc = ak_run_config_load(path, sets, n_sets, &l->c, &l->yaml, &l->err);
    free(path);
    return l;
}

static loaded *load_ok(const char *rel, const char *const *sets, int n_sets) {
    loaded *l = load(rel, sets, n_sets);
    ck_assert_msg(l->rc == AK_OK, "%s: %s", rel, l->err.msg);
    return l;
}

static void unload(loaded *l) {
    free(l->yaml);
    free(l);
}

/* The canonical text of a resolved config reloads to the same text and id. */
static void assert_stable(const char *what, const loaded *l) {
    ak_cfg *cfg = ak_cfg_new();
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_cfg_load_string(cfg, l->yaml, "stored", &err) == AK_OK, "%s: %s", what, err.msg);
    ak_run_config *again = malloc(sizeof *again);
    char *yaml = NULL;
    ck_assert_msg(ak_run_config_resolve(cfg, again, &yaml, &err) == AK_OK, "%s reloaded: %s", what, err.msg);
    ck_assert_msg(strcmp(yaml, l->yaml) == 0, "%s: dump -> load -> dump differs", what);
    ck_assert_str_eq(again->run_id, l->c.run_id);
    char id[AK_RUN_ID_LEN];
    ak_run_id_of_config(l->yaml, id);
    ck_assert_str_eq(id, l->c.run_id);
    free(yaml);
    free(again);
    ak_cfg_free(cfg);
}

/* ---- every file under bench/configs ---- */

typedef struct walk_stats {
    int runs, fragments;
} walk_stats;

static void check_file(const char *rel, int fragment, walk_stats *st) {
    char *path = ak_source_path(rel);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s: cannot open", rel);
    char first[8] = "";
    ck_assert_msg(fgets(first, sizeof first, f) && first[0] == '#', "%s: must start with a comment naming its source",
                  rel);
    fclose(f);
    if (fragment) {
        ak_cfg *cfg = ak_cfg_new();
        ak_error err;
        ak_error_clear(&err);
        int rc = ak_cfg_load_file(cfg, path, &err);
        if (rc == AK_OK)
            rc = ak_schema_check(ak_run_config_schema(), ak_cfg_root(cfg), &err);
        ck_assert_msg(rc == AK_OK, "%s: %s", rel, err.msg);
        ak_cfg_free(cfg);
        st->fragments++;
    } else {
        loaded *l = load_ok(rel, NULL, 0);
        assert_stable(rel, l);
        unload(l);
        st->runs++;
    }
    free(path);
}

static int cmp_name(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

static void walk_dir(const char *rel, int fragment, walk_stats *st) {
    char *path = ak_source_path(rel);
    DIR *d = opendir(path);
    ck_assert_msg(d != NULL, "cannot open %s", path);
    /* Sorted, so that failures are reported in a stable order. */
    char names[128][256];
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.' && n < 128)
            snprintf(names[n++], sizeof names[0], "%s", e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_name);
    for (int i = 0; i < n; i++) {
        char child[600], full[900];
        if (snprintf(child, sizeof child, "%s/%s", rel, names[i]) >= (int)sizeof child ||
            snprintf(full, sizeof full, "%s/%s", path, names[i]) >= (int)sizeof full)
            ck_abort_msg("path too long under %s", rel);
        struct stat sb;
        ck_assert_int_eq(stat(full, &sb), 0);
        if (S_ISDIR(sb.st_mode)) {
            if (strcmp(names[i], "sweeps") != 0) /* sweep files are not run configs */
                walk_dir(child, fragment || strcmp(names[i], "_base_") == 0, st);
        } else if (strlen(names[i]) > 5 && strcmp(names[i] + strlen(names[i]) - 5, ".yaml") == 0) {
            check_file(child, fragment, st);
        }
    }
    free(path);
}

START_TEST(every_bench_config_loads_and_validates) {
    walk_stats st = {0, 0};
    walk_dir("bench/configs", 0, &st);
    /* Not vacuous: 5 AKD settings, 14 paper baselines, 15 synthetic presets, 10 fragments today. */
    ck_assert_int_ge(st.runs, 30);
    ck_assert_int_ge(st.fragments, 10);
}
END_TEST

/* ---- values of the released settings (METHODS.md §1.3) and the Part 0 defaults ---- */

START_TEST(released_maskd_setting_b) {
    loaded *l = load_ok("bench/configs/akd/akd_maskd_retinanet_r101-r50_2x_coco.yaml", NULL, 0);
    const ak_run_config *c = &l->c;
    ck_assert_int_eq(c->task, AK_TASK_DET);
    ck_assert_int_eq(c->model.student.arch, AK_ARCH_RETINANET);
    ck_assert_int_eq(c->model.student.backbone, AK_BACKBONE_RESNET50);
    ck_assert_int_eq(c->model.teacher.backbone, AK_BACKBONE_RESNET101);
    ck_assert_int_eq(c->model.inherit_from_teacher, AK_INHERIT_NONE);
    ck_assert_int_eq(c->distill.method, AK_DISTILL_MASKD);
    ck_assert_int_eq(c->distill.taps.n, 5);
    ck_assert_str_eq(c->distill.taps.v[4], "neck.p7");
    ck_assert_int_eq(c->distill.connector, AK_CONNECTOR_CONV1X1);
    ck_assert_double_eq(c->distill.weight, 7.0);
    ck_assert_int_eq(c->distill.maskd.num_tokens, 6);
    ck_assert_int_eq(c->distill.maskd.custom_mask_warmup, 7000);
    ck_assert(c->distill.maskd.weight_mask && c->distill.maskd.custom_mask);
    ck_assert_int_eq(c->distill.head.loss, AK_HEAD_L1);
    ck_assert_double_eq(c->distill.head.weight, 1.0);
    ck_assert(c->akd.enabled);
    ck_assert_int_eq(c->akd.num_avatars, 1);
    ck_assert_int_eq(c->akd.perturb, AK_PERTURB_DROPOUT);
    ck_assert_double_eq(c->akd.rate, 0.1);
    ck_assert_int_eq(c->akd.uncertainty, AK_UNC_CODE);
    ck_assert(c->akd.normalize_teacher);
    ck_assert_int_eq(c->akd.ghost_batch, 2);
    ck_assert_int_eq(c->optim.type, AK_OPTIM_SGD);
    ck_assert_double_eq(c->optim.lr, 0.02);
    ck_assert_double_eq(c->optim.momentum, 0.9);
    ck_assert_double_eq(c->optim.weight_decay, 1e-4);
    ck_assert_double_eq(c->optim.grad_clip, 35.0);
    ck_assert(c->schedule.by_epoch);
    ck_assert_int_eq(c->schedule.max_epochs, 24);
    ck_assert_int_eq(c->schedule.milestones.n, 2);
    ck_assert_int_eq(c->schedule.milestones.v[0], 16);
    ck_assert_int_eq(c->schedule.milestones.v[1], 22);
    ck_assert_int_eq(c->schedule.warmup, AK_WARMUP_LINEAR);
    ck_assert_int_eq(c->schedule.warmup_iters, 1000);
    ck_assert_double_eq(c->schedule.warmup_ratio, 0.001);
    ck_assert_int_eq(c->train.batch_size, 16);
    unload(l);
}
END_TEST

START_TEST(released_cwd_and_mgd_settings_a_c) {
    loaded *l = load_ok("bench/configs/akd/akd_cwd_retinanet_r101-r50_2x_coco.yaml", NULL, 0);
    ck_assert_int_eq(l->c.distill.method, AK_DISTILL_CWD);
    ck_assert_double_eq(l->c.distill.weight, 7.5);
    ck_assert_double_eq(l->c.distill.cwd.tau, 1.0);
    ck_assert(!l->c.akd.normalize_teacher); /* the released CWD variant */
    ck_assert_int_eq(l->c.model.inherit_from_teacher, AK_INHERIT_NECK_HEAD);
    ck_assert_double_eq(l->c.optim.lr, 0.01);
    ck_assert_double_eq(l->c.optim.grad_clip, 0.0);
    unload(l);

    l = load_ok("bench/configs/akd/akd_mgd_retinanet_r101-r50_2x_coco.yaml", NULL, 0);
    ck_assert_int_eq(l->c.distill.method, AK_DISTILL_MGD);
    ck_assert_double_eq(l->c.distill.mgd.alpha, 2e-5);
    ck_assert_double_eq(l->c.distill.mgd.lambda, 0.65);
    ck_assert(l->c.distill.frozen_loss_params); /* the released quirk */
    ck_assert(l->c.akd.normalize_teacher);
    ck_assert_double_eq(l->c.optim.lr, 0.02);
    ck_assert_double_eq(l->c.optim.grad_clip, 35.0);
    unload(l);

    /* The FCOS variant: FCOS conventions, the AKD config's optimizer values. */
    l = load_ok("bench/configs/akd/akd_mgd_fcos_r101-r50_2x_coco.yaml", NULL, 0);
    ck_assert_int_eq(l->c.model.student.arch, AK_ARCH_FCOS);
    ck_assert_int_eq(l->c.model.teacher.arch, AK_ARCH_FCOS);
    ck_assert_int_eq(l->c.model.teacher.style, AK_STYLE_CAFFE);
    ck_assert(!l->c.dataset.to_rgb);
    ck_assert_double_eq(l->c.dataset.std.v[0], 1.0);
    ck_assert_int_eq(l->c.dataset.short_sides.n, 2);
    ck_assert_double_eq(l->c.optim.lr, 0.02);
    ck_assert_double_eq(l->c.optim.bias_lr_mult, 2.0);
    ck_assert_double_eq(l->c.optim.bias_decay_mult, 0.0);
    ck_assert_int_eq(l->c.schedule.warmup, AK_WARMUP_CONSTANT);
    ck_assert_double_eq(l->c.schedule.warmup_ratio, 1.0 / 3.0);
    ck_assert_int_eq(l->c.distill.method, AK_DISTILL_MGD);
    unload(l);
}
END_TEST

START_TEST(part0_defaults_and_segmentation_base) {
    /* A config that never mentions akd gets the documented defaults. */
    loaded *l = load_ok("bench/configs/cityscapes/cwd_pspnet_r101-r18_80k_cityscapes.yaml", NULL, 0);
    const ak_run_config *c = &l->c;
    ck_assert(!c->akd.enabled);
    ck_assert_int_eq(c->akd.num_avatars, 1);
    ck_assert_int_eq(c->akd.perturb, AK_PERTURB_DROPOUT);
    ck_assert_double_eq(c->akd.rate, 0.1);
    ck_assert_int_eq(c->akd.uncertainty, AK_UNC_CODE);
    ck_assert(c->akd.normalize_teacher);
    ck_assert_int_eq(c->akd.ghost_batch, 2);
    ck_assert_double_eq(c->akd.eps, 1e-5);
    ck_assert(!c->distill.frozen_loss_params);
    /* The segmentation paper setting (METHODS.md §4, §3.2). */
    ck_assert_int_eq(c->task, AK_TASK_SEG);
    ck_assert_int_eq(c->dataset.name, AK_DATASET_CITYSCAPES);
    ck_assert_int_eq(c->dataset.crop_size.v[0], 512);
    ck_assert_int_eq(c->dataset.crop_size.v[1], 1024);
    ck_assert_double_eq(c->dataset.ratio_range.v[1], 2.0);
    ck_assert_int_eq(c->model.num_classes, 19);
    ck_assert_int_eq(c->model.student.backbone, AK_BACKBONE_RESNET18);
    ck_assert(c->model.student.deep_stem && c->model.student.dilated);
    ck_assert_int_eq(c->schedule.policy, AK_SCHED_POLY);
    ck_assert_int_eq(c->schedule.max_iters, 80000);
    ck_assert_double_eq(c->schedule.power, 0.9);
    ck_assert_double_eq(c->schedule.min_lr, 1e-4);
    ck_assert_double_eq(c->optim.lr, 0.01);
    ck_assert_double_eq(c->optim.weight_decay, 5e-4);
    ck_assert_int_eq(c->train.batch_size, 8);
    ck_assert_int_eq(c->distill.method, AK_DISTILL_CWD);
    ck_assert_str_eq(c->distill.taps.v[0], "decode.logits");
    ck_assert_double_eq(c->distill.weight, 5.0);
    unload(l);
}
END_TEST

START_TEST(enum_names_match_the_enums) {
    ck_assert_str_eq(ak_task_name(AK_TASK_SEG), "seg");
    ck_assert_str_eq(ak_dataset_name(AK_DATASET_CITYSCAPES), "cityscapes");
    ck_assert_str_eq(ak_arch_name(AK_ARCH_DEEPLABV3), "deeplabv3");
    ck_assert_str_eq(ak_backbone_name(AK_BACKBONE_RESNET101), "resnet101");
    ck_assert_str_eq(ak_style_name(AK_STYLE_CAFFE), "caffe");
    ck_assert_str_eq(ak_inherit_name(AK_INHERIT_NECK_HEAD), "neck_head");
    ck_assert_str_eq(ak_distill_method_name(AK_DISTILL_MASKD), "maskd");
    ck_assert_str_eq(ak_distill_method_name(AK_DISTILL_DIST), "dist");
    ck_assert_str_eq(ak_connector_name(AK_CONNECTOR_RESIZE_TEACHER), "resize_teacher");
    ck_assert_str_eq(ak_head_loss_name(AK_HEAD_SMOOTH_L1), "smooth_l1");
    ck_assert_str_eq(ak_mgd_mask_name(AK_MGD_MASK_CHANNEL), "channel");
    ck_assert_str_eq(ak_perturb_name(AK_PERTURB_GAUSSIAN), "gaussian");
    ck_assert_str_eq(ak_uncertainty_name(AK_UNC_PAPER), "paper");
    ck_assert_str_eq(ak_optim_name(AK_OPTIM_ADAMW), "adamw");
    ck_assert_str_eq(ak_sched_name(AK_SCHED_COSINE), "cosine");
    ck_assert_str_eq(ak_warmup_name(AK_WARMUP_CONSTANT), "constant");
    ck_assert_str_eq(ak_run_device_name(AK_RUN_DEVICE_CUDA), "cuda");
    ck_assert_str_eq(ak_conv_algo_name(AK_CONV_ALGO_DIRECT), "direct");
    ck_assert_str_eq(ak_task_name(7), "?");
}
END_TEST

/* ---- --set on the real schema ---- */

/* model.*.key_style: the schema's names are the weight loader's (store/weights_file.h), auto by
 * default, and a bad name is refused naming the key. */
START_TEST(key_style_names_match_the_weight_loader) {
    loaded *l = load_ok("bench/configs/synth_coco_cwd.yaml", NULL, 0);
    ck_assert_int_eq(l->c.model.student.key_style, AK_KEYS_AUTO);
    assert_contains(l->yaml, "    key_style: auto\n");
    unload(l);
    for (int v = 0; v < AK_KEYS_COUNT; v++) {
        char set[64];
        snprintf(set, sizeof set, "model.teacher.key_style=%s", ak_key_style_name(v));
        const char *sets[] = {set};
        l = load_ok("bench/configs/synth_coco_cwd.yaml", sets, 1);
        ck_assert_int_eq(l->c.model.teacher.key_style, v);
        unload(l);
    }
    const char *bad[] = {"model.student.key_style=detectron"};
    l = load("bench/configs/synth_coco_cwd.yaml", bad, 1);
    ck_assert_int_eq(l->rc, AK_EINVAL);
    assert_contains(l->err.msg, "model.student.key_style");
    unload(l);
}
END_TEST

/* train.conv: auto by default (Winograd where it applies), direct on request, anything else refused
 * naming the key and the choices. */
START_TEST(conv_algorithm_is_a_training_setting) {
    loaded *l = load_ok("bench/configs/synth_coco_cwd.yaml", NULL, 0);
    ck_assert_int_eq(l->c.train.conv, AK_CONV_ALGO_AUTO);
    assert_contains(l->yaml, "  conv: auto\n");
    unload(l);
    const char *direct[] = {"train.conv=direct"};
    l = load_ok("bench/configs/synth_coco_cwd.yaml", direct, 1);
    ck_assert_int_eq(l->c.train.conv, AK_CONV_ALGO_DIRECT);
    assert_contains(l->yaml, "  conv: direct\n");
    unload(l);
    const char *bad[] = {"train.conv=winograd"};
    l = load("bench/configs/synth_coco_cwd.yaml", bad, 1);
    ck_assert_int_eq(l->rc, AK_EINVAL);
    assert_contains(l->err.msg, "key 'train.conv' in --set train.conv=winograd: 'winograd' is not one of auto|direct");
    unload(l);
}
END_TEST

START_TEST(set_converts_types) {
    static const char *const sets[] = {"optim.lr=5e-3",
                                       "akd.enabled=yes",
                                       "akd.rate=0.25",
                                       "model.student.backbone=resnet34",
                                       "distill.taps=[neck.p3]",
                                       "train.feature_steps=[1, 20, 300]",
                                       "model.teacher.weights=t.safetensors",
                                       "output.dir='123'"};
    loaded *l = load_ok("bench/configs/synth_coco_cwd.yaml", sets, 8);
    ck_assert_double_eq(l->c.optim.lr, 0.005);
    ck_assert(l->c.akd.enabled);
    ck_assert_double_eq(l->c.akd.rate, 0.25);
    ck_assert_int_eq(l->c.model.student.backbone, AK_BACKBONE_RESNET34);
    ck_assert_int_eq(l->c.distill.taps.n, 1);
    ck_assert_str_eq(l->c.distill.taps.v[0], "neck.p3");
    ck_assert_int_eq(l->c.train.feature_steps.n, 3);
    ck_assert_int_eq(l->c.train.feature_steps.v[2], 300);
    ck_assert_str_eq(l->c.model.teacher.weights, "t.safetensors");
    ck_assert_str_eq(l->c.output.dir, "123");
    /* The canonical text shows the converted values. */
    assert_contains(l->yaml, "  lr: 0.005\n");
    assert_contains(l->yaml, "  dir: '123'\n");
    assert_contains(l->yaml, "  feature_steps: [1, 20, 300]\n");
    unload(l);

    static const char *const bad[] = {"optim.lr=abc"};
    l = load("bench/configs/synth_coco_cwd.yaml", bad, 1);
    ck_assert_int_eq(l->rc, AK_EINVAL);
    assert_contains(l->err.msg, "key 'optim.lr' in --set optim.lr=abc: expected a float, got 'abc'");
    unload(l);
    static const char *const typo[] = {"optim.lrr=1"};
    l = load("bench/configs/synth_coco_cwd.yaml", typo, 1);
    ck_assert_int_eq(l->rc, AK_EINVAL);
    assert_contains(l->err.msg, "unknown key 'optim.lrr' in --set optim.lrr=1 (did you mean 'optim.lr'?)");
    unload(l);
}
END_TEST

/* ---- cross-field constraints ---- */

static void fails_with(const char *rel, const char *set, const char *needle1, const char *needle2) {
    const char *sets[] = {set};
    loaded *l = load(rel, sets, set ? 1 : 0);
    ck_assert_msg(l->rc == AK_EINVAL, "%s %s: got %d (%s)", rel, set ? set : "", l->rc, l->err.msg);
    assert_contains(l->err.msg, needle1);
    if (needle2)
        assert_contains(l->err.msg, needle2);
    unload(l);
}

START_TEST(cross_field_constraints) {
    fails_with("tests/fixtures/config/akd_without_method.yaml", NULL, "akd_without_method.yaml line 4",
               "distill.method (");
    fails_with("tests/fixtures/config/akd_without_method.yaml", NULL, "akd.enabled (", "choose a distill.method");
    fails_with("tests/fixtures/config/paper_rate_zero.yaml", NULL, "akd.uncertainty (",
               "paper_rate_zero.yaml line 5): paper mode needs a rate > 0");
    const char *cwd = "bench/configs/synth_coco_cwd.yaml";
    /* Paper mode with a positive rate is fine; rate 0 is fine in code mode (AKD == baseline). */
    const char *ok1[] = {"akd.enabled=true", "akd.uncertainty=paper", "akd.rate=0.05"};
    unload(load_ok(cwd, ok1, 3));
    const char *ok2[] = {"akd.enabled=true", "akd.rate=0", "akd.uncertainty=none"};
    unload(load_ok(cwd, ok2, 3));
    const char *ok3[] = {"akd.enabled=true", "akd.perturb=gaussian", "akd.rate=1.5"};
    unload(load_ok(cwd, ok3, 3));
    fails_with(cwd, "akd={enabled: true, rate: 1}", "akd.rate (--set", "a dropout rate must be below 1");
    fails_with(cwd, "distill.taps=[]", "distill.taps (--set distill.taps=[])", "method cwd needs at least one tap");
    fails_with(cwd, "distill.teacher_taps=[neck.p3]", "distill.teacher_taps", "1 teacher taps for 5 student taps");
    fails_with(cwd, "distill.head.loss=l1", "distill.head.taps", "head loss l1 needs at least one tap");
    fails_with(cwd, "model.student.arch=pspnet", "model.student.arch (--set", "task det cannot use a pspnet model");
    fails_with(cwd, "task=seg", "task (--set task=seg) and dataset.name (", "task seg cannot use the coco format");
    fails_with("bench/configs/synth_cityscapes_cwd.yaml", "distill.method=fgd", "fgd needs ground-truth boxes", NULL);
    fails_with(cwd, "schedule.milestones=[100, 50]", "schedule.milestones", "must increase strictly (50 after 100)");
    fails_with(cwd, "schedule.milestones=[100, 150]", "schedule.max_iters",
               "milestone 150 is not before the end (150)");
    fails_with(cwd, "schedule.by_epoch=true", "schedule.max_epochs", "the training length must be positive");
    fails_with(cwd, "dataset.synthetic=false", "dataset.root (", "no dataset folder and no synthetic dataset");
    const char *mgd = "tests/fixtures/config/synth_coco_inherit.yaml"; /* inherits the teacher's neck and head */
    fails_with(mgd, "model.student.arch=fcos", "model.inherit_from_teacher (",
               "cannot copy a retinanet teacher's modules into a fcos student");
    fails_with(mgd, "model.student.width=0.5", "model.student.width (--set",
               "necks differ in width (256 vs 128 channels)");
}
END_TEST

/* ---- the default sweeps ---- */

/* The teacher preset trains model.student; every distillation preset loads those weights strictly as
 * model.teacher, so the two model sections must describe the same network. */
static void same_network(const char *what, const ak_model_config *a, const ak_model_config *b) {
    ck_assert_msg(a->arch == b->arch && a->backbone == b->backbone && a->width == b->width &&
                      a->deep_stem == b->deep_stem && a->dilated == b->dilated && a->style == b->style &&
                      a->head_channels == b->head_channels && a->neck_channels == b->neck_channels &&
                      a->head_convs == b->head_convs && a->aux_head == b->aux_head,
                  "%s: the teacher preset trains a different network than model.teacher "
                  "(arch %d/%d, backbone %d/%d, width %g/%g, head %d/%d, neck %d/%d, head convs %d/%d, aux %d/%d)",
                  what, a->arch, b->arch, a->backbone, b->backbone, a->width, b->width, a->head_channels,
                  b->head_channels, a->neck_channels, b->neck_channels, a->head_convs, b->head_convs, a->aux_head,
                  b->aux_head);
}

START_TEST(teacher_presets_match_every_distillation_preset) {
    static const char *tasks[] = {"synth_cityscapes", "synth_coco"};
    static const char *methods[] = {"none", "mse", "cwd", "mgd", "fgd", "pkd", "maskd"};
    for (int t = 0; t < 2; t++) {
        char rel[256];
        snprintf(rel, sizeof rel, "bench/configs/%s_teacher.yaml", tasks[t]);
        loaded *teacher = load_ok(rel, NULL, 0);
        int checked = 0;
        for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
            snprintf(rel, sizeof rel, "bench/configs/%s_%s.yaml", tasks[t], methods[m]);
            char *path = ak_source_path(rel);
            bool exists = access(path, F_OK) == 0;
            free(path);
            if (!exists)
                continue; /* fgd has no segmentation preset */
            loaded *l = load_ok(rel, NULL, 0);
            same_network(rel, &teacher->c.model.student, &l->c.model.teacher);
            unload(l);
            checked++;
        }
        ck_assert_int_ge(checked, 6);
        unload(teacher);
    }
}
END_TEST

/* ---- the run id ---- */

START_TEST(run_id_changes_iff_a_value_changes) {
    loaded *base = load_ok("bench/configs/synth_coco_cwd.yaml", NULL, 0);
    /* Same values, other key order, quoting, flow style and number spelling. */
    loaded *same = load_ok("tests/fixtures/config/reordered.yaml", NULL, 0);
    ck_assert_str_eq(same->yaml, base->yaml);
    ck_assert_str_eq(same->c.run_id, base->c.run_id);
    /* Setting a value to what it already is, spelled differently. */
    static const char *const respell[] = {"optim.lr=1.0e-3", "akd.rate=1e-1", "distill.method='cwd'",
                                          "train.batch_size=+4"};
    loaded *r = load_ok("bench/configs/synth_coco_cwd.yaml", respell, 4);
    ck_assert_str_eq(r->c.run_id, base->c.run_id);
    unload(r);
    /* Any value change changes the id (and every such id differs from every other). */
    static const char *const change[] = {"optim.lr=0.0011",
                                         "akd.rate=0.2",
                                         "akd.enabled=true",
                                         "train.seed=1",
                                         "distill.taps=[neck.p3, neck.p4, neck.p5, neck.p6]",
                                         "output.dir=x",
                                         "model.student.norm_eval=true",
                                         "eval.max_dets=99"};
    enum { NC = sizeof change / sizeof change[0] };
    char ids[NC][AK_RUN_ID_LEN];
    for (int i = 0; i < NC; i++) {
        const char *s1[] = {change[i]};
        loaded *c = load_ok("bench/configs/synth_coco_cwd.yaml", s1, 1);
        ck_assert_msg(strcmp(c->c.run_id, base->c.run_id) != 0, "%s did not change the run id", change[i]);
        snprintf(ids[i], sizeof ids[i], "%s", c->c.run_id);
        for (int j = 0; j < i; j++)
            ck_assert_msg(strcmp(ids[i], ids[j]) != 0, "%s and %s share a run id", change[i], change[j]);
        unload(c);
    }
    ck_assert_int_eq((int)strlen(base->c.run_id), 16);
    unload(same);
    unload(base);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("config_presets");
    TCase *tc = tcase_create("presets");
    tcase_add_test(tc, every_bench_config_loads_and_validates);
    tcase_add_test(tc, released_maskd_setting_b);
    tcase_add_test(tc, released_cwd_and_mgd_settings_a_c);
    tcase_add_test(tc, teacher_presets_match_every_distillation_preset);
    tcase_add_test(tc, part0_defaults_and_segmentation_base);
    tcase_add_test(tc, enum_names_match_the_enums);
    tcase_add_test(tc, key_style_names_match_the_weight_loader);
    tcase_add_test(tc, conv_algorithm_is_a_training_setting);
    tcase_add_test(tc, set_converts_types);
    tcase_add_test(tc, cross_field_constraints);
    tcase_add_test(tc, run_id_changes_iff_a_value_changes);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
