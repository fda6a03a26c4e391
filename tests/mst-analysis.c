/* Independent measurements for the tests: see mst-analysis.h. */
#include "mst-analysis.h"

#include <ebur128.h>
#include <fftw3.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define OS MST_ANALYSIS_TP_OVERSAMPLING
#define TAPS MST_ANALYSIS_TP_TAPS
#define HALF (TAPS / 2)
/* Kaiser beta 8.6: about 87 dB stopband, transition 0.043 fs wide centred
 * on the input Nyquist with 128 taps (Kaiser's design formula,
 * A = 2.285 (N - 1) dw + 8). */
#define KAISER_BETA 8.6
/* A 16x grid under-reads a peak by at most 1 / cos (pi / 32) (0.042 dB,
 * REFERENCE.md section 3): grid values below the running peak by more than
 * that cannot hide a larger one. */
#define REFINE_MARGIN 1.005

/* Under AddressSanitizer (scripts/test's build-asan) the hot inner kernels
 * marked UNCHECKED_KERNEL are compiled without the sanitizers' checks on
 * every access, and their callers check the whole region each kernel
 * reads or writes in one call instead (CHECK_REGION: the same bytes; a
 * poisoned one is then read through the instrumented path, which reports
 * it as usual). The per-access checks made these kernels about 60 % of
 * test-limiter-core's time under the sanitizers. Elsewhere both macros
 * are empty: the same code. */
#if defined (__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define UNCHECKED_KERNEL __attribute__ ((no_sanitize ("address", "undefined")))
static void
check_region (const void *p, size_t bytes)
{
  const volatile char *bad = __asan_region_is_poisoned ((void *) p, bytes);
  if (bad)
    (void) *bad;
}
#define CHECK_REGION(p, bytes) check_region ((p), (bytes))
#define ASAN_ONLY(statement) statement
#else
#define UNCHECKED_KERNEL
#define CHECK_REGION(p, bytes) ((void) 0)
#define ASAN_ONLY(statement)
#endif

double
mst_analysis_db (double lin)
{
  return lin > 0 ? 20.0 * log10 (lin) : -HUGE_VAL;
}

/* Modified Bessel function of the first kind, order 0 (power series). */
static double
bessel_i0 (double x)
{
  double sum = 1.0, term = 1.0, q = x * x / 4.0;
  for (int k = 1; k < 64; k++) {
    term *= q / ((double) k * k);
    sum += term;
    if (term < sum * 1e-17)
      break;
  }
  return sum;
}

/* coef[i * OS + p] weighs input sample n - HALF + 1 + i for the output at
 * n + p / OS: sinc (t) times a Kaiser window over |t| < HALF, with
 * t = HALF - 1 - i + p / OS the distance from that input sample. */
static void
design_interpolator (double *coef)
{
  const double i0_beta = bessel_i0 (KAISER_BETA);
  for (int i = 0; i < TAPS; i++) {
    for (int p = 0; p < OS; p++) {
      double t = (double) (HALF - 1 - i) + (double) p / OS;
      double u = t / HALF, h;
      if (t == 0.0)
        h = 1.0;
      else if (p == 0)
        h = 0.0;                /* sinc at a nonzero integer: exactly 0 */
      else
        h = sin (M_PI * t) / (M_PI * t);
      if (fabs (u) >= 1.0)
        h = 0.0;
      else
        h *= bessel_i0 (KAISER_BETA * sqrt (1.0 - u * u)) / i0_beta;
      coef[i * OS + p] = h;
    }
  }
}

/* Parabola through the grid values (l, c, r) around a candidate peak c:
 * its vertex height in the direction of c's sign, or |c| when c is not a
 * local maximum of |y|. */
static inline double
refine_peak (double l, double c, double r)
{
  double s = c < 0 ? -1.0 : 1.0;
  double a = s * l, b = s * c, d = s * r;
  double den = a - 2.0 * b + d;
  if (b < a || b < d || !(den < 0.0))
    return b;
  return b - 0.125 * (a - d) * (a - d) / den;
}

/* The kernels: one frame's 16 phases accumulated side by side
 * (acc[p] += x[i] * coef[i][p]), an element-wise multiply-add in 16-byte
 * GCC/Clang vectors (SSE2, NEON) that is never reassociated; the float one
 * keeps two sets of accumulators (even and odd taps) so the add latency
 * does not serialize the loop. Each set fits in registers at -O2. */
typedef float v4sf __attribute__ ((vector_size (16)));
typedef double v2df __attribute__ ((vector_size (16)));

