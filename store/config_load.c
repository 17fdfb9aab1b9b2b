/* Loading configuration YAML with libyaml's document loader into an ak_cfg tree, and resolving
 * `base` inheritance chains (with cycle detection). See config.h for the semantics.
 *
 * libyaml resolves anchors and aliases into shared nodes; the tree copies them. An alias can make a
 * node contain itself (`&a [*a]`) or expand exponentially, so conversion is bounded in depth and
 * in node count. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "store/config.h"
#include "store/config_internal.h"

enum {
    MAX_DEPTH = 64,      /* nesting levels in one document */
    MAX_NODES = 200000,  /* nodes produced from one document (alias expansion bound) */
    MAX_BASE_DEPTH = 32, /* length of a base chain */
};

typedef struct conv {
    ak_cfg *cfg;
    yaml_document_t *doc;
    const char *file; /* interned origin */
    int positions;    /* 0: every node gets line 0 (values parsed from --set) */
    long nodes;
    ak_error *err;
} conv;

static ak_cfg_node *convert(conv *c, yaml_node_t *yn, int depth);

static void pos_of(const conv *c, const yaml_node_t *yn, int *line, int *col) {
    *line = c->positions ? (int)yn->start_mark.line + 1 : 0;
    *col = c->positions ? (int)yn->start_mark.column + 1 : 0;
}

static ak_cfg_node *fail(conv *c, int code, const yaml_node_t *yn, const char *what) {
    int line, col;
    pos_of(c, yn, &line, &col);
    char where[600];
    ak_cfg_where(where, sizeof where, c->file, line);
    ak_error_set(c->err, code, "%s: %s", where, what);
    return NULL;
}

static ak_cfg_node *convert_scalar(conv *c, yaml_node_t *yn, int line, int col) {
    const char *v = (const char *)yn->data.scalar.value;
    size_t len = yn->data.scalar.length;
    if (memchr(v, '\0', len))
        return fail(c, AK_EFORMAT, yn, "scalar contains a NUL character");
    int quoted = yn->data.scalar.style != YAML_PLAIN_SCALAR_STYLE && yn->data.scalar.style != YAML_ANY_SCALAR_STYLE;
    ak_cfg_node *n = ak_cfg_new_scalar(c->cfg, v, quoted, c->file, line, col);
    if (!n)
        ak_error_set(c->err, AK_ENOMEM, "config: out of memory");
    return n;
}

static ak_cfg_node *convert_seq(conv *c, yaml_node_t *yn, int line, int col, int depth) {
    ak_cfg_node *n = ak_cfg_new_seq(c->cfg, c->file, line, col);
    if (!n) {
        ak_error_set(c->err, AK_ENOMEM, "config: out of memory");
        return NULL;
    }
    for (yaml_node_item_t *it = yn->data.sequence.items.start; it < yn->data.sequence.items.top; it++) {
        ak_cfg_node *child = convert(c, yaml_document_get_node(c->doc, *it), depth + 1);
        if (!child || ak_cfg_seq_push(c->cfg, n, child, c->err) != AK_OK)
            return NULL;
    }
    return n;
}

static ak_cfg_node *convert_map(conv *c, yaml_node_t *yn, int line, int col, int depth) {
    ak_cfg_node *n = ak_cfg_new_map(c->cfg, c->file, line, col);
    if (!n) {
        ak_error_set(c->err, AK_ENOMEM, "config: out of memory");
        return NULL;
    }
    for (yaml_node_pair_t *p = yn->data.mapping.pairs.start; p < yn->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
        if (kn->type != YAML_SCALAR_NODE)
            return fail(c, AK_EFORMAT, kn, "map keys must be plain strings, not sequences or maps");
        const char *key = (const char *)kn->data.scalar.value;
        if (memchr(key, '\0', kn->data.scalar.length))
            return fail(c, AK_EFORMAT, kn, "key contains a NUL character");
        int kline, kcol;
        pos_of(c, kn, &kline, &kcol);
        ak_cfg_entry *dup = ak_cfg_map_find(n, key);
        if (dup) {
            char msg[400];
            snprintf(msg, sizeof msg, "duplicate key '%.200s' (first at line %d)", key, dup->line);
            return fail(c, AK_EFORMAT, kn, msg);
        }
        ak_cfg_node *val = convert(c, yaml_document_get_node(c->doc, p->value), depth + 1);
        if (!val || ak_cfg_map_put(c->cfg, n, key, val, c->file, kline, kcol, c->err) != AK_OK)
            return NULL;
    }
    return n;
}

