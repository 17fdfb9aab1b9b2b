/* A growable NUL-terminated string for the report code (config keys, labels, run-id lists).
 * Allocation failure is sticky: `oom` is set, later appends do nothing, and the owner checks it
 * once at the end. Ownership: the buffer owns `s` until ak_sb_free (or the caller takes `s`). */
#ifndef AK_REPORTS_STRBUF_H
#define AK_REPORTS_STRBUF_H

#include <stddef.h>

typedef struct ak_sb {
    char *s;    /* NUL-terminated; NULL before the first append */
    size_t len, cap;
    int oom;
} ak_sb;

void ak_sb_append(ak_sb *b, const char *text);
void ak_sb_appendf(ak_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text so far ("" when empty); owned by b. */
const char *ak_sb_str(const ak_sb *b);
void ak_sb_free(ak_sb *b);

#endif
