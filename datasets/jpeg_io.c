/* libjpeg-turbo decode / encode; see jpeg_io.h. libjpeg's error handling is redirected to a
 * longjmp back into the calling function, which destroys the codec and reports AK_EFORMAT. */
#include "datasets/jpeg_io.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

typedef struct jerr_ctx {
    struct jpeg_error_mgr mgr; /* must be first: libjpeg sees only this part */
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
} jerr_ctx;

static void on_error_exit(j_common_ptr cinfo) {
    jerr_ctx *e = (jerr_ctx *)cinfo->err;
    cinfo->err->format_message(cinfo, e->msg);
    longjmp(e->jump, 1);
}

/* msg_level < 0 is a warning about corrupt data: a truncated file would otherwise decode with grey
 * rows and no error. Trace messages (level >= 0) are ignored. */
static void on_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level >= 0)
        return;
    jerr_ctx *e = (jerr_ctx *)cinfo->err;
    cinfo->err->format_message(cinfo, e->msg);
    longjmp(e->jump, 1);
}

static void jerr_init(jerr_ctx *e) {
    jpeg_std_error(&e->mgr);
    e->mgr.error_exit = on_error_exit;
    e->mgr.emit_message = on_emit_message;
    e->msg[0] = '\0';
}

int ak_read_file(const char *path, uint8_t **data, size_t *size, ak_error *err) {
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ak_error_set(err, AK_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return ak_error_set(err, AK_EIO, "%s: cannot seek: %s", path, strerror(errno));
    }
    long len = ftell(f);
    if (len < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return ak_error_set(err, AK_EIO, "%s: cannot determine the size: %s", path, strerror(errno));
    }
    uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
    if (!buf) {
        fclose(f);
        return ak_error_set(err, AK_ENOMEM, "%s: cannot allocate %ld bytes", path, len);
    }
    size_t got = fread(buf, 1, (size_t)len, f);
    int failed = ferror(f);
    fclose(f);
    if (failed || got != (size_t)len) {
        free(buf);
        return ak_error_set(err, AK_EIO, "%s: read %zu of %ld bytes", path, got, len);
    }
    *data = buf;
    *size = (size_t)len;
    return AK_OK;
}

/* The decoder state that must survive the longjmp lives in this struct, not in locals. */
typedef struct dec_state {
    struct jpeg_decompress_struct cinfo;
    jerr_ctx jerr;
    uint8_t *pixels;
} dec_state;

int ak_jpeg_decode_into(const uint8_t *buf, size_t size, const char *name, int channels, ak_jpeg_reserve_fn reserve,
                        void *ctx, int *height, int *width, ak_error *err) {
    if (channels != 1 && channels != 3)
        return ak_error_set(err, AK_EINVAL, "%s: jpeg decode: channels must be 1 or 3, got %d", name, channels);
    if (size == 0)
        return ak_error_set(err, AK_EFORMAT, "%s: not a JPEG file (empty)", name);
    dec_state *s = calloc(1, sizeof *s);
    if (!s)
        return ak_error_set(err, AK_ENOMEM, "%s: jpeg decode: out of memory", name);
    s->cinfo.err = &s->jerr.mgr;
    jerr_init(&s->jerr);
    if (setjmp(s->jerr.jump)) {
        ak_error_set(err, AK_EFORMAT, "%s: corrupt or truncated JPEG: %s", name, s->jerr.msg);
        jpeg_destroy_decompress(&s->cinfo);
        free(s);
        return AK_EFORMAT;
    }
    jpeg_create_decompress(&s->cinfo);
    jpeg_mem_src(&s->cinfo, buf, (unsigned long)size);
    jpeg_read_header(&s->cinfo, TRUE);
    if ((uint64_t)s->cinfo.image_width * s->cinfo.image_height > AK_JPEG_MAX_PIXELS) {
        /* a few bytes of header must not make us (or libjpeg) allocate gigabytes: fuzzing */
        ak_error_set(err, AK_EUNSUP, "%s: JPEG of %ux%u pixels: larger than the %llu-pixel limit", name,
                     (unsigned)s->cinfo.image_width, (unsigned)s->cinfo.image_height,
                     (unsigned long long)AK_JPEG_MAX_PIXELS);
        jpeg_destroy_decompress(&s->cinfo);
        free(s);
        return AK_EUNSUP;
    }
    s->cinfo.out_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_start_decompress(&s->cinfo);
    const int w = (int)s->cinfo.output_width, h = (int)s->cinfo.output_height;
    const size_t stride = (size_t)w * (size_t)channels;
    s->pixels = reserve(ctx, h, w, channels, err);
    if (!s->pixels) {
        jpeg_destroy_decompress(&s->cinfo);
        free(s);
        return err && err->code ? err->code : AK_ENOMEM;
    }
    while (s->cinfo.output_scanline < s->cinfo.output_height) {
        JSAMPROW rows[4];
        int n = 0;
        for (; n < 4 && s->cinfo.output_scanline + (unsigned)n < s->cinfo.output_height; n++)
            rows[n] = s->pixels + (size_t)(s->cinfo.output_scanline + (unsigned)n) * stride;
        jpeg_read_scanlines(&s->cinfo, rows, (JDIMENSION)n);
    }
    jpeg_finish_decompress(&s->cinfo);
    jpeg_destroy_decompress(&s->cinfo);
    *height = h;
    *width = w;
    free(s);
    return AK_OK;
}

/* A fresh malloc'd buffer per image (ak_jpeg_decode). */
typedef struct malloc_ctx {
    uint8_t *p;
    const char *name;
} malloc_ctx;

