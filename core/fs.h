/* Folder creation for every layer (datasets write generated data, store writes run files).
 * Errors: AK_EINVAL for a path over 4095 bytes; AK_EIO naming the folder and strerror(errno) when a
 * folder cannot be created or the path exists and is not a folder.
 */
#ifndef AK_CORE_FS_H
#define AK_CORE_FS_H

#include "core/error.h"

/* mkdir -p: create path and its missing parents (mode 0755); existing folders are fine. */
int ak_mkdir_p(const char *path, ak_error *err);

#endif