static ak_cfg_node *convert(conv *c, yaml_node_t *yn, int depth) {
    if (depth > MAX_DEPTH)
        return fail(c, AK_EFORMAT, yn, "nesting deeper than 64 levels (a recursive alias?)");
    if (++c->nodes > MAX_NODES)
        return fail(c, AK_EFORMAT, yn, "more than 200000 nodes (alias expansion?)");
    int line, col;
    pos_of(c, yn, &line, &col);
    switch (yn->type) {
    case YAML_SCALAR_NODE: return convert_scalar(c, yn, line, col);
    case YAML_SEQUENCE_NODE: return convert_seq(c, yn, line, col, depth);
    case YAML_MAPPING_NODE: return convert_map(c, yn, line, col, depth);
    default: return fail(c, AK_EFORMAT, yn, "empty YAML node");
    }
}

/* libyaml's own diagnosis, with 1-based line/column. */
static int parser_error(const yaml_parser_t *p, const char *file, ak_error *err) {
    const char *problem = p->problem ? p->problem : "unknown problem";
    if (p->error == YAML_MEMORY_ERROR)
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory while parsing YAML", file);
    if (p->error == YAML_READER_ERROR)
        return ak_error_set(err, AK_EFORMAT, "%s: YAML read error at byte %zu: %s", file, p->problem_offset, problem);
    if (p->context)
        return ak_error_set(err, AK_EFORMAT, "%s line %zu column %zu: YAML syntax error: %s %s (line %zu column %zu)",
                            file, p->problem_mark.line + 1, p->problem_mark.column + 1, problem, p->context,
                            p->context_mark.line + 1, p->context_mark.column + 1);
    return ak_error_set(err, AK_EFORMAT, "%s line %zu column %zu: YAML syntax error: %s", file,
                        p->problem_mark.line + 1, p->problem_mark.column + 1, problem);
}

/* Parse one YAML document from an initialised parser. *out = NULL for an empty stream. */
static int parse_doc(ak_cfg *cfg, yaml_parser_t *parser, const char *file, int positions, ak_cfg_node **out,
                     ak_error *err) {
    *out = NULL;
    const char *f = ak_cfg_strdup(cfg, file);
    if (!f)
        return ak_error_set(err, AK_ENOMEM, "config: out of memory");
    yaml_document_t doc;
    if (!yaml_parser_load(parser, &doc))
        return parser_error(parser, file, err);
    int rc = AK_OK;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root) {
        conv c = {cfg, &doc, f, positions, 0, err};
        *out = convert(&c, root, 0);
        if (!*out)
            rc = err && err->code ? err->code : AK_EFORMAT;
    }
    yaml_document_delete(&doc);
    if (rc != AK_OK || !root)
        return rc;
    /* A second document would be silently ignored: refuse it. */
    yaml_document_t extra;
    if (!yaml_parser_load(parser, &extra))
        return parser_error(parser, file, err);
    int more = yaml_document_get_root_node(&extra) != NULL;
    int line = more ? (int)extra.start_mark.line + 1 : 0;
    yaml_document_delete(&extra);
    if (more)
        return ak_error_set(err, AK_EFORMAT, "%s line %d: a config file holds one YAML document, found a second", file,
                            line);
    return AK_OK;
}

