/* `akdbench data`: synthetic datasets in the real formats, and a reader check.
 *
 *   akdbench data synth coco|cityscapes --out DIR --images N --size HxW --seed S [--split train|val]
 *                       [--max-objects N] [--min-box PX] [--clean]     (COCO scene options, synth_draw.h)
 *   akdbench data info coco --ann FILE --images DIR [--train] [--decode] [--on-bad-sample=error|skip]
 *   akdbench data info cityscapes --root DIR --split S [--decode] [--on-bad-sample=error|skip]
 *
 * `info` opens the dataset with the same readers as training (every rule and error of
 * coco_dataset.h / cityscapes_dataset.h applies) and prints what it found; --decode also decodes
 * every image (finds truncated or corrupt files). Skipped samples are printed, never silent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/commands.h"
#include "datasets/cityscapes_dataset.h"
#include "datasets/cityscapes_labels.h"
#include "datasets/coco_dataset.h"
#include "datasets/synth_cityscapes.h"
#include "datasets/synth_coco.h"

static int usage(void) {
    fprintf(stderr,
            "usage: akdbench data synth coco|cityscapes --out DIR --images N --size HxW --seed S [--split train|val]\n"
            "                         [--max-objects N] [--min-box PX] [--clean]\n"
            "       akdbench data info coco --ann FILE --images DIR [--train] [--decode] [--on-bad-sample=error|skip]\n"
            "       akdbench data info cityscapes --root DIR --split S [--decode] [--on-bad-sample=error|skip]\n");
    return 2;
}

/* "--key value" or "--key=value"; advances *i. NULL if argv[*i] is not --key. */
static const char *opt_value(int argc, char **argv, int *i, const char *key) {
    const size_t n = strlen(key);
    if (strncmp(argv[*i], key, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static int parse_i64(const char *s, long long *out) {
    char *end;
    *out = strtoll(s, &end, 10);
    return s[0] != '\0' && *end == '\0';
}

static int cmd_synth(int argc, char **argv) {
    if (argc < 2)
        return usage();
    const char *kind = argv[1];
    ak_synth_opts o = {NULL, 0, 0, 0, 0, "train", 0, 0, false};
    long long v;
    for (int i = 2; i < argc; i++) {
        const char *val;
        if ((val = opt_value(argc, argv, &i, "--out")))
            o.out_dir = val;
        else if ((val = opt_value(argc, argv, &i, "--images")) && parse_i64(val, &v) && v > 0)
            o.n_images = v;
        else if ((val = opt_value(argc, argv, &i, "--seed")) && parse_i64(val, &v) && v >= 0)
            o.seed = (uint64_t)v;
        else if ((val = opt_value(argc, argv, &i, "--split")) && (!strcmp(val, "train") || !strcmp(val, "val")))
            o.split = val;
        else if ((val = opt_value(argc, argv, &i, "--size")) && sscanf(val, "%dx%d", &o.height, &o.width) == 2)
            continue;
        else if ((val = opt_value(argc, argv, &i, "--max-objects")) && parse_i64(val, &v) && v >= 1 && v <= 90)
            o.max_objects = (int)v;
        else if ((val = opt_value(argc, argv, &i, "--min-box")) && parse_i64(val, &v) && v >= 4 && v <= 4096)
            o.min_box = (int)v;
        else if (strcmp(argv[i], "--clean") == 0)
            o.clean = true;
        else {
            fprintf(stderr, "akdbench data synth: bad or incomplete option '%s'\n", argv[i]);
            return usage();
        }
    }
    if (!o.out_dir || o.n_images <= 0 || o.height <= 0 || o.width <= 0) {
        fprintf(stderr, "akdbench data synth: --out, --images and --size are required\n");
        return usage();
    }
    ak_error err;
    ak_error_clear(&err);
    if (strcmp(kind, "coco") == 0) {
        ak_synth_coco_stats st;
        if (ak_synth_coco(&o, &st, &err) != AK_OK) {
            fprintf(stderr, "akdbench data synth coco: %s\n", err.msg);
            return 1;
        }
        printf("wrote %s/%s2017 (%lld images) and %s/annotations/instances_%s2017.json\n", o.out_dir, o.split,
               (long long)st.images, o.out_dir, o.split);
        printf("boxes: %lld (small %lld, medium %lld, large %lld), crowd regions: %lld\nper class:", (long long)st.anns,
               (long long)st.small, (long long)st.medium, (long long)st.large, (long long)st.crowd);
        for (int c = 0; c < AK_SYNTH_COCO_CLASSES; c++)
            printf(" %s=%lld", ak_synth_coco_cat_names[c], (long long)st.per_class[c]);
        printf("\n");
        return 0;
    }
    if (strcmp(kind, "cityscapes") == 0) {
        ak_synth_cityscapes_stats st;
        if (ak_synth_cityscapes(&o, &st, &err) != AK_OK) {
            fprintf(stderr, "akdbench data synth cityscapes: %s\n", err.msg);
            return 1;
        }
        printf("wrote %s/leftImg8bit/%s and %s/gtFine/%s (%lld images)\npixels per train id:", o.out_dir, o.split,
               o.out_dir, o.split, (long long)st.images);
        for (int c = 0; c < AK_CITYSCAPES_CLASSES; c++)
            printf(" %s=%.2f%%", ak_cityscapes_class_name(c), 100.0 * (double)st.pixels[c] / (double)st.total);
        printf(" void=%.2f%%\n", 100.0 * (double)st.pixels[AK_CITYSCAPES_CLASSES] / (double)st.total);
        return 0;
    }
    fprintf(stderr, "akdbench data synth: unknown dataset '%s' (coco or cityscapes)\n", kind);
    return usage();
}

static int cmd_info(int argc, char **argv) {
    if (argc < 2)
        return usage();
    const char *kind = argv[1], *ann = NULL, *images = NULL, *root = NULL, *split = NULL;
    int train = 0, decode = 0;
    ak_bad_sample_policy policy = AK_BAD_SAMPLE_ERROR;
    ak_error err;
    ak_error_clear(&err);
    for (int i = 2; i < argc; i++) {
        const char *val;
        if ((val = opt_value(argc, argv, &i, "--ann")))
            ann = val;
        else if ((val = opt_value(argc, argv, &i, "--images")))
            images = val;
        else if ((val = opt_value(argc, argv, &i, "--root")))
            root = val;
        else if ((val = opt_value(argc, argv, &i, "--split")))
            split = val;
        else if ((val = opt_value(argc, argv, &i, "--on-bad-sample"))) {
            if (ak_bad_sample_parse(val, &policy, &err) != AK_OK) {
                fprintf(stderr, "akdbench data info: %s\n", err.msg);
                return 2;
            }
        } else if (strcmp(argv[i], "--train") == 0)
            train = 1;
        else if (strcmp(argv[i], "--decode") == 0)
            decode = 1;
        else {
            fprintf(stderr, "akdbench data info: bad option '%s'\n", argv[i]);
            return usage();
        }
    }
    int64_t decode_failures = 0;
    if (strcmp(kind, "coco") == 0 && ann && images) {
        ak_coco_dataset ds;
        ak_coco_dataset_opts o = {ann, images, train, policy, 1};
        if (ak_coco_dataset_open(&ds, &o, &err) != AK_OK) {
            fprintf(stderr, "akdbench data info: %s\n", err.msg);
            return 1;
        }
        char line[2048];
        ak_coco_dataset_summary(&ds, line, sizeof line);
        printf("%s\n", line);
        ak_image im = {0};
        for (int64_t i = 0; decode && i < ds.n; i++) {
            ak_error e;
            ak_error_clear(&e);
            if (ak_coco_dataset_decode(&ds, i, &im, &e) != AK_OK) {
                fprintf(stderr, "%s: %s\n", policy == AK_BAD_SAMPLE_SKIP ? "warning" : "error", e.msg);
                decode_failures++;
            }
        }
        ak_image_free(&im);
        if (ds.bad.count)
            fprintf(stderr, "warning: %lld bad items skipped; first: %s\n", (long long)ds.bad.count, ds.bad.first);
        ak_coco_dataset_close(&ds);
    } else if (strcmp(kind, "cityscapes") == 0 && root && split) {
        ak_cityscapes_dataset ds;
        ak_cityscapes_opts o = {root, split, policy};
        if (ak_cityscapes_open(&ds, &o, &err) != AK_OK) {
            fprintf(stderr, "akdbench data info: %s\n", err.msg);
            return 1;
        }
        printf("cityscapes %s/%s: %lld samples\n", root, split, (long long)ds.n);
        ak_image im = {0}, lab = {0};
        int64_t bad_pixels = 0;
        for (int64_t i = 0; decode && i < ds.n; i++) {
            ak_error e;
            ak_error_clear(&e);
            int64_t bp = 0;
            if (ak_cityscapes_decode(&ds, i, &im, &lab, &bp, &e) != AK_OK) {
                fprintf(stderr, "%s: %s\n", policy == AK_BAD_SAMPLE_SKIP ? "warning" : "error", e.msg);
                decode_failures++;
            }
            bad_pixels += bp;
        }
        if (bad_pixels)
            fprintf(stderr, "warning: %lld label values outside the table were mapped to 255\n", (long long)bad_pixels);
        ak_image_free(&im);
        ak_image_free(&lab);
        if (ds.bad.count)
            fprintf(stderr, "warning: %lld bad samples skipped; first: %s\n", (long long)ds.bad.count, ds.bad.first);
        ak_cityscapes_close(&ds);
    } else {
        return usage();
    }
    if (decode_failures) {
        fprintf(stderr, "%lld samples failed to decode%s\n", (long long)decode_failures,
                policy == AK_BAD_SAMPLE_SKIP ? " (the loader replaces them and counts them: --on-bad-sample=skip)" : "");
        return policy == AK_BAD_SAMPLE_SKIP ? 0 : 1;
    }
    return 0;
}

int ak_cmd_data(int argc, char **argv) {
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "synth") == 0)
        return cmd_synth(argc - 1, argv + 1);
    if (strcmp(argv[1], "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    return usage();
}
