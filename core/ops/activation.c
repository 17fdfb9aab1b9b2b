/* Pointwise activations: shape handling, device dispatch and autograd; kernels in core/cpu/. */
#include "core/ops/activation.h"

#include "core/cpu/activation.h"

/* relu and sigmoid both differentiate from their output, so only `out` is needed at backward. */
static void relu_backward(ak_ctx *ctx, ak_node *node) {
    ak_tensor *x = node->in[0];
    bool fresh;
    float *dx = ak_grad_of_fresh(ctx, x, &fresh); /* the kernel writes every element */
    if (dx)
        ak_cpu_relu_bwd(dx, node->out->grad, node->out->data, x->numel, fresh);
}

ak_tensor *ak_relu(ak_ctx *ctx, ak_tensor *x) {
    if (!x || !ak_ok(ctx))
        return NULL;
    if (x->device != AK_DEV_CPU)
        return ak_fail(ctx, AK_EUNSUP, "relu: device %d not supported in this build", (int)x->device);
    ak_tensor *y = ak_tensor_like(ctx, "relu", x);
    if (!y)
        return NULL;
    ak_cpu_relu_fwd(y->data, x->data, x->numel);
    ak_record(ctx, "relu", y, relu_backward, 1, &x, 0);
    return ak_ok(ctx) ? y : NULL;
}

ak_tensor *ak_relu_inplace(ak_ctx *ctx, ak_tensor *x) {
    if (!x || !ak_ok(ctx))
        return NULL;
    if (x->device != AK_DEV_CPU)
        return ak_fail(ctx, AK_EUNSUP, "relu_inplace: device %d not supported in this build", (int)x->device);
    if (x->persistent)
        return ak_fail(ctx, AK_EINVAL, "relu_inplace: '%s' is a parameter or buffer, not an activation",
                       x->name ? x->name : "?");
    ak_tensor *y = ak_scratch(ctx, "relu", sizeof *y);
    if (!y)
        return NULL;
    *y = *x; /* same data and shape; a tensor of its own for the tape */
    y->grad = NULL;
    y->requires_grad = false;
    y->name = "relu";
    ak_cpu_relu_fwd(y->data, x->data, x->numel);
    /* the backward reads only the output (the sign mask) and adds into x's gradient */
    ak_record(ctx, "relu", y, relu_backward, 1, &x, 0);
    return ak_ok(ctx) ? y : NULL;
}

static void sigmoid_backward(ak_ctx *ctx, ak_node *node) {
    ak_tensor *x = node->in[0];
    float *dx = ak_grad_of(ctx, x);
    if (dx)
        ak_cpu_sigmoid_bwd(dx, node->out->grad, node->out->data, x->numel);
}

ak_tensor *ak_sigmoid(ak_ctx *ctx, ak_tensor *x) {
    if (!x || !ak_ok(ctx))
        return NULL;
    if (x->device != AK_DEV_CPU)
        return ak_fail(ctx, AK_EUNSUP, "sigmoid: device %d not supported in this build", (int)x->device);
    ak_tensor *y = ak_tensor_like(ctx, "sigmoid", x);
    if (!y)
        return NULL;
    ak_cpu_sigmoid_fwd(y->data, x->data, x->numel);
    ak_record(ctx, "sigmoid", y, sigmoid_backward, 1, &x, 0);
    return ak_ok(ctx) ? y : NULL;
}
