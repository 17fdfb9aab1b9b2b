/* Fuzz target: PNG files, as Cityscapes label maps (gtFine *_labelIds / *_labelTrainIds, 1 channel)
 * and images (leftImg8bit, RGB), and as `akdbench eval-seg` reads predictions. The input goes through
 * ak_png_read (1 and 3 channels), the signature-sniffing ak_image_read the dataset uses, and the
 * Cityscapes label mapping (both id tables); once as given and once with every chunk CRC repaired.
 * Invariants: failures name the file; a decoded image has a positive size and every byte of it is
 * readable (ASan), the generic reader gives the same pixels as the PNG reader, both channel layouts
 * agree on the size, and mapped labels are train ids (0..18) or 255. */
#include "datasets/cityscapes_dataset.h"
#include "datasets/image.h"
#include "datasets/png_io.h"
#include "fuzz_support.h"

int ak_fuzz_png(const uint8_t *data, size_t size, ak_error *err);

static unsigned png_fz_sum(const uint8_t *p, size_t n) {
    unsigned s = 0;
    for (size_t i = 0; i < n; i++)
        s = s * 31u + p[i];
    return s;
}

/* CRC-32 (PNG's, bitwise: inputs are small). */
static uint32_t png_fz_crc(const uint8_t *p, size_t n) {
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

/* Rewrite every complete chunk's CRC: random mutations then reach libpng's chunk parsing and the
 * pixel paths instead of stopping at the CRC check (libpng's own fuzzer disables CRCs for this). */
static void png_fz_fix_crcs(uint8_t *d, size_t n) {
    size_t off = 8;
    while (off + 12 <= n) {
        uint32_t len = (uint32_t)d[off] << 24 | (uint32_t)d[off + 1] << 16 | (uint32_t)d[off + 2] << 8 | d[off + 3];
        if (len > n - off - 12)
            break;
        uint32_t c = png_fz_crc(d + off + 4, (size_t)len + 4);
        uint8_t *q = d + off + 8 + len;
        q[0] = (uint8_t)(c >> 24);
        q[1] = (uint8_t)(c >> 16);
        q[2] = (uint8_t)(c >> 8);
        q[3] = (uint8_t)c;
        off += 12 + (size_t)len;
    }
}

static int png_fz_one(const uint8_t *data, size_t size, const char *tag, ak_error *err);

/* The input as it is, then with its chunk CRCs repaired; the status of the first. */
int ak_fuzz_png(const uint8_t *data, size_t size, ak_error *err) {
    int rc = png_fz_one(data, size, "label.png", err);
    uint8_t *fixed = malloc(size ? size : 1);
    AK_FUZZ_CHECK(fixed != NULL, "out of memory");
    memcpy(fixed, data, size);
    png_fz_fix_crcs(fixed, size);
    ak_error e2;
    ak_error_clear(&e2);
    png_fz_one(fixed, size, "crc-fixed.png", &e2);
    free(fixed);
    return rc;
}

static int png_fz_one(const uint8_t *data, size_t size, const char *tag, ak_error *err) {
    const char *path = ak_fuzz_temp_file(tag, data, size);
    uint8_t *lab = NULL, *rgb = NULL;
    int h = 0, w = 0, h3 = 0, w3 = 0;
    int rc = ak_png_read(path, 1, &lab, &h, &w, err);
    ak_error e3;
    ak_error_clear(&e3);
    int rc3 = ak_png_read(path, 3, &rgb, &h3, &w3, &e3);
    if (rc3 != AK_OK)
        ak_fuzz_check_failure(rc3, &e3, path);
    else
        (void)png_fz_sum(rgb, (size_t)h3 * (size_t)w3 * 3);

    ak_image im;
    memset(&im, 0, sizeof im);
    ak_error ei;
    ak_error_clear(&ei);
    int rci = ak_image_read(path, 1, &im, &ei);
    /* ak_image_read sniffs the format: the readers must agree only on inputs that claim to be PNGs. */
    const int is_png = size >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0;
    if (rci != AK_OK)
        ak_fuzz_check_failure(rci, &ei, path);
    if (rc != AK_OK) {
        ak_fuzz_check_failure(rc, err, path);
        AK_FUZZ_CHECK(!is_png || rci != AK_OK, "ak_image_read accepted what ak_png_read refused: %s", err->msg);
        ak_image_free(&im);
        free(rgb);
        return rc;
    }
    AK_FUZZ_CHECK(h > 0 && w > 0 && lab, "decoded %dx%d", h, w);
    if (rc3 == AK_OK)
        AK_FUZZ_CHECK(h3 == h && w3 == w, "1 channel %dx%d, 3 channels %dx%d", h, w, h3, w3);
    AK_FUZZ_CHECK(rci == AK_OK, "ak_image_read refused a PNG that ak_png_read decodes: %s", ei.msg);
    AK_FUZZ_CHECK(im.h == h && im.w == w && im.c == 1 && memcmp(im.data, lab, (size_t)h * (size_t)w) == 0,
                  "ak_image_read and ak_png_read differ");
    ak_image_free(&im);

    int64_t n = (int64_t)h * w;
    for (int train_ids = 0; train_ids <= 1; train_ids++) {
        uint8_t *m = malloc((size_t)n);
        AK_FUZZ_CHECK(m != NULL, "out of memory");
        memcpy(m, lab, (size_t)n);
        int64_t first_bad = -2;
        int64_t bad = ak_cityscapes_map_labels(m, n, train_ids, &first_bad);
        AK_FUZZ_CHECK(bad >= 0 && bad <= n && (bad == 0) == (first_bad == -1), "bad %lld first %lld",
                      (long long)bad, (long long)first_bad);
        for (int64_t i = 0; i < n; i++)
            AK_FUZZ_CHECK(m[i] < 19 || m[i] == 255, "pixel %lld mapped to %d", (long long)i, m[i]);
        free(m);
    }
    free(lab);
    free(rgb);
    return AK_OK;
}

AK_FUZZ_ENTRY(ak_fuzz_png)
