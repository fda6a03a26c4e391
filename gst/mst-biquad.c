/* mastering: biquad cascades as a block.
 *
 * Sections run in Direct Form I in double precision; the fused chain runs
 * in transposed direct form II inside a pass (see cascade_pair_body) and
 * hands its state back in Direct Form I, so every runner shares one
 * history. The recursive kernels are C: the recurrence keeps its state in
 * registers. */
#include "mst-biquad.h"
#include "mst-cpu.h"

#include <string.h>
#ifdef MST_HAVE_X86_PATHS
#include <immintrin.h>
#endif


/* One Direct Form I step of section @c; @h is a local copy the compiler
 * keeps in registers. */
MST_ALWAYS_INLINE double
df1_step (const MstBiquad * c, MstBiquadHistory * h, double in)
{
  double y = c->b0 * in + c->b1 * h->x1 + c->b2 * h->x2 - c->a1 * h->y1
      - c->a2 * h->y2;
  h->x2 = h->x1;
  h->x1 = in;
  h->y2 = h->y1;
  h->y1 = y;
  return y;
}

/* Direct Form I on one channel: with @ramp the coefficients move linearly
 * from @from to @to over the n frames, else @to alone. */
MST_ALWAYS_INLINE void
df1_run (const MstBiquad * from, const MstBiquad * to, MstBiquadHistory * st,
    double *x, int n, const bool ramp)
{
  MstBiquad c = ramp ? *from : *to, d = { 0 };
  MstBiquadHistory h = *st;
  if (ramp) {
    double inv = 1.0 / n;
    d = (MstBiquad) { (to->b0 - from->b0) * inv, (to->b1 - from->b1) * inv,
      (to->b2 - from->b2) * inv, (to->a1 - from->a1) * inv,
      (to->a2 - from->a2) * inv
    };
  }
  for (int i = 0; i < n; i++) {
    if (ramp) {
      c.b0 += d.b0;
      c.b1 += d.b1;
      c.b2 += d.b2;
      c.a1 += d.a1;
      c.a2 += d.a2;
    }
    x[i] = df1_step (&c, &h, x[i]);
  }
  *st = h;
}

static void
biquad_run (const MstBiquad * c, MstBiquadHistory * st, double *x, int n)
{
  df1_run (c, c, st, x, n, false);
}

static void
biquad_run_ramp (const MstBiquad * from, const MstBiquad * to,
    MstBiquadHistory * st, double *x, int n)
{
  df1_run (from, to, st, x, n, true);
}

typedef double v2d __attribute__ ((vector_size (16)));

/* Two channels through the same section in one loop, the two lanes of a
 * vector: the same operations in the same order as biquad_run, so the
 * same output. */
static void
biquad_run_pair (const MstBiquad * c, MstBiquadHistory * sa,
    MstBiquadHistory * sb, double *xa, double *xb, int n)
{
  const v2d b0 = { c->b0, c->b0 }, b1 = { c->b1, c->b1 };
  const v2d b2 = { c->b2, c->b2 }, a1 = { c->a1, c->a1 };
  const v2d a2 = { c->a2, c->a2 };
  v2d x1 = { sa->x1, sb->x1 }, x2 = { sa->x2, sb->x2 };
  v2d y1 = { sa->y1, sb->y1 }, y2 = { sa->y2, sb->y2 };
  for (int i = 0; i < n; i++) {
    const v2d in = { xa[i], xb[i] };
    const v2d y = b0 * in + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1;
    x1 = in;
    y2 = y1;
    y1 = y;
    xa[i] = y[0];
    xb[i] = y[1];
  }
  sa->x1 = x1[0];
  sb->x1 = x1[1];
  sa->x2 = x2[0];
  sb->x2 = x2[1];
  sa->y1 = y1[0];
  sb->y1 = y1[1];
  sa->y2 = y2[0];
  sb->y2 = y2[1];
}

/* Up to all sections of all bands, fused into one pass per sample: the
 * sections' recurrences are independent from one sample to the next, so the
 * processor overlaps them and the pass runs at its arithmetic throughput
 * instead of the latency of one recurrence. Direct Form I in cascade shares
 * history: section k's input history is section k-1's output history. */
/* Coefficients of one section, each broadcast to both lanes. */
typedef struct {
  v2d b0, b1, b2, a1, a2;
} PairSection;


/* Where a stereo pair comes from and goes to: two planar double arrays, or
 * the interleaved F32 frames themselves (converted in registers, the
 * element gain applied on the way out). */
typedef struct {
  double *xa, *xb;
  float *frames;
  v2d gain;
} PairIo;

static inline __attribute__ ((always_inline)) v2d
io_load (const PairIo * io, const bool interleaved, int i)
{
  if (interleaved)
    return (v2d) { io->frames[2 * i], io->frames[2 * i + 1] };
  return (v2d) { io->xa[i], io->xb[i] };
}

static inline __attribute__ ((always_inline)) void
io_store (const PairIo * io, const bool interleaved, int i, v2d y)
{
  if (interleaved) {
    y *= io->gain;
    io->frames[2 * i] = (float) y[0];
    io->frames[2 * i + 1] = (float) y[1];
  } else {
    io->xa[i] = y[0];
    io->xb[i] = y[1];
  }
}

/* The skewed cascade runs each section in transposed direct form II (two
 * state values, no history to shift): section k takes sample i - k in step
 * i, its input being what section k - 1 produced in the step before
 * (pend[k]), so the sections of one step are independent and run in
 * parallel. Sections go from last to first so pend[k] is read before
 * section k - 1 replaces it. Between blocks the state is kept in Direct
 * Form I (the last two inputs and outputs of each section), which the other
 * paths use: it is converted in, and rebuilt from the outputs of the last
 * two steps each section runs (the "track" steps). */
