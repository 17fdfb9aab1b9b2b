/* Declarative config schemas: the list of known keys with type, default, range and a one-line doc,
 * validation of an ak_cfg tree against it, defaults filled in, and the values bound into a C struct.
 *
 * A schema is a table of leaf keys by dotted path ("optim.lr"). Every prefix of a path is a section
 * (a map). Applying a schema to a tree:
 *   1. walks the tree in file order: a key that is neither a leaf nor a section is an error
 *      "unknown key 'model.bakbone' in FILE line L (did you mean 'model.backbone'?)" (closest known
 *      path by edit distance, or a known key with the same last component);
 *   2. checks each leaf's type and range: "key 'optim.lr' in FILE line L: expected a float, got 'x'",
 *      "key 'akd.rate' in FILE line L: 1.5 is out of range [0, 1)";
 *   3. inserts every missing key with its default (origin "(default)"); a missing key without a
 *      default is an error;
 *   4. rewrites every leaf into its canonical spelling (ints in decimal, floats in the shortest text
 *      that reads back to the same double, true/false, strings quoted only when they would otherwise
 *      read as another type), so the canonical dump depends only on the values;
 *   5. stores each value at its offset in the bound struct.
 * All errors are AK_EINVAL (AK_ERANGE for range errors) and name the key, file and line.
 *
 * Value types and their C storage (the table's offset/size point at it):
 *   INT -> int, FLOAT -> double, BOOL -> bool, STRING -> char[size] (too long is an error),
 *   ENUM -> int (index into `choices`, so a C enum declared in the same order),
 *   INT_LIST -> ak_cfg_int_list, FLOAT_LIST -> ak_cfg_float_list,
 *   STRING_LIST -> ak_cfg_str_list. Strings accept a null / empty value as "".
 * Scalars that were quoted in the YAML are strings: `lr: "0.1"` is a type error for a float.
 */
#ifndef AK_CONFIG_SCHEMA_H
#define AK_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/error.h"
#include "store/config.h"

#define AK_CFG_LIST_MAX 16 /* elements in a list value */
#define AK_CFG_NAME_LEN 64 /* bytes of a string list element, NUL included */

typedef struct ak_cfg_int_list {
    int n;
    int v[AK_CFG_LIST_MAX];
} ak_cfg_int_list;
typedef struct ak_cfg_float_list {
    int n;
    double v[AK_CFG_LIST_MAX];
} ak_cfg_float_list;
typedef struct ak_cfg_str_list {
    int n;
    char v[AK_CFG_LIST_MAX][AK_CFG_NAME_LEN];
} ak_cfg_str_list;

typedef enum ak_sch_type {
    AK_SCH_INT,
    AK_SCH_FLOAT,
    AK_SCH_BOOL,
    AK_SCH_STRING,
    AK_SCH_ENUM,
    AK_SCH_INT_LIST,
    AK_SCH_FLOAT_LIST,
    AK_SCH_STRING_LIST,
} ak_sch_type;

/* Range flags: which bounds apply and whether they are open. Numbers only (list elements too). */
enum { AK_SCH_LO = 1, AK_SCH_HI = 2, AK_SCH_LO_OPEN = 4, AK_SCH_HI_OPEN = 8 };

typedef struct ak_schema_key {
    const char *path;    /* "akd.rate" */
    ak_sch_type type;
    const char *def;     /* default as YAML text ("0.1", "[16, 22]", "dropout"); NULL = required */
    const char *const *choices; /* ENUM: names; the index is the stored int */
    int n_choices;
    double lo, hi;       /* range, see flags */
    unsigned flags;
    int len_min, len_max; /* lists: allowed length (len_max 0 = AK_CFG_LIST_MAX) */
    size_t offset, size;  /* storage in the bound struct */
    const char *doc;      /* one line */
} ak_schema_key;

typedef struct ak_schema {
    const char *name; /* "akdbench run config" */
    const ak_schema_key *keys;
    int n;
} ak_schema;

/* Steps 1-5 above on cfg's root. `out` (the bound struct) may be NULL to validate only. */
int ak_schema_apply(const ak_schema *s, ak_cfg *cfg, void *out, ak_error *err);

/* Step 1-2 only, on a fragment (a `_base_` file: no required keys, nothing filled in). */
int ak_schema_check(const ak_schema *s, const ak_cfg_node *root, ak_error *err);

/* The key with this exact path, or NULL. */
const ak_schema_key *ak_schema_find(const ak_schema *s, const char *path);

/* "a|b|c": the choices of an ENUM key joined, into buf. */
const char *ak_schema_choices(const ak_schema_key *k, char *buf, size_t n);

/* The closest known key or section to an unknown `path` into buf ("" when nothing is close): a
 * spelling at most 1 edit away at the same depth ('modle' -> 'model'), else a key with the same
 * last component ('train.lr' -> 'optim.lr'), else a spelling within a quarter of the length. */
void ak_schema_suggest(const ak_schema *s, const char *path, char *buf, size_t n);

/* Optimal-string-alignment edit distance (insert, delete, substitute, swap adjacent). */
int ak_edit_distance(const char *a, const char *b);

/* Writes "path  type  default  [range]  doc" lines for every key (for `akdbench config --keys`). */
void ak_schema_print(const ak_schema *s, FILE *f);

#endif
