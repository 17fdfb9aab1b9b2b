/* Key schemes (models/weight_keys.h) against the reference implementations' state-dict keys
 * (tools/fixtures/models_weights.py: mmseg PSPNet / DeepLabV3, mmdet and torchvision RetinaNet /
 * FCOS, torchvision ResNet-50 and open-mmlab ResNetV1c ImageNet checkpoints).
 * For each: our registry maps one to one onto the reference keys (every key named on failure); the
 * state dict materialised with formula values under those keys, in safetensors and both HDF5
 * layouts, loads (key style detected, and given) bitwise equal to the formula-initialised model, whose
 * outputs the parity tests compare with PyTorch; the PSPNet logits are compared here too. Styles that
 * cannot name a model are refused naming the entries. */
#include <math.h>

#include "det_test_util.h"
#include "models/detector.h"
#include "models/segmentor.h"
#include "models/weight_keys.h"
#include "models/weights.h"
#include "weights_test_util.h"

/* The fixture's key list "keys.<name>" (malloc'd array of strings into one malloc'd buffer). */
static char **fixture_keys(const ak_safetensors *fx, const char *name, int *n, char **buf) {
    char meta[64];
    snprintf(meta, sizeof meta, "keys.%s", name);
    const char *v = ak_safetensors_meta(fx, meta);
    ck_assert_msg(v != NULL, "fixture lacks %s: re-run tools/make_fixtures.py models_weights", meta);
    *buf = strdup(v);
    int cap = 1;
    for (const char *c = v; *c; c++)
        cap += *c == '\n';
    char **keys = calloc((size_t)cap, sizeof *keys);
    *n = 0;
    for (char *tok = strtok(*buf, "\n"); tok; tok = strtok(NULL, "\n"))
        keys[(*n)++] = tok;
    return keys;
}

static bool is_counter(const char *name) { return strstr(name, "num_batches_tracked") != NULL; }

/* Where the formula values of our entry come from: its own name, or (tv_source) its torchvision
 * name as the detection parity fixtures use (tests/models/det_test_util.h). */
static void formula_name(const ak_key_model *m, const char *ours, bool tv_source, char *out, size_t len) {
    if (!tv_source || ak_key_to_style(AK_KEYS_TORCHVISION, m, ours, out, len) != AK_OK)
        snprintf(out, len, "%s", ours);
}

/* The reference state dict `keys` with our shapes and formula values: our entries (those starting
 * with `scope`, named in `style`, or for a sub-module scope without it) must map one to one onto
 * the keys, except keys starting with `extra` (the file's own, e.g. "fc.") and counters the
 * reference lacks. */
static void materialise(sd *d, const ak_params *ps, const char *scope, ak_key_style style, bool tv_source,
                        char **keys, int n, const char *extra) {
    ak_key_model m;
    ak_key_model_init(&m);
    for (int i = 0; i < ps->n; i++)
        ak_key_model_add(&m, ps->items[i].name);
    bool *hit = calloc((size_t)n, sizeof *hit);
    sd_init(d);
    for (int i = 0; i < ps->n; i++) {
        const ak_param *p = &ps->items[i];
        if (strncmp(p->name, scope, strlen(scope)) != 0)
            continue;
        char want[3 * AK_PARAM_NAME_LEN], src[3 * AK_PARAM_NAME_LEN];
        if (scope[0])
            snprintf(want, sizeof want, "%s", p->name + strlen(scope));
        else
            ck_assert_msg(ak_key_to_style(style, &m, p->name, want, sizeof want) == AK_OK, "our %s has no %s name",
                          p->name, ak_key_style_name(style));
        int k = 0;
        while (k < n && strcmp(keys[k], want) != 0)
            k++;
        if (k == n) {
            ck_assert_msg(is_counter(p->name), "our %s (as '%s') is not a key of the reference", p->name, want);
            continue;
        }
        ck_assert_msg(!hit[k], "two of our entries map to '%s'", want);
        hit[k] = true;
        formula_name(&m, p->name, tv_source, src, sizeof src);
        sd_add(d, want, p->t->ndim, p->t->shape, NULL, src);
    }
    for (int k = 0; k < n; k++) {
        if (extra && strncmp(keys[k], extra, strlen(extra)) == 0) {
            int64_t two = 2;
            sd_add(d, keys[k], 1, &two, NULL, NULL);
            continue;
        }
        ck_assert_msg(hit[k], "reference key '%s' has no counterpart among our names", keys[k]);
    }
    free(hit);
}

