/* Fuzz target: JPEG files (COCO images) through ak_jpeg_decode (RGB and grey), the header-only
 * ak_jpeg_read_size the dataset check uses, and the signature-sniffing ak_image_read the loader uses.
 * Invariants: failures name the file; a decoded image has a positive size with every byte readable
 * (ASan); RGB and grey decodes, the header reader and the generic reader agree on the size, and the
 * generic reader gives the decoder's pixels. */
#include "datasets/image.h"
#include "datasets/jpeg_io.h"
#include "fuzz_support.h"

int ak_fuzz_jpeg(const uint8_t *data, size_t size, ak_error *err);

static unsigned jpeg_fz_sum(const uint8_t *p, size_t n) {
    unsigned s = 0;
    for (size_t i = 0; i < n; i++)
        s = s * 31u + p[i];
    return s;
}

int ak_fuzz_jpeg(const uint8_t *data, size_t size, ak_error *err) {
    const char *path = ak_fuzz_temp_file("image.jpg", data, size);
    uint8_t *rgb = NULL, *grey = NULL;
    int h = 0, w = 0, hg = 0, wg = 0;
    int rc = ak_jpeg_decode(data, size, path, 3, &rgb, &h, &w, err);
    ak_error eg;
    ak_error_clear(&eg);
    int rcg = ak_jpeg_decode(data, size, path, 1, &grey, &hg, &wg, &eg);
    if (rcg != AK_OK)
        ak_fuzz_check_failure(rcg, &eg, path);
    else
        (void)jpeg_fz_sum(grey, (size_t)hg * (size_t)wg);
    free(grey);

    int hs = 0, ws = 0;
    ak_error es;
    ak_error_clear(&es);
    int rcs = ak_jpeg_read_size(path, &hs, &ws, &es);
    if (rcs != AK_OK)
        ak_fuzz_check_failure(rcs, &es, path);

    ak_image im;
    memset(&im, 0, sizeof im);
    ak_error ei;
    ak_error_clear(&ei);
    int rci = ak_image_read(path, 3, &im, &ei);
    if (rci != AK_OK)
        ak_fuzz_check_failure(rci, &ei, path);

    if (rc != AK_OK) {
        ak_fuzz_check_failure(rc, err, path);
        ak_image_free(&im);
        return rc;
    }
    AK_FUZZ_CHECK(h > 0 && w > 0 && rgb, "decoded %dx%d", h, w);
    (void)jpeg_fz_sum(rgb, (size_t)h * (size_t)w * 3);
    if (rcg == AK_OK)
        AK_FUZZ_CHECK(hg == h && wg == w, "RGB %dx%d, grey %dx%d", h, w, hg, wg);
    AK_FUZZ_CHECK(rcs == AK_OK && hs == h && ws == w, "header says %dx%d (%s), decoder %dx%d", hs, ws, es.msg, h, w);
    AK_FUZZ_CHECK(rci == AK_OK, "ak_image_read refused a JPEG that ak_jpeg_decode decodes: %s", ei.msg);
    AK_FUZZ_CHECK(im.h == h && im.w == w && im.c == 3 && memcmp(im.data, rgb, (size_t)h * (size_t)w * 3) == 0,
                  "ak_image_read and ak_jpeg_decode differ");
    ak_image_free(&im);
    free(rgb);
    return AK_OK;
}

AK_FUZZ_ENTRY(ak_fuzz_jpeg)
