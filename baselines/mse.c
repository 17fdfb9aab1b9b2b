/* FitNet / MSE feature mimicking (METHODS.md §2.1, [MASKD] MSELoss): nn.MSELoss (mean over all
 * elements) times the weight. The 1x1 adapter of the reference configs is the distiller's conv1x1
 * connector, so it trains with the student. */
#include "baselines/loss_common.h"
#include "baselines/methods.h"
#include "core/ops/sq_err.h"

typedef struct mse_state {
    ak_loss_head head;
} mse_state;

static ak_tensor *mse_forward(ak_ctx *ctx, ak_distill_loss *l, const ak_distill_inputs *in) {
    ak_tensor *s = in->student, *t = in->teacher;
    if (!ak_loss_check_maps(ctx, l, s, t, true))
        return NULL;
    ak_tensor *out = ak_loss_scaled_sum(ctx, ak_weighted_sq_err(ctx, s, t, NULL, NULL, NULL),
                                        (float)((double)l->weight / (double)s->numel));
    if (out)
        ak_loss_set_term1(l, out->data[0]);
    return out;
}

static const ak_distill_loss_ops mse_ops = {"mse", mse_forward, ak_loss_free_state, NULL};

ak_distill_loss *ak_mse_loss_create(const char *tap, float weight, ak_error *err) {
    return ak_loss_alloc(&mse_ops, tap, weight, sizeof(mse_state), err);
}
