/* Schema validation (store/config_schema.h): unknown keys with suggestions, type and range errors
 * with file and line, defaults, canonical spelling, binding into a struct. Uses a small schema
 * declared here plus the akdbench run-config schema for the messages users see. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aktest.h"
#include "store/akd_config.h"
#include "store/config_schema.h"

typedef struct toy {
    int n;
    double lr, p;
    bool on;
    char name[8];
    int mode;
    ak_cfg_float_list scale;
    ak_cfg_int_list steps;
    ak_cfg_str_list taps;
} toy;

static const char *const modes[] = {"fast", "slow", "none"};

#define AT(m) offsetof(toy, m), sizeof(((toy *)0)->m)
static const ak_schema_key toy_keys[] = {
    {"n", AK_SCH_INT, NULL, NULL, 0, 1, 10, AK_SCH_LO | AK_SCH_HI, 0, 0, AT(n), "a required count in [1, 10]"},
    {"opt.lr", AK_SCH_FLOAT, "0.02", NULL, 0, 0, 0, AK_SCH_LO | AK_SCH_LO_OPEN, 0, 0, AT(lr), "lr > 0"},
    {"opt.p", AK_SCH_FLOAT, "0.1", NULL, 0, 0, 1, AK_SCH_LO | AK_SCH_HI | AK_SCH_HI_OPEN, 0, 0, AT(p), "p in [0, 1)"},
    {"opt.on", AK_SCH_BOOL, "true", NULL, 0, 0, 0, 0, 0, 0, AT(on), "a switch"},
    {"name", AK_SCH_STRING, "abc", NULL, 0, 0, 0, 0, 0, 0, AT(name), "a short string"},
    {"mode", AK_SCH_ENUM, "slow", modes, 3, 0, 0, 0, 0, 0, AT(mode), "an enum"},
    {"data.scale", AK_SCH_FLOAT_LIST, "[0.5, 2]", NULL, 0, 0, 10, AK_SCH_LO | AK_SCH_LO_OPEN | AK_SCH_HI, 2, 2,
     AT(scale), "two positive floats"},
    {"data.steps", AK_SCH_INT_LIST, "[]", NULL, 0, 0, 0, AK_SCH_LO, 0, 3, AT(steps), "up to three ints"},
    {"data.taps", AK_SCH_STRING_LIST, "[a]", NULL, 0, 0, 0, 0, 0, 0, AT(taps), "names"},
};
static const ak_schema toy_schema = {"toy", toy_keys, (int)(sizeof toy_keys / sizeof toy_keys[0])};

static void assert_contains(const char *msg, const char *needle) {
    ck_assert_msg(strstr(msg, needle) != NULL, "message \"%s\" lacks \"%s\"", msg, needle);
}

/* Apply the toy schema to YAML text; returns the status, err holds the message. */
static int toy_apply(const char *yaml, toy *out, char **dump, ak_error *err) {
    ak_cfg *cfg = ak_cfg_new();
    ak_error_clear(err);
    memset(out, 0xab, sizeof *out);
    int rc = ak_cfg_load_string(cfg, yaml, "toy.yaml", err);
    if (rc == AK_OK)
        rc = ak_schema_apply(&toy_schema, cfg, out, err);
    if (rc == AK_OK && dump)
        *dump = ak_cfg_dump(ak_cfg_root(cfg), NULL, err);
    ak_cfg_free(cfg);
    return rc;
}

static void toy_fails(const char *yaml, int code, const char *needle) {
    toy t;
    ak_error err;
    int rc = toy_apply(yaml, &t, NULL, &err);
    ck_assert_msg(rc == code, "'%s': got %d (%s), want %d", yaml, rc, err.msg, code);
    assert_contains(err.msg, needle);
}

