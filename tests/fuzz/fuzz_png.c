/* Fuzz target: PNG files, as Cityscapes label maps (gtFine *_labelIds / *_labelTrainIds, 1 channel)
 * and images (leftImg8bit, RGB), and as `akdbench eval-seg` reads predictions. The input goes through
 * ak_png_read (1 and 3 channels), the signature-sniffing ak_image_read the dataset uses, and the
 * Cityscapes label mapping (both id tables).
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

int ak_fuzz_png(const uint8_t *data, size_t size, ak_error *err) {
    const char *path = ak_fuzz_temp_file("label.png", data, size);
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
