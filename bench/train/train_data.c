/* See train_data.h. */
#include "bench/train/train_data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datasets/synth_cityscapes.h"
#include "datasets/synth_coco.h"
#include "store/fsutil.h"

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int ak_train_data_synth_root(const ak_run_config *cfg, char *out, size_t len, ak_error *err) {
    const char *cache = getenv("AKD_DATA_DIR");
    const char *kind = cfg->dataset.name == AK_DATASET_COCO ? "coco" : "cityscapes";
    /* Every generator option is in the name: a cached folder is reused only for the same data. */
    char scene[64] = "";
    if (cfg->dataset.name == AK_DATASET_COCO)
        snprintf(scene, sizeof scene, "_o%d_b%d%s", cfg->dataset.synth.max_objects, cfg->dataset.synth.min_box,
                 cfg->dataset.synth.clean ? "_clean" : "");
    int n = snprintf(out, len, "%s/synth_%s_%dx%d_n%d_v%d_s%d%s", cache && *cache ? cache : "data", kind,
                     cfg->dataset.synth.height, cfg->dataset.synth.width, cfg->dataset.synth.images,
                     cfg->dataset.synth.val_images, cfg->dataset.synth.seed, scene);
    if (n < 0 || (size_t)n >= len)
        return ak_error_set(err, AK_EINVAL, "synthetic data path too long");
    return AK_OK;
}

/* Generate both splits into a private folder, then rename it into place (atomic for other runs). */
static int generate(const ak_run_config *cfg, const char *root, ak_error *err) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.partial-%ld", root, (long)getpid());
    AK_TRY(ak_mkdir_p(tmp, err));
    const char *splits[2] = {"train", "val"};
    const int counts[2] = {cfg->dataset.synth.images, cfg->dataset.synth.val_images};
    for (int s = 0; s < 2; s++) {
        ak_synth_opts o = {tmp, counts[s], cfg->dataset.synth.height, cfg->dataset.synth.width,
                           (uint64_t)cfg->dataset.synth.seed + (uint64_t)s * 1000003u, splits[s],
                           cfg->dataset.synth.max_objects, cfg->dataset.synth.min_box, cfg->dataset.synth.clean};
        int rc;
        if (cfg->dataset.name == AK_DATASET_COCO) {
            ak_synth_coco_stats st;
            rc = ak_synth_coco(&o, &st, err);
        } else {
            ak_synth_cityscapes_stats st;
            rc = ak_synth_cityscapes(&o, &st, err);
        }
        if (rc != AK_OK) {
            ak_error_prefix(err, "generating synthetic data in %s", tmp);
            return rc;
        }
    }
    if (rename(tmp, root) != 0 && !is_dir(root))
        return ak_error_set(err, AK_EIO, "%s: cannot rename from %s (%s)", root, tmp, strerror(errno));
    /* Another run may have won the race: its folder is identical (same seed, same bytes). */
    if (is_dir(tmp)) {
        char cmd[8600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0)
            fprintf(stderr, "warning: could not remove %s\n", tmp);
    }
    return AK_OK;
}

static void seg_aug(const ak_run_config *cfg, bool train, ak_seg_aug *a) {
    memset(a, 0, sizeof *a);
    const ak_cfg_int_list *sc = &cfg->dataset.img_scale;
    /* img_scale is [H, W] in the config; mmseg's Resize takes (long, short). */
    int h = sc->n >= 2 ? (int)sc->v[0] : 0, w = sc->n >= 2 ? (int)sc->v[1] : 0;
    a->scale_long = h > w ? h : w;
    a->scale_short = h > w ? w : h;
    for (int c = 0; c < 3; c++) {
        a->mean[c] = cfg->dataset.mean.n == 3 ? cfg->dataset.mean.v[c] : 0.0;
        a->std[c] = cfg->dataset.std.n == 3 ? cfg->dataset.std.v[c] : 1.0;
    }
    if (train) {
        if (cfg->dataset.ratio_range.n == 2) {
            a->ratio_lo = (float)cfg->dataset.ratio_range.v[0];
            a->ratio_hi = (float)cfg->dataset.ratio_range.v[1];
        }
        if (cfg->dataset.crop_size.n == 2) {
            a->crop_h = (int)cfg->dataset.crop_size.v[0];
            a->crop_w = (int)cfg->dataset.crop_size.v[1];
            a->pad_h = a->crop_h;
            a->pad_w = a->crop_w;
        }
        a->cat_max_ratio = (float)cfg->dataset.cat_max_ratio;
        a->flip_prob = (float)cfg->dataset.flip_prob;
        a->photometric = cfg->dataset.photometric;
        if (a->photometric)
            a->photo = ak_photometric_default();
    } else {
        a->size_divisor = cfg->dataset.pad_divisor;
        a->keep_label_size = 1;
    }
}

