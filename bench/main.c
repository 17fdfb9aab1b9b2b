/* akdbench: the command line. Dispatches to the subcommands in the table below. */
#include <stdio.h>
#include <string.h>

#include "bench/commands.h"
#include "core/runtime.h"

static const ak_command commands[] = {
    {"env", "", "print the math libraries, kernel and threads this process uses", ak_cmd_env},
    {"train", "CONFIG.yaml [--set k=v] [--resume]", "train one run into an HDF5 run file", ak_cmd_train},
    {"sweep", "SWEEP.yaml [--jobs N] [--dir DIR]", "run a matrix of runs (resumable) and index them", ak_cmd_sweep},
    {"data", "synth|info coco|cityscapes ...", "write a synthetic dataset / check a dataset's files", ak_cmd_data},
    {"config", "CONFIG.yaml [--set k=v] | --keys", "print the resolved run config and its run id / every key", ak_cmd_config},
    {"h5", "check|show RUN.h5", "validate a run file against the schema / print its provenance", ak_cmd_h5},
    {"eval-coco", "GT.json DETS.json [--json OUT]", "COCO bbox AP of a results file (official rules)", ak_cmd_eval_coco},
    {"report", "SWEEP_DIR [--format md,tex,csv,png,svg] [--out DIR]", "paper-style tables and plots from a sweep's run files", ak_cmd_report},
    {"eval-seg", "GT_DIR PRED_DIR [--json OUT]", "Cityscapes mIoU / aAcc / mAcc of label PNG folders", ak_cmd_eval_seg},
    {"avatars", "eval CONFIG.yaml [--weights W] [--k 1,2,4,8] [--p ...]", "avatar capacity: the teacher on K averaged avatars of its features vs vanilla", ak_cmd_avatars},
    {"export", "RUN.h5|CKPT --out FILE [--format F] [--key-style S]", "the student's weights as a plain state dict (safetensors / HDF5)", ak_cmd_export},
};
static const int n_commands = (int)(sizeof commands / sizeof commands[0]);

static void usage(FILE *f) {
    fprintf(f, "usage: akdbench COMMAND [ARGS...]\n\ncommands:\n");
    for (int i = 0; i < n_commands; i++)
        fprintf(f, "  %-10s %-40s %s\n", commands[i].name, commands[i].usage, commands[i].help);
}

int main(int argc, char **argv) {
    ak_runtime_bootstrap(argc, argv);
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 0; i < n_commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "akdbench: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
