/* Process-level set-up that must happen before the math libraries initialise, and the facts about
 * them that every run file records.
 *
 * Debian's OpenBLAS 0.3.21 does not recognise recent Xeons and falls back to its SSE3 "Prescott"
 * kernel (5x slower sgemm); its core type can only be chosen through OPENBLAS_CORETYPE before the
 * library loads. Likewise OpenMP reads OMP_WAIT_POLICY when it starts, and spinning idle threads
 * slow a 2-core machine down. So programs call ak_runtime_bootstrap() first thing in main(): when the
 * environment needs changing it sets the variables and re-executes the program once (the variable
 * AKD_BOOTSTRAPPED prevents loops). Explicit user settings of these variables are respected.
 */
#ifndef AK_RUNTIME_H
#define AK_RUNTIME_H

#include <stddef.h>

/* May not return (execv). On a failed re-exec it carries on with the current environment. */
void ak_runtime_bootstrap(int argc, char **argv);

/* Set the thread count for OpenMP and OpenBLAS (0: leave the default). */
void ak_runtime_set_threads(int threads);
int ak_runtime_threads(void);

typedef struct ak_runtime_info {
    char blas_core[64];     /* openblas_get_corename(), e.g. "skylakex" */
    char blas_config[256];  /* openblas_get_config() */
    int blas_parallel;      /* 0 sequential, 1 pthreads, 2 OpenMP */
    int threads;
    char coretype_env[64];  /* OPENBLAS_CORETYPE as seen by this process ("" if unset) */
    char wait_policy[32];   /* OMP_WAIT_POLICY */
} ak_runtime_info;

void ak_runtime_query(ak_runtime_info *info);
/* One line, e.g. "OpenBLAS skylakex (OpenMP), 2 threads, OMP_WAIT_POLICY=PASSIVE". */
void ak_runtime_describe(char *buf, size_t len);

#endif
