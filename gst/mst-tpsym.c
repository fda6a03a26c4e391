/* mastering: the meters' true-peak interpolator in symmetric form. Eight
 * outputs at a time in GCC's generic vectors: one body, built for AVX2
 * (one register each) and for the baseline (two SSE registers each),
 * chosen at run time (mst_cpu_has_avx2_fma, so MST_DISABLE_SIMD tests the
 * baseline). "avx2" alone, not "fma": no contraction, every path the same
 * bits. */
#include "mst-tpsym.h"
#include "mst-cpu.h"

#include <string.h>

#define TAPS MST_TRUEPEAK_BS1770_TAPS
#define LANES 8

typedef float v8sf __attribute__ ((vector_size (LANES * sizeof (float))));
typedef int32_t v8si __attribute__ ((vector_size (LANES * sizeof (int32_t))));

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))
/* The helpers taking and returning vectors are always inlined: no call
 * passes a vector, so the AVX calling convention GCC warns about never
 * applies. */
#pragma GCC diagnostic ignored "-Wpsabi"

ALWAYS_INLINE v8sf
load8 (const float *p)
{
  v8sf v;
  memcpy (&v, p, sizeof (v));
  return v;
}

ALWAYS_INLINE v8sf
abs8 (v8sf v)
{
  return (v8sf) ((v8si) v & 0x7fffffff);
}

ALWAYS_INLINE v8sf
max8 (v8sf x, v8sf y)
{
  v8si more = x > y;
  return (v8sf) ((more & (v8si) x) | (~more & (v8si) y));
}

/* One output, in the order the vector lanes take. */
ALWAYS_INLINE float
peak1 (const float *x, const float *hm, const float *ha, const float *hb)
{
  float s = x[0] + x[TAPS - 1];
  float m = s * hm[0], a = 0.0f, b = 0.0f;

  if (ha) {
    a = s * ha[0];
    b = (x[0] - x[TAPS - 1]) * hb[0];
  }
  for (int k = 1; k < MST_TPSYM_PAIRS; k++) {
    s = x[k] + x[TAPS - 1 - k];
    m = m + s * hm[k];
    if (ha) {
      a = a + s * ha[k];
      b = b + (x[k] - x[TAPS - 1 - k]) * hb[k];
    }
  }
  m = fabsf (m);
  a = fabsf (a) + fabsf (b);
  return a > m ? a : m;
}

ALWAYS_INLINE float
peak_body (const float *row, const float *hm, const float *ha,
    const float *hb, size_t n)
{
  v8sf lanes = { 0 };
  float peak = 0.0f;
  size_t i = 0;

  for (; i + LANES <= n; i += LANES) {
    const float *x = row + i;
    v8sf s = load8 (x) + load8 (x + TAPS - 1);
    v8sf m = s * hm[0], a = { 0 }, b = { 0 };
    if (ha) {
      a = s * ha[0];
      b = (load8 (x) - load8 (x + TAPS - 1)) * hb[0];
    }
    for (int k = 1; k < MST_TPSYM_PAIRS; k++) {
      v8sf xk = load8 (x + k), rk = load8 (x + TAPS - 1 - k);
      s = xk + rk;
      m = m + s * hm[k];
      if (ha) {
        a = a + s * ha[k];
        b = b + (xk - rk) * hb[k];
      }
    }
    lanes = max8 (lanes, max8 (abs8 (m), abs8 (a) + abs8 (b)));
  }
  for (int j = 0; j < LANES; j++)
    peak = lanes[j] > peak ? lanes[j] : peak;
  for (; i < n; i++) {
    float p = peak1 (row + i, hm, ha, hb);
    peak = p > peak ? p : peak;
  }
  return peak;
}

static float
peak_portable (const float *row, const float *hm, const float *ha,
    const float *hb, size_t n)
{
  return peak_body (row, hm, ha, hb, n);
}

#ifdef MST_HAVE_X86_PATHS
__attribute__ ((target ("avx2")))
static float
peak_avx2 (const float *row, const float *hm, const float *ha,
    const float *hb, size_t n)
{
  return peak_body (row, hm, ha, hb, n);
}
#endif

float
mst_tpsym_peak (const float *row, const float *hm, const float *ha,
    const float *hb, size_t n)
{
#ifdef MST_HAVE_X86_PATHS
  if (mst_cpu_has_avx2_fma ())
    return peak_avx2 (row, hm, ha, hb, n);
#endif
  return peak_portable (row, hm, ha, hb, n);
}
