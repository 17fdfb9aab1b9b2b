/* `akdbench avatars eval CONFIG.yaml [--weights TEACHER.h5] [--set k=v ...] [--k 1,2,4,8]
 *  [--p 0.05,0.1,0.2,0.3,0.5] [--perturb dropout|channel_dropout|gaussian] [--images N] [--seed S]
 *  [--taps neck.p3,...] [--json OUT]`: the avatar-capacity table (akd/capacity.h) of a trained teacher.
 *
 * The teacher is model.teacher of the config, with weights from --weights (a checkpoint or a run
 * file) or model.teacher.weights. Its backbone runs once per validation batch (eval mode).
 * Segmentation (this file): the decode head runs on the stage-4 features (the tap "backbone.c5" the
 * segmentation presets distil) and on K avatars of them, the K logit maps averaged; predictions
 * follow the mmseg protocol of the trainer's evaluation (bench/train/seg_eval.c: resize to the padded
 * input, crop, resize to the label, arg-max), so the vanilla row equals the teacher's own evaluation.
 * Detection (bench/cmd_avatars_det.c): the head runs on the FPN levels with the distilled ones
 * perturbed, raw head outputs averaged, then the detector's inference and COCO AP.
 * Printed: a Markdown table per (p, K) with the difference to the vanilla teacher; --json writes the
 * same numbers (format in bench/avatars_cli.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "akd/capacity.h"
#include "bench/avatars_cli.h"
#include "bench/commands.h"
#include "bench/train/net.h"
#include "bench/train/train_data.h"
#include "core/ops/resize.h"
#include "core/ops/shape.h"
#include "datasets/batch_input.h"
#include "eval/seg_metrics.h"
#include "store/akd_config.h"
#include "store/checkpoint.h"

#define USAGE                                                                                                       \
    "usage: akdbench avatars eval CONFIG.yaml [--weights TEACHER.h5] [--set key=value ...] [--k 1,2,4,8]\n"       \
    "         [--p 0.05,0.1,0.2,0.3,0.5] [--perturb dropout|channel_dropout|gaussian] [--images N] [--seed S]\n" \
    "         [--taps neck.p3,neck.p4,...] [--json OUT]\n"

typedef struct seg_cap {
    const ak_segmentor *seg;
    const ak_batch *batch;
    int64_t max_images, first; /* images already counted before this batch */
    int num_classes;
    ak_seg_acc acc[AK_CAPACITY_MAX_SETTINGS];
    uint8_t *pred;
    size_t pred_cap;
    ak_error *err;
} seg_cap;

static ak_tensor *seg_head(ak_ctx *ctx, void *user, ak_tensor *const *f, int n) {
    seg_cap *s = user;
    (void)n;
    ak_rng unused = {0, 0};
    return ak_seg_head_forward(ctx, &s->seg->decode, f[0], false, unused, NULL);
}

static int seg_accumulate(ak_ctx *ctx, void *user, int setting, int64_t batch, const ak_tensor *logits) {
    seg_cap *s = user;
    (void)batch;
    const ak_batch *b = s->batch;
    for (int i = 0; i < b->n && (s->max_images <= 0 || s->first + i < s->max_images); i++) {
        const ak_sample *sm = b->samples[i];
        const size_t need = (size_t)sm->lab_h * (size_t)sm->lab_w;
        if (need > s->pred_cap) {
            uint8_t *p = realloc(s->pred, need);
            if (!p)
                return ak_error_set(&ctx->err, AK_ENOMEM, "avatars eval: out of memory");
            s->pred = p;
            s->pred_cap = need;
        }
        ak_tensor *li = ak_slice(ctx, (ak_tensor *)logits, 0, i, i + 1, 1);
        ak_tensor *up = ak_resize(ctx, li, sm->pad_h, sm->pad_w, AK_RESIZE_BILINEAR, false);
        ak_tensor *crop = ak_slice(ctx, ak_slice(ctx, up, 2, 0, sm->img_h, 1), 3, 0, sm->img_w, 1);
        if (!crop || ak_segmentor_predict(ctx, crop, sm->lab_h, sm->lab_w, s->pred) != AK_OK)
            return ctx->err.code;
        AK_TRY(ak_seg_acc_add(&s->acc[setting], sm->label, s->pred, (int64_t)need, NULL, &ctx->err));
    }
    return AK_OK;
}

