/* What a reader does with a bad sample (annotation pointing to a missing image, missing or corrupt
 * file, invalid box, label id outside the table): stop with an error naming the file and field
 * (default), or skip it and count it. A skip is never silent: the count and the first reason are
 * kept, and the command line prints them.
 */
#ifndef AK_BAD_SAMPLE_H
#define AK_BAD_SAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/error.h"

typedef enum ak_bad_sample_policy {
    AK_BAD_SAMPLE_ERROR = 0,
    AK_BAD_SAMPLE_SKIP = 1,
} ak_bad_sample_policy;

typedef struct ak_bad_sample_log {
    int64_t count;   /* bad items skipped */
    char first[512]; /* the first reason ("" if none) */
} ak_bad_sample_log;

/* "error" | "skip" (the value of --on-bad-sample). */
int ak_bad_sample_parse(const char *text, ak_bad_sample_policy *out, ak_error *err);

/* Handle one bad item whose reason is in `why` (an error already filled by the failing check):
 * with AK_BAD_SAMPLE_ERROR return why->code (the error stays in `why`); with AK_BAD_SAMPLE_SKIP log
 * it, clear `why` and return AK_OK. */
int ak_bad_sample(ak_bad_sample_policy policy, ak_bad_sample_log *log, ak_error *why);

/* Copy `src` into dst[size], truncating (messages carried between buffers of different sizes). */
static inline void ak_copy_text(char *dst, size_t size, const char *src) {
    size_t n = strlen(src);
    n = n < size ? n : size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

#endif
