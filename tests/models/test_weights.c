/* Weight import (models/weights.h, store/weights_file.h): one strict matcher over every format.
 * A formula-initialised ResNet-18 backbone written as safetensors, as HDF5 in both h5py layouts
 * (flat datasets, nested groups), as float64 and float16 HDF5, as an akdbench checkpoint and run
 * file, loads bitwise (integers only for num_batches_tracked); missing, unexpected, mis-shaped and
 * wrongly typed keys are listed and nothing is copied; corrupt, truncated, unknown and ambiguous
 * files are refused naming the file. The file's SHA-256 is reported. */
#include <sys/stat.h>

#include "models/resnet.h"
#include "models/weights.h"
#include "store/checkpoint.h"
#include "store/hash.h"
#include "store/runfile.h"
#include "weights_test_util.h"

static const char *const fc_ignore[] = {"fc."};

static void build(ak_params *ps, ak_resnet *net, bool formula) {
    ak_params_init(ps);
    ak_error err;
    ak_error_clear(&err);
    ak_resnet_cfg cfg = {18, 0.0625f, false, false, -1, false, false};
    ck_assert_msg(ak_resnet_init(net, ps, "backbone", &cfg, 5, &err) == AK_OK, "%s", err.msg);
    if (formula)
        ak_init_formula_all(ps);
}

/* ps's backbone under torchvision ImageNet keys ("conv1.weight"), plus the classifier. */
static void imagenet_dict(sd *d, const ak_params *ps) {
    sd_init(d);
    sd_from_params(d, ps, "backbone.", strlen("backbone."));
    int64_t fc[2] = {10, 32};
    sd_add(d, "fc.weight", 2, fc, NULL, NULL);
    sd_add(d, "fc.bias", 1, fc, NULL, NULL);
}

static int load(ak_params *ps, const char *path, const char *scope, ak_key_style style, ak_weights_info *info,
                ak_error *err) {
    ak_weights_opts o = {scope, style, fc_ignore, 1};
    ak_error_clear(err);
    return ak_load_weights(ps, path, &o, info, err);
}

static void assert_has(const char *msg, const char *piece) {
    ck_assert_msg(strstr(msg, piece) != NULL, "message \"%s\" lacks \"%s\"", msg, piece);
}

START_TEST(every_format_and_layout_loads_bitwise) {
    ak_params a;
    ak_resnet na;
    build(&a, &na, true);
    sd d;
    imagenet_dict(&d, &a);
    char path[64];
    wt_temp(path, sizeof path, "weights");
    for (int variant = 0; variant < 4; variant++) {
        const char *what = (const char *[]){"safetensors", "hdf5 flat", "hdf5 nested", "hdf5 float64"}[variant];
        for (int i = 0; i < d.n; i++)
            d.e[i].type = variant == 3 ? (strstr(d.e[i].name, "num_batches") ? SD_I64 : SD_F64) : SD_F32;
        if (variant == 0)
            sd_write_safetensors(&d, path);
        else
            sd_write_h5(&d, path, variant == 2, NULL);
        ak_params b;
        ak_resnet nb;
        build(&b, &nb, false);
        ak_weights_info info;
        ak_error err;
        ck_assert_msg(load(&b, path, "backbone.", AK_KEYS_AUTO, &info, &err) == AK_OK, "%s: %s", what, err.msg);
        wt_assert_params_equal(&a, &b);
        ck_assert_str_eq(info.layout, variant == 0 ? "safetensors" : "h5py");
        ck_assert_int_eq(info.loaded, a.n);
        ck_assert_int_eq(info.skipped, 2); /* fc.weight, fc.bias */
        char hex[AK_SHA256_HEX_LEN];
        ck_assert_int_eq(ak_sha256_file_hex(path, hex, &err), AK_OK);
        ck_assert_str_eq(info.sha256, hex);
        ak_resnet_free(&nb);
        ak_params_free(&b);
    }
    unlink(path);
    sd_free(&d);
    ak_resnet_free(&na);
    ak_params_free(&a);
}
END_TEST