/* Write d as safetensors, HDF5 flat and HDF5 nested; load each into `into` (style auto, then
 * `style`) and compare with `want`. */
static void load_all_layouts(const sd *d, ak_params *into, const ak_params *want, const char *scope,
                             ak_key_style style, int skipped) {
    char path[64];
    wt_temp(path, sizeof path, "keys");
    for (int layout = 0; layout < 3; layout++) {
        if (layout == 0)
            sd_write_safetensors(d, path);
        else
            sd_write_h5(d, path, layout == 2, NULL);
        for (int explicit_style = 0; explicit_style < 2; explicit_style++) {
            for (int i = 0; i < into->n; i++) /* so that a skipped entry shows */
                for (int64_t j = 0; j < into->items[i].t->numel; j++)
                    into->items[i].t->data[j] = is_counter(into->items[i].name) ? 0.0f : NAN;
            static const char *const ignore[] = {"fc."};
            ak_weights_opts o = {scope, explicit_style ? style : AK_KEYS_AUTO, ignore, 1};
            ak_weights_info info;
            ak_error err;
            ak_error_clear(&err);
            ck_assert_msg(ak_load_weights(into, path, &o, &info, &err) == AK_OK, "layout %d: %s", layout, err.msg);
            if (!scope[0])
                ck_assert_int_eq(info.style, style);
            ck_assert_int_eq(info.skipped, skipped);
            wt_assert_params_equal(want, into);
        }
    }
    unlink(path);
}

static ak_segmentor_cfg seg_cfg(ak_seg_head_kind kind) {
    ak_segmentor_cfg cfg = ak_segmentor_defaults(kind, 18, 0.25f, 19); /* tests/models/test_segmentor.c's */
    cfg.decode.dropout = cfg.aux.dropout = 0.0f;
    return cfg;
}