typedef struct {
  v2d s1[MST_BIQUAD_MAX_CHAIN], s2[MST_BIQUAD_MAX_CHAIN];
  v2d pend[MST_BIQUAD_MAX_CHAIN + 1];
  v2d last[MST_BIQUAD_MAX_CHAIN + 1][2];  /* [0]: inputs, [k + 1]: section k */
} SkewState;

static inline __attribute__ ((always_inline)) void
skew_step (const PairSection * c, const int n_sections, SkewState * st,
    const PairIo * io, const bool interleaved, const bool track, int i,
    int k_lo, int k_hi)
{
#pragma GCC unroll 8
  for (int k = k_hi; k >= k_lo; k--) {
    v2d in;
    if (k == 0) {
      in = io_load (io, interleaved, i);
      if (track) {
        st->last[0][1] = st->last[0][0];
        st->last[0][0] = in;
      }
    } else {
      in = st->pend[k];
    }
    v2d y = c[k].b0 * in + st->s1[k];
    st->s1[k] = (c[k].b1 * in + st->s2[k]) - c[k].a1 * y;
    st->s2[k] = c[k].b2 * in - c[k].a2 * y;
    if (track) {
      st->last[k + 1][1] = st->last[k + 1][0];
      st->last[k + 1][0] = y;
    }
    if (k == n_sections - 1)
      io_store (io, interleaved, i - k, y);
    else
      st->pend[k + 1] = y;
  }
}

#ifdef MST_HAVE_X86_PATHS
#define HAVE_QUAD_PATH 1
#endif

#ifdef HAVE_QUAD_PATH
typedef double v4d __attribute__ ((vector_size (32)));
typedef long long v4di __attribute__ ((vector_size (32)));
#define MAX_QUAD_SECTIONS 8

/* Steady steps [i0, i1) with two sections per 256-bit vector: sections 2p
 * (low lanes) and 2p + 1 (high lanes) of one step are independent, so they
 * run as one; a pair's input is the previous step's outputs of sections
 * 2p - 1 and 2p, one lane shuffle. Only inlined into a function compiled
 * for AVX and FMA, with n_sections a constant (the state then lives in
 * registers). An odd cascade gets a silent section of zeros. */
static inline __attribute__ ((always_inline)) void
quad_steps (const PairSection * c, const int n_sections, SkewState * st,
    const PairIo * io, const bool interleaved, int i0, int i1)
{
  const int n_pairs = (n_sections + 1) / 2;
  v4d b0[MAX_QUAD_SECTIONS / 2], b1[MAX_QUAD_SECTIONS / 2];
  v4d b2[MAX_QUAD_SECTIONS / 2], a1[MAX_QUAD_SECTIONS / 2];
  v4d a2[MAX_QUAD_SECTIONS / 2], s1[MAX_QUAD_SECTIONS / 2];
  v4d s2[MAX_QUAD_SECTIONS / 2], prev[MAX_QUAD_SECTIONS / 2] = { 0 };
  const v2d zero = { 0.0, 0.0 };

#define JOIN(a, b) ((v4d) { (a)[0], (a)[1], (b)[0], (b)[1] })
#pragma GCC unroll 4
  for (int p = 0; p < n_pairs; p++) {
    int k0 = 2 * p, k1 = 2 * p + 1;
    bool real1 = k1 < n_sections;
    b0[p] = JOIN (c[k0].b0, real1 ? c[k1].b0 : zero);
    b1[p] = JOIN (c[k0].b1, real1 ? c[k1].b1 : zero);
    b2[p] = JOIN (c[k0].b2, real1 ? c[k1].b2 : zero);
    a1[p] = JOIN (c[k0].a1, real1 ? c[k1].a1 : zero);
    a2[p] = JOIN (c[k0].a2, real1 ? c[k1].a2 : zero);
    s1[p] = JOIN (st->s1[k0], real1 ? st->s1[k1] : zero);
    s2[p] = JOIN (st->s2[k0], real1 ? st->s2[k1] : zero);
    /* The pair's last outputs: the pending inputs of sections k0 + 1 and
     * k1 + 1 (none after the last section). */
    prev[p] = JOIN (k0 + 1 < n_sections ? st->pend[k0 + 1] : zero,
        k1 + 1 < n_sections ? st->pend[k1 + 1] : zero);
  }
  for (int i = i0; i < i1; i++) {
    v4d in[MAX_QUAD_SECTIONS / 2];
    v2d x = io_load (io, interleaved, i);
    v4d x4 = { x[0], x[1], 0.0, 0.0 };
    in[0] = __builtin_shuffle (x4, prev[0], (v4di) { 0, 1, 4, 5 });
#pragma GCC unroll 4
    for (int p = 1; p < n_pairs; p++)
      in[p] = __builtin_shuffle (prev[p - 1], prev[p], (v4di) { 2, 3, 4, 5 });
#pragma GCC unroll 4
    for (int p = 0; p < n_pairs; p++) {
      v4d y = b0[p] * in[p] + s1[p];
      s1[p] = (b1[p] * in[p] + s2[p]) - a1[p] * y;
      s2[p] = b2[p] * in[p] - a2[p] * y;
      prev[p] = y;
    }
    v4d out = prev[n_pairs - 1];
    v2d y = (n_sections % 2) ? (v2d) { out[0], out[1] }
    : (v2d) { out[2], out[3] };
    io_store (io, interleaved, i - (n_sections - 1), y);
  }
#pragma GCC unroll 4
  for (int p = 0; p < n_pairs; p++) {
    int k0 = 2 * p, k1 = 2 * p + 1;
    st->s1[k0] = (v2d) { s1[p][0], s1[p][1] };
    st->s2[k0] = (v2d) { s2[p][0], s2[p][1] };
    if (k0 + 1 < n_sections)
      st->pend[k0 + 1] = (v2d) { prev[p][0], prev[p][1] };
    if (k1 < n_sections) {
      st->s1[k1] = (v2d) { s1[p][2], s1[p][3] };
      st->s2[k1] = (v2d) { s2[p][2], s2[p][3] };
      if (k1 + 1 < n_sections)
        st->pend[k1 + 1] = (v2d) { prev[p][2], prev[p][3] };
    }
  }
#undef JOIN
}

