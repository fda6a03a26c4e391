/* mastering: gain apply. */
#include "mst-gainapply.h"
#include "mst-cpu.h"
#include "mst-lookahead-gain.h"

#include <string.h>
#include <math.h>
#ifdef MST_HAVE_X86_PATHS
#include <immintrin.h>
#endif

#define GROUP MST_LOOKAHEAD_GAIN_GROUP

/* Plain comparisons: fmin is a library call unless the compiler may assume
 * no NaN, and the values here are never NaN. */
static inline double
min_d (double a, double b)
{
  return a < b ? a : b;
}

/* The guard in F32: the largest float not above the ceiling. */
static float
float_guard (double ceiling)
{
  float cf = (float) ceiling;
  return (double) cf > ceiling ? nextafterf (cf, 0.0f) : cf;
}

/* v within [-c, c] (v is never NaN): a minimum and a maximum. */
static inline double
clamp_d (double v, double c)
{
  v = v < c ? v : c;
  return v > -c ? v : -c;
}

static inline float
clamp_f (float v, float c)
{
  v = v < c ? v : c;
  return v > -c ? v : -c;
}

/* In eight running minima side by
 * side so that the loop vectorises (the compiler does not reorder min_d,
 * which is not associative with NaN). */
double
mst_gain_min (const double *x, int n, double init)
{
  double m[8];
  int i = 0;
  for (int k = 0; k < 8; k++)
    m[k] = init;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++)
      m[k] = min_d (m[k], x[i + k]);
  for (; i < n; i++)
    m[0] = min_d (m[0], x[i]);
  for (int k = 1; k < 8; k++)
    m[0] = min_d (m[0], m[k]);
  return m[0];
}

#ifdef MST_HAVE_X86_PATHS
/* Four stereo F32 frames at @d times their gains @g to @y, clamped to
 * [lo, hi]: the products in double, rounded to float, then clamp_f as a
 * minimum and a maximum (the same selects); the frames kept interleaved
 * (the compiler splits the channels and joins them again). */
__attribute__ ((target ("avx2,fma")))
static inline void
apply4_stereo_f32 (__m256d g, const float *d, float *y, __m256 hi, __m256 lo)
{
  __m256 x = _mm256_loadu_ps (d);
  __m256d v01 = _mm256_mul_pd (_mm256_permute4x64_pd (g, 0x50),
      _mm256_cvtps_pd (_mm256_castps256_ps128 (x)));
  __m256d v23 = _mm256_mul_pd (_mm256_permute4x64_pd (g, 0xfa),
      _mm256_cvtps_pd (_mm256_extractf128_ps (x, 1)));
  __m256 v = _mm256_set_m128 (_mm256_cvtpd_ps (v23), _mm256_cvtpd_ps (v01));
  _mm256_storeu_ps (y, _mm256_max_ps (_mm256_min_ps (v, hi), lo));
}

/* The smallest of the four lanes and @init. */
__attribute__ ((target ("avx2,fma")))
static inline double
lanes_min (__m256d mn, double init)
{
  double m[4];
  _mm256_storeu_pd (m, mn);
  return min_d (init, min_d (min_d (m[0], m[1]), min_d (m[2], m[3])));
}

/* mst_gain_apply's common case (stereo, shared gain, F32, one ceiling)
 * with AVX2, four frames a vector; the same operations, so the same
 * output. Returns how many frames it did (a multiple of 4). */
__attribute__ ((target ("avx2,fma")))
static int
output_stereo_f32_avx2 (const double *gains, const float *d, float *y,
    int len, float cf, double *g_min)
{
  const __m256 hi = _mm256_set1_ps (cf), lo = _mm256_set1_ps (-cf);
  __m256d mn = _mm256_set1_pd (*g_min);
  int i = 0;
  for (; i + 4 <= len; i += 4) {
    __m256d g = _mm256_loadu_pd (gains + i);
    mn = _mm256_min_pd (mn, g);
    apply4_stereo_f32 (g, d + 2 * i, y + 2 * i, hi, lo);
  }
  *g_min = lanes_min (mn, *g_min);
  return i;
}

static const double group_step[GROUP] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
  11, 12, 13, 14, 15
};