/* float16 and float64 convert to float32; integers only for num_batches_tracked; strings never. */
START_TEST(dtype_rules) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error err;
    ak_error_clear(&err);
    int64_t s23[2] = {2, 3}, s3[1] = {3};
    ck_assert_ptr_nonnull(ak_params_add(&ps, "a.weight", 2, s23, &err));
    ck_assert_ptr_nonnull(ak_params_add(&ps, "a.bias", 1, s3, &err));
    ck_assert_ptr_nonnull(ak_params_add_buffer(&ps, "a.num_batches_tracked", 0, NULL, &err));
    const float w[6] = {0.5f, -1.25f, 2.0f, 0.125f, -3.0f, 1024.0f}, bias[3] = {0.1f, -0.2f, 1e30f}, nbt = 7.0f;
    sd d;
    sd_init(&d);
    sd_add(&d, "a.weight", 2, s23, w, NULL)->type = SD_F16; /* values exact in half precision */
    sd_add(&d, "a.bias", 1, s3, bias, NULL)->type = SD_F64;
    sd_add(&d, "a.num_batches_tracked", 0, NULL, &nbt, NULL)->type = SD_I64;
    char path[64];
    wt_temp(path, sizeof path, "dtypes");
    sd_write_h5(&d, path, 0, NULL);
    ck_assert_msg(load(&ps, path, "", AK_KEYS_OURS, NULL, &err) == AK_OK, "%s", err.msg);
    ak_assert_bitwise("a.weight from float16", ps.items[0].t->data, w, 6);
    ak_assert_bitwise("a.bias from float64", ps.items[1].t->data, bias, 3);
    ck_assert_float_eq(ps.items[2].t->data[0], 7.0f);

    for (int bad = 0; bad < 2; bad++) {
        sd_find(&d, "a.bias")->type = bad ? SD_STR : SD_I64;
        sd_write_h5(&d, path, 1, NULL);
        memset(ps.items[1].t->data, 0, 3 * sizeof(float));
        ck_assert_int_eq(load(&ps, path, "", AK_KEYS_OURS, NULL, &err), AK_EFORMAT);
        assert_has(err.msg, path);
        assert_has(err.msg, bad ? "1 not float [a.bias is string]" : "1 not float [a.bias is int64]");
        ck_assert_float_eq(ps.items[1].t->data[0], 0.0f); /* nothing copied */
    }
    unlink(path);
    sd_free(&d);
    ak_params_free(&ps);
}
END_TEST

START_TEST(mismatches_are_listed_and_nothing_is_copied) {
    ak_params a, b;
    ak_resnet na, nb;
    build(&a, &na, true);
    build(&b, &nb, false);
    char path[64];
    wt_temp(path, sizeof path, "mismatch");
    for (int h5 = 0; h5 < 2; h5++) {
        sd d;
        imagenet_dict(&d, &a);
        sd_remove(&d, "layer2.0.conv1.weight");
        int64_t three = 3;
        sd_add(&d, "head.extra", 1, &three, NULL, NULL);
        sd_entry *c1 = sd_find(&d, "conv1.weight");
        c1->shape[0] = c1->numel; /* same numel, wrong shape */
        c1->ndim = 1;
        if (h5)
            sd_write_h5(&d, path, 1, NULL);
        else
            sd_write_safetensors(&d, path);
        ak_error err;
        ck_assert_int_eq(load(&b, path, "backbone.", AK_KEYS_AUTO, NULL, &err), AK_EFORMAT);
        assert_has(err.msg, path);
        assert_has(err.msg, "1 missing [backbone.layer2.0.conv1.weight as 'layer2.0.conv1.weight']");
        assert_has(err.msg, "1 unexpected [head.extra]");
        assert_has(err.msg, "1 mis-shaped [conv1.weight: file (588), model (4,3,7,7)]");
        assert_has(err.msg, h5 ? "(h5py, ours keys)" : "(safetensors, ours keys)");
        ck_assert(b.items[0].t->data[0] != a.items[0].t->data[0]); /* untouched */
        sd_free(&d);
    }
    /* Files without num_batches_tracked (torchvision FrozenBatchNorm2d, PyTorch < 0.4.1) load; the
     * counters keep their values. */
    sd d;
    imagenet_dict(&d, &a);
    for (int i = d.n - 1; i >= 0; i--)
        if (strstr(d.e[i].name, "num_batches_tracked"))
            sd_remove(&d, d.e[i].name);
    sd_write_safetensors(&d, path);
    ak_param *cnt = ak_params_find(&b, "backbone.bn1.num_batches_tracked");
    cnt->t->data[0] = 42.0f;
    ak_error err;
    ck_assert_msg(load(&b, path, "backbone.", AK_KEYS_AUTO, NULL, &err) == AK_OK, "%s", err.msg);
    ck_assert_float_eq(cnt->t->data[0], 42.0f);
    ak_assert_bitwise("conv1", b.items[0].t->data, a.items[0].t->data, a.items[0].t->numel);
    sd_free(&d);
    unlink(path);
    ak_resnet_free(&na);
    ak_resnet_free(&nb);
    ak_params_free(&a);
    ak_params_free(&b);
}
END_TEST

/* A pretrained backbone taken from a whole-model file (mmdet / akdbench "backbone.*", torchvision
 * detection "backbone.body.*"): the other modules' keys are skipped, the backbone stays strict. */
