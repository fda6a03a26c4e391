/* mastering: the FFTs of every spectral core, on FFTW3; see mst-fft.h.
 *
 * Planner flags, measured on the limiter's transform (split complex, 512
 * points, forward and backward, per output of a 128-tap filter, on a
 * loaded x86-64 with AVX2): ESTIMATE 1.51 ns, MEASURE 1.42 to 1.50 ns;
 * planning 0.4 ms against 100 ms (and about 1 s at 1280 points). MEASURE's
 * few percent are not worth that start-up per size and outputs that change
 * from run to run with the algorithm the timings picked. */
#include "mst-fft.h"

#include <fftw3.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
  KIND_COMPLEX,
  KIND_REAL,
  KIND_SPLIT,
} Kind;

struct MstFft {
  fftwf_plan forward, backward;
  int size;
};

static pthread_once_t planner_once = PTHREAD_ONCE_INIT;

/* FFTW's planner keeps global state: it is made safe to call from several
 * threads at once (two elements set up in two pipelines, say). Execution
 * is always thread-safe. */
static void
make_planner_thread_safe (void)
{
  fftwf_make_planner_thread_safe ();
}

static MstFft *
fft_new (int size, Kind kind)
{
  MstFft *fft;
  void *in = NULL, *out = NULL;
  size_t bins = kind == KIND_REAL ? (size_t) size / 2 + 1 : (size_t) size;

  if (size < 1)
    return NULL;
  pthread_once (&planner_once, make_planner_thread_safe);
  fft = calloc (1, sizeof *fft);
  if (!fft)
    return NULL;
  fft->size = size;
  /* The plans are made on arrays of the alignment of mst_fft_alloc_*,
   * so that they run on any of those; ESTIMATE does not touch them. */
  in = kind == KIND_REAL ? (void *) mst_fft_alloc_real (size)
      : (void *) mst_fft_alloc_complex (size);
  out = mst_fft_alloc_complex (bins);
  if (!in || !out)
    goto fail;
  if (kind == KIND_SPLIT) {
    /* Backward is forward with the real and imaginary parts swapped, in
     * and out: a plan of its own, for the pointers' distance. */
    float *i = in, *o = out;
    fftwf_iodim dim = { size, 1, 1 };
    fft->forward = fftwf_plan_guru_split_dft (1, &dim, 0, NULL, i, i + size,
        o, o + size, FFTW_ESTIMATE);
    fft->backward = fftwf_plan_guru_split_dft (1, &dim, 0, NULL, i + size,
        i, o + size, o, FFTW_ESTIMATE);
  } else if (kind == KIND_REAL) {
    fft->forward = fftwf_plan_dft_r2c_1d (size, in, out, FFTW_ESTIMATE);
    fft->backward = fftwf_plan_dft_c2r_1d (size, out, in, FFTW_ESTIMATE);
  } else {
    fft->forward = fftwf_plan_dft_1d (size, in, out, FFTW_FORWARD,
        FFTW_ESTIMATE);
    fft->backward = fftwf_plan_dft_1d (size, in, out, FFTW_BACKWARD,
        FFTW_ESTIMATE);
  }
  if (!fft->forward || !fft->backward)
    goto fail;
  mst_fft_free_buffer (in);
  mst_fft_free_buffer (out);
  return fft;

fail:
  mst_fft_free_buffer (in);
  mst_fft_free_buffer (out);
  mst_fft_free (fft);
  return NULL;
}

MstFft *
mst_fft_new_complex (int size)
{
  return fft_new (size, KIND_COMPLEX);
}

MstFft *
mst_fft_new_real (int size)
{
  return fft_new (size, KIND_REAL);
}

MstFft *
mst_fft_new_split (int size)
{
  return fft_new (size, KIND_SPLIT);
}

