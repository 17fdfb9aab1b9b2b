/* `akdbench sweep SWEEP.yaml [--dir DIR] [--jobs N] [--set k=v ...] [--plan] [--emit-slurm DIR]`. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/commands.h"
#include "bench/train/sweep.h"

/* Ctrl-C / SIGTERM: the sweep stops starting runs and waits for the running ones to checkpoint. */
static volatile sig_atomic_t stop_requested;

static void on_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

int ak_cmd_sweep(int argc, char **argv) {
    const char *file = NULL, *dir = NULL, *slurm = NULL, *sets[64];
    int n_sets = 0, jobs = 1;
    int plan_only = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc)
            jobs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc && n_sets < 64)
            sets[n_sets++] = argv[++i];
        else if (strcmp(argv[i], "--emit-slurm") == 0 && i + 1 < argc)
            slurm = argv[++i];
        else if (strcmp(argv[i], "--plan") == 0)
            plan_only = 1;
        else if (argv[i][0] != '-' && !file)
            file = argv[i];
        else {
            fprintf(stderr, "akdbench sweep: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!file || jobs < 1) {
        fprintf(stderr, "usage: akdbench sweep SWEEP.yaml [--dir DIR] [--jobs N] [--set k=v ...] [--plan] "
                        "[--emit-slurm DIR]\n");
        return 2;
    }
    ak_error err;
    ak_error_clear(&err);
    ak_sweep_plan plan;
    char default_dir[4096];
    if (!dir) {
        char stem[256];
        const char *b = strrchr(file, '/');
        snprintf(stem, sizeof stem, "%s", b ? b + 1 : file);
        char *dot = strrchr(stem, '.');
        if (dot)
            *dot = '\0';
        snprintf(default_dir, sizeof default_dir, "runs/%s", stem);
        dir = default_dir;
    }
    if (ak_sweep_plan_load(&plan, file, dir, sets, n_sets, &err) != AK_OK) {
        fprintf(stderr, "akdbench sweep: %s\n", err.msg);
        return 1;
    }
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        fprintf(stderr, "akdbench sweep: cannot locate the akdbench executable\n");
        ak_sweep_plan_free(&plan);
        return 1;
    }
    self[len] = '\0';
    int rc = 0;
    if (plan_only) {
        for (int i = 0; i < plan.n_runs; i++)
            printf("%s%s -> %s\n", plan.runs[i].name, plan.runs[i].is_teacher ? " (teacher)" : "", plan.runs[i].out);
    } else if (slurm) {
        if (ak_sweep_emit_slurm(&plan, self, slurm, &err) != AK_OK) {
            fprintf(stderr, "akdbench sweep: %s\n", err.msg);
            rc = 1;
        }
    } else {
        ak_sweep_opts o = {self, jobs, true, &stop_requested};
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_stop; /* no SA_RESTART: the sweep's wait() returns to forward the stop */
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        if (ak_sweep_execute(&plan, &o, &err) != AK_OK) {
            fprintf(stderr, "akdbench sweep: %s\n", err.msg);
            rc = 1;
        } else {
            printf("sweep %s: %d runs complete in %s (index: %s/results.h5)\n", plan.name, plan.n_runs, plan.dir,
                   plan.dir);
        }
    }
    ak_sweep_plan_free(&plan);
    return rc;
}
