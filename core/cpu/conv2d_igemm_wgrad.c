/* Weight gradient of a convolution with our own AVX-512 kernel; see conv2d_igemm.h.
 *
 *   dW_g (Og x Kg) += sum over images n and output columns p of dY_g[n] (Og x P) * col_n^T
 * Both operands are contiguous along p (dY rows, and rows of the implicit im2col matrix), so the
 * kernel is a blocked dot product: 4 dY rows x 6 im2col rows, 24 zmm accumulators holding 16
 * lane-partial sums each. The partial sums live in a per-task buffer across all images and
 * column chunks and are reduced to scalars once at the end.
 *
 * A task owns a block of dW (KB columns = im2col rows x OB rows), fills its own im2col rows chunk
 * by chunk, and walks the images and columns in order, so each dW element has one fixed summation
 * order: the result is bitwise identical for any thread count and task order.
 */
#include "core/cpu/conv2d_igemm.h"

#include <omp.h>
#include <string.h>

#include "core/cpu/conv2d_pack.h"

#define KB 48          /* im2col rows (dW columns) per task, multiple of 6 */
#define PC 512         /* output columns per chunk: 6 im2col rows of a chunk are 12 KiB (L1) */
#define ACC_CAP 262144 /* floats of lane-partial sums per task (1 MiB): bounds OB */

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define AK_IGEMM_X86 1
#include <immintrin.h>
#define AK_AVX512 __attribute__((target("avx512f,fma")))
#endif

typedef struct wplan {
    int64_t kb, ob;     /* task block sizes (kb multiple of 6, ob multiple of 4) */
    int64_t nkb, nob;   /* blocks per group */
} wplan;

static int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

static wplan make_plan(const ak_conv2d_geom *g, int nthreads) {
    const int64_t og = g->o / g->groups, kg = g->c / g->groups * g->kh * g->kw;
    wplan pl;
    pl.ob = round_up(og, 4);
    if (pl.ob * KB * 16 > ACC_CAP)
        pl.ob = ACC_CAP / (KB * 16) / 4 * 4;
    pl.nob = (og + pl.ob - 1) / pl.ob;
    /* enough tasks to keep every thread busy when the reduction dimension is short (the stem) */
    pl.kb = KB;
    while (pl.kb > 6 && g->groups * pl.nob * ((kg + pl.kb - 1) / pl.kb) < 3 * (int64_t)nthreads)
        pl.kb -= 6;
    pl.nkb = (kg + pl.kb - 1) / pl.kb;
    return pl;
}

int64_t ak_cpu_conv2d_igemm_wgrad_ws_floats(const ak_conv2d_geom *g, int nthreads) {
    const wplan pl = make_plan(g, nthreads);
    return (int64_t)(nthreads > 0 ? nthreads : 1) * (pl.kb * PC + pl.ob * pl.kb * 16);
}

#ifdef AK_IGEMM_X86

#define DECL(s) __m512 c0##s, c1##s, c2##s, c3##s
#define LD(s)                                           \
    do {                                                \
        c0##s = _mm512_loadu_ps(acc + (s) * 16);        \
        c1##s = _mm512_loadu_ps(acc + lda + (s) * 16);  \
        c2##s = _mm512_loadu_ps(acc + 2 * lda + (s) * 16); \
        c3##s = _mm512_loadu_ps(acc + 3 * lda + (s) * 16); \
    } while (0)
