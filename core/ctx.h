/* The execution context that ops run in: activation arena, autograd tape, recording switch, and
 * the sticky error.
 *
 * Ops take the context first and return a new tensor, or NULL on failure with ctx->err set. An op
 * given a NULL input returns NULL without touching the error, so model code can chain ops and check
 * once: `y = ak_relu(ctx, ak_conv2d(ctx, x, w, b, p)); if (!y) return ctx->err.code;`.
 *
 * Lifecycle of a training step: forward (ops allocate from the arena and record on the tape when
 * `record` is on), ak_backward(), optimizer step, ak_ctx_reset() (arena and tape emptied). The frozen
 * teacher runs with `record` off (ak_ctx_set_record), so it leaves nothing on the tape.
 *
 * One context per thread of model execution; a context is not shared between threads. The ops'
 * kernels parallelise internally with OpenMP.
 *
 * Memory of the backward pass (what keeps a training step's peak near PyTorch's): gradients of
 * activations (non-persistent tensors) come from a pool of reusable blocks, not the arena. The walk
 * returns a node's output gradient to the pool as soon as that node's backward has run (every
 * consumer of the output was recorded later and has run already, so nothing reads it again) and sets
 * the tensor's grad to NULL; gradients of leaves (tensors no recorded op produced, e.g. inputs) stay
 * until ak_ctx_reset. Scratch a backward function takes from the arena is forgotten after it runs.
 * Values are unchanged: pool blocks are zeroed when handed out, as arena gradients were (or, through
 * ak_grad_of_fresh, overwritten by a backward whose first write covers every element).
 */
#ifndef AK_CTX_H
#define AK_CTX_H

#include "core/arena.h"
#include "core/error.h"
#include "core/tensor.h"

typedef struct ak_ctx ak_ctx;
typedef struct ak_node ak_node;
typedef void (*ak_backward_fn)(ak_ctx *ctx, ak_node *node);

/* One recorded op. Inputs are the tensors the op read that may need a gradient. */
struct ak_node {
    const char *op;          /* op name, for errors */
    ak_backward_fn backward; /* adds d(out)/d(in) contributions into the inputs' grads (+=) */
    ak_tensor *out;
    ak_tensor **in;          /* n_in entries, arena memory */
    int n_in;
    void *saved;             /* op-specific state, zeroed arena memory of the size asked for */
};

typedef struct ak_tape {
    ak_node *nodes; /* heap array, grows until steady state */
    int64_t n, cap;
} ak_tape;

/* Reusable gradient blocks (see above); blocks stay allocated across steps (steady state: no malloc). */
typedef struct ak_grad_block {
    float *p;
    size_t bytes;
    bool used;
} ak_grad_block;

typedef struct ak_grad_pool {
    ak_grad_block *blocks; /* heap array */
    int n, cap;
    size_t live, peak, held; /* bytes handed out now, their maximum, all blocks */
} ak_grad_pool;

struct ak_ctx {
    ak_arena arena;
    ak_grad_pool grads;
    ak_tape tape;
    bool record;  /* record differentiable ops on the tape */
    ak_device device;
    int conv_impl; /* AK_CONV2D_IMPL_* of the conv2d ops (core/cpu/conv2d.h; 0: auto) */
    ak_error err; /* first failure since the last ak_ctx_clear_error */
};

/* arena_bytes reserved up front (0: grow on demand); arena_limit caps it (0: none). */
int ak_ctx_init(ak_ctx *ctx, size_t arena_bytes, size_t arena_limit);
void ak_ctx_free(ak_ctx *ctx);
/* End of a step: every arena tensor and tape node becomes invalid. Keeps the error. */
void ak_ctx_reset(ak_ctx *ctx);
static inline bool ak_ok(const ak_ctx *ctx) { return ctx->err.code == 0; }
void ak_ctx_clear_error(ak_ctx *ctx);
/* Turn tape recording on or off; returns the previous value so callers can restore it. */
bool ak_ctx_set_record(ak_ctx *ctx, bool on);

/* Record a failure (sticky) and return NULL, for ops: `return ak_fail(ctx, AK_ESHAPE, "...")`. */
ak_tensor *ak_fail(ak_ctx *ctx, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* New arena tensor on ctx->device, data uninitialised; NULL (ctx->err set) when the arena is full.
 * `op` names the caller for the out-of-memory message. */
ak_tensor *ak_tensor_new(ak_ctx *ctx, const char *op, int ndim, const int64_t *shape);
ak_tensor *ak_tensor_zeros(ak_ctx *ctx, const char *op, int ndim, const int64_t *shape);
ak_tensor *ak_tensor_like(ak_ctx *ctx, const char *op, const ak_tensor *t);
/* Arena tensor holding a copy of host data (tests, data loading). */
ak_tensor *ak_tensor_from(ak_ctx *ctx, int ndim, const int64_t *shape, const float *data);
/* Scratch memory from the arena (kernels' workspaces); NULL + error when full. */
void *ak_scratch(ak_ctx *ctx, const char *op, size_t bytes);

/* The gradient buffer of t, allocated zeroed on first use (the gradient pool for activations). NULL
 * + error when out of memory. Parameters already own theirs. */
float *ak_grad_of(ak_ctx *ctx, ak_tensor *t);
/* For a backward that writes every element of t's gradient in one pass: ak_grad_of without the
 * zeroing. When t has no gradient yet, its pool block is returned uninitialised and *fresh set: the
 * caller must then STORE `v + 0.0f` into each of the t->numel elements instead of adding v (bit for
 * bit what adding into zeros gives, -0 becoming +0), which saves the zeroing pass. *fresh false:
 * add as usual. NULL + error when out of memory (as ak_grad_of). */
float *ak_grad_of_fresh(ak_ctx *ctx, ak_tensor *t, bool *fresh);

/* Inference memory: with recording off, forget everything allocated in the arena since `pos` except
 * t, which is moved down to pos; returns the moved tensor (t's old pointer and every other tensor
 * allocated since pos become invalid). Model code calls it at block boundaries so that an inference
 * forward holds a few blocks' activations instead of all of them. With recording on (the tape may
 * read anything) t is returned unchanged, as it is when it cannot be moved (allocated before pos, or
 * the arena grew a chunk since pos: the first step only). NULL t -> NULL. */
ak_tensor *ak_ctx_keep(ak_ctx *ctx, ak_arena_pos pos, ak_tensor *t);

/* For op implementations: after computing `out`, record a node when recording is on and any input
 * requires a gradient; then out->requires_grad is set and the node returned, with `saved` pointing
 * to saved_bytes of zeroed arena memory. Returns NULL when nothing needs recording (check
 * ak_ok(ctx) to tell that from an out-of-memory failure). */
ak_node *ak_record(ak_ctx *ctx, const char *op, ak_tensor *out, ak_backward_fn backward, int n_in,
                   ak_tensor *const *in, size_t saved_bytes);

/* Reverse-mode pass from a scalar (numel == 1) `loss`: d(loss)/d(loss) = 1, then every recorded
 * node in reverse order. Gradients accumulate (+=) into parameters' grads. Returns 0 or the error. */
int ak_backward(ak_ctx *ctx, ak_tensor *loss);
/* Same from any recorded tensor, seeded with d(objective)/d(out) = dout (out->numel floats, host
 * memory; used by tests and by the gradient checker). */
int ak_backward_from(ak_ctx *ctx, ak_tensor *out, const float *dout);

#endif
