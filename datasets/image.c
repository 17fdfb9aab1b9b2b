/* See image.h. */
#include "datasets/image.h"

#include <stdlib.h>
#include <string.h>

#include "datasets/jpeg_io.h"
#include "datasets/png_io.h"

int ak_image_reserve(ak_image *im, int h, int w, int c, ak_error *err) {
    if (h <= 0 || w <= 0 || c <= 0)
        return ak_error_set(err, AK_EINVAL, "image: bad shape %dx%dx%d", h, w, c);
    size_t need = (size_t)h * (size_t)w * (size_t)c;
    if (need > im->cap) {
        uint8_t *p = realloc(im->data, need);
        if (!p)
            return ak_error_set(err, AK_ENOMEM, "image: cannot allocate %zu bytes", need);
        im->data = p;
        im->cap = need;
    }
    im->h = h;
    im->w = w;
    im->c = c;
    return AK_OK;
}

void ak_image_free(ak_image *im) {
    free(im->data);
    memset(im, 0, sizeof *im);
}

void ak_image_adopt(ak_image *im, uint8_t *data, int h, int w, int c) {
    free(im->data);
    im->data = data;
    im->h = h;
    im->w = w;
    im->c = c;
    im->cap = (size_t)h * (size_t)w * (size_t)c;
}

typedef struct reserve_ctx {
    ak_image *im;
    const char *path;
} reserve_ctx;

static uint8_t *reserve_image(void *ctx, int h, int w, int channels, ak_error *err) {
    reserve_ctx *r = ctx;
    if (ak_image_reserve(r->im, h, w, channels, err) != AK_OK) {
        ak_error_prefix(err, "%s", r->path);
        return NULL;
    }
    return r->im->data;
}

/* One reader for both entry points: JPEGs decode into reserve's buffer; PNGs (libpng reads the
 * file itself into a buffer of its own) are adopted by `adopt` when given, else copied. */
static int read_image(const char *path, int channels, ak_image_reserve_fn reserve, void *ctx, ak_image *adopt,
                      int *h, int *w, ak_error *err) {
    uint8_t *buf;
    size_t size;
    AK_TRY(ak_read_file(path, &buf, &size, err));
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (size >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff) {
        const int rc = ak_jpeg_decode_into(buf, size, path, channels, reserve, ctx, h, w, err);
        free(buf);
        return rc;
    }
    const int png = size >= 8 && memcmp(buf, png_sig, 8) == 0;
    free(buf);
    if (!png)
        return ak_error_set(err, AK_EFORMAT, "%s: neither a JPEG nor a PNG file (%s)", path,
                            size == 0 ? "empty" : "unknown signature");
    uint8_t *pixels = NULL;
    AK_TRY(ak_png_read(path, channels, &pixels, h, w, err));
    if (adopt) {
        ak_image_adopt(adopt, pixels, *h, *w, channels);
        return AK_OK;
    }
    uint8_t *dst = reserve(ctx, *h, *w, channels, err);
    if (dst)
        memcpy(dst, pixels, (size_t)*h * (size_t)*w * (size_t)channels);
    free(pixels);
    return dst ? AK_OK : (err->code ? err->code : AK_ENOMEM);
}

int ak_image_read(const char *path, int channels, ak_image *im, ak_error *err) {
    /* JPEGs into the image's own buffer, reused across calls */
    reserve_ctx rc_ctx = {im, path};
    int h, w;
    return read_image(path, channels, reserve_image, &rc_ctx, im, &h, &w, err);
}

int ak_image_read_to(const char *path, int channels, ak_image_reserve_fn reserve, void *ctx, int *h, int *w,
                     ak_error *err) {
    return read_image(path, channels, reserve, ctx, NULL, h, w, err);
}
