/* Replays the fuzz corpora through the fuzz targets' own entry points, compiled here without
 * libFuzzer (AK_FUZZ_REPLAY; see tests/fuzz/fuzz_support.h), so CI's gcc build and the ASan build
 * run every input that ever crashed a parser:
 *   tests/fuzz/corpus/<target>/       the seeds: valid files, each must parse (AK_OK);
 *   tests/fuzz/regressions/<target>/  inputs found by fuzzing (crashes, hangs, invariant
 *       violations, since fixed); tests/fuzz/regressions/<target>/EXPECTED lists each with the status
 *       it must give now and a piece of the message ("NAME CODE text..."), and every file in the
 *       folder must be listed there. CODE "LIBCRASH" marks an input that crashes a third-party
 *       library (libhdf5 1.10) inside a call we cannot guard: it is replayed in a forked child,
 *       which must not come back normally (when it does, the library was fixed: update EXPECTED).
 * The targets check their invariants themselves (an AK_FUZZ_CHECK failure aborts, which fails the
 * test with the reason on stderr). */
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aktest.h"

#define AK_FUZZ_REPLAY 1
#include "../fuzz/fuzz_coco_instances.c"
#include "../fuzz/fuzz_coco_results.c"
#include "../fuzz/fuzz_hdf5.c"
#include "../fuzz/fuzz_jpeg.c"
#include "../fuzz/fuzz_png.c"
#include "../fuzz/fuzz_safetensors.c"
#include "../fuzz/fuzz_weights_hdf5.c"
#include "../fuzz/fuzz_yaml_config.c"

/* Under ASan (the CI sanitizer build), a huge allocation that libhdf5 requests for a corrupt file
 * returns NULL, as it does without ASan (HDF5 then reports an error), instead of aborting the test.
 * Our own parsers must handle a NULL from malloc anyway. Unused without ASan. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }
/* libhdf5 leaks some of its own allocations on the error paths it takes for corrupt files
 * (tests/fuzz/lsan.supp); LeakSanitizer would fail the ASan build's run of this test on them. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libhdf5\n"; }

typedef int (*fuzz_fn)(const uint8_t *data, size_t size, ak_error *err);

typedef struct target {
    const char *name;
    fuzz_fn fn;
} target;

static const target targets[] = {
    {"coco_instances", ak_fuzz_coco_instances}, {"coco_results", ak_fuzz_coco_results},
    {"png", ak_fuzz_png},                       {"jpeg", ak_fuzz_jpeg},
    {"yaml_config", ak_fuzz_yaml_config},       {"safetensors", ak_fuzz_safetensors},
    {"hdf5", ak_fuzz_hdf5},                     {"weights_hdf5", ak_fuzz_weights_hdf5},
};
#define N_TARGETS ((int)(sizeof targets / sizeof targets[0]))

static const struct {
    const char *name;
    int code;
} codes[] = {{"OK", AK_OK},           {"EINVAL", AK_EINVAL}, {"ENOMEM", AK_ENOMEM}, {"EIO", AK_EIO},
             {"EFORMAT", AK_EFORMAT}, {"ESHAPE", AK_ESHAPE}, {"ENAN", AK_ENAN},     {"ERANGE", AK_ERANGE},
             {"EUNSUP", AK_EUNSUP},   {"EVERSION", AK_EVERSION}, {"ESTATE", AK_ESTATE}};

/* EXPECTED code of an input that crashes a third-party library. */
#define LIBCRASH 1

static int code_of(const char *name) {
    if (strcmp(name, "LIBCRASH") == 0)
        return LIBCRASH;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(codes[i].name, name) == 0)
            return codes[i].code;
    ck_abort_msg("EXPECTED: unknown status name '%s'", name);
    return 1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Regular file names in dir (sorted, "EXPECTED" and dot files excluded); NULL when dir is absent. */
static char **list_dir(const char *dir, int *n) {
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **v = NULL;
    int cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "EXPECTED") == 0)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            v = realloc(v, (size_t)cap * sizeof *v);
            ck_assert_ptr_nonnull(v);
        }
        v[(*n)++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(v, (size_t)*n, sizeof *v, cmp_str);
    return v;
}

