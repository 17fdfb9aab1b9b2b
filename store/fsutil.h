/* Crash-safe file replacement for the store: fsync a file, rename it over another, fsync the
 * directory so the rename itself is durable. These are the building blocks of "write a temporary
 * file, then atomically publish it": a kill -9 or power loss at any point leaves either the old or
 * the new file under the final name, never a half-written one.
 *
 * Errors: AK_EIO with the path and strerror(errno).
 */
#ifndef AK_STORE_FSUTIL_H
#define AK_STORE_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/fs.h" /* ak_mkdir_p */

/* fsync(path) through a read-only descriptor (Linux flushes the inode's data either way). */
int ak_fsync_path(const char *path, ak_error *err);
/* fsync the directory that contains path (makes a rename / create in it durable). */
int ak_fsync_parent_dir(const char *path, ak_error *err);
/* fsync(from); rename(from, to); fsync(dir of to). */
int ak_publish_file(const char *from, const char *to, ak_error *err);
bool ak_file_exists(const char *path);
/* out = path + suffix; AK_EINVAL when it does not fit. */
int ak_path_with_suffix(char *out, size_t len, const char *path, const char *suffix, ak_error *err);

#endif
