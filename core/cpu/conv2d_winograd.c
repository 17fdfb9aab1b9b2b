/* Winograd F(2x2, 3x3) convolution on AVX-512; see conv2d_winograd.h.
 *
 * Per call: the weight is transformed once into U (E x O x C: position e of G g G^T, packed as the
 * register kernel's A, k-major blocks of MR output channels). Then tasks of up to WG_TV tile
 * vectors (16 consecutive tiles of a tile row each), scheduled dynamically:
 *   V (E x C x lanes) = B^T d B of every channel of the task's tiles;
 *   for each block of WG_OB output channels: M_e (block x lanes) = U_e V_e for the E positions,
 *   then Y = A^T M A (+ bias, + y when accumulating) written to the tiles' 2x2 outputs.
 * Two schemes, separable (the same 1-D transform along rows and columns):
 *   stride 1: F(2, 3) on 4 inputs: B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
 *     G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1], A^T = [1 1 1 0; 0 1 -1 -1]: E = 16;
 *   stride 2: the 5 inputs 2o-1 .. 2o+3 of outputs o, o+1: the even ones (2o, 2o+2) meet the kernel's
 *     middle tap alone, the odd ones (2o-1, 2o+1, 2o+3) its outer taps, a 2-tap filter at stride 1
 *     done as F(2, 2) (m1 = (d0 - d1) g0, m2 = d1 (g0 + g1), m3 = (d2 - d1) g1): positions
 *     [d1, d3, d0 - d2, d2, d4 - d2] x [g1, g1, g0, g0 + g2, g2], A^T = [1 0 1 1 0; 0 1 0 1 1]:
 *     E = 25 products per 2x2 outputs and channel pair instead of 36.
 * V (C = 256, stride 1: 786 KiB) and M (96-150 KiB) stay in the core's L2; U streams from L3 once per task.
 * With B^T, A^T of 0 / +-1 entries and G of 0 / 1 / 0.5, the transforms are additions and exact
 * halvings: the error is that of the products' sums over C (float32, k ascending) on transformed
 * terms, which the tests bound by 64 ulps of the direct convolution's sum of |terms| per output.
 */
#include "core/cpu/conv2d_winograd.h"

#include <omp.h>

#include "core/cpu/conv2d_igemm.h"
#include "core/cpu/igemm_kernel.h"

#define WG_TV 3   /* tile vectors per task at most: 48 lanes, one register panel */
#define WG_LD (WG_TV * 16) /* row stride of V and M (a 64-float stride put a panel's rows in a
                            * quarter of L1's sets: the products ran at 60 % of the 48's speed) */
#define WG_OB 32  /* output channels per block of products: V, M (25 x 32 x 48 floats) and the block of U
                   * stay in L2 together (64: 5 % slower at stride 2, C = 128) */
/* Position strides of V and M: one cache line more than their blocks, so that the E positions of a
 * tile, written and read together by the transforms, fall in different L1 sets (a multiple of 4 KiB
 * put them all in one set, more than its 12 ways: the transforms ran 2-3x slower). */
#define WG_M_ES (WG_OB * WG_LD + 16)
static int64_t v_es(const ak_conv2d_geom *g) { return g->c * WG_LD + 16; }
#define WG_PF 4   /* input channels ahead to prefetch */

/* Tiles of the output: tph rows of tpr tiles, vpr vectors of 16 tiles per tile row; the stride and
 * the positions per tile (R x R = E). */
typedef struct wg_plan {
    int64_t tph, tpr, vpr, ntv, opad;
    int stride, r, e;
} wg_plan;

static wg_plan make_plan(const ak_conv2d_geom *g) {
    wg_plan p;
    p.tph = (g->ho + 1) / 2;
    p.tpr = (g->wo + 1) / 2;
    p.vpr = (p.tpr + 15) / 16;
    p.ntv = g->n * p.tph * p.vpr;
    p.opad = (g->o + MR - 1) / MR * MR;
    p.stride = (int)g->sh;
    p.r = p.stride == 1 ? 4 : 5;
    p.e = p.r * p.r;
    return p;
}

