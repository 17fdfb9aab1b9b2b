/* The generic config layer (store/config.h): loading with libyaml, base inheritance, cycles,
 * syntax errors with positions, `--set` overrides, and the canonical dump. Fixtures are small YAML
 * files under tests/fixtures/config/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aktest.h"
#include "store/config.h"

static char *fixture(const char *name) {
    char rel[256];
    snprintf(rel, sizeof rel, "tests/fixtures/config/%s", name);
    return ak_source_path(rel);
}

/* Load a fixture and fail the test on error. */
static ak_cfg *load_ok(const char *name) {
    ak_cfg *cfg = ak_cfg_new();
    ck_assert_ptr_nonnull(cfg);
    char *path = fixture(name);
    ak_error err;
    ak_error_clear(&err);
    int rc = ak_cfg_load_file(cfg, path, &err);
    ck_assert_msg(rc == AK_OK, "%s: %s", name, err.msg);
    free(path);
    return cfg;
}

/* Load a fixture that must fail; returns the code and leaves the message in err. */
static int load_fail(const char *name, ak_error *err) {
    ak_cfg *cfg = ak_cfg_new();
    char *path = fixture(name);
    ak_error_clear(err);
    int rc = ak_cfg_load_file(cfg, path, err);
    free(path);
    ak_cfg_free(cfg);
    ck_assert_msg(rc != AK_OK, "%s loaded but should fail", name);
    ck_assert_int_eq(rc, err->code);
    return rc;
}

static const char *text_at(const ak_cfg *cfg, const char *path) {
    ak_cfg_node *n = ak_cfg_get(ak_cfg_root(cfg), path);
    ck_assert_msg(n != NULL, "no key %s", path);
    ck_assert_msg(n->kind == AK_CFG_SCALAR, "%s is not a scalar", path);
    return n->text;
}

static void assert_contains(const char *msg, const char *needle) {
    ck_assert_msg(strstr(msg, needle) != NULL, "message \"%s\" lacks \"%s\"", msg, needle);
}

START_TEST(chain_of_three_overrides_at_every_depth) {
    ak_cfg *cfg = load_ok("chain_a.yaml");
    ck_assert_str_eq(text_at(cfg, "name"), "a");                    /* leaf wins at depth 0 */
    ck_assert_str_eq(text_at(cfg, "level1.keep"), "from_c");        /* untouched root value */
    ck_assert_str_eq(text_at(cfg, "level1.over_b"), "from_b");      /* middle wins, depth 1 */
    ck_assert_str_eq(text_at(cfg, "level1.over_a"), "from_a");      /* leaf wins, depth 1 */
    ck_assert_str_eq(text_at(cfg, "level1.level2.deep_keep"), "1"); /* depth 2, from c */
    ck_assert_str_eq(text_at(cfg, "level1.level2.deep_over"), "2"); /* depth 2, from b */
    ck_assert_str_eq(text_at(cfg, "level1.level2.new_deep"), "3");  /* depth 2, added by a */
    ck_assert_str_eq(text_at(cfg, "only_c"), "true");
    ck_assert_ptr_null(ak_cfg_get(ak_cfg_root(cfg), "base")); /* removed after resolving */
    /* Every value remembers the file and line it came from. */
    ak_cfg_node *n = ak_cfg_get(ak_cfg_root(cfg), "level1.over_b");
    assert_contains(n->file, "sub/chain_b.yaml");
    ck_assert_int_eq(n->line, 5);
    ck_assert_int_eq(n->col, 11);
    n = ak_cfg_get(ak_cfg_root(cfg), "level1.level2.deep_keep");
    assert_contains(n->file, "chain_c.yaml");
    ck_assert_int_eq(n->line, 8);
    ak_cfg_free(cfg);
}
END_TEST

