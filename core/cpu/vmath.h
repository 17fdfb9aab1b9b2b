/* Inline, vectorisable float math for kernels' inner loops.
 *
 * Why: without -ffast-math (which we refuse: results must be IEEE-exact and repeatable) GCC calls
 * libm's expf once per element and cannot vectorise the loop. ak_vexpf is plain IEEE arithmetic and
 * integer bit operations only, so `#pragma omp simd` loops over it vectorise, and it gives the same
 * bits on every machine and thread count (no FMA contraction in ISO C mode).
 *
 * Accuracy: within 2 ulp of exp over the whole float range (checked against double exp in
 * tests/engine/test_elementwise.c); overflow gives +inf, underflow gives denormals then 0, NaN stays
 * NaN. Method: Cody-Waite reduction x = n*ln2 + r, |r| <= ln2/2, Cephes' degree-6 polynomial for
 * exp(r), and 2^n applied as two factors so that denormal results keep their precision.
 */
#ifndef AK_CPU_VMATH_H
#define AK_CPU_VMATH_H

#include <stdint.h>
#include <string.h>

static inline float ak_pow2i(int32_t n) { /* 2^n for -126 <= n <= 127 */
    uint32_t bits = (uint32_t)(n + 127) << 23;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline int32_t ak_f2key(float x) { /* float -> int with the same ordering (non-NaN) */
    int32_t i;
    memcpy(&i, &x, sizeof i);
    return i ^ ((i >> 31) & 0x7fffffff);
}

static inline float ak_key2f(int32_t k) {
    int32_t i = k ^ ((k >> 31) & 0x7fffffff);
    float x;
    memcpy(&x, &i, sizeof x);
    return x;
}

/* The clamp of x to [-104, 89] and the NaN test are done on integer keys of the bit patterns: a
 * float compare with a constant arm lets GCC's PRE split the loop into branches and vectorisation
 * fails; integer min / max and selects do not. */
static inline float ak_vexpf(float x) {
    int32_t key = ak_f2key(x);
    key = key < -1120927745 ? -1120927745 : key; /* ak_f2key(-104.0f) */
    key = key > 1118961664 ? 1118961664 : key;   /* ak_f2key(89.0f) */
    const float xc = ak_key2f(key);
    /* n = round(xc / ln2) by the 1.5*2^23 trick (exact in IEEE arithmetic, no libm call) */
    float t = xc * 1.44269504088896341f + 12582912.0f;
    float fn = t - 12582912.0f;
    float r = xc - fn * 0.693359375f;
    r = r - fn * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    int32_t n = (int32_t)fn;
    int32_t n1 = n / 2, n2 = n - n1; /* both within [-76, 65]: normal scale factors */
    float y = p * ak_pow2i(n1) * ak_pow2i(n2);
    int32_t xi, yi;
    memcpy(&xi, &x, sizeof xi);
    memcpy(&yi, &y, sizeof yi);
    int32_t nan_mask = (xi & 0x7fffffff) > 0x7f800000 ? -1 : 0; /* NaN in -> the same NaN out */
    yi = (yi & ~nan_mask) | (xi & nan_mask);
    memcpy(&y, &yi, sizeof y);
    return y;
}

/* y > 0 ? v : +0.0f (relu's backward select) as bit operations. Needed where v is a computed value
 * such as g + 0.0f (the store into a fresh gradient, core/ctx.h ak_grad_of_fresh): written as a float
 * select, GCC sinks the add into a branch and the loop stays scalar; this form vectorises. The same
 * bits as the select (NaN y -> +0). */
static inline float ak_relu_keep(float v, float y) {
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    b &= -(uint32_t)(y > 0.0f);
    memcpy(&v, &b, sizeof v);
    return v;
}

#endif
