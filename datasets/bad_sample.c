/* See bad_sample.h. */
#include "datasets/bad_sample.h"

#include <stdio.h>
#include <string.h>

int ak_bad_sample_parse(const char *text, ak_bad_sample_policy *out, ak_error *err) {
    if (text && strcmp(text, "error") == 0) {
        *out = AK_BAD_SAMPLE_ERROR;
        return AK_OK;
    }
    if (text && strcmp(text, "skip") == 0) {
        *out = AK_BAD_SAMPLE_SKIP;
        return AK_OK;
    }
    return ak_error_set(err, AK_EINVAL, "on_bad_sample: expected 'error' or 'skip', got '%s'", text ? text : "(null)");
}

int ak_bad_sample(ak_bad_sample_policy policy, ak_bad_sample_log *log, ak_error *why) {
    if (policy != AK_BAD_SAMPLE_SKIP)
        return why->code;
    if (log->count == 0)
        ak_copy_text(log->first, sizeof log->first, why->msg);
    log->count++;
    ak_error_clear(why);
    return AK_OK;
}