START_TEST(sequences_replace_and_maps_merge) {
    ak_cfg *cfg = load_ok("chain_a.yaml");
    ak_cfg_node *list = ak_cfg_get(ak_cfg_root(cfg), "level1.level2.list");
    ck_assert_int_eq(list->kind, AK_CFG_SEQ);
    ck_assert_int_eq(list->n, 1); /* [9] replaced [1, 2, 3], not appended or merged */
    ck_assert_str_eq(list->items[0]->text, "9");
    ak_cfg_node *ob = ak_cfg_get(ak_cfg_root(cfg), "only_b");
    ck_assert_int_eq(ob->n, 2);
    ck_assert_str_eq(ob->items[1]->text, "y");
    ak_cfg_free(cfg);
}
END_TEST

START_TEST(list_of_bases_in_order) {
    ak_cfg *cfg = load_ok("multi_base.yaml");
    ck_assert_str_eq(text_at(cfg, "name"), "second"); /* second base over first */
    ck_assert_str_eq(text_at(cfg, "level1.keep"), "from_second");
    ck_assert_str_eq(text_at(cfg, "level1.over_a"), "from_c"); /* merged, not replaced */
    ck_assert_str_eq(text_at(cfg, "only_multi"), "1");
    ak_cfg_free(cfg);
    /* The same base reached twice is fine. */
    cfg = load_ok("diamond.yaml");
    ck_assert_str_eq(text_at(cfg, "name"), "b");
    ak_cfg_free(cfg);
}
END_TEST

START_TEST(cyclic_bases_are_detected) {
    ak_error err;
    ck_assert_int_eq(load_fail("cycle_a.yaml", &err), AK_EFORMAT);
    assert_contains(err.msg, "cyclic base include");
    assert_contains(err.msg, "cycle_a.yaml -> ");
    assert_contains(err.msg, "cycle_b.yaml -> ");
    assert_contains(err.msg, "sub/../cycle_a.yaml");
    assert_contains(err.msg, "cycle_b.yaml line 1"); /* where the cycle closes */
}
END_TEST

START_TEST(missing_base_names_the_including_line) {
    ak_error err;
    ck_assert_int_eq(load_fail("missing_base.yaml", &err), AK_EIO);
    assert_contains(err.msg, "missing_base.yaml line 2");
    assert_contains(err.msg, "no_such_file.yaml");
    ck_assert_int_eq(load_fail("does_not_exist.yaml", &err), AK_EIO);
    assert_contains(err.msg, "does_not_exist.yaml");
}
END_TEST

START_TEST(malformed_yaml_reports_libyaml_position) {
    ak_error err;
    ck_assert_int_eq(load_fail("malformed.yaml", &err), AK_EFORMAT);
    /* libyaml: the flow sequence opened at line 4 column 13 is still open at "schedule:" on line 5
     * (it reports the ':' after the would-be key, column 9). */
    assert_contains(err.msg, "malformed.yaml line 5 column 9: YAML syntax error");
    assert_contains(err.msg, "did not find expected ',' or ']'");
    assert_contains(err.msg, "while parsing a flow sequence (line 4 column 13)");
}
END_TEST

START_TEST(duplicate_keys_are_errors) {
    ak_error err;
    ck_assert_int_eq(load_fail("duplicate.yaml", &err), AK_EFORMAT);
    assert_contains(err.msg, "duplicate.yaml line 4: duplicate key 'lr' (first at line 2)");
}
END_TEST

START_TEST(load_string_rejects_base_and_non_maps) {
    ak_cfg *cfg = ak_cfg_new();
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_cfg_load_string(cfg, "a: 1\nbase: x.yaml\n", "stored", &err), AK_EINVAL);
    assert_contains(err.msg, "stored line 2");
    ak_error_clear(&err);
    ck_assert_int_eq(ak_cfg_load_string(cfg, "- 1\n- 2\n", "stored", &err), AK_EFORMAT);
    assert_contains(err.msg, "map of keys at the top level");
    ak_error_clear(&err);
    ck_assert_int_eq(ak_cfg_load_string(cfg, "a: 1\n---\nb: 2\n", "two", &err), AK_EFORMAT);
    assert_contains(err.msg, "two line 2: a config file holds one YAML document");
    ak_error_clear(&err);
    /* A self-referencing alias must not hang or overflow the stack. */
    ck_assert_int_eq(ak_cfg_load_string(cfg, "a: &x [1, *x]\n", "alias", &err), AK_EFORMAT);
    assert_contains(err.msg, "nesting deeper than 64 levels");
    /* An empty document is an empty map. */
    ak_error_clear(&err);
    ck_assert_int_eq(ak_cfg_load_string(cfg, "# nothing\n", "empty", &err), AK_OK);
    ck_assert_int_eq(ak_cfg_root(cfg)->kind, AK_CFG_MAP);
    ck_assert_int_eq(ak_cfg_root(cfg)->n, 0);
    ak_cfg_free(cfg);
}
END_TEST

