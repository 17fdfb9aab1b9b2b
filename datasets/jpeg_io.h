/* JPEG images through libjpeg-turbo: decode to 8-bit RGB (or grey), encode RGB / grey.
 *
 * Decoding uses libjpeg's defaults (accurate integer IDCT, fancy upsampling): the same pixels that
 * PIL and cv2.imread give for the same file with the same libjpeg-turbo. libjpeg reports fatal errors
 * through error_exit, which here longjmps back (never exits); its warnings ("Premature end of JPEG
 * file", "Corrupt JPEG data") are treated as errors too, because a truncated file otherwise decodes
 * "successfully" with grey rows.
 *
 * Errors: a missing / unreadable file is AK_EIO, an empty, corrupt or truncated one AK_EFORMAT; the
 * message names the file and libjpeg's reason. Thread-safe (no shared state).
 * Ownership: *pixels is malloc'd (row-major HxWxC uint8); the caller frees it.
 */
#ifndef AK_JPEG_IO_H
#define AK_JPEG_IO_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Largest image decoded (width x height; 8192 x 8192): a corrupt header must not make the reader
 * allocate gigabytes. Larger images are AK_EUNSUP. */
#define AK_JPEG_MAX_PIXELS ((uint64_t)1 << 26)

/* Read the whole file at `path` into memory (*data malloc'd). Shared by the image readers. */
int ak_read_file(const char *path, uint8_t **data, size_t *size, ak_error *err);

/* Decode as `channels` = 3 (RGB) or 1 (grey). `name` is used in messages (usually the path). */
int ak_jpeg_decode(const uint8_t *buf, size_t size, const char *name, int channels, uint8_t **pixels, int *height,
                   int *width, ak_error *err);
int ak_jpeg_read(const char *path, int channels, uint8_t **pixels, int *height, int *width, ak_error *err);
/* Decode into a caller-owned buffer, grown with `reserve(ctx, h, w, channels)` (which returns the
 * (h, w, channels) destination or NULL with err set): lets a loader reuse one buffer per worker
 * instead of allocating (and page-faulting) a new image every time. */
typedef uint8_t *(*ak_jpeg_reserve_fn)(void *ctx, int h, int w, int channels, ak_error *err);
int ak_jpeg_decode_into(const uint8_t *buf, size_t size, const char *name, int channels, ak_jpeg_reserve_fn reserve,
                        void *ctx, int *height, int *width, ak_error *err);
/* Only the header: image size without decoding (cheap validation of a dataset). */
int ak_jpeg_read_size(const char *path, int *height, int *width, ak_error *err);

/* Encode HxWxC (C = 1 or 3) at `quality` 1..100 with 4:2:0 chroma subsampling (libjpeg's default,
 * as in COCO's files). Deterministic bytes for a given libjpeg-turbo. */
int ak_jpeg_encode(const uint8_t *pixels, int height, int width, int channels, int quality, uint8_t **out,
                   size_t *out_size, ak_error *err);
/* Encode and write to `path` (through path.tmp, renamed when complete). */
int ak_jpeg_write(const char *path, const uint8_t *pixels, int height, int width, int channels, int quality,
                  ak_error *err);

/* Write a byte buffer to path.tmp and rename it to path (used by the generators). */
int ak_write_file_atomic(const char *path, const uint8_t *data, size_t size, ak_error *err);

#endif