bool ak_cpu_conv2d_winograd_applies(const ak_conv2d_geom *g) {
    if (g->impl != AK_CONV2D_IMPL_AUTO || g->kh != 3 || g->kw != 3 || g->sh != g->sw || g->sh < 1 || g->sh > 2 ||
        g->dh != 1 || g->dw != 1 || g->ph != 1 || g->pw != 1 || g->groups != 1)
        return false;
    /* few channels: the transforms cost as much as the products they save; narrow rows: half-empty
     * vectors (16 wide: 8 tiles per vector). Gather indices are 32-bit. */
    if (g->c < 32 || g->o < 32 || g->wo < 32 || g->o * g->c * 9 > INT32_MAX)
        return false;
    const wg_plan p = make_plan(g);
    if (4 * p.tpr < 3 * 16 * p.vpr)
        return false;
    return ak_cpu_conv2d_igemm_supported();
}

static int64_t per_thread_floats(const ak_conv2d_geom *g, const wg_plan *p) {
    return p->e * v_es(g) + p->e * WG_M_ES;
}

int64_t ak_cpu_conv2d_winograd_ws_floats(const ak_conv2d_geom *g, int nthreads) {
    const wg_plan p = make_plan(g);
    return p.e * p.opad * g->c + (int64_t)(nthreads > 1 ? nthreads : 1) * per_thread_floats(g, &p);
}

#ifdef AK_IGEMM_X86

/* The kernel's 3 taps a, b, c along one axis -> its positions along that axis (4: G of F(2, 3);
 * 5: stride 2, see the top). */
AK_AVX512 static inline void weight_axis(int stride, __m512 a, __m512 b, __m512 c, __m512 *out) {
    if (stride == 1) {
        const __m512 half = _mm512_set1_ps(0.5f);
        out[0] = a;
        out[1] = _mm512_mul_ps(half, _mm512_add_ps(_mm512_add_ps(a, b), c));
        out[2] = _mm512_mul_ps(half, _mm512_add_ps(_mm512_sub_ps(a, b), c));
        out[3] = c;
    } else {
        out[0] = out[1] = b;
        out[2] = a;
        out[3] = _mm512_add_ps(a, c);
        out[4] = c;
    }
}

/* U entries of output channels ob*MR.. (8 lanes) and input channels c0, c0+1 (lanes 0-7, 8-15):
 * U[e][ob][c][r] for e = 0..E-1, from 9 gathers. Output channels past O and a channel past C are
 * zero (the kernel reads whole blocks). */
AK_AVX512 static void transform_weight(float *u, const float *w, const ak_conv2d_geom *g, const wg_plan *p,
                                       bool flipped, int64_t ob, int64_t c0) {
    const int64_t opad = p->opad;
    const int64_t O = g->o, C = g->c;
    int32_t idx[16];
    __mmask16 m = 0;
    for (int l = 0; l < 16; l++) {
        const int64_t o = ob * MR + l % MR, c = c0 + l / MR;
        const bool ok = o < O && c < C;
        /* flipped: the source weight w[c][o][2 - i][2 - j] (tap 8 - q) */
        idx[l] = ok ? (int32_t)(flipped ? (c * O + o) * 9 + 8 : (o * C + c) * 9) : 0;
        m |= (__mmask16)(ok ? 1u << l : 0u);
    }
    const __m512i base = _mm512_loadu_si512(idx);
    __m512 k[9];
    for (int q = 0; q < 9; q++) {
        const __m512i iq = _mm512_add_epi32(base, _mm512_set1_epi32(flipped ? -q : q));
        k[q] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, iq, w, 4);
    }
    const int R = p->r;
    __m512 r[5][3]; /* G g: rows */
    for (int j = 0; j < 3; j++) {
        __m512 col[5];
        weight_axis(p->stride, k[j], k[3 + j], k[6 + j], col);
        for (int i = 0; i < R; i++)
            r[i][j] = col[i];
    }
    const __mmask16 store = c0 + 1 < C ? 0xFFFF : 0x00FF;
    float *dst = u + ob * C * MR + c0 * MR;
    for (int i = 0; i < R; i++) { /* (G g) G^T: columns */
        __m512 v[5];
        weight_axis(p->stride, r[i][0], r[i][1], r[i][2], v);
        for (int j = 0; j < R; j++)
            _mm512_mask_storeu_ps(dst + (i * R + j) * opad * C, store, v[j]);
    }
}

