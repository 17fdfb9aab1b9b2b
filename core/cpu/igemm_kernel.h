/* The AVX-512 register kernel and packing helpers shared by the implicit-GEMM convolution
 * (conv2d_igemm*.c) and the plain GEMM (igemm_sgemm.c); internal to core/cpu.
 *
 * kern_8x48: C (rows x 48, row stride ldc, columns masked) = init + A (8 x kc) * B (kc x 48) with
 * A packed k-major (a[8k + r], zero rows beyond `rows`) and B packed as a kc x 48 panel; 24 zmm
 * accumulators, k ascending, one FMA chain per output element (kern_8x16 / kern_8x32: narrower
 * tails, same chains). copy_run / add_run / fill_row_v move im2col rows with vector loads.
 * Only compiled for x86-64 with GCC / Clang (AK_IGEMM_X86), under a target attribute (the build is
 * generic x86-64); callers check ak_cpu_conv2d_igemm_supported() first.
 */
#ifndef AK_CPU_IGEMM_KERNEL_H
#define AK_CPU_IGEMM_KERNEL_H

#include <stdint.h>

#include "core/cpu/conv2d_pack.h"

#define MR 8          /* rows of A per register block */
#define NR 48         /* output columns per register block (3 zmm) */
#define KC 384        /* reduction block (B panels of 72 KiB; see conv2d_igemm.c) */
#define NC (NR * 8)   /* output columns per task */

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define AK_IGEMM_X86 1
#include <immintrin.h>
#define AK_AVX512 __attribute__((target("avx512f,fma")))

static inline __mmask16 lane_mask(int64_t valid) {
    if (valid <= 0)
        return 0;
    if (valid >= 16)
        return 0xFFFF;
    return (__mmask16)((1u << valid) - 1u);
}

/* d[t] = src[t*sw] for t < cnt; vector loads / stores for strides 1 and 2 (the stem). */
AK_AVX512 static inline void copy_run(float *d, const float *src, int64_t cnt, int64_t sw) {
    if (sw == 1) {
        for (int64_t t = 0; t < cnt; t += 16) {
            const __mmask16 m = lane_mask(cnt - t);
            _mm512_mask_storeu_ps(d + t, m, _mm512_maskz_loadu_ps(m, src + t));
        }
    } else if (sw == 2) {
        const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        for (int64_t t = 0; t < cnt; t += 16) {
            const int64_t m16 = cnt - t < 16 ? cnt - t : 16, need = 2 * m16 - 1; /* source floats read */
            const __m512 a = _mm512_maskz_loadu_ps(lane_mask(need), src + 2 * t);
            const __m512 b = need > 16 ? _mm512_maskz_loadu_ps(lane_mask(need - 16), src + 2 * t + 16)
                                       : _mm512_setzero_ps();
            _mm512_mask_storeu_ps(d + t, lane_mask(m16), _mm512_permutex2var_ps(a, even, b));
        }
    } else {
        for (int64_t t = 0; t < cnt; t++)
            d[t] = src[t * sw];
    }
}

/* dst[q*sw] += src[q] for q < n; vector adds for strides 1 and 2 (col2im of the strided convs). */
AK_AVX512 static inline void add_run(float *dst, const float *src, int64_t n, int64_t sw) {
    if (sw == 1) {
        for (int64_t q = 0; q < n; q += 16) {
            const __mmask16 m = lane_mask(n - q);
            _mm512_mask_storeu_ps(dst + q, m,
                                  _mm512_add_ps(_mm512_maskz_loadu_ps(m, dst + q), _mm512_maskz_loadu_ps(m, src + q)));
        }
    } else if (sw == 2) {
        for (int64_t q = 0; q < n; q += 8) { /* 8 sources land on the even lanes of 16 destinations */
            const int64_t cnt = n - q < 8 ? n - q : 8;
            const __mmask16 m = (__mmask16)(0x5555u & lane_mask(2 * cnt - 1));
            const __m512 v = _mm512_maskz_expandloadu_ps(m, src + q);
            _mm512_mask_storeu_ps(dst + 2 * q, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, dst + 2 * q), v));
        }
    } else {
        for (int64_t q = 0; q < n; q++)
            dst[q * sw] += src[q];
    }
}