START_TEST(backbone_scope_from_whole_model_files) {
    ak_params a, b;
    ak_resnet na, nb;
    build(&a, &na, true);
    build(&b, &nb, false);
    char path[64];
    wt_temp(path, sizeof path, "scope");
    const char *prefixes[2] = {"backbone.", "backbone.body."};
    for (int k = 0; k < 2; k++) {
        sd d;
        sd_init(&d);
        for (int i = 0; i < a.n; i++) {
            char name[256];
            snprintf(name, sizeof name, "%s%s", prefixes[k], a.items[i].name + strlen("backbone."));
            sd_add(&d, name, a.items[i].t->ndim, a.items[i].t->shape, a.items[i].t->data, NULL);
        }
        int64_t four = 4;
        sd_add(&d, k ? "head.classification_head.cls_logits.bias" : "bbox_head.retina_cls.bias", 1, &four, NULL, NULL);
        sd_add(&d, k ? "backbone.fpn.inner_blocks.0.0.bias" : "neck.lateral_convs.0.conv.bias", 1, &four, NULL, NULL);
        sd_write_h5(&d, path, k, NULL);
        ak_weights_info info;
        ak_error err;
        ck_assert_msg(load(&b, path, "backbone.", AK_KEYS_AUTO, &info, &err) == AK_OK, "%s: %s", prefixes[k], err.msg);
        wt_assert_params_equal(&a, &b);
        ck_assert_int_eq(info.skipped, 2);
        ck_assert_int_eq(info.style, k ? AK_KEYS_TORCHVISION : AK_KEYS_MMDET);
        /* strict inside the scope */
        sd_remove(&d, d.e[3].name);
        sd_write_h5(&d, path, k, NULL);
        ck_assert_int_eq(load(&b, path, "backbone.", AK_KEYS_AUTO, NULL, &err), AK_EFORMAT);
        assert_has(err.msg, "1 missing [backbone.");
        sd_free(&d);
        ak_init_formula_all(&b);
        for (int i = 0; i < b.n; i++)
            b.items[i].t->data[0] += 1.0f;
    }
    ak_error err;
    ck_assert_int_eq(load(&b, path, "backbone", AK_KEYS_AUTO, NULL, &err), AK_EINVAL);
    assert_has(err.msg, "scope 'backbone'");
    unlink(path);
    ak_resnet_free(&na);
    ak_resnet_free(&nb);
    ak_params_free(&a);
    ak_params_free(&b);
}
END_TEST

/* akdbench checkpoints and run files are weight files too: their /params (the distillation losses'
 * "distill.*" skipped); a run that did not store final weights, and unknown akdbench formats, are
 * refused. */
