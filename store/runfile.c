/* Run-file life cycle and provenance: create / open / resume / flush / finish, the root attributes,
 * and the file names derived from a run path. The /train log is in run_train.c, evaluations in
 * run_eval.c, features in run_features.c. See runfile.h and SCHEMA.md. */
#include "store/run_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/runtime.h"
#include "store/fsutil.h"
#include "store/h5util.h"
#include "store/run_snapshot.h"
#include "store/run_validate.h"

const char *const ak_train_std_columns[AK_TRAIN_N_STD] = {"lr",           "loss_total", "loss_task", "loss_distill",
                                                          "avatar_weight", "time_s"};
const char *const ak_eval_det_metrics[AK_EVAL_N_DET] = {"AP",  "AP50", "AP75",  "APs", "APm", "APl",
                                                        "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};
const char *const ak_eval_seg_metrics[AK_EVAL_N_SEG] = {"mIoU", "aAcc", "mAcc"};

static const char *const status_names[] = {"running", "complete", "failed", "interrupted"};

const char *ak_run_status_name(ak_run_status s) {
    return (unsigned)s < sizeof status_names / sizeof status_names[0] ? status_names[s] : "?";
}

int ak_run_status_parse(const char *s, ak_run_status *out) {
    for (int i = 0; i < (int)(sizeof status_names / sizeof status_names[0]); i++)
        if (strcmp(s, status_names[i]) == 0) {
            *out = (ak_run_status)i;
            return AK_OK;
        }
    return AK_EINVAL;
}

int ak_run_partial_path(const char *final_path, char *out, size_t len, ak_error *err) {
    return ak_path_with_suffix(out, len, final_path, ".partial", err);
}

int ak_run_ckpt_path(const char *final_path, char *out, size_t len, ak_error *err) {
    size_t n = strlen(final_path);
    size_t stem = n >= 3 && strcmp(final_path + n - 3, ".h5") == 0 ? n - 3 : n;
    int w = snprintf(out, len, "%.*s.ckpt.h5", (int)stem, final_path);
    if (w < 0 || (size_t)w >= len)
        return ak_error_set(err, AK_EINVAL, "path too long: %s", final_path);
    return AK_OK;
}

int ak_run_remove_leftovers(const char *final_path, ak_error *err) {
    char ckpt[AK_RUN_PATH_LEN], ckpt_tmp[AK_RUN_PATH_LEN + 8];
    AK_TRY(ak_run_ckpt_path(final_path, ckpt, sizeof ckpt, err));
    AK_TRY(ak_path_with_suffix(ckpt_tmp, sizeof ckpt_tmp, ckpt, ".tmp", err));
    if (unlink(ckpt) != 0 && errno != ENOENT)
        return ak_error_set(err, AK_EIO, "%s: cannot remove the checkpoint: %s", ckpt, strerror(errno));
    if (unlink(ckpt_tmp) != 0 && errno != ENOENT)
        return ak_error_set(err, AK_EIO, "%s: cannot remove the checkpoint: %s", ckpt_tmp, strerror(errno));
    return ak_run_snapshot_remove(final_path, err);
}

void ak_run_timestamp(char buf[32]) {
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const char *ak_run_path(const ak_run *run) { return run->path; }

int ak_run__check_writable(ak_run *run, ak_error *err) {
    if (!run->writable)
        return ak_error_set(err, AK_ESTATE, "%s: run file opened read-only", run->path);
    if (run->broken)
        return ak_error_set(err, AK_ESTATE, "%s: an earlier write failed; close the run file", run->path);
    return AK_OK;
}


static ak_run *run_alloc(void) {
    ak_run *run = calloc(1, sizeof *run);
    if (!run)
        return NULL;
    run->file = H5I_INVALID_HID;
    run->last_iter = INT64_MIN;
    return run;
}

/* Release everything without writing. */
static void run_free(ak_run *run) {
    if (!run)
        return;
    ak_run__train_free(run);
    ak_h5_close(&run->file);
    free(run);
}

/* File access properties of a run file.
 * - Close strongly, so the file really closes (and its lock is released) on every path.
 * - Metadata cache evictions off: HDF5 then writes metadata only when the file is flushed, never
 *   in between (by default it writes dirty entries whenever its cache is full, updating objects in
 *   place). A process killed between two flushes so leaves the file as of the first one: stress
 *   tests with kill -9 under load found a half-updated group without this. The cache holds the
 *   file's metadata (object headers, B-tree nodes: a few MiB for a long run), not raw data, which
 *   goes through the per-dataset chunk caches. Automatic resizing must be off for this. */
static hid_t make_fapl(void) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return fapl;
    H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    H5AC_cache_config_t mdc;
    memset(&mdc, 0, sizeof mdc);
    mdc.version = H5AC__CURR_CACHE_CONFIG_VERSION;
    if (H5Pget_mdc_config(fapl, &mdc) >= 0) {
        mdc.evictions_enabled = false;
        mdc.incr_mode = H5C_incr__off;
        mdc.flash_incr_mode = H5C_flash_incr__off;
        mdc.decr_mode = H5C_decr__off;
        mdc.set_initial_size = true;
        mdc.initial_size = 4 * 1024 * 1024;
        if (mdc.max_size < mdc.initial_size)
            mdc.max_size = mdc.initial_size;
        if (mdc.min_size > mdc.initial_size)
            mdc.min_size = mdc.initial_size;
        H5Pset_mdc_config(fapl, &mdc);
    }
    H5Eclear2(H5E_DEFAULT);
    return fapl;
}

static int write_provenance(ak_run *run, const ak_run_provenance *prov, ak_error *err) {
    const char *f = run->path;
    hid_t root = run->file;
    char id[AK_RUN_ID_LEN], now[32], hdf5[32], runtime[256];
    ak_run_id_of_config(prov->config, id);
    ak_run_timestamp(now);
    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    snprintf(hdf5, sizeof hdf5, "%u.%u.%u", maj, min, rel);
    ak_runtime_info rt;
    ak_runtime_query(&rt);
    ak_runtime_describe(runtime, sizeof runtime);
    int threads = prov->threads > 0 ? prov->threads : ak_runtime_threads();
    AK_TRY(ak_h5_attr_put_str(root, "format", AK_RUN_FORMAT, f, err));
    AK_TRY(ak_h5_attr_put_str(root, "run_id", id, f, err));
    AK_TRY(ak_h5_attr_put_str(root, "config", prov->config, f, err));
    AK_TRY(ak_h5_attr_put_str(root, "git_commit", prov->git_commit ? prov->git_commit : "unknown", f, err));
    AK_TRY(ak_h5_attr_put_str(root, "hdf5_version", hdf5, f, err));
    AK_TRY(ak_h5_attr_put_str(root, "openblas_core", rt.blas_core, f, err));
    AK_TRY(ak_h5_attr_put_str(root, "openblas_config", rt.blas_config, f, err));
    AK_TRY(ak_h5_attr_put_str(root, "akdbench_version", AK_VERSION, f, err));
    AK_TRY(ak_h5_attr_put_str(root, "runtime", runtime, f, err));
    AK_TRY(ak_h5_attr_put_str(root, "device", prov->device ? prov->device : "cpu", f, err));
    AK_TRY(ak_h5_attr_put_i64(root, "threads", threads, f, err));
    AK_TRY(ak_h5_attr_put_u64(root, "seed", prov->seed, f, err));
    AK_TRY(ak_h5_attr_put_str(root, "teacher_weights_hash",
                              prov->teacher_weights_hash ? prov->teacher_weights_hash : "", f, err));
    AK_TRY(ak_h5_attr_put_str(root, "status", ak_run_status_name(AK_RUN_RUNNING), f, err));
    AK_TRY(ak_h5_attr_put_str(root, "created", now, f, err));
    AK_TRY(ak_h5_attr_put_str(root, "updated", now, f, err));
    return AK_OK;
}

static int check_extra_names(const ak_run_provenance *prov, const char *path, ak_error *err) {
    if (prov->n_extra_losses < 0 || (prov->n_extra_losses > 0 && !prov->extra_losses))
        return ak_error_set(err, AK_EINVAL, "%s: extra_losses missing for n_extra_losses=%d", path,
                            prov->n_extra_losses);
    for (int i = 0; i < prov->n_extra_losses; i++) {
        const char *name = prov->extra_losses[i];
        if (!name || !name[0] || strchr(name, '/') || strcmp(name, ".") == 0)
            return ak_error_set(err, AK_EINVAL, "%s: extra loss name '%s' is empty or contains '/'", path,
                                name ? name : "(null)");
        if (strcmp(name, "iter") == 0)
            return ak_error_set(err, AK_EINVAL, "%s: extra loss name 'iter' is reserved", path);
        for (int j = 0; j < AK_TRAIN_N_STD; j++)
            if (strcmp(name, ak_train_std_columns[j]) == 0)
                return ak_error_set(err, AK_EINVAL, "%s: extra loss '%s' duplicates a standard column", path, name);
        for (int j = 0; j < i; j++)
            if (strcmp(name, prov->extra_losses[j]) == 0)
                return ak_error_set(err, AK_EINVAL, "%s: extra loss '%s' declared twice", path, name);
    }
    return AK_OK;
}

int ak_run_create(ak_run **out, const char *final_path, const ak_run_provenance *prov, ak_error *err) {
    ak_h5_quiet();
    *out = NULL;
    if (!prov || !prov->config || !prov->config[0])
        return ak_error_set(err, AK_EINVAL, "%s: the resolved config text is required", final_path);
    AK_TRY(check_extra_names(prov, final_path, err));
    if (ak_file_exists(final_path))
        return ak_error_set(err, AK_EINVAL, "%s: already exists (a complete run); remove it to run again",
                            final_path);
    ak_run *run = run_alloc();
    if (!run)
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", final_path);
    int rc = ak_run_partial_path(final_path, run->path, sizeof run->path, err);
    if (rc == AK_OK)
        rc = ak_path_with_suffix(run->final_path, sizeof run->final_path, final_path, "", err);
    /* A checkpoint (and run file snapshot) left by an earlier attempt belongs to the run file being replaced. */
    if (rc == AK_OK)
        rc = ak_run_remove_leftovers(final_path, err);
    if (rc != AK_OK) {
        run_free(run);
        return rc;
    }
    hid_t fapl = make_fapl();
    run->file = H5Fcreate(run->path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    ak_h5_close(&fapl);
    if (run->file < 0) {
        rc = ak_h5_fail(err, AK_EIO, "%s: cannot create run file", run->path);
        run_free(run);
        return rc;
    }
    run->writable = true;
    rc = write_provenance(run, prov, err);
    if (rc == AK_OK)
        rc = ak_run__train_create(run, prov->extra_losses, prov->n_extra_losses, err);
    if (rc == AK_OK)
        rc = ak_run__flush_file(run, err);
    if (rc != AK_OK) {
        run_free(run);
        return rc;
    }
    *out = run;
    return AK_OK;
}

int ak_run_open(ak_run **out, const char *path, ak_run_mode mode, ak_error *err) {
    ak_h5_quiet();
    *out = NULL;
    if (!ak_file_exists(path))
        return ak_error_set(err, AK_EIO, "%s: no such run file", path);
    ak_run *run = run_alloc();
    if (!run)
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", path);
    int rc = ak_path_with_suffix(run->path, sizeof run->path, path, "", err);
    if (rc != AK_OK) {
        run_free(run);
        return rc;
    }
    /* A final name for publication: the path without ".partial" when it has that suffix. */
    size_t n = strlen(path), sfx = strlen(".partial");
    if (n > sfx && strcmp(path + n - sfx, ".partial") == 0)
        snprintf(run->final_path, sizeof run->final_path, "%.*s", (int)(n - sfx), path);
    hid_t fapl = make_fapl();
    run->file = H5Fopen(path, mode == AK_RUN_APPEND ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
    ak_h5_close(&fapl);
    if (run->file < 0) {
        rc = ak_h5_fail(err, AK_EFORMAT, "%s: cannot open as HDF5 (not an HDF5 file, truncated or locked)", path);
        run_free(run);
        return rc;
    }
    run->writable = mode == AK_RUN_APPEND;
    char *format = NULL;
    rc = ak_h5_attr_get_str(run->file, "format", &format, path, err);
    if (rc == AK_OK && strcmp(format, AK_RUN_FORMAT) != 0)
        rc = ak_error_set(err, AK_EVERSION, "%s: / attribute 'format' is '%s', expected '%s' (written by another "
                          "akdbench version; re-run it or convert the file)", path, format, AK_RUN_FORMAT);
    free(format);
    if (rc == AK_OK)
        rc = ak_run__train_open(run, err);
    if (rc != AK_OK) {
        run_free(run);
        return rc;
    }
    *out = run;
    return AK_OK;
}

int ak_run_truncate_after(ak_run *run, int64_t iteration, ak_error *err) {
    AK_TRY(ak_run__check_writable(run, err));
    if (ak_run__train_truncate(run, iteration, err) != AK_OK || ak_run__eval_truncate(run, iteration, err) != AK_OK ||
        ak_run__features_truncate(run, iteration, err) != AK_OK)
        return ak_run__broke(run, err);
    if (ak_h5_exists(run->file, "checkpoint") && H5Ldelete(run->file, "checkpoint", H5P_DEFAULT) < 0) {
        ak_h5_fail(err, AK_EIO, "%s: /checkpoint: cannot delete", run->path);
        return ak_run__broke(run, err);
    }
    return AK_OK;
}

int ak_run_resume(ak_run **out, const char *final_path, int64_t iteration, ak_error *err) {
    char partial[AK_RUN_PATH_LEN];
    *out = NULL;
    AK_TRY(ak_run_partial_path(final_path, partial, sizeof partial, err));
    if (!ak_file_exists(partial))
        return ak_error_set(err, AK_EIO, "%s: cannot resume: no such run file", partial);
    /* A kill during a flush can leave a damaged file: find out before appending to it (in a child
     * process: libhdf5 can crash on such a file), and fall back to the copy taken at the last
     * checkpoint when there is one (run_snapshot.h). */
    if (ak_run_validate_isolated(partial, err) != AK_OK && ak_run_snapshot_restore(final_path, err) != AK_OK) {
        ak_error_prefix(err, "cannot resume %s (restart the run: the file was damaged, e.g. killed while flushing)",
                        final_path);
        return err ? err->code : AK_EFORMAT;
    }
    ak_run *run;
    AK_TRY(ak_run_open(&run, partial, AK_RUN_APPEND, err));
    snprintf(run->final_path, sizeof run->final_path, "%s", final_path);
    int rc = ak_run_truncate_after(run, iteration, err);
    if (rc == AK_OK)
        rc = ak_run_set_status(run, AK_RUN_RUNNING, err);
    if (rc == AK_OK)
        rc = ak_run_flush(run, err);
    if (rc != AK_OK) {
        ak_run_close(run, NULL);
        return rc;
    }
    *out = run;
    return AK_OK;
}

int ak_run_set_status(ak_run *run, ak_run_status status, ak_error *err) {
    AK_TRY(ak_run__check_writable(run, err));
    char now[32];
    ak_run_timestamp(now);
    if (ak_h5_attr_put_str(run->file, "status", ak_run_status_name(status), run->path, err) != AK_OK ||
        ak_h5_attr_put_str(run->file, "updated", now, run->path, err) != AK_OK)
        return ak_run__broke(run, err);
    return AK_OK;
}


int ak_run_close(ak_run *run, ak_error *err) {
    if (!run)
        return AK_OK;
    int rc = AK_OK;
    if (run->writable && !run->broken)
        rc = ak_run__flush_file(run, err); /* so that closing has nothing left to write */
    ak_run__train_free(run);
    if (run->file >= 0) {
        herr_t closed = H5Fclose(run->file);
        run->file = H5I_INVALID_HID;
        if (closed < 0 && rc == AK_OK && !run->broken) /* a broken handle cannot write: expected */
            rc = ak_h5_fail(err, AK_EIO, "%s: close failed (data may not have reached the disk)", run->path);
    }
    run_free(run);
    return rc;
}

int ak_run_finish(ak_run *run, ak_run_status status, ak_error *err) {
    int rc = ak_run_set_status(run, status, err);
    if (rc == AK_OK)
        rc = ak_run_flush(run, err);
    char path[AK_RUN_PATH_LEN], final_path[AK_RUN_PATH_LEN];
    memcpy(path, run->path, sizeof path);
    memcpy(final_path, run->final_path, sizeof final_path);
    int rc_close = ak_run_close(run, rc == AK_OK ? err : NULL);
    if (rc == AK_OK)
        rc = rc_close;
    if (rc != AK_OK || status != AK_RUN_COMPLETE || !final_path[0] || strcmp(path, final_path) == 0)
        return rc;
    AK_TRY(ak_publish_file(path, final_path, err));
    return ak_run_remove_leftovers(final_path, err); /* complete: checkpoint and last good copy not needed */
}

/* ---- provenance ---- */

void ak_run_info_free(ak_run_info *info) {
    char **strs[] = {&info->format, &info->run_id, &info->config, &info->git_commit, &info->hdf5_version,
                     &info->openblas_core, &info->openblas_config, &info->akdbench_version, &info->runtime,
                     &info->device, &info->teacher_weights_hash, &info->status, &info->created, &info->updated};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(*strs[i]);
    ak_h5_strs_free(info->extra_losses, info->n_extra_losses);
    memset(info, 0, sizeof *info);
}

int ak_run_read_info(ak_run *run, ak_run_info *info, ak_error *err) {
    memset(info, 0, sizeof *info);
    struct {
        const char *name;
        char **dst;
    } strs[] = {{"format", &info->format},
                {"run_id", &info->run_id},
                {"config", &info->config},
                {"git_commit", &info->git_commit},
                {"hdf5_version", &info->hdf5_version},
                {"openblas_core", &info->openblas_core},
                {"openblas_config", &info->openblas_config},
                {"akdbench_version", &info->akdbench_version},
                {"runtime", &info->runtime},
                {"device", &info->device},
                {"teacher_weights_hash", &info->teacher_weights_hash},
                {"status", &info->status},
                {"created", &info->created},
                {"updated", &info->updated}};
    int rc = AK_OK;
    for (size_t i = 0; rc == AK_OK && i < sizeof strs / sizeof strs[0]; i++)
        rc = ak_h5_attr_get_str(run->file, strs[i].name, strs[i].dst, run->path, err);
    if (rc == AK_OK)
        rc = ak_h5_attr_get_i64(run->file, "threads", &info->threads, run->path, err);
    if (rc == AK_OK)
        rc = ak_h5_attr_get_u64(run->file, "seed", &info->seed, run->path, err);
    if (rc == AK_OK) {
        info->n_extra_losses = run->n_cols - 1 - AK_TRAIN_N_STD;
        info->extra_losses = calloc((size_t)(info->n_extra_losses + 1), sizeof(char *));
        if (!info->extra_losses)
            rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", run->path);
        for (int i = 0; rc == AK_OK && i < info->n_extra_losses; i++)
            if (!(info->extra_losses[i] = strdup(run->col_names[1 + AK_TRAIN_N_STD + i])))
                rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", run->path);
    }
    if (rc != AK_OK)
        ak_run_info_free(info);
    return rc;
}

/* ---- step groups (shared by /eval and /features) ---- */

bool ak_run__parse_step(const char *name, int64_t *step) {
    if (!name[0] || (name[0] == '0' && name[1]) || strlen(name) > 18)
        return false;
    int64_t v = 0;
    for (const char *p = name; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    *step = v;
    return true;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int ak_run__list_steps(ak_run *run, const char *group, int64_t **steps, int *n, ak_error *err) {
    *steps = NULL;
    *n = 0;
    if (!ak_h5_exists(run->file, group))
        return AK_OK;
    hid_t g;
    AK_TRY(ak_h5_group(run->file, group, false, &g, run->path, err));
    char **names = NULL;
    int count = 0;
    int rc = ak_h5_children(g, &names, &count, run->path, err);
    ak_h5_close(&g);
    if (rc != AK_OK)
        return rc;
    int64_t *out = malloc((size_t)(count > 0 ? count : 1) * sizeof *out);
    if (!out) {
        ak_h5_strs_free(names, count);
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", run->path);
    }
    int k = 0;
    for (int i = 0; i < count; i++)
        if (ak_run__parse_step(names[i], &out[k]))
            k++;
    ak_h5_strs_free(names, count);
    qsort(out, (size_t)k, sizeof *out, cmp_i64);
    *steps = out;
    *n = k;
    return AK_OK;
}

void ak_run_names_free(char **names, int n) { ak_h5_strs_free(names, n); }
