/* Softmax and log-softmax along any axis, with autograd.
 *
 * Shapes: any (ndim >= 1); out has the input's shape. axis may be negative (-1 = last).
 * Numerically stable (the axis maximum is subtracted first), so inputs like 1000 + N(0,1) are fine.
 * Results do not depend on the thread count. exp is the vectorised ak_vexpf (within 2 ulp of exp).
 * Gradient contract: backward adds into the input's grad (+=); it uses only the output.
 * Errors: NULL input -> NULL; axis out of range -> AK_EINVAL naming the op, the axis and the shape,
 * e.g. "softmax: axis 3 out of range for shape (2,3,4)"; a 0-dim input -> AK_EINVAL.
 */
#ifndef AK_OPS_SOFTMAX_H
#define AK_OPS_SOFTMAX_H

#include "core/ctx.h"

ak_tensor *ak_softmax(ak_ctx *ctx, ak_tensor *x, int axis);
ak_tensor *ak_log_softmax(ak_ctx *ctx, ak_tensor *x, int axis);

#endif
