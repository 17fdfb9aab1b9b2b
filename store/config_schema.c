/* Schema validation, defaults, canonical spelling and binding of config trees; see config_schema.h. */
#include "store/config_schema.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct walk {
    const ak_schema *s;
    ak_cfg *cfg; /* NULL in check-only mode: nothing is rewritten */
    void *out;   /* bound struct or NULL */
    ak_error *err;
} walk;

/* ---- scalar resolution (YAML 1.2 core schema, plus yes/no/on/off for booleans) ---- */

static int is_null(const char *t) {
    return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") || !strcmp(t, "NULL");
}

static int parse_bool(const char *t, bool *v) {
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (!strcmp(t, yes[i])) {
            *v = true;
            return 1;
        }
        if (!strcmp(t, no[i])) {
            *v = false;
            return 1;
        }
    }
    return 0;
}

static int parse_int(const char *t, long long *v) {
    if (!*t || strspn(t, "+-0123456789") != strlen(t))
        return 0;
    char *end;
    errno = 0;
    *v = strtoll(t, &end, 10);
    return *end == '\0' && errno == 0;
}

/* Decimal floats only ("1e-4", "0.02", "-3"); no hex, inf or nan. */
static int parse_float(const char *t, double *v) {
    if (!*t || strspn(t, "+-0123456789.eE") != strlen(t) || !strpbrk(t, "0123456789"))
        return 0;
    char *end;
    *v = strtod(t, &end);
    return *end == '\0' && isfinite(*v);
}

/* Would this plain text read back as something other than a string (in YAML 1.1 or 1.2)? */
static int looks_typed(const char *t) {
    bool b;
    double d;
    if (is_null(t) || parse_bool(t, &b) || parse_float(t, &d))
        return 1;
    static const char *const special[] = {".inf", ".Inf", ".INF", "-.inf", "+.inf", ".nan",
                                          ".NaN", ".NAN", "y",    "Y",     "n",     "N"};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        if (!strcmp(t, special[i]))
            return 1;
    return 0;
}

/* Shortest "%.Ng" that reads back as exactly v, with a '.' in the mantissa ("1.0", "2.0e-05") so
 * that every YAML reader (1.1 included, e.g. PyYAML) sees a float, not an int or a string. */
