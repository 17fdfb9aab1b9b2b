/* `akdbench h5 check RUN.h5...` validates run files against the schema (store/SCHEMA.md) and
 * prints a summary of each; `akdbench h5 show RUN.h5` prints the provenance, the last logged
 * training row and the last evaluation. Exit status: 0 all good, 1 a file failed, 2 usage. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/commands.h"
#include "store/run_validate.h"
#include "store/runfile.h"

static int usage(void) {
    fprintf(stderr, "usage: akdbench h5 check RUN.h5 [RUN.h5 ...]\n"
                    "       akdbench h5 show RUN.h5\n");
    return 2;
}

static int check(int n, char **paths) {
    int failed = 0;
    for (int i = 0; i < n; i++) {
        ak_error err;
        ak_error_clear(&err);
        ak_run_summary s;
        if (ak_run_validate(paths[i], &s, &err) != AK_OK) {
            fprintf(stderr, "akdbench h5 check: %s (%s)\n", err.msg, ak_strerror(err.code));
            failed++;
            continue;
        }
        printf("%s: ok (%s)\n", paths[i], AK_RUN_FORMAT);
        printf("  run_id %s, status %s\n", s.run_id, s.status);
        printf("  train: %" PRId64 " rows", s.rows);
        if (s.rows > 0)
            printf(", iter %" PRId64 "..%" PRId64, s.first_iter, s.last_iter);
        printf(", %d extra loss terms\n", s.n_extra_losses);
        printf("  eval: %d steps", s.n_eval_steps);
        if (s.n_eval_steps > 0)
            printf(" (last %" PRId64 ")", s.last_eval_step);
        printf(", teacher eval: %s\n", s.has_teacher_eval ? "yes" : "no");
        printf("  features: %d steps, %d maps (%.2f MiB uncompressed)\n", s.n_feature_steps, s.n_feature_maps,
               (double)s.feature_bytes / (1024.0 * 1024.0));
        if (s.has_checkpoint)
            printf("  final weights: %d tensors\n", s.n_checkpoint_params);
        else
            printf("  final weights: none\n");
    }
    return failed ? 1 : 0;
}

static void print_eval(ak_run *run, int64_t step, const char *title) {
    ak_error err;
    ak_error_clear(&err);
    char **scalars = NULL, **arrays = NULL;
    int ns = 0, na = 0;
    if (ak_run_eval_names(run, step, &scalars, &ns, &arrays, &na, &err) != AK_OK) {
        printf("%s: unreadable (%s)\n", title, err.msg);
        return;
    }
    printf("%s:\n", title);
    for (int i = 0; i < ns; i++) {
        double v;
        if (ak_run_read_eval(run, step, scalars[i], &v, &err) == AK_OK)
            printf("  %-14s %.6g\n", scalars[i], v);
    }
    for (int i = 0; i < na; i++) {
        double *vals = NULL;
        int64_t *ids = NULL, n = 0;
        if (ak_run_read_eval_array(run, step, arrays[i], &vals, &ids, &n, &err) == AK_OK) {
            printf("  %-14s [%" PRId64 "]", arrays[i], n);
            for (int64_t j = 0; j < n && j < 8; j++) {
                if (ids)
                    printf(" %" PRId64 ":%.4g", ids[j], vals[j]);
                else
                    printf(" %.4g", vals[j]);
            }
            printf("%s\n", n > 8 ? " ..." : "");
        }
        free(vals);
        free(ids);
    }
    ak_run_names_free(scalars, ns);
    ak_run_names_free(arrays, na);
}

static int show(const char *path) {
    ak_error err;
    ak_error_clear(&err);
    ak_run *run;
    if (ak_run_open(&run, path, AK_RUN_READ, &err) != AK_OK) {
        fprintf(stderr, "akdbench h5 show: %s\n", err.msg);
        return 1;
    }
    ak_run_info info;
    if (ak_run_read_info(run, &info, &err) != AK_OK) {
        fprintf(stderr, "akdbench h5 show: %s\n", err.msg);
        ak_run_close(run, NULL);
        return 1;
    }
    printf("%s (%s)\n", path, info.format);
    printf("  run_id               %s\n", info.run_id);
    printf("  status               %s\n", info.status);
    printf("  created              %s\n", info.created);
    printf("  updated              %s\n", info.updated);
    printf("  git_commit           %s\n", info.git_commit);
    printf("  akdbench_version     %s\n", info.akdbench_version);
    printf("  hdf5_version         %s\n", info.hdf5_version);
    printf("  openblas_core        %s\n", info.openblas_core);
    printf("  openblas_config      %s\n", info.openblas_config);
    printf("  runtime              %s\n", info.runtime);
    printf("  device               %s\n", info.device);
    printf("  threads              %" PRId64 "\n", info.threads);
    printf("  seed                 %" PRIu64 "\n", info.seed);
    printf("  teacher_weights_hash %s\n", info.teacher_weights_hash[0] ? info.teacher_weights_hash : "(trained)");

    int rc = 0;
    int64_t rows = 0;
    ak_run_train_len(run, &rows, &err);
    printf("train: %" PRId64 " rows\n", rows);
    if (rows > 0) {
        int64_t iter;
        if (ak_run_read_train_iters(run, rows - 1, 1, &iter, &err) == AK_OK)
            printf("  %-14s %" PRId64 "\n", "iter", iter);
        int n_cols = AK_TRAIN_N_STD + info.n_extra_losses;
        for (int c = 0; c < n_cols; c++) {
            const char *name = c < AK_TRAIN_N_STD ? ak_train_std_columns[c] : info.extra_losses[c - AK_TRAIN_N_STD];
            double v;
            if (ak_run_read_train(run, name, rows - 1, 1, &v, &err) == AK_OK)
                printf("  %-14s %.9g\n", name, v);
        }
    }
    if (ak_run_has_eval(run, AK_EVAL_TEACHER))
        print_eval(run, AK_EVAL_TEACHER, "teacher eval");
    int64_t *steps = NULL;
    int n = 0;
    if (ak_run_eval_steps(run, &steps, &n, &err) == AK_OK && n > 0) {
        char title[64];
        snprintf(title, sizeof title, "eval at step %" PRId64 " (%d evaluations)", steps[n - 1], n);
        print_eval(run, steps[n - 1], title);
    }
    free(steps);
    if (err.code != AK_OK) {
        fprintf(stderr, "akdbench h5 show: %s\n", err.msg);
        rc = 1;
    }
    printf("config:\n");
    for (const char *p = info.config; *p;) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        printf("  %.*s\n", len, p);
        p += len + (nl ? 1 : 0);
    }
    ak_run_info_free(&info);
    ak_run_close(run, NULL);
    return rc;
}

int ak_cmd_h5(int argc, char **argv) {
    if (argc < 3)
        return usage();
    if (strcmp(argv[1], "check") == 0)
        return check(argc - 2, argv + 2);
    if (strcmp(argv[1], "show") == 0 && argc == 3)
        return show(argv[2]);
    return usage();
}