UNCHECKED_KERNEL static inline void
interpolate_frame_float (const float *xs, const float *coef, float *acc)
{
  const v4sf *h = (const v4sf *) coef;
  v4sf a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };
  v4sf b0 = { 0 }, b1 = { 0 }, b2 = { 0 }, b3 = { 0 };
  for (int i = 0; i < TAPS; i += 2, h += 8) {
    const float x0 = xs[i], x1 = xs[i + 1];
    a0 += x0 * h[0];
    a1 += x0 * h[1];
    a2 += x0 * h[2];
    a3 += x0 * h[3];
    b0 += x1 * h[4];
    b1 += x1 * h[5];
    b2 += x1 * h[6];
    b3 += x1 * h[7];
  }
  a0 += b0;
  a1 += b1;
  a2 += b2;
  a3 += b3;
  memcpy (acc + 0, &a0, sizeof (a0));
  memcpy (acc + 4, &a1, sizeof (a1));
  memcpy (acc + 8, &a2, sizeof (a2));
  memcpy (acc + 12, &a3, sizeof (a3));
}

UNCHECKED_KERNEL static inline void
interpolate_frame_double (const double *xs, const double *coef, double *acc)
{
  const v2df *h = (const v2df *) coef;
  v2df a[8] = { { 0 } };
  for (int i = 0; i < TAPS; i++, h += 8) {
    const double x0 = xs[i];
    a[0] += x0 * h[0];
    a[1] += x0 * h[1];
    a[2] += x0 * h[2];
    a[3] += x0 * h[3];
    a[4] += x0 * h[4];
    a[5] += x0 * h[5];
    a[6] += x0 * h[6];
    a[7] += x0 * h[7];
  }
  memcpy (acc, a, sizeof (a));
}

/* Two frames (@xs and @xs + 1) into @acc[0 .. OS) and @acc[OS .. 2 OS).
 * The portable kernels above, one frame after the other; on x86-64 with
 * AVX-512 the same sums in 64-byte vectors (all 16 phases of a frame in
 * one float vector, two double ones), with the two frames' chains
 * interleaved so the adds do not wait on each other. Each phase's sum
 * runs in the same order as above (float: even and odd taps apart, then
 * added; double: tap by tap) and never contracts into fused multiply-adds,
 * so every path gives the same bits. */
UNCHECKED_KERNEL static void
interpolate_2frames_float_portable (const float *xs, const float *coef,
    float *acc)
{
  interpolate_frame_float (xs, coef, acc);
  interpolate_frame_float (xs + 1, coef, acc + OS);
}

UNCHECKED_KERNEL static void
interpolate_2frames_double_portable (const double *xs, const double *coef,
    double *acc)
{
  interpolate_frame_double (xs, coef, acc);
  interpolate_frame_double (xs + 1, coef, acc + OS);
}

#if defined (__x86_64__) && defined (__GNUC__) && !defined (__clang__) \
    && OS == 16
#define HAVE_AVX512_KERNELS 1
typedef float v16sf __attribute__ ((vector_size (64)));
typedef double v8df __attribute__ ((vector_size (64)));

__attribute__ ((target ("avx512f"), optimize ("fp-contract=off")))
UNCHECKED_KERNEL static void
interpolate_2frames_float_avx512 (const float *xs, const float *coef,
    float *acc)
{
  v16sf a0 = { 0 }, b0 = { 0 }, a1 = { 0 }, b1 = { 0 };
  for (int i = 0; i < TAPS; i += 2) {
    v16sf h0, h1;
    memcpy (&h0, coef + i * OS, sizeof h0);
    memcpy (&h1, coef + (i + 1) * OS, sizeof h1);
    a0 += xs[i] * h0;
    b0 += xs[i + 1] * h1;
    a1 += xs[i + 1] * h0;
    b1 += xs[i + 2] * h1;
  }
  a0 += b0;
  a1 += b1;
  memcpy (acc, &a0, sizeof a0);
  memcpy (acc + OS, &a1, sizeof a1);
}

__attribute__ ((target ("avx512f"), optimize ("fp-contract=off")))
UNCHECKED_KERNEL static void
interpolate_2frames_double_avx512 (const double *xs, const double *coef,
    double *acc)
{
  v8df lo0 = { 0 }, hi0 = { 0 }, lo1 = { 0 }, hi1 = { 0 };
  for (int i = 0; i < TAPS; i++) {
    v8df h_lo, h_hi;
    memcpy (&h_lo, coef + i * OS, sizeof h_lo);
    memcpy (&h_hi, coef + i * OS + 8, sizeof h_hi);
    lo0 += xs[i] * h_lo;
    hi0 += xs[i] * h_hi;
    lo1 += xs[i + 1] * h_lo;
    hi1 += xs[i + 1] * h_hi;
  }
  memcpy (acc, &lo0, sizeof lo0);
  memcpy (acc + 8, &hi0, sizeof hi0);
  memcpy (acc + OS, &lo1, sizeof lo1);
  memcpy (acc + OS + 8, &hi1, sizeof hi1);
}
#endif

