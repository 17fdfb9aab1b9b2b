/* Sweep planning and execution; see sweep.h. */
#include "bench/train/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/config.h"
#include "store/fsutil.h"
#include "store/results_index.h"

static void dirname_of(const char *path, char *out, size_t len) {
    snprintf(out, len, "%s", path);
    char *s = strrchr(out, '/');
    if (s)
        *s = '\0';
    else
        snprintf(out, len, ".");
}

static void resolve(const char *base_dir, const char *rel, char *out, size_t len) {
    if (rel[0] == '/')
        snprintf(out, len, "%s", rel);
    else
        snprintf(out, len, "%s/%s", base_dir, rel);
}

static void stem_of(const char *path, char *out, size_t len) {
    const char *b = strrchr(path, '/');
    snprintf(out, len, "%s", b ? b + 1 : path);
    char *dot = strrchr(out, '.');
    if (dot)
        *dot = '\0';
}

static int where_err(ak_error *err, const ak_cfg_node *n, const char *fmt, const char *what) {
    return ak_error_set(err, AK_EINVAL, "%s line %d: %s%s", n && n->file ? n->file : "?", n ? n->line : 0, fmt,
                        what);
}

static int add_run(ak_sweep_plan *p, const ak_sweep_run *r, ak_error *err) {
    ak_sweep_run *runs = realloc(p->runs, (size_t)(p->n_runs + 1) * sizeof *runs);
    if (!runs)
        return ak_error_set(err, AK_ENOMEM, "sweep: out of memory");
    p->runs = runs;
    p->runs[p->n_runs++] = *r;
    return AK_OK;
}

static int push_set(ak_sweep_run *r, ak_error *err, const char *fmt, const char *a, const char *b) {
    if (r->n_sets == AK_SWEEP_MAX_SETS)
        return ak_error_set(err, AK_EINVAL, "sweep: more than %d overrides for %s", AK_SWEEP_MAX_SETS, r->name);
    snprintf(r->sets[r->n_sets++], sizeof r->sets[0], fmt, a, b);
    return AK_OK;
}

/* Grid: the cartesian product of every key's values. */
typedef struct grid {
    int n_keys;
    const char *keys[8];
    const ak_cfg_node *vals[8];
} grid;

static int grid_size(const grid *g) {
    int n = 1;
    for (int k = 0; k < g->n_keys; k++)
        n *= g->vals[k]->n;
    return n;
}

static int plan_student(ak_sweep_plan *p, const ak_sweep_run *base, const grid *g, ak_error *err) {
    int total = grid_size(g);
    for (int idx = 0; idx < total; idx++) {
        ak_sweep_run r = *base;
        int rem = idx;
        for (int k = 0; k < g->n_keys; k++) {
            const ak_cfg_node *v = g->vals[k]->items[rem % g->vals[k]->n];
            rem /= g->vals[k]->n;
            if (v->kind != AK_CFG_SCALAR)
                return where_err(err, v, "grid values must be scalars: ", g->keys[k]);
            AK_TRY(push_set(&r, err, "%s=%s", g->keys[k], v->text));
            size_t len = strlen(r.name);
            snprintf(r.name + len, sizeof r.name - len, "-%s=%s", g->keys[k], v->text);
        }
        snprintf(r.out, sizeof r.out, "%s/%s.h5", p->dir, r.name);
        AK_TRY(add_run(p, &r, err));
    }
    return AK_OK;
}

