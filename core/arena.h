/* Bump allocator for per-iteration activations, gradients of activations and tape state.
 *
 * The training step allocates everything transient from one arena and resets it after the optimizer
 * step, so the hot loop does no malloc once the arena has reached its steady-state size. While the
 * first iterations run, an exhausted arena grows by chaining a new chunk (counted in `grows`); at the
 * next reset the chunks are merged into one chunk of the peak size, so later iterations of the same
 * shape never allocate. `limit` (bytes, 0 = none) caps the total: an allocation beyond it fails.
 *
 * Ownership: the arena owns its chunks; pointers it returns are valid until ak_arena_reset/free.
 * Alignment: every allocation is 64-byte aligned (AVX-512 lines, cache lines).
 */
#ifndef AK_ARENA_H
#define AK_ARENA_H

#include <stddef.h>

typedef struct ak_arena_chunk ak_arena_chunk;

typedef struct ak_arena {
    ak_arena_chunk *chunks; /* newest first */
    size_t used;            /* bytes handed out since the last reset (incl. alignment) */
    size_t peak;            /* max of `used` over the arena's life */
    size_t capacity;        /* sum of chunk sizes */
    size_t limit;           /* 0 = unlimited */
    long grows;             /* chunk mallocs since ak_arena_init (steady state: stops growing) */
} ak_arena;

/* `initial` bytes are reserved now (may be 0). Returns 0 or AK_ENOMEM. */
int ak_arena_init(ak_arena *a, size_t initial, size_t limit);
/* 64-byte aligned, uninitialised; NULL when the limit is reached or malloc fails. */
void *ak_arena_alloc(ak_arena *a, size_t bytes);
/* Same, zero-filled. */
void *ak_arena_calloc(ak_arena *a, size_t bytes);
/* Forget every allocation; merge chunks into one of the peak size when growth happened. */
void ak_arena_reset(ak_arena *a);
void ak_arena_free(ak_arena *a);

#endif
