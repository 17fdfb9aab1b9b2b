/* Philox4x32-10 and the draws built on it; see rng.h. */
#include "core/rng.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

void ak_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

static uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

uint64_t ak_rng_stream5(uint64_t purpose, uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
    uint64_t h = splitmix64(purpose);
    h = splitmix64(h ^ a);
    h = splitmix64(h ^ b);
    h = splitmix64(h ^ c);
    h = splitmix64(h ^ d);
    return h;
}

uint64_t ak_rng_stream(uint64_t purpose, uint64_t a, uint64_t b, uint64_t c) {
    return ak_rng_stream5(purpose, a, b, c, 0);
}

static void block(ak_rng r, uint64_t blk, uint32_t out[4]) {
    const uint32_t ctr[4] = {(uint32_t)blk, (uint32_t)(blk >> 32), (uint32_t)r.stream,
                             (uint32_t)(r.stream >> 32)};
    const uint32_t key[2] = {(uint32_t)r.seed, (uint32_t)(r.seed >> 32)};
    ak_philox4x32_10(ctr, key, out);
}

uint32_t ak_rng_u32(ak_rng r, uint64_t index) {
    uint32_t out[4];
    block(r, index >> 2, out);
    return out[index & 3];
}

static float u32_to_unit(uint32_t x) { return (float)(x >> 8) * (1.0f / 16777216.0f); }

float ak_rng_uniform1(ak_rng r, uint64_t index) { return u32_to_unit(ak_rng_u32(r, index)); }

uint32_t ak_rng_below(ak_rng r, uint64_t index, uint32_t n) {
    return (uint32_t)(((uint64_t)ak_rng_u32(r, index) * n) >> 32);
}

/* Blocks are filled whole where possible; the ragged ends use the same index mapping. */
void ak_rng_fill_u32(ak_rng r, uint64_t offset, uint32_t *out, int64_t n) {
#pragma omp parallel for schedule(static) if (n > (1 << 16))
    for (int64_t i = 0; i < n; i++)
        out[i] = ak_rng_u32(r, offset + (uint64_t)i);
}

void ak_rng_fill_uniform(ak_rng r, uint64_t offset, float *out, int64_t n) {
#pragma omp parallel for schedule(static) if (n > (1 << 16))
    for (int64_t i = 0; i < n; i++)
        out[i] = ak_rng_uniform1(r, offset + (uint64_t)i);
}

void ak_rng_fill_bernoulli(ak_rng r, uint64_t offset, float *out, int64_t n, float p) {
#pragma omp parallel for schedule(static) if (n > (1 << 16))
    for (int64_t i = 0; i < n; i++)
        out[i] = ak_rng_uniform1(r, offset + (uint64_t)i) < p ? 1.0f : 0.0f;
}

void ak_rng_fill_normal(ak_rng r, uint64_t offset, float *out, int64_t n, float mean, float std) {
#pragma omp parallel for schedule(static) if (n > (1 << 14))
    for (int64_t i = 0; i < n; i++) {
        uint32_t b[4];
        block(r, offset + (uint64_t)i, b);
        /* u1 in (0, 1] so that log(u1) is finite. Double precision keeps the tails exact enough. */
        double u1 = ((double)(b[0] >> 8) + 1.0) * (1.0 / 16777216.0);
        double u2 = (double)(b[1] >> 8) * (1.0 / 16777216.0);
        double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        out[i] = (float)(mean + std * z);
    }
}