START_TEST(set_nested_keys_and_values) {
    ak_cfg *cfg = load_ok("chain_a.yaml");
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_cfg_set(cfg, "level1.level2.deep_keep=42", &err), AK_OK);
    ck_assert_int_eq(ak_cfg_set(cfg, "level1.level2.list=[4, 5]", &err), AK_OK);
    ck_assert_int_eq(ak_cfg_set(cfg, "new.section.key='007'", &err), AK_OK);
    ck_assert_int_eq(ak_cfg_set(cfg, "level1={over_a: via_set, extra: 1}", &err), AK_OK);
    ck_assert_int_eq(ak_cfg_set(cfg, "name=", &err), AK_OK);
    ck_assert_msg(err.code == AK_OK, "%s", err.msg);
    ck_assert_str_eq(text_at(cfg, "level1.level2.deep_keep"), "42");
    ak_cfg_node *list = ak_cfg_get(ak_cfg_root(cfg), "level1.level2.list");
    ck_assert_int_eq(list->n, 2);
    ck_assert_str_eq(list->items[1]->text, "5");
    ak_cfg_node *s = ak_cfg_get(ak_cfg_root(cfg), "new.section.key");
    ck_assert_str_eq(s->text, "007");
    ck_assert_int_eq(s->quoted, 1);
    ck_assert_str_eq(s->file, "--set new.section.key='007'");
    ck_assert_int_eq(s->line, 0);
    /* A map value merges: untouched keys of level1 survive. */
    ck_assert_str_eq(text_at(cfg, "level1.over_a"), "via_set");
    ck_assert_str_eq(text_at(cfg, "level1.extra"), "1");
    ck_assert_str_eq(text_at(cfg, "level1.keep"), "from_c");
    ck_assert_str_eq(text_at(cfg, "name"), "");

    /* Errors name the override. */
    ck_assert_int_eq(ak_cfg_set(cfg, "no_equals", &err), AK_EINVAL);
    assert_contains(err.msg, "--set 'no_equals': expected KEY=VALUE");
    ak_error_clear(&err);
    ck_assert_int_eq(ak_cfg_set(cfg, "name.sub=1", &err), AK_EINVAL);
    assert_contains(err.msg, "'name' is not a map (set in --set name=)");
    ak_error_clear(&err);
    ck_assert_int_eq(ak_cfg_set(cfg, "a..b=1", &err), AK_EINVAL);
    assert_contains(err.msg, "empty component");
    ak_error_clear(&err);
    ck_assert_int_eq(ak_cfg_set(cfg, "base=x.yaml", &err), AK_EINVAL);
    assert_contains(err.msg, "'base' cannot be overridden");
    ak_error_clear(&err);
    ck_assert_int_eq(ak_cfg_set(cfg, "x=[1, 2", &err), AK_EFORMAT);
    assert_contains(err.msg, "--set x=[1, 2");
    ak_cfg_free(cfg);
}
END_TEST

