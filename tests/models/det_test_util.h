/* Helpers shared by the detection tests (header-only: each test file is its own executable):
 * formula weights under torchvision names, the formula input, fixture targets and detections. */
#ifndef AK_TESTS_DET_TEST_UTIL_H
#define AK_TESTS_DET_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aktest.h"
#include "models/det_keys.h"
#include "models/det_post.h"
#include "models/init.h"

/* Every registry entry gets ak_init_formula under its torchvision name (tools/fixtures formula_weights
 * on the torchvision model); entries without a counterpart keep the formula of their own name. Then
 * the fixture's power-of-two scale factors (keyed by torchvision name) are applied. */
typedef struct det_scale {
    const char *tv_name;
    float factor;
} det_scale;

static inline void det_formula_weights(ak_params *ps, ak_det_head_kind kind, const det_scale *scales, int n_scales) {
    for (int i = 0; i < ps->n; i++) {
        char tv[AK_PARAM_NAME_LEN];
        const char *name = ps->items[i].name;
        if (ak_det_key_to_torchvision(kind, 3, name, tv, sizeof tv) != AK_OK)
            snprintf(tv, sizeof tv, "%s", name);
        ak_init_formula(ps->items[i].t, tv);
        for (int k = 0; k < n_scales; k++)
            if (strcmp(tv, scales[k].tv_name) == 0)
                for (int64_t j = 0; j < ps->items[i].t->numel; j++)
                    ps->items[i].t->data[j] *= scales[k].factor;
    }
}

/* tools/fixtures formula_input: formula values times (float)(sqrt(fan_in) / 1.5). */
static inline ak_tensor *det_formula_input(ak_ctx *ctx, const char *name, int ndim, const int64_t *shape) {
    ak_tensor *t = ak_tensor_new(ctx, name, ndim, shape);
    ck_assert_msg(t != NULL, "%s", ctx->err.msg);
    ak_init_formula(t, name);
    float k = (float)(sqrt((double)(t->numel / shape[0])) / 1.5);
    for (int64_t i = 0; i < t->numel; i++)
        t->data[i] *= k;
    return t;
}

/* Fixture targets "target<i>.boxes" / ".labels" into caller storage (boxes up to 16 per image). */
typedef struct det_fx_target {
    float boxes[16 * 4];
    int32_t labels[16];
    ak_det_target t;
} det_fx_target;

static inline void det_load_target(ak_ctx *ctx, const ak_safetensors *fx, int i, det_fx_target *out) {
    char name[64];
    snprintf(name, sizeof name, "target%d.boxes", i);
    ak_tensor *b = ak_fixture_tensor(ctx, fx, name);
    snprintf(name, sizeof name, "target%d.labels", i);
    ak_tensor *l = ak_fixture_tensor(ctx, fx, name);
    ck_assert_int_le(l->numel, 16);
    memcpy(out->boxes, b->data, (size_t)b->numel * sizeof(float));
    for (int64_t k = 0; k < l->numel; k++)
        out->labels[k] = (int32_t)l->data[k];
    out->t.boxes = out->boxes;
    out->t.labels = out->labels;
    out->t.crowd = NULL;
    out->t.n = l->numel;
}

/* Detections of image i against "det<i>.*": same count, labels exact, boxes and scores within rtol. */
static inline void det_check_result(ak_ctx *ctx, const ak_safetensors *fx, int i, const ak_det_result *r, double rtol) {
    char name[64];
    snprintf(name, sizeof name, "det%d.scores", i);
    ak_tensor *s = ak_fixture_tensor(ctx, fx, name);
    snprintf(name, sizeof name, "det%d.boxes", i);
    ak_tensor *b = ak_fixture_tensor(ctx, fx, name);
    snprintf(name, sizeof name, "det%d.labels", i);
    ak_tensor *l = ak_fixture_tensor(ctx, fx, name);
    ck_assert_msg(r->n == s->numel, "image %d: %lld detections, want %lld", i, (long long)r->n, (long long)s->numel);
    for (int64_t k = 0; k < r->n; k++)
        ck_assert_msg(r->labels[k] == (int32_t)l->data[k], "image %d detection %lld: label %d, want %d", i,
                      (long long)k, r->labels[k], (int)l->data[k]);
    snprintf(name, sizeof name, "image %d scores", i);
    ak_assert_close(name, r->scores, s->data, r->n, rtol, 1e-7);
    snprintf(name, sizeof name, "image %d boxes", i);
    ak_assert_close(name, r->boxes, b->data, 4 * r->n, rtol, 1e-4);
}

/* Count of trainable registry entries (each compared against a torchvision gradient). */
static inline int det_trainable_count(const ak_params *ps) {
    int n = 0;
    for (int i = 0; i < ps->n; i++)
        n += ps->items[i].trainable;
    return n;
}



/* Level layout from a fixture "(L, 2)" tensor of feature sizes. */
static inline ak_det_levels det_levels_from(const ak_tensor *feat, int A) {
    ak_det_levels lv;
    memset(&lv, 0, sizeof lv);
    lv.n = (int)feat->shape[0];
    lv.A = A;
    for (int l = 0; l < lv.n; l++) {
        lv.h[l] = (int)feat->data[2 * l], lv.w[l] = (int)feat->data[2 * l + 1];
        lv.start[l + 1] = lv.start[l] + (int64_t)lv.h[l] * lv.w[l] * A;
    }
    return lv;
}
#endif