/* Tile vector gv of the call: image n, tile row th, first tile column tw0. */
static inline void tile_of(const wg_plan *p, int64_t gv, int64_t *n, int64_t *th, int64_t *tw0) {
    *n = gv / (p->tph * p->vpr);
    *th = gv / p->vpr % p->tph;
    *tw0 = gv % p->vpr * 16;
}

/* The R input rows of tile row th's patches (from row 2*stride*th - 1): their offsets at column s
 * of a plane and whether they lie in the image. */
static inline void patch_rows(const ak_conv2d_geom *g, const wg_plan *p, int64_t th, int64_t s, int64_t *at,
                              bool *in) {
    for (int i = 0; i < p->r; i++) {
        const int64_t ih = 2 * p->stride * th - 1 + i;
        in[i] = ih >= 0 && ih < g->h;
        at[i] = ih * g->w + s;
    }
}

/* Prefetch of a plane's patch rows (n floats each), WG_PF channels ahead: short runs of many
 * planes, which the hardware prefetchers start too late. */
static inline void prefetch_patch(const float *plane_ahead, const wg_plan *p, const int64_t *at, const bool *in,
                                  int64_t n) {
    for (int i = 0; i < p->r; i++)
        if (in[i])
            prefetch_run(plane_ahead + at[i], n);
}

/* V[e][c][0..16) (V[e] of C rows of WG_LD floats; v points at the tile vector's lanes) = B^T d B
 * for the 16 tiles of tile vector gv, every channel c; stride 1 (4x4 inputs per tile). */
AK_AVX512 static void transform_input_s1(float *v, const float *x, const ak_conv2d_geom *g, const wg_plan *p,
                                      int64_t gv) {
    int64_t n, th, tw0;
    tile_of(p, gv, &n, &th, &tw0);
    const int64_t C = g->c, H = g->h, W = g->w, HW = H * W, s = 2 * tw0 - 1, es = v_es(g);
    /* lanes of the four loads of a row that lie in the row (the rest is padding) */
    const __mmask16 ml0 = lane_range(-s, W - s), ml1 = lane_range(-s - 16, W - s - 16);
    const __mmask16 mr0 = lane_range(-s - 2, W - s - 2), mr1 = lane_range(-s - 18, W - s - 18);
    int64_t at[4];
    bool in[4];
    patch_rows(g, p, th, s, at, in);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const float *plane = x + n * C * HW;
    for (int64_t c = 0; c < C; c++, plane += HW, v += WG_LD) {
        if (c + WG_PF < C)
            prefetch_patch(plane + WG_PF * HW, p, at, in, 34);
        __m512 d[4][4]; /* d[i][j]: input row 2th-1+i, column 2tw-1+j of each lane's tile */
        for (int i = 0; i < 4; i++) {
            if (!in[i]) {
                d[i][0] = d[i][1] = d[i][2] = d[i][3] = _mm512_setzero_ps();
                continue;
            }
            const __m512 l0 = load_masked(plane, at[i], ml0), l1 = load_masked(plane, at[i] + 16, ml1);
            const __m512 r0 = load_masked(plane, at[i] + 2, mr0), r1 = load_masked(plane, at[i] + 18, mr1);
            d[i][0] = _mm512_permutex2var_ps(l0, even, l1);
            d[i][1] = _mm512_permutex2var_ps(l0, odd, l1);
            d[i][2] = _mm512_permutex2var_ps(r0, even, r1);
            d[i][3] = _mm512_permutex2var_ps(r0, odd, r1);
        }
        __m512 t[4][4]; /* B^T d: rows */
        for (int j = 0; j < 4; j++) {
            t[0][j] = _mm512_sub_ps(d[0][j], d[2][j]);
            t[1][j] = _mm512_add_ps(d[1][j], d[2][j]);
            t[2][j] = _mm512_sub_ps(d[2][j], d[1][j]);
            t[3][j] = _mm512_sub_ps(d[1][j], d[3][j]);
        }
        for (int i = 0; i < 4; i++) { /* (B^T d) B: columns */
            float *dst = v + (int64_t)(i * 4) * es;
            _mm512_storeu_ps(dst, _mm512_sub_ps(t[i][0], t[i][2]));
            _mm512_storeu_ps(dst + es, _mm512_add_ps(t[i][1], t[i][2]));
            _mm512_storeu_ps(dst + 2 * es, _mm512_sub_ps(t[i][2], t[i][1]));
            _mm512_storeu_ps(dst + 3 * es, _mm512_sub_ps(t[i][1], t[i][3]));
        }
    }
}

