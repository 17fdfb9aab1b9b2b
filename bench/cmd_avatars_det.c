/* `akdbench avatars eval` for detection teachers (RetinaNet, FCOS): the teacher's backbone + neck run
 * once per validation batch, the distilled FPN levels are perturbed into K avatars and the head runs
 * on each avatar set; raw head outputs are averaged and decoded by the detector's own inference,
 * then every setting is scored with COCO AP (bench/train/det_capacity.h). The vanilla row equals the
 * teacher's evaluation by the trainer (bench/train/det_eval.h) when every validation image is used.
 *
 * Perturbed levels: --taps (comma list of neck levels), else distill.teacher_taps, else distill.taps
 * of the config, else every neck level (P3-P7). Avatar keys: (seed, batch, tap index, k), the tap
 * index being the position in that list, as in training. --images N scores the first N validation
 * images against their own ground truth only. Options and output: bench/avatars_cli.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/avatars_cli.h"
#include "bench/train/det_batch.h"
#include "bench/train/det_capacity.h"
#include "bench/train/net.h"
#include "bench/train/train_data.h"
#include "datasets/batch_input.h"
#include "store/checkpoint.h"

/* The tap list (see top of file) into names[]; returns the count (0 = every neck level). */
static int tap_list(const ak_avatars_cli *c, const ak_run_config *cfg, char *buf, size_t len, const char **names,
                    const char **what, ak_error *err) {
    int n = 0;
    if (c->taps) {
        *what = "--taps";
        snprintf(buf, len, "%s", c->taps);
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            if (n == AK_FPN_MAX_OUT)
                return ak_error_set(err, AK_EINVAL, "--taps %s: at most %d neck levels", c->taps, AK_FPN_MAX_OUT);
            names[n++] = tok;
        }
        if (!n)
            return ak_error_set(err, AK_EINVAL, "--taps '%s': no tap named", c->taps);
        return n;
    }
    const ak_cfg_str_list *l = cfg->distill.teacher_taps.n ? &cfg->distill.teacher_taps : &cfg->distill.taps;
    *what = cfg->distill.teacher_taps.n ? "distill.teacher_taps" : "distill.taps";
    if (l->n > AK_FPN_MAX_OUT)
        return ak_error_set(err, AK_EINVAL, "%s: %d taps, at most %d neck levels", *what, l->n, AK_FPN_MAX_OUT);
    for (int i = 0; i < l->n; i++)
        names[n++] = l->v[i];
    return n;
}

