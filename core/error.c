/* Sticky error messages; see error.h. */
#include "core/error.h"

#include <stdio.h>
#include <string.h>

void ak_error_clear(ak_error *err) {
    if (!err)
        return;
    err->code = AK_OK;
    err->msg[0] = '\0';
}

int ak_error_vset(ak_error *err, int code, const char *fmt, va_list ap) {
    if (!err || err->code != AK_OK)
        return code;
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return code;
}

int ak_error_set(ak_error *err, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ak_error_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void ak_error_prefix(ak_error *err, const char *fmt, ...) {
    if (!err || err->code == AK_OK)
        return;
    char prefix[AK_ERROR_MSG_LEN], old[AK_ERROR_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
}

const char *ak_strerror(int code) {
    switch (code) {
    case AK_OK: return "ok";
    case AK_EINVAL: return "invalid argument";
    case AK_ENOMEM: return "out of memory";
    case AK_EIO: return "input/output error";
    case AK_EFORMAT: return "malformed input";
    case AK_ESHAPE: return "shape mismatch";
    case AK_ENAN: return "non-finite value";
    case AK_ERANGE: return "value out of range";
    case AK_EUNSUP: return "unsupported";
    case AK_EVERSION: return "format version mismatch";
    case AK_ESTATE: return "invalid state";
    default: return "unknown error";
    }
}
