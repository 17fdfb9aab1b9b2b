/* Avatar capacity (METHODS.md Part 0, "Avatar capacity"): evaluate a frozen teacher whose features
 * are replaced by K avatars, the K head outputs averaged, against the vanilla teacher, for several
 * K and rates p. The paper's claim ("a higher upper limit of working capacity") is the question
 * whether some (K, p) beats the vanilla row; the table answers it on the suite's data.
 *
 * Generic over the task through callbacks: the caller runs its teacher up to the distilled
 * features, hands them to ak_capacity_batch, and supplies
 *   head(features)                 -> the head output for these (possibly perturbed) features
 *   accumulate(setting, output)    -> add the output of one setting to that setting's metric state
 *   metric(setting)                -> the final metric of a setting (e.g. mIoU, AP)
 * Settings: index 0 is the vanilla teacher; setting 1 + ip * n_k + ik is (K = ks[ik], p = ps[ip]).
 *
 * Per batch and rate p, avatars k = 0..max(ks)-1 of every feature i are drawn with
 * ak_avatar_rng(seed, batch, i, k) (akd/avatars.h) and the head is run once per avatar; the output
 * for K is the mean of the first K head outputs, accumulated in double in avatar order, divided by
 * K and rounded once to float (so with p = 0 every K gives the teacher's output bitwise, and K = 1
 * is the avatar's own output bitwise). So the K settings are nested (K = 2 extends K = 1 with one
 * more avatar), and for dropout the masks of different p are nested too (common random numbers: the
 * table's differences are less noisy than independent draws). Head outputs are averaged raw (e.g.
 * logits), as the wrapper averages losses.
 *
 * Memory: every head evaluation runs in `work`, which is RESET (ak_ctx_reset) after the output has
 * been folded into the running sum, so the features must live elsewhere (another context or the
 * heap). The running sum and mean live in ak_capacity (heap, grown on demand; free with
 * ak_capacity_free). The head runs with recording off.
 * Errors: bad configuration (no K or p, K < 1 or > AK_CAPACITY_MAX_K, a p that the perturbation
 * rejects, too many settings) -> AK_EINVAL naming the option; head outputs whose shape changes
 * between avatars -> AK_ESHAPE; a callback's failure is returned as is (head: ctx->err).
 */
#ifndef AK_AKD_CAPACITY_H
#define AK_AKD_CAPACITY_H

#include <stdint.h>

#include "core/ctx.h"

#define AK_CAPACITY_MAX_LIST 8
#define AK_CAPACITY_MAX_K 64
#define AK_CAPACITY_MAX_SETTINGS (1 + AK_CAPACITY_MAX_LIST * AK_CAPACITY_MAX_LIST)

typedef struct ak_capacity_cfg {
    int perturb; /* ak_perturb */
    int n_k, ks[AK_CAPACITY_MAX_LIST];
    int n_p;
    float ps[AK_CAPACITY_MAX_LIST];
    uint64_t seed;
} ak_capacity_cfg;

typedef struct ak_capacity_cb {
    ak_tensor *(*head)(ak_ctx *ctx, void *user, ak_tensor *const *features, int n_features);
    int (*accumulate)(ak_ctx *ctx, void *user, int setting, int64_t batch, const ak_tensor *output);
    double (*metric)(void *user, int setting);
    void *user;
} ak_capacity_cb;

typedef struct ak_capacity {
    ak_capacity_cfg cfg;
    ak_capacity_cb cb;
    double *sum; /* running sum of the head outputs (heap) */
    float *mean; /* the mean handed to accumulate (heap) */
    int64_t cap;
    int64_t batches;
} ak_capacity;

/* The suite's default table: K in {1, 2, 4, 8}, p in {0.05, 0.1, 0.2, 0.3, 0.5}, dropout. */
ak_capacity_cfg ak_capacity_defaults(uint64_t seed);
int ak_capacity_n_settings(const ak_capacity_cfg *cfg);
/* K and p of a setting (0: the vanilla teacher, K = 0, p = 0). */
void ak_capacity_setting(const ak_capacity_cfg *cfg, int setting, int *k, float *p);

int ak_capacity_init(ak_capacity *c, const ak_capacity_cfg *cfg, const ak_capacity_cb *cb, ak_error *err);
void ak_capacity_free(ak_capacity *c);
/* One batch: features[0..n_features) (N, C, *) of the teacher; `batch` keys the avatars. */
int ak_capacity_batch(ak_capacity *c, ak_ctx *work, ak_tensor *const *features, int n_features, int64_t batch);
/* metrics[s] = cb.metric(s) for every setting. */
void ak_capacity_metrics(const ak_capacity *c, double *metrics);

#endif
