/* The AKD wrapper: Avatar Knowledge Distillation around ANY base distillation loss
 * (baselines/distill_loss.h), with no special case for any method (METHODS.md Part 0).
 *
 * For one tap at one iteration (ak_akd_forward):
 *   A_k = P(T)                      k = 0..K-1   (akd/avatars.h; keyed by (seed, iteration, tap, k))
 *   S', A_k' = uncertainty(S, A_k)               (akd/uncertainty.h; code | paper | none)
 *   L_tap = (1/K) * sum_k base(S', A_k')         (K == 1: L_tap is base(S', A_0') itself)
 * The base loss already carries its weight w (ak_distill_loss.weight), and the distiller sums the
 * taps, so the run's distillation loss is w * sum_taps (1/K) sum_k L_base(S', A_k'), as Part 0's
 * "Combination" demands. For K > 1 the sum is accumulated in avatar order and multiplied by the
 * float 1/K. When the base loss offers ops->forward_multi (baselines/distill_loss.h; MGD) and K > 1,
 * the K evaluations go through it in one batched call (same inputs and rngs; equal to K forward calls
 * up to float rounding); K == 1 always calls forward. The base loss's logged sub-terms (term_values,
 * e.g. FGD's fg / bg / at / rela) are replaced by their mean over the K avatars, so they still add
 * up to the returned value.
 *
 * Randomness inside the base loss (MGD's mask, ...): avatar k gets
 *   in.rng = ak_akd_loss_rng(seed, iteration, tap, k) = {seed, ak_rng_stream5(AK_STREAM_LOSS_MASK,
 *   iteration, tap, k, 0)}
 * so K avatars never share a mask. The plain (avatar-free) distiller call must use
 * ak_akd_loss_rng(seed, iteration, tap, 0), so that with p = 0, uncertainty none and K = 1 the
 * wrapper returns exactly (bitwise) the plain loss. The seed is taken from in->rng.seed (the run's
 * seed), the iteration from in->iteration; in->rng.stream is not used.
 *
 * Shapes: in->student (N, C, *) (after the connector; requires a gradient), in->teacher of the same
 * N and C (spatial sizes may differ when the base loss resizes, e.g. PKD). Gradients flow into the
 * student (through the code mode's student statistics); avatars and sigma are constants.
 * Ownership: every tensor in the ctx arena; `stats` is the caller's.
 * Determinism: everything is a pure function of (seed, iteration, tap, k) and fixed-order
 * reductions: bitwise identical for any thread count.
 * Errors: invalid options (ak_akd_opts_check: every message names the akd.* key and its value:
 * K < 1, rate outside [0, 1) for dropout, paper with rate 0, ...), NULL or shape-mismatched inputs
 * (AK_ESHAPE naming the tap, the method and both shapes), and any base-loss error, set in ctx->err;
 * the result is NULL.
 */
#ifndef AK_AKD_LOSS_H
#define AK_AKD_LOSS_H

#include <stdbool.h>

#include "baselines/distill_loss.h"
#include "store/akd_config.h"

#define AK_AKD_MAX_AVATARS 64 /* the config's upper bound of akd.num_avatars */

typedef struct ak_akd_opts {
    int num_avatars;        /* K >= 1 */
    int perturb;            /* ak_perturb */
    float rate;             /* p */
    int uncertainty;        /* ak_uncertainty */
    bool normalize_teacher; /* code mode */
    int ghost_batch;        /* code mode: G >= 0 (0 = whole batch) */
    float eps;              /* BN eps (code) / sigma^2 floor (paper) */
} ak_akd_opts;

/* The defaults of METHODS.md Part 0 / bench/configs/_base_/akd.yaml: K 1, dropout 0.1, code,
 * normalize_teacher, G 2, eps 1e-5. */
ak_akd_opts ak_akd_opts_default(void);
/* From a resolved run config (c->akd). */
ak_akd_opts ak_akd_opts_from_config(const ak_run_config *c);
int ak_akd_opts_check(const ak_akd_opts *o, ak_error *err);

/* Per-tap statistics of the last forward, for the run log (host values). */
typedef struct ak_akd_tap_stats {
    int num_avatars;
    double avatar_msd;  /* mean_k mean (A_k - T)^2: how far the avatars are from the teacher */
    double unc_student; /* code: mean over (ghost batch, channel) of the student's sqrt(var + eps);
                           paper: mean_c sigma_c; none: NaN */
    double unc_avatar;  /* code: the same for the avatars (mean over k; NaN when normalize_teacher is
                           false: the avatars are not normalised); paper: mean_c sigma_c; none: NaN */
    double loss_mean;   /* (1/K) sum_k loss[k] */
    float loss[AK_AKD_MAX_AVATARS]; /* base loss per avatar (weighted, as the base returns it) */
} ak_akd_tap_stats;

/* The base loss's RNG for avatar k (see above). */
ak_rng ak_akd_loss_rng(uint64_t seed, int64_t iteration, int tap, int k);

/* L_tap for `base` on in->student / in->teacher of tap index `tap`. stats may be NULL (then the
 * log statistics are not computed: they cost extra passes over the maps). */
ak_tensor *ak_akd_forward(ak_ctx *ctx, const ak_akd_opts *o, ak_distill_loss *base, const ak_distill_inputs *in,
                          int tap, ak_akd_tap_stats *stats);

/* Run-log columns ("extra losses" of store/runfile.h) for n_taps taps named tap_names with K
 * avatars: per tap "akd.<tap>.avatar_msd", ".unc_student", ".unc_avatar", then ".loss_a<k>" per
 * avatar. ak_akd_log_columns writes up to `max` names (each of name_len bytes) into names and
 * returns how many there are in all (call with max = 0 to size the buffer).
 * ak_akd_log_values writes the matching values (same order) from stats[0..n_taps). */
int ak_akd_log_columns(const char *const *tap_names, int n_taps, int K, char *names, int name_len, int max);
int ak_akd_log_values(const ak_akd_tap_stats *stats, int n_taps, double *values, int max);

#endif
