/* Variant labels and ablation tables (see table.h): within each block of main-table rows that share
 * (family, kind, distiller, inherit), find the config keys whose values differ between the rows,
 * label each row with them, order the rows by those values, and make each such distiller block an
 * ablation table over exactly those keys. */
#include <stdlib.h>
#include <string.h>

#include "reports/strbuf.h"
#include "reports/table_internal.h"

static int oom(ak_error *err) { return ak_error_set(err, AK_ENOMEM, "out of memory building the ablation tables"); }

static bool same_block(const ak_report_row *a, const ak_report_row *b) {
    return a->family == b->family && a->kind == b->kind && strcmp(a->method, b->method) == 0 &&
           strcmp(a->inherit, b->inherit) == 0;
}

/* The group whose config names the row: w/ Avatars when there is one. */
static int defining_group(const ak_report_row *r) { return r->on >= 0 ? r->on : r->off; }

static const char *leaf_of(const ak_report_tables *t, int g, const char *key) {
    if (g < 0)
        return NULL;
    const ak_report_group *G = &t->groups[g];
    if (ak_rep_ignored_key(key, G->avatars))
        return NULL;
    return ak_report_run_get(&t->sweep->runs[G->rep], key);
}

typedef struct block {
    int n_rows, *rows;
    int n_keys;
    const char **keys; /* borrowed from the runs' leaves */
} block;

/* Keys relevant to some row of the block whose values are not all equal. */
static int varying_keys(const ak_report_tables *t, block *b, ak_error *err) {
    int cap = 0;
    for (int i = 0; i < b->n_rows; i++) {
        int g = defining_group(&t->rows[b->rows[i]]);
        if (g < 0)
            continue;
        const ak_report_run *rep = &t->sweep->runs[t->groups[g].rep];
        for (int k = 0; k < rep->n_kv; k++) {
            const char *key = rep->kv[k].key;
            if (strcmp(key, "akd.enabled") == 0 || ak_rep_ignored_key(key, t->groups[g].avatars))
                continue;
            bool known = false;
            for (int j = 0; j < b->n_keys && !known; j++)
                known = strcmp(b->keys[j], key) == 0;
            if (known)
                continue;
            const char *first = NULL;
            bool varies = false;
            for (int j = 0; j < b->n_rows && !varies; j++) {
                const char *v = leaf_of(t, defining_group(&t->rows[b->rows[j]]), key);
                if (!v)
                    v = "(unset)";
                if (!first)
                    first = v;
                else
                    varies = strcmp(first, v) != 0;
            }
            if (!varies)
                continue;
            if (!ak_rep_grow((void **)&b->keys, &cap, b->n_keys, sizeof *b->keys))
                return oom(err);
            b->keys[b->n_keys++] = key;
        }
    }
    /* key order (the runs' leaves are sorted, but keys can come from different runs) */
    for (int i = 1; i < b->n_keys; i++)
        for (int j = i; j > 0 && strcmp(b->keys[j - 1], b->keys[j]) > 0; j--) {
            const char *tmp = b->keys[j];
            b->keys[j] = b->keys[j - 1];
            b->keys[j - 1] = tmp;
        }
    return AK_OK;
}

static const char *value_in(const ak_report_tables *t, const ak_report_row *r, const char *key) {
    const char *v = leaf_of(t, defining_group(r), key);
    return v ? v : "(unset)";
}

static int row_cmp(const ak_report_tables *t, const block *b, int x, int y) {
    for (int k = 0; k < b->n_keys; k++) {
        int c = ak_rep_value_cmp(value_in(t, &t->rows[x], b->keys[k]), value_in(t, &t->rows[y], b->keys[k]));
        if (c)
            return c;
    }
    return 0;
}

static int label_rows(ak_report_tables *t, const block *b, ak_error *err) {
    for (int i = 0; i < b->n_rows; i++) {
        ak_report_row *r = &t->rows[b->rows[i]];
        ak_sb s = {0}, off = {0};
        for (int k = 0; k < b->n_keys; k++) {
            ak_sb_appendf(&s, "%s%s=%s", k ? ", " : "", b->keys[k], value_in(t, r, b->keys[k]));
            if (strncmp(b->keys[k], "akd.", 4) != 0)
                ak_sb_appendf(&off, "%s%s=%s", off.len ? ", " : "", b->keys[k], value_in(t, r, b->keys[k]));
        }
        if (s.oom || off.oom) {
            ak_sb_free(&s);
            ak_sb_free(&off);
            return oom(err);
        }
        if (s.s) {
            free(r->variant);
            r->variant = s.s;
        }
        if (off.s) {
            free(r->variant_off);
            r->variant_off = off.s;
        }
    }
    return AK_OK;
}

