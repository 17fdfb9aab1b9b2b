/* The one interface of a feature-distillation loss (FitNet/MSE, CWD, MGD, FGD, PKD, MasKD, DIST, the
 * head-level L1 / SmoothL1 terms): a loss sees a student feature and a teacher feature of one tap and
 * returns a weighted scalar. Losses never know whether avatars are on: akd/ wraps any of them by
 * calling forward() with a perturbed / normalised teacher (an "avatar") and a normalised student.
 *
 * Pipeline per tap (the distiller owns it, see baselines/distiller.h):
 *   S = student tap -> connector (optional, trainable: 1x1 conv, conv+BN, resize) -> S'
 *   T = teacher tap (frozen, no tape)
 *   without avatars: L = loss->forward(S', T)
 *   with avatars:    L = akd wrapper (K avatars of T, uncertainty) -> mean_k loss->forward(S'', A_k)
 *
 * Shapes: student and teacher (N, C, H, W), equal shapes unless the method resizes (PKD) or says
 * otherwise. The result is a scalar (numel 1) recorded on the tape, already multiplied by the loss's
 * weight (e.g. CWD loss_weight, MGD alpha_mgd), so the AKD wrapper can average results directly.
 * Randomness inside a loss (MGD's mask) comes from ak_distill_inputs.rng, which the caller keys by
 * (seed, iteration, tap, avatar, purpose) via ak_rng_stream5(AK_STREAM_LOSS_MASK, ...), so K avatars
 * never share a mask by accident.
 * Trainable parameters of a loss (MGD generators, FGD GcBlocks, MasKD tokens) are registered in the
 * run's ak_params under "distill.<tap name>.<param>" when the loss is created; frozen ones are
 * registered with trainable = false.
 * Errors: forward returns NULL with ctx->err naming the method, the tap and the shapes.
 */
#ifndef AK_DISTILL_LOSS_H
#define AK_DISTILL_LOSS_H

#include <stdint.h>

#include "core/ctx.h"
#include "core/params.h"
#include "core/rng.h"

/* Ground-truth boxes of a batch, for methods that need them (FGD). Boxes are xyxy in input pixels. */
typedef struct ak_gt_boxes {
    int n_images;
    const int *count;        /* boxes per image */
    const float *const *xyxy; /* per image: count[i] x 4 */
    int img_h, img_w;        /* unpadded input size the boxes refer to (FGD scales by it) */
    /* Optional per-image sizes (mmdet img_shape differs per image under keep-ratio resizing):
     * n_images (h, w) pairs; NULL = img_h, img_w for every image. */
    const int *img_hw;
} ak_gt_boxes;

typedef struct ak_distill_inputs {
    ak_tensor *student;      /* (N,C,H,W), after the connector; requires grad */
    ak_tensor *teacher;      /* (N,C,H,W) teacher feature or an avatar of it; no grad */
    const ak_gt_boxes *gt;   /* NULL when the task has no boxes */
    int64_t iteration;       /* training iteration (MasKD warm-up, masks) */
    ak_rng rng;              /* for randomness inside the loss; see above */
} ak_distill_inputs;

#define AK_DISTILL_MAX_TERMS 6

typedef struct ak_distill_loss ak_distill_loss;

typedef struct ak_distill_loss_ops {
    const char *method; /* "mse", "cwd", "mgd", "fgd", "pkd", "maskd", "dist", "l1", "smooth_l1" */
    ak_tensor *(*forward)(ak_ctx *ctx, ak_distill_loss *self, const ak_distill_inputs *in);
    void (*destroy)(ak_distill_loss *self); /* frees `state` (not the params, owned by ak_params) */
    /* Optional (NULL: callers loop over forward). K evaluations at once: out[k] (a 0-dim scalar on
     * the tape) is forward(in[k]) computed in one batched pass where that is cheaper (MGD: one
     * generator pass for the K masked inputs, its first conv one masked convolution of the shared
     * student, core/ops/masked_conv.h). Every in[k] has
     * the same shapes; each call keeps its own rng, so the K results are those of K forward calls up
     * to float rounding (batched reductions may sum in another order). term_values afterwards hold
     * the mean over the K evaluations (as a caller averaging K forward calls would log). Returns
     * AK_OK or ctx->err.code. The AKD wrapper uses it for K > 1 avatars; K == 1 always uses
     * forward, so single evaluations never change. */
    int (*forward_multi)(ak_ctx *ctx, ak_distill_loss *self, const ak_distill_inputs *in, int K, ak_tensor **out);
} ak_distill_loss_ops;

struct ak_distill_loss {
    const ak_distill_loss_ops *ops;
    char tap[64];          /* tap name, for messages and parameter names */
    float weight;          /* the method's loss weight, already applied by forward */
    void *state;           /* method-specific: hyperparameters and parameter pointers */
    /* Named sub-terms of the last forward (weighted), for the run log (e.g. FGD fg/bg/at/rela). */
    int n_terms;
    char term_names[AK_DISTILL_MAX_TERMS][16];
    float term_values[AK_DISTILL_MAX_TERMS];
};

static inline ak_tensor *ak_distill_forward(ak_ctx *ctx, ak_distill_loss *l, const ak_distill_inputs *in) {
    return l->ops->forward(ctx, l, in);
}
void ak_distill_loss_destroy(ak_distill_loss *l);

/* The slot through which a loss created by baselines/registry.h reads its own parameter `name`
 * (the part after "distill.<tap>.", e.g. "generation.0.weight"): forward reads *slot every call,
 * so tests may point it at another tensor (finite differences). NULL when the loss has no such
 * parameter or was not made by baselines/. The registry (ak_params) owns the tensors. */
ak_tensor **ak_distill_loss_param_slot(ak_distill_loss *l, const char *name);
/* Number of own parameters and the name of the i-th (registration order); NULL past the end. */
int ak_distill_loss_n_params(const ak_distill_loss *l);
const char *ak_distill_loss_param_name(const ak_distill_loss *l, int i);

#endif
