/* Writes the HDF5 seeds of the fuzz corpus (tests/fuzz/corpus/hdf5/): a small complete run file (a
 * few train rows with an extra loss term, one segmentation evaluation with per-class arrays, one
 * feature map, final weights), a checkpoint file and a sweep's results.h5, through the store's own
 * writers. The checkpoint holds exactly the registry that fuzz_hdf5.c loads, so mutations of it
 * reach the data-reading code. With a second folder, also the weights_hdf5 seeds: h5py-layout
 * state dicts (flat float32 datasets via ak_weights_file_write; nested groups with float64, float16
 * and an int64 counter) plus copies of the run file and the checkpoint (weights too).
 * Built with the fuzz targets (AK_FUZZ); the other seeds come from tools/fuzz_corpus.py.
 * Usage: fuzz_make_corpus OUT_DIR [WEIGHTS_DIR] */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/params.h"
#include "store/checkpoint.h"
#include "store/hash.h"
#include "store/results_index.h"
#include "store/runfile.h"
#include "store/weights_file.h"

static int fail(const ak_error *e) {
    fprintf(stderr, "fuzz_make_corpus: %s\n", e->msg);
    return 1;
}

static void registry(ak_params *ps, ak_error *e) {
    ak_params_init(ps);
    int64_t s1[2] = {2, 3}, s2[1] = {3};
    ak_tensor *w = ak_params_add(ps, "conv.weight", 2, s1, e);
    ak_tensor *m = ak_params_add_buffer(ps, "bn.mean", 1, s2, e);
    for (int i = 0; w && i < 6; i++)
        w->data[i] = 0.25f * (float)i - 0.5f;
    for (int i = 0; m && i < 3; i++)
        m->data[i] = (float)i;
}

/* One dataset at a nested path (groups created), stored as `ftype`, written from floats (or, for
 * an integer type, from int64 values). */
