/* Philox4x32-10 and the draws built on it; see rng.h. */
#include "core/rng.h"

#include <math.h>
#include <string.h>

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

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define AK_RNG_X16 1

/* hi and lo 32 bits of the 16 products a * m (m broadcast in the low half of every 64-bit lane):
 * _mm512_mul_epu32 multiplies the even 32-bit lanes, so the odd ones are shifted down first. */
__attribute__((target("avx512f"))) static inline void mulhilo16(__m512i a, __m512i m, __m512i *hi, __m512i *lo) {
    const __m512i even = _mm512_mul_epu32(a, m), odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
    *lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
    *hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

/* Blocks blk0 .. blk0+15 of the stream (the rounds of ak_philox4x32_10, one block per 32-bit lane):
 * out[4*b + l] = lane l of block blk0 + b, i.e. elements 4*blk0 .. 4*blk0 + 63 in order. */
__attribute__((target("avx512f"))) static void blocks16(ak_rng r, uint64_t blk0, uint32_t out[64]) {
    uint32_t lo[16], hi[16], v[4][16];
    for (int b = 0; b < 16; b++) {
        lo[b] = (uint32_t)(blk0 + (uint64_t)b);
        hi[b] = (uint32_t)((blk0 + (uint64_t)b) >> 32);
    }
    __m512i c0 = _mm512_loadu_si512(lo), c1 = _mm512_loadu_si512(hi);
    __m512i c2 = _mm512_set1_epi32((int)(uint32_t)r.stream), c3 = _mm512_set1_epi32((int)(uint32_t)(r.stream >> 32));
    uint32_t k0 = (uint32_t)r.seed, k1 = (uint32_t)(r.seed >> 32);
    const __m512i m0 = _mm512_set1_epi64((long long)PHILOX_M0), m1 = _mm512_set1_epi64((long long)PHILOX_M1);
    for (int round = 0; round < 10; round++) {
        __m512i hi0, lo0, hi1, lo1;
        mulhilo16(c0, m0, &hi0, &lo0);
        mulhilo16(c2, m1, &hi1, &lo1);
        c0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi32((int)k0));
        c1 = lo1;
        c2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi32((int)k1));
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    _mm512_storeu_si512(v[0], c0);
    _mm512_storeu_si512(v[1], c1);
    _mm512_storeu_si512(v[2], c2);
    _mm512_storeu_si512(v[3], c3);
    for (int b = 0; b < 16; b++)
        for (int l = 0; l < 4; l++)
            out[4 * b + l] = v[l][b];
}
#endif

void ak_rng_u32_run(ak_rng r, uint64_t offset, uint32_t *out, int64_t n) {
    int64_t i = 0;
    for (; i < n && ((offset + (uint64_t)i) & 3u); i++) /* up to the first whole block */
        out[i] = ak_rng_u32(r, offset + (uint64_t)i);
#ifdef AK_RNG_X16
    if (__builtin_cpu_supports("avx512f"))
        for (; i + 64 <= n; i += 64)
            blocks16(r, (offset + (uint64_t)i) >> 2, out + i);
#endif
    for (; i + 4 <= n; i += 4) {
        uint32_t b[4];
        block(r, (offset + (uint64_t)i) >> 2, b);
        memcpy(out + i, b, sizeof b);
    }
    for (; i < n; i++)
        out[i] = ak_rng_u32(r, offset + (uint64_t)i);
}

/* The parallel fills: fixed chunks of FILL_CHUNK elements, each one ak_rng_u32_run. */
#define FILL_CHUNK 4096

void ak_rng_fill_u32(ak_rng r, uint64_t offset, uint32_t *out, int64_t n) {
    const int64_t chunks = (n + FILL_CHUNK - 1) / FILL_CHUNK;
#pragma omp parallel for schedule(static) if (n > (1 << 16))
    for (int64_t c = 0; c < chunks; c++) {
        const int64_t i0 = c * FILL_CHUNK, len = n - i0 < FILL_CHUNK ? n - i0 : FILL_CHUNK;
        ak_rng_u32_run(r, offset + (uint64_t)i0, out + i0, len);
    }
}

/* out[i] = u32_to_unit(element offset + i) compared with p (bernoulli) or as is. */
static void fill_units(ak_rng r, uint64_t offset, float *out, int64_t n, int bernoulli, float p) {
    const int64_t chunks = (n + FILL_CHUNK - 1) / FILL_CHUNK;
#pragma omp parallel for schedule(static) if (n > (1 << 16))
    for (int64_t c = 0; c < chunks; c++) {
        const int64_t i0 = c * FILL_CHUNK, len = n - i0 < FILL_CHUNK ? n - i0 : FILL_CHUNK;
        uint32_t buf[FILL_CHUNK];
        ak_rng_u32_run(r, offset + (uint64_t)i0, buf, len);
        for (int64_t i = 0; i < len; i++) {
            const float u = u32_to_unit(buf[i]);
            out[i0 + i] = bernoulli ? (u < p ? 1.0f : 0.0f) : u;
        }
    }
}

void ak_rng_fill_uniform(ak_rng r, uint64_t offset, float *out, int64_t n) { fill_units(r, offset, out, n, 0, 0.0f); }

void ak_rng_fill_bernoulli(ak_rng r, uint64_t offset, float *out, int64_t n, float p) {
    fill_units(r, offset, out, n, 1, p);
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
