/* See taps.h. */
#include "models/taps.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"

void ak_taps_clear(ak_taps *taps) { taps->n = 0; }

int ak_taps_put(ak_taps *taps, const char *name, ak_tensor *t) {
    if (!taps)
        return AK_OK;
    for (int i = 0; i < taps->n; i++)
        if (strcmp(taps->names[i], name) == 0) {
            taps->t[i] = t;
            return AK_OK;
        }
    if (taps->n == AK_MAX_TAPS)
        return AK_ENOMEM;
    snprintf(taps->names[taps->n], AK_TAP_NAME_LEN, "%s", name);
    taps->t[taps->n++] = t;
    return AK_OK;
}

ak_tensor *ak_taps_get(const ak_taps *taps, const char *name) {
    for (int i = 0; i < taps->n; i++)
        if (strcmp(taps->names[i], name) == 0)
            return taps->t[i];
    return NULL;
}
