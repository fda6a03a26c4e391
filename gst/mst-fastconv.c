/* mastering: FIR filtering by FFT, two channels at once; see mst-fastconv.h.
 *
 * Overlap-save with a complex FFT of N points whose real part is one
 * channel and imaginary part the other: the filter is real, so its
 * spectrum multiplies both alike and the two never mix. On split arrays
 * the channels are copied in and out as they are, or, for rows made for
 * it (mst_fastconv_new_rows), transformed where they lie; interleaved complex
 * arrays cost an interleaving both ways. Two real transforms (FFTW's r2c
 * and c2r, batched) cost as much arithmetic but ran twice as slow. */
#include "mst-fastconv.h"

#include "mst-fft.h"

#include <stdlib.h>
#include <string.h>

#define N MST_FASTCONV_SIZE

struct MstFastConv {
  MstFft *fft;
  /* Transforms straight from and to the caller's rows (NULL: none), for
   * rows x_stride and y_stride apart. */
  MstFft *direct;
  int x_stride, y_stride;
  /* Split arrays of N real parts then N imaginary parts: the filter's
   * spectrum, scaled by 1 / N (the transforms are not); a run's signal
   * (then its filtered signal); its spectrum. */
  float *h, *x, *spectrum;
  /* The filter padded with zero taps to lag = taps - 1 a multiple of 8:
   * runs of N - lag outputs keep the rows' alignment. */
  int taps, lag;
};

MST_VECTORISE_AVX2 static void
multiply_spectra (float *restrict s, const float *restrict h)
{
  float *s_re = s, *s_im = s + N;
  const float *h_re = h, *h_im = h + N;
  for (int k = 0; k < N; k++) {
    float re = s_re[k] * h_re[k] - s_im[k] * h_im[k];
    float im = s_re[k] * h_im[k] + s_im[k] * h_re[k];
    s_re[k] = re;
    s_im[k] = im;
  }
}

/* Outputs t >= lag of a run are the filter's (the earlier ones wrap
 * around): output t goes to y[t - lag]. */
static void
convolve_one (MstFastConv * fc, const float *x0, const float *x1, float *y0,
    float *y1)
{
  const int lag = fc->lag;
  /* The C library's vector copy: the compiler would inline the fixed-size
   * copies as a string instruction, slower here. */
  size_t bytes = N * sizeof (float);
#if defined(__GNUC__)
  __asm__ ("":"+r" (bytes));
#endif
  memcpy (fc->x, x0, bytes);
  if (x1)
    memcpy (fc->x + N, x1, bytes);
  else
    memset (fc->x + N, 0, N * sizeof (float));
  mst_fft_forward_split (fc->fft, fc->x, fc->spectrum);
  multiply_spectra (fc->spectrum, fc->h);
  mst_fft_backward_split (fc->fft, fc->spectrum, fc->x);
  memcpy (y0, fc->x + lag, (N - lag) * sizeof (float));
  if (y1)
    memcpy (y1, fc->x + N + lag, (N - lag) * sizeof (float));
}

static int
outputs_per_run (const MstFastConv * fc)
{
  return N - fc->lag;
}

/* A run straight from the rows to the outputs: no copies. Output t of the
 * run lands at y[t - lag], the ones before lag being scratch. */
static void
convolve_direct (MstFastConv * fc, const float *x0, const float *x1,
    float *y0, float *y1)
{
  mst_fft_forward_split2 (fc->direct, x0, x1, fc->spectrum,
      fc->spectrum + N);
  multiply_spectra (fc->spectrum, fc->h);
  mst_fft_backward_split2 (fc->direct, fc->spectrum, fc->spectrum + N,
      y0 - fc->lag, y1 - fc->lag);
}

/* The lag of a filter of @taps taps: taps - 1 rounded up to whole
 * vectors, so that runs keep the rows' alignment. */
static int
lag_of (int taps)
{
  return (taps - 1 + 7) / 8 * 8;
}

/* Where the last of the runs covering n outputs starts, at @lag. */
static int
last_run_start_at (int lag, int n)
{
  return (n - 1) / (N - lag) * (N - lag);
}

static int
last_run_start (const MstFastConv * fc, int n)
{
  return last_run_start_at (fc->lag, n);
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

int
mst_fastconv_input_span_for (int taps, int n)
{
  return last_run_start_at (lag_of (taps), n) + N;
}

int
mst_fastconv_output_end_for (int taps, int n)
{
  return last_run_start_at (lag_of (taps), n) + N - lag_of (taps);
}

void
mst_fastconv_run (MstFastConv * fc, const float *x0, const float *x1,
    float *y0, float *y1, int n)
{
  if (fc->direct && x1 && y1 && x1 - x0 == fc->x_stride
      && y1 - y0 == fc->y_stride && mst_fft_is_aligned (x0)
      && mst_fft_is_aligned (y0 - fc->lag)) {
    /* Last run first: each run's scratch before its outputs is then
     * overwritten by the previous run's outputs. */
    for (int start = last_run_start (fc, n); start >= 0;
        start -= outputs_per_run (fc))
      convolve_direct (fc, x0 + start, x1 + start, y0 + start, y1 + start);
    return;
  }
  for (int start = 0; start < n; start += outputs_per_run (fc))
    convolve_one (fc, x0 + start, x1 ? x1 + start : NULL, y0 + start,
        y1 ? y1 + start : NULL);
}

MstFastConv *
mst_fastconv_new (const float *h, int taps)
{
  return mst_fastconv_new_rows (h, taps, 0, 0);
}

MstFastConv *
mst_fastconv_new_rows (const float *h, int taps, int x_stride, int y_stride)
{
  MstFastConv *fc;
  if (taps < 1 || taps > MST_FASTCONV_MAX_TAPS)
    return NULL;
  fc = calloc (1, sizeof *fc);
  if (!fc)
    return NULL;
  fc->lag = lag_of (taps);
  fc->taps = taps;
  fc->fft = mst_fft_new_split (N);
  if (x_stride > 0 && y_stride > 0) {
    fc->x_stride = x_stride;
    fc->y_stride = y_stride;
    fc->direct = mst_fft_new_split_distances (N, x_stride, y_stride);
    if (!fc->direct) {
      mst_fastconv_free (fc);
      return NULL;
    }
  }
  fc->h = mst_fft_alloc_real (2 * N);
  fc->x = mst_fft_alloc_real (2 * N);
  fc->spectrum = mst_fft_alloc_real (2 * N);
  if (!fc->fft || !fc->h || !fc->x || !fc->spectrum) {
    mst_fastconv_free (fc);
    return NULL;
  }
  /* The correlation y[j] = sum h[k] x[j + k] is the convolution with h
   * (padded with zeros to lag + 1 taps) reversed, read lag later. */
  for (int k = 0; k < taps; k++)
    fc->x[fc->lag - k] = h[k] / N;
  mst_fft_forward_split (fc->fft, fc->x, fc->h);
  return fc;
}

void
mst_fastconv_free (MstFastConv * fc)
{
  if (!fc)
    return;
  mst_fft_free (fc->fft);
  mst_fft_free (fc->direct);
  mst_fft_free_buffer (fc->h);
  mst_fft_free_buffer (fc->x);
  mst_fft_free_buffer (fc->spectrum);
  free (fc);
}
