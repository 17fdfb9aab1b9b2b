/* Shape helpers; see tensor.h. */
#include "core/tensor.h"

#include <stdio.h>
#include <string.h>

int64_t ak_shape_numel(int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    return n;
}

bool ak_same_shape(const ak_tensor *a, const ak_tensor *b) {
    if (a->ndim != b->ndim)
        return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i])
            return false;
    return true;
}

char *ak_dims_str(int ndim, const int64_t *shape, char *buf, size_t len) {
    size_t off = 0;
    if (!len)
        return buf;
    buf[0] = '\0';
    off += (size_t)snprintf(buf + off, len - off, "(");
    for (int i = 0; i < ndim && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, i ? ",%lld" : "%lld", (long long)shape[i]);
    if (off < len)
        snprintf(buf + off, len - off, ")");
    return buf;
}

char *ak_shape_str(const ak_tensor *t, char *buf, size_t len) { return ak_dims_str(t->ndim, t->shape, buf, len); }

int64_t ak_dim(const ak_tensor *t, int d) {
    if (d < 0)
        d += t->ndim;
    return (d >= 0 && d < t->ndim) ? t->shape[d] : 0;
}
