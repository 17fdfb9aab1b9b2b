/* PNG images through libpng: 8-bit greyscale label maps (Cityscapes labelIds / trainIds, predictions)
 * and 8-bit RGB images. Any PNG libpng accepts is read (all filters, any IDAT split, ancillary chunks
 * skipped); palette / 16-bit / alpha inputs are converted to the requested layout.
 *
 * Errors: a missing file is AK_EIO, a corrupt or truncated one AK_EFORMAT; the message names the
 * file. Ownership: *pixels is malloc'd; the caller frees it.
 */
#ifndef AK_PNG_IO_H
#define AK_PNG_IO_H

#include <stdint.h>

#include "core/error.h"

/* Read as 1 channel (grey) or 3 channels (RGB), row-major HxWxC uint8. */
int ak_png_read(const char *path, int channels, uint8_t **pixels, int *height, int *width, ak_error *err);
/* Write HxWxC uint8 (C = 1 or 3) with zlib `level` (-1 default). Written to a temporary name, renamed. */
int ak_png_write(const char *path, const uint8_t *pixels, int height, int width, int channels, int level,
                 ak_error *err);

#endif