/* dump -> load -> dump is the identity, keys come out sorted, and quoting is preserved. */
START_TEST(dump_is_canonical_and_stable) {
    ak_cfg *cfg = load_ok("quoting.yaml");
    ak_error err;
    ak_error_clear(&err);
    char *t1 = ak_cfg_dump(ak_cfg_root(cfg), NULL, &err);
    ck_assert_msg(t1 != NULL, "%s", err.msg);
    ak_cfg *again = ak_cfg_new();
    ck_assert_int_eq(ak_cfg_load_string(again, t1, "dump1", &err), AK_OK);
    char *t2 = ak_cfg_dump(ak_cfg_root(again), NULL, &err);
    ck_assert_str_eq(t1, t2);
    /* Values survive the round trip exactly. */
    static const char *const keys[] = {"plain", "quoted_number", "single",    "colon",         "hash",
                                       "empty", "unicode",       "multiline", "leading_space", "bool_string"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        ak_cfg_node *a = ak_cfg_get(ak_cfg_root(cfg), keys[i]), *b = ak_cfg_get(ak_cfg_root(again), keys[i]);
        ck_assert_msg(!strcmp(a->text, b->text), "%s: '%s' became '%s'", keys[i], a->text, b->text);
        ck_assert_msg(a->quoted == b->quoted, "%s: quoted %d became %d", keys[i], a->quoted, b->quoted);
    }
    /* Sorted keys; a quoted number stays a (quoted) string; lists of scalars are flow style. */
    ck_assert_ptr_nonnull(strstr(t1, "bool_string: 'yes'\ncolon: 'a: b'\nempty: ''\n"));
    ck_assert_ptr_nonnull(strstr(t1, "quoted_number: '0.5'\n"));
    ck_assert_ptr_nonnull(strstr(t1, "list: [1, '2', three, '', 'four: 4']\n"));
    ck_assert_ptr_nonnull(strstr(t1, "unicode: 'Zürich — 東京'\n"));
    ck_assert(strstr(t1, "bool_string") < strstr(t1, "plain"));
    /* Leaving out a top-level key. */
    static const char *const skip[] = {"plain", "nested", NULL};
    char *t3 = ak_cfg_dump(ak_cfg_root(cfg), skip, &err);
    ck_assert_ptr_null(strstr(t3, "plain:"));
    ck_assert_ptr_null(strstr(t3, "nested:"));
    ck_assert_ptr_nonnull(strstr(t3, "hash: 'x # not a comment'"));
    free(t1);
    free(t2);
    free(t3);
    ak_cfg_free(again);
    ak_cfg_free(cfg);
}
END_TEST

START_TEST(dump_does_not_depend_on_key_order_or_style) {
    ak_error err;
    ak_error_clear(&err);
    ak_cfg *a = ak_cfg_new(), *b = ak_cfg_new();
    ck_assert_int_eq(ak_cfg_load_string(a, "x: 1\ny:\n  b: [1, 2]\n  a: 'q'\n", "a", &err), AK_OK);
    ck_assert_int_eq(ak_cfg_load_string(b, "# other order\ny: {a: \"q\", b: [1,\n 2]}\nx: 1\n", "b", &err), AK_OK);
    char *ta = ak_cfg_dump(ak_cfg_root(a), NULL, &err), *tb = ak_cfg_dump(ak_cfg_root(b), NULL, &err);
    ck_assert_str_eq(ta, "x: 1\ny:\n  a: 'q'\n  b: [1, 2]\n");
    ck_assert_str_eq(ta, tb);
    free(ta);
    free(tb);
    ak_cfg_free(a);
    ak_cfg_free(b);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("config_tree");
    TCase *tc = tcase_create("tree");
    tcase_add_test(tc, chain_of_three_overrides_at_every_depth);
    tcase_add_test(tc, sequences_replace_and_maps_merge);
    tcase_add_test(tc, list_of_bases_in_order);
    tcase_add_test(tc, cyclic_bases_are_detected);
    tcase_add_test(tc, missing_base_names_the_including_line);
    tcase_add_test(tc, malformed_yaml_reports_libyaml_position);
    tcase_add_test(tc, duplicate_keys_are_errors);
    tcase_add_test(tc, load_string_rejects_base_and_non_maps);
    tcase_add_test(tc, set_nested_keys_and_values);
    tcase_add_test(tc, dump_is_canonical_and_stable);
    tcase_add_test(tc, dump_does_not_depend_on_key_order_or_style);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