/* The steady steps of mst_biquad_cascades_run_fused_fast: the skewed
 * cascade's transposed direct form II state (the SkewState of quad_steps,
 * taken over and handed back) with each section's output kept out of its
 * state's recurrence: y = b0 x + s1 is fed back nowhere, and
 * s1' = (b1 - a1 b0) x + s2 - a1 s1, s2' = (b2 - a2 b0) x - a2 s1 (the
 * recurrence with y written out). A state then waits on one multiply-add a
 * step (s1 on s1) or two over two steps (s1 through s2), where
 * quad_steps's waits on two a step (s1 through y). Inside, section k's
 * signals and state are divided by b0 of sections 0 .. k (its "scale"), so
 * that y / b0 = x + s1 / b0 is an addition, off the multiply-add units that
 * bound the loop: s1' = (b1 / b0 - a1) x + s2 - a1 s1 on the scaled
 * values, the product of all b0 applied to the output with the gain.
 * Vector p holds sections p (high lanes) and p + V (low lanes,
 * V = ceil (n_sections / 2); a silent section of zeros past the last), so
 * that vector p's inputs are vector p - 1's outputs lane for lane and one
 * shuffle a frame (the frame and section V's input into vector 0) crosses
 * lanes, the last section's output being low lanes (quad_steps's pairing
 * crosses lanes on every pair's chain). Compiled for AVX and FMA; with n_sections a
 * constant the state lives in registers. */
static inline __attribute__ ((always_inline, target ("avx,fma"))) void
state_steps_body (const PairSection * c, const int n_sections,
    SkewState * st, const PairIo * io, const bool interleaved, int i0, int i1)
{
  const int V = (n_sections + 1) / 2;
  const int out_vector = n_sections - 1 - V;   /* last section: low lanes */
  double scale[MAX_QUAD_SECTIONS], inv_scale[MAX_QUAD_SECTIONS];
  long double product = 1.0L;
  for (int k = 0; k < n_sections; k++) {
    product *= c[k].b0[0];
    scale[k] = (double) product;
    inv_scale[k] = (double) (1.0L / product);
  }
  __m256d c1[MAX_QUAD_SECTIONS / 2];
  __m256d c2[MAX_QUAD_SECTIONS / 2], a1[MAX_QUAD_SECTIONS / 2];
  __m256d a2[MAX_QUAD_SECTIONS / 2], s1[MAX_QUAD_SECTIONS / 2];
  __m256d s2[MAX_QUAD_SECTIONS / 2], prev[MAX_QUAD_SECTIONS / 2];
  const __m128d out_scale = _mm_set1_pd (scale[n_sections - 1]);
  const __m128d gain = _mm_mul_pd ((__m128d) io->gain, out_scale);

#pragma GCC unroll 4
  for (int p = 0; p < V; p++) {
    double lane[2][4] = { {0} };
    __m128d half[2][3];
    for (int h = 0; h < 2; h++) {
      const int k = p + h * V;
      const __m128d zero = _mm_setzero_pd ();
      if (k >= n_sections) {
        half[h][0] = half[h][1] = half[h][2] = zero;
        continue;
      }
      const long double q_b0 = c[k].b0[0];
      const __m128d to_scaled = _mm_set1_pd (inv_scale[k]);
      /* In long double: b1 / b0 - a1 cancels for poles near z = 1. */
      lane[h][0] = (double) (c[k].b1[0] / q_b0 - c[k].a1[0]);
      lane[h][1] = (double) (c[k].b2[0] / q_b0 - c[k].a2[0]);
      lane[h][2] = c[k].a1[0];
      lane[h][3] = c[k].a2[0];
      half[h][0] = _mm_mul_pd ((__m128d) st->s1[k], to_scaled);
      half[h][1] = _mm_mul_pd ((__m128d) st->s2[k], to_scaled);
      /* The section's output in the step before: the next one's input
       * (none kept after the last section, whose output is stored). */
      half[h][2] = k + 1 < n_sections ? _mm_mul_pd ((__m128d) st->pend[k + 1],
          to_scaled) : zero;
    }
#define HALVES(lo, hi) _mm256_insertf128_pd (_mm256_castpd128_pd256 (lo), \
      (hi), 1)
    /* Section p in the high lanes, p + V in the low ones. */
#define BOTH(j) HALVES (_mm_set1_pd (lane[1][j]), _mm_set1_pd (lane[0][j]))
    c1[p] = BOTH (0);
    c2[p] = BOTH (1);
    a1[p] = BOTH (2);
    a2[p] = BOTH (3);
    s1[p] = HALVES (half[1][0], half[0][0]);
    s2[p] = HALVES (half[1][1], half[0][1]);
    prev[p] = HALVES (half[1][2], half[0][2]);
#undef BOTH
  }
  for (int i = i0; i < i1; i++) {
    __m128d x;
    if (interleaved)
      x = _mm_cvtps_pd (_mm_castsi128_ps (_mm_loadl_epi64 ((const __m128i *)
                  (io->frames + 2 * i))));
    else
      x = _mm_set_pd (io->xb[i], io->xa[i]);
    /* Section V takes section V - 1's output: the one lane crossing, in
     * the shuffle that puts the frame in the high lanes. */
    __m256d in = _mm256_permute2f128_pd (prev[V - 1],
        _mm256_castpd128_pd256 (x), 0x21);
#pragma GCC unroll 4
    for (int p = 0; p < V; p++) {
      const __m256d s = s1[p];
      const __m256d y = _mm256_add_pd (in, s);
      const __m256d t = _mm256_fmadd_pd (c1[p], in, s2[p]);
      s2[p] = _mm256_fnmadd_pd (a2[p], s, _mm256_mul_pd (c2[p], in));
      s1[p] = _mm256_fnmadd_pd (a1[p], s, t);
      in = prev[p];
      prev[p] = y;
    }
    const __m128d y = _mm256_castpd256_pd128 (prev[out_vector]);
    const int at = i - (n_sections - 1);
    if (interleaved) {
      _mm_storel_pi ((__m64 *) (io->frames + 2 * at),
          _mm_cvtpd_ps (_mm_mul_pd (y, gain)));
    } else {
      const __m128d out = _mm_mul_pd (y, out_scale);
      _mm_storel_pd (io->xa + at, out);
      _mm_storeh_pd (io->xb + at, out);
    }
  }