/* Reorder the block's rows in place (they keep their slots in the main table). */
static int sort_block(ak_report_tables *t, block *b, ak_error *err) {
    int *order = malloc((size_t)b->n_rows * sizeof *order);
    ak_report_row *copy = malloc((size_t)b->n_rows * sizeof *copy);
    if (!order || !copy) {
        free(order);
        free(copy);
        return oom(err);
    }
    for (int i = 0; i < b->n_rows; i++)
        order[i] = b->rows[i];
    for (int i = 1; i < b->n_rows; i++) /* insertion sort: stable, and blocks are small */
        for (int j = i; j > 0 && row_cmp(t, b, order[j - 1], order[j]) > 0; j--) {
            int tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    for (int i = 0; i < b->n_rows; i++)
        copy[i] = t->rows[order[i]];
    for (int i = 0; i < b->n_rows; i++)
        t->rows[b->rows[i]] = copy[i];
    free(order);
    free(copy);
    return AK_OK;
}

static int add_ablation(ak_report_tables *t, const block *b, int *cap, ak_error *err) {
    if (!ak_rep_grow((void **)&t->ablations, cap, t->n_ablations, sizeof *t->ablations))
        return oom(err);
    ak_report_ablation *a = &t->ablations[t->n_ablations++];
    memset(a, 0, sizeof *a);
    const ak_report_row *r0 = &t->rows[b->rows[0]];
    a->family = r0->family;
    memcpy(a->method, r0->method, sizeof a->method);
    memcpy(a->inherit, r0->inherit, sizeof a->inherit);
    a->keys = calloc((size_t)b->n_keys, sizeof *a->keys);
    a->rows = malloc((size_t)b->n_rows * sizeof *a->rows);
    a->values = calloc((size_t)(b->n_rows * b->n_keys), sizeof *a->values);
    if (!a->keys || !a->rows || !a->values)
        return oom(err);
    for (int k = 0; k < b->n_keys; k++) {
        a->n_keys = k + 1;
        if (!(a->keys[k] = strdup(b->keys[k])))
            return oom(err);
    }
    a->n_rows = b->n_rows;
    for (int i = 0; i < b->n_rows; i++) {
        a->rows[i] = b->rows[i];
        for (int k = 0; k < b->n_keys; k++)
            if (!(a->values[i * b->n_keys + k] = strdup(value_in(t, &t->rows[b->rows[i]], b->keys[k]))))
                return oom(err);
    }
    return AK_OK;
}

int ak_rep_variants(ak_report_tables *t, ak_error *err) {
    bool *seen = calloc((size_t)(t->n_rows ? t->n_rows : 1), sizeof *seen);
    int *rows = malloc((size_t)(t->n_rows ? t->n_rows : 1) * sizeof *rows);
    int rc = seen && rows ? AK_OK : oom(err), acap = 0;
    for (int i = 0; rc == AK_OK && i < t->n_rows; i++) {
        if (seen[i] || t->rows[i].teacher_eval_run >= 0)
            continue;
        block b = {0, rows, 0, NULL};
        for (int j = i; j < t->n_rows; j++)
            if (!seen[j] && t->rows[j].teacher_eval_run < 0 && same_block(&t->rows[i], &t->rows[j])) {
                seen[j] = true;
                b.rows[b.n_rows++] = j;
            }
        if (b.n_rows > 1 && (rc = varying_keys(t, &b, err)) == AK_OK && b.n_keys > 0 &&
            (rc = sort_block(t, &b, err)) == AK_OK && (rc = label_rows(t, &b, err)) == AK_OK &&
            t->rows[i].kind == AK_ROW_DISTILL)
            rc = add_ablation(t, &b, &acap, err);
        free(b.keys);
    }
    free(seen);
    free(rows);
    return rc;
}
