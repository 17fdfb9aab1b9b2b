/* Fuzz target: YAML run configs (the text `akdbench train CONFIG.yaml` reads, and the config stored
 * in every run file), loaded from a string with ak_cfg_load_string, overridden by the input's
 * "#set key=value" lines (YAML comments, so the loader ignores them; each becomes an ak_cfg_set
 * call, the path of `--set`), and resolved against the ak_run_config schema (types, ranges,
 * defaults, cross-field checks, canonical dump, run id).
 * Invariants: failures name their source ("fuzz.yaml" or the "--set" text); a resolved config's
 * canonical text is a fixed point: loading and resolving it again gives the same text and run id. */
#include "fuzz_support.h"
#include "store/akd_config.h"

int ak_fuzz_yaml_config(const uint8_t *data, size_t size, ak_error *err);

#define YAML_FZ_NAME "fuzz.yaml"

/* Apply every line "#set a.b=v" of text as an override. */
static int yaml_fz_sets(ak_cfg *cfg, const char *text, ak_error *err) {
    for (const char *p = text; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > 5 && memcmp(p, "#set ", 5) == 0) {
            char *a = ak_fuzz_text((const uint8_t *)p + 5, len - 5);
            int rc = ak_cfg_set(cfg, a, err);
            free(a);
            if (rc != AK_OK)
                return rc;
        }
        p = eol ? eol + 1 : NULL;
    }
    return AK_OK;
}

int ak_fuzz_yaml_config(const uint8_t *data, size_t size, ak_error *err) {
    char *text = ak_fuzz_text(data, size);
    ak_cfg *cfg = ak_cfg_new();
    AK_FUZZ_CHECK(cfg != NULL, "out of memory");
    int rc = ak_cfg_load_string(cfg, text, YAML_FZ_NAME, err);
    int from_set = 0;
    if (rc == AK_OK) {
        rc = yaml_fz_sets(cfg, text, err);
        from_set = rc != AK_OK;
    }
    ak_run_config *c = malloc(sizeof *c);
    AK_FUZZ_CHECK(c != NULL, "out of memory");
    char *yaml = NULL;
    if (rc == AK_OK)
        rc = ak_run_config_resolve(cfg, c, &yaml, err);
    ak_cfg_free(cfg);
    free(text);
    if (rc != AK_OK) {
        /* a failing override names the assignment, everything else the document */
        ak_fuzz_check_failure(rc, err, NULL);
        AK_FUZZ_CHECK(from_set || strstr(err->msg, YAML_FZ_NAME) || strstr(err->msg, "--set") ||
                          strstr(err->msg, "(default)") || strncmp(err->msg, "config:", 7) == 0,
                      "the message names no source: %s", err->msg);
        free(c);
        return rc;
    }
    /* the canonical text is a fixed point */
    ak_cfg *again = ak_cfg_new();
    ak_run_config *c2 = malloc(sizeof *c2);
    char *yaml2 = NULL;
    ak_error e2;
    ak_error_clear(&e2);
    AK_FUZZ_CHECK(again && c2, "out of memory");
    AK_FUZZ_CHECK(ak_cfg_load_string(again, yaml, "canonical.yaml", &e2) == AK_OK, "canonical text does not load: %s\n%s",
                  e2.msg, yaml);
    AK_FUZZ_CHECK(ak_run_config_resolve(again, c2, &yaml2, &e2) == AK_OK, "canonical text does not resolve: %s\n%s",
                  e2.msg, yaml);
    AK_FUZZ_CHECK(strcmp(yaml, yaml2) == 0, "canonical text changes on reload:\n%s\n---\n%s", yaml, yaml2);
    AK_FUZZ_CHECK(strcmp(c->run_id, c2->run_id) == 0, "run id changes on reload");
    ak_cfg_free(again);
    free(yaml);
    free(yaml2);
    free(c);
    free(c2);
    return AK_OK;
}

AK_FUZZ_ENTRY(ak_fuzz_yaml_config)
