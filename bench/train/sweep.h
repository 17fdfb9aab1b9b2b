/* Sweeps: the matrix of runs behind a paper-style table, from a sweep YAML file:
 *
 *   name: synth_cityscapes
 *   teacher: ../synth_cityscapes_teacher.yaml   # optional; trained first, its final weights become
 *                                               # model.teacher.weights of every other run
 *   runs:                                       # each: a run config and the avatar settings to try
 *     - {config: ../synth_cityscapes_none.yaml}
 *     - {config: ../synth_cityscapes_cwd.yaml, avatars: [false, true]}
 *   seeds: [0, 1, 2]                            # train.seed of each student run
 *   set: [schedule.max_iters=200]               # overrides for every run (teacher included)
 *   grid:                                       # optional ablation grid, crossed with the runs
 *     akd.num_avatars: [1, 2, 4, 8]
 *     akd.rate: [0.05, 0.1]
 *
 * Paths are relative to the sweep file. Unknown keys are errors naming the file and line.
 * Execution: every run is `akdbench train CONFIG --set ... --out SWEEP_DIR/NAME.h5 --resume --quiet`
 * in its own process (opts->jobs at a time): finished runs are skipped by the trainer, unfinished ones
 * resume from their checkpoint. After each run its final metrics are upserted into
 * SWEEP_DIR/results.h5. A lock file (SWEEP_DIR/.sweep.lock, flock) refuses a second sweep on the same
 * folder. Run names: <config stem>[-avatars]-s<seed>[-<key>=<value>...].
 */
#ifndef AK_SWEEP_H
#define AK_SWEEP_H

#include <signal.h>
#include <stdbool.h>

#include "core/error.h"

#define AK_SWEEP_MAX_SETS 32

typedef struct ak_sweep_run {
    char name[256];
    char config[4096];
    char out[4096];
    int n_sets;
    char sets[AK_SWEEP_MAX_SETS][512];
    bool is_teacher;
    bool avatars;
    int seed;
} ak_sweep_run;

typedef struct ak_sweep_plan {
    char name[128];
    char dir[4096];
    int n_runs;
    ak_sweep_run *runs; /* the teacher first when there is one */
} ak_sweep_plan;

/* Parse the sweep file and lay out its runs under sweep_dir. extra_sets apply to every run. */
int ak_sweep_plan_load(ak_sweep_plan *plan, const char *sweep_file, const char *sweep_dir,
                       const char *const *extra_sets, int n_extra, ak_error *err);
void ak_sweep_plan_free(ak_sweep_plan *plan);

typedef struct ak_sweep_opts {
    const char *akdbench; /* path of the akdbench executable */
    int jobs;             /* parallel runs (>= 1) */
    bool verbose;
    /* Set (by the caller's SIGINT / SIGTERM handler) to stop: no new run starts, the running ones
     * get SIGINT (each checkpoints and exits, resumable) and are waited for. NULL: never. */
    volatile sig_atomic_t *stop;
} ak_sweep_opts;

/* Run the plan. Returns AK_OK when every run completed; a failed run is reported (file and exit
 * status) and the others still run. A stop request returns AK_ESTATE ("interrupted") after every
 * started run has exited; re-running the same sweep resumes them. */
int ak_sweep_execute(const ak_sweep_plan *plan, const ak_sweep_opts *opts, ak_error *err);

/* Write a Slurm job array script running one plan entry per task (same run files). */
int ak_sweep_emit_slurm(const ak_sweep_plan *plan, const char *akdbench, const char *out_dir, ak_error *err);

#endif