START_TEST(mmseg_segmentors) {
    static const char *const cases[2] = {"mmseg_psp", "mmseg_aspp"};
    ak_safetensors fx;
    ak_fixture_open(&fx, "models/weights.safetensors");
    ak_error err;
    ak_error_clear(&err);
    ak_params want, got;
    ak_params_init(&want);
    ak_params_init(&got);
    ak_segmentor sw, sg;
    ak_segmentor_cfg cfg = seg_cfg(_i == 0 ? AK_HEAD_PSP : AK_HEAD_ASPP);
    ck_assert_msg(ak_segmentor_init(&sw, &want, &cfg, 1, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_segmentor_init(&sg, &got, &cfg, 2, &err) == AK_OK, "%s", err.msg);
    ak_init_formula_all(&want);
    int n;
    char *buf;
    char **keys = fixture_keys(&fx, cases[_i], &n, &buf);
    sd d;
    materialise(&d, &want, "", AK_KEYS_MMSEG, false, keys, n, NULL);
    load_all_layouts(&d, &got, &want, "", AK_KEYS_MMSEG, 0);

    /* The loaded model gives the parity fixture's logits (models_segmentor.py, same weights). */
    ak_safetensors pf;
    ak_fixture_open(&pf, "models/segmentor.safetensors");
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_tensor *x = ak_fixture_tensor(&ctx, &pf, "x");
    ak_seg_outputs out;
    ak_rng rng = {1, 2};
    ck_assert_msg(ak_segmentor_forward(&ctx, &sg, x, true, rng, &out, NULL) == AK_OK, "%s", ctx.err.msg);
    ak_tensor *logits = ak_fixture_tensorf(&ctx, &pf, "%s.logits", _i == 0 ? "psp" : "aspp");
    ak_assert_close("logits of the loaded model", out.logits->data, logits->data, logits->numel, 1e-4, 1e-4);

    /* Styles that cannot name a segmentor. */
    char path[64];
    wt_temp(path, sizeof path, "keys");
    sd_write_safetensors(&d, path);
    ak_weights_opts o = {"", AK_KEYS_MMDET, NULL, 0};
    ck_assert_int_eq(ak_load_weights(&got, path, &o, NULL, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "key style mmdet names detectors, but the model is a segmentor"), "%s", err.msg);
    ak_error_clear(&err);
    o.style = AK_KEYS_TORCHVISION;
    ck_assert_int_eq(ak_load_weights(&got, path, &o, NULL, &err), AK_EFORMAT);
    ck_assert_msg(strstr(err.msg, "without a torchvision counterpart [decode_head."), "%s", err.msg);
    unlink(path);

    ak_ctx_free(&ctx);
    ak_safetensors_close(&pf);
    sd_free(&d);
    free(keys);
    free(buf);
    ak_segmentor_free(&sw);
    ak_segmentor_free(&sg);
    ak_params_free(&want);
    ak_params_free(&got);
    ak_safetensors_close(&fx);
}
END_TEST

/* mmdet and torchvision RetinaNet / FCOS: _i = 2 * torchvision + fcos. */
START_TEST(detectors) {
    bool tv = _i >= 2, fcos = _i % 2;
    ak_det_head_kind kind = fcos ? AK_HEAD_FCOS : AK_HEAD_RETINANET;
    ak_det_style style = tv ? AK_DET_TORCHVISION : AK_DET_MMDET;
    char name[32];
    snprintf(name, sizeof name, "%s_%s", tv ? "tv" : "mmdet", fcos ? "fcos" : "retinanet");
    ak_safetensors fx;
    ak_fixture_open(&fx, "models/weights.safetensors");
    ak_params want, got;
    ak_detector dw, dg;
    wt_build_det(&dw, &want, kind, style, 3);
    wt_build_det(&dg, &got, kind, style, 3);
    det_formula_weights(&want, kind, NULL, 0);
    int n;
    char *buf;
    char **keys = fixture_keys(&fx, name, &n, &buf);
    sd d;
    ak_key_style ks = tv ? AK_KEYS_TORCHVISION : AK_KEYS_MMDET;
    materialise(&d, &want, "", ks, true, keys, n, NULL);
    load_all_layouts(&d, &got, &want, "", ks, 0);
    if (tv && fcos) {
        /* torchvision's FCOS has no per-level scales: an mmdet FCOS cannot take its weights. */
        ak_params mm;
        ak_detector dm;
        wt_build_det(&dm, &mm, kind, AK_DET_MMDET, 3);
        char path[64];
        wt_temp(path, sizeof path, "keys");
        sd_write_safetensors(&d, path);
        ak_weights_opts o = {"", AK_KEYS_AUTO, NULL, 0};
        ak_error err;
        ak_error_clear(&err);
        ck_assert_int_eq(ak_load_weights(&mm, path, &o, NULL, &err), AK_EFORMAT);
        ck_assert_msg(strstr(err.msg, "5 without a torchvision counterpart [bbox_head.scales.0.scale"), "%s", err.msg);
        unlink(path);
        ak_detector_free(&dm);
        ak_params_free(&mm);
    }
    if (!tv && !fcos) {
        ak_error err;
        ak_error_clear(&err);
        ak_key_model m;
        ak_key_model_init(&m);
        for (int i = 0; i < want.n; i++)
            ak_key_model_add(&m, want.items[i].name);
        ck_assert_int_eq(ak_key_style_check(AK_KEYS_MMSEG, &m, "model.teacher.key_style", &err), AK_EINVAL);
        ck_assert_msg(strstr(err.msg, "model.teacher.key_style: key style mmseg names segmentors, but the model is a "
                             "RetinaNet"), "%s", err.msg);
    }
    sd_free(&d);
    free(keys);
    free(buf);
    ak_detector_free(&dw);
    ak_detector_free(&dg);
    ak_params_free(&want);
    ak_params_free(&got);
    ak_safetensors_close(&fx);
}
END_TEST

/* ImageNet backbones as model.*.pretrained: torchvision ResNet-50 and open-mmlab ResNetV1c-18. */
START_TEST(imagenet_backbones) {
    ak_safetensors fx;
    ak_fixture_open(&fx, "models/weights.safetensors");
    ak_params want, got;
    ak_params_init(&want);
    ak_params_init(&got);
    ak_resnet rw, rg;
    ak_resnet_cfg cfg = {_i ? 18 : 50, 0.0625f, _i == 1, _i == 1, -1, false, false};
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_resnet_init(&rw, &want, "backbone", &cfg, 1, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_resnet_init(&rg, &got, "backbone", &cfg, 2, &err) == AK_OK, "%s", err.msg);
    ak_init_formula_all(&want);
    int n;
    char *buf;
    char **keys = fixture_keys(&fx, _i ? "mmseg_r18v1c" : "tv_resnet50", &n, &buf);
    sd d;
    materialise(&d, &want, "backbone.", AK_KEYS_OURS, false, keys, n, "fc.");
    load_all_layouts(&d, &got, &want, "backbone.", AK_KEYS_TORCHVISION, 2);
    sd_free(&d);
    free(keys);
    free(buf);
    ak_resnet_free(&rw);
    ak_resnet_free(&rg);
    ak_params_free(&want);
    ak_params_free(&got);
    ak_safetensors_close(&fx);
}
END_TEST

START_TEST(key_style_detection_and_names) {
    const char *tv[] = {"backbone.body.conv1.weight"}, *mmdet[] = {"backbone.conv1.weight", "neck.fpn_convs.0.conv.bias"},
               *mmseg[] = {"decode_head.conv_seg.bias"}, *bare[] = {"conv1.weight", "fc.bias"},
               *tvseg[] = {"backbone.conv1.weight", "classifier.4.bias"};
    ck_assert_int_eq(ak_key_style_detect(tv, 1), AK_KEYS_TORCHVISION);
    ck_assert_int_eq(ak_key_style_detect(mmdet, 2), AK_KEYS_MMDET);
    ck_assert_int_eq(ak_key_style_detect(mmseg, 1), AK_KEYS_MMSEG);
    ck_assert_int_eq(ak_key_style_detect(bare, 2), AK_KEYS_OURS);
    ck_assert_int_eq(ak_key_style_detect(tvseg, 2), AK_KEYS_TORCHVISION);
    ak_key_style s;
    ak_error err;
    ak_error_clear(&err);
    for (int v = 0; v < AK_KEYS_COUNT; v++) {
        ck_assert_int_eq(ak_key_style_parse(ak_key_style_name(v), &s, &err), AK_OK);
        ck_assert_int_eq(s, v);
    }
    ck_assert_int_eq(ak_key_style_parse("detectron", &s, &err), AK_EINVAL);
    ck_assert_msg(strstr(err.msg, "key style 'detectron'"), "%s", err.msg);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("weight_keys");
    TCase *tc = tcase_create("schemes");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, mmseg_segmentors, 0, 2);
    tcase_add_loop_test(tc, detectors, 0, 4);
    tcase_add_loop_test(tc, imagenet_backbones, 0, 2);
    tcase_add_test(tc, key_style_detection_and_names);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