#undef HALVES
#pragma GCC unroll 4
  for (int p = 0; p < V; p++)
    for (int h = 0; h < 2; h++) {
      const int k = p + h * V;
      if (k >= n_sections)
        continue;
      const v2d from_scaled = { scale[k], scale[k] };
      st->s1[k] = (v2d) (h ? _mm256_castpd256_pd128 (s1[p])
          : _mm256_extractf128_pd (s1[p], 1)) * from_scaled;
      st->s2[k] = (v2d) (h ? _mm256_castpd256_pd128 (s2[p])
          : _mm256_extractf128_pd (s2[p], 1)) * from_scaled;
      if (k + 1 < n_sections)
        st->pend[k + 1] = (v2d) (h ? _mm256_castpd256_pd128 (prev[p])
            : _mm256_extractf128_pd (prev[p], 1)) * from_scaled;
    }
}

/* state_steps_body with n_sections (2 to MAX_QUAD_SECTIONS) a constant in
 * each case (one copy under MST_FEW_KERNEL_COPIES, as
 * cascade_pair_dispatch). Called, not inlined: once a block. False, nothing
 * done, when a section's b0 is too near 0 (or too large) to divide by. */
__attribute__ ((target ("avx,fma")))
static bool
state_steps (const PairSection * c, int n_sections, SkewState * st,
    const PairIo * io, const bool interleaved, int i0, int i1)
{
  /* Eight factors within 1e+-30: their products stay far inside double's
   * range, and so do the scaled signals. */
  for (int k = 0; k < n_sections; k++)
    if (!(fabs (c[k].b0[0]) >= 1e-30 && fabs (c[k].b0[0]) <= 1e30))
      return false;
#ifdef MST_FEW_KERNEL_COPIES
  state_steps_body (c, n_sections, st, io, interleaved, i0, i1);
#else
  switch (n_sections) {
#define CASE(k) case k: \
      if (interleaved) \
        state_steps_body (c, k, st, io, true, i0, i1); \
      else \
        state_steps_body (c, k, st, io, false, i0, i1); \
      break;
      CASE (2) CASE (3) CASE (4) CASE (5) CASE (6) CASE (7) CASE (8)
#undef CASE
    default:
      return false;
  }
#endif
  return true;
}
#endif

static inline __attribute__ ((always_inline)) void
cascade_pair_body (const PairSection * c, const int n_sections,
    v2d (*hist)[2], const PairIo * io, const bool interleaved,
    const bool quad, bool state_form, int n)
{
  /* With n_sections a constant the steady loop unrolls and the state stays
   * in registers. */
  SkewState st;
  const int last = n_sections - 1;
  int i = 0;

  for (int k = 0; k < n_sections; k++) {
    v2d x1 = hist[k][0], x2 = hist[k][1];
    v2d y1 = hist[k + 1][0], y2 = hist[k + 1][1];
    st.s1[k] = c[k].b1 * x1 - c[k].a1 * y1 + c[k].b2 * x2 - c[k].a2 * y2;
    st.s2[k] = c[k].b2 * x1 - c[k].a2 * y1;
  }
  for (int k = 0; k <= n_sections; k++) {
    st.last[k][0] = hist[k][0];
    st.last[k][1] = hist[k][1];
  }
  /* Untracked steady steps end where some section's last two runs begin:
   * section 0 runs sample n - 2 in step n - 2. */
  int steady_end = n - 2;
  /* Filling: step i runs sections 0..i. */
  for (; i < last && i < n; i++)
    skew_step (c, n_sections, &st, io, interleaved, true, i, 0, i);
  if (i == last) {
#ifdef HAVE_QUAD_PATH
    if (quad && n_sections >= 2 && n_sections <= MAX_QUAD_SECTIONS
        && i < steady_end) {
      if (!state_form
          || !state_steps (c, n_sections, &st, io, interleaved, i,
              steady_end))
        quad_steps (c, n_sections, &st, io, interleaved, i, steady_end);
      i = steady_end;
    }
#else
    (void) quad, (void) state_form;
#endif
    for (; i < steady_end; i++)
      skew_step (c, n_sections, &st, io, interleaved, false, i, 0, last);
    for (; i < n; i++)
      skew_step (c, n_sections, &st, io, interleaved, true, i, 0, last);
  } else {
    /* A block shorter than the cascade: steps run what they can. */
    for (; i < n + last; i++) {
      int k_lo = i - n + 1 > 0 ? i - n + 1 : 0;
      int k_hi = i < last ? i : last;
      skew_step (c, n_sections, &st, io, interleaved, true, i, k_lo, k_hi);
    }
  }
  /* Draining: step i runs sections i - n + 1 .. last. */
  for (; i < n + last; i++)
    skew_step (c, n_sections, &st, io, interleaved, true, i, i - n + 1,
        last);
  for (int k = 0; k <= n_sections; k++) {
    hist[k][0] = st.last[k][0];
    hist[k][1] = st.last[k][1];
  }
}

