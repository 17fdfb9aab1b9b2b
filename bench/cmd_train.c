/* `akdbench train CONFIG.yaml [--set key=value ...] [--resume] [--out RUN.h5] [--quiet]`: one run. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bench/commands.h"
#include "bench/train/trainer.h"

static volatile sig_atomic_t stop_requested;

static void on_sigint(int sig) {
    (void)sig;
    stop_requested = 1;
}

int ak_cmd_train(int argc, char **argv) {
    ak_train_opts o;
    memset(&o, 0, sizeof o);
    const char *sets[64];
    int n_sets = 0;
    o.progress = true;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            if (n_sets == 64) {
                fprintf(stderr, "akdbench train: at most 64 --set options\n");
                return 2;
            }
            sets[n_sets++] = argv[++i];
        } else if (strcmp(argv[i], "--resume") == 0) {
            o.resume = true;
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            o.run_path = argv[++i];
        } else if (strcmp(argv[i], "--quiet") == 0) {
            o.progress = false;
        } else if (argv[i][0] != '-' && !o.config_path) {
            o.config_path = argv[i];
        } else {
            fprintf(stderr, "akdbench train: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!o.config_path) {
        fprintf(stderr, "usage: akdbench train CONFIG.yaml [--set key=value ...] [--resume] [--out RUN.h5] [--quiet]\n");
        return 2;
    }
    o.sets = sets;
    o.n_sets = n_sets;
    o.stop = &stop_requested;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    ak_error err;
    ak_error_clear(&err);
    ak_train_result r;
    if (ak_train(&o, &r, &err) != AK_OK) {
        fprintf(stderr, "akdbench train: %s\n", err.msg);
        return 1;
    }
    if (r.skipped)
        printf("%s: already complete (run %s)\n", r.run_path, r.run_id);
    else if (!r.complete)
        printf("%s: interrupted after %lld iterations; continue with --resume\n", r.run_path,
               (long long)r.iterations);
    else
        printf("%s: complete, %lld iterations, metric %.4f (run %s)\n", r.run_path, (long long)r.iterations, r.metric,
               r.run_id);
    return r.complete ? 0 : 130;
}