ak_cfg_node *ak_cfg_parse_value(ak_cfg *cfg, const char *text, const char *file, ak_error *err) {
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        ak_error_set(err, AK_ENOMEM, "config: cannot initialise the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    ak_cfg_node *node = NULL;
    int rc = parse_doc(cfg, &parser, file, 0, &node, err);
    yaml_parser_delete(&parser);
    if (rc != AK_OK)
        return NULL;
    if (!node) { /* "key=" : an empty plain scalar, like "key:" in a file */
        node = ak_cfg_new_scalar(cfg, "", 0, file, 0, 0);
        if (!node)
            ak_error_set(err, AK_ENOMEM, "config: out of memory");
    }
    return node;
}

static int root_map(ak_cfg *cfg, ak_cfg_node **root, const char *file, ak_error *err) {
    if (!*root) {
        *root = ak_cfg_new_map(cfg, file, 0, 0);
        return *root ? AK_OK : ak_error_set(err, AK_ENOMEM, "config: out of memory");
    }
    if ((*root)->kind != AK_CFG_MAP) {
        char where[600];
        ak_cfg_where(where, sizeof where, file, (*root)->line);
        return ak_error_set(err, AK_EFORMAT, "%s: a config must be a map of keys at the top level", where);
    }
    return AK_OK;
}

int ak_cfg_load_string(ak_cfg *cfg, const char *text, const char *name, ak_error *err) {
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return ak_error_set(err, AK_ENOMEM, "config: cannot initialise the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    ak_cfg_node *root = NULL;
    int rc = parse_doc(cfg, &parser, name, 1, &root, err);
    yaml_parser_delete(&parser);
    AK_TRY(rc);
    AK_TRY(root_map(cfg, &root, name, err));
    ak_cfg_entry *b = ak_cfg_map_find(root, "base");
    if (b)
        return ak_error_set(err, AK_EINVAL,
                            "%s line %d: 'base' needs a file to resolve against; load it with ak_cfg_load_file", name,
                            b->line);
    ak_cfg__set_root(cfg, root);
    return AK_OK;
}

/* ---- files and base chains ---- */

/* The files being loaded, outermost first, identified by (device, inode) so that different
 * spellings of one path (and symlinks) are recognised as the same file. */
typedef struct chain {
    dev_t dev[MAX_BASE_DEPTH];
    ino_t ino[MAX_BASE_DEPTH];
    const char *shown[MAX_BASE_DEPTH];
    int n;
} chain;

static int load_tree(ak_cfg *cfg, const char *path, chain *ch, const char *inc_file, int inc_line, ak_cfg_node **out,
                     ak_error *err);

/* dir(including file) + "/" + rel, or rel itself when absolute. malloc'd. */
static char *join_relative(const char *including, const char *rel) {
    if (rel[0] == '/')
        return strdup(rel);
    const char *slash = strrchr(including, '/');
    size_t dlen = slash ? (size_t)(slash - including) + 1 : 0;
    char *p = malloc(dlen + strlen(rel) + 1);
    if (!p)
        return NULL;
    memcpy(p, including, dlen);
    strcpy(p + dlen, rel);
    return p;
}

static int load_base(ak_cfg *cfg, const char *file, ak_cfg_node *bnode, chain *ch, ak_cfg_node **acc, ak_error *err) {
    char where[600];
    ak_cfg_where(where, sizeof where, file, bnode->line);
    if (bnode->kind != AK_CFG_SCALAR || !bnode->text[0])
        return ak_error_set(err, AK_EINVAL, "%s: 'base' must be a relative path or a list of paths", where);
    char *path = join_relative(file, bnode->text);
    if (!path)
        return ak_error_set(err, AK_ENOMEM, "config: out of memory");
    ak_cfg_node *tree = NULL;
    int rc = load_tree(cfg, path, ch, file, bnode->line, &tree, err);
    free(path);
    AK_TRY(rc);
    return ak_cfg_merge(cfg, acc, tree, err);
}

static int read_yaml_file(ak_cfg *cfg, const char *path, const char *inc_file, int inc_line, ak_cfg_node **root,
                          ak_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (inc_file)
            return ak_error_set(err, AK_EIO, "%s line %d: base config '%s': %s", inc_file, inc_line, path,
                                strerror(errno));
        return ak_error_set(err, AK_EIO, "cannot open config '%s': %s", path, strerror(errno));
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        fclose(f);
        return ak_error_set(err, AK_ENOMEM, "config: cannot initialise the YAML parser");
    }
    yaml_parser_set_input_file(&parser, f);
    int rc = parse_doc(cfg, &parser, path, 1, root, err);
    yaml_parser_delete(&parser);
    fclose(f);
    AK_TRY(rc);
    return root_map(cfg, root, path, err);
}

static int load_tree(ak_cfg *cfg, const char *path, chain *ch, const char *inc_file, int inc_line, ak_cfg_node **out,
                     ak_error *err) {
    struct stat st;
    if (stat(path, &st) != 0) {
        if (inc_file)
            return ak_error_set(err, AK_EIO, "%s line %d: base config '%s': %s", inc_file, inc_line, path,
                                strerror(errno));
        return ak_error_set(err, AK_EIO, "cannot open config '%s': %s", path, strerror(errno));
    }
    for (int i = 0; i < ch->n; i++) {
        if (ch->dev[i] != st.st_dev || ch->ino[i] != st.st_ino)
            continue;
        char msg[AK_ERROR_MSG_LEN];
        size_t off = 0;
        for (int j = i; j < ch->n && off < sizeof msg; j++)
            off += (size_t)snprintf(msg + off, sizeof msg - off, "%s -> ", ch->shown[j]);
        if (off < sizeof msg)
            snprintf(msg + off, sizeof msg - off, "%s", path);
        return ak_error_set(err, AK_EFORMAT, "cyclic base include: %s (%s line %d)", msg, inc_file, inc_line);
    }
    if (ch->n == MAX_BASE_DEPTH)
        return ak_error_set(err, AK_EFORMAT, "%s line %d: base chain longer than %d files", inc_file, inc_line,
                            MAX_BASE_DEPTH);
    const char *shown = ak_cfg_strdup(cfg, path);
    if (!shown)
        return ak_error_set(err, AK_ENOMEM, "config: out of memory");

    ak_cfg_node *self = NULL;
    AK_TRY(read_yaml_file(cfg, path, inc_file, inc_line, &self, err));
    ak_cfg_entry *be = ak_cfg_map_find(self, "base");
    if (!be) {
        *out = self;
        return AK_OK;
    }
    ak_cfg_node *bases = be->val;
    ak_cfg_map_remove(self, "base");

    ch->dev[ch->n] = st.st_dev;
    ch->ino[ch->n] = st.st_ino;
    ch->shown[ch->n] = shown;
    ch->n++;
    ak_cfg_node *acc = NULL;
    int rc = AK_OK;
    if (bases->kind == AK_CFG_SEQ) {
        for (int i = 0; i < bases->n && rc == AK_OK; i++)
            rc = load_base(cfg, path, bases->items[i], ch, &acc, err);
    } else {
        rc = load_base(cfg, path, bases, ch, &acc, err);
    }
    ch->n--;
    AK_TRY(rc);
    if (!acc)
        acc = ak_cfg_new_map(cfg, path, 0, 0);
    if (!acc)
        return ak_error_set(err, AK_ENOMEM, "config: out of memory");
    if (acc->kind != AK_CFG_MAP)
        return ak_error_set(err, AK_EFORMAT, "%s: base of a config must be a map", path);
    AK_TRY(ak_cfg_merge(cfg, &acc, self, err));
    *out = acc;
    return AK_OK;
}

int ak_cfg_load_file(ak_cfg *cfg, const char *path, ak_error *err) {
    chain ch;
    ch.n = 0;
    ak_cfg_node *root = NULL;
    AK_TRY(load_tree(cfg, path, &ch, NULL, 0, &root, err));
    ak_cfg__set_root(cfg, root);
    return AK_OK;
}
