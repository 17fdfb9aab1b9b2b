/* Writes the HDF5 seeds of the fuzz corpus (tests/fuzz/corpus/hdf5/): a small complete run file (a
 * few train rows with an extra loss term, one segmentation evaluation with per-class arrays, one
 * feature map, final weights), a checkpoint file and a sweep's results.h5, through the store's own
 * writers. The checkpoint holds exactly the registry that fuzz_hdf5.c loads, so mutations of it
 * reach the data-reading code. Built with the fuzz targets (AK_FUZZ); the other seeds come from
 * tools/fuzz_corpus.py. Usage: fuzz_make_corpus OUT_DIR */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/params.h"
#include "store/checkpoint.h"
#include "store/hash.h"
#include "store/results_index.h"
#include "store/runfile.h"

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

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_make_corpus OUT_DIR\n");
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
    return 0;
}
