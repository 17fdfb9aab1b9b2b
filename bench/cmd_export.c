/* `akdbench export RUN.h5|CHECKPOINT --out FILE [--format safetensors|hdf5] [--key-style ours|torchvision|
 * mmdet|mmseg]`: the student's weights of a run file (its final /checkpoint) or of a checkpoint, as a
 * plain state dict without distillation-loss parameters, teacher or optimizer state
 * (models/weights_export.h), which model.*.weights / pretrained, PyTorch and h5py load back.
 * The format defaults to the output's extension (.h5 / .hdf5 -> hdf5, else safetensors). */
#include <stdio.h>
#include <string.h>

#include "bench/commands.h"
#include "models/weights_export.h"

static int usage(void) {
    fprintf(stderr, "usage: akdbench export RUN.h5|CHECKPOINT --out FILE [--format safetensors|hdf5] "
                    "[--key-style ours|torchvision|mmdet|mmseg]\n");
    return 2;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int ak_cmd_export(int argc, char **argv) {
    const char *in = NULL, *out = NULL, *format = NULL, *style = "ours";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
            format = argv[++i];
        else if (strcmp(argv[i], "--key-style") == 0 && i + 1 < argc)
            style = argv[++i];
        else if (argv[i][0] == '-' || in)
            return usage();
        else
            in = argv[i];
    }
    if (!in || !out)
        return usage();
    ak_error err;
    ak_error_clear(&err);
    ak_export_opts o;
    if (!format)
        o.format = ends_with(out, ".h5") || ends_with(out, ".hdf5") ? AK_WF_HDF5 : AK_WF_SAFETENSORS;
    else if (strcmp(format, "safetensors") == 0)
        o.format = AK_WF_SAFETENSORS;
    else if (strcmp(format, "hdf5") == 0)
        o.format = AK_WF_HDF5;
    else {
        fprintf(stderr, "akdbench export: --format '%s': expected safetensors or hdf5\n", format);
        return 2;
    }
    if (ak_key_style_parse(style, &o.style, &err) != AK_OK || o.style == AK_KEYS_AUTO) {
        fprintf(stderr, "akdbench export: --key-style '%s': expected ours, torchvision, mmdet or mmseg\n", style);
        return 2;
    }
    ak_export_info info;
    if (ak_export_student_weights(in, out, &o, &info, &err) != AK_OK) {
        fprintf(stderr, "akdbench export: %s (%s)\n", err.msg, ak_strerror(err.code));
        return 1;
    }
    printf("%s: %d tensors of the student %s (%s keys, %s) from %s (%s); %d other tensors left out\n", out,
           info.written, info.model, ak_key_style_name(o.style), o.format == AK_WF_HDF5 ? "hdf5" : "safetensors", in,
           info.layout, info.dropped);
    return 0;
}
