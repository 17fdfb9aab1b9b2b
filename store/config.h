/* Configuration documents: a YAML tree with the origin of every node, loaded with libyaml, with base
 * inheritance, `--set` overrides and a canonical dump (the text the run id hashes).
 *
 * This is the generic layer (no knowledge of which keys exist: that is config_schema.h, and the
 * akdbench keys are akd_config.h). A document is a tree of maps (ordered key/value entries),
 * sequences and scalars. A scalar keeps its text as written plus a `quoted` flag (quoted in the
 * source, so always a string); types are resolved by the schema, never here.
 *
 * Inheritance: a file whose root map has the key `base` (a path, or a list of paths, relative to the
 * including file's directory) is the merge of its bases, left to right, overridden by the file's own
 * keys. Merging is recursive for maps (key by key); sequences and scalars replace. Bases may have
 * bases; a cycle is an error listing the chain. `base` is removed from the resolved tree.
 *
 * Overrides: `a.b.c=value` sets one key (creating missing maps); value is parsed as YAML, so
 * `x=0.1`, `x=[1, 2]`, `x='007'` all work; a map value merges like a base.
 *
 * Canonical dump: block YAML, keys sorted bytewise at every level, sequences of scalars in flow
 * style, emitted by libyaml. The same tree always gives the same text, and dump -> load -> dump is
 * the identity. Combined with the schema (which rewrites every scalar into its canonical spelling)
 * the text depends only on the values. The run id is a hash of that text: store/hash.h
 * (ak_run_id_of_config), the same function the run file uses, so the two always agree.
 *
 * Errors: AK_EIO (unreadable file), AK_EFORMAT (YAML syntax: "FILE line L column C: ..."; duplicate
 * keys; non-scalar keys; a cyclic base chain), AK_EINVAL (bad `base` value, malformed override).
 * Messages name the file and line. Line and column are 1-based; line 0 means "not from a file"
 * (defaults, overrides), and then `file` says where it came from ("--set a.b=1", "(default)").
 *
 * Ownership: an ak_cfg owns every node and string reachable from it (one pool, freed by
 * ak_cfg_free). Nodes are never shared between documents. Not thread-safe; no global state.
 */
#ifndef AK_CONFIG_H
#define AK_CONFIG_H

#include <stddef.h>

#include "core/error.h"

typedef enum ak_cfg_kind { AK_CFG_SCALAR, AK_CFG_SEQ, AK_CFG_MAP } ak_cfg_kind;

typedef struct ak_cfg_node ak_cfg_node;

/* One key of a map, with the position of the key itself (unknown-key errors point there). */
typedef struct ak_cfg_entry {
    const char *key;
    const char *file;
    int line, col;
    ak_cfg_node *val;
} ak_cfg_entry;

struct ak_cfg_node {
    ak_cfg_kind kind;
    const char *file; /* origin: a path, "--set ...", "(default)" */
    int line, col;    /* 1-based; 0 when not from a file */
    /* AK_CFG_SCALAR */
    const char *text; /* NUL-terminated UTF-8 (embedded NULs are rejected on load) */
    int quoted;       /* 1: written quoted (or canonicalised as a string that needs quotes) */
    /* AK_CFG_SEQ (items) and AK_CFG_MAP (entries) */
    int n, cap;
    ak_cfg_node **items;
    ak_cfg_entry *entries;
};

typedef struct ak_cfg ak_cfg;

/* A new empty document (root = empty map). NULL on allocation failure. */
ak_cfg *ak_cfg_new(void);
void ak_cfg_free(ak_cfg *cfg);
ak_cfg_node *ak_cfg_root(const ak_cfg *cfg);

/* Load `path` (resolving `base` chains) and make it the root. On failure the root is unchanged. */
int ak_cfg_load_file(ak_cfg *cfg, const char *path, ak_error *err);
/* Load YAML text (e.g. a config stored in a run file). `name` names it in messages. A `base` key is
 * an error here (no directory to resolve it against). */
int ak_cfg_load_string(ak_cfg *cfg, const char *text, const char *name, ak_error *err);

/* Parse `text` as one YAML value (scalar, flow sequence, flow map); nodes get origin (file, 0, 0).
 * Empty text gives an empty plain scalar. Returns NULL with err set on a syntax error. */
ak_cfg_node *ak_cfg_parse_value(ak_cfg *cfg, const char *text, const char *file, ak_error *err);

/* Apply one override "a.b.c=value" to the root. */
int ak_cfg_set(ak_cfg *cfg, const char *assignment, ak_error *err);

/* Node at a dotted path below `map` ("model.student.arch"), or NULL if any part is missing or not a
 * map. The entry variant also returns the key's position. */
ak_cfg_node *ak_cfg_get(const ak_cfg_node *map, const char *path);
ak_cfg_entry *ak_cfg_map_find(const ak_cfg_node *map, const char *key);

/* Constructors (nodes belong to cfg). Strings are copied. */
ak_cfg_node *ak_cfg_new_scalar(ak_cfg *cfg, const char *text, int quoted, const char *file, int line, int col);
ak_cfg_node *ak_cfg_new_seq(ak_cfg *cfg, const char *file, int line, int col);
ak_cfg_node *ak_cfg_new_map(ak_cfg *cfg, const char *file, int line, int col);
int ak_cfg_seq_push(ak_cfg *cfg, ak_cfg_node *seq, ak_cfg_node *item, ak_error *err);
/* Insert or replace map[key] (a replaced value keeps nothing of the old one). */
int ak_cfg_map_put(ak_cfg *cfg, ak_cfg_node *map, const char *key, ak_cfg_node *val, const char *file, int line,
                   int col, ak_error *err);
/* Remove map[key] if present; returns 1 if it was there. */
int ak_cfg_map_remove(ak_cfg_node *map, const char *key);
/* Replace a scalar's text in place (canonicalisation). */
int ak_cfg_scalar_set(ak_cfg *cfg, ak_cfg_node *scalar, const char *text, int quoted, ak_error *err);
/* Interned copy of a string owned by cfg (for origins). NULL on allocation failure. */
const char *ak_cfg_strdup(ak_cfg *cfg, const char *s);

/* Merge `src` into `*dst` (maps key by key, recursively; anything else replaces). src's nodes are
 * reused, not copied: both must belong to cfg. */
int ak_cfg_merge(ak_cfg *cfg, ak_cfg_node **dst, ak_cfg_node *src, ak_error *err);

/* Canonical YAML of `node` (see top of file); malloc'd, caller frees. `skip_top` optionally lists
 * top-level keys left out (NULL-terminated), e.g. keys that must not enter the run id. Returns NULL
 * with err set on failure. */
char *ak_cfg_dump(const ak_cfg_node *node, const char *const *skip_top, ak_error *err);

/* "FILE line L" or "FILE" when line is 0: the position phrase every config message uses. */
void ak_cfg_where(char *buf, size_t n, const char *file, int line);

#endif
