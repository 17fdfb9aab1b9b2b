/* See name_list.h. */
#include "core/name_list.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ak_name_list_add(ak_name_list *l, const char *fmt, ...) {
    char item[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(item, sizeof item, fmt, ap);
    va_end(ap);
    const size_t used = strlen(l->text);
    if (used + strlen(item) + 3 < sizeof l->text || l->shown == 0) {
        snprintf(l->text + used, sizeof l->text - used, "%s%s", l->shown ? ", " : "", item);
        l->shown++;
    }
    l->n++;
}

void ak_name_list_emit(char *buf, size_t len, const char *what, const ak_name_list *l) {
    if (l->n == 0 || len == 0)
        return;
    const size_t used = strlen(buf);
    if (used < len)
        snprintf(buf + used, len - used, "%s%d %s [%s%s]", used ? "; " : "", l->n, what, l->text,
                 l->n > l->shown ? ", ..." : "");
}