MstFft *
mst_fft_new_split_distances (int size, int in_distance, int out_distance)
{
  MstFft *fft;
  float *a = NULL, *b = NULL, *c = NULL;
  fftwf_iodim dim = { size, 1, 1 };

  if (size < 1 || in_distance < size || out_distance < size)
    return NULL;
  pthread_once (&planner_once, make_planner_thread_safe);
  fft = calloc (1, sizeof *fft);
  if (!fft)
    return NULL;
  fft->size = size;
  /* Planned on arrays of the allocations' alignment, at the distances;
   * ESTIMATE does not touch them. */
  a = mst_fft_alloc_real ((size_t) in_distance + size);
  b = mst_fft_alloc_real (2 * (size_t) size);
  c = mst_fft_alloc_real ((size_t) out_distance + size);
  if (!a || !b || !c)
    goto fail;
  fft->forward = fftwf_plan_guru_split_dft (1, &dim, 0, NULL, a,
      a + in_distance, b, b + size, FFTW_ESTIMATE);
  /* Backward: forward with the parts swapped, in and out. */
  fft->backward = fftwf_plan_guru_split_dft (1, &dim, 0, NULL, b + size, b,
      c + out_distance, c, FFTW_ESTIMATE);
  if (!fft->forward || !fft->backward)
    goto fail;
  mst_fft_free_buffer (a);
  mst_fft_free_buffer (b);
  mst_fft_free_buffer (c);
  return fft;

fail:
  mst_fft_free_buffer (a);
  mst_fft_free_buffer (b);
  mst_fft_free_buffer (c);
  mst_fft_free (fft);
  return NULL;
}

int
mst_fft_is_aligned (const float *p)
{
  return fftwf_alignment_of ((float *) p) == 0;
}

void
mst_fft_free (MstFft * fft)
{
  if (!fft)
    return;
  if (fft->forward)
    fftwf_destroy_plan (fft->forward);
  if (fft->backward)
    fftwf_destroy_plan (fft->backward);
  free (fft);
}

int
mst_fft_size (const MstFft * fft)
{
  return fft->size;
}

static void *
alloc_zeroed (size_t n, size_t element_size)
{
  void *p;
  if (n == 0 || n > SIZE_MAX / element_size)
    return NULL;
  p = fftwf_malloc (n * element_size);
  if (p)
    memset (p, 0, n * element_size);
  return p;
}

float *
mst_fft_alloc_real (size_t n)
{
  return alloc_zeroed (n, sizeof (float));
}

MstFftComplex *
mst_fft_alloc_complex (size_t n)
{
  return alloc_zeroed (n, sizeof (MstFftComplex));
}

void
mst_fft_free_buffer (void *buffer)
{
  fftwf_free (buffer);
}

/* FFTW's new-array execute calls take non-const inputs; the out-of-place
 * complex and forward real plans leave them unchanged (FFTW's default,
 * FFTW_PRESERVE_INPUT, for those). */
void
mst_fft_forward (const MstFft * fft, const MstFftComplex * in,
    MstFftComplex * out)
{
  fftwf_execute_dft (fft->forward, (fftwf_complex *) in, out);
}

void
mst_fft_backward (const MstFft * fft, const MstFftComplex * in,
    MstFftComplex * out)
{
  fftwf_execute_dft (fft->backward, (fftwf_complex *) in, out);
}

void
mst_fft_forward_split (const MstFft * fft, const float *in, float *out)
{
  const int n = fft->size;
  fftwf_execute_split_dft (fft->forward, (float *) in, (float *) in + n, out,
      out + n);
}

void
mst_fft_backward_split (const MstFft * fft, const float *in, float *out)
{
  const int n = fft->size;
  fftwf_execute_split_dft (fft->backward, (float *) in + n, (float *) in,
      out + n, out);
}

void
mst_fft_forward_split2 (const MstFft * fft, const float *in_re,
    const float *in_im, float *out_re, float *out_im)
{
  fftwf_execute_split_dft (fft->forward, (float *) in_re, (float *) in_im,
      out_re, out_im);
}

void
mst_fft_backward_split2 (const MstFft * fft, const float *in_re,
    const float *in_im, float *out_re, float *out_im)
{
  fftwf_execute_split_dft (fft->backward, (float *) in_im, (float *) in_re,
      out_im, out_re);
}

void
mst_fft_forward_real (const MstFft * fft, const float *in,
    MstFftComplex * out)
{
  fftwf_execute_dft_r2c (fft->forward, (float *) in, out);
}

void
mst_fft_backward_real (const MstFft * fft, MstFftComplex * in, float *out)
{
  fftwf_execute_dft_c2r (fft->backward, in, out);
}
