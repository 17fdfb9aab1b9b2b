/* PNG reading and writing through libpng; see png_io.h.
 *
 * libpng reports fatal errors by longjmp. Our error callback copies libpng's message into a
 * heap-free struct reachable through png_get_error_ptr and jumps back to the setjmp in the caller.
 * Every local that is assigned after setjmp and read after the jump is volatile, so its value is
 * defined after the jump (C11 7.13.2.1).
 *
 * channels = 1 has label-map semantics: the stored sample value is returned unchanged (palette
 * index for palette images, 1/2/4-bit greys unpacked but not rescaled, 16-bit greys only if every
 * value fits in 8 bits, RGB with r == g == b gives that value); alpha is dropped.
 * channels = 3 has image semantics: greys are expanded to 0..255 and replicated, palettes looked
 * up, 16-bit samples reduced to their high byte, alpha dropped.
 */
#include "datasets/png_io.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct png_msg {
    char text[256];
} png_msg;

static void on_error(png_structp png, png_const_charp msg) {
    png_msg *m = png_get_error_ptr(png);
    if (m)
        snprintf(m->text, sizeof m->text, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg; /* ancillary-chunk warnings (bad CRC in tEXt, ...) do not affect the pixels */
}

/* Configure libpng's transformations for the requested layout. Returns 0, or 1 when 16-bit
 * label values must be narrowed by hand (see read_rows). */
static int set_transforms(png_structp png, png_infop info, int channels) {
    int type = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    int wide = 0;
    if (channels == 1) {
        if (depth < 8)
            png_set_packing(png); /* one sample per byte, values unchanged */
        if (type & PNG_COLOR_MASK_ALPHA)
            png_set_strip_alpha(png);
        if (type == PNG_COLOR_TYPE_RGB || type == PNG_COLOR_TYPE_RGB_ALPHA) {
            png_set_rgb_to_gray_fixed(png, 1, -1, -1);
            if (depth == 16)
                png_set_strip_16(png);
        } else if (depth == 16) {
            wide = 1;
            png_set_swap(png); /* little-endian 16-bit samples, narrowed after the read */
        }
    } else {
        if (type == PNG_COLOR_TYPE_PALETTE)
            png_set_palette_to_rgb(png);
        if (type == PNG_COLOR_TYPE_GRAY && depth < 8)
            png_set_expand_gray_1_2_4_to_8(png);
        if (depth == 16)
            png_set_strip_16(png);
        if (type & PNG_COLOR_MASK_ALPHA)
            png_set_strip_alpha(png);
        if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA)
            png_set_gray_to_rgb(png);
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    return wide;
}

int ak_png_read(const char *path, int channels, uint8_t **pixels, int *height, int *width, ak_error *err) {
    *pixels = NULL;
    if (channels != 1 && channels != 3)
        return ak_error_set(err, AK_EINVAL, "%s: ak_png_read: channels must be 1 or 3, got %d", path, channels);
    FILE *f = fopen(path, "rb");
    if (!f)
        return ak_error_set(err, AK_EIO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char sig[8];
    if (fread(sig, 1, 8, f) != 8 || png_sig_cmp(sig, 0, 8) != 0) {
        fclose(f);
        return ak_error_set(err, AK_EFORMAT, "%s: not a PNG file (bad signature)", path);
    }
    png_msg msg = {"unknown libpng error"};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &msg, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        fclose(f);
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory creating the PNG reader", path);
    }
    uint8_t *volatile buf = NULL;
    png_bytep *volatile rows = NULL;
    uint8_t *volatile wide_buf = NULL;
    volatile int rc = AK_OK;
    if (setjmp(png_jmpbuf(png))) {
        if (rc == AK_OK)
            rc = ak_error_set(err, AK_EFORMAT, "%s: corrupt or truncated PNG (libpng: %s)", path, msg.text);
        goto done;
    }
    png_init_io(png, f);
    png_set_sig_bytes(png, 8);
    png_set_user_limits(png, 1 << 20, 1 << 20);
#if defined(PNG_IGNORE_ADLER32)
    /* zlib's Adler-32 costs ~15% of decoding; every chunk's CRC-32 (checked) already covers the data. */
    png_set_option(png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#endif
    png_read_info(png, info);
    /* The header alone must not make us allocate: deflate compresses at most 1032:1, so a file
     * smaller than 1/1032 of the rows it declares (row bytes + filter byte) cannot hold them
     * (fuzzing: a 68-byte file asked for 3.6 GB). */
    {
        struct stat st;
        const double need = (double)png_get_image_height(png, info) * ((double)png_get_rowbytes(png, info) + 1.0);
        if (fstat(fileno(f), &st) == 0 && need > 1032.0 * (double)st.st_size + 4096.0) {
            rc = ak_error_set(err, AK_EFORMAT,
                              "%s: truncated or corrupt PNG: its header declares %ux%u pixels (%.0f bytes of rows), "
                              "more than a %lld-byte file can hold",
                              path, (unsigned)png_get_image_width(png, info), (unsigned)png_get_image_height(png, info),
                              need, (long long)st.st_size);
            goto done;
        }
    }
    int wide = set_transforms(png, info, channels);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    size_t want = (size_t)w * (size_t)channels * (wide ? 2 : 1);
    if (rowbytes != want) {
        rc = ak_error_set(err, AK_EUNSUP, "%s: unexpected PNG layout (%zu bytes per row, expected %zu)", path,
                          rowbytes, want);
        goto done;
    }
    buf = malloc((size_t)h * (size_t)w * (size_t)channels);
    if (wide)
        wide_buf = malloc((size_t)h * rowbytes);
    rows = malloc((size_t)h * sizeof(png_bytep));
    if (!buf || !rows || (wide && !wide_buf)) {
        rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory for a %ux%u image", path, (unsigned)h, (unsigned)w);
        goto done;
    }
    uint8_t *base = wide ? wide_buf : buf;
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = base + (size_t)y * rowbytes;
    png_read_image(png, rows);
    png_read_end(png, NULL); /* checks the trailing chunks and the IEND CRC: truncation is caught here */
    if (wide) {
        const uint16_t *src = (const uint16_t *)(void *)wide_buf;
        for (size_t i = 0, n = (size_t)h * w; i < n; i++) {
            if (src[i] > 255) {
                rc = ak_error_set(err, AK_ERANGE, "%s: 16-bit label value %u at pixel %zu does not fit 8 bits", path,
                                  src[i], i);
                goto done;
            }
            buf[i] = (uint8_t)src[i];
        }
    }
    *pixels = buf;
    buf = NULL;
    *height = (int)h;
    *width = (int)w;
done:
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    free(buf);
    free(rows);
    free(wide_buf);
    return rc;
}

int ak_png_write(const char *path, const uint8_t *pixels, int height, int width, int channels, int level,
                 ak_error *err) {
    if ((channels != 1 && channels != 3) || height <= 0 || width <= 0 || level < -1 || level > 9)
        return ak_error_set(err, AK_EINVAL, "%s: ak_png_write: bad request (%dx%dx%d, level %d)", path, height, width,
                            channels, level);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return ak_error_set(err, AK_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    png_msg msg = {"unknown libpng error"};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &msg, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(png ? &png : NULL, NULL);
        fclose(f);
        remove(tmp);
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory creating the PNG writer", path);
    }
    png_bytep *volatile rows = NULL;
    volatile int rc = AK_OK;
    if (setjmp(png_jmpbuf(png))) {
        rc = ak_error_set(err, AK_EIO, "%s: PNG write failed (libpng: %s)", tmp, msg.text);
        goto done;
    }
    png_init_io(png, f);
    if (level >= 0)
        png_set_compression_level(png, level);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
                 channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    rows = malloc((size_t)height * sizeof(png_bytep));
    if (!rows) {
        rc = ak_error_set(err, AK_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    for (int y = 0; y < height; y++)
        rows[y] = (png_bytep)(pixels + (size_t)y * width * channels);
    png_set_rows(png, info, rows);
    png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
done:
    png_destroy_write_struct(&png, &info);
    free(rows);
    int bad = fclose(f) != 0;
    if (rc == AK_OK && bad)
        rc = ak_error_set(err, AK_EIO, "%s: write failed (disk full?)", tmp);
    if (rc == AK_OK && rename(tmp, path) != 0)
        rc = ak_error_set(err, AK_EIO, "%s: cannot rename to %s: %s", tmp, path, strerror(errno));
    if (rc != AK_OK)
        remove(tmp);
    return rc;
}