/* The same for stride 2: 5x5 inputs per tile (rows 4th-1 .. 4th+3, columns 4tw-1 .. 4tw+3). */
AK_AVX512 static void transform_input_s2(float *v, const float *x, const ak_conv2d_geom *g, const wg_plan *p,
                                         int64_t gv) {
    int64_t n, th, tw0;
    tile_of(p, gv, &n, &th, &tw0);
    const int64_t C = g->c, H = g->h, W = g->w, HW = H * W, s = 4 * tw0 - 1, es = v_es(g);
    __mmask16 mk[4]; /* the four vectors of a row from column s, and the float at s + 64 */
    for (int q = 0; q < 4; q++)
        mk[q] = lane_range(-s - 16 * q, W - s - 16 * q);
    const __mmask16 m64 = (__mmask16)(lane_range(-s - 64, W - s - 64) & 1u);
    int64_t at[5];
    bool in[5];
    patch_rows(g, p, th, s, at, in);
    /* column j of lane l is float 4l + j of the row's 64: lanes 0-7 from the first two vectors,
     * 8-15 from the last two (the same index), column 4 is column 0 one lane on */
    __m512i idx[4];
    for (int j = 0; j < 4; j++)
        idx[j] = _mm512_setr_epi32(j, 4 + j, 8 + j, 12 + j, 16 + j, 20 + j, 24 + j, 28 + j, j, 4 + j, 8 + j, 12 + j,
                                   16 + j, 20 + j, 24 + j, 28 + j);
    const float *plane = x + n * C * HW;
    for (int64_t c = 0; c < C; c++, plane += HW, v += WG_LD) {
        if (c + WG_PF < C)
            prefetch_patch(plane + WG_PF * HW, p, at, in, 65);
        __m512 d[5][5]; /* d[i][j]: input row 4th-1+i, column 4tw-1+j of each lane's tile */
        for (int i = 0; i < 5; i++) {
            if (!in[i]) {
                for (int j = 0; j < 5; j++)
                    d[i][j] = _mm512_setzero_ps();
                continue;
            }
            const __m512 r0 = load_masked(plane, at[i], mk[0]), r1 = load_masked(plane, at[i] + 16, mk[1]);
            const __m512 r2 = load_masked(plane, at[i] + 32, mk[2]), r3 = load_masked(plane, at[i] + 48, mk[3]);
            for (int j = 0; j < 4; j++)
                d[i][j] = _mm512_mask_blend_ps(0xFF00, _mm512_permutex2var_ps(r0, idx[j], r1),
                                               _mm512_permutex2var_ps(r2, idx[j], r3));
            const __m512 next = load_masked(plane, at[i] + 64, m64);
            d[i][4] = _mm512_castsi512_ps(
                _mm512_alignr_epi32(_mm512_castps_si512(next), _mm512_castps_si512(d[i][0]), 1));
        }
        __m512 t[5][5]; /* rows: [d1, d3, d0 - d2, d2, d4 - d2] */
        for (int j = 0; j < 5; j++) {
            t[0][j] = d[1][j];
            t[1][j] = d[3][j];
            t[2][j] = _mm512_sub_ps(d[0][j], d[2][j]);
            t[3][j] = d[2][j];
            t[4][j] = _mm512_sub_ps(d[4][j], d[2][j]);
        }
        for (int i = 0; i < 5; i++) { /* columns, the same */
            float *dst = v + (int64_t)(i * 5) * es;
            _mm512_storeu_ps(dst, t[i][1]);
            _mm512_storeu_ps(dst + es, t[i][3]);
            _mm512_storeu_ps(dst + 2 * es, _mm512_sub_ps(t[i][0], t[i][2]));
            _mm512_storeu_ps(dst + 3 * es, t[i][2]);
            _mm512_storeu_ps(dst + 4 * es, _mm512_sub_ps(t[i][4], t[i][2]));
        }
    }
}

