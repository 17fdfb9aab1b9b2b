/* Helpers shared by the distillation suites (header-only): running a loss on fixture tensors,
 * loading / checking a loss's own parameters by slot name, and a finite-difference harness that
 * routes the loss's parameters through the checker's inputs. */
#ifndef AK_TESTS_DISTILL_TEST_H
#define AK_TESTS_DISTILL_TEST_H

#include <math.h>

#include "../engine/opstest.h"
#include "baselines/distill_loss.h"

static inline ak_tensor *run_loss(ak_ctx *ctx, ak_distill_loss *l, ak_tensor *s, ak_tensor *t, const ak_gt_boxes *gt,
                                  int64_t iteration, ak_rng rng) {
    ak_distill_inputs in = {s, t, gt, iteration, rng};
    return ak_distill_forward(ctx, l, &in);
}

/* Fixture case "<name>.{s,t,out,ds}" of `file`: the loss's value and student gradient. */
static inline void check_fixture_case(const char *file, const char *name, ak_distill_loss *l, double rtol) {
    ak_safetensors fx;
    ak_fixture_open(&fx, file);
    ak_ctx ctx;
    ak_ctx_init(&ctx, 0, 0);
    ak_tensor *s = fxt(&ctx, &fx, "%s.s", name), *t = fxt(&ctx, &fx, "%s.t", name);
    s->requires_grad = true;
    ak_rng rng = {0, 0};
    ak_tensor *out = run_loss(&ctx, l, s, t, NULL, 0, rng);
    ck_assert_msg(out != NULL, "%s", ctx.err.msg);
    ck_assert_int_eq(out->numel, 1);
    ak_assert_close(name, out->data, fxt(&ctx, &fx, "%s.out", name)->data, 1, rtol, 1e-8);
    ck_assert_int_ge(l->n_terms, 1);
    float sum = 0;
    for (int i = 0; i < l->n_terms; i++)
        sum += l->term_values[i];
    ck_assert_msg(fabsf(sum - out->data[0]) <= 1e-5f * fabsf(out->data[0]) + 1e-7f, "terms sum to %g, loss %g", sum,
                  out->data[0]);
    ck_assert_int_eq(ak_backward(&ctx, out), AK_OK);
    assert_grad(name, s, fxt(&ctx, &fx, "%s.ds", name), 10 * rtol, 1e-7);
    ak_ctx_free(&ctx);
    ak_safetensors_close(&fx);
}

/* Copy fixture "<prefix>.p.<name>" into every parameter slot of l; requires_grad on (grad zeroed). */
static inline void load_loss_params(ak_ctx *ctx, const ak_safetensors *fx, const char *prefix, ak_distill_loss *l) {
    for (int i = 0; i < ak_distill_loss_n_params(l); i++) {
        const char *name = ak_distill_loss_param_name(l, i);
        ak_tensor *p = *ak_distill_loss_param_slot(l, name);
        ak_tensor *v = fxt(ctx, fx, "%s.p.%s", prefix, name);
        ck_assert_msg(v->numel == p->numel, "%s: fixture has %lld values, parameter %lld", name, (long long)v->numel,
                      (long long)p->numel);
        memcpy(p->data, v->data, (size_t)p->numel * sizeof(float));
        p->requires_grad = true;
        memset(p->grad, 0, (size_t)p->numel * sizeof(float));
    }
}

/* Compare every parameter's grad with fixture "<prefix>.dp.<name>". */
static inline void check_loss_param_grads(ak_ctx *ctx, const ak_safetensors *fx, const char *prefix,
                                          ak_distill_loss *l, double rtol, double atol) {
    for (int i = 0; i < ak_distill_loss_n_params(l); i++) {
        const char *name = ak_distill_loss_param_name(l, i);
        char what[128];
        snprintf(what, sizeof what, "%s d%s", prefix, name);
        assert_grad(what, *ak_distill_loss_param_slot(l, name), fxt(ctx, fx, "%s.dp.%s", prefix, name), rtol, atol);
    }
}

/* Finite differences through a loss: inputs[0] = student, [1] = teacher, then one input per
 * parameter slot listed in `params` (their slots are pointed at the checker's tensors). */
typedef struct fd_loss {
    ak_distill_loss *loss;
    const ak_gt_boxes *gt;
    int64_t iteration;
    ak_rng rng;
    int n_params;
    const char *params[20];
    ak_tensor *(*forward)(ak_ctx *ctx, struct fd_loss *u, ak_tensor *s, ak_tensor *t); /* NULL: forward() */
    void *extra;
} fd_loss;

static inline ak_tensor *fd_loss_fn(ak_ctx *ctx, ak_tensor **in, void *user) {
    fd_loss *u = user;
    ak_tensor *saved[20];
    for (int i = 0; i < u->n_params; i++) {
        ak_tensor **slot = ak_distill_loss_param_slot(u->loss, u->params[i]);
        saved[i] = *slot;
        *slot = in[2 + i];
    }
    ak_tensor *out = u->forward ? u->forward(ctx, u, in[0], in[1]) : run_loss(ctx, u->loss, in[0], in[1], u->gt,
                                                                                   u->iteration, u->rng);
    for (int i = 0; i < u->n_params; i++)
        *ak_distill_loss_param_slot(u->loss, u->params[i]) = saved[i];
    return out;
}

/* A gradcheck input holding a copy of tensor t's values (freed by free_fd_inputs). */
static inline ak_gradcheck_input fd_input_of(const char *name, const ak_tensor *t, int check) {
    ak_gradcheck_input in = {name, t->ndim, {0}, dup_floats(t->data, t->numel), check};
    for (int d = 0; d < t->ndim; d++)
        in.shape[d] = t->shape[d];
    return in;
}

static inline void free_fd_inputs(ak_gradcheck_input *in, int n) {
    for (int i = 0; i < n; i++)
        free(in[i].data);
}

#endif