static void (*interpolate_2frames_float) (const float *, const float *,
    float *);
static void (*interpolate_2frames_double) (const double *, const double *,
    double *);

static void
choose_kernels (void)
{
  interpolate_2frames_float = interpolate_2frames_float_portable;
  interpolate_2frames_double = interpolate_2frames_double_portable;
#ifdef HAVE_AVX512_KERNELS
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx512f")) {
    interpolate_2frames_float = interpolate_2frames_float_avx512;
    interpolate_2frames_double = interpolate_2frames_double_avx512;
  }
#endif
}

/* One body for float and double samples: the channel is copied into a
 * zero-padded mono buffer, then interpolated frame by frame. */
#define DEFINE_TRUE_PEAK(NAME, T)                                             \
double                                                                        \
NAME (const T * x, size_t n_frames, int channels, int channel,               \
    MstAnalysisEdges edges)                                                   \
{                                                                             \
  double coef_d[TAPS * OS];                                                   \
  T coef[TAPS * OS] __attribute__ ((aligned (64)));                           \
  T *buf;                                                                     \
  double peak = 0.0, sample_peak = 0.0;                                       \
  T prev_last = 0;                                                            \
  ptrdiff_t first, last;                                                      \
                                                                              \
  if (!x || channels < 1 || channels > 64 || channel < 0                      \
      || channel >= channels || (edges != MST_ANALYSIS_EDGES_SILENCE          \
          && edges != MST_ANALYSIS_EDGES_INTERIOR))                           \
    return NAN;                                                               \
  if (n_frames == 0)                                                          \
    return 0.0;                                                               \
  if (n_frames > (PTRDIFF_MAX / sizeof (T)) - 2 * TAPS)                       \
    return NAN;                                                               \
  buf = calloc (n_frames + 2 * TAPS, sizeof (T));                             \
  if (!buf)                                                                   \
    return NAN;                                                               \
  /* buf[TAPS + m] = x[m]; TAPS zeros before and after. */                    \
  for (size_t m = 0; m < n_frames; m++) {                                     \
    T v = x[m * (size_t) channels + (size_t) channel];                        \
    double a = fabs ((double) v);                                             \
    if (!isfinite (a)) {                                                      \
      free (buf);                                                             \
      return NAN;                                                             \
    }                                                                         \
    if (a > sample_peak)                                                      \
      sample_peak = a;                                                        \
    buf[TAPS + m] = v;                                                        \
  }                                                                           \
  peak = sample_peak;                                                         \
  design_interpolator (coef_d);                                               \
  for (int k = 0; k < TAPS * OS; k++)                                         \
    coef[k] = (T) coef_d[k];                                                  \
                                                                              \
  /* Frame n covers [n, n + 1) on the 16x grid and reads x[n - HALF + 1]     \
   * .. x[n + HALF]. Silence: every frame where the reconstruction is not    \
   * zero; interior: those reading no padding. */                             \
  if (edges == MST_ANALYSIS_EDGES_SILENCE) {                                  \
    first = -HALF;                                                            \
    last = (ptrdiff_t) n_frames + HALF - 2;                                   \
  } else {                                                                    \
    first = HALF - 1;                                                         \
    last = (ptrdiff_t) n_frames - HALF - 1;                                   \
  }                                                                           \
  if (!interpolate_2frames_float)                                            \
    choose_kernels ();                                                        \
  T acc2[2 * OS] __attribute__ ((aligned (64)));                              \
  /* What the kernel touches (UNCHECKED_KERNEL): TAPS + 1 samples from each  \
   * pair's first frame's window, all of coef, all of acc2. */               \
  CHECK_REGION (buf + TAPS - HALF + 1 + first, last < first ? 0             \
      : sizeof (T) * (size_t) (((last - first) & ~(ptrdiff_t) 1) + TAPS + 1)); \
  CHECK_REGION (coef, sizeof coef);                                           \
  CHECK_REGION (acc2, sizeof acc2);                                           \
  for (ptrdiff_t n = first; n <= last; n++) {                                 \
    /* Frames in pairs: n - first even computes n and n + 1 (the buffer     \
     * has TAPS zeros after the last frame's window, so n + 1 is there). */  \
    const T *acc = acc2 + ((n - first) & 1) * OS;                             \
    T frame_max = 0;                                                          \
    if (((n - first) & 1) == 0)                                               \
      interpolate_2frames_##T (buf + TAPS - HALF + 1 + n, coef, acc2);        \
    for (int p = 0; p < OS; p++) {                                            \
      T a = acc[p] < 0 ? -acc[p] : acc[p];                                    \
      frame_max = a > frame_max ? a : frame_max;                              \
    }                                                                         \
    if ((double) frame_max * REFINE_MARGIN >= peak) {                         \
      for (int p = 0; p < OS; p++) {                                          \
        double l = p > 0 ? (double) acc[p - 1] : (double) prev_last;          \
        double r = p < OS - 1 ? (double) acc[p + 1]                           \
            : (double) buf[TAPS + n + 1];                                     \
        double v = refine_peak (l, (double) acc[p], r);                       \
        /* The first frame has no left neighbour computed. */                 \
        if (p == 0 && n == first)                                             \
          v = fabs ((double) acc[0]);                                         \
        if (v > peak)                                                         \
          peak = v;                                                           \
      }                                                                       \
    }                                                                         \
    prev_last = acc[OS - 1];                                                  \
  }                                                                           \
  free (buf);                                                                 \
  return peak > sample_peak ? peak : sample_peak;                             \
}