static double seg_metric(void *user, int setting) {
    seg_cap *s = user;
    ak_seg_metrics m;
    ak_seg_compute(&s->acc[setting], &m);
    return m.miou;
}

static int parse_list(const char *arg, int is_float, int *ni, int *iv, float *fv, const char *what) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", arg);
    int n = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (n == AK_CAPACITY_MAX_LIST) {
            fprintf(stderr, "akdbench avatars eval: %s: at most %d values\n", what, AK_CAPACITY_MAX_LIST);
            return 2;
        }
        char *end;
        if (is_float)
            fv[n] = strtof(tok, &end);
        else
            iv[n] = (int)strtol(tok, &end, 10);
        if (end == tok || *end) {
            fprintf(stderr, "akdbench avatars eval: %s: '%s' is not a number\n", what, tok);
            return 2;
        }
        n++;
    }
    *ni = n;
    return 0;
}

static int parse(int argc, char **argv, ak_avatars_cli *c) {
    memset(c, 0, sizeof *c);
    c->cap = ak_capacity_defaults(0);
    if (argc < 2 || strcmp(argv[1], "eval") != 0) {
        fprintf(stderr, "%s", USAGE);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!strcmp(a, "--set") && v) {
            if (c->n_sets == AK_AVATARS_MAX_SETS) {
                fprintf(stderr, "akdbench avatars eval: at most %d --set options\n", AK_AVATARS_MAX_SETS);
                return 2;
            }
            c->sets[c->n_sets++] = v;
        } else if (!strcmp(a, "--weights") && v) {
            c->weights = v;
        } else if (!strcmp(a, "--json") && v) {
            c->json = v;
        } else if (!strcmp(a, "--k") && v) {
            rc = parse_list(v, 0, &c->cap.n_k, c->cap.ks, NULL, "--k");
        } else if (!strcmp(a, "--p") && v) {
            rc = parse_list(v, 1, &c->cap.n_p, NULL, c->cap.ps, "--p");
        } else if (!strcmp(a, "--taps") && v) {
            c->taps = v;
        } else if (!strcmp(a, "--images") && v) {
            char *end;
            c->images = strtoll(v, &end, 10);
            if (end == v || *end || c->images < 0) {
                fprintf(stderr, "akdbench avatars eval: --images %s: expected a count >= 0 (0 = every image)\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--seed") && v) {
            char *end;
            c->cap.seed = strtoull(v, &end, 10);
            if (end == v || *end) {
                fprintf(stderr, "akdbench avatars eval: --seed %s: expected a number\n", v);
                return 2;
            }
            c->seed_given = 1;
        } else if (!strcmp(a, "--perturb") && v) {
            c->cap.perturb = -1;
            for (int p = 0; p < AK_PERTURB_COUNT; p++)
                if (!strcmp(v, ak_perturb_name(p)))
                    c->cap.perturb = p;
            if (c->cap.perturb < 0) {
                fprintf(stderr, "akdbench avatars eval: --perturb %s: expected dropout, channel_dropout or gaussian\n",
                        v);
                return 2;
            }
        } else if (a[0] != '-' && !c->config) {
            c->config = a;
            continue;
        } else {
            fprintf(stderr, "akdbench avatars eval: unexpected argument '%s'\n%s", a, USAGE);
            return 2;
        }
        if (rc)
            return rc;
        i++;
    }
    if (!c->config) {
        fprintf(stderr, "%s", USAGE);
        return 2;
    }
    return 0;
}

