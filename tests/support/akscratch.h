/* Scratch folders and the akdbench command line for tests that write files or run the CLI.
 *
 * ak_scratch_enter(dir, len, tag): dir receives "<build>/<tag>-<pid>" (len >= 64 + strlen of the
 * build path), any old copy is removed, the folder is created, made the working directory, and
 * AKD_DATA_DIR points at it (synthetic datasets are generated inside, never in the shared cache).
 * ak_scratch_leave(dir): back to the build folder and remove dir — unless AK_TEST_KEEP is set, then
 * the folder is kept and its path printed (to look at what a failing test wrote).
 * ak_scratch_tmp(dir, len, tag): a fresh mkdtemp folder "/tmp/akd_<tag>_XXXXXX" without changing the
 * working directory; remove it with ak_scratch_remove.
 * ak_cli(dir, fmt, ...): runs "<build>/akdbench <args>" with stdout / stderr captured in
 * dir/stdout.txt and dir/stderr.txt; returns the exit status. ak_scratch_text(dir, name) returns
 * the file's text (the first 64 KiB) in a buffer of this module, valid until the next call (tests
 * are single-threaded; this keeps assertions one-liners).
 * Every failure (a folder that cannot be made, akdbench not built, killed by a signal) fails the test.
 */
#ifndef AK_TEST_SCRATCH_H
#define AK_TEST_SCRATCH_H

#include <stddef.h>

void ak_scratch_enter(char *dir, size_t len, const char *tag);
void ak_scratch_leave(const char *dir);
void ak_scratch_tmp(char *dir, size_t len, const char *tag);
void ak_scratch_remove(const char *dir);
int ak_cli(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *ak_scratch_text(const char *dir, const char *name);

#endif