DEFINE_TRUE_PEAK (mst_analysis_true_peak_16x_ex, float)
DEFINE_TRUE_PEAK (mst_analysis_true_peak_16x_ex_f64, double)

double
mst_analysis_true_peak_16x (const float *x, size_t n_frames, int channels,
    int channel)
{
  return mst_analysis_true_peak_16x_ex (x, n_frames, channels, channel,
      MST_ANALYSIS_EDGES_SILENCE);
}

double
mst_analysis_true_peak_16x_f64 (const double *x, size_t n_frames,
    int channels, int channel)
{
  return mst_analysis_true_peak_16x_ex_f64 (x, n_frames, channels, channel,
      MST_ANALYSIS_EDGES_SILENCE);
}

double
mst_analysis_true_peak_16x_all (const float *x, size_t n_frames, int channels)
{
  double peak = 0.0;
  for (int c = 0; c < channels; c++) {
    double v = mst_analysis_true_peak_16x (x, n_frames, channels, c);
    if (isnan (v))
      return NAN;
    if (v > peak)
      peak = v;
  }
  return channels > 0 ? peak : NAN;
}

double
mst_analysis_true_peak_16x_all_f64 (const double *x, size_t n_frames,
    int channels)
{
  double peak = 0.0;
  for (int c = 0; c < channels; c++) {
    double v = mst_analysis_true_peak_16x_f64 (x, n_frames, channels, c);
    if (isnan (v))
      return NAN;
    if (v > peak)
      peak = v;
  }
  return channels > 0 ? peak : NAN;
}

double
mst_analysis_sample_peak (const float *x, size_t n_frames, int channels,
    int channel)
{
  double peak = 0.0;
  if (!x || channels < 1 || channel < 0 || channel >= channels)
    return NAN;
  for (size_t n = 0; n < n_frames; n++) {
    double a = fabs ((double) x[n * (size_t) channels + (size_t) channel]);
    if (!isfinite (a))
      return NAN;
    if (a > peak)
      peak = a;
  }
  return peak;
}

/* ------------------------------------------------------------------------ */
/* libebur128 */

typedef enum { EBU_TRUE_PEAK, EBU_LOUDNESS } EbuWhat;

static double
ebur128_measure (const float *xf, const double *xd, size_t n_frames,
    int channels, unsigned rate, EbuWhat what)
{
  ebur128_state *st;
  double result = NAN;
  /* add_frames in pieces: its size_t count is fine, but a piece per second
   * keeps it within what its tests exercise. */
  const size_t piece = rate > 0 ? rate : 1;

  if ((!xf && !xd) || channels < 1 || rate < 1)
    return NAN;
  st = ebur128_init ((unsigned) channels, rate,
      what == EBU_TRUE_PEAK ? EBUR128_MODE_TRUE_PEAK : EBUR128_MODE_I);
  if (!st)
    return NAN;
  for (size_t done = 0; done < n_frames; done += piece) {
    size_t k = n_frames - done < piece ? n_frames - done : piece;
    int err = xf
        ? ebur128_add_frames_float (st, xf + done * (size_t) channels, k)
        : ebur128_add_frames_double (st, xd + done * (size_t) channels, k);
    if (err != EBUR128_SUCCESS)
      goto out;
  }
  if (what == EBU_TRUE_PEAK) {
    double peak = 0.0;
    for (int c = 0; c < channels; c++) {
      double v;
      if (ebur128_true_peak (st, (unsigned) c, &v) != EBUR128_SUCCESS)
        goto out;
      if (v > peak)
        peak = v;
    }
    result = peak;
  } else {
    double lufs;
    if (ebur128_loudness_global (st, &lufs) != EBUR128_SUCCESS)
      goto out;
    result = lufs;
  }
out:
  ebur128_destroy (&st);
  return result;
}

double
mst_analysis_ebur128_true_peak (const float *x, size_t n_frames,
    int channels, unsigned rate)
{
  return x ? ebur128_measure (x, NULL, n_frames, channels, rate,
      EBU_TRUE_PEAK) : NAN;
}