START_TEST(defaults_values_and_canonical_text) {
    toy t;
    ak_error err;
    char *dump = NULL;
    int rc = toy_apply("n: 3\nopt: {lr: 1e-2, on: yes}\ndata:\n  steps: [+4, 07]\n  taps: [x, '1']\nname: ~\n", &t,
                       &dump, &err);
    ck_assert_msg(rc == AK_OK, "%s", err.msg);
    ck_assert_int_eq(t.n, 3);
    ck_assert_double_eq(t.lr, 0.01);
    ck_assert_double_eq(t.p, 0.1); /* default */
    ck_assert(t.on);
    ck_assert_str_eq(t.name, ""); /* null string -> "" */
    ck_assert_int_eq(t.mode, 1);  /* default "slow" */
    ck_assert_int_eq(t.scale.n, 2);
    ck_assert_double_eq(t.scale.v[0], 0.5);
    ck_assert_double_eq(t.scale.v[1], 2.0);
    ck_assert_int_eq(t.steps.n, 2);
    ck_assert_int_eq(t.steps.v[0], 4);
    ck_assert_int_eq(t.steps.v[1], 7);
    ck_assert_int_eq(t.taps.n, 2);
    ck_assert_str_eq(t.taps.v[1], "1");
    /* Canonical spelling: floats round-trip with a '.', ints in decimal, true/false, strings quoted
     * only when they would read as something else; defaults filled in. */
    ck_assert_str_eq(dump, "data:\n  scale: [0.5, 2.0]\n  steps: [4, 7]\n  taps: [x, '1']\nmode: slow\nn: 3\n"
                           "name: ''\nopt:\n  lr: 0.01\n  on: true\n  p: 0.1\n");
    free(dump);
}
END_TEST

START_TEST(float_spelling_round_trips_exactly) {
    static const char *const in[] = {"0.1", "1e-5", "2.0e-05", "0.3333333333333333", "123456789012", "5", "1.5e+300"};
    static const char *const want[] = {"0.1", "1.0e-05", "2.0e-05", "0.3333333333333333", "123456789012.0",
                                       "5.0", "1.5e+300"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        char yaml[128];
        snprintf(yaml, sizeof yaml, "n: 1\nopt: {lr: %s}\n", in[i]);
        toy t;
        ak_error err;
        char *dump = NULL;
        ck_assert_int_eq(toy_apply(yaml, &t, &dump, &err), AK_OK);
        char line[64];
        snprintf(line, sizeof line, "  lr: %s\n", want[i]);
        ck_assert_msg(strstr(dump, line), "%s -> %s", in[i], dump);
        ck_assert_double_eq(t.lr, strtod(in[i], NULL));
        free(dump);
    }
}
END_TEST

START_TEST(type_errors_name_key_file_line) {
    toy_fails("n: 1\nopt:\n  lr: fast\n", AK_EINVAL, "key 'opt.lr' in toy.yaml line 3: expected a float, got 'fast'");
    toy_fails("n: 1\nopt:\n  lr: '0.1'\n", AK_EINVAL,
              "key 'opt.lr' in toy.yaml line 3: expected a float, got the string '0.1'");
    toy_fails("n: 2.5\n", AK_EINVAL, "key 'n' in toy.yaml line 1: expected an integer, got '2.5'");
    toy_fails("n: 1\nopt: {on: maybe}\n", AK_EINVAL,
              "key 'opt.on' in toy.yaml line 2: expected true or false, got 'maybe'");
    toy_fails("n: 1\nname: toolongname\n", AK_EINVAL, "key 'name' in toy.yaml line 2: longer than 7 characters");
    toy_fails("n: 1\nmode: slwo\n", AK_EINVAL,
              "key 'mode' in toy.yaml line 2: 'slwo' is not one of fast|slow|none (did you mean 'slow'?)");
    toy_fails("n: 1\nmode: [fast]\n", AK_EINVAL,
              "key 'mode' in toy.yaml line 2: expected one of fast|slow|none, got a list");
    toy_fails("n: 1\ndata:\n  scale: 0.5\n", AK_EINVAL,
              "key 'data.scale' in toy.yaml line 3: expected a list of floats such as [1, 2], got a scalar");
    toy_fails("n: 1\ndata:\n  scale: [1, 2, 3]\n", AK_EINVAL,
              "key 'data.scale' in toy.yaml line 3: expected exactly 2 elements, got 3");
    toy_fails("n: 1\ndata:\n  steps: [1, 2, 3, 4]\n", AK_EINVAL, "expected 0 to 3 elements, got 4");
    toy_fails("n: 1\ndata:\n  steps:\n    - 1\n    - x\n", AK_EINVAL,
              "key 'data.steps[1]' in toy.yaml line 5: expected an integer, got 'x'");
    toy_fails("n: 1\nopt: 3\n", AK_EINVAL,
              "key 'opt' in toy.yaml line 2: expected a map of settings (such as 'opt.lr'), got a scalar");
    toy_fails("n: 99999999999\n", AK_ERANGE, "key 'n' in toy.yaml line 1: 99999999999 does not fit in an int");
    toy_fails("opt: {lr: 1}\n", AK_EINVAL, "missing required key 'n' in toy.yaml (a required count in [1, 10])");
}
END_TEST