static uint8_t *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 4096;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *size = n;
    return buf;
}

static int replay(const target *t, const char *path, ak_error *err) {
    size_t size;
    uint8_t *data = slurp(path, &size);
    ak_error_clear(err);
    int rc = t->fn(data, size, err);
    free(data);
    return rc;
}

static char *folder(const char *kind, const char *target_name) {
    char rel[512];
    snprintf(rel, sizeof rel, "tests/fuzz/%s/%s", kind, target_name);
    return ak_source_path(rel);
}

START_TEST(seeds_parse) {
    const target *t = &targets[_i];
    char *dir = folder("corpus", t->name);
    int n;
    char **files = list_dir(dir, &n);
    ck_assert_msg(files && n > 0, "no seeds in %s", dir);
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        ak_error err;
        int rc = replay(t, path, &err);
        ck_assert_msg(rc == AK_OK, "%s: seed %s: %s", t->name, files[i], err.msg);
        free(files[i]);
    }
    free(files);
    free(dir);
}
END_TEST

/* One EXPECTED line: "NAME CODE message piece" (the piece may contain spaces; '#' starts a comment). */
typedef struct expectation {
    char file[256], code[32], piece[512];
    int seen;
} expectation;

static expectation *read_expected(const char *dir, int *n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/EXPECTED", dir);
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    expectation *v = calloc(1024, sizeof *v);
    ck_assert_ptr_nonnull(v);
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        ck_assert_msg(*n < 1024, "%s: too many lines", path);
        expectation *e = &v[(*n)++];
        int used = 0;
        ck_assert_msg(sscanf(line, "%255s %31s %n", e->file, e->code, &used) == 2, "%s: bad line '%s'", path, line);
        snprintf(e->piece, sizeof e->piece, "%s", line + used);
    }
    fclose(f);
    return v;
}

START_TEST(regressions_give_their_expected_status) {
    const target *t = &targets[_i];
    char *dir = folder("regressions", t->name);
    int n = 0, ne = 0;
    char **files = list_dir(dir, &n);
    expectation *ex = read_expected(dir, &ne);
    for (int i = 0; i < n; i++) {
        expectation *e = NULL;
        for (int k = 0; k < ne; k++)
            if (strcmp(ex[k].file, files[i]) == 0)
                e = &ex[k];
        ck_assert_msg(e != NULL, "%s/%s is not listed in EXPECTED", dir, files[i]);
        e->seen = 1;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        ak_error err;
        if (code_of(e->code) == LIBCRASH) {
            fflush(NULL);
            pid_t pid = fork();
            ck_assert_int_ge(pid, 0);
            if (pid == 0) {
                replay(t, path, &err);
                _exit(42);
            }
            int st;
            ck_assert_int_eq(waitpid(pid, &st, 0), pid);
            ck_assert_msg(!(WIFEXITED(st) && WEXITSTATUS(st) == 42),
                          "%s: %s no longer crashes the library (fixed upstream?): update EXPECTED", t->name,
                          files[i]);
            free(files[i]);
            continue;
        }
        int rc = replay(t, path, &err);
        ck_assert_msg(rc == code_of(e->code), "%s: %s: status %d (%s), expected %s", t->name, files[i], rc,
                      rc ? err.msg : "ok", e->code);
        ck_assert_msg(rc == AK_OK || strstr(err.msg, e->piece), "%s: %s: message '%s' lacks '%s'", t->name, files[i],
                      err.msg, e->piece);
        free(files[i]);
    }
    for (int k = 0; k < ne; k++)
        ck_assert_msg(ex[k].seen, "%s: EXPECTED lists %s, which is not in the folder", dir, ex[k].file);
    free(files);
    free(ex);
    free(dir);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("fuzz_regressions");
    TCase *tc = tcase_create("replay");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, seeds_parse, 0, N_TARGETS);
    tcase_add_loop_test(tc, regressions_give_their_expected_status, 0, N_TARGETS);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