double
mst_analysis_ebur128_true_peak_f64 (const double *x, size_t n_frames,
    int channels, unsigned rate)
{
  return x ? ebur128_measure (NULL, x, n_frames, channels, rate,
      EBU_TRUE_PEAK) : NAN;
}

static unsigned
gcd_u (unsigned a, unsigned b)
{
  while (b) {
    unsigned t = a % b;
    a = b;
    b = t;
  }
  return a;
}

enum { SWR_TAPS = 32, SWR_HALF = SWR_TAPS / 2 };

/* Four output points of mst_analysis_ffmpeg_true_peak: the phases' rows
 * @hp over the SWR_TAPS samples from @xs + @base[q], each its own sum. */
UNCHECKED_KERNEL static inline void
swr_four_points (const double *const hp[4], const double *xs,
    const int64_t base[4], double a[4])
{
  const double *x0 = xs + base[0], *x1 = xs + base[1];
  const double *x2 = xs + base[2], *x3 = xs + base[3];
  double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
  for (int i = 0; i < SWR_TAPS; i++) {
    a0 += hp[0][i] * x0[i];
    a1 += hp[1][i] * x1[i];
    a2 += hp[2][i] * x2[i];
    a3 += hp[3][i] * x3[i];
  }
  a[0] = a0;
  a[1] = a1;
  a[2] = a2;
  a[3] = a3;
}

double
mst_analysis_ffmpeg_true_peak (const float *x, size_t n_frames,
    int channels, unsigned rate)
{
  const unsigned out_rate = 192000;
  if (!x || channels < 1 || rate == 0)
    return NAN;
  double peak = 0.0;
  for (size_t k = 0; k < n_frames * (size_t) channels; k++)
    peak = fmax (peak, fabs (x[k]));
  if (rate >= out_rate || n_frames <= SWR_HALF)
    return peak;
  /* Output point k lies at k * step input frames, step = in / out in
   * lowest terms: phase (k * in) mod out over out. */
  unsigned g = gcd_u (rate, out_rate), in = rate / g, out = out_rate / g;
  double *h = malloc (sizeof (double) * out * SWR_TAPS);
  if (!h)
    return NAN;
  const double i0_beta = bessel_i0 (9.0);
  for (unsigned ph = 0; ph < out; ph++) {
    double sum = 0.0, frac = (double) ph / out;
    for (int i = 0; i < SWR_TAPS; i++) {
      double d = (i - (SWR_HALF - 1)) - frac, w = 2.0 * d / SWR_TAPS;
      double y = d == 0.0 ? 1.0 : sin (M_PI * d) / (M_PI * d);
      y *= bessel_i0 (9.0 * sqrt (fmax (0.0, 1.0 - w * w))) / i0_beta;
      h[ph * SWR_TAPS + i] = y;
      sum += y;
    }
    for (int i = 0; i < SWR_TAPS; i++)
      h[ph * SWR_TAPS + i] /= sum;
  }
  /* The channel as doubles in a row, mirrored at the start (frame -j is
   * frame j) into SWR_HALF - 1 frames in front: xs[base + i] is the input
   * frame base - (SWR_HALF - 1) + i. Four output points at a time, each
   * its own sum in the same order: the same peak bit for bit as one at a
   * time, about four times faster (the sums' additions no longer wait on
   * each other; this stand-in was 17 % of test-limiter-core). */
  double *xs = malloc (sizeof (double) * (n_frames + SWR_HALF - 1));
  if (!xs) {
    free (h);
    return NAN;
  }
  for (int c = 0; c < channels; c++) {
    for (size_t p = 0; p < n_frames + SWR_HALF - 1; p++) {
      size_t j = p < SWR_HALF - 1 ? SWR_HALF - 1 - p : p - (SWR_HALF - 1);
      xs[p] = j < n_frames ? x[j * channels + c] : 0.0;
    }
    ASAN_ONLY (int64_t read_end = 0;)
    for (uint64_t k = 0;; k += 4) {
      int64_t base[4];
      const double *hp[4];
      for (int q = 0; q < 4; q++) {
        uint64_t pos = (k + q) * in;
        base[q] = (int64_t) (pos / out);
        hp[q] = h + (pos % out) * SWR_TAPS;
      }
      if (base[3] + SWR_HALF >= (int64_t) n_frames) {
        for (int q = 0; q < 3 && base[q] + SWR_HALF < (int64_t) n_frames;
            q++) {
          double acc = 0.0;
          for (int i = 0; i < SWR_TAPS; i++)
            acc += hp[q][i] * xs[base[q] + i];
          peak = fmax (peak, fabs (acc));
        }
        break;
      }
      double a[4];
      swr_four_points (hp, xs, base, a);
      ASAN_ONLY (read_end = base[3] + SWR_TAPS;)
      peak = fmax (fmax (peak, fabs (a[0])), fmax (fabs (a[1]),
              fmax (fabs (a[2]), fabs (a[3]))));
    }
    /* What swr_four_points read (UNCHECKED_KERNEL): SWR_TAPS samples from
     * each base, the bases rising from 0 (so xs up to the last one's end),
     * and rows of h. */
    CHECK_REGION (xs, sizeof (double) * (size_t) read_end);
    CHECK_REGION (h, sizeof (double) * out * SWR_TAPS);
  }
  free (xs);
  free (h);
  return peak;
}

