/* Canonical YAML text of a config tree, written by libyaml's emitter (never by hand, so quoting is
 * always valid YAML). Canonical = keys sorted bytewise at every level, block maps, flow sequences
 * when every item is a scalar, unlimited line width, unicode kept as is.
 *
 * Scalar style: plain unless the node is `quoted`, then single-quoted. libyaml falls back from plain
 * to single quotes and from single to double quotes when a style cannot represent the text; because
 * both paths end at the same style for the same text, dump -> load -> dump is the identity. */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "store/config.h"

typedef struct outbuf {
    char *data;
    size_t len, cap;
    int oom;
} outbuf;

static int write_handler(void *data, unsigned char *buffer, size_t size) {
    outbuf *o = data;
    if (o->len + size + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + size + 1)
            cap *= 2;
        char *p = realloc(o->data, cap);
        if (!p) {
            o->oom = 1;
            return 0;
        }
        o->data = p;
        o->cap = cap;
    }
    memcpy(o->data + o->len, buffer, size);
    o->len += size;
    o->data[o->len] = '\0';
    return 1;
}

static int cmp_entry(const void *a, const void *b) {
    const ak_cfg_entry *x = *(const ak_cfg_entry *const *)a, *y = *(const ak_cfg_entry *const *)b;
    return strcmp(x->key, y->key);
}

static int emit(yaml_emitter_t *em, yaml_event_t *ev) { return yaml_emitter_emit(em, ev); }

static int emit_scalar(yaml_emitter_t *em, const char *text, int quoted) {
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), 1, 1,
                                      quoted ? YAML_SINGLE_QUOTED_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE))
        return 0;
    return emit(em, &ev);
}

static int skipped(const char *key, const char *const *skip) {
    for (; skip && *skip; skip++)
        if (strcmp(*skip, key) == 0)
            return 1;
    return 0;
}

static int emit_node(yaml_emitter_t *em, const ak_cfg_node *n, const char *const *skip_top) {
    yaml_event_t ev;
    if (n->kind == AK_CFG_SCALAR)
        return emit_scalar(em, n->text, n->quoted);
    if (n->kind == AK_CFG_SEQ) {
        int flow = 1;
        for (int i = 0; i < n->n; i++)
            flow &= n->items[i]->kind == AK_CFG_SCALAR;
        if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                                  flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE) ||
            !emit(em, &ev))
            return 0;
        for (int i = 0; i < n->n; i++)
            if (!emit_node(em, n->items[i], NULL))
                return 0;
        return yaml_sequence_end_event_initialize(&ev) && emit(em, &ev);
    }
    const ak_cfg_entry **sorted = malloc((size_t)(n->n ? n->n : 1) * sizeof *sorted);
    if (!sorted)
        return 0;
    int m = 0;
    for (int i = 0; i < n->n; i++)
        if (!skipped(n->entries[i].key, skip_top))
            sorted[m++] = &n->entries[i];
    qsort(sorted, (size_t)m, sizeof *sorted, cmp_entry);
    int ok = yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) && emit(em, &ev);
    for (int i = 0; ok && i < m; i++)
        ok = emit_scalar(em, sorted[i]->key, 0) && emit_node(em, sorted[i]->val, NULL);
    free(sorted);
    return ok && yaml_mapping_end_event_initialize(&ev) && emit(em, &ev);
}

char *ak_cfg_dump(const ak_cfg_node *node, const char *const *skip_top, ak_error *err) {
    yaml_emitter_t em;
    if (!yaml_emitter_initialize(&em)) {
        ak_error_set(err, AK_ENOMEM, "config: cannot initialise the YAML emitter");
        return NULL;
    }
    outbuf out = {NULL, 0, 0, 0};
    yaml_emitter_set_output(&em, write_handler, &out);
    yaml_emitter_set_unicode(&em, 1);
    yaml_emitter_set_width(&em, -1);
    yaml_emitter_set_indent(&em, 2);
    yaml_emitter_set_break(&em, YAML_LN_BREAK);
    yaml_event_t ev;
    int ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && emit(&em, &ev) &&
             yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) && emit(&em, &ev) &&
             emit_node(&em, node, skip_top) && yaml_document_end_event_initialize(&ev, 1) && emit(&em, &ev) &&
             yaml_stream_end_event_initialize(&ev) && emit(&em, &ev) && yaml_emitter_flush(&em);
    if (!ok) {
        ak_error_set(err, out.oom ? AK_ENOMEM : AK_EFORMAT, "config: cannot write YAML: %s",
                     em.problem ? em.problem : (out.oom ? "out of memory" : "invalid text (not UTF-8?)"));
        free(out.data);
        out.data = NULL;
    }
    yaml_emitter_delete(&em);
    return out.data;
}
