/* The AVX-512 register kernel and packing helpers shared by the implicit-GEMM convolution
 * (conv2d_igemm*.c) and the plain GEMM (igemm_sgemm.c); internal to core/cpu.
 *
 * kern_8x48: C (rows x 48, row stride ldc, columns masked) = init + A (8 x kc) * B (kc x 48);
 * 24 zmm accumulators, k ascending, one FMA chain per output element (kern_8x16 / kern_8x32:
 * narrower tails, same chains).
 *   A is read in place through an ak_arows view: element (r, k) is rows.p[r][rows.off[k]], so the
 *     weight (forward: its rows; data gradient: flipped and transposed), a transposed matrix or
 *     the rows of dY are used where they lie, with no packing pass (packing the weight cost 10-20 %
 *     of the time of the small-spatial layers, whose weight is as large as their activations).
 *   B is a kc x 48 block of row stride ldb (an im2col tile of a task's full width, or a 48-column
 *     panel when ldb = NR).
 * copy_run / zero_run / add_run / fill_row_v move im2col rows with vector loads.
 * Only compiled for x86-64 with GCC / Clang (AK_IGEMM_X86), under a target attribute (the build is
 * generic x86-64); callers check ak_cpu_conv2d_igemm_supported() first.
 */
#ifndef AK_CPU_IGEMM_KERNEL_H
#define AK_CPU_IGEMM_KERNEL_H

#include <stdint.h>

#include "core/cpu/conv2d_pack.h"

#define MR 8          /* rows of A per register block */
#define NR 48         /* output columns per register block (3 zmm) */
#define KC 512        /* reduction block at most (see kblock) */
#define NC (NR * 8)   /* output columns per task */
#define BOFF 1024     /* ak_bview: the B offsets follow the A offsets at off + BOFF (its reduction blocks <= BOFF) */

/* The reduction block for a reduction of length k: k split into equal blocks of at most KC (K =
 * 512 is one block, 576 two of 288): a short last block costs a full reload of C for little
 * work. Blocking never changes the FMA sequence of an output element. */
static inline int64_t kblock(int64_t k) {
    const int64_t nb = (k + KC - 1) / KC;
    return nb > 1 ? (k + nb - 1) / nb : k;
}

/* A operand of the kernel: element (r, k) of the 8 x kc block is p[r][off[k]]. Rows beyond the
 * block's `rows` point at a valid row (their results are computed, not stored). */
typedef struct ak_arows {
    const float *p[MR];
    const int32_t *off;
} ak_arows;

/* B operand read through a table: element (k, 16*v + l) is p[v][boff[k] + l] (one base per
 * 16-column vector, so that a panel may span rows of a buffer; see conv2d_igemm.c, row buffers).
 * The table boff is the A view's off + KC (the kernel reads both through one pointer), and A must
 * be packed in k-major blocks of MR rows: the kernel reads A as a->p[0][off[k] + r] (p[1..7] unused). */
typedef struct ak_bview {
    const float *p[3];
} ak_bview;

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

/* d[0, cnt) = 0. */
AK_AVX512 static inline void zero_run(float *d, int64_t cnt) {
    for (int64_t t = 0; t < cnt; t += 16)
        _mm512_mask_storeu_ps(d + t, lane_mask(cnt - t), _mm512_setzero_ps());
}

/* dst[0, width): row (c, i, j) of one image's im2col matrix (see conv2d_pack.h) over the output
 * columns described by the segments (nvalid lanes; the rest of the row is zero). off = j*dw - pw;
 * [lo, hi) = ak_cpu_conv2d_valid_cols for that j. Each lane is written once: the valid run of a
 * segment is copied, its padding lanes zeroed. */
AK_AVX512 static inline void fill_row_v(float *dst, int64_t width, const float *x, const ak_conv2d_geom *g, int64_t c,
                                        int64_t i, int64_t off, int64_t lo, int64_t hi, const ak_conv2d_seg *segs, int ns,
                                        int64_t nvalid) {
    const float *plane = x + c * g->h * g->w;
    const int64_t sw = g->sw;
    for (int sgi = 0; sgi < ns; sgi++) {
        const int64_t ih = segs[sgi].oh * g->sh - g->ph + i * g->dh;
        const int64_t o0 = segs[sgi].ow, o1 = o0 + segs[sgi].len;
        const int64_t a = o0 > lo ? o0 : lo, b = o1 < hi ? o1 : hi;
        float *d = dst + segs[sgi].q;
        if (ih >= 0 && ih < g->h && b > a) {
            zero_run(d, a - o0);
            copy_run(d + (a - o0), plane + ih * g->w + (a * sw + off), b - a, sw);
            zero_run(d + (b - o0), o1 - b);
        } else {
            zero_run(d, o1 - o0);
        }
    }
    zero_run(dst + nvalid, width - nvalid);
}

