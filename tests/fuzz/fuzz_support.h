/* Shared by the fuzz targets tests/fuzz/fuzz_<parser>.c.
 *
 * Each target defines one function `int ak_fuzz_<target>(const uint8_t *data, size_t size, ak_error *err)`
 * that feeds the bytes to a parser of outside input, checks the invariants every result must satisfy
 * (AK_FUZZ_CHECK: a violation prints the reason and aborts, which libFuzzer reports as a crash), and
 * returns the parser's status. AK_FUZZ_ENTRY(fn) then defines libFuzzer's LLVMFuzzerTestOneInput on
 * top of it, unless AK_FUZZ_REPLAY is defined: the replay test (tests/fault/test_fuzz_regressions.c)
 * includes every target's source with AK_FUZZ_REPLAY and calls the functions directly, without
 * libFuzzer, so any compiler (gcc in CI) replays the corpus and the regression inputs.
 *
 * Parsers that only read files get the bytes through ak_fuzz_temp_file(): one file per target and
 * process, rewritten for every input, under $AK_FUZZ_TMPDIR, else /dev/shm, else /tmp, removed at exit.
 *
 * Test code only: the static state below (temp paths) is per process and never shared with the
 * library.
 */
#ifndef AK_FUZZ_SUPPORT_H
#define AK_FUZZ_SUPPORT_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"

#define AK_FUZZ_CHECK(cond, ...)                                                     \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "fuzz invariant violated at %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                            \
            fprintf(stderr, "\n");                                                   \
            abort();                                                                 \
        }                                                                            \
    } while (0)

#ifdef AK_FUZZ_REPLAY
#define AK_FUZZ_ENTRY(fn)
#else
#define AK_FUZZ_ENTRY(fn)                                                            \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);                    \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {                   \
        ak_error err;                                                                \
        ak_error_clear(&err);                                                        \
        (void)fn(data, size, &err);                                                  \
        return 0;                                                                    \
    }
#endif

#define AK_FUZZ_MAX_TEMPS 8

typedef struct ak_fuzz_temps {
    int n;
    char tags[AK_FUZZ_MAX_TEMPS][64];
    char paths[AK_FUZZ_MAX_TEMPS][512];
} ak_fuzz_temps;

static ak_fuzz_temps ak_fuzz_temps_list;

static inline void ak_fuzz_remove_temps(void) {
    for (int i = 0; i < ak_fuzz_temps_list.n; i++)
        unlink(ak_fuzz_temps_list.paths[i]);
}

/* The temp path for `tag` ("coco.json", "run.h5"), created on first use and removed at exit. */
static inline const char *ak_fuzz_temp_path(const char *tag) {
    for (int i = 0; i < ak_fuzz_temps_list.n; i++)
        if (strcmp(ak_fuzz_temps_list.tags[i], tag) == 0)
            return ak_fuzz_temps_list.paths[i];
    if (ak_fuzz_temps_list.n == AK_FUZZ_MAX_TEMPS) {
        fprintf(stderr, "fuzz: too many temp files\n");
        abort();
    }
    const char *dir = getenv("AK_FUZZ_TMPDIR");
    if (!dir || !*dir)
        dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    if (ak_fuzz_temps_list.n == 0)
        atexit(ak_fuzz_remove_temps);
    snprintf(ak_fuzz_temps_list.tags[ak_fuzz_temps_list.n], sizeof ak_fuzz_temps_list.tags[0], "%s", tag);
    char *p = ak_fuzz_temps_list.paths[ak_fuzz_temps_list.n++];
    snprintf(p, sizeof ak_fuzz_temps_list.paths[0], "%s/akfuzz%d-%s", dir, (int)getpid(), tag);
    return p;
}

/* Write the input to the temp file of `tag`; returns its path. Aborts if the file cannot be written
 * (a broken test machine, not a finding). */
static inline const char *ak_fuzz_temp_file(const char *tag, const uint8_t *data, size_t size) {
    const char *path = ak_fuzz_temp_path(tag);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        fprintf(stderr, "fuzz: cannot create %s: %s\n", path, strerror(errno));
        abort();
    }
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) {
            fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
            abort();
        }
        done += (size_t)w;
    }
    close(fd);
    return path;
}

/* A NUL-terminated copy of the input (text parsers). The caller frees it. */
static inline char *ak_fuzz_text(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* The invariants of every failure: a known negative code, recorded in err, with a message that names
 * `name` (the file or buffer the input came from). */
static inline void ak_fuzz_check_failure(int rc, const ak_error *err, const char *name) {
    AK_FUZZ_CHECK(rc < 0 && rc >= AK_ESTATE, "status %d is not an ak_code", rc);
    AK_FUZZ_CHECK(err->code == rc, "err.code %d differs from the returned %d (%s)", err->code, rc, err->msg);
    AK_FUZZ_CHECK(err->msg[0] != '\0', "empty error message for status %d", rc);
    AK_FUZZ_CHECK(!name || strstr(err->msg, name), "the message does not name %s: %s", name, err->msg);
}

#endif
