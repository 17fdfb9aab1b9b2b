/* Fuzz target: the HDF5 files akdbench reads back: run files (`akdbench h5 check`, resumption, the
 * report generator's readers), checkpoints (`--resume`, model weights) and a sweep's results.h5.
 * The input is written to a file and opened by each reader: ak_run_validate, ak_run_open + every
 * read accessor (info, train columns, eval scalars and arrays, features), ak_ckpt_read_meta +
 * ak_ckpt_load into a fixed small registry (the one tests/fuzz/make_corpus.c saves), and
 * ak_results_read.
 * Invariants: failures name the file; no HDF5 object stays open after any reader returns (a leaked
 * handle keeps the file open and its space locked); what the validator accepts, the readers read.
 * Returns AK_OK when one of the three readers accepted the file, else the validator's status. */
#include <hdf5.h>

#include "core/params.h"
#include "fuzz_support.h"
#include "store/checkpoint.h"
#include "store/results_index.h"
#include "store/run_validate.h"
#include "store/runfile.h"

int ak_fuzz_hdf5(const uint8_t *data, size_t size, ak_error *err);

static void h5_fz_no_open_objects(const char *after) {
    ssize_t n = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
    AK_FUZZ_CHECK(n == 0, "%zd HDF5 objects still open after %s", n, after);
}

#define H5_FZ_TRY(call, path)                           \
    do {                                                \
        ak_error e_;                                    \
        ak_error_clear(&e_);                            \
        int rc_ = (call);                               \
        if (rc_ != AK_OK)                               \
            ak_fuzz_check_failure(rc_, &e_, (path));    \
    } while (0)

/* Every accessor of an opened run file; failures only need to be well-formed. */
static void h5_fz_read_run(ak_run *run, const char *path) {
    ak_error e;
    ak_error_clear(&e);
    ak_run_info info;
    memset(&info, 0, sizeof info);
    if (ak_run_read_info(run, &info, &e) == AK_OK)
        ak_run_info_free(&info);
    else
        ak_fuzz_check_failure(e.code, &e, path);
    int64_t n = 0;
    ak_error_clear(&e);
    if (ak_run_train_len(run, &n, &e) == AK_OK && n > 0 && n < 100000) {
        int64_t *it = malloc((size_t)n * sizeof *it);
        double *v = malloc((size_t)n * sizeof *v);
        AK_FUZZ_CHECK(it && v, "out of memory");
        H5_FZ_TRY(ak_run_read_train_iters(run, 0, n, it, &e_), path);
        for (int c = 0; c < AK_TRAIN_N_STD; c++)
            H5_FZ_TRY(ak_run_read_train(run, ak_train_std_columns[c], 0, n, v, &e_), path);
        free(it);
        free(v);
    }
    int64_t *steps = NULL;
    int ns = 0;
    ak_error_clear(&e);
    if (ak_run_eval_steps(run, &steps, &ns, &e) == AK_OK) {
        for (int i = 0; i < ns && i < 16; i++) {
            char **sc = NULL, **ar = NULL;
            int nsc = 0, nar = 0;
            ak_error_clear(&e);
            if (ak_run_eval_names(run, steps[i], &sc, &nsc, &ar, &nar, &e) != AK_OK)
                continue;
            for (int k = 0; k < nsc; k++) {
                double x;
                H5_FZ_TRY(ak_run_read_eval(run, steps[i], sc[k], &x, &e_), path);
            }
            for (int k = 0; k < nar; k++) {
                double *vals = NULL;
                int64_t *ids = NULL, m = 0;
                H5_FZ_TRY(ak_run_read_eval_array(run, steps[i], ar[k], &vals, &ids, &m, &e_), path);
                free(vals);
                free(ids);
            }
            ak_run_names_free(sc, nsc);
            ak_run_names_free(ar, nar);
        }
        free(steps);
    }
    steps = NULL;
    ak_error_clear(&e);
    if (ak_run_feature_steps(run, &steps, &ns, &e) == AK_OK) {
        for (int i = 0; i < ns && i < 4; i++) {
            char **roles = NULL;
            int nr = 0;
            ak_error_clear(&e);
            if (ak_run_feature_roles(run, steps[i], &roles, &nr, &e) != AK_OK)
                continue;
            for (int r = 0; r < nr && r < 4; r++) {
                char **levels = NULL;
                int nl = 0;
                ak_error_clear(&e);
                if (ak_run_feature_levels(run, steps[i], roles[r], &levels, &nl, &e) != AK_OK)
                    continue;
                for (int l = 0; l < nl && l < 4; l++) {
                    int64_t shape[4];
                    float *fd = NULL;
                    H5_FZ_TRY(ak_run_read_features(run, steps[i], roles[r], levels[l], shape, &fd, &e_), path);
                    free(fd);
                }
                ak_run_names_free(levels, nl);
            }
            ak_run_names_free(roles, nr);
        }
        free(steps);
    }
}