/* Output rows of a tile from its positions along one axis (m[0..R)): A^T m. */
AK_AVX512 static inline void output_axis(int stride, const __m512 *m, __m512 *y0, __m512 *y1) {
    if (stride == 1) {
        *y0 = _mm512_add_ps(_mm512_add_ps(m[0], m[1]), m[2]);
        *y1 = _mm512_sub_ps(_mm512_sub_ps(m[1], m[2]), m[3]);
    } else {
        *y0 = _mm512_add_ps(_mm512_add_ps(m[0], m[2]), m[3]);
        *y1 = _mm512_add_ps(_mm512_add_ps(m[1], m[3]), m[4]);
    }
}

/* Y = A^T M A (+ bias) (+ y) for output channels [o0, o1) of the 16 tiles of tile vector gv; m
 * points at M[0][o0][the vector's lanes] (M[e]: rows of WG_LD floats, position stride es). */
AK_AVX512 static void transform_output(float *y, const float *m, int64_t es, const float *bias, const ak_conv2d_geom *g,
                                       const wg_plan *p, int64_t gv, int64_t o0, int64_t o1, bool accumulate) {
    int64_t n, th, tw0;
    tile_of(p, gv, &n, &th, &tw0);
    const int64_t Ho = g->ho, Wo = g->wo, col0 = 2 * tw0, rows = 2 * th + 1 < Ho ? 2 : 1;
    const __mmask16 mlo = lane_mask(Wo - col0), mhi = lane_mask(Wo - col0 - 16);
    const __m512i ilo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i ihi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    float *yo = y + ((n * g->o + o0) * Ho + 2 * th) * Wo + col0;
    const int R = p->r;
    for (int64_t o = o0; o < o1; o++, m += WG_LD, yo += Ho * Wo) {
        __m512 s[2][5];
        for (int j = 0; j < R; j++) { /* A^T M: rows */
            __m512 col[5];
            for (int i = 0; i < R; i++)
                col[i] = _mm512_loadu_ps(m + (i * R + j) * es);
            output_axis(p->stride, col, &s[0][j], &s[1][j]);
        }
        const __m512 bv = _mm512_set1_ps(bias ? bias[o] : 0.0f);
        for (int i = 0; i < rows; i++) { /* (A^T M) A: columns, two output rows */
            __m512 y0, y1;
            output_axis(p->stride, s[i], &y0, &y1);
            if (bias)
                y0 = _mm512_add_ps(y0, bv), y1 = _mm512_add_ps(y1, bv);
            __m512 lo = _mm512_permutex2var_ps(y0, ilo, y1), hi = _mm512_permutex2var_ps(y0, ihi, y1);
            float *dst = yo + i * Wo;
            if (accumulate) {
                lo = _mm512_add_ps(_mm512_maskz_loadu_ps(mlo, dst), lo);
                hi = _mm512_add_ps(_mm512_maskz_loadu_ps(mhi, dst + 16), hi);
            }
            _mm512_mask_storeu_ps(dst, mlo, lo);
            _mm512_mask_storeu_ps(dst + 16, mhi, hi);
        }
    }
}