START_TEST(range_errors_show_the_interval) {
    toy_fails("n: 0\n", AK_ERANGE, "key 'n' in toy.yaml line 1: 0 is out of range [1, 10]");
    toy_fails("n: 11\n", AK_ERANGE, "11 is out of range [1, 10]");
    toy_fails("n: 1\nopt:\n  lr: 0\n", AK_ERANGE, "key 'opt.lr' in toy.yaml line 3: 0 is out of range (0, inf)");
    toy_fails("n: 1\nopt:\n\n  p: 1.0\n", AK_ERANGE, "key 'opt.p' in toy.yaml line 4: 1.0 is out of range [0, 1)");
    toy_fails("n: 1\ndata: {scale: [1, 0]}\n", AK_ERANGE,
              "key 'data.scale[1]' in toy.yaml line 2: 0 is out of range (0, 10]");
    toy_fails("n: 1\ndata: {steps: [-1]}\n", AK_ERANGE, "-1 is out of range [0, inf)");
    /* Boundaries that are inside. */
    toy t;
    ak_error err;
    ck_assert_int_eq(toy_apply("n: 10\nopt: {p: 0}\ndata: {scale: [10, 1e-300]}\n", &t, NULL, &err), AK_OK);
    ck_assert_int_eq(t.n, 10);
}
END_TEST

START_TEST(unknown_keys_suggest_the_closest) {
    toy_fails("n: 1\nopt: {lt: 1}\n", AK_EINVAL, "unknown key 'opt.lt' in toy.yaml line 2 (did you mean 'opt.lr'?)");
    toy_fails("n: 1\npot: {lr: 1}\n", AK_EINVAL, "unknown key 'pot' in toy.yaml line 2 (did you mean 'opt'?)");
    toy_fails("n: 1\nlr: 1\n", AK_EINVAL, "unknown key 'lr' in toy.yaml line 2 (did you mean 'opt.lr'?)");
    toy_fails("n: 1\ncompletely_different: 1\n", AK_EINVAL, "unknown key 'completely_different' in toy.yaml line 2");
    toy t;
    ak_error err;
    toy_apply("n: 1\ncompletely_different: 1\n", &t, NULL, &err);
    ck_assert_ptr_null(strstr(err.msg, "did you mean"));
}
END_TEST

START_TEST(edit_distance_values) {
    ck_assert_int_eq(ak_edit_distance("", ""), 0);
    ck_assert_int_eq(ak_edit_distance("abc", ""), 3);
    ck_assert_int_eq(ak_edit_distance("kitten", "sitting"), 3);
    ck_assert_int_eq(ak_edit_distance("model", "modle"), 1); /* adjacent swap counts once */
    ck_assert_int_eq(ak_edit_distance("backbone", "bakbone"), 1);
    ck_assert_int_eq(ak_edit_distance("ca", "abc"), 3); /* OSA, not full Damerau (2) */
}
END_TEST

/* The messages of the real schema, on fixture files. */
static int run_config_fixture(const char *name, ak_run_config *rc, ak_error *err) {
    char rel[256];
    snprintf(rel, sizeof rel, "tests/fixtures/config/%s", name);
    char *path = ak_source_path(rel);
    ak_error_clear(err);
    int code = ak_run_config_load(path, NULL, 0, rc, NULL, err);
    free(path);
    return code;
}

