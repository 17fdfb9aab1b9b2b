/* See runtime.h. */
#include "core/runtime.h"

#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* OpenBLAS extensions (declared in its cblas.h on Debian; repeated here for older headers). */
char *openblas_get_corename(void);
char *openblas_get_config(void);
int openblas_get_parallel(void);
void openblas_set_num_threads(int);

static int cpu_has_avx512f(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
#else
    return 0;
#endif
}

void ak_runtime_bootstrap(int argc, char **argv) {
    (void)argc;
    if (getenv("AKD_BOOTSTRAPPED"))
        return;
    int change = 0;
    if (!getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
        change = 1;
    }
    /* Only override a generic fallback: a core OpenBLAS recognised is left alone. */
    const char *core = openblas_get_corename();
    if (!getenv("OPENBLAS_CORETYPE") && cpu_has_avx512f() && core &&
        (strcmp(core, "prescott") == 0 || strcmp(core, "Prescott") == 0 || strcmp(core, "core2") == 0 ||
         strcmp(core, "nehalem") == 0 || strcmp(core, "sandybridge") == 0 || strcmp(core, "haswell") == 0)) {
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
        change = 1;
    }
    setenv("AKD_BOOTSTRAPPED", "1", 1);
    if (change && argv && argv[0]) {
        fflush(NULL);
        execv("/proc/self/exe", argv);
        /* Falling through keeps a working (if slower) process. */
    }
}

void ak_runtime_set_threads(int threads) {
    if (threads <= 0)
        return;
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
}

int ak_runtime_threads(void) { return omp_get_max_threads(); }

void ak_runtime_query(ak_runtime_info *info) {
    memset(info, 0, sizeof *info);
    const char *core = openblas_get_corename();
    const char *config = openblas_get_config();
    snprintf(info->blas_core, sizeof info->blas_core, "%s", core ? core : "?");
    snprintf(info->blas_config, sizeof info->blas_config, "%s", config ? config : "?");
    info->blas_parallel = openblas_get_parallel();
    info->threads = omp_get_max_threads();
    const char *ct = getenv("OPENBLAS_CORETYPE"), *wp = getenv("OMP_WAIT_POLICY");
    snprintf(info->coretype_env, sizeof info->coretype_env, "%s", ct ? ct : "");
    snprintf(info->wait_policy, sizeof info->wait_policy, "%s", wp ? wp : "");
}

void ak_runtime_describe(char *buf, size_t len) {
    ak_runtime_info info;
    ak_runtime_query(&info);
    static const char *par[] = {"sequential", "pthreads", "OpenMP"};
    snprintf(buf, len, "OpenBLAS %s (%s), %d threads, OMP_WAIT_POLICY=%s", info.blas_core,
             info.blas_parallel >= 0 && info.blas_parallel <= 2 ? par[info.blas_parallel] : "?",
             info.threads, info.wait_policy[0] ? info.wait_policy : "(default)");
}