/* With n_sections a constant in each case, the body unrolls. The
 * sanitizer build (meson.build: MST_FEW_KERNEL_COPIES) keeps one copy with
 * n_sections a variable: the same source lines, instrumented once instead
 * of in nine unrolled copies (which took gcc minutes with ASan and
 * UBSan). */
MST_ALWAYS_INLINE void
cascade_pair_dispatch (const PairSection * c, int n_sections, v2d (*hist)[2],
    const PairIo * io, const bool interleaved, const bool quad,
    bool state_form, int n)
{
#ifdef MST_FEW_KERNEL_COPIES
  cascade_pair_body (c, n_sections, hist, io, interleaved, quad, state_form,
      n);
#else
  switch (n_sections) {
#define CASE(k) case k: \
      cascade_pair_body (c, k, hist, io, interleaved, quad, state_form, n); \
      break;
      CASE (1) CASE (2) CASE (3) CASE (4) CASE (5) CASE (6) CASE (7)
      CASE (8)
#undef CASE
    default:
      cascade_pair_body (c, n_sections, hist, io, interleaved, false, false,
          n);
      break;
  }
#endif
}

static inline __attribute__ ((always_inline)) void
cascade_run_pair_body (const MstBiquad * sections, int n_sections,
    v2d (*hist)[2], const PairIo * io, int n, const bool quad,
    bool state_form)
{
  PairSection c[MST_BIQUAD_MAX_CHAIN];
  for (int k = 0; k < n_sections; k++) {
    c[k].b0 = (v2d) { sections[k].b0, sections[k].b0 };
    c[k].b1 = (v2d) { sections[k].b1, sections[k].b1 };
    c[k].b2 = (v2d) { sections[k].b2, sections[k].b2 };
    c[k].a1 = (v2d) { sections[k].a1, sections[k].a1 };
    c[k].a2 = (v2d) { sections[k].a2, sections[k].a2 };
  }
  if (io->frames)
    cascade_pair_dispatch (c, n_sections, hist, io, true, quad, state_form,
        n);
  else
    cascade_pair_dispatch (c, n_sections, hist, io, false, quad, state_form,
        n);
}

/* Portable build: two lanes, one section at a time. */
static void
cascade_run_pair_generic (const MstBiquad * sections, int n_sections,
    v2d (*hist)[2], const PairIo * io, int n)
{
  cascade_run_pair_body (sections, n_sections, hist, io, n, false, false);
}

#ifdef HAVE_QUAD_PATH
/* AVX and FMA: two sections per vector in the steady steps, and one fused
 * multiply-add per section on the critical path; with @state_form the
 * steady steps of state_steps. */
__attribute__ ((target ("avx,fma")))
static void
cascade_run_pair_avx (const MstBiquad * sections, int n_sections,
    v2d (*hist)[2], const PairIo * io, bool state_form, int n)
{
  cascade_run_pair_body (sections, n_sections, hist, io, n, true,
      state_form);
}
#endif

static void
cascade_run_pair (const MstBiquad * sections, int n_sections, v2d (*hist)[2],
    const PairIo * io, bool state_form, int n)
{
#ifdef HAVE_QUAD_PATH
  if (mst_cpu_has_avx2_fma ()) {
    cascade_run_pair_avx (sections, n_sections, hist, io, state_form, n);
    return;
  }
#else
  (void) state_form;
#endif
  cascade_run_pair_generic (sections, n_sections, hist, io, n);
}

static void
cascade_run (const MstBiquad * c, int n_sections, double (*hist)[2],
    double *x, int n)
{
  for (int i = 0; i < n; i++) {
    double in = x[i];
    double x1 = hist[0][0], x2 = hist[0][1];
    hist[0][1] = x1;
    hist[0][0] = in;
    for (int k = 0; k < n_sections; k++) {
      double y1 = hist[k + 1][0], y2 = hist[k + 1][1];
      double y = ((c[k].b1 * x1 + c[k].b2 * x2 - c[k].a2 * y2) - c[k].a1 * y1)
          + c[k].b0 * in;
      hist[k + 1][1] = y1;
      hist[k + 1][0] = y;
      x1 = y1;
      x2 = y2;
      in = y;
    }
    x[i] = in;
  }
}

static void
chain_run (const MstBiquad * sections,
    MstBiquadHistory * const *hist, int n_sections, double *x, int n)
{
  /* h[0] is the input's history, h[k + 1] section k's output's. */
  double h[MST_BIQUAD_MAX_CHAIN + 1][2];

  if (n_sections <= 0)
    return;
  h[0][0] = hist[0]->x1;
  h[0][1] = hist[0]->x2;
  for (int k = 0; k < n_sections; k++) {
    h[k + 1][0] = hist[k]->y1;
    h[k + 1][1] = hist[k]->y2;
  }
  cascade_run (sections, n_sections, h, x, n);
  for (int k = 0; k < n_sections; k++) {
    hist[k]->x1 = h[k][0];
    hist[k]->x2 = h[k][1];
    hist[k]->y1 = h[k + 1][0];
    hist[k]->y2 = h[k + 1][1];
  }
}

static void
chain_run_pair (const MstBiquad * sections,
    MstBiquadHistory * const *hist_a, MstBiquadHistory * const *hist_b,
    int n_sections, double *xa, double *xb, float *frames, double gain,
    bool state_form, int n)
{
  v2d h[MST_BIQUAD_MAX_CHAIN + 1][2];
  PairIo io = { xa, xb, frames, {gain, gain} };

  if (n_sections <= 0)
    return;
  h[0][0] = (v2d) { hist_a[0]->x1, hist_b[0]->x1 };
  h[0][1] = (v2d) { hist_a[0]->x2, hist_b[0]->x2 };
  for (int k = 0; k < n_sections; k++) {
    h[k + 1][0] = (v2d) { hist_a[k]->y1, hist_b[k]->y1 };
    h[k + 1][1] = (v2d) { hist_a[k]->y2, hist_b[k]->y2 };
  }
  cascade_run_pair (sections, n_sections, h, &io, state_form, n);
  for (int k = 0; k < n_sections; k++) {
    hist_a[k]->x1 = h[k][0][0];
    hist_b[k]->x1 = h[k][0][1];
    hist_a[k]->x2 = h[k][1][0];
    hist_b[k]->x2 = h[k][1][1];
    hist_a[k]->y1 = h[k + 1][0][0];
    hist_b[k]->y1 = h[k + 1][0][1];
    hist_a[k]->y2 = h[k + 1][1][0];
    hist_b[k]->y2 = h[k + 1][1][1];
  }
}