int ak_avatars_run_det(ak_avatars_cli *c, const ak_run_config *cfg, const char *weights, ak_error *err) {
    char tapbuf[512];
    const char *tap_names[AK_FPN_MAX_OUT], *what = "distill.taps";
    const int n_taps = tap_list(c, cfg, tapbuf, sizeof tapbuf, tap_names, &what, err);
    if (n_taps < 0)
        return n_taps;
    ak_net net;
    memset(&net, 0, sizeof net);
    net.task = AK_TASK_DET;
    ak_train_data data;
    memset(&data, 0, sizeof data);
    data.task = AK_TASK_DET;
    ak_coco gt;
    memset(&gt, 0, sizeof gt);
    ak_ctx feat, work;
    ak_ctx_init(&feat, 0, 0);
    ak_ctx_init(&work, 0, 0);
    static ak_det_capacity dc; /* large (one evaluation per setting): not on the stack */
    memset(&dc, 0, sizeof dc);
    ak_capacity cap;
    memset(&cap, 0, sizeof cap);
    const ak_capacity_cb cb = ak_det_capacity_callbacks(&dc);
    const int n_settings = ak_capacity_n_settings(&c->cap);
    int rc = ak_capacity_init(&cap, &c->cap, &cb, err); /* checks K and p before the slow part */
    if (rc == AK_OK)
        rc = ak_net_build(&net, &cfg->model.teacher, cfg, (uint64_t)cfg->train.seed + 7777u, err);
    if (rc == AK_OK && (rc = ak_ckpt_load_params(weights, NULL, &net.ps, err)) != AK_OK)
        ak_error_prefix(err, "teacher weights");
    if (rc == AK_OK)
        rc = ak_train_data_open(&data, cfg, 0, err);
    if (rc == AK_OK && data.coco_val.n_classes != cfg->model.num_classes)
        rc = ak_error_set(err, AK_EINVAL, "%s: model.num_classes is %d but %s has %d categories", c->config,
                          cfg->model.num_classes, data.coco_val.ann_file, data.coco_val.n_classes);
    if (rc == AK_OK)
        rc = ak_coco_load(&gt, data.coco_val.ann_file, err);
    if (rc == AK_OK)
        rc = ak_det_capacity_init(&dc, &net.det, tap_names, n_taps, what, data.coco_val.cat_ids, n_settings, err);
    if (rc == AK_OK)
        rc = ak_loader_start(data.val, 0, err);
    const bool rec = ak_ctx_set_record(&feat, false);
    const ak_batch *b;
    int64_t seen = 0, batch = 0;
    while (rc == AK_OK && (c->images <= 0 || seen < c->images)) {
        int got = ak_loader_next(data.val, &b, err);
        if (got <= 0) {
            rc = got;
            break;
        }
        ak_ctx_reset(&feat);
        ak_tensor *x = ak_batch_input(&feat, b), *levels[AK_FPN_MAX_OUT], *feats[AK_FPN_MAX_OUT];
        ak_det_image *imgs;
        ak_det_target *tg;
        int64_t *ids = ak_scratch(&feat, "image ids", (size_t)b->n * sizeof *ids);
        if (!x || !ids || ak_det_batch_targets(&feat, b, &imgs, &tg) != AK_OK ||
            ak_det_capacity_neck(&feat, &dc, x, levels) != AK_OK) {
            rc = ak_error_set(err, feat.err.code, "avatars eval: teacher backbone / neck: %s", feat.err.msg);
            break;
        }
        for (int i = 0; i < b->n; i++)
            ids[i] = b->samples[i]->image_id;
        const int64_t left = c->images > 0 ? c->images - seen : b->n;
        const int count = left < b->n ? (int)left : b->n;
        ak_det_capacity_set_batch(&dc, levels, imgs, ids, count, b->h, b->w);
        ak_det_capacity_features(&dc, feats);
        if ((rc = ak_capacity_batch(&cap, &work, feats, dc.n_feat, batch)) != AK_OK) {
            ak_error_set(err, rc, "avatars eval: %s", work.err.msg);
            break;
        }
        seen += count;
        batch++;
        fprintf(stderr, "\ravatars eval: %lld images", (long long)seen);
    }
    fprintf(stderr, "\n");
    if (data.val)
        ak_loader_stop(data.val);
    ak_ctx_set_record(&feat, rec);
    if (rc == AK_OK)
        rc = ak_det_capacity_finish(&dc, &gt, err);
    if (rc == AK_OK) {
        static ak_avatars_table t; /* large: not on the stack */
        memset(&t, 0, sizeof t);
        t = (ak_avatars_table){.task = "det", .metric = "AP", .metric2 = "AP50", .config = c->config,
                               .teacher = weights, .model = &cfg->model.teacher,
                               .head = "detection head on perturbed FPN levels, raw outputs", .images = seen};
        t.n_taps = dc.n_feat;
        for (int i = 0; i < dc.n_feat; i++)
            t.taps[i] = dc.feat_tap[i];
        for (int st = 0; st < n_settings; st++) {
            t.value[st][0] = dc.ev[st].stats[0];
            t.value[st][1] = dc.ev[st].stats[1];
            t.detections[st] = dc.dets[st].n;
        }
        ak_avatars_print(stdout, &c->cap, &t);
        if (c->json)
            rc = ak_avatars_write_json(c->json, &c->cap, &t, err);
    }
    ak_capacity_free(&cap);
    ak_det_capacity_free(&dc);
    ak_coco_free(&gt);
    ak_train_data_close(&data);
    ak_net_free(&net);
    ak_ctx_free(&feat);
    ak_ctx_free(&work);
    return rc;
}
