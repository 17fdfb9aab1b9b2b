/* The akdbench subcommands. Each lives in its own bench/cmd_<name>.c and is listed once in the
 * table in main.c. A command gets argv after its own name (argv[0] is the command name), prints its
 * results on stdout and its errors on stderr, and returns the process exit status (0 = success,
 * 1 = failure, 2 = usage error). Only the command line exits; library code returns errors. */
#ifndef AK_BENCH_COMMANDS_H
#define AK_BENCH_COMMANDS_H

typedef int (*ak_command_fn)(int argc, char **argv);

typedef struct ak_command {
    const char *name;
    const char *usage; /* one line: arguments after the name */
    const char *help;  /* one line: what it does */
    ak_command_fn run;
} ak_command;

int ak_cmd_env(int argc, char **argv);
int ak_cmd_train(int argc, char **argv);
int ak_cmd_sweep(int argc, char **argv);
int ak_cmd_data(int argc, char **argv);
int ak_cmd_config(int argc, char **argv);
int ak_cmd_h5(int argc, char **argv);
int ak_cmd_eval_coco(int argc, char **argv);
int ak_cmd_eval_seg(int argc, char **argv);
int ak_cmd_report(int argc, char **argv);
int ak_cmd_avatars(int argc, char **argv);
int ak_cmd_export(int argc, char **argv);

#endif
