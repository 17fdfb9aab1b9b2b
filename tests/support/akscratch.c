/* Scratch folders and the CLI runner of the tests (akscratch.h). Removal goes through `rm -rf`
 * because the folders hold whole run trees (HDF5 files, datasets, sweep folders). */
#include "akscratch.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void sh_or_fail(const char *what, const char *fmt, const char *a, const char *b) {
    char cmd[9000];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    ck_assert_msg(system(cmd) == 0, "%s failed: %s", what, cmd);
}

void ak_scratch_enter(char *dir, size_t len, const char *tag) {
    ck_assert_msg((size_t)snprintf(dir, len, "%s/%s-%d", AK_BUILD_DIR, tag, (int)getpid()) < len,
                  "scratch path too long for %s", tag);
    sh_or_fail("making the scratch folder", "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    ck_assert_msg(chdir(dir) == 0, "cannot enter %s", dir);
    setenv("AKD_DATA_DIR", dir, 1);
}

void ak_scratch_remove(const char *dir) {
    if (getenv("AK_TEST_KEEP")) {
        fprintf(stderr, "kept %s\n", dir);
        return;
    }
    sh_or_fail("removing the scratch folder", "rm -rf '%s'%s", dir, "");
}

void ak_scratch_leave(const char *dir) {
    ck_assert_msg(chdir(AK_BUILD_DIR) == 0, "cannot enter %s", AK_BUILD_DIR);
    ak_scratch_remove(dir);
}

void ak_scratch_tmp(char *dir, size_t len, const char *tag) {
    ck_assert_msg((size_t)snprintf(dir, len, "/tmp/akd_%s_XXXXXX", tag) < len, "scratch path too long for %s", tag);
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s failed", dir);
}

int ak_cli(const char *dir, const char *fmt, ...) {
    char exe[4096], args[8192], cmd[16384];
    snprintf(exe, sizeof exe, "%s/akdbench", AK_BUILD_DIR);
    ck_assert_msg(access(exe, X_OK) == 0, "%s not built (build the akdbench target)", exe);
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    ck_assert_msg(n >= 0 && (size_t)n < sizeof args, "akdbench arguments too long");
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s/stdout.txt' 2>'%s/stderr.txt'", exe, args, dir, dir);
    const int st = system(cmd);
    ck_assert_msg(WIFEXITED(st), "akdbench %s: killed by a signal", args);
    return WEXITSTATUS(st);
}

const char *ak_scratch_text(const char *dir, const char *name) {
    static char buf[65536];
    char p[4600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "rb");
    ck_assert_msg(f != NULL, "no %s", p);
    const size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}
