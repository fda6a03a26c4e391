/* mastering: FIR filtering by FFT, two channels at once; see mst-fastconv.h.
 *
 * Overlap-save with a complex FFT of N points whose real part is one
 * channel and imaginary part the other: the filter is real, so its
 * spectrum multiplies both alike and the two never mix. On split arrays
 * the channels are copied in and out as they are; interleaved complex
 * arrays cost an interleaving both ways. Two real transforms (FFTW's r2c
 * and c2r, batched) cost as much arithmetic but ran twice as slow. */
#include "mst-fastconv.h"

#include "mst-fft.h"

#include <stdlib.h>
#include <string.h>

#define N MST_FASTCONV_SIZE

struct MstFastConv {
  MstFft *fft;
  /* Split arrays of N real parts then N imaginary parts: the filter's
   * spectrum, scaled by 1 / N (the transforms are not); a run's signal
   * (then its filtered signal); its spectrum. */
  float *h, *x, *spectrum;
  int taps;
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

/* Outputs t >= taps - 1 of a run are the filter's (the earlier ones wrap
 * around): output t goes to y[t - (taps - 1)]. */
static void
convolve_one (MstFastConv * fc, const float *x0, const float *x1, float *y0,
    float *y1)
{
  const int lag = fc->taps - 1;
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
  for (int start = 0; start < n; start += outputs_per_run (fc))
    convolve_one (fc, x0 + start, x1 ? x1 + start : NULL, y0 + start,
        y1 ? y1 + start : NULL);
}

MstFastConv *
mst_fastconv_new (const float *h, int taps)
{
  MstFastConv *fc;
  if (taps < 1 || taps > MST_FASTCONV_MAX_TAPS)
    return NULL;
  fc = calloc (1, sizeof *fc);
  if (!fc)
    return NULL;
  fc->taps = taps;
  fc->fft = mst_fft_new_split (N);
  fc->h = mst_fft_alloc_real (2 * N);
  fc->x = mst_fft_alloc_real (2 * N);
  fc->spectrum = mst_fft_alloc_real (2 * N);
  if (!fc->fft || !fc->h || !fc->x || !fc->spectrum) {
    mst_fastconv_free (fc);
    return NULL;
  }
  /* The correlation y[j] = sum h[k] x[j + k] is the convolution with h
   * reversed, read taps - 1 later. */
  for (int k = 0; k < taps; k++)
    fc->x[k] = h[taps - 1 - k] / N;
  mst_fft_forward_split (fc->fft, fc->x, fc->h);
  return fc;
}

void
mst_fastconv_free (MstFastConv * fc)
{
  if (!fc)
    return;
  mst_fft_free (fc->fft);
  mst_fft_free_buffer (fc->h);
  mst_fft_free_buffer (fc->x);
  mst_fft_free_buffer (fc->spectrum);
  free (fc);
}
