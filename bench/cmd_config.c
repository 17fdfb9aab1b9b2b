/* `akdbench config`: resolve a run config exactly as `train` will (bases, --set overrides, schema,
 * defaults, cross-field checks) and print the canonical YAML with its run id; or list every key.
 *   akdbench config CONFIG.yaml [--set key=value ...]
 *   akdbench config --keys */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/commands.h"
#include "store/akd_config.h"

static int usage(void) {
    fprintf(stderr, "usage: akdbench config CONFIG.yaml [--set key=value ...]\n"
                    "       akdbench config --keys\n");
    return 2;
}

int ak_cmd_config(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--keys") == 0) {
        ak_schema_print(ak_run_config_schema(), stdout);
        return 0;
    }
    if (argc < 2 || argv[1][0] == '-')
        return usage();
    const char **sets = calloc((size_t)argc, sizeof *sets);
    if (!sets)
        return 1;
    int n_sets = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            sets[n_sets++] = argv[++i];
        } else if (strncmp(argv[i], "--set=", 6) == 0) {
            sets[n_sets++] = argv[i] + 6;
        } else {
            free(sets);
            return usage();
        }
    }
    ak_run_config *cfg = malloc(sizeof *cfg);
    char *yaml = NULL;
    ak_error err;
    ak_error_clear(&err);
    int rc = cfg ? ak_run_config_load(argv[1], sets, n_sets, cfg, &yaml, &err) : AK_ENOMEM;
    if (rc == AK_OK)
        printf("# run_id: %s\n%s", cfg->run_id, yaml);
    else
        fprintf(stderr, "akdbench config: %s\n", err.code ? err.msg : ak_strerror(rc));
    free(yaml);
    free(cfg);
    free(sets);
    return rc == AK_OK ? 0 : 1;
}