static uint8_t *reserve_malloc(void *ctx, int h, int w, int channels, ak_error *err) {
    malloc_ctx *m = ctx;
    m->p = malloc((size_t)h * (size_t)w * (size_t)channels);
    if (!m->p)
        ak_error_set(err, AK_ENOMEM, "%s: cannot allocate a %dx%d image", m->name, h, w);
    return m->p;
}

int ak_jpeg_decode(const uint8_t *buf, size_t size, const char *name, int channels, uint8_t **pixels, int *height,
                   int *width, ak_error *err) {
    malloc_ctx m = {NULL, name};
    *pixels = NULL;
    const int rc = ak_jpeg_decode_into(buf, size, name, channels, reserve_malloc, &m, height, width, err);
    if (rc != AK_OK) {
        free(m.p);
        return rc;
    }
    *pixels = m.p;
    return AK_OK;
}

int ak_jpeg_read(const char *path, int channels, uint8_t **pixels, int *height, int *width, ak_error *err) {
    uint8_t *data;
    size_t size;
    *pixels = NULL;
    AK_TRY(ak_read_file(path, &data, &size, err));
    int rc = ak_jpeg_decode(data, size, path, channels, pixels, height, width, err);
    free(data);
    return rc;
}

int ak_jpeg_read_size(const char *path, int *height, int *width, ak_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return ak_error_set(err, AK_EIO, "%s: cannot open: %s", path, strerror(errno));
    dec_state *s = calloc(1, sizeof *s);
    if (!s) {
        fclose(f);
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", path);
    }
    s->cinfo.err = &s->jerr.mgr;
    jerr_init(&s->jerr);
    if (setjmp(s->jerr.jump)) {
        ak_error_set(err, AK_EFORMAT, "%s: corrupt or truncated JPEG header: %s", path, s->jerr.msg);
        jpeg_destroy_decompress(&s->cinfo);
        fclose(f);
        free(s);
        return AK_EFORMAT;
    }
    jpeg_create_decompress(&s->cinfo);
    jpeg_stdio_src(&s->cinfo, f);
    jpeg_read_header(&s->cinfo, TRUE);
    *height = (int)s->cinfo.image_height;
    *width = (int)s->cinfo.image_width;
    jpeg_destroy_decompress(&s->cinfo);
    fclose(f);
    free(s);
    return AK_OK;
}

typedef struct enc_state {
    struct jpeg_compress_struct cinfo;
    jerr_ctx jerr;
    unsigned char *out;
    unsigned long out_size;
} enc_state;

int ak_jpeg_encode(const uint8_t *pixels, int height, int width, int channels, int quality, uint8_t **out,
                   size_t *out_size, ak_error *err) {
    *out = NULL;
    *out_size = 0;
    if ((channels != 1 && channels != 3) || height <= 0 || width <= 0 || quality < 1 || quality > 100)
        return ak_error_set(err, AK_EINVAL, "jpeg encode: bad arguments (%dx%dx%d, quality %d)", height, width,
                            channels, quality);
    enc_state *s = calloc(1, sizeof *s);
    if (!s)
        return ak_error_set(err, AK_ENOMEM, "jpeg encode: out of memory");
    s->cinfo.err = &s->jerr.mgr;
    jerr_init(&s->jerr);
    if (setjmp(s->jerr.jump)) {
        ak_error_set(err, AK_EFORMAT, "jpeg encode: %s", s->jerr.msg);
        jpeg_destroy_compress(&s->cinfo);
        free(s->out);
        free(s);
        return AK_EFORMAT;
    }
    jpeg_create_compress(&s->cinfo);
    jpeg_mem_dest(&s->cinfo, &s->out, &s->out_size);
    s->cinfo.image_width = (JDIMENSION)width;
    s->cinfo.image_height = (JDIMENSION)height;
    s->cinfo.input_components = channels;
    s->cinfo.in_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&s->cinfo);
    jpeg_set_quality(&s->cinfo, quality, TRUE);
    jpeg_start_compress(&s->cinfo, TRUE);
    const size_t stride = (size_t)width * (size_t)channels;
    while (s->cinfo.next_scanline < s->cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)s->cinfo.next_scanline * stride);
        jpeg_write_scanlines(&s->cinfo, &row, 1);
    }
    jpeg_finish_compress(&s->cinfo);
    jpeg_destroy_compress(&s->cinfo);
    *out = s->out;
    *out_size = (size_t)s->out_size;
    free(s);
    return AK_OK;
}

int ak_write_file_atomic(const char *path, const uint8_t *data, size_t size, ak_error *err) {
    size_t n = strlen(path) + 5;
    char *tmp = malloc(n);
    if (!tmp)
        return ak_error_set(err, AK_ENOMEM, "%s: out of memory", path);
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        ak_error_set(err, AK_EIO, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return AK_EIO;
    }
    size_t put = fwrite(data, 1, size, f);
    int bad = put != size;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        ak_error_set(err, AK_EIO, "%s: write failed: %s", path, strerror(errno));
        remove(tmp);
        free(tmp);
        return AK_EIO;
    }
    free(tmp);
    return AK_OK;
}

int ak_jpeg_write(const char *path, const uint8_t *pixels, int height, int width, int channels, int quality,
                  ak_error *err) {
    uint8_t *buf;
    size_t size;
    int rc = ak_jpeg_encode(pixels, height, width, channels, quality, &buf, &size, err);
    if (rc != AK_OK) {
        ak_error_prefix(err, "%s", path);
        return rc;
    }
    rc = ak_write_file_atomic(path, buf, size, err);
    free(buf);
    return rc;
}