void ak_avatars_print(FILE *f, const ak_capacity_cfg *cfg, const ak_avatars_table *t) {
    const int n = ak_capacity_n_settings(cfg);
    const double v0 = t->value[0][0];
    fprintf(f, "Avatar capacity of %s (%s avatars, %s, averaged over K)\n\n", t->teacher, ak_perturb_name(cfg->perturb),
            t->head);
    fprintf(f, "| p | K | %s | %s | %s - vanilla |%s\n|---|---|---|---|---|%s\n", t->metric, t->metric2, t->metric,
            t->detections[0] >= 0 ? " detections |" : "", t->detections[0] >= 0 ? "---|" : "");
    for (int st = 0; st < n; st++) {
        int k;
        float p;
        ak_capacity_setting(cfg, st, &k, &p);
        char pk[64], delta[32];
        if (st == 0) {
            snprintf(pk, sizeof pk, "- | vanilla");
            snprintf(delta, sizeof delta, "-");
        } else {
            snprintf(pk, sizeof pk, "%g | %d", (double)p, k);
            snprintf(delta, sizeof delta, "%+.2f", 100 * (t->value[st][0] - v0));
        }
        fprintf(f, "| %s | %.2f | %.2f | %s |", pk, 100 * t->value[st][0], 100 * t->value[st][1], delta);
        if (t->detections[0] >= 0)
            fprintf(f, " %lld |", (long long)t->detections[st]);
        fputc('\n', f);
    }
}

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        const unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

int ak_avatars_write_json(const char *path, const ak_capacity_cfg *cfg, const ak_avatars_table *t, ak_error *err) {
    FILE *f = fopen(path, "w");
    if (!f)
        return ak_error_set(err, AK_EIO, "%s: cannot write", path);
    fprintf(f, "{\"format\": \"akdbench-capacity\", \"version\": 1, \"task\": ");
    json_str(f, t->task);
    fprintf(f, ", \"metric\": ");
    json_str(f, t->metric);
    fprintf(f, ", \"metric2\": ");
    json_str(f, t->metric2);
    fprintf(f, ",\n \"config\": ");
    json_str(f, t->config);
    fprintf(f, ", \"teacher\": ");
    json_str(f, t->teacher);
    fprintf(f, ", \"arch\": ");
    json_str(f, ak_arch_name(t->model->arch));
    fprintf(f, ", \"backbone\": ");
    json_str(f, ak_backbone_name(t->model->backbone));
    fprintf(f, ", \"width\": %.17g, \"taps\": [", t->model->width);
    for (int i = 0; i < t->n_taps; i++) {
        fprintf(f, "%s", i ? ", " : "");
        json_str(f, t->taps[i]);
    }
    fprintf(f, "], \"head\": ");
    json_str(f, t->head);
    fprintf(f, ",\n \"perturb\": \"%s\", \"seed\": %llu, \"images\": %lld, \"rows\": [",
            ak_perturb_name(cfg->perturb), (unsigned long long)cfg->seed, (long long)t->images);
    for (int st = 0; st < ak_capacity_n_settings(cfg); st++) {
        int k;
        float p;
        ak_capacity_setting(cfg, st, &k, &p);
        fprintf(f, "%s\n  {\"k\": %d, \"p\": %.9g, \"%s\": %.17g, \"%s\": %.17g", st ? "," : "", k, (double)p,
                t->metric, t->value[st][0], t->metric2, t->value[st][1]);
        if (t->detections[st] >= 0)
            fprintf(f, ", \"detections\": %lld", (long long)t->detections[st]);
        fputc('}', f);
    }
    fprintf(f, "\n]}\n");
    return fclose(f) == 0 ? AK_OK : ak_error_set(err, AK_EIO, "%s: write failed", path);
}