START_TEST(akdbench_checkpoints_and_run_files) {
    ak_params a;
    ak_resnet na;
    build(&a, &na, true);
    ak_error err;
    ak_error_clear(&err);
    int64_t s[2] = {2, 2};
    ak_tensor *conn = ak_params_add(&a, "distill.neck.p3.align.weight", 2, s, &err);
    ck_assert_ptr_nonnull(conn);
    char dir[] = "/tmp/akd_wckpt_XXXXXX", ckpt[128], run[128], partial[160];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(ckpt, sizeof ckpt, "%s/x.ckpt.h5", dir);
    snprintf(run, sizeof run, "%s/run.h5", dir);
    ak_ckpt_meta meta = {12, "0123456789abcdef"};
    ck_assert_msg(ak_ckpt_save(ckpt, &meta, &a, NULL, 0, &err) == AK_OK, "%s", err.msg);
    ak_run_provenance prov = {"task: seg\n", "abc", "cpu", 1, 1, NULL, NULL, 0};
    ak_run *r;
    ck_assert_msg(ak_run_create(&r, run, &prov, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_ckpt_save_run(r, &meta, &a, NULL, 0, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_run_finish(r, AK_RUN_COMPLETE, &err) == AK_OK, "%s", err.msg);
    const char *files[2] = {ckpt, run}, *layouts[2] = {AK_CKPT_FORMAT, AK_RUN_FORMAT};
    for (int k = 0; k < 2; k++) {
        for (int scope = 0; scope < 2; scope++) {
            ak_params b;
            ak_resnet nb;
            build(&b, &nb, false);
            ak_weights_info info;
            ck_assert_msg(load(&b, files[k], scope ? "backbone." : "", AK_KEYS_AUTO, &info, &err) == AK_OK, "%s: %s",
                          files[k], err.msg);
            for (int i = 0; i < b.n; i++)
                ak_assert_bitwise(b.items[i].name, b.items[i].t->data, a.items[i].t->data, b.items[i].t->numel);
            ck_assert_str_eq(info.layout, layouts[k]);
            ck_assert_int_eq(info.style, AK_KEYS_OURS);
            ck_assert_int_eq(info.skipped, 1);
            ak_resnet_free(&nb);
            ak_params_free(&b);
        }
    }
    /* a run file without /checkpoint (no final weights) */
    snprintf(partial, sizeof partial, "%s/norun.h5", dir);
    ck_assert_msg(ak_run_create(&r, partial, &prov, &err) == AK_OK, "%s", err.msg);
    ck_assert_msg(ak_run_finish(r, AK_RUN_COMPLETE, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(load(&a, partial, "", AK_KEYS_AUTO, NULL, &err), AK_EFORMAT);
    assert_has(err.msg, partial);
    assert_has(err.msg, "without final weights");
    /* another akdbench format */
    sd d;
    sd_init(&d);
    sd_add(&d, "params.x", 1, s, NULL, NULL); /* a /params group: an akdbench layout is possible */
    sd_write_h5(&d, partial, 1, "akdbench-features/9");
    ck_assert_int_eq(load(&a, partial, "", AK_KEYS_AUTO, NULL, &err), AK_EVERSION);
    assert_has(err.msg, "format 'akdbench-features/9'");
    sd_free(&d);
    unlink(ckpt);
    unlink(run);
    unlink(partial);
    rmdir(dir);
    ak_resnet_free(&na);
    ak_params_free(&a);
}
END_TEST

START_TEST(bad_files_name_the_file) {
    ak_params a;
    ak_resnet na;
    build(&a, &na, true);
    char path[64];
    wt_temp(path, sizeof path, "bad");
    ak_error err;
    /* missing */
    ck_assert_int_eq(load(&a, "/nonexistent/w.h5", "", AK_KEYS_AUTO, NULL, &err), AK_EIO);
    assert_has(err.msg, "/nonexistent/w.h5");
    /* neither format */
    FILE *f = fopen(path, "wb");
    fputs("conv1.weight = [1, 2, 3]\n", f);
    fclose(f);
    ck_assert_int_eq(load(&a, path, "", AK_KEYS_AUTO, NULL, &err), AK_EFORMAT);
    assert_has(err.msg, path);
    assert_has(err.msg, "no HDF5 signature");
    /* a truncated HDF5 file (e.g. an interrupted copy) */
    sd d;
    imagenet_dict(&d, &a);
    sd_write_h5(&d, path, 1, NULL);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(truncate(path, st.st_size / 2), 0);
    ck_assert_int_eq(load(&a, path, "backbone.", AK_KEYS_AUTO, NULL, &err), AK_EFORMAT);
    assert_has(err.msg, path);
    /* the same key twice: a flat "bn1.bias" and a nested bn1/bias */
    sd_free(&d);
    sd_init(&d);
    int64_t four = 4;
    sd_add(&d, "bn1.bias", 1, &four, NULL, NULL);
    sd_write_h5(&d, path, 0, NULL);
    hid_t h = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t g = H5Gcreate2(h, "bn1", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dim = 4;
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    hid_t ds = H5Dcreate2(g, "bias", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(ds);
    H5Sclose(sp);
    H5Gclose(g);
    H5Fclose(h);
    ck_assert_int_eq(load(&a, path, "backbone.", AK_KEYS_AUTO, NULL, &err), AK_EFORMAT);
    assert_has(err.msg, "key 'bn1.bias' appears twice (/bn1/bias and /bn1.bias)");
    /* a name safetensors cannot hold (not UTF-8) is refused by the writer, never dropped */
    float two[2] = {1, 2};
    int64_t s2 = 2;
    ak_st_write_entry w[2] = {{"bn.mean", 1, &s2, two}, {"bn.var\x88\x01", 1, &s2, two}};
    ak_error_clear(&err);
    ck_assert_int_eq(ak_weights_file_write(path, AK_WF_SAFETENSORS, w, 2, NULL, 0, &err), AK_EINVAL);
    assert_has(err.msg, "is not valid UTF-8");
    ak_error_clear(&err);
    ck_assert_msg(ak_weights_file_write(path, AK_WF_HDF5, w, 2, NULL, 0, &err) == AK_OK, "%s", err.msg);
    ak_weights_file wf;
    ck_assert_msg(ak_weights_file_open(&wf, path, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(wf.n, 2);
    ck_assert_int_ge(ak_weights_file_find(&wf, "bn.var\x88\x01"), 0);
    ak_weights_file_close(&wf);
    sd_free(&d);
    unlink(path);
    ak_resnet_free(&na);
    ak_params_free(&a);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("weights");
    TCase *tc = tcase_create("import");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_format_and_layout_loads_bitwise);
    tcase_add_test(tc, dtype_rules);
    tcase_add_test(tc, mismatches_are_listed_and_nothing_is_copied);
    tcase_add_test(tc, backbone_scope_from_whole_model_files);
    tcase_add_test(tc, akdbench_checkpoints_and_run_files);
    tcase_add_test(tc, bad_files_name_the_file);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
