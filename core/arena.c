/* Chained-chunk bump allocator; see arena.h. */
#include "core/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define AK_ARENA_ALIGN 64

struct ak_arena_chunk {
    ak_arena_chunk *next;
    size_t size, used;
    uint8_t *base; /* 64-aligned */
};

static ak_arena_chunk *chunk_new(size_t size) {
    ak_arena_chunk *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    c->base = aligned_alloc(AK_ARENA_ALIGN, (size + AK_ARENA_ALIGN - 1) / AK_ARENA_ALIGN * AK_ARENA_ALIGN);
    if (!c->base) {
        free(c);
        return NULL;
    }
    c->size = size;
    c->used = 0;
    c->next = NULL;
    return c;
}

static void chunks_free(ak_arena_chunk *c) {
    while (c) {
        ak_arena_chunk *next = c->next;
        free(c->base);
        free(c);
        c = next;
    }
}

/* Unlinked by the caller; the capacity follows. */
static void chunk_drop(ak_arena *a, ak_arena_chunk *c) {
    a->capacity -= c->size;
    free(c->base);
    free(c);
}

int ak_arena_init(ak_arena *a, size_t initial, size_t limit) {
    memset(a, 0, sizeof *a);
    a->limit = limit;
    if (initial) {
        a->chunks = chunk_new(initial);
        if (!a->chunks)
            return AK_ENOMEM;
        a->capacity = initial;
    }
    return AK_OK;
}

void *ak_arena_alloc(ak_arena *a, size_t bytes) {
    size_t need = (bytes + AK_ARENA_ALIGN - 1) / AK_ARENA_ALIGN * AK_ARENA_ALIGN;
    if (need == 0)
        need = AK_ARENA_ALIGN;
    if (a->limit && a->used + need > a->limit)
        return NULL;
    ak_arena_chunk *c = a->chunks;
    if (!c || c->size - c->used < need) {
        /* Grow geometrically so that the first iteration does few mallocs. */
        size_t size = a->capacity > need ? a->capacity : need;
        if (size < ((size_t)1 << 20))
            size = (size_t)1 << 20;
        if (a->limit && a->capacity + size > a->limit)
            size = need > a->limit - a->used ? need : a->limit - a->used;
        c = chunk_new(size);
        if (!c)
            return NULL;
        c->next = a->chunks;
        a->chunks = c;
        a->capacity += size;
        a->grows++;
    }
    void *p = c->base + c->used;
    c->used += need;
    a->used += need;
    if (a->used > a->peak)
        a->peak = a->used;
    return p;
}

void *ak_arena_calloc(ak_arena *a, size_t bytes) {
    void *p = ak_arena_alloc(a, bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

void ak_arena_reset(ak_arena *a) {
    if (a->chunks && (a->chunks->next || a->chunks->size < a->peak)) {
        /* Several chunks, or one smaller than the peak (chunks added for short-lived memory were freed
         * again by ak_arena_rewind, so the next step would malloc and page-fault them anew): replace
         * them by one that holds the whole peak. */
        size_t size = a->peak;
        chunks_free(a->chunks);
        a->chunks = chunk_new(size);
        a->capacity = a->chunks ? size : 0;
        if (a->chunks)
            a->grows++;
    }
    if (a->chunks)
        a->chunks->used = 0;
    a->used = 0;
}

ak_arena_pos ak_arena_mark(const ak_arena *a) {
    ak_arena_pos pos = {a->chunks, a->chunks ? a->chunks->used : 0, a->used};
    return pos;
}

void ak_arena_rewind(ak_arena *a, ak_arena_pos pos) {
    while (a->chunks && a->chunks != pos.chunk) { /* chunks added after the mark hold nothing live */
        ak_arena_chunk *c = a->chunks;
        a->chunks = c->next;
        chunk_drop(a, c);
    }
    if (a->chunks)
        a->chunks->used = pos.chunk_used;
    a->used = pos.used;
}

void *ak_arena_rewind_keep(ak_arena *a, ak_arena_pos pos, const void *p, size_t bytes) {
    const uint8_t *q = p;
    size_t need = (bytes + AK_ARENA_ALIGN - 1) / AK_ARENA_ALIGN * AK_ARENA_ALIGN;
    ak_arena_chunk *holder = NULL, *m = pos.chunk;
    for (ak_arena_chunk *c = a->chunks; c; c = c->next) { /* the chunks written since pos, newest first */
        const uint8_t *lo = c->base + (c == m ? pos.chunk_used : 0);
        if (q >= lo && q + bytes <= c->base + c->used) {
            holder = c;
            break;
        }
        if (c == m)
            break;
    }
    if (!holder || need == 0)
        return NULL;
    if (holder == m || (m && m->size - pos.chunk_used >= need)) {
        /* room at pos: move it there (from a newer chunk: copy before that chunk is freed) */
        uint8_t *dst = m->base + pos.chunk_used;
        if (holder != m)
            memcpy(dst, q, bytes);
        else
            memmove(dst, q, bytes); /* dst <= q */
        ak_arena_rewind(a, pos);
        m->used += need;
        a->used += need;
        return dst;
    }
    /* The first steps only (the arena is still growing): pos's chunk has no room, so keep the chunk
     * holding p, move p to its start, and free every other chunk written since pos. */
    while (a->chunks != holder) {
        ak_arena_chunk *c = a->chunks;
        a->chunks = c->next;
        chunk_drop(a, c);
    }
    while (holder->next != m) {
        ak_arena_chunk *c = holder->next;
        holder->next = c->next;
        chunk_drop(a, c);
    }
    memmove(holder->base, q, bytes);
    holder->used = need;
    if (m)
        m->used = pos.chunk_used;
    a->used = pos.used + need;
    return holder->base;
}

void ak_arena_free(ak_arena *a) {
    chunks_free(a->chunks);
    memset(a, 0, sizeof *a);
}