double
mst_analysis_ebur128_loudness (const float *x, size_t n_frames,
    int channels, unsigned rate)
{
  return x ? ebur128_measure (x, NULL, n_frames, channels, rate,
      EBU_LOUDNESS) : NAN;
}

double
mst_analysis_ebur128_loudness_f64 (const double *x, size_t n_frames,
    int channels, unsigned rate)
{
  return x ? ebur128_measure (NULL, x, n_frames, channels, rate,
      EBU_LOUDNESS) : NAN;
}

/* ------------------------------------------------------------------------ */
/* THD+N */

/* In-place iterative radix-2 complex FFT (decimation in time); n a power of
 * two. Twiddles from sin/cos per stage, each from its own angle (no
 * accumulated rotation error). */
static void
fft_radix2 (double *re, double *im, size_t n)
{
  for (size_t i = 1, j = 0; i < n; i++) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1)
      j ^= bit;
    j |= bit;
    if (i < j) {
      double t = re[i]; re[i] = re[j]; re[j] = t;
      t = im[i]; im[i] = im[j]; im[j] = t;
    }
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    size_t half = len >> 1;
    double ang = -2.0 * M_PI / (double) len;
    for (size_t k = 0; k < half; k++) {
      double wr = cos (ang * (double) k), wi = sin (ang * (double) k);
      for (size_t s = 0; s < n; s += len) {
        size_t a = s + k, b = a + half;
        double xr = re[b] * wr - im[b] * wi;
        double xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
}

/* HFT248D flat-top window (Heinzel, Ruediger, Schilling, "Spectrum and
 * spectral density estimation by the DFT", 2002, section D.3.9): sidelobes
 * below -248 dB, as in endolith's thd.py (REFERENCE.md section 7). */
static const double hft248d[] = {
  1.0, 1.985844164102, 1.791176438506, 1.282075284005, 0.667777530266,
  0.240160796576, 0.056656381764, 0.008134974479, 0.000624544650,
  0.000019808998, 0.000000132974,
};

static double
thd_n_db (const float *xf, const double *xd, size_t n_frames, int channels,
    int channel, unsigned rate, double fundamental_hz)
{
  size_t nfft = 1;
  double *re, *im, mean = 0.0, total = 0.0, resid = 0.0;
  double result = NAN;
  size_t lo_k, hi_k, peak_k = 0;

  if ((!xf && !xd) || channels < 1 || channel < 0 || channel >= channels
      || rate < 1 || n_frames < 16)
    return NAN;
  while (nfft < n_frames) {
    if (nfft > (SIZE_MAX / sizeof (double)) / 4)
      return NAN;
    nfft <<= 1;
  }
  re = calloc (nfft, sizeof (double));
  im = calloc (nfft, sizeof (double));
  if (!re || !im)
    goto out;

  for (size_t n = 0; n < n_frames; n++) {
    size_t idx = n * (size_t) channels + (size_t) channel;
    re[n] = xf ? (double) xf[idx] : xd[idx];
    if (!isfinite (re[n]))
      goto out;
    mean += re[n];
  }
  mean /= (double) n_frames;
  for (size_t n = 0; n < n_frames; n++) {
    double z = 2.0 * M_PI * (double) n / (double) n_frames, w = 0.0;
    for (size_t k = 0; k < sizeof (hft248d) / sizeof (hft248d[0]); k++)
      w += ((k & 1) ? -hft248d[k] : hft248d[k]) * cos ((double) k * z);
    re[n] = (re[n] - mean) * w;
  }
  fft_radix2 (re, im, nfft);

  /* Peak bin among the positive frequencies (within +-10 % of the given
   * fundamental when there is one). */
  lo_k = 1;
  hi_k = nfft / 2;
  if (fundamental_hz > 0) {
    double k0 = fundamental_hz * (double) nfft / rate;
    lo_k = (size_t) fmax (1.0, floor (0.9 * k0));
    hi_k = (size_t) fmin ((double) (nfft / 2), ceil (1.1 * k0));
    if (lo_k > hi_k)
      goto out;
  }
  {
    double best = -1.0;
    for (size_t k = lo_k; k <= hi_k; k++) {
      double m = re[k] * re[k] + im[k] * im[k];
      if (m > best) {
        best = m;
        peak_k = k;
      }
    }
  }
  {
    /* Parabolic refinement on the log magnitude (as thd.py does). */
    double true_k = (double) peak_k;
    if (peak_k > 0 && peak_k < nfft / 2) {
      double l = log (hypot (re[peak_k - 1], im[peak_k - 1]) + 1e-300);
      double c = log (hypot (re[peak_k], im[peak_k]) + 1e-300);
      double r = log (hypot (re[peak_k + 1], im[peak_k + 1]) + 1e-300);
      double den = l - 2.0 * c + r;
      if (den < 0)
        true_k += 0.5 * (l - r) / den;
    }
    /* The notch: bins within +-10 % of the fundamental, both halves. */
    lo_k = (size_t) floor (0.9 * true_k);
    hi_k = (size_t) ceil (1.1 * true_k);
  }
  for (size_t k = 0; k < nfft; k++) {
    size_t f = k <= nfft / 2 ? k : nfft - k;  /* |frequency| in bins */
    double m = re[k] * re[k] + im[k] * im[k];
    total += m;
    if (f < lo_k || f > hi_k)
      resid += m;
  }
  if (total > 0)
    result = resid > 0 ? 10.0 * log10 (resid / total) : -HUGE_VAL;

out:
  free (re);
  free (im);
  return result;
}

double
mst_analysis_thd_n_db (const float *x, size_t n_frames, int channels,
    int channel, unsigned rate, double fundamental_hz)
{
  return x ? thd_n_db (x, NULL, n_frames, channels, channel, rate,
      fundamental_hz) : NAN;
}

double
mst_analysis_thd_n_db_f64 (const double *x, size_t n_frames, int channels,
    int channel, unsigned rate, double fundamental_hz)
{
  return x ? thd_n_db (NULL, x, n_frames, channels, channel, rate,
      fundamental_hz) : NAN;
}

/* The smallest length >= @n whose factors are 2, 3, 5 and 7 only, even:
 * FFTW's fast sizes (a large prime factor costs many times more). */
static size_t
fft_friendly_size (size_t n)
{
  for (size_t m = n + (n & 1);; m += 2) {
    size_t r = m;
    static const size_t primes[] = { 2, 3, 5, 7 };
    for (int i = 0; i < 4; i++)
      while (r % primes[i] == 0)
        r /= primes[i];
    if (r == 1)
      return m;
  }
}

/* The reconstruction on the @factor-times grid, one phase at a time: with
 * X the spectrum of the n padded samples (n even), the grid point
 * j = factor m + p of the zero-padded (brick-wall) interpolation is, by the
 * inverse DFT of length factor n (the Nyquist bin shared by its two
 * halves),
 *   y[j] = X0 + 2 Re sum_{k=1}^{n/2-1} Xk e^{2 pi i k j / (factor n)}
 *        + X_{n/2} cos (pi j / factor),
 * which for a fixed phase p is the inverse DFT of length n, at m, of
 *   Zk = Xk e^{2 pi i k p / (factor n)},  Z_{n/2} = X_{n/2} cos (pi p / factor)
 * (cos (pi m + a) = (-1)^m cos a). So @factor transforms of length n over
 * buffers that stay small give the grid of one transform of length
 * factor n (whole spectrum and grid: about 100 MB for 8 s of 48 kHz stereo,
 * the former cost of a call). Each phase's Z is the previous one's times
 * e^{2 pi i k / (factor n)}: @factor - 1 products, about 1e-15 of
 * rounding. */
UNCHECKED_KERNEL static void
ideal_advance (fftw_complex * cur, const fftw_complex * step, size_t n)
{
  CHECK_REGION (cur, sizeof (fftw_complex) * (n / 2));
  CHECK_REGION (step, sizeof (fftw_complex) * (n / 2));
  for (size_t k = 1; k < n / 2; k++) {
    double re = cur[k][0] * step[k][0] - cur[k][1] * step[k][1];
    double im = cur[k][0] * step[k][1] + cur[k][1] * step[k][0];
    cur[k][0] = re;
    cur[k][1] = im;
  }
}

/* The largest |@out[m]| over @best, into @best, and its grid point
 * m @factor + @p into @at. */
UNCHECKED_KERNEL static void
ideal_largest (const double *out, size_t n, int factor, int p, double *best,
    ptrdiff_t * at)
{
  CHECK_REGION (out, sizeof (double) * n);
  CHECK_REGION (best, sizeof *best);
  CHECK_REGION (at, sizeof *at);
  for (size_t m = 0; m < n; m++)
    if (fabs (out[m]) > *best) {
      *best = fabs (out[m]);
      *at = (ptrdiff_t) m * factor + p;
    }
}

/* Phase @p's grid into @out from its spectrum @cur (kept: the transform
 * overwrites its input, here @z). */
static void
ideal_transform (const fftw_complex * cur, double nyquist_x, int p,
    int factor, size_t n, fftw_complex * z, double *out, fftw_plan inv)
{
  size_t bins = n / 2 + 1;
  memcpy (z, cur, sizeof (fftw_complex) * bins);
  z[bins - 1][0] = nyquist_x * cos (M_PI * p / factor);
  z[bins - 1][1] = 0.0;
  fftw_execute_dft_c2r (inv, z, out);
}

/* |y| at grid point j (modulo the period factor n), by its phase's
 * transform. */
static double
ideal_point (const fftw_complex * spec, const fftw_complex * step,
    int factor, size_t n, ptrdiff_t j, fftw_complex * cur, fftw_complex * z,
    double *out, fftw_plan inv)
{
  ptrdiff_t period = (ptrdiff_t) factor * (ptrdiff_t) n;
  size_t u = (size_t) (((j % period) + period) % period);
  int p = (int) (u % (size_t) factor);
  memcpy (cur, spec, sizeof (fftw_complex) * (n / 2 + 1));
  for (int q = 1; q <= p; q++)
    ideal_advance (cur, step, n);
  ideal_transform (cur, spec[n / 2][0], p, factor, n, z, out, inv);
  return fabs (out[u / (size_t) factor]);
}

double
mst_analysis_true_peak_ideal (const float *x, size_t n_frames, int channels,
    int channel, int factor)
{
  if (!x || channels < 1 || channel < 0 || channel >= channels || factor < 1)
    return NAN;
  if (n_frames == 0)
    return 0.0;
  /* At least 8192 frames of silence on each side, more up to a fast size. */
  const size_t pad = 8192;
  size_t n = fft_friendly_size (n_frames + 2 * pad), bins = n / 2 + 1;
  double *in = fftw_malloc (sizeof (double) * n);
  double *out = fftw_malloc (sizeof (double) * n);
  fftw_complex *spec = fftw_malloc (sizeof (fftw_complex) * bins);
  fftw_complex *cur = fftw_malloc (sizeof (fftw_complex) * bins);
  fftw_complex *step = fftw_malloc (sizeof (fftw_complex) * bins);
  fftw_complex *z = fftw_malloc (sizeof (fftw_complex) * bins);
  fftw_plan fwd = NULL, inv = NULL;
  double peak = NAN;
  if (!in || !out || !spec || !cur || !step || !z)
    goto done;
  memset (in, 0, sizeof (double) * n);
  for (size_t i = 0; i < n_frames; i++) {
    double v = x[i * channels + channel];
    if (!isfinite (v))
      goto done;
    in[pad + i] = v;
  }
  fwd = fftw_plan_dft_r2c_1d ((int) n, in, spec, FFTW_ESTIMATE);
  inv = fftw_plan_dft_c2r_1d ((int) n, z, out, FFTW_ESTIMATE);
  if (!fwd || !inv)
    goto done;
  fftw_execute (fwd);
  for (size_t k = 0; k < bins; k++) {
    double a = 2.0 * M_PI * (double) k / ((double) factor * (double) n);
    step[k][0] = cos (a);
    step[k][1] = sin (a);
  }
  /* The largest grid point j = factor m + p. */
  memcpy (cur, spec, sizeof (fftw_complex) * bins);
  double best = -1.0;
  ptrdiff_t at = 0;
  for (int p = 0; p < factor; p++) {
    if (p > 0)
      ideal_advance (cur, step, n);
    ideal_transform (cur, spec[bins - 1][0], p, factor, n, z, out, inv);
    ideal_largest (out, n, factor, p, &best, &at);
  }
  /* Refined by a parabola through it and its two grid neighbours. */
  if (at > 0 && at + 1 < (ptrdiff_t) (n * (size_t) factor)) {
    double a = ideal_point (spec, step, factor, n, at - 1, cur, z, out, inv);
    double b = best;
    double c = ideal_point (spec, step, factor, n, at + 1, cur, z, out, inv);
    double den = a - 2 * b + c;
    if (den < 0) {
      double d = 0.5 * (a - c) / den;
      best = fmax (best, b - 0.25 * (a - c) * d);
    }
  }
  peak = best / (double) n;     /* FFTW's transforms are unnormalised */
done:
  if (fwd)
    fftw_destroy_plan (fwd);
  if (inv)
    fftw_destroy_plan (inv);
  fftw_free (in);
  fftw_free (out);
  fftw_free (spec);
  fftw_free (cur);
  fftw_free (step);
  fftw_free (z);
  return peak;
}

double
mst_analysis_true_peak_ideal_all (const float *x, size_t n_frames,
    int channels)
{
  double peak = 0.0;
  for (int c = 0; c < channels; c++) {
    double p = mst_analysis_true_peak_ideal (x, n_frames, channels, c, 16);
    if (!(p >= peak))
      return isnan (p) ? p : peak;
    peak = p;
  }
  return peak;
}