static void
cascades_run_fused (MstBiquadCascade * const *cascades, int n_cascades,
    int n_channels, double *planar, size_t stride, float *frames,
    double gain, bool state_form, int n)
{
  MstBiquad sections[MST_BIQUAD_MAX_CHAIN];
  MstBiquadHistory *hist_a[MST_BIQUAD_MAX_CHAIN];
  MstBiquadHistory *hist_b[MST_BIQUAD_MAX_CHAIN];
  int n_sections = 0;

  for (int b = 0; b < n_cascades; b++)
    for (int s = 0; s < cascades[b]->n_sections; s++)
      sections[n_sections++] = cascades[b]->coefs[s];
  for (int c = 0; c < n_channels; c += 2) {
    bool pair = c + 1 < n_channels;
    int k = 0;
    for (int b = 0; b < n_cascades; b++)
      for (int s = 0; s < cascades[b]->n_sections; s++, k++) {
        hist_a[k] = &cascades[b]->hist[c][s];
        if (pair)
          hist_b[k] = &cascades[b]->hist[c + 1][s];
      }
    if (pair)
      chain_run_pair (sections, hist_a, hist_b, n_sections, planar + c * stride,
          planar + (c + 1) * stride, frames, gain, state_form, n);
    else if (state_form)
      /* A channel alone as both lanes of the pair: the lanes do the same
       * operations, so they write the same values to the same places, and
       * it runs at the pair's speed instead of the scalar chain's latency
       * (mono: 8.0 -> 3 ns a frame for five sections). */
      chain_run_pair (sections, hist_a, hist_a, n_sections,
          planar + c * stride, planar + c * stride, NULL, 1.0, true, n);
    else
      chain_run (sections, hist_a, n_sections, planar + c * stride, n);
  }
}

void
mst_biquad_cascades_run_fused (MstBiquadCascade * const *cascades,
    int n_cascades, int n_channels, double *planar, size_t stride,
    float *frames, double gain, int n)
{
  cascades_run_fused (cascades, n_cascades, n_channels, planar, stride,
      frames, gain, false, n);
}

void
mst_biquad_cascades_run_fused_fast (MstBiquadCascade * const *cascades,
    int n_cascades, int n_channels, double *planar, size_t stride,
    float *frames, double gain, int n)
{
  cascades_run_fused (cascades, n_cascades, n_channels, planar, stride,
      frames, gain, true, n);
}

void
mst_biquad_cascade_reset (MstBiquadCascade * c)
{
  memset (c->hist, 0, sizeof c->hist);
}

void
mst_biquad_cascade_run (MstBiquadCascade * c, const int *channels,
    int n_channels, double *planar, size_t stride, const MstBiquad * from,
    int n)
{
  for (int s = 0; s < c->n_sections; s++) {
    const MstBiquad *coefs = &c->coefs[s];
    int k = 0;
    if (!from) {
      for (; k + 1 < n_channels; k += 2)
        biquad_run_pair (coefs, &c->hist[channels[k]][s],
            &c->hist[channels[k + 1]][s], planar + channels[k] * stride,
            planar + channels[k + 1] * stride, n);
    }
    for (; k < n_channels; k++) {
      MstBiquadHistory *h = &c->hist[channels[k]][s];
      double *x = planar + channels[k] * stride;
      if (from)
        biquad_run_ramp (&from[s], coefs, h, x, n);
      else
        biquad_run (coefs, h, x, n);
    }
  }
}

typedef double v4d __attribute__ ((vector_size (32)));

/* Four single-section cascades on four rows, lane k cascade @c[k]: the
 * operations of df1_run lane by lane (no fused multiply-add: the same
 * output). */
MST_VECTORISE_AVX2 static void
rows4_run (MstBiquadCascade * c, double *r0, double *r1, double *r2,
    double *r3, const MstBiquad * from, int n)
{
#define LANES(field) (v4d) { c[0].field, c[1].field, c[2].field, c[3].field }
#define FROM(field) (v4d) { from[0].field, from[1].field, from[2].field, \
      from[3].field }
  v4d b0 = LANES (coefs[0].b0), b1 = LANES (coefs[0].b1);
  v4d b2 = LANES (coefs[0].b2), a1 = LANES (coefs[0].a1);
  v4d a2 = LANES (coefs[0].a2);
  v4d db0 = { 0 }, db1 = { 0 }, db2 = { 0 }, da1 = { 0 }, da2 = { 0 };
  if (from) {
    double inv = 1.0 / n;
    db0 = (b0 - FROM (b0)) * inv;
    db1 = (b1 - FROM (b1)) * inv;
    db2 = (b2 - FROM (b2)) * inv;
    da1 = (a1 - FROM (a1)) * inv;
    da2 = (a2 - FROM (a2)) * inv;
    b0 = FROM (b0);
    b1 = FROM (b1);
    b2 = FROM (b2);
    a1 = FROM (a1);
    a2 = FROM (a2);
  }
  v4d x1 = LANES (hist[0][0].x1), x2 = LANES (hist[0][0].x2);
  v4d y1 = LANES (hist[0][0].y1), y2 = LANES (hist[0][0].y2);
