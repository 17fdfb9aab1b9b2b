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
/* Forget every allocation; when growth happened (several chunks, or a chunk smaller than the peak
 * because rewinds freed the chunks added for short-lived memory), replace them by one chunk of the
 * peak size, so that the next step of the same shape allocates nothing. */
void ak_arena_reset(ak_arena *a);

/* A position in the arena, for releasing short-lived memory in LIFO order: everything allocated after
 * ak_arena_mark is forgotten by ak_arena_rewind (chunks added since are freed). Used for memory that
 * is dead at a known point: an op's workspace, a backward node's scratch, the intermediates of an
 * inference block. A position is valid until the next reset; rewinding to it twice is allowed.
 * `peak` keeps counting the maximum in use, so the merged chunk after a reset is the live peak. */
typedef struct ak_arena_pos {
    ak_arena_chunk *chunk; /* head chunk at the mark (NULL: none yet) */
    size_t chunk_used, used;
} ak_arena_pos;
ak_arena_pos ak_arena_mark(const ak_arena *a);
void ak_arena_rewind(ak_arena *a, ak_arena_pos pos);
/* Rewind to pos but keep the `bytes` at p (memory allocated after pos), moved down to pos; returns
 * its new (64-aligned) address. While the arena is still growing, p may sit in a chunk added since
 * pos: it moves to pos when pos's chunk has room, else to the start of its own chunk (the others
 * written since pos are freed). NULL, with nothing changed, when p was not allocated after pos. */
void *ak_arena_rewind_keep(ak_arena *a, ak_arena_pos pos, const void *p, size_t bytes);
void ak_arena_free(ak_arena *a);

#endif