/* dst[0, width): row (c, i, j) of one image's im2col matrix (see conv2d_pack.h) over the output
 * columns described by the segments (nvalid lanes; the rest of the row is zero). off = j*dw - pw;
 * [lo, hi) = ak_cpu_conv2d_valid_cols for that j. One run of valid input covering the whole row is
 * a plain vector copy; otherwise the row is zeroed and the valid runs copied. */
AK_AVX512 static inline void fill_row_v(float *dst, int64_t width, const float *x, const ak_conv2d_geom *g, int64_t c,
                                        int64_t i, int64_t off, int64_t lo, int64_t hi, const ak_conv2d_seg *segs, int ns,
                                        int64_t nvalid) {
    const float *plane = x + c * g->h * g->w;
    const int64_t sw = g->sw;
    if (ns == 1 && nvalid == width) {
        const int64_t ih = segs[0].oh * g->sh - g->ph + i * g->dh;
        if (ih >= 0 && ih < g->h && segs[0].ow >= lo && segs[0].ow + width <= hi) {
            copy_run(dst, plane + ih * g->w + (segs[0].ow * sw + off), width, sw);
            return;
        }
    }
    for (int64_t t = 0; t < width; t += 16)
        _mm512_mask_storeu_ps(dst + t, lane_mask(width - t), _mm512_setzero_ps());
    for (int sgi = 0; sgi < ns; sgi++) {
        const int64_t ih = segs[sgi].oh * g->sh - g->ph + i * g->dh;
        const int64_t o0 = segs[sgi].ow, o1 = o0 + segs[sgi].len;
        const int64_t a = o0 > lo ? o0 : lo, b = o1 < hi ? o1 : hi;
        if (ih >= 0 && ih < g->h && b > a)
            copy_run(dst + segs[sgi].q + (a - o0), plane + ih * g->w + (a * sw + off), b - a, sw);
    }
}

/* Valid output-column ranges of every kernel column j (kw <= AK_MAX_KW), computed once per pack. */
#define AK_MAX_KW 32
static inline void valid_cols_all(const ak_conv2d_geom *g, int64_t *lo, int64_t *hi) {
    for (int64_t j = 0; j < g->kw && j < AK_MAX_KW; j++)
        ak_cpu_conv2d_valid_cols(j * g->dw - g->pw, g->sw, g->w, g->wo, &lo[j], &hi[j]);
}

enum { INIT_ZERO, INIT_BIAS, INIT_LOAD, INIT_LOAD_BIAS };

/* The kernel is written once for nv = 1..3 live column vectors (16, 32, 48 columns); nv is a
 * constant at each instantiation, so the unused accumulators and loads fold away. */
#define DECL(r) __m512 c##r##0, c##r##1, c##r##2
#define SET(r, v) c##r##0 = c##r##1 = c##r##2 = (v)
#define LOAD(r)                                                                   \
    do {                                                                          \
        if ((r) < rows) {                                                         \
            c##r##0 = _mm512_maskz_loadu_ps(m0, c + (r) * ldc);                   \
            if (nv > 1)                                                           \
                c##r##1 = _mm512_maskz_loadu_ps(m1, c + (r) * ldc + 16);          \
            if (nv > 2)                                                           \
                c##r##2 = _mm512_maskz_loadu_ps(m2, c + (r) * ldc + 32);          \
        }                                                                         \
    } while (0)
#define ADDB(r)                                                                   \
    do {                                                                          \
        const __m512 bv = _mm512_set1_ps((r) < rows ? bias[r] : 0.0f);           \
        c##r##0 = _mm512_add_ps(c##r##0, bv);                                     \
        if (nv > 1)                                                               \
            c##r##1 = _mm512_add_ps(c##r##1, bv);                                 \
        if (nv > 2)                                                               \
            c##r##2 = _mm512_add_ps(c##r##2, bv);                                 \
    } while (0)
#define FMA(r)                                                                    \
    do {                                                                          \
        const __m512 av = _mm512_set1_ps(a[r]);                                   \
        c##r##0 = _mm512_fmadd_ps(av, b0, c##r##0);                               \
        if (nv > 1)                                                               \
            c##r##1 = _mm512_fmadd_ps(av, b1, c##r##1);                           \
        if (nv > 2)                                                               \
            c##r##2 = _mm512_fmadd_ps(av, b2, c##r##2);                           \
    } while (0)