/* Frames @t .. @seg - 1 of a group, the gain of frame k fma (@slope,
 * s + k, @a), four frames a vector then one by one, their smallest into
 * *@mn and *@g_min. */
__attribute__ ((target ("avx2,fma")))
static inline void
rest_of_group (double a, double slope, int s, int t, int seg, const float *d,
    float *y, float cf, __m256d * mn, double *g_min)
{
  const __m256 hi = _mm256_set1_ps (cf), lo = _mm256_set1_ps (-cf);
  const __m256d av = _mm256_set1_pd (a), dv = _mm256_set1_pd (slope);
  for (; t + 4 <= seg; t += 4) {
    __m256d gv = _mm256_fmadd_pd (dv, _mm256_loadu_pd (group_step + s + t),
        av);
    *mn = _mm256_min_pd (*mn, gv);
    apply4_stereo_f32 (gv, d + 2 * t, y + 2 * t, hi, lo);
  }
  for (; t < seg; t++) {
    const double g = _mm_cvtsd_f64 (_mm_fmadd_sd (_mm_set_sd (slope),
            _mm_set_sd (group_step[s + t]), _mm_set_sd (a)));
    *g_min = min_d (*g_min, g);
    for (int c = 0; c < 2; c++)
      y[2 * t + c] = clamp_f ((float) (g * d[2 * t + c]), cf);
  }
}

/* mst_gain_apply_points_stereo_f32 with AVX2 and FMA: each group's
 * gains four frames a vector, as mst_lookahead_gain_write_gains makes
 * them (a multiply-add each), then applied as output_stereo_f32_avx2
 * applies them. */
__attribute__ ((target ("avx2,fma")))
static double
points_stereo_f32_avx2 (const double *pt, int phase, const float *d,
    float *y, int len, float cf)
{
  const __m256 hi = _mm256_set1_ps (cf), lo = _mm256_set1_ps (-cf);
  __m256d mn = _mm256_set1_pd (INFINITY);
  double g_min = INFINITY;
  for (int i = 0, s = phase; i < len; pt++, s = 0) {
    const int seg = GROUP - s < len - i ? GROUP - s : len - i;
    const double a = pt[0], slope = (pt[1] - a) * (1.0 / GROUP);
    const __m256d av = _mm256_set1_pd (a), dv = _mm256_set1_pd (slope);
    int t = 0;
    if (seg == GROUP) {
      /* A whole group (all but the block's first and last): unrolled. */
#pragma GCC unroll 4
      for (; t < GROUP; t += 4) {
        __m256d gv = _mm256_fmadd_pd (dv, _mm256_loadu_pd (group_step + t),
            av);
        mn = _mm256_min_pd (mn, gv);
        apply4_stereo_f32 (gv, d + 2 * (i + t), y + 2 * (i + t), hi, lo);
      }
    }
    rest_of_group (a, slope, s, t, seg, d + 2 * i, y + 2 * i, cf, &mn,
        &g_min);
    i += seg;
  }
  return lanes_min (mn, g_min);
}
#endif

#ifdef MST_HAVE_X86_PATHS
/* apply4_stereo_f32 on eight frames. */
__attribute__ ((target ("avx2,fma,avx512f,avx512dq")))
static inline void
apply8_stereo_f32 (__m512d g, const float *d, float *y, __m512 hi, __m512 lo)
{
  const __m512 x = _mm512_loadu_ps (d);
  const __m512d v0 = _mm512_mul_pd (_mm512_permutexvar_pd (_mm512_setr_epi64
          (0, 0, 1, 1, 2, 2, 3, 3), g), _mm512_cvtps_pd
      (_mm512_castps512_ps256 (x)));
  const __m512d v1 = _mm512_mul_pd (_mm512_permutexvar_pd (_mm512_setr_epi64
          (4, 4, 5, 5, 6, 6, 7, 7), g), _mm512_cvtps_pd
      (_mm512_extractf32x8_ps (x, 1)));
  const __m512 v = _mm512_insertf32x8 (_mm512_castps256_ps512
      (_mm512_cvtpd_ps (v0)), _mm512_cvtpd_ps (v1), 1);
  _mm512_storeu_ps (y, _mm512_max_ps (_mm512_min_ps (v, hi), lo));
}