#define ST(s)                                           \
    do {                                                \
        _mm512_storeu_ps(acc + (s) * 16, c0##s);        \
        _mm512_storeu_ps(acc + lda + (s) * 16, c1##s);  \
        _mm512_storeu_ps(acc + 2 * lda + (s) * 16, c2##s); \
        _mm512_storeu_ps(acc + 3 * lda + (s) * 16, c3##s); \
    } while (0)
#define STEP(s, bload)                                  \
    do {                                                \
        const __m512 bv = (bload);                      \
        c0##s = _mm512_fmadd_ps(a0, bv, c0##s);         \
        c1##s = _mm512_fmadd_ps(a1, bv, c1##s);         \
        c2##s = _mm512_fmadd_ps(a2, bv, c2##s);         \
        c3##s = _mm512_fmadd_ps(a3, bv, c3##s);         \
    } while (0)

/* acc[r*lda + s*16 + lane] += sum_v A_r[16v + lane] * B_s[16v + lane] over nv full vectors and a
 * masked tail; A rows ar[0..3] (dY), B rows b + s*PC (im2col chunk), s = 0..5. */
AK_AVX512 static void dot_4x6(int64_t nv, __mmask16 tail, const float *const *ar, const float *b, float *acc,
                              int64_t lda) {
    const float *r0 = ar[0], *r1 = ar[1], *r2 = ar[2], *r3 = ar[3];
    DECL(0); DECL(1); DECL(2); DECL(3); DECL(4); DECL(5);
    LD(0); LD(1); LD(2); LD(3); LD(4); LD(5);
    for (int64_t v = 0; v < nv; v++) {
        const int64_t o = 16 * v;
        const __m512 a0 = _mm512_loadu_ps(r0 + o), a1 = _mm512_loadu_ps(r1 + o);
        const __m512 a2 = _mm512_loadu_ps(r2 + o), a3 = _mm512_loadu_ps(r3 + o);
        STEP(0, _mm512_loadu_ps(b + o));
        STEP(1, _mm512_loadu_ps(b + PC + o));
        STEP(2, _mm512_loadu_ps(b + 2 * PC + o));
        STEP(3, _mm512_loadu_ps(b + 3 * PC + o));
        STEP(4, _mm512_loadu_ps(b + 4 * PC + o));
        STEP(5, _mm512_loadu_ps(b + 5 * PC + o));
    }
    if (tail) {
        const int64_t o = 16 * nv;
        const __m512 a0 = _mm512_maskz_loadu_ps(tail, r0 + o), a1 = _mm512_maskz_loadu_ps(tail, r1 + o);
        const __m512 a2 = _mm512_maskz_loadu_ps(tail, r2 + o), a3 = _mm512_maskz_loadu_ps(tail, r3 + o);
        STEP(0, _mm512_maskz_loadu_ps(tail, b + o));
        STEP(1, _mm512_maskz_loadu_ps(tail, b + PC + o));
        STEP(2, _mm512_maskz_loadu_ps(tail, b + 2 * PC + o));
        STEP(3, _mm512_maskz_loadu_ps(tail, b + 3 * PC + o));
        STEP(4, _mm512_maskz_loadu_ps(tail, b + 4 * PC + o));
        STEP(5, _mm512_maskz_loadu_ps(tail, b + 5 * PC + o));
    }
    ST(0); ST(1); ST(2); ST(3); ST(4); ST(5);
}

AK_AVX512 static float hsum(const float *v) { return _mm512_reduce_add_ps(_mm512_loadu_ps(v)); }

/* One task: dW rows [o0, o0+on) x columns [k0, k0+kn) of group gi. */
AK_AVX512 static void run_wtask(float *dw, const float *dy, const float *x, const ak_conv2d_geom *g, int64_t gi,
                                int64_t k0, int64_t kn, int64_t o0, int64_t on, float *col, float *accv,
                                ak_conv2d_seg *segs) {
    const int64_t cg = g->c / g->groups, og = g->o / g->groups, kg = cg * g->kh * g->kw, khw = g->kh * g->kw;
    const int64_t P = g->ho * g->wo, in_sz = g->c * g->h * g->w, out_sz = g->o * P;
    const int64_t kn6 = round_up(kn, 6), on4 = round_up(on, 4), lda = kn6 * 16;
    memset(accv, 0, (size_t)(on4 * lda) * sizeof *accv);
    for (int64_t n = 0; n < g->n; n++) {
        const float *xn = x + n * in_sz, *dyn = dy + n * out_sz + (gi * og + o0) * P;
        for (int64_t pa = 0; pa < P; pa += PC) {
            const int64_t pc = P - pa < PC ? P - pa : PC;
            const int ns = ak_cpu_conv2d_segments(g, pa, pc, segs);
            for (int64_t kk = 0; kk < kn; kk++) {
                const int64_t k = k0 + kk;
                ak_cpu_conv2d_fill_row(col + kk * PC, xn, g, gi * cg + k / khw, (k % khw) / g->kw, k % g->kw, segs, ns);
            }
            /* rows kn..kn6 of the last 6-block are read but their sums land in padding and are dropped */
            for (int64_t kk = kn; kk < kn6; kk++)
                memset(col + kk * PC, 0, (size_t)pc * sizeof *col);
            const int64_t nv = pc / 16;
            const __mmask16 tail = (__mmask16)((1u << (pc % 16)) - 1u);
            for (int64_t s0 = 0; s0 < kn; s0 += 6)
                for (int64_t r0 = 0; r0 < on; r0 += 4) {
                    const float *ar[4];
                    for (int r = 0; r < 4; r++)
                        ar[r] = dyn + (r0 + r < on ? r0 + r : on - 1) * P + pa;
                    dot_4x6(nv, tail, ar, col + s0 * PC, accv + r0 * lda + s0 * 16, lda);
                }
        }
    }
    for (int64_t o = 0; o < on; o++) {
        float *row = dw + (gi * og + o0 + o) * kg + k0;
        for (int64_t kk = 0; kk < kn; kk++)
            row[kk] += hsum(accv + o * lda + kk * 16);
    }
}

void ak_cpu_conv2d_igemm_wgrad(float *dw, const float *dy, const float *x, const ak_conv2d_geom *g, float *ws,
                               int nthreads) {
    if (nthreads < 1)
        nthreads = 1;
    const wplan pl = make_plan(g, nthreads);
    const int64_t og = g->o / g->groups, kg = g->c / g->groups * g->kh * g->kw;
    const int64_t ntasks = g->groups * pl.nkb * pl.nob, per_thread = pl.kb * PC + pl.ob * pl.kb * 16;
#pragma omp parallel num_threads(nthreads) if (ntasks > 1)
    {
        float *col = ws + (int64_t)omp_get_thread_num() * per_thread, *accv = col + pl.kb * PC;
        ak_conv2d_seg segs[PC];
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntasks; t++) {
            const int64_t gi = t / (pl.nkb * pl.nob), kb = (t / pl.nob) % pl.nkb, ob = t % pl.nob;
            const int64_t k0 = kb * pl.kb, o0 = ob * pl.ob;
            const int64_t kn = kg - k0 < pl.kb ? kg - k0 : pl.kb, on = og - o0 < pl.ob ? og - o0 : pl.ob;
            run_wtask(dw, dy, x, g, gi, k0, kn, o0, on, col, accv, segs);
        }
    }
}

#else /* no x86-64 GCC/Clang: never called (ak_cpu_conv2d_igemm_supported() is false) */

void ak_cpu_conv2d_igemm_wgrad(float *dw, const float *dy, const float *x, const ak_conv2d_geom *g, float *ws,
                               int nthreads) {
    (void)dw, (void)dy, (void)x, (void)g, (void)ws, (void)nthreads;
}

#endif