/* Valid output-column ranges of every kernel column j (kw <= AK_MAX_KW), computed once per pack. */
#define AK_MAX_KW 32
#ifndef PF_DIST
#define PF_DIST 2 /* channels ahead (see prefetch_run) */
#endif
static inline void valid_cols_all(const ak_conv2d_geom *g, int64_t *lo, int64_t *hi) {
    for (int64_t j = 0; j < g->kw && j < AK_MAX_KW; j++)
        ak_cpu_conv2d_valid_cols(j * g->dw - g->pw, g->sw, g->w, g->wo, &lo[j], &hi[j]);
}

/* Software prefetch (into L1) of the cache lines of src[0, n). Packing reads one channel plane
 * after another, each a short stream the hardware prefetchers pick up late: fetching PF_DIST
 * channels ahead hides most of the latency (3-4 % of the forward time at 2 threads). */
static inline void prefetch_run(const float *src, int64_t n) {
    for (int64_t f = 0; f < n; f += 16)
        _mm_prefetch((const char *)(src + f), _MM_HINT_T0);
}

/* Bits [lo, hi) of a 16-lane mask (empty when hi <= lo). */
static inline __mmask16 lane_range(int64_t lo, int64_t hi) {
    lo = lo < 0 ? 0 : lo > 16 ? 16 : lo;
    hi = hi < 0 ? 0 : hi > 16 ? 16 : hi;
    return (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

/* 16 floats at base + at, lanes outside m zero. The address is formed in integers: masked-off lanes
 * may lie outside the buffer (padding read as zero without a bounds branch). */
AK_AVX512 static inline __m512 load_masked(const float *base, int64_t at, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, (const float *)((uintptr_t)base + (uintptr_t)(at * (int64_t)sizeof(float))));
}

/* True when im2col rows over output columns [pa, pa + n) can be read as masked runs of the input
 * plane: stride 1 and an input row as long as the output row ("same" padding), so consecutive
 * output columns read consecutive input floats; whole 16-lane vectors within output rows. */
static inline bool im2col_rows_contiguous(const ak_conv2d_geom *g, int64_t pa, int64_t n) {
    return g->sh == 1 && g->sw == 1 && g->w == g->wo && g->wo % 16 == 0 && pa % 16 == 0 && n % 16 == 0;
}

/* Row (c, i, j) of the im2col matrix over [pa, pa + n) when im2col_rows_contiguous: output column
 * p reads plane[p + (i*dh - ph)*W + j*dw - pw]; each vector is one masked load (rows outside the
 * image and columns in the padding read as zero). */
AK_AVX512 static inline void fill_row_contig(float *dst, const float *plane, const ak_conv2d_geom *g, int64_t i,
                                             int64_t j, int64_t pa, int64_t n) {
    const int64_t wo = g->wo, dr = i * g->dh - g->ph, off = j * g->dw - g->pw, shift = dr * wo + off;
    int64_t oh = pa / wo, ow = pa % wo;
    for (int64_t t = 0; t < n; t += 16) {
        const int64_t ih = oh + dr;
        __mmask16 m = 0;
        if (ih >= 0 && ih < g->h)
            m = lane_range(-off - ow, wo - off - ow);
        _mm512_storeu_ps(dst + t, load_masked(plane, pa + t + shift, m));
        if ((ow += 16) == wo)
            ow = 0, oh++;
    }
}

/* dst rows kk = 0..kn-1 (row stride ldd >= n): rows k0..k0+kn of one image's group-local im2col
 * matrix (channels from c0) over the output columns [pa, pa + n) described by segs / ns
 * (ak_cpu_conv2d_segments; unused for pointwise convolutions, whose rows are input rows, and when
 * im2col_rows_contiguous); lanes [n, n rounded up to 16) are zero (the kernel reads that far). */
AK_AVX512 static inline void pack_im2col_rows(float *dst, int64_t ldd, const float *x, const ak_conv2d_geom *g,
                                              int64_t c0, int64_t k0, int64_t kn, int64_t pa, int64_t n,
                                              const ak_conv2d_seg *segs, int ns) {
    const int64_t tail = (n + 15) / 16 * 16 - n, P = g->h * g->w;
    if (ak_cpu_conv2d_is_pointwise(g)) {
        for (int64_t kk = 0; kk < kn; kk++, dst += ldd) {
            if (c0 + k0 + kk + PF_DIST < g->c)
                prefetch_run(x + (c0 + k0 + kk + PF_DIST) * P + pa, n);
            copy_run(dst, x + (c0 + k0 + kk) * P + pa, n, 1);
            zero_run(dst + n, tail);
        }
        return;
    }
    const int64_t khw = g->kh * g->kw, kw = g->kw;
    int64_t c = c0 + k0 / khw, i = (k0 % khw) / kw, j = k0 % kw;
    /* the input rows a channel's im2col rows read: floats [lo, hi) of its plane */
    int64_t lo = (pa / g->wo * g->sh - g->ph) * g->w;
    int64_t hi = ((pa + n - 1) / g->wo * g->sh - g->ph + (g->kh - 1) * g->dh + 1) * g->w;
    lo = lo < 0 ? 0 : lo;
    hi = hi > P ? P : hi;
    const int64_t cend = g->c; /* channels beyond this block are read by the next one */
    if (im2col_rows_contiguous(g, pa, n)) {
        for (int64_t kk = 0; kk < kn; kk++, dst += ldd) {
            if (kk == 0 || (i == 0 && j == 0)) /* a new channel: fetch the one PF_DIST ahead */
                if (c + PF_DIST < cend && hi > lo)
                    prefetch_run(x + (c + PF_DIST) * P + lo, hi - lo);
            fill_row_contig(dst, x + c * P, g, i, j, pa, n);
            if (++j == kw) {
                j = 0;
                if (++i == g->kh)
                    i = 0, c++;
            }
        }
        return;
    }
    int64_t vlo[AK_MAX_KW], vhi[AK_MAX_KW];
    valid_cols_all(g, vlo, vhi);
    for (int64_t kk = 0; kk < kn; kk++, dst += ldd) {
        if (kk == 0 || (i == 0 && j == 0))
            if (c + PF_DIST < cend && hi > lo)
                prefetch_run(x + (c + PF_DIST) * P + lo, hi - lo);
        int64_t l, h;
        if (j < AK_MAX_KW)
            l = vlo[j], h = vhi[j];
        else
            ak_cpu_conv2d_valid_cols(j * g->dw - g->pw, g->sw, g->w, g->wo, &l, &h);
        fill_row_v(dst, n + tail, x, g, c, i, j * g->dw - g->pw, l, h, segs, ns, n);
        if (++j == kw) {
            j = 0;
            if (++i == g->kh)
                i = 0, c++;
        }
    }
}

/* 16x16 transpose: out[j][i] = in_i[j] for the 16 input rows in_i (NULL: a row of zeros), reading
 * the first `cols` columns (the rest as zeros), writing 16 rows of 16 (row stride ldd). */
AK_AVX512 static inline void transpose16(const float *const *in, int64_t cols, float *out, int64_t ldd) {
    const __mmask16 m = lane_mask(cols);
    /* written out so that the 32 values stay in registers (a loop over arrays spills) */
    __m512 r0 = in[0] ? _mm512_maskz_loadu_ps(m, in[0]) : _mm512_setzero_ps();
    __m512 r1 = in[1] ? _mm512_maskz_loadu_ps(m, in[1]) : _mm512_setzero_ps();
    __m512 r2 = in[2] ? _mm512_maskz_loadu_ps(m, in[2]) : _mm512_setzero_ps();
    __m512 r3 = in[3] ? _mm512_maskz_loadu_ps(m, in[3]) : _mm512_setzero_ps();
    __m512 r4 = in[4] ? _mm512_maskz_loadu_ps(m, in[4]) : _mm512_setzero_ps();
    __m512 r5 = in[5] ? _mm512_maskz_loadu_ps(m, in[5]) : _mm512_setzero_ps();
    __m512 r6 = in[6] ? _mm512_maskz_loadu_ps(m, in[6]) : _mm512_setzero_ps();
    __m512 r7 = in[7] ? _mm512_maskz_loadu_ps(m, in[7]) : _mm512_setzero_ps();
    __m512 r8 = in[8] ? _mm512_maskz_loadu_ps(m, in[8]) : _mm512_setzero_ps();
    __m512 r9 = in[9] ? _mm512_maskz_loadu_ps(m, in[9]) : _mm512_setzero_ps();
    __m512 r10 = in[10] ? _mm512_maskz_loadu_ps(m, in[10]) : _mm512_setzero_ps();
    __m512 r11 = in[11] ? _mm512_maskz_loadu_ps(m, in[11]) : _mm512_setzero_ps();
    __m512 r12 = in[12] ? _mm512_maskz_loadu_ps(m, in[12]) : _mm512_setzero_ps();
    __m512 r13 = in[13] ? _mm512_maskz_loadu_ps(m, in[13]) : _mm512_setzero_ps();
    __m512 r14 = in[14] ? _mm512_maskz_loadu_ps(m, in[14]) : _mm512_setzero_ps();
    __m512 r15 = in[15] ? _mm512_maskz_loadu_ps(m, in[15]) : _mm512_setzero_ps();
    __m512 t0 = _mm512_unpacklo_ps(r0, r1), t1 = _mm512_unpackhi_ps(r0, r1);
    __m512 t2 = _mm512_unpacklo_ps(r2, r3), t3 = _mm512_unpackhi_ps(r2, r3);
    __m512 t4 = _mm512_unpacklo_ps(r4, r5), t5 = _mm512_unpackhi_ps(r4, r5);
    __m512 t6 = _mm512_unpacklo_ps(r6, r7), t7 = _mm512_unpackhi_ps(r6, r7);
    __m512 t8 = _mm512_unpacklo_ps(r8, r9), t9 = _mm512_unpackhi_ps(r8, r9);
    __m512 t10 = _mm512_unpacklo_ps(r10, r11), t11 = _mm512_unpackhi_ps(r10, r11);
    __m512 t12 = _mm512_unpacklo_ps(r12, r13), t13 = _mm512_unpackhi_ps(r12, r13);
    __m512 t14 = _mm512_unpacklo_ps(r14, r15), t15 = _mm512_unpackhi_ps(r14, r15);
    r0 = _mm512_shuffle_ps(t0, t2, 0x44), r1 = _mm512_shuffle_ps(t0, t2, 0xEE);
    r2 = _mm512_shuffle_ps(t1, t3, 0x44), r3 = _mm512_shuffle_ps(t1, t3, 0xEE);
    r4 = _mm512_shuffle_ps(t4, t6, 0x44), r5 = _mm512_shuffle_ps(t4, t6, 0xEE);
    r6 = _mm512_shuffle_ps(t5, t7, 0x44), r7 = _mm512_shuffle_ps(t5, t7, 0xEE);
    r8 = _mm512_shuffle_ps(t8, t10, 0x44), r9 = _mm512_shuffle_ps(t8, t10, 0xEE);
    r10 = _mm512_shuffle_ps(t9, t11, 0x44), r11 = _mm512_shuffle_ps(t9, t11, 0xEE);
    r12 = _mm512_shuffle_ps(t12, t14, 0x44), r13 = _mm512_shuffle_ps(t12, t14, 0xEE);
    r14 = _mm512_shuffle_ps(t13, t15, 0x44), r15 = _mm512_shuffle_ps(t13, t15, 0xEE);
    t0 = _mm512_shuffle_f32x4(r0, r4, 0x88), t4 = _mm512_shuffle_f32x4(r0, r4, 0xDD);
    t8 = _mm512_shuffle_f32x4(r8, r12, 0x88), t12 = _mm512_shuffle_f32x4(r8, r12, 0xDD);
    t1 = _mm512_shuffle_f32x4(r1, r5, 0x88), t5 = _mm512_shuffle_f32x4(r1, r5, 0xDD);
    t9 = _mm512_shuffle_f32x4(r9, r13, 0x88), t13 = _mm512_shuffle_f32x4(r9, r13, 0xDD);
    t2 = _mm512_shuffle_f32x4(r2, r6, 0x88), t6 = _mm512_shuffle_f32x4(r2, r6, 0xDD);
    t10 = _mm512_shuffle_f32x4(r10, r14, 0x88), t14 = _mm512_shuffle_f32x4(r10, r14, 0xDD);
    t3 = _mm512_shuffle_f32x4(r3, r7, 0x88), t7 = _mm512_shuffle_f32x4(r3, r7, 0xDD);
    t11 = _mm512_shuffle_f32x4(r11, r15, 0x88), t15 = _mm512_shuffle_f32x4(r11, r15, 0xDD);
    r0 = _mm512_shuffle_f32x4(t0, t8, 0x88), r8 = _mm512_shuffle_f32x4(t0, t8, 0xDD);
    r4 = _mm512_shuffle_f32x4(t4, t12, 0x88), r12 = _mm512_shuffle_f32x4(t4, t12, 0xDD);
    r1 = _mm512_shuffle_f32x4(t1, t9, 0x88), r9 = _mm512_shuffle_f32x4(t1, t9, 0xDD);
    r5 = _mm512_shuffle_f32x4(t5, t13, 0x88), r13 = _mm512_shuffle_f32x4(t5, t13, 0xDD);
    r2 = _mm512_shuffle_f32x4(t2, t10, 0x88), r10 = _mm512_shuffle_f32x4(t2, t10, 0xDD);
    r6 = _mm512_shuffle_f32x4(t6, t14, 0x88), r14 = _mm512_shuffle_f32x4(t6, t14, 0xDD);
    r3 = _mm512_shuffle_f32x4(t3, t11, 0x88), r11 = _mm512_shuffle_f32x4(t3, t11, 0xDD);
    r7 = _mm512_shuffle_f32x4(t7, t15, 0x88), r15 = _mm512_shuffle_f32x4(t7, t15, 0xDD);
    _mm512_storeu_ps(out + 0 * ldd, r0);
    _mm512_storeu_ps(out + 1 * ldd, r1);
    _mm512_storeu_ps(out + 2 * ldd, r2);
    _mm512_storeu_ps(out + 3 * ldd, r3);
    _mm512_storeu_ps(out + 4 * ldd, r4);
    _mm512_storeu_ps(out + 5 * ldd, r5);
    _mm512_storeu_ps(out + 6 * ldd, r6);
    _mm512_storeu_ps(out + 7 * ldd, r7);
    _mm512_storeu_ps(out + 8 * ldd, r8);
    _mm512_storeu_ps(out + 9 * ldd, r9);
    _mm512_storeu_ps(out + 10 * ldd, r10);
    _mm512_storeu_ps(out + 11 * ldd, r11);
    _mm512_storeu_ps(out + 12 * ldd, r12);
    _mm512_storeu_ps(out + 13 * ldd, r13);
    _mm512_storeu_ps(out + 14 * ldd, r14);
    _mm512_storeu_ps(out + 15 * ldd, r15);
}

enum { INIT_ZERO, INIT_BIAS, INIT_LOAD, INIT_LOAD_BIAS };

/* How a reduction block starts its C tile: the first block from zero or the bias (on top of C itself
 * when accumulating), every later one from C (exact: C holds the chain so far). */
static inline int block_init(int first, int accumulate, int bias) {
    if (!first)
        return INIT_LOAD;
    if (bias)
        return accumulate ? INIT_LOAD_BIAS : INIT_BIAS;
    return accumulate ? INIT_LOAD : INIT_ZERO;
}

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
        const __m512 av = _mm512_set1_ps(bview ? p0[o + (r)] : p##r[o]);          \
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
 * A read through the view a (rows beyond `rows` are computed, not stored), B of row stride ldb,
 * or, when bview is not NULL, through that view (b and ldb unused). */
AK_AVX512 static inline __attribute__((always_inline)) void kern_8xv(const int nv, int64_t kc, const ak_arows *a,
                                                                     const float *b, int64_t ldb,
                                                                     const ak_bview *bview, float *c,
                                                                     int64_t ldc, int rows, __mmask16 m0,
                                                                     __mmask16 m1, __mmask16 m2, int init,
                                                                     const float *bias) {
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
    const float *p0 = a->p[0], *p1 = a->p[1], *p2 = a->p[2], *p3 = a->p[3];
    const float *p4 = a->p[4], *p5 = a->p[5], *p6 = a->p[6], *p7 = a->p[7];
    const int32_t *offs = a->off;
    if (bview) {
        /* A packed (p[r] = p[0] + r) and one table pointer with a count up to zero: with eight A
         * rows and three B bases the compiler spills pointers to vector registers, and the moves
         * back take an FMA port (a fifth of the speed) */
        const float *q0 = bview->p[0], *q1 = bview->p[1], *q2 = bview->p[2];
        const int32_t *oend = offs + kc;
        for (int64_t k = -kc; k < 0; k++) {
            const int64_t o = oend[k], ob = oend[k + BOFF];
            const __m512 b0 = _mm512_loadu_ps(q0 + ob);
            const __m512 b1 = nv > 1 ? _mm512_loadu_ps(q1 + ob) : b0, b2 = nv > 2 ? _mm512_loadu_ps(q2 + ob) : b0;
            FMA(0); FMA(1); FMA(2); FMA(3); FMA(4); FMA(5); FMA(6); FMA(7);
        }
    } else {
        for (int64_t k = 0; k < kc; k++, b += ldb) {
            const int64_t o = offs[k];
            const __m512 b0 = _mm512_loadu_ps(b);
            const __m512 b1 = nv > 1 ? _mm512_loadu_ps(b + 16) : b0, b2 = nv > 2 ? _mm512_loadu_ps(b + 32) : b0;
            FMA(0); FMA(1); FMA(2); FMA(3); FMA(4); FMA(5); FMA(6); FMA(7);
        }
    }
    STORE(0); STORE(1); STORE(2); STORE(3); STORE(4); STORE(5); STORE(6); STORE(7);
}

/* The instantiations are not inlined: the hot loop keeps one layout (and speed) whatever the
 * caller's code around it. */
#define AK_NOINLINE __attribute__((noinline))
AK_AVX512 AK_NOINLINE static void kern_8x16(int64_t kc, const ak_arows *a, const float *b, int64_t ldb, float *c,
                                            int64_t ldc, int rows, __mmask16 m0, int init, const float *bias) {
    kern_8xv(1, kc, a, b, ldb, NULL, c, ldc, rows, m0, 0, 0, init, bias);
}
AK_AVX512 AK_NOINLINE static void kern_8x32(int64_t kc, const ak_arows *a, const float *b, int64_t ldb, float *c,
                                            int64_t ldc, int rows, __mmask16 m0, __mmask16 m1, int init,
                                            const float *bias) {
    kern_8xv(2, kc, a, b, ldb, NULL, c, ldc, rows, m0, m1, 0, init, bias);
}
AK_AVX512 AK_NOINLINE static void kern_8x48(int64_t kc, const ak_arows *a, const float *b, int64_t ldb, float *c,
                                            int64_t ldc, int rows, __mmask16 m0, __mmask16 m1, __mmask16 m2,
                                            int init, const float *bias) {
    kern_8xv(3, kc, a, b, ldb, NULL, c, ldc, rows, m0, m1, m2, init, bias);
}
/* B through a view (ak_bview), whole vectors: 16 * nv columns. */
AK_AVX512 AK_NOINLINE __attribute__((unused)) static void kern_8xv_view(int nv, int64_t kc, const ak_arows *a, const ak_bview *bv, float *c,
                                                int64_t ldc, int rows, int init, const float *bias) {
    if (nv == 1)
        kern_8xv(1, kc, a, NULL, 0, bv, c, ldc, rows, 0xFFFF, 0, 0, init, bias);
    else if (nv == 2)
        kern_8xv(2, kc, a, NULL, 0, bv, c, ldc, rows, 0xFFFF, 0xFFFF, 0, init, bias);
    else
        kern_8xv(3, kc, a, NULL, 0, bv, c, ldc, rows, 0xFFFF, 0xFFFF, 0xFFFF, init, bias);
}
#undef AK_NOINLINE

/* The narrowest kernel covering `valid` (> 0) columns of B: a tail of 3 columns costs one vector
 * of FMAs per row instead of three. B may be read up to the next multiple of 16 columns. */
AK_AVX512 static inline void kern_8xn(int64_t valid, int64_t kc, const ak_arows *a, const float *b, int64_t ldb,
                                      float *c, int64_t ldc, int rows, int init, const float *bias) {
    const __mmask16 m0 = lane_mask(valid), m1 = lane_mask(valid - 16), m2 = lane_mask(valid - 32);
    if (valid <= 16)
        kern_8x16(kc, a, b, ldb, c, ldc, rows, m0, init, bias);
    else if (valid <= 32)
        kern_8x32(kc, a, b, ldb, c, ldc, rows, m0, m1, init, bias);
    else
        kern_8x48(kc, a, b, ldb, c, ldc, rows, m0, m1, m2, init, bias);
}

/* Columns of the next register panel of a row of `rem` (> 0) columns: 48, except that a tail of
 * 64 runs as 32 + 32 rather than 48 + 16 (the 16-column kernel is load-bound: 9 loads per 8
 * FMAs), which the 8x8 maps (64 columns per image) hit. Panel widths never change a sum. */
static inline int64_t panel_cols(int64_t rem) { return rem == 64 ? 32 : rem < NR ? rem : NR; }

/* The view of rows [r0, r0 + rows) of a matrix whose row r starts at base + r * row_stride, with
 * the column offsets off (rows beyond `rows` repeat the last one). */
static inline ak_arows arows_strided(const float *base, int64_t row_stride, int rows, const int32_t *off) {
    ak_arows v;
    for (int r = 0; r < MR; r++)
        v.p[r] = base + (r < rows ? r : rows - 1) * row_stride;
    v.off = off;
    return v;
}

/* Pack rows [m0, m0 + rows) (rows <= 2*MR) of op(A) = A^T, A stored k x m with row stride lda,
 * as k-major blocks of MR rows: dst[(b*k + kk)*MR + r] = a[kk*lda + m0 + b*MR + r], zero beyond
 * `rows`. A transposed matrix read in place would cost a cache line per k for 8 useful floats,
 * and its row stride often maps those lines onto a few L1 sets, so it is packed once per call;
 * two blocks at a time read whole cache lines. The packed blocks are read with
 * arows_strided(block, 1, rows, off) and off[kk] = (k0 + kk) * MR. */
AK_AVX512 static inline void pack_kmajor_blocks(float *dst, const float *a, int64_t lda, int64_t m0, int64_t rows,
                                                int64_t k) {
    const __mmask16 mk = lane_mask(rows);
    float *d1 = dst + MR * k;
    for (int64_t kk = 0; kk < k; kk++) {
        const __m512 v = _mm512_maskz_loadu_ps(mk, a + kk * lda + m0);
        _mm512_mask_storeu_ps(dst + kk * MR, 0xFF, v);
        if (rows > MR)
            _mm512_mask_storeu_ps(d1 + kk * MR - MR, 0xFF00, v);
    }
}

/* Pack rows [m0, m0 + rows) (rows <= 2*MR) of a row-major A (row stride lda, k columns) as k-major
 * blocks of MR rows: dst[(b*k + kk)*MR + r] = a[(m0 + b*MR + r)*lda + kk], zero beyond `rows` (the
 * second block only when rows > MR); 16 rows x 16 columns at a time through a 16x16 transpose, whose
 * rows split into the two blocks. The counterpart of pack_kmajor_blocks for A stored m x k. */
AK_AVX512 static inline void pack_rows_kmajor_blocks(float *dst, const float *a, int64_t lda, int64_t m0, int64_t rows,
                                                     int64_t k) {
    float *d1 = dst + MR * k, t[16 * 16];
    for (int64_t k0 = 0; k0 < k; k0 += 16) {
        const float *in[16];
        for (int r = 0; r < 16; r++)
            in[r] = r < rows ? a + (m0 + r) * lda + k0 : NULL;
        const int64_t cols = k - k0 < 16 ? k - k0 : 16;
        transpose16(in, cols, t, 16);
        for (int64_t j = 0; j < cols; j++) {
            _mm256_storeu_ps(dst + (k0 + j) * MR, _mm256_loadu_ps(t + j * 16));
            if (rows > MR)
                _mm256_storeu_ps(d1 + (k0 + j) * MR, _mm256_loadu_ps(t + j * 16 + MR));
        }
    }
}

#undef DECL
#undef SET
#undef LOAD
#undef ADDB
#undef FMA
#undef STORE

#endif /* AK_IGEMM_X86 */

#endif
