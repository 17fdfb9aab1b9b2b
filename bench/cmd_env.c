/* `akdbench env`: what this process computes with (recorded in every run file too). */
#include <stdio.h>

#include "bench/commands.h"
#include "core/runtime.h"

int ak_cmd_env(int argc, char **argv) {
    (void)argc;
    (void)argv;
    ak_runtime_info info;
    ak_runtime_query(&info);
    char line[256];
    ak_runtime_describe(line, sizeof line);
    printf("akdbench %s\n%s\nOpenBLAS config: %s\nOPENBLAS_CORETYPE=%s\n", AK_VERSION, line, info.blas_config,
           info.coretype_env[0] ? info.coretype_env : "(unset)");
    return 0;
}
