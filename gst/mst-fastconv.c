/* mastering: FIR filtering by FFT, two channels at once; see mst-fastconv.h.
 *
 * Overlap-save with a complex FFT of N = 512 points whose real part is one
 * channel and imaginary part the other (the filter is real, so the two
 * never mix). The forward transform is decimation in frequency, natural
 * order in and a scrambled order out; the product with the filter's
 * spectrum (made by the same transform, so in the same order) needs no
 * reordering; the inverse is decimation in time, scrambled in and natural
 * out. Data are split (real and imaginary parts in separate arrays), eight
 * points a vector: spans of 8 and more are butterflies between whole
 * vectors, in radix-4 passes; the last three stages act inside each vector
 * (lane swaps and sign vectors), fused with the product and the first
 * three stages back. */
#include "mst-fastconv.h"

#ifdef MST_HAVE_X86_PATHS

#include <immintrin.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define N MST_FASTCONV_SIZE
#define AVX2 __attribute__ ((target ("avx2,fma")))

struct MstFastConv {
  /* Twiddles: the stage of span s (8 .. N/2) at [s, 2 s): W_2s^p. */
  float tw_re[N], tw_im[N];
  /* The filter's spectrum, scaled by 1 / N, in the transform's order. */
  float h_re[N], h_im[N];
  float re[N], im[N];
  int taps;
};

typedef struct {
  __m256 r, i;
} Cv;

AVX2 static inline Cv
c_add (Cv a, Cv b)
{
  return (Cv) { _mm256_add_ps (a.r, b.r), _mm256_add_ps (a.i, b.i) };
}

AVX2 static inline Cv
c_sub (Cv a, Cv b)
{
  return (Cv) { _mm256_sub_ps (a.r, b.r), _mm256_sub_ps (a.i, b.i) };
}

/* a times w, or times w's conjugate. */
AVX2 static inline Cv
c_mul (Cv a, const float *wr, const float *wi)
{
  __m256 c = _mm256_load_ps (wr), s = _mm256_load_ps (wi);
  return (Cv) { _mm256_fmsub_ps (a.r, c, _mm256_mul_ps (a.i, s)),
    _mm256_fmadd_ps (a.r, s, _mm256_mul_ps (a.i, c)) };
}

AVX2 static inline Cv
c_mul_conj (Cv a, const float *wr, const float *wi)
{
  __m256 c = _mm256_load_ps (wr), s = _mm256_load_ps (wi);
  return (Cv) { _mm256_fmadd_ps (a.r, c, _mm256_mul_ps (a.i, s)),
    _mm256_fmsub_ps (a.i, c, _mm256_mul_ps (a.r, s)) };
}

AVX2 static inline Cv
load (const float *re, const float *im, int k)
{
  return (Cv) { _mm256_load_ps (re + k), _mm256_load_ps (im + k) };
}

AVX2 static inline void
store (float *re, float *im, int k, Cv a)
{
  _mm256_store_ps (re + k, a.r);
  _mm256_store_ps (im + k, a.i);
}

/* One radix-4 step forward: the stages of spans s and s / 2 on the
 * points a, b, c, d at p, p + s/2, p + s, p + 3s/2 of their group. */
AVX2 static inline void
dif4_step (const MstFastConv * fc, int s, int p, Cv * a, Cv * b, Cv * c,
    Cv * d)
{
  const int q = s / 2;
  Cv a2 = c_add (*a, *c), c2 = c_mul (c_sub (*a, *c), fc->tw_re + s + p,
      fc->tw_im + s + p);
  Cv b2 = c_add (*b, *d), d2 = c_mul (c_sub (*b, *d), fc->tw_re + s + q + p,
      fc->tw_im + s + q + p);
  *a = c_add (a2, b2);
  *b = c_mul (c_sub (a2, b2), fc->tw_re + q + p, fc->tw_im + q + p);
  *c = c_add (c2, d2);
  *d = c_mul (c_sub (c2, d2), fc->tw_re + q + p, fc->tw_im + q + p);
}

/* Its inverse (times 4). */
AVX2 static inline void
dit4_step (const MstFastConv * fc, int s, int p, Cv * a, Cv * b, Cv * c,
    Cv * d)
{
  const int q = s / 2;
  Cv b1 = c_mul_conj (*b, fc->tw_re + q + p, fc->tw_im + q + p);
  Cv d1 = c_mul_conj (*d, fc->tw_re + q + p, fc->tw_im + q + p);
  Cv a2 = c_add (*a, b1), b2 = c_sub (*a, b1);
  Cv c2 = c_mul_conj (c_add (*c, d1), fc->tw_re + s + p, fc->tw_im + s + p);
  Cv d2 = c_mul_conj (c_sub (*c, d1), fc->tw_re + s + q + p,
      fc->tw_im + s + q + p);
  *a = c_add (a2, c2);
  *c = c_sub (a2, c2);
  *b = c_add (b2, d2);
  *d = c_sub (b2, d2);
}