#undef LANES
#undef FROM
  for (int i = 0; i < n; i++) {
    if (from) {
      b0 += db0;
      b1 += db1;
      b2 += db2;
      a1 += da1;
      a2 += da2;
    }
    const v4d in = { r0[i], r1[i], r2[i], r3[i] };
    const v4d y = b0 * in + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1;
    x1 = in;
    y2 = y1;
    y1 = y;
    r0[i] = y[0];
    r1[i] = y[1];
    r2[i] = y[2];
    r3[i] = y[3];
  }
  for (int k = 0; k < 4; k++) {
    c[k].hist[0][0] = (MstBiquadHistory) { x1[k], x2[k], y1[k], y2[k] };
  }
}

void
mst_biquad_cascades_run_rows (MstBiquadCascade * c, int n_rows,
    double *rows, size_t stride, const MstBiquad * from, int n)
{
  static const int ch0 = 0;
  int k = 0;
  for (; k + 4 <= n_rows; k += 4) {
    bool single = true;
    for (int j = k; j < k + 4; j++)
      single &= c[j].n_sections == 1;
    if (!single)
      break;
    double *r = rows + k * stride;
    rows4_run (c + k, r, r + stride, r + 2 * stride, r + 3 * stride,
        from ? from + k : NULL, n);
  }
  for (; k < n_rows; k++)
    mst_biquad_cascade_run (&c[k], &ch0, 1, rows + k * stride, 0,
        from ? &from[k] : NULL, n);
}

#ifdef MST_HAVE_X86_PATHS
/* One section over a channel pair (@xb NULL: one channel, lane 1 idle),
 * four frames a step in block form (below). The input is
 * the rows themselves, or with @frames non-NULL (@xb then too) the
 * interleaved stereo F32 frames, converted exactly and checked on the way
 * (|x| <= MST_MAX_INPUT, NaN failing it) off the recurrence's chain: the
 * same steps on the same values, the history written back only when
 * every frame was sane (false otherwise). */
static inline __attribute__ ((always_inline, target ("avx2,fma"))) bool
section_fma_body (const MstBiquad * c, MstBiquadHistory * sa,
    MstBiquadHistory * sb, const float *frames, double *xa, double *xb,
    int n)
{
  MstBiquadHistory idle = { 0 };
  if (!xb)
    sb = &idle;
  const __m128d b0 = _mm_set1_pd (c->b0), b1 = _mm_set1_pd (c->b1);
  const __m128d b2 = _mm_set1_pd (c->b2), a1 = _mm_set1_pd (c->a1);
  const __m128d a2 = _mm_set1_pd (c->a2);
  const __m256d abs_mask = _mm256_castsi256_pd (_mm256_set1_epi64x
      (INT64_MAX));
  const __m256d max_in = _mm256_set1_pd (MST_MAX_INPUT);
  __m256d ok = _mm256_castsi256_pd (_mm256_set1_epi64x (-1));
  __m128d x1 = _mm_set_pd (sb->x1, sa->x1), x2 = _mm_set_pd (sb->x2, sa->x2);
  __m128d y1 = _mm_set_pd (sb->y1, sa->y1), y2 = _mm_set_pd (sb->y2, sa->y2);
#define SECTION_STEP(in, x1, x2, y1, y2) \
  _mm_fnmadd_pd (a1, y1, _mm_fnmadd_pd (a2, y2, _mm_fmadd_pd (b2, x2, \
              _mm_fmadd_pd (b1, x1, _mm_mul_pd (b0, in)))))
#define SECTION_LOAD(i) \
  (xb ? _mm_set_pd (xb[i], xa[i]) : _mm_set_sd (xa[i]))
#define SECTION_CHECK(v) \
  (ok = _mm256_and_pd (ok, _mm256_cmp_pd (_mm256_and_pd (v, abs_mask), \
          max_in, _CMP_LE_OQ)))
#define SECTION_STORE(i, y) \
  do { \
    _mm_storel_pd (xa + (i), y); \
    if (xb) \
      _mm_storeh_pd (xb + (i), y); \
  } while (0)
  /* Four frames a step in block form: the feed-forward sums F_k of the
   * step's frames folded through the feedback among themselves (G_k =
   * F_k - a1 G_(k-1) - a2 G_(k-2)), then each output G_k + P_k y1 +
   * Q_k y2 from the state before the step (P, Q: the feedback's response
   * to y1 and y2), so that the state waits on two multiply-adds for four
   * frames instead of one a frame. The same filter, rounded otherwise
   * (a key's: mst-biquad.h). */
  double p[4], q[4];
  {
    double zp1 = 1.0, zp2 = 0.0, zq1 = 0.0, zq2 = 1.0;
    for (int k = 0; k < 4; k++) {
      p[k] = -c->a1 * zp1 - c->a2 * zp2;
      q[k] = -c->a1 * zq1 - c->a2 * zq2;
      zp2 = zp1, zp1 = p[k];
      zq2 = zq1, zq1 = q[k];
    }
  }
  const __m128d p0 = _mm_set1_pd (p[0]), p1 = _mm_set1_pd (p[1]);
  const __m128d p2 = _mm_set1_pd (p[2]), p3 = _mm_set1_pd (p[3]);
  const __m128d q0 = _mm_set1_pd (q[0]), q1 = _mm_set1_pd (q[1]);
  const __m128d q2 = _mm_set1_pd (q[2]), q3 = _mm_set1_pd (q[3]);
#define SECTION_FF(in, x1, x2) \
  _mm_fmadd_pd (b2, x2, _mm_fmadd_pd (b1, x1, _mm_mul_pd (b0, in)))
#define SECTION_OUT(g, pk, qk) \
  _mm_fmadd_pd (pk, y1, _mm_fmadd_pd (qk, y2, g))
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    __m128d in0, in1, in2, in3;
    if (frames) {
      const __m256d v = _mm256_cvtps_pd (_mm_loadu_ps (frames + 2 * i));
      const __m256d w = _mm256_cvtps_pd (_mm_loadu_ps (frames + 2 * i + 4));
      SECTION_CHECK (v);
      SECTION_CHECK (w);
      in0 = _mm256_castpd256_pd128 (v);
      in1 = _mm256_extractf128_pd (v, 1);
      in2 = _mm256_castpd256_pd128 (w);
      in3 = _mm256_extractf128_pd (w, 1);
    } else {
      in0 = SECTION_LOAD (i);
      in1 = SECTION_LOAD (i + 1);
      in2 = SECTION_LOAD (i + 2);
      in3 = SECTION_LOAD (i + 3);
    }
    const __m128d g0 = SECTION_FF (in0, x1, x2);
    const __m128d g1 = _mm_fnmadd_pd (a1, g0, SECTION_FF (in1, in0, x1));
    const __m128d g2 = _mm_fnmadd_pd (a1, g1, _mm_fnmadd_pd (a2, g0,
            SECTION_FF (in2, in1, in0)));
    const __m128d g3 = _mm_fnmadd_pd (a1, g2, _mm_fnmadd_pd (a2, g1,
            SECTION_FF (in3, in2, in1)));
    const __m128d o0 = SECTION_OUT (g0, p0, q0);
    const __m128d o1 = SECTION_OUT (g1, p1, q1);
    const __m128d o2 = SECTION_OUT (g2, p2, q2);
    const __m128d o3 = SECTION_OUT (g3, p3, q3);
    SECTION_STORE (i, o0);
    SECTION_STORE (i + 1, o1);
    SECTION_STORE (i + 2, o2);
    SECTION_STORE (i + 3, o3);
    x2 = in2;
    x1 = in3;
    y2 = o2;
    y1 = o3;
  }