int ak_sweep_plan_load(ak_sweep_plan *p, const char *sweep_file, const char *sweep_dir,
                       const char *const *extra_sets, int n_extra, ak_error *err) {
    memset(p, 0, sizeof *p);
    snprintf(p->dir, sizeof p->dir, "%s", sweep_dir);
    ak_cfg *cfg = ak_cfg_new();
    if (!cfg)
        return ak_error_set(err, AK_ENOMEM, "sweep: out of memory");
    int rc = ak_cfg_load_file(cfg, sweep_file, err);
    if (rc) {
        ak_cfg_free(cfg);
        return rc;
    }
    const ak_cfg_node *root = ak_cfg_root(cfg);
    char base_dir[4096];
    dirname_of(sweep_file, base_dir, sizeof base_dir);
    static const char *known[] = {"name", "teacher", "runs", "seeds", "set", "grid"};
    for (int i = 0; root && i < root->n; i++) {
        bool ok = false;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            ok |= strcmp(root->entries[i].key, known[k]) == 0;
        if (!ok) {
            rc = ak_error_set(err, AK_EINVAL, "%s line %d: unknown sweep key '%s' (known: name, teacher, runs, "
                              "seeds, set, grid)", sweep_file, root->entries[i].line, root->entries[i].key);
            goto done;
        }
    }
    const ak_cfg_node *name = ak_cfg_get(root, "name"), *teacher = ak_cfg_get(root, "teacher"),
                      *runs = ak_cfg_get(root, "runs"), *seeds = ak_cfg_get(root, "seeds"),
                      *sets = ak_cfg_get(root, "set"), *gridn = ak_cfg_get(root, "grid");
    if (!runs || runs->kind != AK_CFG_SEQ || runs->n == 0) {
        rc = ak_error_set(err, AK_EINVAL, "%s: 'runs' must be a non-empty list", sweep_file);
        goto done;
    }
    stem_of(sweep_file, p->name, sizeof p->name);
    if (name && name->kind == AK_CFG_SCALAR)
        snprintf(p->name, sizeof p->name, "%s", name->text);
    ak_sweep_run common;
    memset(&common, 0, sizeof common);
    for (int i = 0; sets && i < sets->n; i++)
        if ((rc = push_set(&common, err, "%s%s", sets->items[i]->text, "")))
            goto done;
    for (int i = 0; i < n_extra; i++)
        if ((rc = push_set(&common, err, "%s%s", extra_sets[i], "")))
            goto done;
    char teacher_out[4096] = "";
    if (teacher) {
        ak_sweep_run t = common;
        t.is_teacher = true;
        resolve(base_dir, teacher->text, t.config, sizeof t.config);
        stem_of(t.config, t.name, sizeof t.name);
        snprintf(t.out, sizeof t.out, "%s/%s.h5", p->dir, t.name);
        snprintf(teacher_out, sizeof teacher_out, "%s", t.out);
        if ((rc = add_run(p, &t, err)))
            goto done;
    }
    grid g;
    memset(&g, 0, sizeof g);
    for (int i = 0; gridn && i < gridn->n && i < 8; i++) {
        g.keys[g.n_keys] = gridn->entries[i].key;
        g.vals[g.n_keys] = gridn->entries[i].val;
        if (g.vals[g.n_keys]->kind != AK_CFG_SEQ || g.vals[g.n_keys]->n == 0) {
            rc = where_err(err, gridn->entries[i].val, "grid entries must be non-empty lists: ", g.keys[g.n_keys]);
            goto done;
        }
        g.n_keys++;
    }
    int n_seeds = seeds ? seeds->n : 1;
    for (int i = 0; i < runs->n; i++) {
        const ak_cfg_node *e = runs->items[i], *c = ak_cfg_get(e, "config"), *av = ak_cfg_get(e, "avatars");
        if (!c || c->kind != AK_CFG_SCALAR) {
            rc = where_err(err, e, "each run needs 'config'", "");
            goto done;
        }
        for (int k = 0; e->kind == AK_CFG_MAP && k < e->n; k++)
            if (strcmp(e->entries[k].key, "config") && strcmp(e->entries[k].key, "avatars")) {
                rc = where_err(err, e, "unknown run key: ", e->entries[k].key);
                goto done;
            }
        int n_av = av ? av->n : 1;
        for (int a = 0; a < n_av; a++) {
            bool avatars = av && strcmp(av->items[a]->text, "true") == 0;
            for (int s = 0; s < n_seeds; s++) {
                ak_sweep_run r = common;
                resolve(base_dir, c->text, r.config, sizeof r.config);
                r.seed = seeds ? atoi(seeds->items[s]->text) : 0;
                r.avatars = avatars;
                char stem[200];
                stem_of(r.config, stem, sizeof stem);
                snprintf(r.name, sizeof r.name, "%s%s-s%d", stem, avatars ? "-avatars" : "", r.seed);
                char seed_txt[32];
                snprintf(seed_txt, sizeof seed_txt, "%d", r.seed);
                if ((rc = push_set(&r, err, "train.seed=%s%s", seed_txt, "")) ||
                    (av && (rc = push_set(&r, err, "akd.enabled=%s%s", avatars ? "true" : "false", ""))) ||
                    (teacher_out[0] && (rc = push_set(&r, err, "model.teacher.weights=%s%s", teacher_out, ""))) ||
                    (rc = plan_student(p, &r, &g, err)))
                    goto done;
            }
        }
    }
done:
    ak_cfg_free(cfg);
    if (rc)
        ak_sweep_plan_free(p);
    return rc;
}