static void fmt_double(double v, char *buf, size_t n) {
    char tmp[40];
    snprintf(tmp, sizeof tmp, "0");
    for (int p = 1; v != 0 && p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*g", p, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    char *e = strchr(tmp, 'e');
    size_t mant = e ? (size_t)(e - tmp) : strlen(tmp);
    if (memchr(tmp, '.', mant))
        snprintf(buf, n, "%s", tmp);
    else
        snprintf(buf, n, "%.*s.0%s", (int)mant, tmp, e ? e : "");
}

/* ---- messages ---- */

static const char *type_name(ak_sch_type t) {
    switch (t) {
    case AK_SCH_INT: return "an integer";
    case AK_SCH_FLOAT: return "a float";
    case AK_SCH_BOOL: return "true or false";
    case AK_SCH_STRING: return "a string";
    case AK_SCH_ENUM: return "one of";
    case AK_SCH_INT_LIST: return "a list of integers";
    case AK_SCH_FLOAT_LIST: return "a list of floats";
    case AK_SCH_STRING_LIST: return "a list of strings";
    }
    return "?";
}

static const char *kind_name(const ak_cfg_node *n) {
    if (n->kind == AK_CFG_MAP)
        return "a map";
    if (n->kind == AK_CFG_SEQ)
        return "a list";
    return n->quoted ? "a quoted string" : "a scalar";
}

static int key_error(walk *w, int code, const char *path, const ak_cfg_node *at, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int key_error(walk *w, int code, const char *path, const ak_cfg_node *at, const char *fmt, ...) {
    char where[600], what[700];
    ak_cfg_where(where, sizeof where, at->file, at->line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return ak_error_set(w->err, code, "key '%s' in %s: %s", path, where, what);
}

static void fmt_bound(double v, int lo, char *buf, size_t n) {
    if (lo && v == -HUGE_VAL)
        snprintf(buf, n, "-inf");
    else if (!lo && v == HUGE_VAL)
        snprintf(buf, n, "inf");
    else
        snprintf(buf, n, "%g", v);
}

static int range_check(walk *w, const ak_schema_key *k, const char *path, const ak_cfg_node *at, double v) {
    int bad = ((k->flags & AK_SCH_LO) && ((k->flags & AK_SCH_LO_OPEN) ? v <= k->lo : v < k->lo)) ||
              ((k->flags & AK_SCH_HI) && ((k->flags & AK_SCH_HI_OPEN) ? v >= k->hi : v > k->hi));
    if (!bad)
        return AK_OK;
    char lo[32], hi[32];
    fmt_bound((k->flags & AK_SCH_LO) ? k->lo : -HUGE_VAL, 1, lo, sizeof lo);
    fmt_bound((k->flags & AK_SCH_HI) ? k->hi : HUGE_VAL, 0, hi, sizeof hi);
    return key_error(w, AK_ERANGE, path, at, "%s is out of range %c%s, %s%c", at->text,
                     (k->flags & AK_SCH_LO_OPEN) || !(k->flags & AK_SCH_LO) ? '(' : '[', lo, hi,
                     (k->flags & AK_SCH_HI_OPEN) || !(k->flags & AK_SCH_HI) ? ')' : ']');
}

const char *ak_schema_choices(const ak_schema_key *k, char *buf, size_t n) {
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < k->n_choices && off < n; i++)
        off += (size_t)snprintf(buf + off, n - off, "%s%s", i ? "|" : "", k->choices[i]);
    return buf;
}

/* ---- one scalar value ---- */

typedef union value {
    int i;
    double d;
    bool b;
} value;

/* Checks the scalar `n` as element type `t` of key k, rewrites it canonically (apply mode) and
 * returns the value (strings are left in n->text). */
static int scalar_value(walk *w, const ak_schema_key *k, ak_sch_type t, const char *path, ak_cfg_node *n, value *v) {
    char choices[512];
    if (t == AK_SCH_ENUM)
        ak_schema_choices(k, choices, sizeof choices);
    if (n->kind != AK_CFG_SCALAR) {
        if (t == AK_SCH_ENUM)
            return key_error(w, AK_EINVAL, path, n, "expected one of %s, got %s", choices, kind_name(n));
        return key_error(w, AK_EINVAL, path, n, "expected %s, got %s", type_name(t), kind_name(n));
    }
    char canon[64];
    const char *text = n->text;
    int quoted = 0;
    long long ll;
    switch (t) {
    case AK_SCH_INT:
        if (n->quoted || !parse_int(text, &ll))
            return key_error(w, AK_EINVAL, path, n, "expected an integer, got %s'%s'", n->quoted ? "the string " : "",
                             text);
        if (ll < INT_MIN || ll > INT_MAX)
            return key_error(w, AK_ERANGE, path, n, "%s does not fit in an int", text);
        AK_TRY(range_check(w, k, path, n, (double)ll));
        v->i = (int)ll;
        snprintf(canon, sizeof canon, "%d", v->i);
        text = canon;
        break;
    case AK_SCH_FLOAT:
        if (n->quoted || !parse_float(text, &v->d))
            return key_error(w, AK_EINVAL, path, n, "expected a float, got %s'%s'", n->quoted ? "the string " : "",
                             text);
        AK_TRY(range_check(w, k, path, n, v->d));
        fmt_double(v->d, canon, sizeof canon);
        text = canon;
        break;
    case AK_SCH_BOOL:
        if (n->quoted || !parse_bool(text, &v->b))
            return key_error(w, AK_EINVAL, path, n, "expected true or false, got %s'%s'",
                             n->quoted ? "the string " : "", text);
        text = v->b ? "true" : "false";
        break;
    case AK_SCH_STRING:
        if (!n->quoted && is_null(text))
            text = "";
        quoted = !*text || looks_typed(text);
        break;
    case AK_SCH_ENUM: {
        const char *best = NULL;
        int best_d = INT_MAX;
        for (int i = 0; i < k->n_choices; i++) {
            if (!strcmp(k->choices[i], text)) {
                v->i = i;
                quoted = looks_typed(text);
                goto done;
            }
            int d = ak_edit_distance(k->choices[i], text);
            if (d < best_d) {
                best_d = d;
                best = k->choices[i];
            }
        }
        if (best && best_d <= 2)
            return key_error(w, AK_EINVAL, path, n, "'%s' is not one of %s (did you mean '%s'?)", text, choices, best);
        return key_error(w, AK_EINVAL, path, n, "'%s' is not one of %s", text, choices);
    }
    default: return key_error(w, AK_EINVAL, path, n, "schema error: nested list type");
    }
done:
    if (w->cfg)
        AK_TRY(ak_cfg_scalar_set(w->cfg, n, text, quoted, w->err));
    return AK_OK;
}

static ak_sch_type elem_type(ak_sch_type t) {
    return t == AK_SCH_INT_LIST ? AK_SCH_INT : t == AK_SCH_FLOAT_LIST ? AK_SCH_FLOAT : AK_SCH_STRING;
}

static int leaf(walk *w, const ak_schema_key *k, ak_cfg_node *n) {
    unsigned char *dst = w->out ? (unsigned char *)w->out + k->offset : NULL;
    value v;
    if (k->type == AK_SCH_INT_LIST || k->type == AK_SCH_FLOAT_LIST || k->type == AK_SCH_STRING_LIST) {
        int max = k->len_max ? k->len_max : AK_CFG_LIST_MAX;
        if (n->kind != AK_CFG_SEQ)
            return key_error(w, AK_EINVAL, k->path, n, "expected %s such as [%s], got %s", type_name(k->type),
                             k->type == AK_SCH_STRING_LIST ? "a, b" : "1, 2", kind_name(n));
        if (n->n < k->len_min || n->n > max) {
            if (k->len_min == max)
                return key_error(w, AK_EINVAL, k->path, n, "expected exactly %d elements, got %d", max, n->n);
            return key_error(w, AK_EINVAL, k->path, n, "expected %d to %d elements, got %d", k->len_min, max, n->n);
        }
        for (int i = 0; i < n->n; i++) {
            char path[300];
            snprintf(path, sizeof path, "%s[%d]", k->path, i);
            ak_cfg_node *item = n->items[i];
            AK_TRY(scalar_value(w, k, elem_type(k->type), path, item, &v));
            if (k->type == AK_SCH_STRING_LIST && strlen(item->text) >= AK_CFG_NAME_LEN)
                return key_error(w, AK_EINVAL, path, item, "longer than %d characters", AK_CFG_NAME_LEN - 1);
            if (!dst)
                continue;
            if (k->type == AK_SCH_INT_LIST)
                ((ak_cfg_int_list *)dst)->v[i] = v.i;
            else if (k->type == AK_SCH_FLOAT_LIST)
                ((ak_cfg_float_list *)dst)->v[i] = v.d;
            else
                snprintf(((ak_cfg_str_list *)dst)->v[i], AK_CFG_NAME_LEN, "%s", item->text);
        }
        if (dst)
            *(int *)dst = n->n; /* every list struct starts with its count */
        return AK_OK;
    }
    AK_TRY(scalar_value(w, k, k->type, k->path, n, &v));
    const char *str = (!n->quoted && is_null(n->text)) ? "" : n->text;
    if (k->type == AK_SCH_STRING && strlen(str) >= k->size)
        return key_error(w, AK_EINVAL, k->path, n, "longer than %zu characters", k->size - 1);
    if (!dst)
        return AK_OK;
    switch (k->type) {
    case AK_SCH_INT:
    case AK_SCH_ENUM: *(int *)dst = v.i; break;
    case AK_SCH_FLOAT: *(double *)dst = v.d; break;
    case AK_SCH_BOOL: *(bool *)dst = v.b; break;
    case AK_SCH_STRING: memcpy(dst, str, strlen(str) + 1); break;
    default: break;
    }
    return AK_OK;
}

/* ---- key lookup and suggestions ---- */

const ak_schema_key *ak_schema_find(const ak_schema *s, const char *path) {
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->keys[i].path, path))
            return &s->keys[i];
    return NULL;
}

