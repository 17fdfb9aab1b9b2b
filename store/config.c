/* Configuration tree: the pool that owns nodes, constructors, lookup, merging, `--set` overrides and
 * the position phrase. Loading (libyaml) is config_load.c, the canonical dump is config_dump.c. See config.h. */
#include "store/config.h"
#include "store/config_internal.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything a document allocates comes from a chain of blocks freed together: nodes are small,
 * numerous and share the document's lifetime, so per-node free() would only add failure paths. */
typedef struct pool_block {
    struct pool_block *next;
    size_t used, size;
    alignas(max_align_t) unsigned char data[];
} pool_block;

struct ak_cfg {
    ak_cfg_node *root;
    pool_block *blocks;
};

enum { POOL_BLOCK = 16384 };

void *ak_cfg__alloc(ak_cfg *cfg, size_t bytes) {
    const size_t align = alignof(max_align_t);
    bytes = (bytes + align - 1) / align * align;
    pool_block *b = cfg->blocks;
    if (!b || b->size - b->used < bytes) {
        size_t size = bytes > POOL_BLOCK ? bytes : POOL_BLOCK;
        b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->size = size;
        b->used = 0;
        b->next = cfg->blocks;
        cfg->blocks = b;
    }
    void *p = b->data + b->used;
    b->used += bytes;
    memset(p, 0, bytes);
    return p;
}

ak_cfg *ak_cfg_new(void) {
    ak_cfg *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return NULL;
    cfg->root = ak_cfg_new_map(cfg, "(empty)", 0, 0);
    if (!cfg->root) {
        ak_cfg_free(cfg);
        return NULL;
    }
    return cfg;
}