/* The registry and extras that make_corpus.c writes into its checkpoint seed; the status of the
 * strict load. */
static int h5_fz_load_ckpt(const char *path) {
    ak_params ps;
    ak_params_init(&ps);
    ak_error e;
    ak_error_clear(&e);
    int64_t s1[2] = {2, 3}, s2[1] = {3};
    AK_FUZZ_CHECK(ak_params_add(&ps, "conv.weight", 2, s1, &e) && ak_params_add_buffer(&ps, "bn.mean", 1, s2, &e),
                  "registry: %s", e.msg);
    float mom[6];
    int64_t step = 0;
    ak_ckpt_array ex[2] = {{"optimizer", "momentum.conv.weight", AK_CKPT_F32, 2, {2, 3}, mom},
                           {"loader", "position", AK_CKPT_I64, 0, {0}, &step}};
    ak_ckpt_meta meta;
    H5_FZ_TRY(ak_ckpt_read_meta(path, &meta, &e_), path);
    h5_fz_no_open_objects("ak_ckpt_read_meta");
    ak_error_clear(&e);
    int rc = ak_ckpt_load(path, &meta, &ps, ex, 2, &e);
    if (rc != AK_OK)
        ak_fuzz_check_failure(rc, &e, path);
    h5_fz_no_open_objects("ak_ckpt_load");
    H5_FZ_TRY(ak_ckpt_load_params(path, &meta, &ps, &e_), path);
    h5_fz_no_open_objects("ak_ckpt_load_params");
    ak_params_free(&ps);
    return rc;
}

int ak_fuzz_hdf5(const uint8_t *data, size_t size, ak_error *err) {
    const char *path = ak_fuzz_temp_file("run.h5", data, size);
    ak_run_summary sum;
    int rc = ak_run_validate(path, &sum, err);
    h5_fz_no_open_objects("ak_run_validate");
    if (rc != AK_OK)
        ak_fuzz_check_failure(rc, err, path);

    ak_run *run = NULL;
    ak_error e;
    ak_error_clear(&e);
    int rco = ak_run_open(&run, path, AK_RUN_READ, &e);
    if (rco == AK_OK) {
        h5_fz_read_run(run, path);
        ak_error_clear(&e);
        ak_run_close(run, &e);
    } else {
        ak_fuzz_check_failure(rco, &e, path);
        AK_FUZZ_CHECK(rc != AK_OK, "ak_run_open refused a file that ak_run_validate accepts: %s", e.msg);
    }
    h5_fz_no_open_objects("the run file readers");

    int rcc = h5_fz_load_ckpt(path);

    ak_results res;
    ak_error_clear(&e);
    int rcr = ak_results_read(path, &res, &e);
    if (rcr == AK_OK)
        ak_results_free(&res);
    else
        ak_fuzz_check_failure(rcr, &e, path);
    h5_fz_no_open_objects("ak_results_read");
    /* AK_OK when one of the three formats read; else the validator's verdict */
    return rc == AK_OK || rcc == AK_OK || rcr == AK_OK ? AK_OK : rc;
}

AK_FUZZ_ENTRY(ak_fuzz_hdf5)
