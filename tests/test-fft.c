/* The FFT wrapper (gst/mst-fft.h) against a direct DFT in double
 * precision on random data: complex and real transforms, sizes of one
 * point, odd, powers of two and mixed radices (the limiter's 1280), both
 * directions, interleaved and split complex arrays, planning from
 * several threads, and the SIMD alignment of its buffers. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mst-fft.h"
#include "mst-test.h"

static uint32_t seed = 12345;
static double worst_seen;

static float
random_float (void)
{
  seed = seed * 1664525u + 1013904223u;
  return (float) ((seed >> 8) / 8388608.0 - 1.0);
}

/* X[k] = sum x[t] e^(sign 2 pi i k t / n), in double, the phase reduced
 * exactly (k t mod n) so the reference is good to about 1e-15. */
static void
direct_dft (const MstFftComplex * x, int n, int sign, double *re,
    double *im)
{
  for (int k = 0; k < n; k++) {
    double a = 0.0, b = 0.0;
    for (int t = 0; t < n; t++) {
      double phase = sign * 2.0 * M_PI * (double) ((long) k * t % n) / n;
      a += x[t][0] * cos (phase) - x[t][1] * sin (phase);
      b += x[t][0] * sin (phase) + x[t][1] * cos (phase);
    }
    re[k] = a;
    im[k] = b;
  }
}

/* Worst error over the bins, relative to the input's norm sqrt (sum |x|^2)
 * times sqrt (n) (the size of a bin when all the energy falls in it): the
 * bound of a float FFT grows as log n times the float epsilon (6e-8). */
static double
worst_error (const MstFftComplex * y, const double *re, const double *im,
    int bins, double norm)
{
  double worst = 0.0;
  for (int k = 0; k < bins; k++)
    worst = fmax (worst, hypot (y[k][0] - re[k], y[k][1] - im[k]));
  worst_seen = fmax (worst_seen, worst / norm);
  return worst / norm;
}

static const int sizes[] = { 1, 2, 3, 5, 16, 60, 127, 512, 1280, 2048 };

/* Largest relative error allowed: 64 float epsilons, about 4 log2 (n)
 * epsilons at the largest size. */
#define TOLERANCE (64 * 5.96e-8)

/* Interleaved or split complex arrays: the same DFT. */
typedef enum {
  LAYOUT_INTERLEAVED,
  LAYOUT_SPLIT,
} Layout;

/* y = the transform (forward for sign -1) of x, through @layout's calls;
 * @in and @out are split scratch arrays of 2 n floats. */
static void
transform (const MstFft * fft, Layout layout, int sign,
    const MstFftComplex * x, MstFftComplex * y, float *in, float *out)
{
  int n = mst_fft_size (fft);
  if (layout == LAYOUT_INTERLEAVED) {
    if (sign < 0)
      mst_fft_forward (fft, x, y);
    else
      mst_fft_backward (fft, x, y);
    return;
  }
  for (int t = 0; t < n; t++) {
    in[t] = x[t][0];
    in[n + t] = x[t][1];
  }
  if (sign < 0)
    mst_fft_forward_split (fft, in, out);
  else
    mst_fft_backward_split (fft, in, out);
  for (int k = 0; k < n; k++) {
    y[k][0] = out[k];
    y[k][1] = out[n + k];
  }
}

static void
check_complex (Layout layout)
{
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    int n = sizes[s];
    MstFft *fft = layout == LAYOUT_SPLIT ? mst_fft_new_split (n)
        : mst_fft_new_complex (n);
    MstFftComplex *x = mst_fft_alloc_complex (n), *y =
        mst_fft_alloc_complex (n);
    float *in = mst_fft_alloc_real (2 * n), *out =
        mst_fft_alloc_real (2 * n);
    double *re = calloc (n, sizeof (double)), *im = calloc (n,
        sizeof (double)), norm = 0.0;
    MST_CHECK (fft && x && y && in && out && re && im);
    if (!fft || !x || !y || !in || !out || !re || !im)
      return;
    MST_CHECK (mst_fft_size (fft) == n);
    for (int t = 0; t < n; t++) {
      x[t][0] = random_float ();
      x[t][1] = random_float ();
      norm += x[t][0] * (double) x[t][0] + x[t][1] * (double) x[t][1];
    }
    norm = sqrt (norm * n);
    for (int sign = -1; sign <= 1; sign += 2) {
      transform (fft, layout, sign, x, y, in, out);
      direct_dft (x, n, sign, re, im);
      double worst = worst_error (y, re, im, n, norm);
      MST_CHECK_MSG (worst < TOLERANCE, "%s, n = %d, %s: error %g",
          layout == LAYOUT_SPLIT ? "split" : "complex", n,
          sign < 0 ? "forward" : "backward", worst);
    }
    mst_fft_free (fft);
    mst_fft_free_buffer (x);
    mst_fft_free_buffer (y);
    mst_fft_free_buffer (in);
    mst_fft_free_buffer (out);
    free (re);
    free (im);
  }
}

static void
test_complex (void)
{
  check_complex (LAYOUT_INTERLEAVED);
}

/* The split arrays' own plans (FFTW's split plans keep the distance
 * between real and imaginary parts: a 1-point transform gave a wrong
 * imaginary part when it differed). */
static void
test_split (void)
{
  check_complex (LAYOUT_SPLIT);
}