/* Is `path` a proper prefix (section) of some key? Returns that key for the message. */
static const ak_schema_key *section_of(const ak_schema *s, const char *path) {
    size_t len = strlen(path);
    for (int i = 0; i < s->n; i++)
        if (!strncmp(s->keys[i].path, path, len) && s->keys[i].path[len] == '.')
            return &s->keys[i];
    return NULL;
}

int ak_edit_distance(const char *a, const char *b) {
    enum { MAX = 128 };
    size_t n = strlen(a), m = strlen(b);
    if (n >= MAX || m >= MAX)
        return INT_MAX / 2;
    int d[MAX][MAX];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int cost = a[i - 1] != b[j - 1];
            int best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[n][m];
}

static const char *last_part(const char *p) {
    const char *dot = strrchr(p, '.');
    return dot ? dot + 1 : p;
}

/* The leaf whose last component equals path's last component, closest by full path ('train.lr'
 * -> 'optim.lr'); NULL if none. */
static const char *same_last(const ak_schema *s, const char *path, int *dist) {
    const char *best = NULL;
    *dist = INT_MAX;
    for (int i = 0; i < s->n; i++) {
        const char *kp = s->keys[i].path;
        if (strcmp(last_part(kp), last_part(path)) != 0)
            continue;
        int d = ak_edit_distance(kp, path);
        if (d < *dist) {
            *dist = d;
            best = kp;
        }
    }
    return best;
}

