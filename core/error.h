/* Error reporting for library code: status codes and a message buffer.
 *
 * Library functions never exit or abort on a user's error. A fallible function returns an int status
 * (AK_OK == 0, negative ak_code on failure) and fills the ak_error it was given with a message that
 * names the file / field / op and what was expected. The first error is kept ("sticky"): later
 * failures do not overwrite it, so the root cause survives propagation. The command line decides to
 * print and exit.
 *
 * Ownership: ak_error is a plain value owned by the caller (usually on the stack or inside an ak_ctx).
 */
#ifndef AK_ERROR_H
#define AK_ERROR_H

#include <stdarg.h>

typedef enum ak_code {
    AK_OK = 0,
    AK_EINVAL = -1,   /* bad argument or configuration value */
    AK_ENOMEM = -2,   /* allocation or arena exhausted */
    AK_EIO = -3,      /* read / write failure (missing file, full disk) */
    AK_EFORMAT = -4,  /* malformed or corrupt input file */
    AK_ESHAPE = -5,   /* tensor shape mismatch */
    AK_ENAN = -6,     /* non-finite value where a finite one is required */
    AK_ERANGE = -7,   /* value out of its allowed range (labels, ids, indices) */
    AK_EUNSUP = -8,   /* valid request that this build / backend does not support */
    AK_EVERSION = -9, /* artefact with a wrong format name or version */
    AK_ESTATE = -10,  /* call made in the wrong state (e.g. backward without a tape) */
} ak_code;

#define AK_ERROR_MSG_LEN 1024

typedef struct ak_error {
    int code;                   /* AK_OK or the first failure's ak_code */
    char msg[AK_ERROR_MSG_LEN]; /* human-readable, NUL-terminated */
} ak_error;

/* Reset to "no error". */
void ak_error_clear(ak_error *err);

/* Record an error unless one is already recorded (sticky). Returns `code` so that callers can write
 * `return ak_error_set(err, AK_EINVAL, "...")`. err may be NULL (then only the code is returned). */
int ak_error_set(ak_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ak_error_vset(ak_error *err, int code, const char *fmt, va_list ap);

/* Prefix the existing message with context ("loading teacher.h5: ..."); no-op without an error. */
void ak_error_prefix(ak_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Short name of a code ("shape mismatch"). Never NULL. */
const char *ak_strerror(int code);

/* Propagate a failing status: `AK_TRY(ak_load(...));` */
#define AK_TRY(expr)                 \
    do {                             \
        int ak_try_rc_ = (expr);     \
        if (ak_try_rc_ != AK_OK)     \
            return ak_try_rc_;       \
    } while (0)

#endif