static void
test_real (void)
{
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    int n = sizes[s], bins = n / 2 + 1;
    MstFft *fft = mst_fft_new_real (n);
    float *x = mst_fft_alloc_real (n), *back = mst_fft_alloc_real (n);
    MstFftComplex *xc = mst_fft_alloc_complex (n), *y =
        mst_fft_alloc_complex (bins);
    double *re = calloc (n, sizeof (double)), *im = calloc (n,
        sizeof (double)), norm = 0.0;
    MST_CHECK (fft && x && back && xc && y && re && im);
    if (!fft || !x || !back || !xc || !y || !re || !im)
      return;
    for (int t = 0; t < n; t++) {
      xc[t][0] = x[t] = random_float ();
      norm += x[t] * (double) x[t];
    }
    norm = sqrt (norm * n);
    mst_fft_forward_real (fft, x, y);
    direct_dft (xc, n, -1, re, im);
    double worst = worst_error (y, re, im, bins, norm);
    MST_CHECK_MSG (worst < TOLERANCE, "real, n = %d, forward: error %g", n,
        worst);
    /* Back: the direct DFT of the bins with the other half filled in
     * by conjugate symmetry, a real signal. */
    for (int k = 0; k < n; k++) {
      int j = k < bins ? k : n - k;
      xc[k][0] = y[j][0];
      xc[k][1] = k < bins ? y[j][1] : -y[j][1];
    }
    direct_dft (xc, n, 1, re, im);
    mst_fft_backward_real (fft, y, back);
    double worst_back = 0.0;
    for (int t = 0; t < n; t++)
      worst_back = fmax (worst_back, fabs (back[t] - re[t]));
    worst_back /= norm;
    worst_seen = fmax (worst_seen, worst_back);
    MST_CHECK_MSG (worst_back < TOLERANCE, "real, n = %d, backward: error %g",
        n, worst_back);
    mst_fft_free (fft);
    mst_fft_free_buffer (x);
    mst_fft_free_buffer (back);
    mst_fft_free_buffer (xc);
    mst_fft_free_buffer (y);
    free (re);
    free (im);
  }
}

/* Planning from several threads at once (elements set up in parallel
 * pipelines): each thread plans, runs and frees transforms of several
 * sizes and kinds, and gets what the main thread's plan gives. */
enum { PLANNING_THREADS = 4, PLANNING_ROUNDS = 20, PLANNING_SIZE = 96 };
static MstFftComplex *planning_input, *planning_expected;

static void *
plan_and_run (void *arg)
{
  int *failures = arg;
  MstFftComplex *y = mst_fft_alloc_complex (PLANNING_SIZE);
  for (int r = 0; y && r < PLANNING_ROUNDS; r++) {
    MstFft *other = r % 2 ? mst_fft_new_real (PLANNING_SIZE + r)
        : mst_fft_new_split (PLANNING_SIZE + r);
    MstFft *fft = mst_fft_new_complex (PLANNING_SIZE);
    if (!other || !fft) {
      (*failures)++;
    } else {
      mst_fft_forward (fft, planning_input, y);
      for (int k = 0; k < PLANNING_SIZE; k++)
        if (y[k][0] != planning_expected[k][0]
            || y[k][1] != planning_expected[k][1])
          (*failures)++;
    }
    mst_fft_free (other);
    mst_fft_free (fft);
  }
  if (!y)
    (*failures)++;
  mst_fft_free_buffer (y);
  return NULL;
}

static void
test_planning_from_threads (void)
{
  pthread_t threads[PLANNING_THREADS];
  int failures[PLANNING_THREADS] = { 0 };
  MstFft *fft = mst_fft_new_complex (PLANNING_SIZE);
  planning_input = mst_fft_alloc_complex (PLANNING_SIZE);
  planning_expected = mst_fft_alloc_complex (PLANNING_SIZE);
  MST_CHECK (fft && planning_input && planning_expected);
  if (!fft || !planning_input || !planning_expected)
    return;
  for (int t = 0; t < PLANNING_SIZE; t++) {
    planning_input[t][0] = random_float ();
    planning_input[t][1] = random_float ();
  }
  mst_fft_forward (fft, planning_input, planning_expected);
  for (int i = 0; i < PLANNING_THREADS; i++)
    MST_CHECK (pthread_create (&threads[i], NULL, plan_and_run,
            &failures[i]) == 0);
  for (int i = 0; i < PLANNING_THREADS; i++) {
    pthread_join (threads[i], NULL);
    MST_CHECK_MSG (failures[i] == 0, "thread %d: %d failures", i,
        failures[i]);
  }
  mst_fft_free (fft);
  mst_fft_free_buffer (planning_input);
  mst_fft_free_buffer (planning_expected);
}

static void
test_arguments_and_alignment (void)
{
  MST_CHECK (mst_fft_new_complex (0) == NULL);
  MST_CHECK (mst_fft_new_real (-1) == NULL);
  MST_CHECK (mst_fft_new_split (0) == NULL);
  MST_CHECK (mst_fft_alloc_real (0) == NULL);
  MST_CHECK (mst_fft_alloc_complex (SIZE_MAX / 4) == NULL);
  mst_fft_free (NULL);
  for (size_t n = 1; n < 40; n += 13) {
    float *r = mst_fft_alloc_real (n);
    MstFftComplex *c = mst_fft_alloc_complex (n);
    MST_CHECK (r && c);
    /* AVX's 32 bytes at least (FFTW aligns for the widest SIMD it has). */
    MST_CHECK ((uintptr_t) r % 32 == 0 && (uintptr_t) c % 32 == 0);
    for (size_t i = 0; r && i < n; i++)
      MST_CHECK (r[i] == 0.0f);
    mst_fft_free_buffer (r);
    mst_fft_free_buffer (c);
  }
}

int
main (void)
{
  MST_RUN (test_complex);
  MST_RUN (test_split);
  MST_RUN (test_real);
  MST_RUN (test_planning_from_threads);
  MST_RUN (test_arguments_and_alignment);
  printf ("# worst error against the direct DFT: %.2g of the bound %.2g\n",
      worst_seen, TOLERANCE);
  return mst_test_summary ();
}