void ak_cfg_free(ak_cfg *cfg) {
    if (!cfg)
        return;
    for (pool_block *b = cfg->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(cfg);
}

ak_cfg_node *ak_cfg_root(const ak_cfg *cfg) { return cfg->root; }

void ak_cfg__set_root(ak_cfg *cfg, ak_cfg_node *root) { cfg->root = root; }

const char *ak_cfg_strdup(ak_cfg *cfg, const char *s) {
    size_t n = strlen(s) + 1;
    char *p = ak_cfg__alloc(cfg, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static ak_cfg_node *new_node(ak_cfg *cfg, ak_cfg_kind kind, const char *file, int line, int col) {
    ak_cfg_node *n = ak_cfg__alloc(cfg, sizeof *n);
    if (!n)
        return NULL;
    n->kind = kind;
    n->file = file ? ak_cfg_strdup(cfg, file) : "";
    n->line = line;
    n->col = col;
    return n->file ? n : NULL;
}

ak_cfg_node *ak_cfg_new_scalar(ak_cfg *cfg, const char *text, int quoted, const char *file, int line, int col) {
    ak_cfg_node *n = new_node(cfg, AK_CFG_SCALAR, file, line, col);
    if (!n)
        return NULL;
    n->text = ak_cfg_strdup(cfg, text);
    n->quoted = quoted;
    return n->text ? n : NULL;
}

ak_cfg_node *ak_cfg_new_seq(ak_cfg *cfg, const char *file, int line, int col) {
    return new_node(cfg, AK_CFG_SEQ, file, line, col);
}

ak_cfg_node *ak_cfg_new_map(ak_cfg *cfg, const char *file, int line, int col) {
    return new_node(cfg, AK_CFG_MAP, file, line, col);
}

/* Grow items/entries by doubling; the old array stays in the pool (total waste <= final size). */
static int grow(ak_cfg *cfg, ak_cfg_node *node, size_t elem, void **arr, ak_error *err) {
    if (node->n < node->cap)
        return AK_OK;
    int cap = node->cap ? node->cap * 2 : 8;
    void *p = ak_cfg__alloc(cfg, (size_t)cap * elem);
    if (!p)
        return ak_error_set(err, AK_ENOMEM, "config: out of memory");
    if (node->n)
        memcpy(p, *arr, (size_t)node->n * elem);
    *arr = p;
    node->cap = cap;
    return AK_OK;
}

int ak_cfg_seq_push(ak_cfg *cfg, ak_cfg_node *seq, ak_cfg_node *item, ak_error *err) {
    AK_TRY(grow(cfg, seq, sizeof *seq->items, (void **)&seq->items, err));
    seq->items[seq->n++] = item;
    return AK_OK;
}

ak_cfg_entry *ak_cfg_map_find(const ak_cfg_node *map, const char *key) {
    if (!map || map->kind != AK_CFG_MAP)
        return NULL;
    for (int i = 0; i < map->n; i++)
        if (strcmp(map->entries[i].key, key) == 0)
            return &map->entries[i];
    return NULL;
}

int ak_cfg_map_put(ak_cfg *cfg, ak_cfg_node *map, const char *key, ak_cfg_node *val, const char *file, int line,
                   int col, ak_error *err) {
    const char *f = ak_cfg_strdup(cfg, file ? file : "");
    if (!f)
        return ak_error_set(err, AK_ENOMEM, "config: out of memory");
    ak_cfg_entry *e = ak_cfg_map_find(map, key);
    if (!e) {
        AK_TRY(grow(cfg, map, sizeof *map->entries, (void **)&map->entries, err));
        e = &map->entries[map->n++];
        e->key = ak_cfg_strdup(cfg, key);
        if (!e->key)
            return ak_error_set(err, AK_ENOMEM, "config: out of memory");
    }
    e->file = f;
    e->line = line;
    e->col = col;
    e->val = val;
    return AK_OK;
}

int ak_cfg_map_remove(ak_cfg_node *map, const char *key) {
    ak_cfg_entry *e = ak_cfg_map_find(map, key);
    if (!e)
        return 0;
    ptrdiff_t i = e - map->entries;
    memmove(e, e + 1, (size_t)(map->n - i - 1) * sizeof *e);
    map->n--;
    return 1;
}

int ak_cfg_scalar_set(ak_cfg *cfg, ak_cfg_node *scalar, const char *text, int quoted, ak_error *err) {
    if (strcmp(scalar->text, text) != 0) {
        const char *t = ak_cfg_strdup(cfg, text);
        if (!t)
            return ak_error_set(err, AK_ENOMEM, "config: out of memory");
        scalar->text = t;
    }
    scalar->quoted = quoted;
    return AK_OK;
}

ak_cfg_node *ak_cfg_get(const ak_cfg_node *map, const char *path) {
    char part[256];
    const char *p = path;
    const ak_cfg_node *cur = map;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len >= sizeof part)
            return NULL;
        memcpy(part, p, len);
        part[len] = '\0';
        ak_cfg_entry *e = ak_cfg_map_find(cur, part);
        if (!e)
            return NULL;
        if (!dot)
            return e->val;
        cur = e->val;
        p = dot + 1;
    }
}

int ak_cfg_merge(ak_cfg *cfg, ak_cfg_node **dst, ak_cfg_node *src, ak_error *err) {
    if (!*dst || (*dst)->kind != AK_CFG_MAP || src->kind != AK_CFG_MAP) {
        *dst = src;
        return AK_OK;
    }
    for (int i = 0; i < src->n; i++) {
        const ak_cfg_entry *se = &src->entries[i];
        ak_cfg_entry *de = ak_cfg_map_find(*dst, se->key);
        if (!de) {
            AK_TRY(ak_cfg_map_put(cfg, *dst, se->key, se->val, se->file, se->line, se->col, err));
            continue;
        }
        /* The key now "comes from" the overriding file: errors about it should point there. */
        de->file = se->file;
        de->line = se->line;
        de->col = se->col;
        AK_TRY(ak_cfg_merge(cfg, &de->val, se->val, err));
    }
    return AK_OK;
}

int ak_cfg_set(ak_cfg *cfg, const char *assignment, ak_error *err) {
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return ak_error_set(err, AK_EINVAL, "--set '%s': expected KEY=VALUE (e.g. optim.lr=0.01)", assignment);
    char origin[512];
    snprintf(origin, sizeof origin, "--set %s", assignment);
    size_t klen = (size_t)(eq - assignment);
    char *key = malloc(klen + 1);
    if (!key)
        return ak_error_set(err, AK_ENOMEM, "config: out of memory");
    memcpy(key, assignment, klen);
    key[klen] = '\0';

    int rc = AK_OK;
    ak_cfg_node *val = ak_cfg_parse_value(cfg, eq + 1, origin, err);
    if (!val) {
        rc = err ? err->code : AK_EFORMAT;
        goto done;
    }
    /* Walk / create the maps along the path, then merge the value into the last key. */
    ak_cfg_node *cur = cfg->root;
    char *part = key;
    for (;;) {
        char *dot = strchr(part, '.');
        if (dot)
            *dot = '\0';
        if (!*part) {
            rc = ak_error_set(err, AK_EINVAL, "--set '%s': empty component in key path", assignment);
            goto done;
        }
        if (cur == cfg->root && strcmp(part, "base") == 0) {
            rc = ak_error_set(err, AK_EINVAL,
                              "--set '%s': 'base' cannot be overridden (bases are resolved when the file loads)",
                              assignment);
            goto done;
        }
        ak_cfg_entry *e = ak_cfg_map_find(cur, part);
        if (!dot) {
            ak_cfg_node *slot = e ? e->val : NULL;
            if ((rc = ak_cfg_merge(cfg, &slot, val, err)) != AK_OK)
                goto done;
            rc = ak_cfg_map_put(cfg, cur, part, slot, origin, 0, 0, err);
            goto done;
        }
        if (e && e->val->kind != AK_CFG_MAP) {
            char where[600];
            ak_cfg_where(where, sizeof where, e->val->file, e->val->line);
            rc = ak_error_set(err, AK_EINVAL, "--set '%s': '%s' is not a map (set in %s)", assignment, part, where);
            goto done;
        }
        if (!e) {
            ak_cfg_node *m = ak_cfg_new_map(cfg, origin, 0, 0);
            if (!m || (rc = ak_cfg_map_put(cfg, cur, part, m, origin, 0, 0, err)) != AK_OK) {
                rc = m ? rc : ak_error_set(err, AK_ENOMEM, "config: out of memory");
                goto done;
            }
            e = ak_cfg_map_find(cur, part);
        }
        cur = e->val;
        part = dot + 1;
    }
done:
    free(key);
    return rc;
}

void ak_cfg_where(char *buf, size_t n, const char *file, int line) {
    if (line > 0)
        snprintf(buf, n, "%s line %d", file, line);
    else
        snprintf(buf, n, "%s", file);
}
