/* Durable file publication; see fsutil.h. */
#include "store/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ak_fsync_path(const char *path, ak_error *err) {
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return ak_error_set(err, AK_EIO, "%s: cannot open to fsync: %s", path, strerror(errno));
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    if (rc != 0)
        return ak_error_set(err, AK_EIO, "%s: fsync failed: %s", path, strerror(saved));
    return AK_OK;
}

int ak_fsync_parent_dir(const char *path, ak_error *err) {
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return ak_error_set(err, AK_EIO, "%s: cannot open directory to fsync: %s", dir, strerror(errno));
    /* Some file systems refuse fsync on directories (EINVAL); the rename is then as durable as the
     * file system makes it, which is all we can do. */
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    if (rc != 0 && saved != EINVAL)
        return ak_error_set(err, AK_EIO, "%s: fsync of directory failed: %s", dir, strerror(saved));
    return AK_OK;
}

int ak_publish_file(const char *from, const char *to, ak_error *err) {
    AK_TRY(ak_fsync_path(from, err));
    if (rename(from, to) != 0)
        return ak_error_set(err, AK_EIO, "rename %s -> %s failed: %s", from, to, strerror(errno));
    return ak_fsync_parent_dir(to, err);
}

bool ak_file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

int ak_path_with_suffix(char *out, size_t len, const char *path, const char *suffix, ak_error *err) {
    int n = snprintf(out, len, "%s%s", path, suffix);
    if (n < 0 || (size_t)n >= len)
        return ak_error_set(err, AK_EINVAL, "path too long: %s%s", path, suffix);
    return AK_OK;
}