static int nested(hid_t f, const char *path, hid_t ftype, int ndim, const hsize_t *dims, const float *v, int64_t n) {
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t sp = ndim ? H5Screate_simple(ndim, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t d = H5Dcreate2(f, path, ftype, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    herr_t w = -1;
    if (d >= 0 && H5Tget_class(ftype) == H5T_INTEGER) {
        int64_t q[16];
        for (int64_t i = 0; i < n && i < 16; i++)
            q[i] = (int64_t)v[i];
        w = H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, q);
    } else if (d >= 0) {
        w = H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    }
    H5Dclose(d);
    H5Sclose(sp);
    H5Pclose(lcpl);
    return w < 0;
}

static int weight_seeds(const char *dir, const char *run_path, const char *ckpt_path) {
    char path[4096];
    ak_error e;
    ak_error_clear(&e);
    static const float w[6] = {0.5f, -0.25f, 1.0f, 2.0f, -1.5f, 0.125f}, b[3] = {0.1f, 0.2f, -0.3f}, nbt = 3.0f;
    static const int64_t s23[2] = {2, 3}, s3[1] = {3};
    ak_st_write_entry flat[4] = {{"conv1.weight", 2, s23, w}, {"bn1.weight", 1, s3, b}, {"bn1.running_var", 1, s3, b},
                                 {"bn1.num_batches_tracked", 0, NULL, &nbt}};
    snprintf(path, sizeof path, "%s/flat.h5", dir);
    if (ak_weights_file_write(path, AK_WF_HDF5, flat, 4, NULL, 0, &e) != AK_OK)
        return fail(&e);
    snprintf(path, sizeof path, "%s/nested.h5", dir);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t half = H5Tcopy(H5T_IEEE_F32LE);
    H5Tset_fields(half, 15, 10, 5, 0, 10);
    H5Tset_size(half, 2);
    H5Tset_ebias(half, 15);
    hsize_t d23[2] = {2, 3}, d3[1] = {3};
    int bad = f < 0 || nested(f, "backbone/layer1/0/conv1/weight", H5T_IEEE_F64LE, 2, d23, w, 6) ||
              nested(f, "backbone/layer1/0/bn1/weight", half, 1, d3, b, 3) ||
              nested(f, "backbone/layer1/0/bn1/num_batches_tracked", H5T_STD_I64LE, 0, NULL, &nbt, 1) ||
              nested(f, "backbone.stem.0.weight", H5T_IEEE_F32LE, 2, d23, w, 6);
    H5Tclose(half);
    if (f < 0 || H5Fclose(f) < 0 || bad) {
        fprintf(stderr, "fuzz_make_corpus: cannot write %s\n", path);
        return 1;
    }
    const char *copies[2][2] = {{run_path, "run.h5"}, {ckpt_path, "checkpoint.h5"}};
    for (int i = 0; i < 2; i++) {
        char cmd[9000];
        snprintf(cmd, sizeof cmd, "cp '%s' '%s/%s'", copies[i][0], dir, copies[i][1]);
        if (system(cmd) != 0) {
            fprintf(stderr, "fuzz_make_corpus: %s failed\n", cmd);
            return 1;
        }
    }
    printf("wrote %s/{flat,nested,run,checkpoint}.h5\n", dir);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: fuzz_make_corpus OUT_DIR [WEIGHTS_DIR]\n");
        return 2;
    }
    char run_path[4096], ckpt_path[4096], res_path[4096];
    snprintf(run_path, sizeof run_path, "%s/run.h5", argv[1]);
    snprintf(ckpt_path, sizeof ckpt_path, "%s/checkpoint.h5", argv[1]);
    snprintf(res_path, sizeof res_path, "%s/results.h5", argv[1]);
    unlink(run_path);
    ak_error e;
    ak_error_clear(&e);
    ak_params ps;
    registry(&ps, &e);
    if (e.code)
        return fail(&e);

    const char *extra[1] = {"loss_cwd"};
    ak_run_provenance prov = {"task: seg\nseed: 1\n", "0123abc", "cpu", 1, 1, NULL, extra, 1};
    ak_run *run;
    if (ak_run_create(&run, run_path, &prov, &e) != AK_OK)
        return fail(&e);
    for (int i = 0; i < 3; i++) {
        double x = 0.5 * i;
        ak_train_row row = {i, 0.01, 2.0 - x, 1.5 - x, 0.5, 0.0, 0.1, &x};
        if (ak_run_append_train(run, &row, &e) != AK_OK)
            return fail(&e);
    }
    ak_metric sc[3] = {{"mIoU", 0.25}, {"aAcc", 0.75}, {"mAcc", 0.5}};
    double iou[2] = {0.1, 0.4};
    int64_t ids[2] = {0, 1};
    ak_metric_array ar[1] = {{"per_class_iou", iou, ids, 2}};
    float feat[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int64_t fshape[4] = {1, 2, 2, 2};
    ak_ckpt_meta meta = {2, ""};
    ak_run_id_of_config(prov.config, meta.run_id);
    if (ak_run_write_eval(run, 2, sc, 3, ar, 1, &e) != AK_OK ||
        ak_run_write_features(run, 2, "student", "c4", fshape, feat, &e) != AK_OK ||
        ak_ckpt_save_run(run, &meta, &ps, NULL, 0, &e) != AK_OK)
        return fail(&e);
    if (ak_run_finish(run, AK_RUN_COMPLETE, &e) != AK_OK)
        return fail(&e);

    float mom[6] = {0.5f, 0, 0, 0, 0, -0.5f};
    int64_t step = 7;
    ak_ckpt_array ex[2] = {{"optimizer", "momentum.conv.weight", AK_CKPT_F32, 2, {2, 3}, mom},
                           {"loader", "position", AK_CKPT_I64, 0, {0}, &step}};
    if (ak_ckpt_save(ckpt_path, &meta, &ps, ex, 2, &e) != AK_OK)
        return fail(&e);

    ak_results r;
    ak_results_init(&r);
    const char *names[2] = {"mIoU", "aAcc"};
    double vals[2] = {0.25, 0.75};
    ak_results_row row = {"abc123", "runs/a.h5", "complete", names, vals, 2};
    if (ak_results_set(&r, &row, &e) != AK_OK || ak_results_write(res_path, &r, &e) != AK_OK)
        return fail(&e);
    ak_results_free(&r);
    ak_params_free(&ps);
    printf("wrote %s, %s, %s\n", run_path, ckpt_path, res_path);
    return argc == 3 ? weight_seeds(argv[2], run_path, ckpt_path) : 0;
}
