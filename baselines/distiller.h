/* The per-run distiller: the list of (student tap, teacher tap, connector, loss) pairs a run config
 * asks for, validated against the models' taps BEFORE training, and the per-iteration distillation
 * loss (METHODS.md §2.0): L = sum over feature taps of loss(connector(S), T) + sum of head terms.
 *
 * Building (ak_distiller_init): from cfg->distill (method, taps, teacher_taps, connector, head.*)
 * and one probe forward of each model (their ak_taps; only the tensors' shapes are read, so a small
 * batch / input is enough). Checks, each an AK_EINVAL whose message starts with the config key:
 *   distill.method       none (nothing to build is not an error: n_pairs = 0), or fgd on a task
 *                        without boxes (has_boxes false)
 *   distill.taps         a student tap the student does not produce (lists the available ones)
 *   distill.teacher_taps a teacher tap the teacher does not produce (distill.taps when the list is
 *                        empty and the same names are used)
 *   distill.connector    channel counts differ without a conv connector, or spatial sizes differ
 *                        without a resize connector (PKD resizes by itself)
 *   distill.head.taps    a head tap that matches nothing; a name matches the tap itself, or every
 *                        tap "<name>.*" (head.reg -> head.reg.p3 .. head.reg.p7, one term per level,
 *                        summed, as the reference's per-level hooks), teacher shapes must be equal
 * Loss and connector parameters go into the STUDENT's registry `ps` ("distill.<tap>.*"), so the
 * student's optimizer trains them (frozen ones have trainable = false).
 *
 * Per iteration (ak_distiller_loss): for feature pair i,
 *   S' = connector(S); T from the teacher taps (detached: never a gradient into the teacher);
 *   in = {S', T, gt, iteration, rng = ak_distill_loss_rng(seed, iteration, i, 0)};
 *   L_i = hook ? hook->fn(ctx, loss, &in, &call, hook->user) : ak_distill_forward(ctx, loss, &in)
 * Head terms call ak_distill_forward directly (avatars never touch head outputs, §1.2). The hook is
 * where akd/ substitutes its avatar wrapper (K avatars of T, uncertainty); baselines/ never includes
 * akd/ headers. Returns the 0-dim sum on the tape, and fills d->log: the total, one entry per pair
 * ("<method>/<tap>") and, for losses with sub-terms, their sums over taps ("<method>.<term>", from
 * each loss's last forward).
 *
 * Frozen teacher: ak_teacher_forward runs a model with tape recording off (its outputs carry no
 * gradient) and the caller's forward must use eval-mode BN (train = false); ak_teacher_freeze marks
 * every teacher tensor non-trainable. The teacher's registry is never given to an optimizer.
 * inherit_from_teacher: ak_inherit_from_teacher copies teacher tensors into the student by name.
 */
#ifndef AK_BASELINES_DISTILLER_H
#define AK_BASELINES_DISTILLER_H

#include <stdbool.h>
#include <stdint.h>

#include "baselines/connector.h"
#include "baselines/distill_loss.h"
#include "models/taps.h"
#include "store/akd_config.h"

#define AK_DISTILL_MAX_PAIRS 40
#define AK_DISTILL_LOG_MAX 64
#define AK_DISTILL_LOG_NAME 80

/* The rng a loss receives for (iteration, tap index, avatar): stream
 * ak_rng_stream5(AK_STREAM_LOSS_MASK, iteration, tap, avatar, 0). akd/ uses avatar = k. */
ak_rng ak_distill_loss_rng(uint64_t seed, int64_t iteration, int tap, int avatar);

/* What the distiller tells a hook about the call it replaces. */
typedef struct ak_tap_call {
    int tap_index;           /* position among the feature pairs (0-based), the rng's tap id */
    const char *student_tap; /* names, for messages and per-tap state */
    const char *teacher_tap;
    uint64_t seed;
    int64_t iteration;
} ak_tap_call;

/* Replacement of the per-tap call loss->forward(S', T); must return the (weighted) scalar on the
 * tape, or NULL with ctx->err set. The default is ak_tap_loss_default. */
