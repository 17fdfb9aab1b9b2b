/* A decoded 8-bit image: row-major H x W x C (C = 1 grey / label map, 3 RGB), and the reader that
 * picks the codec from the file's first bytes (JPEG or PNG).
 *
 * Ownership: data is malloc'd and owned by the struct; ak_image_reserve grows it in place so that
 * the loader can reuse one buffer per slot (capacity in bytes never shrinks). ak_image_free releases it.
 */
#ifndef AK_IMAGE_H
#define AK_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "datasets/jpeg_io.h"

typedef struct ak_image {
    uint8_t *data; /* (h, w, c) */
    int h, w, c;
    size_t cap;    /* bytes allocated */
} ak_image;

/* Set the shape, growing the buffer when needed (contents unspecified). */
int ak_image_reserve(ak_image *im, int h, int w, int c, ak_error *err);
void ak_image_free(ak_image *im);
/* Take ownership of a malloc'd buffer (frees the old one). */
void ak_image_adopt(ak_image *im, uint8_t *data, int h, int w, int c);

/* Read a JPEG or PNG (detected from the signature, not the extension) as `channels` = 1 or 3. JPEGs
 * decode into im's existing buffer when it is large enough (a loader worker reuses one). Errors name
 * the file: missing -> AK_EIO; empty, unknown format, corrupt, truncated -> AK_EFORMAT; on error the
 * contents of *im are unspecified (still owned by im). */
int ak_image_read(const char *path, int channels, ak_image *im, ak_error *err);

/* Where a reader writes: (h, w, channels) bytes from reserve(ctx, h, w, channels, err), asked once
 * the size is known and before any pixel is written; NULL (with err set) refuses the image and the
 * read fails with that error. Same as jpeg_io.h's ak_jpeg_reserve_fn. */
typedef ak_jpeg_reserve_fn ak_image_reserve_fn;

/* ak_image_read into a caller's destination (a loader decodes straight into a batch slot). JPEGs
 * decode in place; PNGs are decoded first and copied. *h, *w receive the size. Same errors. */
int ak_image_read_to(const char *path, int channels, ak_image_reserve_fn reserve, void *ctx, int *h, int *w,
                     ak_error *err);

#endif
