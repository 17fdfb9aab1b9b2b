/* The distiller hook that runs the AKD wrapper per feature tap; see akd_hook.h. */
#include "akd/akd_hook.h"

#include <string.h>

int ak_akd_hook_init(ak_akd_hook *h, const ak_akd_opts *opts, bool want_stats, ak_error *err) {
    memset(h, 0, sizeof *h);
    AK_TRY(ak_akd_opts_check(opts, err));
    h->opts = *opts;
    h->want_stats = want_stats;
    return AK_OK;
}

ak_tap_hook ak_akd_hook_get(ak_akd_hook *h) { return (ak_tap_hook){ak_akd_tap_loss, h}; }

ak_tensor *ak_akd_tap_loss(ak_ctx *ctx, ak_distill_loss *loss, const ak_distill_inputs *in, const ak_tap_call *call,
                           void *user) {
    ak_akd_hook *h = user;
    if (!ak_ok(ctx))
        return NULL;
    if (!h || !call)
        return ak_fail(ctx, AK_EINVAL, "akd hook: called without its state or call description");
    if (call->tap_index < 0 || call->tap_index >= AK_AKD_HOOK_MAX_TAPS)
        return ak_fail(ctx, AK_EINVAL, "akd hook: tap index %d of '%s' outside [0, %d)", call->tap_index,
                       call->student_tap ? call->student_tap : "?", AK_AKD_HOOK_MAX_TAPS);
    /* The call's seed and iteration are the keys (in->rng is the plain call's avatar-0 stream). */
    ak_distill_inputs sub = *in;
    sub.rng.seed = call->seed;
    sub.iteration = call->iteration;
    return ak_akd_forward(ctx, &h->opts, loss, &sub, call->tap_index,
                          h->want_stats ? &h->stats[call->tap_index] : NULL);
}