/* points_stereo_f32_avx2 with its whole groups eight frames a vector:
 * the same multiply-adds, products and roundings, so the same output. */
__attribute__ ((target ("avx2,fma,avx512f,avx512dq")))
static double
points_stereo_f32_avx512 (const double *pt, int phase, const float *d,
    float *y, int len, float cf)
{
  const __m512 hi = _mm512_set1_ps (cf), lo = _mm512_set1_ps (-cf);
  const __m512d step0 = _mm512_loadu_pd (group_step);
  const __m512d step8 = _mm512_loadu_pd (group_step + 8);
  __m512d mn8 = _mm512_set1_pd (INFINITY);
  __m256d mn = _mm256_set1_pd (INFINITY);
  double g_min = INFINITY;
  for (int i = 0, s = phase; i < len; pt++, s = 0) {
    const int seg = GROUP - s < len - i ? GROUP - s : len - i;
    const double a = pt[0], slope = (pt[1] - a) * (1.0 / GROUP);
    int t = 0;
    if (seg == GROUP) {
      const __m512d av = _mm512_set1_pd (a), dv = _mm512_set1_pd (slope);
      const __m512d g0 = _mm512_fmadd_pd (dv, step0, av);
      const __m512d g1 = _mm512_fmadd_pd (dv, step8, av);
      mn8 = _mm512_min_pd (mn8, _mm512_min_pd (g0, g1));
      apply8_stereo_f32 (g0, d + 2 * i, y + 2 * i, hi, lo);
      apply8_stereo_f32 (g1, d + 2 * (i + 8), y + 2 * (i + 8), hi, lo);
      t = GROUP;
    }
    rest_of_group (a, slope, s, t, seg, d + 2 * i, y + 2 * i, cf, &mn,
        &g_min);
    i += seg;
  }
  mn = _mm256_min_pd (mn, _mm256_min_pd (_mm512_castpd512_pd256 (mn8),
          _mm512_extractf64x4_pd (mn8, 1)));
  return lanes_min (mn, g_min);
}
#endif

#ifdef MST_HAVE_X86_PATHS
/* mst_gain_apply_ramps_stereo_f32 four frames a step: the gains of four
 * frames in one vector, spread to the two channels. AVX2 without FMA: the
 * gain is a product and a sum, each rounded, as in the portable loop. */
__attribute__ ((target ("avx2")))
static void
ramps_stereo_f32_avx2 (const double *ramp, size_t k, double from,
    double first_to, const double *next_to, size_t n_periods,
    const float *src, float *dst)
{
  double to = first_to;
  for (size_t p = 0; p < n_periods; p++) {
    const __m256d vf = _mm256_set1_pd (from);
    const __m256d vs = _mm256_set1_pd (to - from);
    const float *x = src + 2 * k * p;
    float *y = dst + 2 * k * p;
    for (size_t t = 0; t < k; t += 4) {
      __m256d g = _mm256_add_pd (vf, _mm256_mul_pd (_mm256_loadu_pd (ramp
                  + t), vs));
      __m256 v = _mm256_loadu_ps (x + 2 * t);
      __m256d v01 = _mm256_mul_pd (_mm256_permute4x64_pd (g, 0x50),
          _mm256_cvtps_pd (_mm256_castps256_ps128 (v)));
      __m256d v23 = _mm256_mul_pd (_mm256_permute4x64_pd (g, 0xfa),
          _mm256_cvtps_pd (_mm256_extractf128_ps (v, 1)));
      _mm256_storeu_ps (y + 2 * t, _mm256_set_m128 (_mm256_cvtpd_ps (v23),
              _mm256_cvtpd_ps (v01)));
    }
    from = to;
    to = p + 1 < n_periods ? next_to[p] : to;
  }
}
#endif