/* The segmentation table; everything it opens is closed here. */
static int run_seg(ak_avatars_cli *c, const ak_run_config *cfg, const char *weights, ak_error *err) {
    if (c->taps && strcmp(c->taps, "backbone.c5") != 0)
        return ak_error_set(err, AK_EINVAL,
                            "--taps %s: a segmentation teacher's capacity table perturbs backbone.c5 (the input of "
                            "its decode head) only",
                            c->taps);
    ak_net net;
    memset(&net, 0, sizeof net);
    net.task = AK_TASK_SEG; /* so that the frees below are safe whatever failed */
    ak_train_data data;
    memset(&data, 0, sizeof data);
    data.task = AK_TASK_SEG;
    ak_ctx feat, work;
    ak_ctx_init(&feat, 0, 0);
    ak_ctx_init(&work, 0, 0);
    static seg_cap s; /* large (one accumulator per setting): not on the stack */
    memset(&s, 0, sizeof s);
    ak_capacity cap;
    memset(&cap, 0, sizeof cap);
    const ak_capacity_cb cb = {seg_head, seg_accumulate, seg_metric, &s};
    int rc = ak_capacity_init(&cap, &c->cap, &cb, err); /* checks K and p before the slow part */
    if (rc == AK_OK)
        rc = ak_net_build(&net, &cfg->model.teacher, cfg, (uint64_t)cfg->train.seed + 7777u, err);
    if (rc == AK_OK && (rc = ak_ckpt_load_params(weights, NULL, &net.ps, err)) != AK_OK)
        ak_error_prefix(err, "teacher weights");
    if (rc == AK_OK)
        rc = ak_train_data_open(&data, cfg, 0, err);
    s.seg = &net.seg;
    s.max_images = c->images;
    s.num_classes = cfg->model.num_classes;
    const int n_settings = ak_capacity_n_settings(&c->cap);
    for (int i = 0; rc == AK_OK && i < n_settings; i++)
        rc = ak_seg_acc_init(&s.acc[i], s.num_classes, err);
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
        ak_tensor *x = ak_batch_input(&feat, b), *c4[4] = {0};
        if (!x || ak_resnet_forward(&feat, &net.seg.backbone, x, false, c4, NULL) != AK_OK) {
            rc = ak_error_set(err, feat.err.code, "avatars eval: teacher backbone: %s", feat.err.msg);
            break;
        }
        s.batch = b;
        s.first = seen;
        if ((rc = ak_capacity_batch(&cap, &work, &c4[3], 1, batch)) != AK_OK) {
            ak_error_set(err, rc, "avatars eval: %s", work.err.msg);
            break;
        }
        seen += b->n;
        batch++;
        fprintf(stderr, "\ravatars eval: %lld images", (long long)(c->images > 0 && seen > c->images ? c->images : seen));
    }
    fprintf(stderr, "\n");
    if (data.val)
        ak_loader_stop(data.val);
    ak_ctx_set_record(&feat, rec);
    if (rc == AK_OK) {
        static ak_avatars_table t; /* large: not on the stack */
        memset(&t, 0, sizeof t);
        t = (ak_avatars_table){.task = "seg", .metric = "mIoU", .metric2 = "aAcc", .config = c->config,
                               .teacher = weights, .model = &cfg->model.teacher,
                               .head = "decode head on backbone.c5, logits", .n_taps = 1, .taps = {"backbone.c5"},
                               .images = c->images > 0 && seen > c->images ? c->images : seen};
        for (int st = 0; st < n_settings; st++) {
            ak_seg_metrics m;
            ak_seg_compute(&s.acc[st], &m);
            t.value[st][0] = m.miou;
            t.value[st][1] = m.aacc;
            t.detections[st] = -1;
        }
        ak_avatars_print(stdout, &c->cap, &t);
        if (c->json)
            rc = ak_avatars_write_json(c->json, &c->cap, &t, err);
    }
    ak_capacity_free(&cap);
    free(s.pred);
    ak_train_data_close(&data);
    ak_net_free(&net);
    ak_ctx_free(&feat);
    ak_ctx_free(&work);
    return rc;
}

/* Loads the config and runs the table of its task. */
static int run(ak_avatars_cli *c, ak_error *err) {
    static ak_run_config cfg;
    AK_TRY(ak_run_config_load(c->config, c->sets, c->n_sets, &cfg, NULL, err));
    const char *weights = c->weights ? c->weights : cfg.model.teacher.weights;
    if (!weights || !weights[0])
        return ak_error_set(err, AK_EINVAL,
                            "%s: no teacher weights: pass --weights TEACHER.h5 or set model.teacher.weights (train "
                            "the teacher first, e.g. `akdbench train` on the teacher preset)",
                            c->config);
    if (!c->seed_given)
        c->cap.seed = (uint64_t)cfg.train.seed;
    return cfg.task == AK_TASK_DET ? ak_avatars_run_det(c, &cfg, weights, err) : run_seg(c, &cfg, weights, err);
}

int ak_cmd_avatars(int argc, char **argv) {
    ak_avatars_cli c;
    int rc = parse(argc, argv, &c);
    if (rc)
        return rc;
    ak_error err;
    ak_error_clear(&err);
    if (run(&c, &err) != AK_OK) {
        fprintf(stderr, "akdbench avatars eval: %s\n", err.msg);
        return 1;
    }
    return 0;
}
