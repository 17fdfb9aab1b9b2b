/* datasets/png_io: round trips, every PNG layout converted as png_io.h promises (written here with
 * libpng directly), and corrupt / truncated / missing files. The fixture PNGs with all row filters,
 * stored blocks and split IDAT are read by test_seg_metrics. */
#include <png.h>

#include "datasets/png_io.h"
#include "akscratch.h"
#include "eval_support.h"

static char *tmp_dir;

static void setup(void) { tmp_dir = eval_tmpdir(); }
static void teardown(void) {
    ak_scratch_remove(tmp_dir);
    free(tmp_dir);
}

static char *tmp_path(const char *name) {
    char *p = malloc(strlen(tmp_dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", tmp_dir, name);
    return p;
}

/* Write rows of raw PNG samples (already packed for the bit depth) with libpng. */
static void write_raw(const char *path, int w, int h, int depth, int color, int interlace, const uint8_t *data,
                      size_t rowbytes, const png_color *pal, int n_pal) {
    FILE *f = fopen(path, "wb");
    ck_assert(f != NULL);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    ck_assert(png && info);
    if (setjmp(png_jmpbuf(png)))
        ck_abort_msg("libpng failed writing %s", path);
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (pal)
        png_set_PLTE(png, info, pal, n_pal);
    png_write_info(png, info);
    if (depth == 16)
        png_set_swap(png); /* our buffers are little-endian uint16 */
    int passes = png_set_interlace_handling(png);
    for (int p = 0; p < passes; p++)
        for (int y = 0; y < h; y++)
            png_write_row(png, (png_const_bytep)(data + (size_t)y * rowbytes));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
}

static void read_ok(const char *path, int channels, uint8_t **px, int want_h, int want_w) {
    int h = 0, w = 0;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_png_read(path, channels, px, &h, &w, &err) == AK_OK, "%s", err.msg);
    ck_assert_int_eq(h, want_h);
    ck_assert_int_eq(w, want_w);
}

START_TEST(round_trip) {
    enum { H = 37, W = 53 };
    uint8_t src[H * W * 3];
    float u[H * W * 3];
    ak_test_fill_uniform(u, H * W * 3, 5, 0.0f, 256.0f);
    for (int i = 0; i < H * W * 3; i++)
        src[i] = (uint8_t)u[i];
    const int levels[] = {0, 1, 6, 9, -1};
    for (int c = 1; c <= 3; c += 2)
        for (size_t l = 0; l < sizeof levels / sizeof *levels; l++) {
            char *p = tmp_path("rt.png");
            ak_error err;
            ak_error_clear(&err);
            ck_assert_msg(ak_png_write(p, src, H, W, c, levels[l], &err) == AK_OK, "%s", err.msg);
            uint8_t *px;
            read_ok(p, c, &px, H, W);
            ck_assert_msg(memcmp(px, src, (size_t)H * W * c) == 0, "channels %d level %d differ", c, levels[l]);
            free(px);
            free(p);
        }
}
END_TEST

START_TEST(layouts_converted) {
    uint8_t *px;
    /* palette, 4 bits: channels 1 gives the index (label semantics), channels 3 the colour */
    png_color pal[16];
    for (int i = 0; i < 16; i++)
        pal[i] = (png_color){(png_byte)(i * 10), (png_byte)(i * 3), (png_byte)(255 - i)};
    uint8_t packed4[2][2] = {{0x01, 0x2F}, {0xE3, 0x40}}; /* 2 rows x 3 pixels, 4 bits each */
    char *p = tmp_path("pal.png");
    write_raw(p, 3, 2, 4, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, &packed4[0][0], 2, pal, 16);
    read_ok(p, 1, &px, 2, 3);
    const uint8_t idx[6] = {0, 1, 2, 14, 3, 4};
    ck_assert(memcmp(px, idx, 6) == 0);
    free(px);
    read_ok(p, 3, &px, 2, 3);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(px[3 * i], idx[i] * 10);
        ck_assert_int_eq(px[3 * i + 1], idx[i] * 3);
        ck_assert_int_eq(px[3 * i + 2], 255 - idx[i]);
    }
    free(px);
    free(p);

    /* grey 2 bits: raw values for labels, 0/85/170/255 for images */
    uint8_t packed2[1] = {0x1B}; /* 0,1,2,3 */
    p = tmp_path("g2.png");
    write_raw(p, 4, 1, 2, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, packed2, 1, NULL, 0);
    read_ok(p, 1, &px, 1, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(px[i], i);
    free(px);
    read_ok(p, 3, &px, 1, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(px[3 * i + 2], i * 85);
    free(px);
    free(p);

    /* grey 16 bits: labels that fit 8 bits are kept; 300 is an error naming the file */
    uint16_t g16[4] = {0, 7, 33, 255};
    p = tmp_path("g16.png");
    write_raw(p, 2, 2, 16, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, (const uint8_t *)g16, 4, NULL, 0);
    read_ok(p, 1, &px, 2, 2);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(px[i], g16[i]);
    free(px);
    g16[2] = 300;
    write_raw(p, 2, 2, 16, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, (const uint8_t *)g16, 4, NULL, 0);
    ak_error err;
    ak_error_clear(&err);
    int h, w;
    ck_assert_int_eq(ak_png_read(p, 1, &px, &h, &w, &err), AK_ERANGE);
    ck_assert_msg(strstr(err.msg, "g16.png") && strstr(err.msg, "300"), "%s", err.msg);
    ck_assert(px == NULL);
    free(p);

    /* grey + alpha, RGB with equal channels, RGBA, Adam7-interlaced grey */
    uint8_t ga[2][4] = {{5, 255, 6, 0}, {7, 128, 8, 1}};
    p = tmp_path("ga.png");
    write_raw(p, 2, 2, 8, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_INTERLACE_NONE, &ga[0][0], 4, NULL, 0);
    read_ok(p, 1, &px, 2, 2);
    ck_assert(px[0] == 5 && px[1] == 6 && px[2] == 7 && px[3] == 8);
    free(px);
    free(p);
    uint8_t rgb[6] = {26, 26, 26, 11, 11, 11};
    p = tmp_path("rgb.png");
    write_raw(p, 2, 1, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, rgb, 6, NULL, 0);
    read_ok(p, 1, &px, 1, 2);
    ck_assert(px[0] == 26 && px[1] == 11);
    free(px);
    free(p);
    uint8_t rgba[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    p = tmp_path("rgba.png");
    write_raw(p, 2, 1, 8, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE, rgba, 8, NULL, 0);
    read_ok(p, 3, &px, 1, 2);
    const uint8_t want_rgb[6] = {1, 2, 3, 5, 6, 7};
    ck_assert(memcmp(px, want_rgb, 6) == 0);
    free(px);
    free(p);
    enum { IH = 11, IW = 13 };
    uint8_t il[IH * IW];
    for (int i = 0; i < IH * IW; i++)
        il[i] = (uint8_t)(i * 7);
    p = tmp_path("adam7.png");
    write_raw(p, IW, IH, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_ADAM7, il, IW, NULL, 0);
    read_ok(p, 1, &px, IH, IW);
    ck_assert(memcmp(px, il, sizeof il) == 0);
    free(px);
    free(p);
}
END_TEST

static long file_size(const char *path) {
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* Copy the first n bytes of src to dst, optionally flipping one byte at `flip`. */
static void copy_prefix(const char *src, const char *dst, long n, long flip) {
    FILE *f = fopen(src, "rb");
    uint8_t *buf = malloc((size_t)n);
    ck_assert(fread(buf, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    if (flip >= 0)
        buf[flip] ^= 0x5A;
    f = fopen(dst, "wb");
    fwrite(buf, 1, (size_t)n, f);
    fclose(f);
    free(buf);
}

static void expect_error(const char *path, int code, const char *name) {
    uint8_t *px = (uint8_t *)1;
    int h, w;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_int_eq(ak_png_read(path, 1, &px, &h, &w, &err), code);
    ck_assert(px == NULL);
    ck_assert_msg(strstr(err.msg, name) != NULL, "message '%s' does not name %s", err.msg, name);
}

START_TEST(bad_files) {
    /* the fixture with many IDAT chunks and every filter type */
    char *src = eval_fixture("miou/case_05/gt/003_gtFine_labelIds.png");
    uint8_t *px;
    int h, w;
    ak_error err;
    ak_error_clear(&err);
    ck_assert_msg(ak_png_read(src, 1, &px, &h, &w, &err) == AK_OK, "%s", err.msg);
    free(px);
    long n = file_size(src);
    char *p = tmp_path("trunc.png");
    copy_prefix(src, p, n / 2, -1); /* cut inside the image data */
    expect_error(p, AK_EFORMAT, "trunc.png");
    copy_prefix(src, p, n - 6, -1); /* cut inside IEND */
    expect_error(p, AK_EFORMAT, "trunc.png");
    copy_prefix(src, p, 20, -1); /* cut inside IHDR */
    expect_error(p, AK_EFORMAT, "trunc.png");
    copy_prefix(src, p, n, n / 2); /* one damaged byte in the image data: CRC or zlib error */
    expect_error(p, AK_EFORMAT, "trunc.png");
    free(p);
    p = tmp_path("text.png");
    FILE *f = fopen(p, "wb");
    fputs("this is not a png file", f);
    fclose(f);
    expect_error(p, AK_EFORMAT, "text.png");
    free(p);
    p = tmp_path("missing.png");
    expect_error(p, AK_EIO, "missing.png");
    free(p);
    free(src);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("png_io");
    TCase *tc = tcase_create("png");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, layouts_converted);
    tcase_add_test(tc, bad_files);
    suite_add_tcase(s, tc);
    return s;
}

AK_TEST_MAIN(suite)
