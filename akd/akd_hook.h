/* AKD plugged into the distiller: the per-tap hook of baselines/distiller.h (ak_tap_hook) that
 * replaces the plain call loss->forward(S', T) with the AKD wrapper (akd/akd_loss.h), for every
 * feature pair of the run (head-level terms never reach the hook: avatars touch features only).
 *
 * Use (trainer):
 *   ak_akd_hook akd;  ak_akd_hook_init(&akd, &cfg->akd-derived opts, want_stats);
 *   ak_tap_hook hook = ak_akd_hook_get(&akd);
 *   L = ak_distiller_loss(ctx, &distiller, s_taps, t_taps, gt, iteration, seed, cfg->akd.enabled ? &hook : NULL);
 *   then, when logging, ak_akd_log_values(akd.stats, distiller.n_feature, ...) with the columns of
 *   ak_akd_log_columns(student tap names, n_feature, K, ...).
 * The hook keys avatars by call->tap_index (the distiller's feature-pair index, also the loss rng's
 * tap id), call->iteration and call->seed. The plain distiller call uses avatar 0's loss rng
 * (ak_distill_loss_rng(seed, iteration, tap, 0) == ak_akd_loss_rng(...)), so with p = 0,
 * uncertainty none and K = 1 the hooked distiller gives the plain distiller's loss bitwise.
 *
 * Ownership: ak_akd_hook is a plain value owned by the caller (no heap memory); stats[i] holds tap
 * i's statistics of the last call (filled only when want_stats). Errors: those of ak_akd_forward;
 * a tap index beyond AK_AKD_HOOK_MAX_TAPS is AK_EINVAL.
 */
#ifndef AK_AKD_HOOK_H
#define AK_AKD_HOOK_H

#include <stdbool.h>

#include "akd/akd_loss.h"
#include "baselines/distiller.h"

#define AK_AKD_HOOK_MAX_TAPS AK_DISTILL_MAX_PAIRS

typedef struct ak_akd_hook {
    ak_akd_opts opts;
    bool want_stats;
    ak_akd_tap_stats stats[AK_AKD_HOOK_MAX_TAPS];
} ak_akd_hook;

/* Checks the options (ak_akd_opts_check) and clears the statistics. */
int ak_akd_hook_init(ak_akd_hook *h, const ak_akd_opts *opts, bool want_stats, ak_error *err);
ak_tap_hook ak_akd_hook_get(ak_akd_hook *h);
/* The ak_tap_loss_fn itself (user = the ak_akd_hook). */
ak_tensor *ak_akd_tap_loss(ak_ctx *ctx, ak_distill_loss *loss, const ak_distill_inputs *in, const ak_tap_call *call,
                           void *user);

#endif