static int threshold(const char *path) {
    int t = (int)strlen(path) / 4;
    return t < 2 ? 2 : t;
}

/* Closest prefix of a known key at the depth of `path`, so that 'modle' suggests the section
 * 'model' and 'model.student.bakbone' the key 'model.student.backbone'. */
static const char *closest_at_depth(const ak_schema *s, const char *path, size_t *len_out, int *dist) {
    int depth = 0;
    for (const char *p = path; *p; p++)
        depth += *p == '.';
    const char *best = NULL;
    *dist = INT_MAX;
    for (int i = 0; i < s->n; i++) {
        const char *kp = s->keys[i].path;
        size_t len = 0;
        int dots = 0;
        while (kp[len] && !(kp[len] == '.' && dots++ == depth))
            len++;
        char pre[256];
        if (len >= sizeof pre)
            continue;
        memcpy(pre, kp, len);
        pre[len] = '\0';
        int d = ak_edit_distance(pre, path);
        if (d < *dist) {
            *dist = d;
            best = kp;
            *len_out = len;
        }
    }
    return best;
}

/* A near-miss spelling (distance <= 1) wins; then a key with the same last component; then any
 * spelling within the threshold (a quarter of the length, at least 2). */
void ak_schema_suggest(const ak_schema *s, const char *path, char *buf, size_t n) {
    size_t len = 0;
    int d_depth, d_last;
    const char *near = closest_at_depth(s, path, &len, &d_depth);
    const char *last = same_last(s, path, &d_last);
    buf[0] = '\0';
    if (near && d_depth <= 1)
        snprintf(buf, n, "%.*s", (int)len, near);
    else if (last)
        snprintf(buf, n, "%s", last);
    else if (near && d_depth <= threshold(path))
        snprintf(buf, n, "%.*s", (int)len, near);
}

/* ---- the walk ---- */

