/* See synth_cityscapes.h: writes the rendered scenes (synth_street.c) in the Cityscapes layout. */
#include "datasets/synth_cityscapes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fs.h"
#include "datasets/png_io.h"

static const char *const train_cities[] = {"aachen", "bochum", "bremen"};
static const char *const val_cities[] = {"frankfurt", "lindau", "munster"};

int ak_synth_cityscapes(const ak_synth_opts *o, ak_synth_cityscapes_stats *stats, ak_error *err) {
    if (!o->out_dir || o->n_images <= 0 || o->height < 16 || o->width < 16 || !o->split)
        return ak_error_set(err, AK_EINVAL, "synth cityscapes: need out_dir, images >= 1 and a size of at least 16x16 "
                            "(got %lld images, %dx%d)", (long long)o->n_images, o->height, o->width);
    const int val = strcmp(o->split, "val") == 0;
    const char *const *cities = val ? val_cities : train_cities;
    const int64_t n = o->n_images;
    for (int c = 0; c < 3; c++) {
        char dir[4096];
        if (snprintf(dir, sizeof dir, "%s/leftImg8bit/%s/%s", o->out_dir, o->split, cities[c]) >= (int)sizeof dir)
            return ak_error_set(err, AK_EINVAL, "synth cityscapes: output path too long: %s", o->out_dir);
        AK_TRY(ak_mkdir_p(dir, err));
        snprintf(dir, sizeof dir, "%s/gtFine/%s/%s", o->out_dir, o->split, cities[c]);
        AK_TRY(ak_mkdir_p(dir, err));
    }
    ak_error *errs = calloc((size_t)n, sizeof *errs);
    int64_t(*counts)[AK_CITYSCAPES_CLASSES + 1] = calloc((size_t)n, sizeof *counts);
    if (!errs || !counts) {
        free(errs);
        free(counts);
        return ak_error_set(err, AK_ENOMEM, "synth cityscapes: out of memory");
    }
    const size_t px = (size_t)o->height * (size_t)o->width;
#pragma omp parallel
    {
        uint8_t *rgb = malloc(px * 3), *lab = malloc(px);
        int32_t *ids = malloc(px * sizeof(int32_t));
#pragma omp for schedule(dynamic)
        for (int64_t i = 0; i < n; i++) {
            if (!rgb || !lab || !ids) {
                ak_error_set(&errs[i], AK_ENOMEM, "synth cityscapes: out of memory");
                continue;
            }
            ak_synth_cityscapes_render(o->seed, i, o->height, o->width, rgb, ids);
            for (size_t k = 0; k < px; k++) {
                lab[k] = (uint8_t)ids[k];
                const uint8_t t = ak_cityscapes_train_id(ids[k]);
                counts[i][t == AK_IGNORE_LABEL ? AK_CITYSCAPES_CLASSES : t]++;
            }
            const char *city = cities[i * 3 / n];
            char path[4200];
            snprintf(path, sizeof path, "%s/leftImg8bit/%s/%s/%s_%06lld_000019_leftImg8bit.png", o->out_dir, o->split,
                     city, city, (long long)i);
            if (ak_png_write(path, rgb, o->height, o->width, 3, 3, &errs[i]) != AK_OK)
                continue;
            snprintf(path, sizeof path, "%s/gtFine/%s/%s/%s_%06lld_000019_gtFine_labelIds.png", o->out_dir, o->split,
                     city, city, (long long)i);
            ak_png_write(path, lab, o->height, o->width, 1, 3, &errs[i]);
        }
        free(rgb);
        free(lab);
        free(ids);
    }
    int rc = AK_OK;
    ak_synth_cityscapes_stats st;
    memset(&st, 0, sizeof st);
    st.images = n;
    for (int64_t i = 0; i < n; i++) {
        if (rc == AK_OK && errs[i].code != AK_OK)
            rc = ak_error_set(err, errs[i].code, "%s", errs[i].msg);
        for (int c = 0; c <= AK_CITYSCAPES_CLASSES; c++)
            st.pixels[c] += counts[i][c];
    }
    st.total = (int64_t)px * n;
    if (stats)
        *stats = st;
    free(errs);
    free(counts);
    return rc;
}