void
mst_gain_apply_ramps_stereo_f32 (const double *ramp, size_t k, double from,
    double first_to, const double *next_to, size_t n_periods,
    const float *src, float *dst)
{
#ifdef MST_HAVE_X86_PATHS
  if (mst_cpu_has_avx2_fma ()) {
    ramps_stereo_f32_avx2 (ramp, k, from, first_to, next_to, n_periods, src,
        dst);
    return;
  }
#endif
  double to = first_to;
  for (size_t p = 0; p < n_periods; p++) {
    const double span = to - from;
    const float *x = src + 2 * k * p;
    float *y = dst + 2 * k * p;
    for (size_t t = 0; t < k; t++) {
      const double g = from + ramp[t] * span;
      y[2 * t] = (float) (g * x[2 * t]);
      y[2 * t + 1] = (float) (g * x[2 * t + 1]);
    }
    from = to;
    to = p + 1 < n_periods ? next_to[p] : to;
  }
}

/* Gain i of mst_lookahead_gain_points' points @pt at @phase: fma (d, s,
 * a), C99's multiply-add rounded once, as the AVX2 paths' (the portable
 * one calls the C library's). */
static double
point_gain (const double *pt, int phase, int i)
{
  const double *p = pt + (phase + i) / GROUP;
  return fma ((p[1] - p[0]) * (1.0 / GROUP), (double) ((phase + i) % GROUP),
      p[0]);
}

double
mst_gain_apply_points_stereo_f32 (const double *points, int phase,
    const float *src, float *dst, int n_frames, double ceiling,
    double *last_gain)
{
  const float cf = float_guard (ceiling);
  if (n_frames < 1)
    return INFINITY;
  *last_gain = point_gain (points, phase, n_frames - 1);
#ifdef MST_HAVE_X86_PATHS
  if (mst_cpu_has_avx512 ())
    return points_stereo_f32_avx512 (points, phase, src, dst, n_frames, cf);
  if (mst_cpu_has_avx2_fma ())
    return points_stereo_f32_avx2 (points, phase, src, dst, n_frames, cf);
#endif
  double g_min = INFINITY;
  for (int i = 0; i < n_frames; i++) {
    const double g = point_gain (points, phase, i);
    g_min = min_d (g_min, g);
    for (int c = 0; c < 2; c++)
      dst[2 * i + c] = clamp_f ((float) (g * src[2 * i + c]), cf);
  }
  return g_min;
}

/* Output stage: gains applied, then clamped to the ceilings; the smallest
 * gain taken on the way (the values are never NaN: any order gives the
 * same minimum). */
MST_VECTORISE_AVX2
double
mst_gain_apply (const double *const *gains, bool shared_gain,
    const void *src, void *dst, int len, int nch, const double *ceilings,
    bool one_ceiling, MstFormat fmt)
{
  const bool f64 = fmt == MST_FORMAT_F64;
  const double *restrict d = src;
  const float *restrict df = src;
  const double *restrict g = gains[0];
  double g_min = INFINITY;
  if (shared_gain && nch == 2 && one_ceiling) {
    /* The common case, in loops the compiler vectorises. */
    const double cj = ceilings[0];
    if (f64) {
      double *restrict y = dst;
      for (int i = 0; i < len; i++)
        for (int c = 0; c < 2; c++)
          y[2 * i + c] = clamp_d (g[i] * d[2 * i + c], cj);
      g_min = mst_gain_min (g, len, g_min);
    } else {
      const float cf = float_guard (cj);
      float *restrict y = dst;
      int i = 0;
#ifdef MST_HAVE_X86_PATHS
      if (mst_cpu_has_avx2_fma ())
        i = output_stereo_f32_avx2 (g, df, y, len, cf, &g_min);
#endif
      g_min = mst_gain_min (g + i, len - i, g_min);
      for (; i < len; i++)
        for (int c = 0; c < 2; c++)
          y[2 * i + c] = clamp_f ((float) (g[i] * df[2 * i + c]), cf);
    }
  } else {
    for (int i = 0; i < len; i++) {
      double cj = ceilings[one_ceiling ? 0 : i];
      float cf = float_guard (cj);
      for (int c = 0; c < nch; c++) {
        size_t k = (size_t) i * nch + c;
        double gi = gains[shared_gain ? 0 : c][i];
        double v = gi * (f64 ? d[k] : df[k]);
        g_min = min_d (g_min, gi);
        if (f64)
          ((double *) dst)[k] = clamp_d (v, cj);
        else
          ((float *) dst)[k] = clamp_f ((float) v, cf);
      }
    }
  }
  return g_min;
}
