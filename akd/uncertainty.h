/* AKD's uncertainty: what the base loss sees instead of the raw student S and avatar A_k
 * (METHODS.md Part 0; ak_uncertainty in store/akd_config.h).
 *
 *   AK_UNC_CODE  (released code, bugs fixed) affine-free batch norm with per-channel batch statistics
 *                over ghost batches of G consecutive images (G = 0 or G >= N: the whole batch; the
 *                last group is smaller when G does not divide N): ak_batch_norm_ghost with no weight,
 *                bias or running stats, eps = akd.eps. Applied separately to the student (recorded:
 *                the gradient flows through the student-side mean and variance) and to each avatar
 *                (normalize_teacher = true) or not to the avatar at all (false: the released CWD
 *                variant feeds the raw avatar).
 *   AK_UNC_PAPER (a reconstruction, see METHODS.md; label it so in reports) per channel of the tap,
 *                sigma_c^2 = mean_k mean_{n,*} (A_k - T)^2 + eps over the whole batch and all K
 *                avatars (double accumulation); the base loss sees S / sigma_c (recorded division by
 *                a constant: no gradient into sigma) and A_k / sigma_c. Needs rate > 0 (checked by
 *                the wrapper: sigma would collapse to sqrt(eps)).
 *   AK_UNC_NONE  S and A_k unchanged (the same tensors, no copy).
 *
 * Use: ak_unc_prepare once per tap and iteration (after the avatars exist), then ak_unc_student
 * once and ak_unc_avatar per avatar. The struct is a plain value; `sigma` points into the arena.
 *
 * Statistics for the run log (double, host): ak_unc_bn_std_mean = mean over (ghost batch, channel)
 * of sqrt(var + eps) (the BN "uncertainty" values of the code mode); ak_unc_sigma_mean = mean_c
 * sigma_c of the paper mode.
 *
 * Shapes: S and avatars (N, C, *), ndim >= 2; in the paper mode S must have the teacher's C (sigma
 * has shape (1, C, 1, ...), ndim of the teacher). Determinism: BN statistics as core/ops/norm.h;
 * sigma reduces each channel serially in a fixed order: bitwise identical for any thread count.
 * Errors (ctx->err): unknown mode ("akd.uncertainty") or negative ghost batch ("akd.ghost_batch")
 * -> AK_EINVAL; a ghost batch with one value per channel -> AK_ESHAPE (from the batch norm, naming
 * the shape); channel mismatch in the paper mode -> AK_ESHAPE naming both shapes.
 */
#ifndef AK_AKD_UNCERTAINTY_H
#define AK_AKD_UNCERTAINTY_H

#include <stdbool.h>

#include "core/ctx.h"

typedef struct ak_unc {
    int mode;               /* ak_uncertainty */
    bool normalize_teacher; /* code mode: normalise the avatars too */
    int ghost_batch;        /* code mode: G (0 = whole batch) */
    float eps;              /* BN variance eps (code) / sigma^2 floor (paper) */
    ak_tensor *sigma;       /* paper mode, set by ak_unc_prepare: (1, C, 1, ...) */
} ak_unc;

int ak_unc_check(const ak_unc *u, ak_error *err);
/* Paper mode: sigma from the teacher and its K avatars; other modes: nothing to do. */
int ak_unc_prepare(ak_ctx *ctx, ak_unc *u, const ak_tensor *teacher, ak_tensor *const *avatars, int K);
/* S' (recorded when S requires a gradient). */
ak_tensor *ak_unc_student(ak_ctx *ctx, const ak_unc *u, ak_tensor *student);
/* A_k' (never recorded). */
ak_tensor *ak_unc_avatar(ak_ctx *ctx, const ak_unc *u, ak_tensor *avatar);

double ak_unc_bn_std_mean(const ak_tensor *x, int ghost_batch, float eps);
double ak_unc_sigma_mean(const ak_unc *u);

#endif
