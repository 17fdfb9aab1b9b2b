/* Counter-based random numbers: Philox4x32-10 (Salmon et al., SC'11, "Random123").
 *
 * Every random draw in akdbench (init, dropout and avatar masks, MGD masks, data order,
 * augmentation) is a pure function of (seed, stream, index): no generator state is carried between
 * calls, so results do not depend on thread count, call order or device. Callers derive a stream id
 * from what the draw is for, e.g. ak_rng_stream(AK_STREAM_AVATAR, iteration, tap, k), and address
 * elements by index.
 *
 * Mapping onto Philox: key = (seed low 32, seed high 32); counter = (block low 32, block high 32,
 * stream low 32, stream high 32). Element i of a uniform / Bernoulli / u32 draw is lane i%4 of block
 * i/4. Element i of a normal draw uses block i (lanes 0 and 1, Box-Muller).
 */
#ifndef AK_RNG_H
#define AK_RNG_H

#include <stdint.h>

typedef struct ak_rng {
    uint64_t seed;   /* the run's seed */
    uint64_t stream; /* what the numbers are for; see ak_rng_stream() */
} ak_rng;

/* Purposes: the first argument of ak_rng_stream, so different uses never share numbers. */
enum {
    AK_STREAM_INIT = 1,      /* parameter initialisation: (param index) */
    AK_STREAM_DROPOUT = 2,   /* dropout op masks: (iteration, call) */
    AK_STREAM_AVATAR = 3,    /* avatar perturbations: (iteration, tap, avatar) */
    AK_STREAM_LOSS_MASK = 4, /* randomness inside a base loss: (iteration, tap, avatar, purpose) */
    AK_STREAM_DATA_ORDER = 5,/* shuffling: (epoch) */
    AK_STREAM_AUGMENT = 6,   /* per-sample augmentation: (epoch, sample index) */
    AK_STREAM_SYNTH = 7,     /* synthetic dataset generation: (image index, purpose) */
    AK_STREAM_TEST = 100,    /* tests and fixtures */
};

/* One Philox4x32-10 block: out = philox(ctr, key). The published known-answer vectors hold. */
void ak_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Mix up to four identifiers into a 64-bit stream id (splitmix64 chain; not commutative). */
uint64_t ak_rng_stream(uint64_t purpose, uint64_t a, uint64_t b, uint64_t c);
/* Same with a fifth identifier (used by AKD: iteration, tap, avatar, purpose). */
uint64_t ak_rng_stream5(uint64_t purpose, uint64_t a, uint64_t b, uint64_t c, uint64_t d);

/* Element `index` of the raw 32-bit sequence. */
uint32_t ak_rng_u32(ak_rng r, uint64_t index);
/* Uniform in [0, 1) with 24 random bits: element `index`. */
float ak_rng_uniform1(ak_rng r, uint64_t index);
/* Uniform integer in [0, n) (n >= 1; multiply-shift, bias < 2^-32 * n). */
uint32_t ak_rng_below(ak_rng r, uint64_t index, uint32_t n);

/* Elements offset..offset+n-1 of the raw sequence into out, on the calling thread only (for kernels
 * that split work themselves): whole blocks at a time, sixteen at once with AVX-512 where the CPU has
 * it; the same values as ak_rng_u32. */
void ak_rng_u32_run(ak_rng r, uint64_t offset, uint32_t *out, int64_t n);
/* Fill out[0..n) with elements offset..offset+n-1 of the stream (OpenMP over fixed chunks of
 * ak_rng_u32_run). Thread-safe, pure. */
void ak_rng_fill_u32(ak_rng r, uint64_t offset, uint32_t *out, int64_t n);
void ak_rng_fill_uniform(ak_rng r, uint64_t offset, float *out, int64_t n);               /* [0,1) */
void ak_rng_fill_normal(ak_rng r, uint64_t offset, float *out, int64_t n, float mean, float std);
/* out[i] = 1 if uniform < p else 0 (as float). */
void ak_rng_fill_bernoulli(ak_rng r, uint64_t offset, float *out, int64_t n, float p);

#endif