START_TEST(run_config_messages_name_file_and_line) {
    ak_run_config *rc = malloc(sizeof *rc);
    ak_error err;
    ck_assert_int_eq(run_config_fixture("unknown_key.yaml", rc, &err), AK_EINVAL);
    assert_contains(err.msg, "unknown key 'model.student.bakbone' in ");
    assert_contains(err.msg, "unknown_key.yaml line 6 (did you mean 'model.student.backbone'?)");
    ck_assert_int_eq(run_config_fixture("unknown_section.yaml", rc, &err), AK_EINVAL);
    assert_contains(err.msg, "unknown key 'modle' in ");
    assert_contains(err.msg, "unknown_section.yaml line 2 (did you mean 'model'?)");
    ck_assert_int_eq(run_config_fixture("bad_type.yaml", rc, &err), AK_EINVAL);
    assert_contains(err.msg, "key 'optim.lr' in ");
    assert_contains(err.msg, "bad_type.yaml line 4: expected a float, got 'fast'");
    ck_assert_int_eq(run_config_fixture("bad_range.yaml", rc, &err), AK_ERANGE);
    assert_contains(err.msg, "bad_range.yaml line 5: 0 is out of range [1, 64]");
    assert_contains(err.msg, "key 'akd.num_avatars'");
    ck_assert_int_eq(run_config_fixture("bad_list.yaml", rc, &err), AK_EINVAL);
    assert_contains(err.msg, "key 'schedule.milestones[1]' in ");
    assert_contains(err.msg, "bad_list.yaml line 3: expected an integer, got 'twenty'");
    ck_assert_int_eq(run_config_fixture("bad_enum.yaml", rc, &err), AK_EINVAL);
    assert_contains(
        err.msg, "bad_enum.yaml line 3: 'cdw' is not one of none|mse|cwd|mgd|fgd|pkd|maskd|dist (did you mean 'cwd'?)");
    free(rc);
}
END_TEST

START_TEST(schema_check_on_fragments) {
    ak_cfg *cfg = ak_cfg_new();
    ak_error err;
    ak_error_clear(&err);
    /* A fragment with known keys only passes without required keys... */
    ck_assert_int_eq(ak_cfg_load_string(cfg, "akd: {enabled: true, rate: 0.2}\n", "frag.yaml", &err), AK_OK);
    ck_assert_int_eq(ak_schema_check(ak_run_config_schema(), ak_cfg_root(cfg), &err), AK_OK);
    /* ...and nothing is rewritten or filled in. */
    ck_assert_int_eq(ak_cfg_root(cfg)->n, 1);
    ck_assert_str_eq(ak_cfg_get(ak_cfg_root(cfg), "akd.rate")->text, "0.2");
    ck_assert_int_eq(ak_cfg_load_string(cfg, "akd: {enabeld: true}\n", "frag.yaml", &err), AK_OK);
    ck_assert_int_eq(ak_schema_check(ak_run_config_schema(), ak_cfg_root(cfg), &err), AK_EINVAL);
    assert_contains(err.msg, "unknown key 'akd.enabeld' in frag.yaml line 1 (did you mean 'akd.enabled'?)");
    ak_cfg_free(cfg);
}
END_TEST

START_TEST(print_lists_every_key) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ak_schema_print(&toy_schema, f);
    fclose(f);
    assert_contains(buf, "opt.p");
    assert_contains(buf, "a float [0, 1) = 0.1");
    assert_contains(buf, "fast|slow|none = slow");
    assert_contains(buf, "an integer [1, 10] = (required)");
    free(buf);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("config_schema");
    TCase *tc = tcase_create("schema");
    tcase_add_test(tc, defaults_values_and_canonical_text);
    tcase_add_test(tc, float_spelling_round_trips_exactly);
    tcase_add_test(tc, type_errors_name_key_file_line);
    tcase_add_test(tc, range_errors_show_the_interval);
    tcase_add_test(tc, unknown_keys_suggest_the_closest);
    tcase_add_test(tc, edit_distance_values);
    tcase_add_test(tc, run_config_messages_name_file_and_line);
    tcase_add_test(tc, schema_check_on_fragments);
    tcase_add_test(tc, print_lists_every_key);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