/* A radix-4 pass over the whole array: forward, or its inverse. */
AVX2 static void
radix4_pass (MstFastConv * fc, int s, bool inverse)
{
  const int q = s / 2;
  for (int g = 0; g < N; g += 2 * s)
    for (int p = 0; p < q; p += 8) {
      Cv a = load (fc->re, fc->im, g + p), b = load (fc->re, fc->im, g + p + q);
      Cv c = load (fc->re, fc->im, g + p + s);
      Cv d = load (fc->re, fc->im, g + p + s + q);
      if (inverse)
        dit4_step (fc, s, p, &a, &b, &c, &d);
      else
        dif4_step (fc, s, p, &a, &b, &c, &d);
      store (fc->re, fc->im, g + p, a);
      store (fc->re, fc->im, g + p + q, b);
      store (fc->re, fc->im, g + p + s, c);
      store (fc->re, fc->im, g + p + s + q, d);
    }
}

/* The first pass (spans N/2 and N/4), reading the input. */
AVX2 static void
first_pass (MstFastConv * fc, const float *x0, const float *x1)
{
  const int s = N / 2, q = N / 4;
  const __m256 zero = _mm256_setzero_ps ();
  for (int p = 0; p < q; p += 8) {
    Cv v[4];
    for (int k = 0; k < 4; k++) {
      v[k].r = _mm256_loadu_ps (x0 + p + k * q);
      v[k].i = x1 ? _mm256_loadu_ps (x1 + p + k * q) : zero;
    }
    dif4_step (fc, s, p, &v[0], &v[1], &v[2], &v[3]);
    for (int k = 0; k < 4; k++)
      store (fc->re, fc->im, p + k * q, v[k]);
  }
}

/* The last pass, writing output t to y[t - (taps - 1)]. */
AVX2 static void
last_pass (MstFastConv * fc, float *y0, float *y1)
{
  const int s = N / 2, q = N / 4, lag = fc->taps - 1;
  for (int p = 0; p < q; p += 8) {
    Cv v[4];
    for (int k = 0; k < 4; k++)
      v[k] = load (fc->re, fc->im, p + k * q);
    dit4_step (fc, s, p, &v[0], &v[1], &v[2], &v[3]);
    for (int k = 0; k < 4; k++) {
      _mm256_storeu_ps (y0 + p + k * q - lag, v[k].r);
      if (y1)
        _mm256_storeu_ps (y1 + p + k * q - lag, v[k].i);
    }
  }
}

/* The three stages inside a vector: spans 4, 2 and 1, each a swap of
 * lanes, a multiply-add with signs and (spans 4 and 2) the twiddles. */
#define H_ 0.70710678118654752f
static const float sign4[8] __attribute__ ((aligned (32))) =
    { 1, 1, 1, 1, -1, -1, -1, -1 };
static const float sign2[8] __attribute__ ((aligned (32))) =
    { 1, 1, -1, -1, 1, 1, -1, -1 };
static const float sign1[8] __attribute__ ((aligned (32))) =
    { 1, -1, 1, -1, 1, -1, 1, -1 };
static const float w8_re[8] __attribute__ ((aligned (32))) =
    { 1, 1, 1, 1, 1, H_, 0, -H_ };
static const float w8_im[8] __attribute__ ((aligned (32))) =
    { 0, 0, 0, 0, 0, -H_, -1, -H_ };

AVX2 static inline Cv
butterfly (Cv v, Cv swapped, const float *sign)
{
  __m256 s = _mm256_load_ps (sign);
  return (Cv) { _mm256_fmadd_ps (v.r, s, swapped.r),
    _mm256_fmadd_ps (v.i, s, swapped.i) };
}

/* Times the span-2 twiddles (1, 1, 1, -i in each half), or their
 * conjugates: lanes 3 and 7 become (im, -re), or (-im, re); blends, no
 * multiplications. */
AVX2 static inline Cv
times_w4 (Cv v, bool conjugate)
{
  const __m256 sign_bit = _mm256_set1_ps (-0.0f);
  __m256 re = conjugate ? _mm256_xor_ps (v.i, sign_bit) : v.i;
  __m256 im = conjugate ? v.r : _mm256_xor_ps (v.r, sign_bit);
  return (Cv) { _mm256_blend_ps (v.r, re, 0x88), _mm256_blend_ps (v.i, im,
        0x88) };
}

AVX2 static inline Cv
swap_halves (Cv v)
{
  return (Cv) { _mm256_permute2f128_ps (v.r, v.r, 1),
    _mm256_permute2f128_ps (v.i, v.i, 1) };
}

AVX2 static inline Cv
swap_pairs (Cv v)
{
  return (Cv) { _mm256_permute_ps (v.r, 0x4E), _mm256_permute_ps (v.i, 0x4E) };
}