#define STORE(r)                                                                  \
    do {                                                                          \
        if ((r) < rows) {                                                         \
            _mm512_mask_storeu_ps(c + (r) * ldc, m0, c##r##0);                    \
            if (nv > 1)                                                           \
                _mm512_mask_storeu_ps(c + (r) * ldc + 16, m1, c##r##1);           \
            if (nv > 2)                                                           \
                _mm512_mask_storeu_ps(c + (r) * ldc + 32, m2, c##r##2);           \
        }                                                                         \
    } while (0)

/* C (rows x 16*nv, row stride ldc, columns masked by m0..m2) = init + A (8 x kc) B (kc x 16*nv),
 * with A packed k-major (a[8k + r]) and zero-padded beyond `rows` (those rows are computed, not
 * stored), and B a panel of row stride NR. */
AK_AVX512 static inline __attribute__((always_inline)) void kern_8xv(const int nv, int64_t kc, const float *a,
                                                                     const float *b, float *c, int64_t ldc, int rows,
                                                                     __mmask16 m0, __mmask16 m1, __mmask16 m2,
                                                                     int init, const float *bias) {
    DECL(0); DECL(1); DECL(2); DECL(3); DECL(4); DECL(5); DECL(6); DECL(7);
    SET(0, _mm512_setzero_ps()); SET(1, _mm512_setzero_ps()); SET(2, _mm512_setzero_ps());
    SET(3, _mm512_setzero_ps()); SET(4, _mm512_setzero_ps()); SET(5, _mm512_setzero_ps());
    SET(6, _mm512_setzero_ps()); SET(7, _mm512_setzero_ps());
    if (init == INIT_LOAD || init == INIT_LOAD_BIAS) {
        LOAD(0); LOAD(1); LOAD(2); LOAD(3); LOAD(4); LOAD(5); LOAD(6); LOAD(7);
    }
    if (init == INIT_BIAS || init == INIT_LOAD_BIAS) {
        ADDB(0); ADDB(1); ADDB(2); ADDB(3); ADDB(4); ADDB(5); ADDB(6); ADDB(7);
    }
    for (int64_t k = 0; k < kc; k++, b += NR, a += MR) {
        const __m512 b0 = _mm512_loadu_ps(b);
        const __m512 b1 = nv > 1 ? _mm512_loadu_ps(b + 16) : b0, b2 = nv > 2 ? _mm512_loadu_ps(b + 32) : b0;
        FMA(0); FMA(1); FMA(2); FMA(3); FMA(4); FMA(5); FMA(6); FMA(7);
    }
    STORE(0); STORE(1); STORE(2); STORE(3); STORE(4); STORE(5); STORE(6); STORE(7);
}

AK_AVX512 static void kern_8x16(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int rows,
                                __mmask16 m0, int init, const float *bias) {
    kern_8xv(1, kc, a, b, c, ldc, rows, m0, 0, 0, init, bias);
}
AK_AVX512 static void kern_8x32(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int rows,
                                __mmask16 m0, __mmask16 m1, int init, const float *bias) {
    kern_8xv(2, kc, a, b, c, ldc, rows, m0, m1, 0, init, bias);
}
AK_AVX512 static void kern_8x48(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int rows,
                                __mmask16 m0, __mmask16 m1, __mmask16 m2, int init, const float *bias) {
    kern_8xv(3, kc, a, b, c, ldc, rows, m0, m1, m2, init, bias);
}

/* The narrowest kernel covering `valid` (> 0) columns of a panel: a tail panel of 3 columns costs
 * one vector of FMAs per row instead of three. */
AK_AVX512 static inline void kern_8xn(int64_t valid, int64_t kc, const float *a, const float *b, float *c,
                                      int64_t ldc, int rows, int init, const float *bias) {
    const __mmask16 m0 = lane_mask(valid), m1 = lane_mask(valid - 16), m2 = lane_mask(valid - 32);
    if (valid <= 16)
        kern_8x16(kc, a, b, c, ldc, rows, m0, init, bias);
    else if (valid <= 32)
        kern_8x32(kc, a, b, c, ldc, rows, m0, m1, init, bias);
    else
        kern_8x48(kc, a, b, c, ldc, rows, m0, m1, m2, init, bias);
}

#undef DECL
#undef SET
#undef LOAD
#undef ADDB
#undef FMA
#undef STORE

#endif /* AK_IGEMM_X86 */

#endif
