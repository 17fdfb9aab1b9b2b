/* Every distillation preset under bench/configs/ (synthetic, COCO, Cityscapes, AKD) builds a distiller
 * and computes a finite loss on probe taps shaped like its models' (channels of the student and the
 * teacher as the presets' width / depth give them), so a preset whose method, connector or
 * hyperparameters cannot run is caught here, before any training. */
#include <dirent.h>
#include <math.h>
#include <time.h>

#include "baselines/distiller.h"
#include "distill_test.h"
#include "store/akd_config.h"

/* Probe tensor for a tap name: (N, C, H, W) with C from the tap's role. */
static ak_tensor *probe(ak_ctx *ctx, const char *name, bool teacher, const ak_run_config *c) {
    const ak_model_config *m = teacher ? &c->model.teacher : &c->model.student;
    int64_t C = 0, H = 4, W = 4;
    int level = 3;
    if (strncmp(name, "neck.p", 6) == 0 || strncmp(name, "head.", 5) == 0) {
        const char *p = strrchr(name, 'p');
        level = p ? atoi(p + 1) : 3;
        H = W = level >= 3 && level <= 7 ? 8 >> (level - 3 < 3 ? level - 3 : 3) : 4;
        C = (int64_t)lround(m->neck_channels * m->width);
        if (strncmp(name, "head.reg", 8) == 0)
            C = 36;
        else if (strncmp(name, "head.cls", 8) == 0)
            C = 9 * c->model.num_classes;
    } else if (strcmp(name, "backbone.c5") == 0) {
        int exp = m->backbone >= AK_BACKBONE_RESNET50 ? 4 : 1;
        C = (int64_t)lround(64 * m->width) * 8 * exp;
    } else if (strstr(name, "logits")) {
        C = c->model.num_classes;
        H = W = 16;
    } else {
        C = 16;
    }
    int64_t shape[4] = {2, C, H, W};
    float *v = malloc((size_t)(2 * C * H * W) * sizeof *v);
    ak_test_fill_uniform(v, 2 * C * H * W, (uint64_t)(C * 131 + level + teacher), -1, 1);
    ak_tensor *t = ak_tensor_from(ctx, 4, shape, v);
    t->requires_grad = !teacher;
    free(v);
    return t;
}

static void add_taps(ak_ctx *ctx, ak_taps *taps, const ak_cfg_str_list *names, bool teacher, const ak_run_config *c) {
    for (int i = 0; i < names->n; i++) {
        const char *n = names->v[i];
        if (strncmp(n, "head.", 5) == 0 && !strchr(n + 5, '.')) { /* head.reg -> head.reg.p3 .. p7 */
            for (int l = 3; l <= 7; l++) {
                char full[64];
                snprintf(full, sizeof full, "%s.p%d", n, l);
                ak_taps_put(taps, full, probe(ctx, full, teacher, c));
            }
        } else if (!ak_taps_get(taps, n)) {
            ak_taps_put(taps, n, probe(ctx, n, teacher, c));
        }
    }
}

static void check_preset(const char *rel) {
    ak_run_config *c = malloc(sizeof *c);
    ak_error err = {0};
    char *path = ak_source_path(rel);
    ck_assert_msg(ak_run_config_load(path, NULL, 0, c, NULL, &err) == AK_OK, "%s: %s", rel, err.msg);
    free(path);
    if (c->distill.method == AK_DISTILL_NONE && c->distill.head.loss == AK_HEAD_NONE) {
        free(c);
        return;
    }
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_taps st, tt;
    ak_taps_clear(&st);
    ak_taps_clear(&tt);
    add_taps(&ctx, &st, &c->distill.taps, false, c);
    add_taps(&ctx, &tt, c->distill.teacher_taps.n ? &c->distill.teacher_taps : &c->distill.taps, true, c);
    add_taps(&ctx, &st, &c->distill.head.taps, false, c);
    add_taps(&ctx, &tt, &c->distill.head.taps, true, c);
    ak_params ps;
    ak_params_init(&ps);
    ak_distiller d;
    ck_assert_msg(ak_distiller_init(&d, c, &st, &tt, c->task == AK_TASK_DET, &ps, &err) == AK_OK, "%s: %s", rel, err.msg);
    int count[2] = {1, 0};
    float box[4] = {10, 20, 60, 90};
    const float *boxes[2] = {box, NULL};
    ak_gt_boxes gt = {2, count, boxes, 128, 128, NULL};
    ak_tensor *L = ak_distiller_loss(&ctx, &d, &st, &tt, &gt, 20000, 1, NULL);
    ck_assert_msg(L != NULL, "%s: %s", rel, ctx.err.msg);
    ck_assert_msg(isfinite(L->data[0]) && L->data[0] >= 0.0f, "%s: loss %g", rel, L->data[0]);
    if (ak_params_count(&ps) < 20000000) /* the 2048-channel MGD generators: forward only (time) */
        ck_assert_int_eq(ak_backward(&ctx, L), AK_OK);
    ak_distiller_free(&d);
    ak_params_free(&ps);
    ak_ctx_free(&ctx);
    free(c);
}

START_TEST(every_preset_builds) {
    const char *dirs[4] = {"bench/configs", "bench/configs/coco", "bench/configs/cityscapes", "bench/configs/akd"};
    int checked = 0;
    for (int k = 0; k < 4; k++) {
        char *dir = ak_source_path(dirs[k]);
        DIR *dp = opendir(dir);
        ck_assert_msg(dp != NULL, "cannot open %s", dir);
        struct dirent *e;
        while ((e = readdir(dp))) {
            size_t n = strlen(e->d_name);
            if (n < 6 || strcmp(e->d_name + n - 5, ".yaml") != 0)
                continue;
            char rel[512];
            snprintf(rel, sizeof rel, "%s/%s", dirs[k], e->d_name);
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            check_preset(rel);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            if (getenv("AK_PRESET_TIMES"))
                fprintf(stderr, "%-60s %.2f s\n", rel, (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
            checked++;
        }
        closedir(dp);
        free(dir);
    }
    ck_assert_int_ge(checked, 20);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("distill_presets");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, every_preset_builds);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