void ak_sweep_plan_free(ak_sweep_plan *p) {
    free(p->runs);
    p->runs = NULL;
    p->n_runs = 0;
}

static pid_t spawn(const ak_sweep_run *r, const ak_sweep_opts *o, int threads) {
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    char *argv[8 + 2 * AK_SWEEP_MAX_SETS];
    int a = 0;
    argv[a++] = (char *)o->akdbench;
    argv[a++] = "train";
    argv[a++] = (char *)r->config;
    for (int i = 0; i < r->n_sets; i++) {
        argv[a++] = "--set";
        argv[a++] = (char *)r->sets[i];
    }
    argv[a++] = "--out";
    argv[a++] = (char *)r->out;
    argv[a++] = "--resume";
    argv[a++] = "--quiet";
    argv[a] = NULL;
    char t[16];
    snprintf(t, sizeof t, "%d", threads);
    setenv("OMP_NUM_THREADS", t, 1);
    execv(o->akdbench, argv);
    _exit(127);
}

static bool stop_requested(const ak_sweep_opts *o) { return o->stop && *o->stop; }

/* Forward a stop request to the running children once (they checkpoint and exit). */
static void forward_stop(const ak_sweep_opts *o, const pid_t *pids, int n, bool *forwarded) {
    if (*forwarded || !stop_requested(o))
        return;
    *forwarded = true;
    fprintf(stderr, "sweep: interrupted; stopping the running runs (they checkpoint and can be resumed)\n");
    for (int i = 0; i < n; i++)
        if (pids[i] > 0)
            kill(pids[i], SIGINT);
}

/* Wait for one child; a signal interrupting the wait forwards a pending stop request and waits on. */
static int wait_one(const ak_sweep_plan *p, pid_t *pids, int n, int *failed, const ak_sweep_opts *o,
                    bool *forwarded) {
    int status;
    pid_t pid;
    while ((pid = wait(&status)) < 0 && errno == EINTR)
        forward_stop(o, pids, n, forwarded);
    forward_stop(o, pids, n, forwarded);
    if (pid < 0)
        return -1;
    for (int i = 0; i < n; i++)
        if (pids[i] == pid) {
            pids[i] = 0;
            const ak_sweep_run *r = &p->runs[i];
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                char results[4200];
                snprintf(results, sizeof results, "%s/results.h5", p->dir);
                ak_error e;
                ak_error_clear(&e);
                if (ak_results_index_run(results, r->out, &e) != AK_OK)
                    fprintf(stderr, "sweep: indexing %s: %s\n", r->out, e.msg);
                if (o->verbose)
                    fprintf(stderr, "sweep: done %s\n", r->name);
            } else if (*forwarded) {
                fprintf(stderr, "sweep: run %s stopped; its checkpoint is next to %s\n", r->name, r->out);
            } else {
                (*failed)++;
                fprintf(stderr, "sweep: run %s failed (%s %d); its run file is %s\n", r->name,
                        WIFEXITED(status) ? "exit status" : "signal",
                        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), r->out);
            }
            return i;
        }
    return -1;
}

