/* Helpers shared by the dataset tests: scratch folders, small files, message checks. Header-only
 * (static functions) because tests/<label>/ holds one executable per test_*.c. */
#ifndef AK_DS_UTIL_H
#define AK_DS_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "akscratch.h"
#include "aktest.h"

/* A fresh folder under /tmp (caller frees the string). */
static inline char *ds_tmpdir(void) {
    char t[64];
    ak_scratch_tmp(t, sizeof t, "ds");
    return strdup(t);
}

/* rm -r (only used on folders made by ds_tmpdir). */
static inline void ds_rmtree(const char *path) { ak_scratch_remove(path); }

static inline void ds_write(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert(fwrite(data, 1, n, f) == n);
    fclose(f);
}

static inline void ds_write_text(const char *path, const char *text) { ds_write(path, text, strlen(text)); }

/* Read a whole file (caller frees). */
static inline unsigned char *ds_read(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    ck_assert(fread(b, 1, (size_t)len, f) == (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

static inline char *ds_path(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Fail unless `msg` contains every one of the NULL-terminated needles. */
#define ds_assert_msg_has(code, want_code, msg, ...)                                                          \
    do {                                                                                                     \
        const char *needles_[] = {__VA_ARGS__, NULL};                                                        \
        ck_assert_msg((code) == (want_code), "code %d (%s), expected %d; message: %s", (code),              \
                      ak_strerror(code), (want_code), (msg));                                                \
        for (int k_ = 0; needles_[k_]; k_++)                                                                 \
            ck_assert_msg(strstr((msg), needles_[k_]) != NULL, "message lacks '%s': %s", needles_[k_], (msg)); \
    } while (0)

#endif
