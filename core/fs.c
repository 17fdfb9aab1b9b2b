/* See fs.h. */
#include "core/fs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int ak_mkdir_p(const char *path, ak_error *err) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return ak_error_set(err, AK_EINVAL, "%s: path too long", path);
    if (buf[0] == '\0')
        return ak_error_set(err, AK_EINVAL, "mkdir: empty path");
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return ak_error_set(err, AK_EIO, "%s: cannot create folder (%s)", buf, strerror(errno));
            *p = '/';
        }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return ak_error_set(err, AK_EIO, "%s: cannot create folder (%s)", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return ak_error_set(err, AK_EIO, "%s: exists and is not a folder", buf);
    return AK_OK;
}