static int walk_map(walk *w, ak_cfg_node *map, const char *prefix) {
    for (int i = 0; i < map->n; i++) {
        ak_cfg_entry *e = &map->entries[i];
        char path[256];
        if (snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", e->key) >= (int)sizeof path)
            return ak_error_set(w->err, AK_EINVAL, "key '%.100s...' in %s line %d: too long", path, e->file, e->line);
        const ak_schema_key *k = ak_schema_find(w->s, path);
        if (k) {
            AK_TRY(leaf(w, k, e->val));
            continue;
        }
        const ak_schema_key *sec = section_of(w->s, path);
        if (sec) {
            if (e->val->kind != AK_CFG_MAP)
                return key_error(w, AK_EINVAL, path, e->val, "expected a map of settings (such as '%s'), got %s",
                                 sec->path, kind_name(e->val));
            AK_TRY(walk_map(w, e->val, path));
            continue;
        }
        char where[600], sug[256];
        ak_cfg_where(where, sizeof where, e->file, e->line);
        ak_schema_suggest(w->s, path, sug, sizeof sug);
        if (sug[0])
            return ak_error_set(w->err, AK_EINVAL, "unknown key '%s' in %s (did you mean '%s'?)", path, where, sug);
        return ak_error_set(w->err, AK_EINVAL, "unknown key '%s' in %s", path, where);
    }
    return AK_OK;
}

/* Insert the default of k (path sections created as maps). */
static int fill_default(walk *w, const ak_schema_key *k, ak_cfg_node *root) {
    ak_cfg_node *cur = root;
    char part[256];
    const char *p = k->path;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        snprintf(part, sizeof part, "%.*s", (int)len, p);
        ak_cfg_entry *e = ak_cfg_map_find(cur, part);
        if (!dot) {
            if (e) /* present: validated by the walk */
                return AK_OK;
            if (!k->def) {
                char where[600];
                ak_cfg_where(where, sizeof where, root->file, 0);
                return ak_error_set(w->err, AK_EINVAL, "missing required key '%s' in %s (%s)", k->path, where, k->doc);
            }
            ak_cfg_node *v = ak_cfg_parse_value(w->cfg, k->def, "(default)", w->err);
            if (!v)
                return w->err ? w->err->code : AK_EINVAL;
            AK_TRY(leaf(w, k, v));
            return ak_cfg_map_put(w->cfg, cur, part, v, "(default)", 0, 0, w->err);
        }
        if (!e) {
            ak_cfg_node *m = ak_cfg_new_map(w->cfg, "(default)", 0, 0);
            if (!m)
                return ak_error_set(w->err, AK_ENOMEM, "config: out of memory");
            AK_TRY(ak_cfg_map_put(w->cfg, cur, part, m, "(default)", 0, 0, w->err));
            e = ak_cfg_map_find(cur, part);
        }
        cur = e->val; /* a map: the walk rejected anything else */
        p = dot + 1;
    }
}

int ak_schema_apply(const ak_schema *s, ak_cfg *cfg, void *out, ak_error *err) {
    walk w = {s, cfg, out, err};
    ak_cfg_node *root = ak_cfg_root(cfg);
    AK_TRY(walk_map(&w, root, ""));
    for (int i = 0; i < s->n; i++)
        AK_TRY(fill_default(&w, &s->keys[i], root));
    return AK_OK;
}

int ak_schema_check(const ak_schema *s, const ak_cfg_node *root, ak_error *err) {
    walk w = {s, NULL, NULL, err};
    if (root->kind != AK_CFG_MAP)
        return ak_error_set(err, AK_EINVAL, "%s: a config must be a map", root->file);
    return walk_map(&w, (ak_cfg_node *)root, "");
}

void ak_schema_print(const ak_schema *s, FILE *f) {
    for (int i = 0; i < s->n; i++) {
        const ak_schema_key *k = &s->keys[i];
        char range[96] = "";
        if (k->flags & (AK_SCH_LO | AK_SCH_HI)) {
            char lo[32], hi[32];
            fmt_bound((k->flags & AK_SCH_LO) ? k->lo : -HUGE_VAL, 1, lo, sizeof lo);
            fmt_bound((k->flags & AK_SCH_HI) ? k->hi : HUGE_VAL, 0, hi, sizeof hi);
            snprintf(range, sizeof range, " %c%s, %s%c",
                     (k->flags & AK_SCH_LO_OPEN) || !(k->flags & AK_SCH_LO) ? '(' : '[', lo, hi,
                     (k->flags & AK_SCH_HI_OPEN) || !(k->flags & AK_SCH_HI) ? ')' : ']');
        }
        char choices[512];
        const char *type = k->type == AK_SCH_ENUM ? ak_schema_choices(k, choices, sizeof choices) : type_name(k->type);
        fprintf(f, "%-34s %s%s = %s\n%36s%s\n", k->path, type, range, k->def ? k->def : "(required)", "", k->doc);
    }
}