typedef ak_tensor *(*ak_tap_loss_fn)(ak_ctx *ctx, ak_distill_loss *loss, const ak_distill_inputs *in,
                                     const ak_tap_call *call, void *user);
typedef struct ak_tap_hook {
    ak_tap_loss_fn fn;
    void *user;
} ak_tap_hook;
ak_tensor *ak_tap_loss_default(ak_ctx *ctx, ak_distill_loss *loss, const ak_distill_inputs *in,
                               const ak_tap_call *call, void *user);

typedef struct ak_distill_pair {
    char student_tap[AK_TAP_NAME_LEN], teacher_tap[AK_TAP_NAME_LEN];
    ak_connector_t conn;
    ak_distill_loss *loss; /* owned */
    bool head;             /* head-level term: no connector, never passed to the hook */
} ak_distill_pair;

typedef struct ak_distill_log {
    int n;
    char names[AK_DISTILL_LOG_MAX][AK_DISTILL_LOG_NAME];
    double values[AK_DISTILL_LOG_MAX];
    double total;
} ak_distill_log;

typedef struct ak_distiller {
    int method;      /* ak_distill_method */
    int n_pairs;     /* feature pairs first (n_feature of them), then head terms */
    int n_feature;
    ak_distill_pair pairs[AK_DISTILL_MAX_PAIRS];
    bool needs_boxes;
    ak_distill_log log;
} ak_distiller;

/* has_boxes: the task provides ground-truth boxes (det). Returns 0 or AK_EINVAL / the loss's error;
 * on error the distiller is left empty (free it anyway). */
int ak_distiller_init(ak_distiller *d, const ak_run_config *cfg, const ak_taps *student_probe,
                      const ak_taps *teacher_probe, bool has_boxes, ak_params *ps, ak_error *err);
void ak_distiller_free(ak_distiller *d);

/* The weighted distillation loss of one iteration (NULL + ctx->err on failure, e.g. a tap missing
 * from this forward, or boxes missing for FGD). hook may be NULL. Returns a 0-dim scalar (a zero
 * constant when there are no pairs). */
ak_tensor *ak_distiller_loss(ak_ctx *ctx, ak_distiller *d, const ak_taps *student, const ak_taps *teacher,
                             const ak_gt_boxes *gt, int64_t iteration, uint64_t seed, const ak_tap_hook *hook);

/* ---- frozen teacher ------------------------------------------------------------------------ */

/* A model forward that fills taps (train = false inside: BN in eval mode). */
typedef int (*ak_teacher_fn)(ak_ctx *ctx, const void *model, ak_tensor *x, ak_taps *taps);
/* Runs fn with recording off (restored after), so nothing reaches the tape and no tap requires a
 * gradient. Returns fn's status. */
int ak_teacher_forward(ak_ctx *ctx, ak_teacher_fn fn, const void *model, ak_tensor *x, ak_taps *taps);
/* The same for the suite's models (models/detector.h, models/segmentor.h), eval mode. */
int ak_teacher_forward_detector(ak_ctx *ctx, const void *detector, ak_tensor *x, ak_taps *taps);
int ak_teacher_forward_segmentor(ak_ctx *ctx, const void *segmentor, ak_tensor *x, ak_taps *taps);
/* Every teacher parameter becomes non-trainable (requires_grad off). Returns the count. */
int ak_teacher_freeze(ak_params *teacher);

/* model.inherit_from_teacher: copy every student tensor (parameters and buffers) under the
 * prefixes of `mode` (ak_inherit: neck -> "neck."; head -> "bbox_head.", "decode_head.",
 * "auxiliary_head."; neck_head -> "neck.", "bbox_head.",
 * "decode_head.", "auxiliary_head.") from the teacher tensor of the same name. Strict: a student
 * tensor without a teacher counterpart, or a shape mismatch, is AK_EINVAL naming the key and
 * "model.inherit_from_teacher"; so is a mode that matches no student tensor. *copied (may be NULL)
 * receives the number of tensors copied. */
int ak_inherit_from_teacher(ak_params *student, const ak_params *teacher, int mode, int *copied, ak_error *err);

#endif
