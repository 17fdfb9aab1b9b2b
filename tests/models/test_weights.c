/* Pretrained-weight import (models/weights.h): a torchvision-keyed ResNet-18 file (keys without the
 * "backbone." prefix, plus a classifier to ignore) loads bitwise; missing, unexpected and mis-shaped
 * keys are refused with the keys listed and nothing copied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aktest.h"
#include "models/init.h"
#include "models/resnet.h"
#include "models/weights.h"

static void build(ak_params *ps, ak_resnet *net) {
    ak_params_init(ps);
    ak_error err;
    ak_error_clear(&err);
    ak_resnet_cfg cfg = {18, 0.25f, false, false, -1, false};
    ck_assert_int_eq(ak_resnet_init(net, ps, "backbone", &cfg, 5, &err), AK_OK);
}

/* Write ps's backbone as a torchvision-style file; `drop` skips one key, `extra` adds one. */
static void write_file(const char *path, const ak_params *ps, const char *drop, const char *extra, int reshape) {
    ak_st_write_entry *e = calloc((size_t)ps->n + 2, sizeof *e);
    char (*names)[AK_PARAM_NAME_LEN] = calloc((size_t)ps->n + 2, AK_PARAM_NAME_LEN);
    int n = 0;
    for (int i = 0; i < ps->n; i++) {
        const char *name = ps->items[i].name + strlen("backbone.");
        if (drop && strcmp(name, drop) == 0)
            continue;
        snprintf(names[n], AK_PARAM_NAME_LEN, "%s", name);
        e[n].name = names[n];
        e[n].ndim = ps->items[i].t->ndim;
        e[n].shape = ps->items[i].t->shape;
        e[n].data = ps->items[i].t->data;
        if (reshape && i == 0)
            e[n].ndim = 1; /* (O*I*k*k) instead of (O,I,k,k): same numel, wrong shape */
        n++;
    }
    static float fc[10];
    static const int64_t fc_shape[2] = {2, 5};
    e[n].name = "fc.weight";
    e[n].ndim = 2;
    e[n].shape = fc_shape;
    e[n++].data = fc;
    static float junk[3];
    static const int64_t junk_shape[1] = {3};
    if (extra) {
        e[n].name = extra;
        e[n].ndim = 1;
        e[n].shape = junk_shape;
        e[n++].data = junk;
    }
    int64_t flat = ps->items[0].t->numel;
    if (reshape)
        e[0].shape = &flat;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_safetensors_write_f32(path, e, n, NULL, 0, &err) == AK_OK, "%s", err.msg);
    free(e);
    free(names);
}

START_TEST(torchvision_keys_load_bitwise) {
    ak_params a, b;
    ak_resnet na, nb;
    build(&a, &na);
    build(&b, &nb);
    ak_init_formula_all(&a);
    char path[] = "/tmp/akd_weights_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    write_file(path, &a, NULL, NULL, 0);
    ak_error err;
    ak_error_clear(&err);
    const char *ignore[] = {"fc."};
    char hex[65];
    ck_assert_msg(ak_load_weights_safetensors(&b, "backbone.", path, ignore, 1, hex, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq((int)strlen(hex), 64);
    for (int i = 0; i < a.n; i++)
        ak_assert_bitwise(a.items[i].name, a.items[i].t->data, b.items[i].t->data, a.items[i].t->numel);
    unlink(path);
    ak_resnet_free(&na);
    ak_resnet_free(&nb);
    ak_params_free(&a);
    ak_params_free(&b);
}
END_TEST

START_TEST(mismatches_are_listed_and_nothing_is_copied) {
    ak_params a, b;
    ak_resnet na, nb;
    build(&a, &na);
    build(&b, &nb);
    ak_init_formula_all(&a);
    char path[] = "/tmp/akd_weights_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    const char *ignore[] = {"fc."};
    ak_error err;

    write_file(path, &a, "layer2.0.conv1.weight", "head.extra", 0);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_load_weights_safetensors(&b, "backbone.", path, ignore, 1, NULL, &err), AK_EFORMAT);
    ck_assert_msg(strstr(err.msg, "1 missing [backbone.layer2.0.conv1.weight]") != NULL, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "1 unexpected [head.extra]") != NULL, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, path) != NULL, "%s", err.msg);
    ck_assert(b.items[0].t->data[0] != a.items[0].t->data[0]); /* untouched */

    write_file(path, &a, NULL, NULL, 1);
    ak_error_clear(&err);
    ck_assert_int_eq(ak_load_weights_safetensors(&b, "backbone.", path, ignore, 1, NULL, &err), AK_EFORMAT);
    ck_assert_msg(strstr(err.msg, "1 mis-shaped [backbone.conv1.weight]") != NULL, "%s", err.msg);
    unlink(path);
    ak_resnet_free(&na);
    ak_resnet_free(&nb);
    ak_params_free(&a);
    ak_params_free(&b);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("weights");
    TCase *tc = tcase_create("import");
    tcase_add_test(tc, torchvision_keys_load_bitwise);
    tcase_add_test(tc, mismatches_are_listed_and_nothing_is_copied);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
