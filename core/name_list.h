/* A bounded list of names for error messages ("3 missing [a, b, ...]"): the first names that fit
 * are kept as text, the rest only counted, so a mismatch of thousands of keys still gives a
 * readable one-line message. Plain struct, zero-initialise it; no allocation, no errors.
 */
#ifndef AK_CORE_NAME_LIST_H
#define AK_CORE_NAME_LIST_H

#include <stddef.h>

typedef struct ak_name_list {
    char text[320];
    int n, shown; /* names added / names in text */
} ak_name_list;

/* Add one printf-formatted name. The first name is always kept (cut to fit); later ones only while
 * they fit. */
void ak_name_list_add(ak_name_list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append "N what [names, ...]" to the NUL-terminated buf (with "; " after earlier text); nothing when
 * the list is empty. */
void ak_name_list_emit(char *buf, size_t len, const char *what, const ak_name_list *l);

#endif