/* One task: tile vectors [v0, v1). */
AK_AVX512 static void run_task(float *y, const float *x, const float *u, const float *b, const ak_conv2d_geom *g,
                               const wg_plan *p, int64_t v0, int64_t v1, bool accumulate, float *v, float *m,
                               const int32_t *off) {
    const int64_t C = g->c, kb = kblock(C);
    const int nv = (int)(v1 - v0);
    for (int64_t gv = v0; gv < v1; gv++)
        if (p->stride == 1)
            transform_input_s1(v + (gv - v0) * 16, x, g, p, gv);
        else
            transform_input_s2(v + (gv - v0) * 16, x, g, p, gv);
    /* the view kernel reads A through a.p[0] only (packed rows): one struct, its base moved per call
     * (a struct built per call cost a store-forwarding stall each, 5 % of the time at C = 64) */
    ak_arows a = arows_strided(u, 1, MR, off);
    for (int64_t o0 = 0; o0 < p->opad; o0 += WG_OB) {
        const int64_t o1 = o0 + WG_OB < p->opad ? o0 + WG_OB : p->opad;
        for (int e = 0; e < p->e; e++) {
            const float *ue = u + e * p->opad * C, *ve = v + e * v_es(g);
            float *me = m + e * WG_M_ES;
            for (int64_t mb = o0; mb < o1; mb += MR)
                for (int64_t k0 = 0; k0 < C; k0 += kb) {
                    const int64_t kc = C - k0 < kb ? C - k0 : kb;
                    a.p[0] = ue + mb * C + k0 * MR;
                    const float *bk = ve + k0 * WG_LD;
                    const ak_bview bv = {{bk, bk + 16, bk + 32}};
                    kern_8xv_view(nv, kc, &a, &bv, me + (mb - o0) * WG_LD, WG_LD, MR, block_init(k0 == 0, 0, 0), NULL);
                }
        }
        for (int64_t gv = v0; gv < v1; gv++)
            transform_output(y, m + (gv - v0) * 16, WG_M_ES, b, g, p, gv, o0, o1 < g->o ? o1 : g->o, accumulate);
    }
}

void ak_cpu_conv2d_winograd_fwd(float *y, const float *x, const float *w, const float *b, const ak_conv2d_geom *g,
                                bool flipped, bool accumulate, float *ws, int nthreads) {
    if (nthreads < 1)
        nthreads = 1;
    const wg_plan p = make_plan(g);
    const int64_t C = g->c, cpairs = (C + 1) / 2, nob = p.opad / MR;
    /* tasks of at most WG_TV tile vectors, as many as a multiple of the thread count where the
     * tiles allow (equal tasks end together) */
    int64_t ntasks = (p.ntv + WG_TV - 1) / WG_TV;
    ntasks = (ntasks + nthreads - 1) / nthreads * nthreads;
    ntasks = ntasks < p.ntv ? ntasks : p.ntv;
    float *u = ws, *per = ws + p.e * p.opad * C;
#pragma omp parallel num_threads(nthreads)
    {
#pragma omp for schedule(static)
        for (int64_t t = 0; t < nob * cpairs; t++)
            transform_weight(u, w, g, &p, flipped, t / cpairs, t % cpairs * 2);
        float *v = per + (int64_t)omp_get_thread_num() * per_thread_floats(g, &p);
        float *m = v + p.e * v_es(g);
        int32_t off[BOFF + KC]; /* the kernel's A (packed: k * MR) and, from BOFF, B offsets */
        for (int k = 0; k < KC; k++)
            off[k] = k * MR, off[BOFF + k] = k * WG_LD;
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntasks; t++)
            run_task(y, x, u, b, g, &p, t * p.ntv / ntasks, (t + 1) * p.ntv / ntasks, accumulate, v, m, off);
    }
}

#else /* no x86-64 GCC/Clang: never called (ak_cpu_conv2d_winograd_applies() is false) */

void ak_cpu_conv2d_winograd_fwd(float *y, const float *x, const float *w, const float *b, const ak_conv2d_geom *g,
                                bool flipped, bool accumulate, float *ws, int nthreads) {
    (void)y, (void)x, (void)w, (void)b, (void)g, (void)flipped, (void)accumulate, (void)ws, (void)nthreads;
}

#endif