AVX2 static inline Cv
swap_lanes (Cv v)
{
  return (Cv) { _mm256_permute_ps (v.r, 0xB1), _mm256_permute_ps (v.i, 0xB1) };
}

/* Spans 16 and 8, the stages inside the vectors and, when with_filter,
 * the product with the filter and the way back; else the forward
 * transform's result stays (to make the filter's spectrum). */
AVX2 static void
middle_pass (MstFastConv * fc, bool with_filter, float *out_re,
    float *out_im)
{
  const int s = 16, q = 8;
  for (int g = 0; g < N; g += 2 * s) {
    Cv y[4];
    for (int k = 0; k < 4; k++)
      y[k] = load (fc->re, fc->im, g + k * q);
    dif4_step (fc, s, 0, &y[0], &y[1], &y[2], &y[3]);
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++)
      y[k] = c_mul (butterfly (y[k], swap_halves (y[k]), sign4), w8_re,
          w8_im);
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++)
      y[k] = times_w4 (butterfly (y[k], swap_pairs (y[k]), sign2), false);
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++)
      y[k] = butterfly (y[k], swap_lanes (y[k]), sign1);
    if (!with_filter) {
      for (int k = 0; k < 4; k++)
        store (out_re, out_im, g + k * q, y[k]);
      continue;
    }
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
      Cv v = c_mul (y[k], fc->h_re + g + k * q, fc->h_im + g + k * q);
      y[k] = butterfly (v, swap_lanes (v), sign1);
    }
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
      Cv v = times_w4 (y[k], true);
      y[k] = butterfly (v, swap_pairs (v), sign2);
    }
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
      Cv v = c_mul_conj (y[k], w8_re, w8_im);
      y[k] = butterfly (v, swap_halves (v), sign4);
    }
    dit4_step (fc, s, 0, &y[0], &y[1], &y[2], &y[3]);
    for (int k = 0; k < 4; k++)
      store (out_re, out_im, g + k * q, y[k]);
  }
}

AVX2 static void
convolve_one (MstFastConv * fc, const float *x0, const float *x1, float *y0,
    float *y1)
{
  first_pass (fc, x0, x1);
  radix4_pass (fc, N / 8, false);
  middle_pass (fc, true, fc->re, fc->im);
  radix4_pass (fc, N / 8, true);
  last_pass (fc, y0, y1);
}

static int
outputs_per_run (const MstFastConv * fc)
{
  return N - fc->taps + 1;
}

/* Where the last of the runs covering n outputs starts. */
static int
last_run_start (const MstFastConv * fc, int n)
{
  return (n - 1) / outputs_per_run (fc) * outputs_per_run (fc);
}

int
mst_fastconv_input_span (const MstFastConv * fc, int n)
{
  return last_run_start (fc, n) + N;
}

int
mst_fastconv_output_end (const MstFastConv * fc, int n)
{
  return last_run_start (fc, n) + outputs_per_run (fc);
}

void
mst_fastconv_run (MstFastConv * fc, const float *x0, const float *x1,
    float *y0, float *y1, int n)
{
  /* Last run first: each run's scratch outputs (before its first) land
   * where the run before it, done next, writes its own. */
  for (int start = n > 0 ? last_run_start (fc, n) : -1; start >= 0;
      start -= outputs_per_run (fc))
    convolve_one (fc, x0 + start, x1 ? x1 + start : NULL, y0 + start,
        y1 ? y1 + start : NULL);
}

AVX2 static void
design_spectrum (MstFastConv * fc, const float *h)
{
  /* The correlation y[j] = sum h[k] x[j + k] is the convolution with h
   * reversed, read taps - 1 later. */
  float *g = fc->h_re;
  memset (g, 0, sizeof fc->h_re);
  for (int k = 0; k < fc->taps; k++)
    g[k] = h[fc->taps - 1 - k] / N;
  first_pass (fc, g, NULL);
  radix4_pass (fc, N / 8, false);
  middle_pass (fc, false, fc->h_re, fc->h_im);
}

MstFastConv *
mst_fastconv_new (const float *h, int taps)
{
  MstFastConv *fc;
  if (taps < 1 || taps > MST_FASTCONV_MAX_TAPS)
    return NULL;
  fc = aligned_alloc (32, (sizeof *fc + 31) / 32 * 32);
  if (!fc)
    return NULL;
  memset (fc, 0, sizeof *fc);
  fc->taps = taps;
  for (int s = 8; s < N; s *= 2)
    for (int p = 0; p < s; p++) {
      fc->tw_re[s + p] = (float) cos (-M_PI * p / s);
      fc->tw_im[s + p] = (float) sin (-M_PI * p / s);
    }
  design_spectrum (fc, h);
  return fc;
}

void
mst_fastconv_free (MstFastConv * fc)
{
  free (fc);
}

#endif