#undef SECTION_FF
#undef SECTION_OUT
  for (; i < n; i++) {
    __m128d in;
    if (frames) {
      in = _mm_set_pd (frames[2 * i + 1], frames[2 * i]);
      SECTION_CHECK (_mm256_insertf128_pd (_mm256_castpd128_pd256 (in), in,
              1));
    } else {
      in = SECTION_LOAD (i);
    }
    const __m128d y = SECTION_STEP (in, x1, x2, y1, y2);
    SECTION_STORE (i, y);
    x2 = x1;
    x1 = in;
    y2 = y1;
    y1 = y;
  }
#undef SECTION_STEP
#undef SECTION_LOAD
#undef SECTION_CHECK
#undef SECTION_STORE
  if (frames && _mm256_movemask_pd (ok) != 0xf)
    return false;
  double v[2];
  _mm_storeu_pd (v, x1);
  sa->x1 = v[0], sb->x1 = v[1];
  _mm_storeu_pd (v, x2);
  sa->x2 = v[0], sb->x2 = v[1];
  _mm_storeu_pd (v, y1);
  sa->y1 = v[0], sb->y1 = v[1];
  _mm_storeu_pd (v, y2);
  sa->y2 = v[0], sb->y2 = v[1];
  return true;
}

__attribute__ ((target ("avx2,fma")))
static void
section_run_fma (const MstBiquad * c, MstBiquadHistory * sa,
    MstBiquadHistory * sb, double *xa, double *xb, int n)
{
  section_fma_body (c, sa, sb, NULL, xa, xb, n);
}

/* The first section of a stereo pair from interleaved F32 frames. */
__attribute__ ((target ("avx2,fma")))
static bool
section_run_fma_stereo_f32 (const MstBiquad * c, MstBiquadHistory * sa,
    MstBiquadHistory * sb, const float *frames, double *xa, double *xb,
    int n)
{
  return section_fma_body (c, sa, sb, frames, xa, xb, n);
}
#endif

bool
mst_biquad_cascade_run_fast_stereo_f32 (MstBiquadCascade * c,
    const float *frames, double *l, double *r, int n)
{
#ifdef MST_HAVE_X86_PATHS
  if (c->n_sections < 1 || !mst_cpu_has_avx2_fma ())
    return false;
  if (!section_run_fma_stereo_f32 (&c->coefs[0], &c->hist[0][0],
          &c->hist[1][0], frames, l, r, n))
    return false;
  for (int s = 1; s < c->n_sections; s++)
    section_run_fma (&c->coefs[s], &c->hist[0][s], &c->hist[1][s], l, r, n);
  return true;
#else
  (void) c, (void) frames, (void) l, (void) r, (void) n;
  return false;
#endif
}

void
mst_biquad_cascade_run_fast (MstBiquadCascade * c, int n_channels,
    double *planar, size_t stride, int n)
{
#ifdef MST_HAVE_X86_PATHS
  if (mst_cpu_has_avx2_fma ()) {
    for (int s = 0; s < c->n_sections; s++)
      for (int k = 0; k < n_channels; k += 2)
        section_run_fma (&c->coefs[s], &c->hist[k][s],
            k + 1 < n_channels ? &c->hist[k + 1][s] : NULL,
            planar + k * stride,
            k + 1 < n_channels ? planar + (k + 1) * stride : NULL, n);
    return;
  }
#endif
  static const int channels[MST_MAX_CHANNELS] = { 0, 1, 2, 3, 4, 5, 6, 7 };
  mst_biquad_cascade_run (c, channels, n_channels, planar, stride, NULL, n);
}

bool
mst_biquad_cascade_check_finite (MstBiquadCascade * c, int n_channels)
{
  bool reset = false;
  for (int ch = 0; ch < n_channels; ch++)
    for (int s = 0; s < c->n_sections; s++) {
      MstBiquadHistory *h = &c->hist[ch][s];
      if (!isfinite (h->x1 + h->x2 + h->y1 + h->y2)) {
        memset (h, 0, sizeof *h);
        reset = true;
      }
    }
  return reset;
}