static void det_aug(const ak_run_config *cfg, bool train, ak_det_aug *a) {
    memset(a, 0, sizeof *a);
    const ak_cfg_int_list *sc = &cfg->dataset.img_scale;
    int h = sc->n >= 2 ? (int)sc->v[0] : 0, w = sc->n >= 2 ? (int)sc->v[1] : 0;
    a->scale_long = h > w ? h : w;
    a->scale_short = h > w ? w : h;
    a->flip_prob = train ? (float)cfg->dataset.flip_prob : 0.0f;
    for (int c = 0; c < 3; c++) {
        a->mean[c] = cfg->dataset.mean.n == 3 ? cfg->dataset.mean.v[c] : 0.0;
        a->std[c] = cfg->dataset.std.n == 3 ? cfg->dataset.std.v[c] : 1.0;
    }
    a->size_divisor = cfg->dataset.pad_divisor;
}

static int open_loader(ak_loader **out, ak_source src, int batch, bool train, uint64_t seed, int workers,
                       ak_error *err) {
    ak_loader_cfg lc;
    memset(&lc, 0, sizeof lc);
    lc.src = src;
    lc.batch_size = batch;
    lc.shuffle = train;
    lc.drop_last = train;
    lc.seed = seed;
    lc.workers = workers;
    lc.queue_batches = 2;
    lc.on_bad_sample = AK_BAD_SAMPLE_ERROR;
    return ak_loader_open(out, &lc, err);
}

int ak_train_data_open(ak_train_data *d, const ak_run_config *cfg, int workers, ak_error *err) {
    memset(d, 0, sizeof *d);
    d->task = cfg->task;
    if (cfg->dataset.synthetic) {
        AK_TRY(ak_train_data_synth_root(cfg, d->root, sizeof d->root, err));
        if (!is_dir(d->root)) {
            char parent[4096];
            const char *cache = getenv("AKD_DATA_DIR");
            snprintf(parent, sizeof parent, "%s", cache && *cache ? cache : "data");
            AK_TRY(ak_mkdir_p(parent, err));
            AK_TRY(generate(cfg, d->root, err));
        }
    } else {
        if (!cfg->dataset.root[0])
            return ak_error_set(err, AK_EINVAL, "dataset.root: empty for a non-synthetic dataset");
        snprintf(d->root, sizeof d->root, "%s", cfg->dataset.root);
    }
    uint64_t seed = (uint64_t)cfg->train.seed;
    int batch = cfg->train.batch_size, eval_batch = cfg->eval.batch_size > 0 ? cfg->eval.batch_size : 1;
    if (cfg->task == AK_TASK_SEG) {
        ak_cityscapes_opts o = {d->root, cfg->dataset.train_split, AK_BAD_SAMPLE_ERROR};
        AK_TRY(ak_cityscapes_open(&d->city_train, &o, err));
        o.split = cfg->dataset.val_split;
        AK_TRY(ak_cityscapes_open(&d->city_val, &o, err));
        d->seg_train.ds = &d->city_train;
        d->seg_val.ds = &d->city_val;
        seg_aug(cfg, true, &d->seg_train.aug);
        seg_aug(cfg, false, &d->seg_val.aug);
        d->n_train = d->city_train.n;
        d->n_val = d->city_val.n;
        AK_TRY(open_loader(&d->train, ak_seg_source_make(&d->seg_train), batch, true, seed, workers, err));
        AK_TRY(open_loader(&d->val, ak_seg_source_make(&d->seg_val), eval_batch, false, seed, workers, err));
    } else {
        char ann[4200], img[4200];
        ak_coco_dataset_opts o;
        memset(&o, 0, sizeof o);
        snprintf(ann, sizeof ann, "%s/annotations/instances_%s.json", d->root, cfg->dataset.train_split);
        snprintf(img, sizeof img, "%s/%s", d->root, cfg->dataset.train_split);
        o.ann_file = ann;
        o.img_dir = img;
        o.train = 1;
        AK_TRY(ak_coco_dataset_open(&d->coco_train, &o, err));
        snprintf(ann, sizeof ann, "%s/annotations/instances_%s.json", d->root, cfg->dataset.val_split);
        snprintf(img, sizeof img, "%s/%s", d->root, cfg->dataset.val_split);
        o.train = 0;
        AK_TRY(ak_coco_dataset_open(&d->coco_val, &o, err));
        d->det_train.ds = &d->coco_train;
        d->det_val.ds = &d->coco_val;
        det_aug(cfg, true, &d->det_train.aug);
        det_aug(cfg, false, &d->det_val.aug);
        d->n_train = d->coco_train.n;
        d->n_val = d->coco_val.n;
        AK_TRY(open_loader(&d->train, ak_det_source_make(&d->det_train), batch, true, seed, workers, err));
        AK_TRY(open_loader(&d->val, ak_det_source_make(&d->det_val), eval_batch, false, seed, workers, err));
    }
    return AK_OK;
}

void ak_train_data_close(ak_train_data *d) {
    if (d->train)
        ak_loader_close(d->train);
    if (d->val)
        ak_loader_close(d->val);
    if (d->task == AK_TASK_SEG) {
        ak_cityscapes_close(&d->city_train);
        ak_cityscapes_close(&d->city_val);
    } else {
        ak_coco_dataset_close(&d->coco_train);
        ak_coco_dataset_close(&d->coco_val);
    }
    memset(d, 0, sizeof *d);
}