int ak_sweep_execute(const ak_sweep_plan *p, const ak_sweep_opts *o, ak_error *err) {
    AK_TRY(ak_mkdir_p(p->dir, err));
    char lock_path[4200];
    snprintf(lock_path, sizeof lock_path, "%s/.sweep.lock", p->dir);
    int lock = open(lock_path, O_CREAT | O_RDWR, 0644);
    if (lock < 0)
        return ak_error_set(err, AK_EIO, "%s: cannot create (%s)", lock_path, strerror(errno));
    if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
        close(lock);
        return ak_error_set(err, AK_ESTATE, "%s: another sweep is running on this folder", p->dir);
    }
    int jobs = o->jobs > 0 ? o->jobs : 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = (int)(cores / jobs > 0 ? cores / jobs : 1);
    pid_t *pids = calloc((size_t)p->n_runs, sizeof *pids);
    int failed = 0, running = 0, next = 0;
    bool forwarded = false;
    /* The teacher (if any) runs alone and must succeed: every student needs its weights. */
    if (p->n_runs && p->runs[0].is_teacher) {
        if (o->verbose)
            fprintf(stderr, "sweep: teacher %s\n", p->runs[0].name);
        pids[0] = spawn(&p->runs[0], o, (int)cores);
        wait_one(p, pids, p->n_runs, &failed, o, &forwarded);
        next = 1;
        if (forwarded)
            next = p->n_runs; /* stop: start nothing else */
        else if (failed) {
            free(pids);
            close(lock);
            return ak_error_set(err, AK_EIO, "sweep %s: the teacher run %s failed; no student can run", p->name,
                                p->runs[0].out);
        }
    }
    while (next < p->n_runs || running > 0) {
        while (running < jobs && next < p->n_runs && !stop_requested(o)) {
            if (o->verbose)
                fprintf(stderr, "sweep: start %s (%d/%d)\n", p->runs[next].name, next + 1, p->n_runs);
            pids[next] = spawn(&p->runs[next], o, threads);
            next++;
            running++;
        }
        if (stop_requested(o) && running == 0)
            break;
        if (wait_one(p, pids, p->n_runs, &failed, o, &forwarded) >= 0)
            running--;
        else
            break;
    }
    free(pids);
    close(lock);
    if (stop_requested(o))
        return ak_error_set(err, AK_ESTATE, "sweep %s interrupted: run the same command again to resume", p->name);
    if (failed)
        return ak_error_set(err, AK_EIO, "sweep %s: %d of %d runs failed (see above)", p->name, failed, p->n_runs);
    return AK_OK;
}

int ak_sweep_emit_slurm(const ak_sweep_plan *p, const char *akdbench, const char *out_dir, ak_error *err) {
    AK_TRY(ak_mkdir_p(out_dir, err));
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.sbatch", out_dir, p->name);
    FILE *f = fopen(path, "w");
    if (!f)
        return ak_error_set(err, AK_EIO, "%s: cannot create (%s)", path, strerror(errno));
    int first = p->n_runs && p->runs[0].is_teacher ? 1 : 0;
    fprintf(f, "#!/bin/bash\n# Slurm job array for sweep %s: one student run per task. Run the teacher first:\n",
            p->name);
    if (first) {
        fprintf(f, "#   %s train '%s'", akdbench, p->runs[0].config);
        for (int s = 0; s < p->runs[0].n_sets; s++)
            fprintf(f, " --set '%s'", p->runs[0].sets[s]);
        fprintf(f, " --out '%s' --resume\n", p->runs[0].out);
    }
    fprintf(f, "#SBATCH --job-name=%s\n#SBATCH --array=%d-%d\nset -euo pipefail\ncase $SLURM_ARRAY_TASK_ID in\n",
            p->name, first, p->n_runs - 1);
    for (int i = first; i < p->n_runs; i++) {
        const ak_sweep_run *r = &p->runs[i];
        fprintf(f, "%d) exec '%s' train '%s'", i, akdbench, r->config);
        for (int s = 0; s < r->n_sets; s++)
            fprintf(f, " --set '%s'", r->sets[s]);
        fprintf(f, " --out '%s' --resume --quiet ;;\n", r->out);
    }
    fprintf(f, "esac\n");
    if (fclose(f) != 0)
        return ak_error_set(err, AK_EIO, "%s: write failed", path);
    return AK_OK;
}
